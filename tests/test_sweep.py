import pytest

from nnlab.config.run_config import ConfigError, RunConfig
from nnlab.lessons.sweep import KNOBS, sweep_configs, sweep_table


@pytest.mark.parametrize("knob", list(KNOBS))
def test_every_knobs_suggested_values_give_valid_configs(knob):
    plan = sweep_configs(RunConfig(hidden=(32, 32)), knob, KNOBS[knob].suggested)
    assert len(plan) >= 3 and len({config for _, config in plan}) == len(plan)


def test_values_change_only_the_chosen_setting():
    base = RunConfig(hidden=(32, 16), dropout=0.1)
    plan = sweep_configs(base, "learning_rate", "0.0001, 0.01,1")
    assert [value for value, _ in plan] == [0.0001, 0.01, 1.0]
    assert all(config.changes_from(base) == {"learning_rate": (0.001, value)} for value, config in plan)
    assert sweep_configs(base, "neurons", "8")[0][1].hidden == (8, 8)
    assert sweep_configs(RunConfig(hidden=()), "neurons", "8")[0][1].hidden == (8,)
    assert sweep_configs(base, "layers", "0, 3")[1][1].hidden == (32, 32, 32)


@pytest.mark.parametrize("knob, text, message", [
    ("learning_rate", "", "give one or more values"),
    ("learning_rate", "0.1, fast", "'fast' cannot be used"),
    ("learning_rate", "0.1, -1", "'-1' cannot be used: learning_rate must be in"),
    ("dropout", "0.2, 0.2", "appears twice"),
    ("activation", "relu, softplus", "not one of"),
    ("neurons", ",".join(str(i) for i in range(1, 20)), "too many"),
])
def test_bad_values_are_named(knob, text, message):
    with pytest.raises(ConfigError, match=message):
        sweep_configs(RunConfig(), knob, text)


def test_sweep_table_has_a_row_per_value():
    history = [{"epoch": 1, "loss": 1.0, "val_loss": 1.2, "accuracy": 0.6, "val_accuracy": 0.55}]
    table = sweep_table([(0.1, history, {"accuracy": 0.5}), (1.0, history, {"accuracy": 0.4})], "learning_rate", "accuracy")
    assert list(table["learning_rate"]) == [0.1, 1.0] and list(table["test accuracy"]) == [0.5, 0.4]
