import subprocess
import sys
from pathlib import Path

import pytest

from nnlab.config.run_config import COURSE_EXERCISE
from nnlab.lessons.presets import PRESETS
from nnlab.store.runs import open_store
from apptest_helpers import button, charts, open_page, plain, record_polls, wait_until, widget

ROOT = Path(__file__).resolve().parents[1]
TRAIN = "app_pages/1_Train.py"


def test_home_renders_the_lessons_without_importing_tensorflow():
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\nat = AppTest.from_file('app.py', default_timeout=30)\n"
            "at.run()\nassert not at.exception, at.exception\n"
            "print(len(at.get('page_link')), 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NNLAB_RUNS": "shared",
                              "NNLAB_RUNS_DIR": "/tmp/nnlab-home-test"})
    links, tensorflow, keras = out.stdout.split()
    assert int(links) >= len(PRESETS) + 13, out.stderr
    assert (tensorflow, keras) == ("False", "False")


def test_home_offers_each_preset(runs_dir):
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    for preset in PRESETS.values():
        assert preset.title in text


def test_the_course_exercise_preset_fills_the_train_page(runs_dir):
    at = open_page(TRAIN, preset="course")
    assert widget(at, "Data set").value == "mnist"
    assert widget(at, "Hidden layers").value == 3 and widget(at, "Neurons").value == 20
    assert widget(at, "Activation").value == "relu" and widget(at, "Loss").value == "mse"
    assert widget(at, "Optimizer").value == "sgd" and widget(at, "Learning rate").value == 0.087
    assert widget(at, "Batch size").value == 100 and widget(at, "Epochs").value == 10
    assert "16,750 parameters" in " ".join(m.value for m in at.markdown)
    # the link now carries the settings instead of the preset's name
    assert dict(at.query_params) == {"hidden": "20,20,20", "loss": "mse", "optimizer": "sgd",
                                     "learning_rate": "0.087", "batch_size": "100"}


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_gives_its_settings(runs_dir, key):
    at = open_page(TRAIN, preset=key)
    config = PRESETS[key].config
    assert widget(at, "Data set").value == config.dataset
    assert widget(at, "Hidden layers").value == len(config.hidden)
    assert widget(at, "Learning rate").value == config.learning_rate


def test_settings_survive_the_link_round_trip(runs_dir):
    link = {"dataset": "spiral", "hidden": "8,4", "activation": "tanh", "dropout": "0.2", "epochs": "7",
            "batch_norm": "true", "noise": "0.1", "learning_rate": "0.03", "early_stopping": "2"}
    at = open_page(TRAIN, **link)
    assert widget(at, "Neurons per layer").value is True
    assert [widget(at, f"Layer {i} neurons").value for i in (1, 2)] == [8, 4]
    assert widget(at, "Activation").value == "tanh" and widget(at, "Dropout").value == 0.2
    assert widget(at, "Batch normalization").value is True and widget(at, "Noise").value == 0.1
    assert widget(at, "Early stopping").value is True and widget(at, "Patience (epochs)").value == 2
    assert dict(at.query_params) == link  # written back unchanged: the link is stable


def test_a_rerun_carrying_an_older_link_keeps_what_was_moved_since(runs_dir):
    """The browser asks for every rerun with the address it has at that moment: one asked for before the newest
    link reached it (a click, a live chart's trigger) carries an older link. It must not put the older settings
    back: a slider moved while a run trained sprang back so (the slider journey, on CI). The same older link
    opened from another page is the visitor's: applied."""
    at = open_page(TRAIN, dataset="moons", epochs="2")
    older = dict(at.query_params)
    widget(at, "Dropout").set_value(0.05).run()
    assert at.query_params["dropout"] == "0.05"
    at.query_params.clear()
    at.query_params.update(older)  # the rerun a trigger asked for before the new link arrived
    at.run()
    assert widget(at, "Dropout").value == 0.05 and at.query_params["dropout"] == "0.05"
    at.switch_page("app_pages/2_Runs.py").run()
    at.query_params.clear()
    at.query_params.update(older)  # a link to Train with the older settings, followed from another page
    at.switch_page(TRAIN).run()
    assert widget(at, "Dropout").value == 0.0 and "dropout" not in at.query_params


def test_a_bad_link_value_is_named_and_the_rest_kept(runs_dir):
    at = open_page(TRAIN, epochs="7000", dropout="0.5")
    assert "epochs must be in [1, 1000]" in plain(at.warning[0].value)
    assert widget(at, "Dropout").value == 0.5 and widget(at, "Epochs").value == 10


