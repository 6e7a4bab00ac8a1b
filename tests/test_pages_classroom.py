"""A class on one server, through the pages: links that cannot break or read the server, escaped text,
uploads kept in the visitor's workspace, one training per visitor."""
import pytest

from apptest_helpers import button, open_page, wait_until, widget
from nnlab.config.run_config import RunConfig
from nnlab.store.runs import RunStore, open_store
from test_runs import saved_run

TRAIN, RUNS, RACE = "app_pages/1_Train.py", "app_pages/2_Runs.py", "app_pages/4_Race.py"


@pytest.mark.parametrize("link, label, value", [
    ({"dataset": "spiral", "samples": "10000"}, "Points", 10_000),
    ({"early_stopping": "30"}, "Patience (epochs)", 30),
    ({"epochs": "1000"}, "Epochs", 1000),
    ({"batch_size": "100000", "learning_rate": "100"}, "Batch size", 100_000),
    ({"train_size": "10000000"}, "Training examples (0 = all)", 10_000_000),
])
def test_links_with_valid_settings_beyond_the_usual_steps_open_as_given(runs_dir, link, label, value):
    at = open_page(TRAIN, **link)
    assert not at.warning, [w.value for w in at.warning]
    assert widget(at, label).value == value
    assert {key: at.query_params[key] for key in link} == link  # and stay in the link unchanged


def test_new_run_from_a_cli_run_with_settings_beyond_the_usual_steps(runs_dir):
    store = open_store()
    saved_run(store, dataset="iris", early_stopping=30, epochs=1000)
    at = open_page(RUNS)
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    button(at, "New run from this one").click().run()
    at.switch_page(TRAIN).run()
    assert not at.exception
    assert widget(at, "Patience (epochs)").value == 30 and widget(at, "Epochs").value == 1000


def test_a_link_naming_a_server_file_is_refused_and_shows_nothing_of_it(runs_dir, tmp_path):
    secret = tmp_path / "secrets.csv"
    secret.write_text("password,hunter2\n" + "1,2\n" * 30)
    at = open_page(TRAIN, dataset="csv", csv_path=str(secret), target="password")
    shown = " ".join(e.value for kind in ("warning", "error", "info", "markdown", "caption") for e in getattr(at, kind))
    assert "cannot name a file on the server" in shown
    assert "hunter2" not in shown and "csv_path" not in at.query_params


def test_link_values_are_escaped_not_rendered_as_markdown(runs_dir):
    at = open_page(TRAIN, preset="[Log in here](https://evil.example)")
    warning = at.warning[0].value
    assert "there is no lesson" in warning.lower()
    assert "](https" not in warning.replace("\\]", "").replace("\\(", "")  # no live link: brackets escaped
    at = open_page(TRAIN, optimizer="[click](https://evil.example)")
    assert "](" not in at.warning[0].value.replace("\\]", "").replace("\\(", "")


def test_an_upload_is_kept_in_the_visitors_workspace_and_the_link_names_its_id(runs_dir):
    data = "a,b,label\n" + "".join(f"{i},{i % 7},{'yes' if i % 2 else 'no'}\n" for i in range(60))
    at = open_page(TRAIN)
    widget(at, "Data set").set_value("csv").run()
    at.file_uploader[0].upload("mine.csv", data.encode(), "text/csv").run()
    upload_id = at.query_params["csv"]
    assert "/" not in upload_id and "csv_path" not in at.query_params
    assert any(p.name.startswith(upload_id) for p in (runs_dir / ".uploads").rglob("*"))
    again = open_page(TRAIN, dataset="csv", csv=upload_id, target="label")  # the shared link, same workspace
    assert widget(again, "Column to predict").value == "label"
    stranger = open_page(TRAIN, dataset="csv", csv="0123456789abcdef", target="label")
    assert "not in your workspace" in stranger.warning[0].value


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_one_visitor_trains_one_thing_at_a_time(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="64", epochs="300", batch_size="4")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 1)
    at.switch_page(RACE).run()
    b_epochs = [w for w in at.select_slider if w.label == "Epochs"][1]
    b_epochs.set_value(2).run()
    button(at, "Race").click().run()
    assert any("already" in e.value for e in at.error), [e.value for e in at.error]
    at.switch_page(TRAIN).run()
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
