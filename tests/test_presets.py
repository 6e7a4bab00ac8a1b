"""Each lesson on the home page shows what its name promises, on real training."""
import pytest

from nnlab.data import load_dataset
from nnlab.diagnose import baseline_loss, diagnose
from nnlab.presets import PRESETS
from nnlab.train import train


@pytest.mark.parametrize("key, verdicts", [
    ("course", {"still_improving", "underfitting"}),
    ("stronger", {"good_fit", "still_improving", "overfitting"}),
    ("overfitting", {"overfitting"}),
    ("underfitting", {"underfitting"}),
    ("lr_too_high", {"diverged"}),
])
def test_the_lesson_shows_what_it_promises(key, verdicts):
    config = PRESETS[key].config
    dataset = load_dataset(config)
    result = train(config, dataset)
    assert result.verdict.kind in verdicts, result.verdict.explanation
    # … and so does the verdict that knows the data set and the settings (reference figure, next steps).
    informed = diagnose(result.history, task=dataset.task, chance=dataset.chance_accuracy, config=config,
                        baseline=baseline_loss(config.loss, dataset.task, dataset.n_classes))
    assert informed.kind in verdicts, informed.explanation
    assert informed.next_steps or informed.kind == "good_fit", "a lesson with something to fix offers a next step"
    accuracy = result.test["accuracy"]
    assert {"course": 0.85 <= accuracy <= 0.92, "stronger": accuracy >= 0.97, "overfitting": accuracy < 0.95,
            "underfitting": accuracy < 0.75, "lr_too_high": accuracy < 0.2}[key], accuracy
