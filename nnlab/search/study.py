"""Hyperparameter search on Optuna: the knobs and their ranges, the study, and what a trial reports.

A search space is one `Range` per knob, typed like `learning_rate=1e-4..1e-1:log`, `layers=1..3` or
`activation=relu,tanh` (the CLI's --space, the page's controls). A trial is one nnlab run: its
settings are the base RunConfig with the knobs the sampler chose (`config_for`), its figure the best
validation accuracy over its epochs (validation mean absolute error for regression, minimized), and
each epoch's figure is reported so the pruner can cut a hopeless trial early.

The study lives in the same database as the runs (store/database.py): one machine by default, many
machines or worker processes with a PostgreSQL URL. Studies are named `<workspace>/<name>` under the
hood, so a visitor of a class only ever sees their own workspace's studies.
"""
from __future__ import annotations

import dataclasses
import math
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from nnlab.store import database
from nnlab.core import deployment
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import ConfigError, UserError
from nnlab.config.settings import MAX_LAYERS, MAX_WIDTH, SETTINGS, split_values
from nnlab.core.tasks import CLASSIFICATION, metric_names

SAMPLERS = {
    "tpe": "TPE (Optuna's default): after a few random trials, tries more where good trials were.",
    "random": "Random: every trial drawn at random from the ranges; a fair baseline.",
    "grid": "Grid: the ranges' ends and middle, every combination once (in random order).",
}
PRUNERS = {
    "median": "Median: cut a trial whose validation figure is below the median of earlier trials at the same epoch.",
    "hyperband": "Hyperband: compare trials in brackets and keep the best third at each round.",
    "none": "None: every trial trains all its epochs.",
}
PRUNE_AFTER_TRIALS = 3  # the median pruner waits for this many finished trials before cutting any
PRUNE_FROM_EPOCH = 2  # and never judges the first epoch (a single epoch says little)


