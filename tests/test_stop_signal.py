from nnlab.training.stop_signal import StopSignal
from nnlab.core.tf_runtime import tf


def _flag():
    return tf.Variable(False, trainable=False)


def test_set_raises_every_attached_flag_and_no_detached_one():
    stop, first, second, gone = StopSignal(), _flag(), _flag(), _flag()
    for flag in (first, second, gone):
        stop.attach(flag)
    stop.detach(gone)
    stop.set()
    assert stop.is_set() and bool(first.numpy()) and bool(second.numpy()) and not bool(gone.numpy())


def test_a_flag_attached_after_set_is_raised_at_once():
    stop, flag = StopSignal(), _flag()
    stop.set()
    stop.attach(flag)
    assert bool(flag.numpy())
