"""Saved runs as tables: one row per run for the Runs page, one column per run for Compare, and the
pure logic of those pages (filter, sort, the settings-against-results table)."""
from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from nnlab.config.run_config import RunConfig
from nnlab.verdict.diagnose import KINDS
from nnlab.core.jsonsafe import is_missing
from nnlab.store.groups import RunGroup, groups_of
from nnlab.store.names import run_name
from nnlab.store.runs import Run
from nnlab.config.settings import shown

# The settings shown in the runs table, in order; Compare shows them all.
KEY_SETTINGS = ("hidden", "activation", "optimizer", "learning_rate", "batch_size", "epochs", "dropout", "l2",
                "batch_norm", "loss", "train_size")
# The columns the Runs page offers to sort by, and which way is "best first" for each.
LOWER_IS_BETTER = ("best val mae", "test mae", "test loss", "seconds")
SORTABLE = ("date", "best val accuracy", "best val mae", "test accuracy", "test mae", "test loss", "name",
            "learning_rate", "seconds")


def run_label(run: Run) -> str:
    """What a run is called in legends: the name it was given, or what makes it different."""
    return run.label or run_name(run.config)


def unique_labels(runs: list[Run]) -> list[str]:
    """Legend labels, made unique when two runs share a name."""
    labels, seen = [], {}
    for run in runs:
        label = run_label(run)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return labels


def newest_of_one_data_set(runs: list[Run], most: int = 3) -> list[str]:
    """Compare's first choice: the newest run and the newest others on its data set (runs on other
    data compare only in their losses), or the two newest runs if it has no such others."""
    if not runs:
        return []
    same = [run.id for run in runs if run.config.dataset == runs[0].config.dataset][:most]
    return same if len(same) > 1 else [run.id for run in runs[:2]]


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run: name, data set, key settings, best validation metric and its epoch, test
    metric, verdict, status, duration, date."""
    rows = []
    for run in runs:
        best = run.best
        metric = run.metric
        row = {
            "id": run.id, "name": run_label(run), "dataset": run.config.dataset,
            **{name: shown(name, getattr(run.config, name)) for name in KEY_SETTINGS},
            "epochs run": run.epochs_run,
            f"best val {metric}": best[1] if best else math.nan,
            "best epoch": best[0] if best else None,
            "test accuracy": run.test.get("accuracy", math.nan),
            "test mae": run.test.get("mae", math.nan),
            "test loss": run.test.get("loss", math.nan),
            "verdict": KINDS.get(run.verdict.get("kind", ""), ""),
            "status": str(run.status),
            "problems": "; ".join(run.problems) or None,
            "seconds": round(run.seconds, 1),
            "date": _local_time(run.created),
        }
        rows.append(row)
    columns = ["id", "name", "dataset", "status", "verdict", "best val accuracy", "best val mae", "best epoch",
               "test accuracy", "test mae", "test loss", *KEY_SETTINGS, "epochs run", "seconds", "date", "problems"]
    frame = pd.DataFrame(rows, columns=columns)  # a metric the runs lack is a missing value
    return frame.dropna(axis=1, how="all") if len(frame) else frame


def runs_and_groups_frame(runs: list[Run]) -> pd.DataFrame:
    """runs_frame with each group of seeds as ONE row in the place of its newest run: its name with its
    count of seeds, the mean of each figure, the test figure's spread (±1 sd) and the verdicts the seeds
    were given (the group's own, read from its mean curves, needs the histories: Runs shows it when the
    row is ticked). Its id is the group's key (groups.PREFIX + id)."""
    groups, _ = groups_of(runs)
    frame = runs_frame(runs)
    if not groups or frame.empty:
        return frame
    group_of_run = {run.id: group for group in groups for run in group.runs}
    rows, placed = [], set()
    for run_id, row in zip(frame["id"], frame.to_dict("records")):
        group = group_of_run.get(run_id)
        if group is None:
            rows.append({**row, "seeds": None, "spread": None})
        elif group.id not in placed:
            placed.add(group.id)
            rows.append(_group_row(group, frame[frame["id"].isin([r.id for r in group.runs])]))
    columns = [*frame.columns[:2], "seeds", "spread", *frame.columns[2:]]
    return pd.DataFrame(rows, columns=columns).dropna(axis=1, how="all")


def _group_row(group: RunGroup, rows: pd.DataFrame) -> dict:
    row = rows.iloc[0].to_dict()
    for column in rows.columns:
        if column not in KEY_SETTINGS and pd.api.types.is_numeric_dtype(rows[column]):
            row[column] = rows[column].mean()  # the mean over the seeds (a missing figure left out)
    statuses = rows["status"].unique()
    kinds = rows["verdict"].value_counts()
    spread = group.test_spread()
    row.update(id=group.key, name=group.label or run_label(group.runs[0]), seeds=len(group.runs),
               spread=spread.text(group.metric == "accuracy") if spread.n else None,
               status=statuses[0] if len(statuses) == 1 else "mixed",
               verdict=(kinds.index[0] if len(kinds) == 1 else
                        ", ".join(f"{kind} ×{count}" for kind, count in kinds.items())) if len(kinds) else "")
    row["best epoch"] = None  # each seed has its own
    return row


