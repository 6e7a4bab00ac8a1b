"""Every race lesson keeps its card's promise for each of its runs on several seeds (see test_lessons.py)."""
import dataclasses

import pytest

from nnlab.lessons.presets import RACES
from tests.lesson_promises import SEEDS, broken_promises, trained

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("offset", range(SEEDS))
@pytest.mark.parametrize("key", list(RACES))
def test_the_race_keeps_its_cards_promise_on_every_seed(key, offset):
    race = RACES[key]
    assert len(race.promises) == len(race.configs)
    broken, curves = {}, {}
    for config, promise in zip(race.configs, race.promises):
        config = dataclasses.replace(config, seed=config.seed + offset)
        dataset, trainer, result = trained(config)
        curves[config.optimizer] = [row["val_accuracy"] for row in result.history]
        found = broken_promises(promise, config, dataset, trainer, result)
        if found:
            broken[config.optimizer] = found
    assert not broken, (offset, race.look_for)
    if key == "optimizers":  # the race's point, whatever the figures: SGD is the slowest at the start and the end
        assert curves["sgd_momentum"][0] > curves["sgd"][0] and curves["adam"][0] > curves["sgd"][0], curves
        assert min(curves["adam"][-1], curves["lion"][-1]) > curves["sgd"][-1], curves
