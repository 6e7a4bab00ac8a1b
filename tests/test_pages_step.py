"""Step mode on the Train page: start paused, one epoch, one batch, resume."""
import pytest

from apptest_helpers import button, open_page, record_polls, wait_until, widget

TRAIN = "app_pages/1_Train.py"


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_run_started_paused_steps_on_the_page_then_resumes(runs_dir, monkeypatch):
    import json

    polls = record_polls(monkeypatch)
    at = open_page(TRAIN, dataset="digits", hidden="16", epochs="3", batch_size="64")
    widget(at, "Start paused (step mode)").set_value(True).run()
    button(at, "Train").click().run()
    job = at.session_state["train_job"]
    wait_until(at, lambda at: job._trainer is not None and job._trainer.holding)
    assert job.history == [] and any("Paused before the first batch" in c.value for c in at.caption)
    # the pause's bound, counted in total (issue 20: each step restarted the clock)
    assert any("stops by itself once paused 10 minutes in all, steps included" in c.value for c in at.caption)
    button(at, "One epoch").click().run()
    wait_until(at, lambda at: len(job.history) == 1 and job._trainer.holding)
    assert any("Paused after epoch 1" in c.value for c in at.caption)
    # Paused, the browser draws the curves (it asks for one rerun when a step is done) and nothing polls:
    # a paused page polled 4 times a second before (≈0.5 core of its browser, 0.1 of the server's).
    polls.clear()
    at.run()
    chart = json.loads(at.get("bidi_component")[0].proto.json)
    assert chart["serial"] == job.serial and chart["hold"].startswith("1|")  # holding, as the page draws it
    assert polls == [] and not at.get("vega_lite_chart")
    assert not any("hourglass_top" in c.value for c in at.sidebar.caption)  # the page says it: no stale sidebar line
    at.switch_page("app_pages/2_Runs.py").run()
    assert any("hourglass_top" in c.value and "paused" in c.value for c in at.sidebar.caption)  # other pages do
    at.switch_page(TRAIN).run()
    button(at, "One batch").click().run()
    wait_until(at, lambda at: job.partial.get("batch") == 1 and job._trainer.holding)
    assert any("Paused in epoch 2 after batch 1 of" in c.value for c in at.caption)
    button(at, "Resume").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    assert job.status == "completed" and len(job.history) == 3


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_pause_holds_a_running_run_until_stop(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="16", epochs="200", batch_size="8")
    button(at, "Train").click().run()
    job = at.session_state["train_job"]
    wait_until(at, lambda at: len(job.history) >= 1)
    button(at, "Pause").click().run()
    wait_until(at, lambda at: job._trainer is not None and job._trainer.holding)
    held = len(job.history)
    at.run()
    assert len(job.history) == held and button(at, "Resume") is not None
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    assert job.status == "stopped" and len(job.history) == held