# --- the knobs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Knob:
    title: str
    kind: str  # "float", "int" or "choice"
    low: float = 0.0  # the widest range allowed: the settings table's (config/settings.py)
    high: float = 0.0
    choices: tuple[str, ...] = ()
    low_open: bool = False  # low itself is not allowed (a learning rate of 0)

    def allows(self, low: float, high: float) -> bool:
        return (self.low < low if self.low_open else self.low <= low) and high <= self.high

    def bounds_text(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


def _setting_knob(name: str) -> Knob:
    """A knob that is a setting: its label, kind, bounds or choices, all from the settings table (the
    ones its control on Train and the CLI accept). A search's default ranges may be narrower."""
    setting = SETTINGS[name]
    if setting.kind == "choice":
        return Knob(setting.label, "choice", choices=tuple(setting.options()))
    return Knob(setting.label, setting.kind, setting.low, setting.high, low_open=setting.low_open)


# Layers and neurons together make the `hidden` setting, whose table entry allows up to MAX_LAYERS
# layers of 1 to MAX_WIDTH neurons (settings._check_layers).
KNOBS: dict[str, Knob] = {
    "learning_rate": _setting_knob("learning_rate"),
    "layers": Knob(SETTINGS["hidden"].label, "int", 0, MAX_LAYERS),
    "neurons": Knob("Neurons per hidden layer", "int", 1, MAX_WIDTH),
    "activation": _setting_knob("activation"),
    "optimizer": _setting_knob("optimizer"),
    "dropout": _setting_knob("dropout"),
    "l2": _setting_knob("l2"),
    "batch_size": _setting_knob("batch_size"),
}


def knob_settings_text(values: Mapping[str, object]) -> str:
    """A trial's knobs as the controls name them, e.g. "Learning rate 0.0123 · Batch size 32" (a trials
    table's row holds other columns too, and NaN where a trial lacks a knob)."""
    return " · ".join(f"{KNOBS[name].title} {_shown(value)}" for name, value in values.items()
                      if name in KNOBS and not (value is None or (isinstance(value, float) and math.isnan(value))))


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


@dataclass(frozen=True)
class Range:
    """The values one knob may take in a search: low..high (on a log scale or not), or choices."""

    knob: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return KNOBS[self.knob].kind

    def suggest(self, trial):
        if self.kind == "choice":
            return trial.suggest_categorical(self.knob, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.knob, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.knob, self.low, self.high, log=self.log)

    def grid(self) -> list:
        """The values a grid search tries: every choice, or the ends and the middle of the range."""
        if self.kind == "choice":
            return list(self.choices)
        if self.low == self.high:
            return [self.low]
        middle = math.sqrt(self.low * self.high) if self.log else (self.low + self.high) / 2
        points = [self.low, middle, self.high]
        return sorted({int(round(p)) for p in points}) if self.kind == "int" else points

    def text(self) -> str:
        """As typed: learning_rate=0.0001..0.1:log, activation=relu,tanh."""
        if self.kind == "choice":
            return f"{self.knob}={','.join(self.choices)}"
        number = (lambda v: str(int(v))) if self.kind == "int" else (lambda v: f"{v:g}")
        return f"{self.knob}={number(self.low)}..{number(self.high)}{':log' if self.log else ''}"


Space = dict[str, Range]


def parse_range(text: str) -> Range:
    """'learning_rate=1e-4..1e-1:log', 'layers=1..3', 'activation=relu,tanh' → a checked Range; a
    ConfigError saying what to write otherwise."""
    name, equals, values = str(text).partition("=")
    name = name.strip()
    if not equals or name not in KNOBS:
        raise ConfigError(f"cannot read the range {str(text)[:80]!r}: write knob=low..high (add :log for a log "
                          f"scale) or knob=a,b,c, where knob is one of {', '.join(KNOBS)}")
    knob = KNOBS[name]
    if knob.kind == "choice":
        choices = tuple(dict.fromkeys(split_values(values)))
        unknown = [c for c in choices if c not in knob.choices]
        if not choices or unknown:
            raise ConfigError(f"{name} takes values from {', '.join(knob.choices)} separated by commas"
                              + (f"; {unknown[0][:40]!r} is not one of them" if unknown else ""))
        return Range(name, choices=choices)
    bounds, _, scale = values.partition(":")
    low_text, dots, high_text = bounds.partition("..")
    if not dots:
        raise ConfigError(f"{name} needs a range like {example_range(name)}, got {values[:60]!r}")
    low, high = _number(name, low_text.strip(), knob), _number(name, high_text.strip(), knob)
    scale = scale.strip().lower()
    if scale not in ("", "log", "linear"):
        raise ConfigError(f"{name}: the scale after ':' is 'log' or 'linear', got {scale[:20]!r}")
    if low > high:
        raise ConfigError(f"{name}: the low end {low:g} is above the high end {high:g}; write low..high")
    if not knob.allows(low, high):
        raise ConfigError(f"{name} must stay within {knob.bounds_text()}, got {low:g}..{high:g}")
    if scale == "log" and low <= 0:
        raise ConfigError(f"{name}: a log scale needs a range above 0 (e.g. {example_range(name)}), got {low:g}..{high:g}")
    return Range(name, low, high, log=scale == "log")


def parse_space(texts: list[str]) -> Space:
    """Several ranges (each at most once) → a Space in the order typed."""
    space: Space = {}
    for text in texts:
        found = parse_range(text)
        if found.knob in space:
            raise ConfigError(f"{found.knob} has two ranges ({space[found.knob].text()} and {found.text()}); keep one")
        space[found.knob] = found
    if not space:
        raise ConfigError(f"a search needs at least one knob to vary, e.g. {example_range('learning_rate')}")
    return space


def _number(name: str, text: str, knob: Knob) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (knob.kind == "int" and not value.is_integer()):
        raise ConfigError(f"{name}: {text[:30]!r} is not {'a whole number' if knob.kind == 'int' else 'a number'}; "
                          f"write a range like {example_range(name)}")
    return int(value) if knob.kind == "int" else value


def example_range(name: str) -> str:
    """How a range of this knob is typed, e.g. learning_rate=1e-4..1e-1:log."""
    if KNOBS[name].kind == "choice":
        return f"{name}={','.join(KNOBS[name].choices[:3])}"
    return {"learning_rate": "learning_rate=1e-4..1e-1:log", "layers": "layers=1..3",
            "neurons": "neurons=16..256:log", "dropout": "dropout=0..0.5", "l2": "l2=1e-6..1e-2:log",
            "batch_size": "batch_size=16..256:log"}.get(name, f"{name}=a,b")


def default_space(dataset: str) -> Space:
    """Sensible ranges for a data set: images get wider networks and bigger batches than the small
    tables and the Playground's 2-D sets."""
    from nnlab.data.datasets import dataset_info

    images = dataset_info(dataset).kind == "image"
    return parse_space([
        "learning_rate=1e-4..3e-1:log",
        "layers=1..3",
        "neurons=16..256:log" if images else "neurons=4..64:log",
        "activation=relu,tanh,sigmoid",
        "optimizer=adam,sgd_momentum,rmsprop",
        "dropout=0..0.5",
        "batch_size=32..256:log" if images else "batch_size=8..64:log",
    ])


def config_for(base: RunConfig, params: dict) -> RunConfig:
    """The base settings with the knobs a trial chose: layers × neurons make the hidden layers (a
    knob left out keeps the base's depth or width)."""
    values = {name: value for name, value in params.items() if name not in ("layers", "neurons")}
    if "layers" in params or "neurons" in params:
        width = params.get("neurons", base.hidden[0] if base.hidden else 32)
        values["hidden"] = (int(width),) * int(params.get("layers", len(base.hidden) or 1))
    return dataclasses.replace(base, **values)


def largest(base: RunConfig, space: Space) -> RunConfig:
    """The costliest settings the space allows (most layers and neurons, smallest batch): what the
    compute budget is checked against before a search starts."""
    corner = {name: r.high for name, r in space.items() if name in ("layers", "neurons")}
    if "batch_size" in space:
        corner["batch_size"] = space["batch_size"].low
    return config_for(base, corner)


# --- what a trial is judged by ------------------------------------------------------------------

@dataclass(frozen=True)
class Objective:
    """The figure a search improves: a history column, and whether larger is better."""

    column: str  # val_accuracy or val_mae
    maximize: bool

    @property
    def direction(self) -> str:
        return "maximize" if self.maximize else "minimize"

    @property
    def words(self) -> str:
        return "validation accuracy" if self.column == "val_accuracy" else "validation mean absolute error"

    def shown(self, value: float) -> str:
        return f"{value:.1%}" if self.column == "val_accuracy" else f"{value:.4g}"

    def best(self, history: list[dict]) -> float | None:
        """The trial's figure: its best epoch's, ignoring epochs whose figure is not a number."""
        values = [row.get(self.column) for row in history]
        values = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
        if not values:
            return None
        return max(values) if self.maximize else min(values)


def objective_for(task: str) -> Objective:
    return Objective(metric_names(task)[1], maximize=task == CLASSIFICATION)


def pruned_message(pruner: str, epochs: int, objective: Objective, value: float, median: float | None) -> str:
    """Why a trial was cut, in words a student reads."""
    worse = "below" if objective.maximize else "above"
    if pruner == "median" and median is not None:
        return (f"Pruned after {epochs} epoch{'s' if epochs != 1 else ''}: its {objective.words} "
                f"({objective.shown(value)}) was {worse} the median of earlier trials at that epoch "
                f"({objective.shown(median)}), so it was stopped to try other settings.")
    return (f"Pruned after {epochs} epoch{'s' if epochs != 1 else ''}: its {objective.words} "
            f"({objective.shown(value)}) was among the worse of the trials compared at that epoch (Hyperband), so it "
            f"was stopped to try other settings.")


def median_at(study, epoch: int, exclude: int) -> float | None:
    """The median figure at `epoch` of the study's completed trials (what the median pruner compares)."""
    import optuna

    values = [t.intermediate_values[epoch] for t in study.get_trials(deepcopy=False, states=(
        optuna.trial.TrialState.COMPLETE,)) if t.number != exclude and epoch in t.intermediate_values and math.isfinite(t.intermediate_values[epoch])]
    return statistics.median(values) if values else None


# --- the search's plan --------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchPlan:
    """Everything one search needs besides where it is stored."""

    base: RunConfig  # the settings every trial starts from (data set, epochs, seed …)
    space: Space
    trials: int = 30
    minutes: float | None = None  # stop starting trials (and end the current one) after this long
    sampler: str = "tpe"
    pruner: str = "median"
    sampler_seed: int | None = None  # fixed: the same trials every time (tests, benchmarks)

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"sampler {self.sampler!r} is not one of: {', '.join(SAMPLERS)}")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"pruner {self.pruner!r} is not one of: {', '.join(PRUNERS)}")
        if self.trials < 1:
            raise ConfigError(f"a search needs at least 1 trial, got {self.trials}")
        if self.minutes is not None and not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise ConfigError(f"the time limit must be a number of minutes above 0, got {self.minutes}")
        config_for(self.base, {name: r.grid()[0] for name, r in self.space.items()})  # a ConfigError if none fits

    def within_page_limits(self) -> None:
        """A page's search is one request on one training slot, bounded so a class shares the server:
        at most NNLAB_SEARCH_MAX_TRIALS trials and NNLAB_SEARCH_MAX_MINUTES."""
        settings = deployment.current()
        most_trials, most_minutes = settings.search_max_trials, settings.search_max_minutes
        if self.trials > most_trials:
            raise ConfigError(f"{self.trials} trials is more than this server allows for one search ({most_trials}); "
                              f"use fewer trials, or run more from the command line (README: Searching)")
        if self.minutes is None or self.minutes > most_minutes:
            raise ConfigError(f"a search on this server may last at most {most_minutes} minutes; set a time limit "
                              f"of {most_minutes} or less")

    def grid_size(self) -> int:
        return math.prod(len(r.grid()) for r in self.space.values())

    def make_sampler(self):
        import optuna

        if self.sampler == "grid":
            class Grid(optuna.samplers.GridSampler):
                def after_trial(self, *args) -> None:
                    """Optuna's would call study.stop() once every combination was tried, which raises
                    outside study.optimize(); a search asks and tells, and ends itself (grid_size)."""

            return Grid({name: r.grid() for name, r in self.space.items()}, seed=self.sampler_seed)
        if self.sampler == "random":
            return optuna.samplers.RandomSampler(seed=self.sampler_seed)
        return optuna.samplers.TPESampler(seed=self.sampler_seed)

    def make_pruner(self):
        import optuna

        if self.pruner == "median":
            return optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER_TRIALS, n_warmup_steps=PRUNE_FROM_EPOCH)
        if self.pruner == "hyperband":
            return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=self.base.epochs)
        return optuna.pruners.NopPruner()


