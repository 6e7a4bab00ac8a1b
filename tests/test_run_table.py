from nnlab.config import RunConfig
from nnlab.run_table import differing_settings, results_frame, run_label, runs_frame, settings_frame, unique_labels
from nnlab.runs import RunStore
from test_runs import HISTORY, saved_run


def test_runs_frame_row_per_run_with_best_and_test(tmp_path):
    store = RunStore(tmp_path)
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


def test_labels_are_names_or_data_set_and_time_and_unique(tmp_path):
    store = RunStore(tmp_path)
    first = store.load(saved_run(store))
    store.rename(first.id, "mine")
    runs = [store.load(r.id) for r in store.list()[0]] + [store.load(first.id)]
    assert unique_labels(runs) == ["mine", "mine #2"]
    second = store.load(saved_run(store, dataset="wine"))
    assert run_label(second).startswith("wine ")


def test_results_frame_formats_figures(tmp_path):
    store = RunStore(tmp_path)
    run = store.load(saved_run(store))
    frame = results_frame([run], ["r"])
    assert frame.loc["test accuracy", "r"] == "75.00%" and frame.loc["best val accuracy", "r"] == "70.00%"
    assert frame.loc["verdict", "r"] == "Good fit" and frame.loc["epochs run", "r"] == len(HISTORY)
