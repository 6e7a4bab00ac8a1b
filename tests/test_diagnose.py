import dataclasses
import math

import pytest

from nnlab.config import COURSE_EXERCISE, RunConfig
from nnlab.diagnose import KINDS, LECTURE_REMEDIES, baseline_loss, diagnose, remedies
from nnlab.train import train

LN10 = math.log(10)


def curve(loss, val_loss, acc=None, val_acc=None):
    rows = []
    for i, (l, v) in enumerate(zip(loss, val_loss)):
        row = {"epoch": i + 1, "loss": l, "val_loss": v}
        if acc is not None:
            row.update(accuracy=acc[i], val_accuracy=val_acc[i])
        rows.append(row)
    return rows


def verdict(rows, **kwargs):
    return diagnose(rows, **{"chance": 0.1, "baseline": LN10, **kwargs})


# --- crafted curves ---------------------------------------------------------------------------

def test_rising_validation_loss_is_overfitting_with_the_best_epoch():
    rows = curve([1.0, 0.5, 0.3, 0.2, 0.1, 0.05], [1.0, 0.6, 0.5, 0.55, 0.65, 0.8],
                 [0.7, 0.85, 0.9, 0.94, 0.97, 0.99], [0.7, 0.82, 0.85, 0.85, 0.84, 0.84])
    result = verdict(rows)
    assert result.kind == "overfitting" and result.best_epoch == 3
    assert result.gap == pytest.approx(0.15)
    assert "epoch 3" in result.explanation and result.remedies == LECTURE_REMEDIES["overfitting"]


def test_a_wide_accuracy_gap_is_overfitting_even_with_flat_validation_loss():
    rows = curve([0.5, 0.2, 0.1], [0.6, 0.5, 0.5], [0.9, 0.99, 1.0], [0.8, 0.84, 0.85])
    assert verdict(rows).kind == "overfitting"


def test_tiny_wiggles_of_a_tiny_loss_are_not_overfitting():
    rows = curve([0.01, 0.002, 0.001, 0.0008], [0.001, 0.0006, 0.002, 0.003],
                 [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0])
    assert verdict(rows, chance=0.5, baseline=math.log(2)).kind == "good_fit"


def test_flat_poor_curves_are_underfitting():
    rows = curve([0.70, 0.68, 0.675, 0.674, 0.674], [0.69, 0.68, 0.68, 0.679, 0.68],
                 [0.55, 0.58, 0.6, 0.6, 0.6], [0.56, 0.58, 0.6, 0.6, 0.59])
    result = verdict(rows, chance=0.5, baseline=math.log(2))
    assert result.kind == "underfitting" and "60.0%" in result.explanation


def test_falling_validation_loss_at_its_best_is_still_improving():
    rows = curve([2.0, 1.2, 0.8, 0.6], [1.9, 1.1, 0.75, 0.55], [0.4, 0.6, 0.75, 0.82], [0.42, 0.62, 0.76, 0.83])
    assert verdict(rows).kind == "still_improving"


def test_level_curves_that_agree_are_a_good_fit():
    rows = curve([0.3, 0.1, 0.08, 0.079], [0.3, 0.12, 0.1, 0.1], [0.9, 0.97, 0.975, 0.976], [0.9, 0.965, 0.97, 0.97])
    assert verdict(rows).kind == "good_fit"


@pytest.mark.parametrize("bad", [math.nan, math.inf, None])
def test_a_loss_that_is_not_a_number_is_divergence(bad):
    rows = curve([2.0, 5.0, bad], [2.0, 6.0, bad], [0.2, 0.1, 0.1], [0.2, 0.1, 0.1])
    result = verdict(rows)
    assert result.kind == "diverged" and "epoch 3" in result.explanation


def test_a_loss_far_above_knowing_nothing_is_divergence():
    rows = curve([200.0, 18.0, 17.0], [16.0, 16.0, 20.0], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3])
    assert verdict(rows).kind == "diverged"