def test_the_parameter_count_follows_the_controls(runs_dir):
    at = open_page(TRAIN)
    assert "101,770 parameters" in " ".join(m.value for m in at.markdown)
    widget(at, "Hidden layers").set_value(0).run()
    assert "7,850 parameters" in " ".join(m.value for m in at.markdown)  # (784 + 1) × 10


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_short_training_draws_every_epoch_then_the_verdict_and_predictions(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="16", epochs="3")
    assert any("Start here" in i.value for i in at.info)  # an empty page says what to do
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    job = at.session_state["train_job"]
    assert job.status == "completed", job.message
    assert not any("Start here" in i.value for i in at.info)
    loss, accuracy = charts(at)[:2]
    assert [row["epoch"] for row in loss["rows"] if row.get("run") == "this run"] == [1, 2, 3]
    assert [row["val_accuracy"] for row in accuracy["rows"] if "val_accuracy" in row] == \
        [row["val_accuracy"] for row in job.history]
    assert any(s.value.endswith(job.result.verdict.title) for s in at.subheader)
    assert {"Test loss", "Test accuracy", "Train loss", "Validation loss"} <= {m.label for m in at.metric}
    table = at.dataframe[-1].value  # the test samples, misclassified first
    assert "what the network says" in table and table["what the network says"].str.startswith("The machine thinks").all()
    runs = open_store().list()[0]
    assert len(runs) == 1 and runs[0].status == "completed" and runs[0].id == job.run_id


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_remedy_button_puts_its_settings_into_the_controls(runs_dir):
    at = open_page(TRAIN, preset="underfitting")
    widget(at, "Epochs").set_value(15).run()
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    assert any("*Look for:*" in i.value for i in at.info)  # the lesson's banner stays when its run has ended
    remedy = [b for b in at.button if b.label.startswith("Add a hidden layer")]
    assert remedy, [b.label for b in at.button]
    remedy[0].click().run()
    assert widget(at, "Hidden layers").value == 1 and widget(at, "Neurons").value == 16


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_stop_keeps_the_completed_epochs_and_moving_a_slider_does_not_kill_the_run(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="64", epochs="300", batch_size="4")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 2)
    widget(at, "Dropout").set_value(0.3).run()  # a rerun of the page while training
    job = at.session_state["train_job"]
    assert not job.done
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    assert job.status == "stopped" and 2 <= len(job.history) < 300
    assert "completed epoch" in job.message
    assert any("since then you changed: dropout" in c.value for c in at.caption)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_live_verdict_stops_and_keeps_the_best_epoch(runs_dir, monkeypatch):
    """Issue 24: the live verdict comes with the fetched curves (the chart draws its words and the onset), the
    page only draws its "Stop and keep epoch N", and nothing polls while it shows."""
    import json

    from nnlab.serving.live_answer import live_answer, verdict_state

    polls = record_polls(monkeypatch)
    at = open_page(TRAIN, dataset="digits", train_size="60", hidden="256,256", learning_rate="0.01", batch_size="8",
                   epochs="300")
    button(at, "Train").click().run()
    keep = lambda at: [b for b in at.button if b.label.startswith("Stop and keep epoch ")]  # noqa: E731
    wait_until(at, lambda at: keep(at) or at.session_state["train_job"].done)
    job = at.session_state["train_job"]
    job.pause()  # holds: the verdict stays what the page drew while the test reads it
    wait_until(at, lambda at: job.holding and keep(at))
    assert not job.done and keep(at)
    best = int(keep(at)[0].label.rsplit(" ", 1)[1])
    told = live_answer(job, 0)  # what the chart fetches: the verdict's words and the onset it marks
    assert "Overfitting has set in" in told["verdict"]["text"] and told["verdict"]["best"] == best
    assert told["verdict"]["keep"] and 1 < told["verdict"]["onset"] <= len(job.history)
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and json.loads(mounted[0].proto.json)["verdict"] == verdict_state(told["verdict"])
    assert not at.get("vega_lite_chart") and polls == []  # the browser draws; nothing polls, paused or not
    assert not any("Overfitting has set in" in w.value for w in at.warning)  # the chart says it, not the page
    keep(at)[0].click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    losses = [row["val_loss"] for row in job.history]
    assert job.status == "stopped" and best == losses.index(min(losses)) + 1 < len(losses)
    assert f"Restored to epoch {best}," in job.message
    assert any(f"Restored to epoch {best}," in plain(box.value) for box in at.info)


