"""Each lesson on the home page shows what its name promises, on real training."""
import pytest

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
    result = train(PRESETS[key].config)
    assert result.verdict.kind in verdicts, result.verdict.explanation
    accuracy = result.test["accuracy"]
    assert {"course": 0.85 <= accuracy <= 0.92, "stronger": accuracy >= 0.97, "overfitting": accuracy < 0.95,
            "underfitting": accuracy < 0.75, "lr_too_high": accuracy < 0.2}[key], accuracy
