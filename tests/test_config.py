import dataclasses
import json

import pytest

from nnlab.config.run_config import COURSE_EXERCISE, DEFAULT, ConfigError, RunConfig, parse_hidden


def test_defaults_are_valid_and_round_trip_through_json():
    for config in (DEFAULT, COURSE_EXERCISE, RunConfig(hidden=(), batch_norm=True, dropout=0.5, early_stopping=3)):
        assert RunConfig.from_json(config.to_json()) == config
        assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_hidden_lists_become_tuples_and_ints_become_floats():
    config = RunConfig(hidden=[64, 32], learning_rate=1)
    assert config.hidden == (64, 32)
    assert isinstance(config.learning_rate, float)
    assert hash(config) == hash(RunConfig(hidden=(64, 32), learning_rate=1.0))


def test_from_dict_accepts_the_strings_of_forms_and_query_strings():
    config = RunConfig.from_dict({"hidden": "20, 20", "epochs": "3", "learning_rate": "0.5", "batch_norm": "true"})
    assert config.hidden == (20, 20) and config.epochs == 3 and config.learning_rate == 0.5 and config.batch_norm


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"dataset": "cifar"}, "dataset"),
        ({"activation": "softplus"}, "activation"),
        ({"optimizer": "bfgs"}, "optimizer"),
        ({"loss": "hinge"}, "loss"),
        ({"encoding": "binary"}, "encoding"),
        ({"task": "ranking"}, "task"),
        ({"hidden": (0,)}, "hidden layer 1"),
        ({"hidden": (10, 4096)}, "hidden layer 2"),
        ({"hidden": (8,) * 11}, "hidden"),
        ({"hidden": ("a",)}, "hidden"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"dropout": 0.95}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"l2": 2.0}, "l2"),
        ({"l1": -1.0}, "l1"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"test_fraction": 0.9}, "test_fraction"),
        ({"noise": 0.7}, "noise"),
        ({"samples": 10}, "samples"),
        ({"train_size": 5}, "train_size"),
        ({"train_size": -1}, "train_size"),
        ({"early_stopping": -2}, "early_stopping"),
        ({"seed": -1}, "seed"),
        ({"batch_norm": "maybe"}, "batch_norm"),
        ({"dataset": "csv"}, "csv_path"),
        ({"loss": "mse", "encoding": "label"}, "encoding"),
    ],
)
def test_invalid_settings_name_the_setting_and_value(changes, named):
    with pytest.raises(ConfigError) as error:
        RunConfig.from_dict(changes)
    assert named in str(error.value)


def test_replace_validates_again():
    with pytest.raises(ConfigError, match="dropout"):
        dataclasses.replace(DEFAULT, dropout=2.0)


def test_unknown_setting_is_named():
    with pytest.raises(ConfigError, match="unknown setting 'neurons'"):
        RunConfig.from_dict({"neurons": 5})


def test_bad_json_is_a_config_error():
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json("{epochs: 3")


def test_parse_hidden():
    assert parse_hidden("128, 64") == (128, 64)
    assert parse_hidden("") == ()
    with pytest.raises(ConfigError, match="hidden"):
        parse_hidden("12,x")


def test_changes_from_lists_only_differences():
    assert DEFAULT.changes_from(DEFAULT) == {}
    assert dataclasses.replace(DEFAULT, dropout=0.3).changes_from(DEFAULT) == {"dropout": (0.0, 0.3)}
