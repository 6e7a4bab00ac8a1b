"""One table of settings: RunConfig, the CLI, the link and the controls accept the same values."""
import ast
import dataclasses
from pathlib import Path

import pytest

from nnlab.cli.main import build_parser
from nnlab.cli.settings_flags import config_from_args
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import ConfigError
from nnlab.config.settings import SETTINGS, offered, shown

ROOT = Path(__file__).resolve().parents[1]
# The edges of every numeric range, and a value of each choice, on data sets where they apply.
EDGES = [
    {"dataset": "spiral", "samples": 20_000, "noise": 0.5},
    {"dataset": "spiral", "samples": 50, "noise": 0.0},
    {"dataset": "circle", "features": ("x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2")},
    {"epochs": 1000, "early_stopping": 1000, "batch_size": 100_000, "learning_rate": 100.0},
    {"epochs": 1, "early_stopping": 0, "batch_size": 1, "learning_rate": 1e-9},
    {"train_size": 10_000_000, "validation_fraction": 0.5, "seed": 2**31 - 1, "dropout": 0.9, "l1": 1.0, "l2": 1.0},
    {"train_size": 10, "validation_fraction": 0.05, "seed": 0, "hidden": (2048,) * 10, "batch_norm": True},
    {"dataset": "iris", "test_fraction": 0.5, "hidden": (), "activation": "gaussian", "optimizer": "lion",
     "loss": "cross_entropy", "encoding": "label"},
    {"dataset": "diabetes", "test_fraction": 0.05, "learning_rate": 0.087, "batch_size": 7, "epochs": 777},
]


def test_the_table_describes_every_field_of_runconfig_and_nothing_else():
    assert sorted(SETTINGS) == sorted(field.name for field in dataclasses.fields(RunConfig))
    for setting in SETTINGS.values():
        default = getattr(RunConfig(), setting.name)
        setting.check(default)  # every default is inside its own range
        for value in setting.suggested:
            setting.check(value if setting.kind != "layers" else (value,))


@pytest.mark.parametrize("values", EDGES)
def test_a_valid_setting_is_accepted_alike_by_runconfig_the_cli_and_the_link(values):
    config = RunConfig(**values)
    link_config, problems = RunConfig.from_link(config.to_link())
    assert problems == [] and link_config == config
    argv = ["train"] + [part for name, text in config.to_link().items()
                        for part in ([SETTINGS[name].cli_flag] if SETTINGS[name].kind == "bool" else
                                     [SETTINGS[name].cli_flag, text])]
    assert config_from_args(build_parser().parse_args(argv)) == config


@pytest.mark.parametrize("name, value", [("epochs", "1001"), ("samples", "49"), ("early_stopping", "-1"),
                                         ("learning_rate", "0"), ("dropout", "0.95"), ("hidden", "4096")])
def test_a_value_beyond_the_range_is_refused_alike_with_the_setting_named(name, value):
    with pytest.raises(ConfigError, match=name.split("_")[0] if name != "hidden" else "hidden layer 1"):
        RunConfig.from_dict({name: value})
    _, problems = RunConfig.from_link({name: value})
    assert len(problems) == 1 and (name in problems[0] or "hidden" in problems[0])
    with pytest.raises(ConfigError):
        config_from_args(build_parser().parse_args(["train", SETTINGS[name].cli_flag, value]))


def test_links_never_carry_or_accept_a_server_file():
    config = RunConfig(dataset="csv", csv_path="/etc/passwd", target="root")
    assert "csv_path" not in config.to_link()
    accepted, problems = RunConfig.from_link({"csv_path": "/etc/passwd", "epochs": "3"})
    assert accepted.csv_path == "" and accepted.epochs == 3 and "csv_path" in problems[0]


def test_a_stepped_control_offers_any_valid_value_it_is_given():
    assert 777 in offered(SETTINGS["epochs"], 777) and offered(SETTINGS["epochs"], 777) == sorted(
        offered(SETTINGS["epochs"], 777))
    assert set(SETTINGS["epochs"].suggested) <= set(offered(SETTINGS["epochs"], 777))


def test_only_the_ui_package_imports_streamlit():
    """Nor Starlette: the backend serves no HTTP (the live route is ui/live_route.py's)."""
    offenders = []
    for path in (ROOT / "nnlab").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "nnlab").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] in ("streamlit", "starlette") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_values_are_shown_as_people_read_them_and_never_with_server_folders():
    from nnlab.store.table import settings_frame

    assert shown("hidden", (128, 64)) == "128, 64" and shown("hidden", ()) == "none"
    assert shown("csv_path", "/srv/nnlab/runs/workspaces/abc/.uploads/0123456789abcdef.csv") == "0123456789abcdef.csv"
    config = RunConfig(dataset="csv", csv_path="/srv/nnlab/secret/data.csv", target="y")
    assert "/srv" not in settings_frame([config], ["run"]).to_csv()


def test_input_features_are_a_setting_in_the_table_order_whatever_order_they_are_given_in():
    config = RunConfig.from_dict({"dataset": "circle", "features": "sin_x2, x1_squared,x1"})
    assert config.features == ("x1", "x1_squared", "sin_x2")
    assert config.to_link()["features"] == "x1,x1_squared,sin_x2"
    assert RunConfig.from_link(config.to_link()) == (config, [])
    argv = ["train", "--dataset", "circle", "--features", "x1_squared,x2_squared"]
    assert config_from_args(build_parser().parse_args(argv)).features == ("x1_squared", "x2_squared")
    assert RunConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize("text, says", [("", "at least one"), ("x1,x3", "'x3' is not one of"), ("x1,x1", "twice")])
def test_a_wrong_list_of_input_features_is_refused_with_what_is_allowed(text, says):
    _, problems = RunConfig.from_link({"features": text})
    assert len(problems) == 1 and "features" in problems[0] and says in problems[0]
