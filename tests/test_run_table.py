import pandas as pd
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.store.table import (SORTABLE, differing_settings, filter_runs, hparams_table, results_frame, run_label,
                             runs_frame, settings_frame, sort_runs, unique_labels)
from nnlab.store.runs import RunStore
from nnlab.core.status import Status
from nnlab.store.folder_import import import_once
from test_run_import import run_folder
from test_runs import HISTORY, saved_run


def test_runs_frame_row_per_run_with_best_and_test(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    saved_run(store, dataset="iris", dropout=0.2)
    saved_run(store, dataset="wine")
    runs = [store.load(run.id) for run in store.list()[0]]
    table = runs_frame(runs)
    assert len(table) == 2 and set(table["dataset"]) == {"iris", "wine"}
    assert list(table["best val accuracy"]) == [0.7, 0.7] and list(table["best epoch"]) == [2, 2]
    assert "test mae" not in table  # no regression run: the column is left out
    assert list(table["verdict"]) == ["Good fit", "Good fit"]


def test_settings_frame_and_differences(tmp_path):
    configs = [RunConfig(dropout=0.0, hidden=(64,)), RunConfig(dropout=0.3, hidden=(64,)), RunConfig(dropout=0.3, hidden=())]
    frame = settings_frame(configs, ["a", "b", "c"])
    assert list(frame.columns) == ["a", "b", "c"] and frame.loc["hidden", "c"] == "none"
    assert differing_settings(frame) == ["hidden", "dropout"]


def test_labels_are_names_or_what_differs_and_unique(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    first = store.load(saved_run(store))
    store.rename(first.id, "mine")
    runs = [store.load(r.id) for r in store.list()[0]] + [store.load(first.id)]
    assert unique_labels(runs) == ["mine", "mine #2"]
    second = store.load(saved_run(store, dataset="wine"))
    assert run_label(second) == "hidden 128 · Adam 1e-3"  # unnamed: what differs (nothing but the data set)


def test_results_frame_formats_figures(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    run = store.load(saved_run(store))
    frame = results_frame([run], ["r"])
    assert frame.loc["test accuracy", "r"] == "75.00%" and frame.loc["best val accuracy", "r"] == "70.00%"
    assert frame.loc["verdict", "r"] == "Good fit" and frame.loc["epochs run", "r"] == len(HISTORY)


# --- the Runs page's filter and sort ------------------------------------------------------------

def table_of(tmp_path, rows: list[dict]):
    """A runs table from real saved runs: each row names settings, a label and test figures."""
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    for row in rows:
        settings = {k: v for k, v in row.items() if k not in ("label", "test", "task", "history")}
        run_id = store.create(RunConfig(**settings), task=row.get("task", "classification"), label=row.get("label", ""))
        if "history" in row:
            store.save_history(run_id, row["history"])
        store.finish(run_id, status="completed", test=row.get("test", {}))
    return runs_frame(store.list()[0])


def test_filter_runs_by_text_data_set_and_status(tmp_path):
    table = table_of(tmp_path, [
        {"label": "Wide Net", "dataset": "iris", "optimizer": "adam"},
        {"label": "narrow", "dataset": "wine", "optimizer": "sgd"},
        {"label": "a.*b", "dataset": "iris", "optimizer": "rmsprop"},
    ])
    names = lambda frame: sorted(frame["name"])  # noqa: E731
    assert names(filter_runs(table, "wide", [], [])) == ["Wide Net"]  # any case
    assert names(filter_runs(table, "SGD", [], [])) == ["narrow"]  # any shown column
    assert names(filter_runs(table, ".*", [], [])) == ["a.*b"]  # literally, not a pattern
    assert names(filter_runs(table, "  ", [], [])) == names(table)
    assert names(filter_runs(table, "", ["iris"], [])) == ["Wide Net", "a.*b"]
    assert names(filter_runs(table, "net", ["wine"], [])) == []
    assert len(filter_runs(table, "", [], [Status.COMPLETED])) == 3
    assert len(filter_runs(table, "", [], ["running"])) == 0
    assert filter_runs(table, table["id"].iloc[0][-6:], [], []).empty  # the hidden id column is not searched
    assert filter_runs(table, "nan", [], []).empty  # missing values are not the text "nan"


def test_sort_runs_best_first_newest_first_names_a_to_z_missing_last(tmp_path):
    table = table_of(tmp_path, [
        {"label": "beta", "dataset": "iris", "test": {"accuracy": 0.7, "loss": 0.5}, "learning_rate": 0.01},
        {"label": "Alpha", "dataset": "iris", "test": {}, "learning_rate": 0.1},
        {"label": "gamma", "dataset": "iris", "test": {"accuracy": 0.9, "loss": 0.2}, "learning_rate": 0.001},
        {"label": "delta", "dataset": "iris", "test": {"accuracy": float("nan"), "loss": 0.9}},
    ])
    order = lambda by: list(sort_runs(table, by)["name"])  # noqa: E731
    assert set(SORTABLE) >= {"date", "best val accuracy", "test accuracy", "name"}
    assert order("test accuracy") == ["gamma", "beta", "delta", "Alpha"]  # highest first; missing last, newest first
    assert order("test loss") == ["gamma", "beta", "delta", "Alpha"]  # lowest first
    assert order("name") == ["Alpha", "beta", "delta", "gamma"]
    assert order("date") == ["delta", "gamma", "Alpha", "beta"]  # newest first, even within one minute
    assert order("learning_rate") == ["delta", "gamma", "beta", "Alpha"]  # 0.001 twice: the table's order
    assert order("best val mae") == list(table["name"])  # a column the table lacks: unchanged


def test_sort_runs_regression_errors_lowest_first(tmp_path):
    regression = [{"epoch": 1, "loss": 1.0, "val_loss": 0.9, "mae": 0.8, "val_mae": v} for v in (0.3, 0.1, 0.2)]
    table = table_of(tmp_path, [{"label": f"r{i}", "dataset": "iris", "task": "regression", "history": [row]}
                                for i, row in enumerate(regression)])
    assert list(sort_runs(table, "best val mae")["name"]) == ["r1", "r2", "r0"]


# --- the Compare page's settings against results -------------------------------------------------

def test_hparams_table_row_per_run_settings_figures_and_run(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    ids = [saved_run(store, dataset="iris", learning_rate=lr, train_size=size) for lr, size in ((0.01, 0), (0.1, 50))]
    runs = [store.load(run_id) for run_id in ids]
    table = hparams_table(runs, ["slow", "fast"])
    assert list(table["run"]) == ["slow", "fast"] and list(table["learning_rate"]) == [0.01, 0.1]
    assert table["learning_rate"].dtype.kind == "f" and list(table["hidden"]) == ["128", "128"]
    assert list(table["best val accuracy"]) == [0.7, 0.7] and list(table["test accuracy"]) == [0.75, 0.75]
    assert set(RunConfig().to_dict()) <= set(table.columns)
    assert pd.isna(table["train_size"][0]) and table["train_size"][1] == 50  # "all" is not 0 examples
    assert str(table["train_size"].dtype) == "Int64"  # whole numbers stay whole beside a missing one
    counted = store.create(RunConfig(dataset="iris"), train_examples=108)  # "all" of iris's training split
    assert list(hparams_table([store.load(counted)], ["all"])["train_size"]) == [108]


# --- damaged runs in every table ------------------------------------------------------------------

@pytest.mark.parametrize("what, name, content", [
    ("label a list", "label.json", b'["x"]'),
    ("history missing", "history.csv", None),
    ("history bad row", "history.csv", b"epoch,loss,val_loss\n1,1,1.1\n2,x,0.7\n"),
    ("history missing column", "history.csv", b"epoch,loss\n1,1\n"),
    ("history binary", "history.csv", b"\xff\xfe\x00\x01" * 50),
])
def test_runs_imported_with_damaged_parts_make_every_table(tmp_path, what, name, content):
    store = RunStore(f"sqlite:///{tmp_path}/runs.sqlite")
    good = saved_run(store)
    bad = run_folder(tmp_path / "old", **{name.replace(".", "_"): content})
    assert import_once(store, tmp_path / "old").imported == 1
    listed = store.list()[0]
    loaded = [store.load(run.id) for run in listed]
    assert len(runs_frame(listed)) == 2
    table = runs_frame(loaded)
    assert set(table["id"]) == {good, bad}
    labels = unique_labels(loaded)
    assert len(hparams_table(loaded, labels)) == 2 and results_frame(loaded, labels).shape[1] == 2
    assert settings_frame([run.config for run in loaded], labels).shape[1] == 2
    assert len(filter_runs(sort_runs(table, "test accuracy"), "", [], [])) == 2


def test_the_runs_table_shows_a_missing_value_as_a_blank_cell_not_none():
    import math

    import pandas as pd

    from nnlab.store.table import for_display

    frame = pd.DataFrame({"name": ["a", "b"], "problems": [None, "file gone"], "best epoch": [3, None],
                          "test accuracy": [0.5, math.nan], "seconds": [1.5, 2.0]})
    shown = for_display(frame)
    assert list(shown["problems"]) == ["", "file gone"] and list(shown["best epoch"]) == ["3", ""]
    assert list(shown["test accuracy"]) == ["50.00%", ""]
    assert shown["seconds"].tolist() == [1.5, 2.0]  # no gap: still figures
    assert "None" not in shown.astype(str).to_numpy() and frame["best epoch"].isna().any()  # the frame itself unchanged
