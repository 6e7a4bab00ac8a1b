"""A class's board as tables (pure pandas past `board`): every shared run with its student's display name,
the best accuracy per parameter budget (the front), a leaderboard per data set, the verdicts counted,
the combined sweep of one setting, who is training now, and the CSV the teacher exports.

The board reads the runs of the class's students' workspaces (nnlab/store/classes.py says which runs
go there) and shows them by display name: never a workspace, never a run its student unticked or the
teacher removed; a hidden run only to the teacher, marked."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import pandas as pd

from nnlab.core.errors import UserError
from nnlab.core.status import FINISHED, Status
from nnlab.core.tasks import CLASSIFICATION
from nnlab.store import classes
from nnlab.store.runs import LIVE, Run, RunStore
from nnlab.store.table import KEY_SETTINGS, runs_frame
from nnlab.verdict.diagnose import KINDS

ON_BOARD = FINISHED - {Status.FAILED}  # a failed run has no result to show
ACCURACY = "accuracy"  # the board's figure: test accuracy where the run has one, else its best validation accuracy
# The settings the combined sweep offers (one axis each); the board's table shows them too.
SWEEPABLE = ("learning_rate", "neurons", "layers", "batch_size", "epochs", "dropout", "l2", "optimizer", "activation",
             "train_size")
LOG_SCALED = ("learning_rate", "l2", "neurons")
EXPORTED = ["student", "name", "dataset", "status", "verdict", "params", ACCURACY, "best val accuracy",
            "test accuracy", *KEY_SETTINGS, "epochs run", "hidden_entry", "id"]
HIDDEN = "hidden_entry"  # the teacher hid the run (not "hidden": the runs table's hidden layers)
# A watching board asks every few seconds; one read serves every watcher of a class on this server asking within
# this long, so a class of 30 watching costs one read per WATCH_SECONDS, not 30 (≈90 ms for 30 students).
WATCH_SECONDS = 2.0


@dataclass
class Board:
    school_class: classes.SchoolClass
    runs: pd.DataFrame | None  # one row per shared run (EXPORTED's columns, among others); None if not asked for
    training: pd.DataFrame  # who is training now: student, data set, epochs so far, run name
    students: int
    hidden_runs: int  # hidden by the teacher (in `runs` only for the teacher)
    entries: tuple[tuple[str, bool, str], ...]  # (run id, hidden, student) of each run in `runs`, in their order
    read_at: float = field(default_factory=time.monotonic)  # when its read began (this process's clock)


def board(url: str, class_id: str, *, teacher: bool = False, tables: bool = True) -> Board:
    """The class's board: its shared runs (the hidden ones too, marked, for the `teacher`), who trains now.
    Without `tables`, no table of the runs (their ids only): what a watching board asks every few seconds."""
    read_at = time.monotonic()
    school_class = classes.find(url, class_id)
    marks = classes.entries(url, class_id)
    shown, training, hidden = [], [], 0
    students = classes.members(url, class_id)
    for student in students:
        found, _ = RunStore(url, student.workspace).list()
        for run in found:
            if not classes.takes_run(school_class, student, run.created):
                continue
            mark = marks.get(run.id, {})
            if not classes.shared(run, marks) or mark.get("removed"):
                continue
            if run.status in LIVE:
                training.append({"student": student.name, "dataset": run.dataset_title or run.config.dataset,
                                 "epochs": f"{run.epochs_run} of {run.config.epochs}", "name": run.label})
            elif run.status in ON_BOARD and run.epochs_run:
                hidden += bool(mark.get("hidden"))
                if teacher or not mark.get("hidden"):
                    shown.append((student.name, bool(mark.get("hidden")), run))
    return Board(school_class, board_frame(shown) if tables else None,
                 pd.DataFrame(training, columns=["student", "dataset", "epochs", "name"]), len(students), hidden,
                 tuple((run.id, hidden, student) for student, hidden, run in shown), read_at)


_WATCHED: dict[tuple[str, str, bool], Board] = {}  # (database, class, teacher) → its last watch read
_WATCHED_LOCK = threading.Lock()


def watched(url: str, class_id: str, *, teacher: bool = False) -> Board:
    """`board(…, tables=False)` as a watching page asks it every few seconds: a read at most WATCH_SECONDS old,
    shared by every watcher of the class on this server (its `read_at` says when it began)."""
    key = (url, class_id, teacher)
    with _WATCHED_LOCK:
        found = _WATCHED.get(key)
    if found is not None and time.monotonic() - found.read_at < WATCH_SECONDS:
        return found
    found = board(url, class_id, teacher=teacher, tables=False)  # a UserError (the class ended) is not kept
    with _WATCHED_LOCK:
        if len(_WATCHED) >= 2 * classes.CLASSES_PER_SERVER:  # bounded: the stale ones go first, else all
            stale = [k for k, b in _WATCHED.items() if time.monotonic() - b.read_at >= WATCH_SECONDS]
            for gone in stale or list(_WATCHED):
                del _WATCHED[gone]
        _WATCHED[key] = found
    return found


def load_run(url: str, class_id: str, run_id: str) -> tuple[str, Run]:
    """A run on the board, with its history (Compare, Train), and its student's name; a UserError if it is
    not there for everyone to see (unshared, hidden, removed, or not this class's)."""
    found = load_runs(url, class_id, [run_id])
    if run_id not in found:
        raise UserError(f"run {str(run_id)[:40]} is not on the board of “{classes.find(url, class_id).name}”")
    return found[run_id]


def load_runs(url: str, class_id: str, run_ids: list[str]) -> dict[str, tuple[str, Run]]:
    """Those of `run_ids` on the class's board for everyone to see: run id → (student's name, the run with its
    history); one read of the board for them all. A UserError if the class is gone."""
    found = board(url, class_id, tables=False)
    students = {run: name for run, _, name in found.entries}
    workspaces = {m.name: m.workspace for m in classes.members(url, class_id)}
    return {run_id: (students[run_id], RunStore(url, workspaces[students[run_id]]).load(run_id))
            for run_id in dict.fromkeys(run_ids) if run_id in students}


def board_frame(entries: list[tuple[str, bool, Run]]) -> pd.DataFrame:
    """One row per (student, hidden, run): the runs table's columns, the student, the parameter count,
    the settings the sweep offers, and ACCURACY (test, else best validation; NaN for regression)."""
    if not entries:
        return pd.DataFrame(columns=[*EXPORTED, "task", "neurons", "layers"])
    runs = [run for _, _, run in entries]
    frame = runs_frame(runs).reset_index(drop=True)
    for column in ("best val accuracy", "test accuracy"):
        if column not in frame:
            frame[column] = math.nan
    frame.insert(1, "student", [student for student, _, _ in entries])
    frame[HIDDEN] = [hidden for _, hidden, _ in entries]
    frame["params"] = [run.params for run in runs]
    frame["task"] = [run.task for run in runs]
    frame["dataset"] = [run.dataset_title or run.config.dataset for run in runs]
    frame["neurons"] = [sum(run.config.hidden) for run in runs]
    frame["layers"] = [len(run.config.hidden) for run in runs]
    frame["learning_rate"] = [run.config.learning_rate for run in runs]  # a number, for the sweep's log axis
    frame["verdict_kind"] = [run.verdict.get("kind", "") for run in runs]
    frame[ACCURACY] = frame["test accuracy"].where(frame["test accuracy"].notna(), frame["best val accuracy"])
    frame.loc[frame["task"] != CLASSIFICATION, ACCURACY] = math.nan
    return frame


def front(frame: pd.DataFrame) -> pd.DataFrame:
    """The best accuracy per parameter budget, per data set: the runs no smaller run beats (a step up in
    accuracy at each), fewest parameters first."""
    rows = []
    scored = frame.dropna(subset=[ACCURACY]) if len(frame) else frame
    for _, runs in scored.groupby("dataset", sort=True) if len(scored) else []:
        best = -math.inf
        for _, row in runs.sort_values(["params", ACCURACY], ascending=[True, False]).iterrows():
            if row[ACCURACY] > best:
                best = row[ACCURACY]
                rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True) if rows else scored.iloc[0:0]