def filter_runs(frame: pd.DataFrame, text: str, datasets: list, statuses: list) -> pd.DataFrame:
    """The rows holding `text` (any case, taken literally) in a shown column, of the chosen data sets
    and statuses; an empty choice keeps all."""
    shown = frame
    if datasets:
        shown = shown[shown["dataset"].isin(datasets)]
    if statuses:
        shown = shown[shown["status"].isin([str(status) for status in statuses])]
    needle = str(text or "").strip().casefold()
    if needle and len(shown):
        cells = shown.drop(columns=["id"], errors="ignore").map(lambda v: "" if is_missing(v) else str(v).casefold())
        shown = shown[cells.apply(lambda column: column.str.contains(needle, regex=False)).any(axis=1)]
    return shown


def sort_runs(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Best first for figures (highest accuracy, lowest error, loss and time), newest first for the
    date, names A→Z; missing values last. A column the table lacks leaves the order as it is."""
    if by not in frame:
        return frame
    if by == "date":  # to the minute; within one, runs_frame's order stays (list()'s: newest first)
        return frame.sort_values("date", ascending=False, kind="stable", na_position="last")
    if by == "name":
        return frame.sort_values(by, key=lambda names: names.astype(str).str.casefold(), kind="stable",
                                 na_position="last")
    return frame.sort_values(by, ascending=by in LOWER_IS_BETTER or by in KEY_SETTINGS, kind="stable",
                             na_position="last", key=lambda values: pd.to_numeric(values, errors="coerce"))


def hparams_table(runs: list[Run], labels: list[str]) -> pd.DataFrame:
    """One row per run: every setting, the result figures (best val …, test …) and a `run` column
    with its label (TensorBoard's HParams view). train_size is the number of examples trained on:
    for "all" (0) the number the run recorded, or missing if it recorded none — never 0."""
    settings = []
    for run in runs:
        row = {name: shown(name, value) for name, value in run.config.to_dict().items()}
        row["train_size"] = run.train_examples or run.config.train_size or None
        settings.append(row)
    figures = runs_frame(runs).filter(regex="^(best val|test) ").reset_index(drop=True)
    table = pd.concat([typed(settings), figures.astype(float)], axis=1)
    return table.assign(run=[str(label) for label in labels])


def typed(records: list[dict]) -> pd.DataFrame:
    """Rows of settings as a frame whose columns each hold one type before they reach a chart: whole
    numbers as integers (pandas' Int64, missing values as <NA>), other numbers as floats, yes/no as
    booleans, anything else as text with "–" for a missing value. Runs of different shapes (a spiral
    beside MNIST, a CSV run beside a course run) leave some settings empty: a column of text and NaN
    broke sorting (str < float), and pandas alone turns 200 beside a missing value into 200.0."""
    names = list(dict.fromkeys(name for record in records for name in record))
    columns = {}
    for name in names:
        column = [record.get(name) for record in records]
        present = [value for value in column if not is_missing(value)]
        if present and all(isinstance(value, bool) for value in present):
            columns[name] = pd.array(column, dtype="boolean")
        elif present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
            columns[name] = pd.array([None if is_missing(v) else int(v) for v in column], dtype="Int64")
        elif present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
            columns[name] = pd.array([math.nan if is_missing(v) else float(v) for v in column], dtype=float)
        else:
            columns[name] = pd.array(["–" if is_missing(v) else str(v) for v in column], dtype=object)
    return pd.DataFrame(columns)


def settings_frame(configs: list[RunConfig], labels: list[str]) -> pd.DataFrame:
    """One row per setting, one column per run (as W&B's run comparer)."""
    data = {label: {name: shown(name, value) for name, value in config.to_dict().items()}
            for label, config in zip(labels, configs)}
    return pd.DataFrame(data)


def differing_settings(frame: pd.DataFrame) -> list[str]:
    """The settings (rows) whose values are not all equal."""
    return [name for name, row in frame.iterrows() if row.astype(str).nunique() > 1]


def results_frame(runs: list[Run], labels: list[str]) -> pd.DataFrame:
    """Final figures and verdicts, one column per run."""
    data = {}
    for run, label in zip(runs, labels):
        best = run.best
        data[label] = {
            "status": run.status,
            "epochs run": run.epochs_run,
            f"best val {run.metric}": _figure(best[1], run.metric) if best else "–",
            "best epoch": best[0] if best else "–",
            f"test {run.metric}": _figure(run.test.get(run.metric), run.metric),
            "test loss": _figure(run.test.get("loss"), "loss"),
            "verdict": KINDS.get(run.verdict.get("kind", ""), "–"),
            "parameters": f"{run.params:,}",
            "training time": f"{run.seconds:.1f} s",
        }
    return pd.DataFrame(data)


def _figure(value, metric: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.2%}" if metric == "accuracy" else f"{value:.4g}"


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


PERCENT_COLUMNS = ("best val accuracy", "test accuracy")


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs table as the page shows it, every missing value a blank cell (a table shows a missing
    value as the word "None"): text columns get "", a column of figures with gaps becomes its figures
    as text (accuracies in %), so its sort is the page's "Sort by". Figures without gaps stay figures."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if not values.map(is_missing).any():
            continue
        if pd.api.types.is_numeric_dtype(values) and values.notna().any():
            shown[column] = values.map(lambda v: "" if is_missing(v) else _display_figure(column, v))
        else:
            shown[column] = values.map(lambda v: "" if is_missing(v) else v)
    return shown


def _display_figure(column: str, value) -> str:
    if column in PERCENT_COLUMNS:
        return f"{value:.2%}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.4g}"
