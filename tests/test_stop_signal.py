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


def test_ctrl_c_stops_from_a_thread_of_its_own_so_a_lock_held_where_it_lands_cannot_hang_it():
    """A signal handler runs between two bytecodes of the main thread, maybe one holding the lock `set` takes."""
    import signal
    import threading

    from nnlab.training.stop_signal import stop_on_ctrl_c

    stop, previous = StopSignal(), signal.getsignal(signal.SIGINT)
    try:
        stop_on_ctrl_c(stop.set)
        handler = signal.getsignal(signal.SIGINT)

        def lands_while_the_lock_is_held():
            with stop._lock:  # noqa: SLF001 - the state the handler may interrupt
                handler(signal.SIGINT, None)

        interrupted = threading.Thread(target=lands_while_the_lock_is_held, daemon=True)
        interrupted.start()
        interrupted.join(10)
        assert not interrupted.is_alive(), "the handler waited for a lock its own thread holds"
        assert stop.wait(10)
    finally:
        signal.signal(signal.SIGINT, previous)
