"""The settings as command-line flags: one flag per entry of the settings table, and a RunConfig
from the flags and an optional --config file. Shared by `train`, `lr-find` and `search`."""
from __future__ import annotations

import argparse

from nnlab.config.run_config import RunConfig
from nnlab.config.settings import SETTINGS, parse_hidden
from nnlab.core.errors import UserError


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, from the table the controls use too."""
    for setting in SETTINGS.values():
        kwargs: dict = {"dest": setting.name, "default": None, "help": setting.help.replace("%", "%%")}
        if setting.kind == "bool":
            kwargs["action"] = argparse.BooleanOptionalAction
        elif setting.kind == "layers":
            kwargs["type"] = _hidden
        else:
            kwargs["type"] = {"int": int, "float": float}.get(setting.kind, str)
        if setting.kind == "choice" and setting.name != "dataset":  # data sets: `nnlab datasets`, checked later
            kwargs["choices"] = list(setting.options())
        parser.add_argument(setting.cli_flag, **kwargs)


def _hidden(text: str) -> tuple[int, ...]:
    try:
        return parse_hidden(text)
    except UserError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def settings_file(path: str | None) -> dict:
    """The settings in a JSON file named by --config ({} without one), checked as a RunConfig."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return RunConfig.from_json(handle.read()).to_dict()
    except OSError as error:
        raise UserError(f"cannot read the settings file {path}: {error.strerror}") from None


def config_from_args(args: argparse.Namespace) -> RunConfig:
    base = settings_file(args.config)
    for name in SETTINGS:
        value = getattr(args, name)
        if value is not None:
            base[name] = value
    if base.get("csv_path") and "dataset" not in base:
        base["dataset"] = "csv"
    return RunConfig.from_dict(base)