# --- studies in the database --------------------------------------------------------------------

_STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$")
TABLE_RACE_ATTEMPTS = 5
_STORAGES: dict[str, object] = {}
_STORAGES_LOCK = threading.Lock()


def check_study_name(name: str) -> str:
    name = str(name).strip()
    if not _STUDY_NAME.match(name):
        raise ConfigError(f"a study name has 1–60 letters, digits, spaces, dots, dashes or underscores and starts "
                          f"with a letter or digit, got {name[:60]!r}")
    return name


def study_key(workspace: str, name: str) -> str:
    """The name Optuna stores: the workspace first, so each workspace sees only its own studies."""
    return f"{workspace}/{check_study_name(name)}"


def storage(url: str):
    """One Optuna RDBStorage per database per process (making it checks the tables each time)."""
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

    with _STORAGES_LOCK:
        found = _STORAGES.get(url)
        if found is None:
            optuna.logging.set_verbosity(optuna.logging.WARNING)  # each trial's line is ours to print
            kwargs = ({"connect_args": {"timeout": database.BUSY_MILLISECONDS / 1000}} if database.is_sqlite(url)
                      else {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}})
            database.engine(url)  # makes the SQLite file's folder, as the run store does
            for attempt in range(TABLE_RACE_ATTEMPTS):
                try:
                    found = optuna.storages.RDBStorage(database.driver_url(url), engine_kwargs=kwargs)
                    break
                except (IntegrityError, ProgrammingError) as error:
                    # Workers starting together race to create Optuna's tables in a new PostgreSQL
                    # database; the loser's tables exist a moment later.
                    if attempt == TABLE_RACE_ATTEMPTS - 1:
                        raise database.unavailable(url, error) from None
                    time.sleep(0.5 + random.random())
                except (SQLAlchemyError, OSError, RuntimeError) as error:
                    raise database.unavailable(url, error) from None
            _STORAGES[url] = found
        return found


