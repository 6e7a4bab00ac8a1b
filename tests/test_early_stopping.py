import math

import pytest

from nnlab.training.early_stopping import EarlyStopping


@pytest.mark.parametrize("patience, losses, stops_after, best", [
    (1, [0.5, 0.4, 0.3], None, 0.3),  # always improving: never stops
    (1, [0.5, 0.6], 2, 0.5),  # patience 1: the first worse epoch stops
    (2, [0.5, 0.6, 0.4, 0.45, 0.41], 5, 0.4),  # an improvement resets the count
    (3, [0.5, 0.5, 0.5, 0.5], 4, 0.5),  # equal is not better
    (2, [0.5, math.nan, math.nan], 3, 0.5),  # NaN is never better
    (1, [math.inf], 1, math.inf),  # an infinite loss is no progress either
    (2, [math.inf, 0.9, 0.95], None, 0.9),
])
def test_stops_after_patience_epochs_without_a_better_loss(patience, losses, stops_after, best):
    stopping = EarlyStopping(patience)
    decisions = [stopping.update(loss, lambda: []) for loss in losses]
    stopped = decisions.index(True) + 1 if True in decisions else None
    assert stopped == stops_after and stopping.best_loss == best


def test_keeps_the_weights_of_the_best_epoch_and_copies_only_on_a_new_best():
    stopping, copies = EarlyStopping(5), []

    def weights_of(epoch):
        def weights():
            copies.append(epoch)
            return [epoch]
        return weights

    for epoch, loss in enumerate([0.9, 0.7, 0.8, 0.6, 0.65], start=1):
        stopping.update(loss, weights_of(epoch))
    assert stopping.best_weights == [4] and copies == [1, 2, 4]


def test_reset_forgets_the_previous_run():
    stopping = EarlyStopping(1)
    stopping.update(0.1, lambda: ["old"])
    assert stopping.update(0.2, lambda: ["worse"])
    stopping.reset()
    assert stopping.best_weights is None and not stopping.update(5.0, lambda: ["new"])
    assert stopping.best_weights == ["new"]


def test_patience_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        EarlyStopping(0)
