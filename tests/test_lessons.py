"""Every one-click lesson keeps its card's promise on several seeds (its own and the next two): the
same seed trains differently on Intel and AMD, so a lesson that holds on one seed only would show a
student on another machine the opposite of its card. The bounds are the card's own (presets.Promise).
The races are in test_race_lessons.py."""
import dataclasses

import pytest

from nnlab.training import inside
from nnlab.lessons.presets import PRESETS, RACES
from tests.lesson_promises import SEEDS, broken_promises, trained

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("offset", range(SEEDS))
@pytest.mark.parametrize("key", list(PRESETS))
def test_the_lesson_keeps_its_cards_promise_on_every_seed(key, offset):
    preset = PRESETS[key]
    config = dataclasses.replace(preset.config, seed=preset.config.seed + offset)
    dataset, trainer, result = trained(config)
    assert not broken_promises(preset.promise, config, dataset, trainer, result), (config.seed, preset.look_for)


def test_the_vanishing_lessons_chart_every_layer_in_order():
    """The Weights & gradients chart the two lessons point to has all eight hidden layers and the output."""
    config = dataclasses.replace(PRESETS["vanishing"].config, epochs=1)
    _, trainer, _ = trained(config)
    assert inside.layer_order(inside.gradient_norms(trainer.layer_stats)) == [f"hidden_{i}" for i in range(1, 9)] + ["output"]


def test_every_promise_is_on_its_card():
    """A bound the test checks is a figure the card shows (or a verdict it names), not a hidden one."""
    for lesson in [*PRESETS.values(), *RACES.values()]:
        promises = getattr(lesson, "promises", None) or (lesson.promise,)
        for promise in promises:
            for name in ("test_accuracy", "first_val_accuracy", "last_val_accuracy"):
                bound = getattr(promise, name)
                assert bound is None or str(bound) in lesson.look_for, (lesson.key, name)