def guarded(url: str, action: Callable):
    """`action()`, with a database that cannot be reached turned into StoreUnavailable."""
    from sqlalchemy.exc import OperationalError, InterfaceError

    try:
        return action()
    except (OperationalError, InterfaceError) as error:
        raise database.unavailable(url, error) from None


def open_study(url: str, key: str, plan: SearchPlan, task: str):
    """The study named `key`, made if new; a UserError if it exists for another data set or task."""
    import optuna

    objective = objective_for(task)
    wanted = {"dataset": plan.base.dataset, "objective": objective.column, "epochs": plan.base.epochs}

    def made():
        study = optuna.create_study(storage=storage(url), study_name=key, sampler=plan.make_sampler(),
                                    pruner=plan.make_pruner(), direction=objective.direction, load_if_exists=True)
        known = study.user_attrs
        if not known:
            for attribute, value in wanted.items():
                study.set_user_attr(attribute, value)
        elif any(known.get(a) != v for a, v in wanted.items() if a != "epochs"):
            raise UserError(f"the study {shown_name(key)!r} searched {known.get('dataset')} for "
                            f"{known.get('objective')}; give this search a new study name")
        return study

    return guarded(url, made)


def load_study(url: str, key: str):
    import optuna

    try:
        return guarded(url, lambda: optuna.load_study(study_name=key, storage=storage(url)))
    except KeyError:
        raise UserError(f"there is no study called {shown_name(key)!r} (deleted?)") from None


