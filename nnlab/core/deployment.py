"""The deployer's settings (`NNLAB_*` environment variables), read once into one `Deployment`.

`app.py` and the CLI's `main` read them first, so a bad value stops the start with a message naming
every bad variable ("NNLAB_X must be …, got '…'"), not a traceback on some page later. Everything
else asks `current()` for the one object (or is handed a value from it); no other module of nnlab
reads an `NNLAB_*` variable (tests/test_deployment.py holds this). Tests install another Deployment
with `install` (the `deployment` fixture of tests/conftest.py).
"""
from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: runs/ is beside nnlab/ by default
RUNS_MODES = ("auto", "shared", "private")
TRAINING_MODES = ("auto", "in-process", "workers")  # where training happens (serving/placement.py)
_MB = 1_000_000


class DeploymentError(ValueError):
    """One or more NNLAB_* variables are invalid: the message names each, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _numeric(variable: str, default: float, what: str, *, whole: bool = False, minimum: float = 0.0,
             inclusive: bool = True):
    """A field read from `variable` as a number (`_parse_number`): its default, and how it is checked."""
    return field(default=int(default) if whole else float(default),
                 metadata={"variable": variable, "what": what, "whole": whole, "minimum": minimum,
                           "inclusive": inclusive})


def _parse_number(variable: str, text: str | None, default: float, *, what: str, whole: bool = False,
                  minimum: float = 0.0, inclusive: bool = True) -> float:
    """`text`'s value (or `default` when None or blank); a ValueError saying `variable must be {what},
    got '…'` for anything else: not a number, not finite, below `minimum` (or at it, unless `inclusive`)."""
    text = (text or "").strip() or str(default)
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= minimum if inclusive else value > minimum)):
        raise ValueError(f"{variable} must be {what}, got {text!r}")
    return value


@dataclass(frozen=True)
class Deployment:
    """One field per deployer setting, in the deployer's units (README's table of settings)."""

    max_training: int = _numeric("NNLAB_MAX_TRAINING", 2, "a whole number of at least 1", whole=True, minimum=1)
    max_compute: float = _numeric("NNLAB_MAX_COMPUTE", 1e12,
                                 "a number of units of compute like 2e12 (0 = no limit)")
    abandon_seconds: float = _numeric("NNLAB_ABANDON_SECONDS", 60, "a number of seconds above 0", inclusive=False)
    upload_quota_mb: float = _numeric("NNLAB_UPLOAD_QUOTA_MB", 100, "a positive number of megabytes",
                                     inclusive=False)
    upload_days: float = _numeric("NNLAB_UPLOAD_DAYS", 30, "a number of days above 0", inclusive=False)
    server_upload_quota_mb: float = _numeric("NNLAB_SERVER_UPLOAD_QUOTA_MB", 2000, "a positive number of megabytes",
                                            inclusive=False)
    runs: str = field(default="auto", metadata={"variable": "NNLAB_RUNS"})
    runs_dir: Path = field(default=ROOT / "runs", metadata={"variable": "NNLAB_RUNS_DIR"})
    database_url: str | None = field(default=None, metadata={"variable": "NNLAB_DATABASE_URL"})
    max_model_mb: float = _numeric("NNLAB_MAX_MODEL_MB", 100, "a number of megabytes above 0", inclusive=False)
    workspace_models_mb: float = _numeric("NNLAB_WORKSPACE_MODELS_MB", 300, "a number of megabytes (0 = no quota)")
    server_models_mb: float = _numeric("NNLAB_SERVER_MODELS_MB", 5000, "a number of megabytes (0 = no quota)")
    data_cache_mb: float = _numeric("NNLAB_DATA_CACHE_MB", 600,
                                   "a number of megabytes (0 = keep nothing nobody uses)")
    save_retry_seconds: float = _numeric("NNLAB_SAVE_RETRY_SECONDS", 60, "a number of seconds")
    search_max_trials: int = _numeric("NNLAB_SEARCH_MAX_TRIALS", 100, "a whole number of at least 1",
                                     whole=True, minimum=1)
    search_max_minutes: int = _numeric("NNLAB_SEARCH_MAX_MINUTES", 60, "a whole number of at least 1",
                                      whole=True, minimum=1)
    max_pause_minutes: float = _numeric("NNLAB_MAX_PAUSE_MINUTES", 10, "a number of minutes above 0",
                                       inclusive=False)
    max_pause_waited_minutes: float = _numeric("NNLAB_MAX_PAUSE_WAITED_MINUTES", 2, "a number of minutes above 0",
                                              inclusive=False)
    max_visitor_rows: int = _numeric("NNLAB_MAX_VISITOR_ROWS", 100_000, "a whole number of rows, 1 or more",
                                    whole=True, minimum=1)
    poll_seconds: float = _numeric("NNLAB_POLL_SECONDS", 1.0, "a number of seconds above 0", inclusive=False)
    # auto: in the web process with SQLite, on workers fed by the queue with PostgreSQL; in-process: always
    # here (one PostgreSQL server without workers); workers: always on workers (needs PostgreSQL).
    training: str = field(default="auto", metadata={"variable": "NNLAB_TRAINING"})
    tf_threads: int = _numeric("NNLAB_TF_THREADS", 1, "a whole number of threads (0: TensorFlow chooses)",
                              whole=True, minimum=0)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Deployment:
        """Every setting read at once; a DeploymentError naming every bad variable, not only the first."""
        values, problems = {}, []
        for setting in dataclasses.fields(cls):
            variable = setting.metadata["variable"]
            text = environ.get(variable)
            try:
                values[setting.name] = _read(setting, variable, text)
            except ValueError as error:
                problems.append(str(error))
        if problems:
            raise DeploymentError(problems)
        return cls(**values)

    # --- the same settings in the units the code counts in ---------------------------------------
    @property
    def compute_limit(self) -> float:
        """The compute one run may use; infinity when NNLAB_MAX_COMPUTE is 0 (no limit)."""
        return self.max_compute or math.inf

    @property
    def upload_quota_bytes(self) -> int:
        return int(self.upload_quota_mb * _MB)

    @property
    def server_upload_quota_bytes(self) -> int:
        return int(self.server_upload_quota_mb * _MB)

    @property
    def upload_keep_seconds(self) -> float:
        return self.upload_days * 86_400

    @property
    def data_cache_bytes(self) -> int:
        return int(self.data_cache_mb * 2 ** 20)

    @property
    def max_pause_seconds(self) -> float:
        return self.max_pause_minutes * 60

    @property
    def max_pause_waited_seconds(self) -> float:
        """The shorter bound while someone waits for a slot: never longer than the bound alone."""
        return min(self.max_pause_minutes, self.max_pause_waited_minutes) * 60


def _read(setting: dataclasses.Field, variable: str, text: str | None):
    if setting.name == "runs":
        mode = (text or "").strip().lower() or setting.default
        if mode not in RUNS_MODES:
            raise ValueError(f"{variable} must be auto, shared or private, got {text!r}")
        return mode
    if setting.name == "training":
        mode = (text or "").strip().lower() or setting.default
        if mode not in TRAINING_MODES:
            raise ValueError(f"{variable} must be auto, in-process or workers, got {text!r}")
        return mode
    if setting.name == "runs_dir":
        return Path(text) if text and text.strip() else setting.default
    if setting.name == "database_url":
        return text.strip() if text and text.strip() else None
    options = setting.metadata
    return _parse_number(variable, text, setting.default, what=options["what"], whole=options["whole"],
                         minimum=options["minimum"], inclusive=options["inclusive"])


# --- the process's one Deployment ----------------------------------------------------------------
_CURRENT: Deployment | None = None
_LOCK = threading.Lock()


def current() -> Deployment:
    """The process's settings, read from the environment at the first call (app.py and the CLI make
    that call first, so a bad value stops them at start) and kept."""
    global _CURRENT
    with _LOCK:
        if _CURRENT is None:
            _CURRENT = Deployment.from_environment()
        return _CURRENT


def install(deployment: Deployment | None) -> Deployment | None:
    """Make `deployment` the process's (None: read the environment again at the next `current()`);
    returns the one it replaces. For tests, and for a process that builds its settings itself."""
    global _CURRENT
    with _LOCK:
        previous, _CURRENT = _CURRENT, deployment
        return previous