def test_a_bad_csv_upload_shows_its_message_and_the_page_still_works(runs_dir):
    at = open_page(TRAIN)
    widget(at, "Data set").set_value("csv").run()
    words = b"name,label\n" + b"\n".join(b"n%d,%d" % (i, i % 2) for i in range(30))
    at.file_uploader[0].upload("words.csv", words, "text/csv").run()
    assert not at.exception
    assert any("no numeric feature columns" in e.value for e in at.error)
    widget(at, "Data set").set_value("iris").run()
    assert not at.error and "Iris" in " ".join(c.value for c in at.caption)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_good_csv_upload_trains(runs_dir):
    at = open_page(TRAIN, hidden="4", epochs="2")
    widget(at, "Data set").set_value("csv").run()
    data = b"a,b,label\n" + b"\n".join(b"%d,%d,%d" % (i, i % 7, i % 2) for i in range(60))
    at.file_uploader[0].upload("mine.csv", data, "text/csv").run()
    assert widget(at, "Column to predict").value == "label"
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    assert at.session_state["train_job"].status == "completed"


def test_the_course_exercise_is_the_course_notebooks_network():
    # 784 inputs → three hidden layers of 20 ReLU → softmax; mse on one-hot labels; SGD 0.087; batch 100; 10 epochs.
    assert (COURSE_EXERCISE.dataset, COURSE_EXERCISE.hidden, COURSE_EXERCISE.activation) == ("mnist", (20, 20, 20), "relu")
    assert (COURSE_EXERCISE.loss, COURSE_EXERCISE.encoding, COURSE_EXERCISE.optimizer) == ("mse", "one_hot", "sgd")
    assert (COURSE_EXERCISE.learning_rate, COURSE_EXERCISE.batch_size, COURSE_EXERCISE.epochs) == (0.087, 100, 10)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_switching_pages_while_training_neither_stops_nor_loses_the_run(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="64", epochs="300", batch_size="4")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 1)
    job = at.session_state["train_job"]
    at.switch_page("app_pages/2_Runs.py").run()
    assert at.dataframe[0].value["status"].tolist() == ["running"]  # listed while it trains, not "interrupted"
    epochs_before = len(job.history)
    wait_until(at, lambda at: len(job.history) > epochs_before + 1)
    at.switch_page("app_pages/3_Compare.py").run()  # one run: the page stops early, and still lists the run
    assert any("Compare needs at least two runs" in i.value for i in at.info)
    assert any("hourglass_top" in c.value for c in at.sidebar.caption)  # its poll keeps the run alive
    at.switch_page(TRAIN).run()
    assert at.session_state["train_job"] is job and not job.done
    assert any(b.label == "Stop" for b in at.button)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: job.done)
    assert job.status == "stopped" and len(job.history) > epochs_before


def test_a_downloaded_settings_file_holds_only_the_settings_that_apply():
    from nnlab.config.run_config import RunConfig
    from nnlab.ui.downloads import settings_that_apply

    mnist = settings_that_apply(RunConfig(dataset="mnist"))
    assert "noise" not in mnist and "samples" not in mnist and "test_fraction" not in mnist and "target" not in mnist
    assert mnist["hidden"] and "learning_rate" in mnist
    spiral = settings_that_apply(RunConfig(dataset="spiral", noise=0.2))
    assert spiral["noise"] == 0.2 and "test_fraction" in spiral and "csv_path" not in spiral
    assert RunConfig.from_dict(mnist) == RunConfig(dataset="mnist")  # the file loads back as the same run


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_while_a_run_trains_the_browser_fetches_its_curves_and_nothing_polls(runs_dir, monkeypatch):
    """Issue 24: Train mounts the live chart (its JavaScript fetches the epochs from the live route), with a
    token for this run and this visitor only, and no chart or fragment of the page's own while it trains;
    once it ends, the page draws the verdict and the full charts as before."""
    import json

    from nnlab.ui import live_chart, live_route

    polls = record_polls(monkeypatch)
    at = open_page(TRAIN, dataset="digits", hidden="64", epochs="300", batch_size="4")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 1)
    job = at.session_state["train_job"]
    polls.clear()
    at.run()  # a page run while it trains
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_chart")
    data = json.loads(mounted[0].proto.json)
    claim = live_route.TOKENS.read(data["token"])
    assert data["serial"] == claim.serial == job.serial and data["epochs"] == 300
    assert (claim.owner, claim.workspace) == (job.owner, "shared")
    assert not at.get("vega_lite_chart")  # the browser draws the curves: the page sends none
    assert polls == []  # no fragment polls the run: not the live panel's, not the sidebar's
    assert any(b.label == "Stop" for b in at.button) and any(b.label == "Pause" for b in at.button)
    at.session_state[live_chart.failure_key(job.serial)] = True  # as the chart's "failed" trigger records it
    at.run()  # the page says why and polls instead, as before issue 24
    assert not at.get("bidi_component") and len(charts(at)) >= 2 and "_polled_fragment" in polls
    assert any("Live curves could not reach" in c.value for c in at.caption)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: job.done)
    assert not at.get("bidi_component") and len(charts(at)) >= 2  # the end: Altair's charts, as before
    assert any(s.value.endswith(job.result.verdict.title) for s in at.subheader)