def study_names(url: str, workspace: str) -> list[str]:
    """The studies of one workspace, as their owner named them, newest first."""
    import optuna

    prefix = f"{workspace}/"
    names = guarded(url, lambda: optuna.get_all_study_names(storage(url)))
    return [shown_name(n) for n in reversed(names) if n.startswith(prefix)]


def shown_name(key: str) -> str:
    return key.split("/", 1)[-1]


def trial_label(key: str, number: int) -> str:
    return f"{shown_name(key)} · trial {number}"


def trials_frame(study):
    """One row per trial of the study: number, state, figure ("value"), epochs trained, its run and
    status, and each knob's value."""
    import pandas as pd

    rows = [{"trial": trial.number, "state": trial.state.name.lower(), "value": trial.value,
             "epochs": len(trial.intermediate_values), "run": trial.user_attrs.get("run_id", ""), **trial.params}
            for trial in study.get_trials(deepcopy=False)]
    return pd.DataFrame(rows, columns=["trial", "state", "value", "epochs", "run"] if not rows else None)


def space_of(study) -> Space:
    """The ranges a study's trials were drawn from: the pictures of an earlier study need no plan."""
    from optuna.distributions import CategoricalDistribution

    space: Space = {}
    for trial in study.get_trials(deepcopy=False):
        for name, drawn in trial.distributions.items():
            if name in KNOBS and name not in space:
                space[name] = (Range(name, choices=tuple(drawn.choices)) if isinstance(drawn, CategoricalDistribution)
                               else Range(name, drawn.low, drawn.high, log=drawn.log))
    return space


def objective_of(study) -> Objective:
    return objective_for(CLASSIFICATION if study.user_attrs.get("objective") == "val_accuracy" else "regression")