def leaderboard(frame: pd.DataFrame, dataset: str, most: int = 10) -> pd.DataFrame:
    """One data set's best runs, each student's best once: rank, student, accuracy, parameters, verdict,
    run name. Ties go to the smaller network."""
    runs = frame[(frame["dataset"] == dataset)].dropna(subset=[ACCURACY]) if len(frame) else frame
    if runs.empty:
        return pd.DataFrame(columns=["rank", "student", ACCURACY, "params", "verdict", "name", "id"])
    best = (runs.sort_values([ACCURACY, "params"], ascending=[False, True]).drop_duplicates("student").head(most)
            .reset_index(drop=True))
    best.insert(0, "rank", range(1, len(best) + 1))
    return best[["rank", "student", ACCURACY, "params", "verdict", "name", "id"]]


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many runs got each verdict (its title), in the verdicts' order; none left out."""
    kinds = frame["verdict_kind"].value_counts() if len(frame) else pd.Series(dtype=int)
    return {title: int(kinds.get(kind, 0)) for kind, title in KINDS.items()}


def sweep_settings(frame: pd.DataFrame) -> list[str]:
    """The settings whose values differ among the runs: the combined sweep's choices, most varied first."""
    if frame.empty:
        return []
    varied = {name: frame[name].astype(str).nunique() for name in SWEEPABLE if name in frame}
    return [name for name, count in sorted(varied.items(), key=lambda item: -item[1]) if count > 1]


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The board as the teacher downloads it: one row per run, by display name (no workspace)."""
    return frame.reindex(columns=EXPORTED)