def test_accuracy_stuck_at_chance_is_divergence_but_a_slow_start_is_not():
    chance = [0.1, 0.1, 0.11, 0.1, 0.1, 0.09]
    stuck = curve([3.0, 2.9, 3.1, 3.0, 2.95, 3.0], [2.8, 3.3, 3.0, 3.1, 3.0, 3.2], chance, chance)
    assert "stuck at chance" in verdict(stuck).explanation
    slow = curve([2.4, 2.2, 2.0, 1.8, 1.6, 1.5], [2.3, 2.1, 1.9, 1.7, 1.6, 1.5], chance, chance)
    assert verdict(slow).kind != "diverged"
    too_short = curve([3.0, 2.9, 3.1], [2.8, 3.3, 3.0], chance[:3], chance[:3])
    assert verdict(too_short).kind != "diverged"  # three epochs are too few to call it stuck


def test_regression_underfits_when_the_loss_stays_near_the_mean():
    rows = curve([1.0, 0.9, 0.89, 0.89], [1.0, 0.92, 0.91, 0.91])
    result = diagnose(rows, task="regression", baseline=1.0)
    assert result.kind == "underfitting" and result.gap_metric == "loss"


def test_no_epochs_and_one_epoch():
    assert diagnose([]).kind == "no_data"
    assert verdict(curve([0.5], [0.6], [0.8], [0.78])).kind == "no_data"


def test_verdict_to_dict_has_the_fields_the_cli_promises():
    data = verdict(curve([1.0, 0.5], [1.0, 0.6], [0.5, 0.8], [0.5, 0.75])).to_dict()
    assert {"kind", "title", "best_epoch", "gap", "explanation", "remedies"} <= set(data)
    assert set(KINDS) >= {data["kind"]}


def test_baselines():
    assert baseline_loss("cross_entropy", "classification", 10) == pytest.approx(LN10)
    assert baseline_loss("mse", "classification", 10) == pytest.approx(0.09)
    assert baseline_loss("mse", "regression", 0) == 1.0


# --- remedies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("config", [RunConfig(), COURSE_EXERCISE, RunConfig(hidden=(), dataset="spiral")])
def test_every_remedy_is_a_valid_change(kind, config):
    suggested = remedies(kind, config)
    # A verdict that asks for a change offers at least one; "good fit" and "no data" offer none.
    assert bool(suggested) == (kind in ("overfitting", "underfitting", "still_improving", "diverged"))
    for remedy in suggested:
        changed = dataclasses.replace(config, **remedy.changes)  # validated again: a valid config
        assert changed != config and remedy.text


def test_remedies_are_concrete_and_skip_what_the_run_already_does():
    overfit = {r.text: r.changes for r in remedies("overfitting", RunConfig(train_size=500))}
    assert overfit["Try dropout 0.3."] == {"dropout": 0.3} and overfit["Use all the training data."] == {"train_size": 0}
    assert not any("dropout" in c for c in (r.changes for r in remedies("overfitting", RunConfig(dropout=0.5))))
    assert remedies("diverged", RunConfig(optimizer="sgd", learning_rate=5.0))[0].changes == {"learning_rate": 0.5}
    assert remedies("underfitting", RunConfig(hidden=()))[0].changes == {"hidden": (16,)}


# --- real runs --------------------------------------------------------------------------------

def test_real_run_a_big_network_on_500_mnist_images_overfits():
    config = RunConfig(dataset="mnist", train_size=500, hidden=(256, 256), epochs=25, batch_size=32)
    result = train(config)
    assert result.verdict.kind == "overfitting", result.verdict.explanation
    assert result.verdict.best_epoch < 25 and result.verdict.gap > 0.05


def test_real_run_a_spiral_without_hidden_layer_underfits():
    config = RunConfig(dataset="spiral", hidden=(), epochs=40, batch_size=10, learning_rate=0.03)
    result = train(config)
    assert result.verdict.kind == "underfitting", result.verdict.explanation
    assert result.test["accuracy"] < 0.75


@pytest.mark.parametrize("settings", [
    {"optimizer": "sgd", "learning_rate": 50.0},
    {"optimizer": "adam", "learning_rate": 10.0},
    {"optimizer": "sgd", "learning_rate": 100.0, "loss": "mse"},
])
def test_real_run_an_absurd_learning_rate_diverges(settings):
    result = train(RunConfig(dataset="digits", epochs=8, **settings))
    assert result.verdict.kind == "diverged", result.verdict.explanation
