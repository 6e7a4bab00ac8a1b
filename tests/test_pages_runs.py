"""AppTest journeys through Runs, Compare, Race and Sweep with real (tiny) training."""
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.serving.jobs import TrainingJob
from nnlab.store.runs import RunStore, open_store
from apptest_helpers import button, charts, open_page, plain, wait_until, widget
from test_runs import saved_run

RUNS, COMPARE, RACE, SWEEP = "app_pages/2_Runs.py", "app_pages/3_Compare.py", "app_pages/4_Race.py", "app_pages/5_Sweep.py"


def trained(store: RunStore, label: str, **settings) -> str:
    job = TrainingJob(RunConfig(dataset="iris", hidden=(8,), epochs=3, **settings), load_dataset, store=store,
                      label=label, abandon_seconds=600)  # nobody watches here: a busy machine must not abandon it
    job.run()
    assert job.status == "completed"
    return job.run_id


def select_rows(at, *rows: int):
    at.session_state["runs_table"] = {"selection": {"rows": list(rows), "columns": []}}
    at.run()


def test_runs_table_filters_sorts_and_deletes_with_confirmation(runs_dir):
    store = open_store()
    ids = [saved_run(store, dataset=name) for name in ("iris", "wine", "iris")]
    store.rename(ids[1], "the wine one")
    at = open_page(RUNS)
    table = at.dataframe[0].value
    assert len(table) == 3 and list(table["id"]) == ids[::-1]  # newest first
    widget(at, "Find").set_value("wine").run()
    assert list(at.dataframe[0].value["name"]) == ["the wine one"]
    widget(at, "Find").set_value("").run()
    at.multiselect[0].set_value(["iris"]).run()
    assert set(at.dataframe[0].value["dataset"]) == {"iris"}
    at.multiselect[0].set_value([]).run()
    widget(at, "Sort by").set_value("name").run()
    assert list(at.dataframe[0].value["name"]) == sorted(at.dataframe[0].value["name"])

    select_rows(at, 0)
    button(at, "Delete…").click().run()
    doomed = at.session_state["delete_pending"]
    assert "cannot be undone" in plain(at.warning[0].value) and len(store.list()[0]) == 3  # nothing gone yet
    button(at, "Yes, delete").click().run()
    assert {run.id for run in store.list()[0]} == set(ids) - set(doomed)
    assert len(at.dataframe[0].value) == 2


def test_export_rename_and_new_run_from_this_one(runs_dir):
    store = open_store()
    run_id = saved_run(store, dataset="wine", dropout=0.4, hidden=(12, 6))
    at = open_page(RUNS)
    assert at.get("download_button")
    select_rows(at, 0)
    at.text_input(key=f"rename_{run_id}").set_value("wide net").run()
    button(at, "Save name").click().run()
    assert store.load(run_id).label == "wide net"
    select_rows(at, 0)
    button(at, "New run from this one").click().run()
    at.switch_page("app_pages/1_Train.py").run()
    assert widget(at, "Data set").value == "wine" and widget(at, "Dropout").value == 0.4
    assert [widget(at, f"Layer {i} neurons").value for i in (1, 2)] == [12, 6]


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_compare_two_real_runs_overlays_both_and_names_the_difference(runs_dir):
    store = open_store()
    first = trained(store, "plain")
    second = trained(store, "dropout", dropout=0.3)
    at = open_page(RUNS)
    select_rows(at, 0, 1)
    button(at, "Compare").click().run()
    at.switch_page(COMPARE).run()  # AppTest does not stay on the page st.switch_page went to
    assert not at.exception
    assert any(plain(m.value) == "**What differs:** dropout 0.0 → 0.3" for m in at.markdown), [m.value for m in at.markdown]
    loss = charts(at)[0]
    for run_id, label in ((first, "plain"), (second, "dropout")):
        history = store.load(run_id).history
        assert [r["val_loss"] for r in loss["rows"] if r["run"] == label] == pytest.approx(list(history["val_loss"]))
    settings = at.dataframe[1].value  # under the results
    assert list(settings.index) == ["dropout"]  # differences only
    widget(at, "Differences only").set_value(False).run()
    assert len(at.dataframe[1].value) == len(RunConfig().to_dict())


