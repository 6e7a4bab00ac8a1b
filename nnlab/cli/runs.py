"""The CLI's side of the run store: `train` records its run epoch by epoch (as the dashboard does, in
the shared workspace a localhost page shows), `python -m nnlab runs` lists them and
`python -m nnlab export RUN_ID` writes one out as files.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nnlab.store import database
from nnlab.core.errors import UserError
from nnlab.core.jsonsafe import json_safe
from nnlab.training.architecture import count_params, layer_specs
from nnlab.store.runs import HEARTBEAT_SECONDS, SHARED, STORE_ERRORS, RunStore, open_store
from nnlab.core.safe_text import spreadsheet_csv
from nnlab.core.status import Status


def add_database_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL", default=None,
                        help="where runs are kept: postgresql://user:password@host/name, or sqlite:///file "
                             "(default: NNLAB_DATABASE_URL, else runs/nnlab.sqlite)")
    parser.add_argument("--workspace", default=SHARED,
                        help="the workspace of the runs (default: shared, the one a page on this computer shows)")


def add_parsers(commands) -> None:
    listing = commands.add_parser("runs", help="list the kept runs, newest first")
    add_database_flags(listing)
    listing.add_argument("--json", action="store_true", help="print the runs as one JSON list (last line of stdout)")
    export = commands.add_parser("export", help="write a run's history (CSV), settings (JSON) and model (.keras)")
    export.add_argument("run_id", metavar="RUN_ID", help="the run's id, as `python -m nnlab runs` shows it")
    export.add_argument("--out", default=".", metavar="FOLDER", help="where to write the files (default: here)")
    add_database_flags(export)


def store_of(args: argparse.Namespace) -> RunStore:
    """The store the flags name, checked now: an unusable database is one clear line, before any training."""
    store = open_store(args.database, args.workspace)
    store.engine()
    return store


class Recorder:
    """Keeps a CLI run in the store as it trains: created at the start, each epoch written when it
    ends, a heartbeat while an epoch runs, the end (and the model) at the end."""

    def __init__(self, store: RunStore, config, dataset, extra: dict | None = None):
        specs = layer_specs(config, dataset.n_features, dataset.n_outputs, dataset.task)
        self.store = store
        self.run_id = store.create(config, dataset_title=dataset.title, task=dataset.task, params=count_params(specs),
                                   train_examples=dataset.n_train, extra=extra)
        self.history: list[dict] = []
        self._last_beat = time.monotonic()
        self._saving = True

    def epoch(self, row: dict) -> None:
        self.history.append(row)
        self._save(lambda: self.store.save_history(self.run_id, list(self.history)))
        self._last_beat = time.monotonic()

    def progress(self, *_args) -> None:
        if time.monotonic() - self._last_beat >= HEARTBEAT_SECONDS:
            self.store.beat(self.run_id)
            self._last_beat = time.monotonic()

    def finish(self, result) -> None:
        self._save(lambda: self.store.finish(
            self.run_id, status=result.status, message=result.message, test=result.test,
            verdict=result.verdict.to_dict(), history=result.history, model=result.model if result.history else None))

    def failed(self, message: str) -> None:
        self.store.mark_failed(self.run_id, message)

    def _save(self, write) -> None:
        """The database failing mid-run must not lose the training: say so once, train on."""
        if not self._saving:
            return
        try:
            write()
        except STORE_ERRORS as error:
            self._saving = False
            print(f"nnlab: warning: run {self.run_id} is no longer being saved ({error}); training goes on",
                  file=sys.stderr)


def train_recorded(config, dataset, store: RunStore | None, stop, *, quiet: bool = False, extra: dict | None = None):
    """Train one run of `train` (each seed of `train --seeds`), kept in `store` (None: not kept) epoch by
    epoch, its progress on stderr: (the RunResult, its run id or None)."""
    from nnlab.training.train import train  # only now: TensorFlow takes seconds to import

    recorder = None
    if store is not None:
        recorder = Recorder(store, config, dataset, extra)
        print(f"run {recorder.run_id} (kept; `python -m nnlab runs` lists it)", file=sys.stderr)

    def on_epoch(row: dict) -> None:
        if recorder:
            recorder.epoch(row)
        if not quiet:
            print(epoch_line(row, config.epochs), file=sys.stderr, flush=True)

    try:
        result = train(config, dataset, on_epoch=on_epoch, stop=stop, on_progress=recorder and recorder.progress)
    except BaseException as error:
        if recorder:
            recorder.failed(str(error) if isinstance(error, UserError) else f"Training failed ({type(error).__name__}).")
        raise
    if recorder:
        recorder.finish(result)
    return result, recorder.run_id if recorder else None


def epoch_line(row: dict, epochs: int) -> str:
    parts = [f"epoch {row['epoch']}/{epochs}"]
    for key, value in row.items():
        if key in ("epoch", "learning_rate", "l1", "l2", "seconds"):
            continue
        parts.append(f"{key} {value:.2%}" if "accuracy" in key else f"{key} {value:.4g}")
    parts.append(f"{row['seconds']:.2f} s")
    return "  ".join(parts)


def run_list(args: argparse.Namespace) -> int:
    store = store_of(args)
    runs, damaged = store.list()
    if args.json:
        print(json.dumps(json_safe([_summary(run) for run in runs]), allow_nan=False))
        return 0
    if not runs:
        print(f"no runs in {database.shown(store.url)} ({store.workspace})")
    for run in runs:
        test = ", ".join(f"{k} {v:.4g}" for k, v in run.test.items() if v is not None)
        print(f"{run.id}  {run.status:<13} {run.epochs_run:>4} epochs  {run.config.dataset:<14} "
              f"{run.label or '-':<30.30}  {test}")
    for entry in damaged:
        print(f"{entry.id}  cannot be read: {entry.reason}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    store = store_of(args)
    run = store.load(args.run_id)
    folder = Path(args.out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / f"{run.id}-history.csv", folder / f"{run.id}-settings.json"]
        written[0].write_text(spreadsheet_csv(run.history), encoding="utf-8")
        written[1].write_text(json.dumps(run.config.to_dict(), indent=2), encoding="utf-8")
        model = store.model_bytes(run.id)
        if model is not None:
            written.append(folder / f"{run.id}.keras")
            written[-1].write_bytes(model)
    except OSError as error:
        raise UserError(f"cannot write to {folder}: {error.strerror or error}") from None
    for path in written:
        print(path)
    if model is None:
        print(f"note: run {run.id} has no kept model", file=sys.stderr)
    return 0


def _summary(run) -> dict:
    return {"id": run.id, "status": str(run.status), "epochs_run": run.epochs_run, "label": run.label,
            "created": run.created, "dataset": run.config.dataset, "config": run.config.to_dict(),
            "test": run.test, "verdict": run.verdict.get("kind"), "best": list(run.best) if run.best else None,
            "extra": run.extra, "finished": run.status not in (Status.RUNNING, Status.QUEUED)}
