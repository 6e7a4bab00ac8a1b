"""Several seeds of one setting (nnlab/verdict/seeds.py): the spread, the mean curves and their band, the
words on whether a difference beats the seeds' spread, and the verdict of a group — on real numbers."""
import math

import pandas as pd
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.verdict.seeds import (CLEAR_TIMES, MAX_SEEDS, Spread, band_frame, difference, group_verdict, mean_history,
                                 pooled_sd, seeds_from, spread_of_tests)


def curve(epochs: int, *, overfit: bool = False, shift: float = 0.0) -> list[dict]:
    """A plain classification history: falling losses; with `overfit`, validation loss turning up after epoch 4."""
    rows = []
    for epoch in range(1, epochs + 1):
        loss = 1.2 / epoch + shift
        val = loss + 0.05 + (0.08 * (epoch - 4) ** 1.5 if overfit and epoch > 4 else 0.0)
        rows.append({"epoch": epoch, "loss": loss, "val_loss": val, "accuracy": 0.99 - loss / 4,
                     "val_accuracy": (0.99 - loss / 4) - (0.04 * (epoch - 4) if overfit and epoch > 4 else 0.01)})
    return rows


def test_the_seeds_of_a_group_start_at_the_settings_seed_and_are_bounded():
    assert seeds_from(7, 3) == [7, 8, 9]
    assert len(seeds_from(0, MAX_SEEDS)) == MAX_SEEDS
    for bad in (1, 0, MAX_SEEDS + 1, 2.5, True):
        with pytest.raises(ValueError):
            seeds_from(0, bad)


def test_a_spread_is_the_mean_the_sample_sd_and_the_range():
    spread = Spread.of([0.725, 0.919, 0.953, None, math.nan])  # the 8-layer ReLU lesson's three seeds; gaps left out
    assert spread.n == 3 and spread.mean == pytest.approx((0.725 + 0.919 + 0.953) / 3)
    assert spread.sd == pytest.approx(pd.Series([0.725, 0.919, 0.953]).std())  # n − 1, as pandas
    assert (spread.low, spread.high) == (0.725, 0.953)
    assert spread.text(True) == "86.6 % ± 12.3 pt" and Spread.of([0.5]).text(True) == "50.0 %"
    assert Spread.of([0.3, 0.5]).text(False) == "0.4 ± 0.14"
    assert spread.to_dict()["values"] == [0.725, 0.919, 0.953] and Spread.of([]).to_dict()["mean"] is None
    tests = spread_of_tests([{"accuracy": 0.9, "loss": 0.3}, {"accuracy": 0.8, "loss": 0.5}])
    assert tests["accuracy"].mean == pytest.approx(0.85) and tests["loss"].n == 2


def test_the_mean_curve_covers_the_epochs_every_seed_reached():
    short, long = curve(3), curve(6, shift=0.1)
    mean = mean_history([short, pd.DataFrame(long)])  # a loaded run's history is a DataFrame
    assert [row["epoch"] for row in mean] == [1, 2, 3]
    assert mean[1]["loss"] == pytest.approx((short[1]["loss"] + long[1]["loss"]) / 2)
    band = band_frame([short, long], "A")
    loss = band[band["figure"] == "val_loss"]
    assert list(loss["epoch"]) == [1, 2, 3] and (loss["low"] <= loss["mean"]).all() and (loss["mean"] <= loss["high"]).all()
    assert set(band["seeds"]) == {2} and set(band["run"]) == {"A"} and band_frame([], "x").empty


@pytest.mark.parametrize("b_values, verdict", [
    ([0.950, 0.940, 0.955, 0.945, 0.960], "beats"),  # 4.5 points against a 1-point spread: real
    ([0.915, 0.905, 0.925, 0.910, 0.920], "leads"),  # about 1.5× the spread: not clear yet
    ([0.900, 0.910, 0.895, 0.915, 0.905], "within the noise"),
])
def test_a_difference_is_worded_against_the_seeds_spread(b_values, verdict):
    sgd, adam = Spread.of([0.90, 0.91, 0.89, 0.92, 0.905]), Spread.of(b_values)
    found = difference("SGD", sgd, "Adam", adam, "accuracy")
    assert found.noise == pytest.approx(pooled_sd([sgd, adam])) and found.seeds == 10
    assert found.gap == pytest.approx(adam.mean - sgd.mean)
    assert verdict in found.words and "5 seeds" in found.words
    assert found.real == (verdict == "beats") == (found.times >= CLEAR_TIMES)
    if verdict == "beats":
        assert found.words.startswith("Adam beats SGD by 4.5 points of test accuracy, 4.6× the spread of 5 seeds")


def test_lower_is_better_for_losses_and_errors_and_lone_runs_are_not_judged():
    lower = difference("A", Spread.of([0.40, 0.42, 0.41]), "B", Spread.of([0.60, 0.61, 0.62]), "loss")
    assert lower.words.startswith("A beats B by 0.2 of test loss")
    lone = difference("A", Spread.of([0.9]), "B", Spread.of([0.8]), "accuracy")
    assert not lone.real and "neither was repeated" in lone.words
    mixed = difference("A", Spread.of([0.9]), "B", Spread.of([0.7, 0.72, 0.71]), "accuracy")
    assert mixed.real and "3 seeds" in mixed.words  # the spread comes from the side that has seeds
    assert "cannot be compared" in difference("A", Spread.of([]), "B", Spread.of([0.5, 0.6]), "accuracy").words


def test_the_group_verdict_reads_the_mean_curves_and_says_when_the_seeds_disagree():
    config = RunConfig(dataset="digits", epochs=10)
    agreeing = group_verdict([curve(10, overfit=True), curve(10, overfit=True, shift=0.01)], config=config,
                             task="classification")
    assert agreeing.agree and agreeing.verdict.kind == "overfitting" and agreeing.kinds == ("overfitting",) * 2
    assert "All 2 seeds agree" in agreeing.text and agreeing.disagreement == ""
    split = group_verdict([curve(10, overfit=True), curve(10, overfit=True, shift=0.01), curve(10)], config=config,
                          task="classification")
    assert not split.agree and split.kinds.count("overfitting") == 2
    assert split.disagreement.startswith("The seeds disagree: 2 of 3 overfit and 1 ")
    assert split.verdict.next_steps  # the mean's verdict comes with next steps for the group's settings