def test_a_saved_runs_verdict_is_made_again_with_next_steps_that_open_train(runs_dir):
    store = open_store()
    run_id = trained(store, "short")
    recorded = store.load(run_id).verdict
    at = open_page(RUNS)
    select_rows(at, 0)
    steps = [b for b in at.button if b.key and b.key.startswith(f"remedy_runs_{run_id}_")]
    assert steps and any(s.value.endswith(recorded["title"]) for s in at.subheader)  # what Train said
    longer = [b for b in steps if b.label.startswith("Train longer")]
    assert longer, [b.label for b in steps]
    longer[0].click().run()
    at.switch_page("app_pages/1_Train.py").run()
    assert widget(at, "Data set").value == "iris" and widget(at, "Epochs").value == 6


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_compare_shows_each_runs_verdict_made_again(runs_dir):
    store = open_store()
    ids = [trained(store, "plain"), trained(store, "sgd", optimizer="sgd")]
    at = open_page(COMPARE)
    at.multiselect[0].set_value(ids).run()
    assert not at.exception
    figures = next(frame.value for frame in at.dataframe if "verdict" in frame.value.index)
    titles = {store.load(i).verdict["title"] for i in ids}
    assert set(figures.loc["verdict"]) <= titles
    assert len(at.tabs) == 2 and any(b.key.startswith(f"remedy_compare_{ids[1]}_") for b in at.button if b.key)


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_compare_many_runs_shows_the_settings_against_results(runs_dir):
    store = open_store()
    for lr in (0.001, 0.01, 0.1):
        trained(store, f"lr {lr}", learning_rate=lr)
    at = open_page(COMPARE)
    at.multiselect[0].set_value([run.id for run in store.list()[0]]).run()
    assert not at.exception
    assert len(charts(at)) == 4  # two curve panels, the scatter and the parallel coordinates
    parallel = charts(at)[3]
    assert {row["axis"] for row in parallel["rows"]} == {"learning_rate", "best val accuracy"}


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_sweep_of_three_values_completes(runs_dir):
    at = open_page(SWEEP, dataset="iris", hidden="8", epochs="2")
    widget(at, "Setting to sweep").set_value("dropout").run()
    widget(at, "Values, separated by commas").set_value("0, 0.2, 0.5").run()
    button(at, "Sweep").click().run()
    wait_until(at, lambda at: at.session_state["sweep"].done)
    assert [job.status for job in at.session_state["sweep"].jobs] == ["completed"] * 3
    assert any("Final accuracy against dropout" in s.value for s in at.subheader)
    table = at.dataframe[0].value
    assert list(table["dropout"]) == [0.0, 0.2, 0.5]
    assert len(open_store().list()[0]) == 3


def test_a_sweep_with_a_bad_value_says_which(runs_dir):
    at = open_page(SWEEP)
    widget(at, "Values, separated by commas").set_value("0.01, lots").run()
    assert "'lots' cannot be used" in plain(at.error[0].value)
    assert button(at, "Sweep").disabled


def test_private_workspaces_keep_visitors_apart_and_no_link_names_one(tmp_path, deployment):
    from nnlab.store import visitors

    deployment(runs_dir=tmp_path, runs="private")
    alice = open_page(RUNS)
    name = visitors.own_workspace(alice.session_state["_visitor_without_cookie"])  # her browser's, by its id
    assert "workspace" not in alice.query_params  # never in the link (test_pages_identity.py has more)
    saved_run(open_store(workspace=name))
    alice.run()
    assert len(alice.dataframe[0].value) == 1

    bob = open_page(RUNS)
    assert not bob.dataframe and "No runs yet" in bob.info[0].value

    stranger = open_page(RUNS, workspace="../../etc")  # a link naming a path: ignored and dropped
    assert "workspace" not in stranger.query_params and not stranger.dataframe
    assert not (tmp_path / "etc").exists()
