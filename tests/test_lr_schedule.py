import math

import pytest

from nnlab.cli.main import build_parser
from nnlab.cli.settings_flags import config_from_args
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.core.errors import ConfigError
from nnlab.config.lr_schedule import LearningRatePlan, changed_epochs, planned_rates, scheduled_rate
from nnlab.training.train import Trainer, train

TINY = RunConfig(dataset="iris", hidden=(8,), epochs=6, batch_size=16, learning_rate=0.1, optimizer="sgd")


@pytest.fixture(scope="module")
def iris():
    return load_dataset(TINY)


def rates(**settings) -> list[float]:
    config = RunConfig(**{**TINY.to_dict(), **settings})
    return [scheduled_rate(config, epoch) for epoch in range(1, config.epochs + 1)]


@pytest.mark.parametrize("settings, expected", [
    ({"lr_schedule": "constant"}, [0.1] * 6),
    ({"lr_schedule": "step", "lr_decay": 0.5, "lr_decay_epochs": 2}, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]),
    ({"lr_schedule": "exponential", "lr_decay": 0.5, "lr_decay_epochs": 2},
     [0.1 * 0.5 ** (t / 2) for t in range(6)]),
    ({"lr_schedule": "cosine"}, [0.1 * 0.5 * (1 + math.cos(math.pi * t / 6)) for t in range(6)]),
    # two warm-up epochs at 1/3 and 2/3 of the rate, then the schedule over the four epochs left
    ({"lr_schedule": "cosine", "warmup_epochs": 2},
     [0.1 / 3, 0.2 / 3] + [0.1 * 0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(4)]),
    ({"lr_schedule": "step", "lr_decay": 0.1, "lr_decay_epochs": 1, "warmup_epochs": 1},
     [0.05, 0.1, 0.01, 0.001, 1e-4, 1e-5]),
])
def test_each_schedule_gives_its_formula_per_epoch(settings, expected):
    assert rates(**settings) == pytest.approx(expected, rel=1e-12)


def test_the_recorded_history_holds_the_rate_each_epoch_trained_with(iris):
    config = RunConfig(**{**TINY.to_dict(), "lr_schedule": "step", "lr_decay": 0.5, "lr_decay_epochs": 2,
                          "warmup_epochs": 1})
    history = train(config, iris).history
    assert [row["learning_rate"] for row in history] == pytest.approx(
        [row["learning_rate"] for row in planned_rates(config)], rel=1e-6)  # float32 in the optimizer
    assert changed_epochs(config, history) == []


def test_the_schedule_changes_the_training(iris):
    """Not a label only: a run whose rate falls to almost 0 after epoch 1 nearly stops learning."""
    frozen = RunConfig(**{**TINY.to_dict(), "lr_schedule": "step", "lr_decay": 0.01, "lr_decay_epochs": 1})
    constant, decayed = train(TINY, iris).history, train(frozen, iris).history
    assert constant[0]["loss"] == pytest.approx(decayed[0]["loss"])  # same first epoch
    assert abs(decayed[-1]["loss"] - decayed[2]["loss"]) < 0.1 * abs(constant[-1]["loss"] - constant[2]["loss"])


def test_a_rate_set_during_a_run_replaces_the_schedule_from_that_epoch(iris):
    config = RunConfig(**{**TINY.to_dict(), "lr_schedule": "cosine"})
    trainer = Trainer(config, iris)
    trainer.run_epoch()
    trainer.run_epoch()
    trainer.set_learning_rate(0.02)
    while not trainer.done:
        trainer.run_epoch()
    recorded = [row["learning_rate"] for row in trainer.history]
    assert recorded[:2] == pytest.approx([scheduled_rate(config, 1), scheduled_rate(config, 2)], rel=1e-6)
    assert recorded[2:] == pytest.approx([0.02] * 4, rel=1e-6)
    assert changed_epochs(config, trainer.history) == [3]


def test_a_rate_set_by_hand_is_checked(iris):
    trainer = Trainer(TINY, iris)
    with pytest.raises(ConfigError, match="learning_rate"):
        trainer.set_learning_rate(0.0)
    trainer.set_learning_rate(0.5)
    assert trainer.run_epoch()["learning_rate"] == pytest.approx(0.5)


def test_the_plan_forgets_changes_set_for_later_epochs():
    plan = LearningRatePlan(TINY)
    plan.set_from(4, 0.3)
    plan.set_from(2, 0.2)
    assert [plan.at(epoch) for epoch in range(1, 7)] == [0.1, 0.2, 0.2, 0.2, 0.2, 0.2]


def test_changed_epochs_marks_each_hand_change_once():
    history = [{"epoch": 1, "learning_rate": 0.1}, {"epoch": 2, "learning_rate": 0.3},
               {"epoch": 3, "learning_rate": 0.3}, {"epoch": 4, "learning_rate": 0.01}]
    assert changed_epochs(TINY, history) == [2, 4]


def test_schedule_settings_come_from_the_cli_and_links():
    args = build_parser().parse_args(["train", "--lr-schedule", "exponential", "--lr-decay", "0.9",
                                      "--lr-decay-epochs", "3", "--warmup-epochs", "2"])
    config = config_from_args(args)
    assert (config.lr_schedule, config.lr_decay, config.lr_decay_epochs, config.warmup_epochs) == \
        ("exponential", 0.9, 3, 2)
    assert RunConfig.from_link(config.to_link()) == (config, [])
    with pytest.raises(ConfigError, match="lr_decay"):
        RunConfig(lr_decay=0.0)
    with pytest.raises(ConfigError, match="lr_schedule"):
        RunConfig(lr_schedule="linear")


def test_learning_rate_chart_draws_the_plan_the_rates_used_and_the_changes():
    from nnlab.charts import training as charts

    used = [{"epoch": 1, "learning_rate": 0.1, "loss": 1.0}, {"epoch": 2, "learning_rate": 0.3, "loss": 0.9}]
    spec = charts.learning_rate_chart(planned_rates(TINY), used, changed_epochs(TINY, used)).to_dict()
    rows = [row for values in spec["datasets"].values() for row in values]
    assert {"epoch": 2, "learning_rate": 0.3, "series": "used"} in rows
    assert [row["learning_rate"] for row in rows if row.get("series") == "planned"] == [0.1] * 6
    assert {"epoch": 2, "label": "set by you from epoch 2"} in rows
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"


def test_finder_chart_marks_the_suggestion_on_a_log_axis():
    from nnlab.charts import training as charts

    curve = [{"learning_rate": 10 ** (i / 10 - 7), "loss": 2 - i / 100, "smoothed": 2 - i / 100} for i in range(80)]
    spec = charts.lr_finder_chart(curve, 1e-4).to_dict()
    rows = [row for values in spec["datasets"].values() for row in values]
    assert {"learning_rate": 1e-4, "label": "suggested: 0.0001"} in rows
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    assert sum("smoothed" in row for row in rows) == 80
