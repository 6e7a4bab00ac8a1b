"""The learning rate on the Train page: the finder's "Use this learning rate", the planned schedule,
and changing the rate while a run trains."""
import pytest

from apptest_helpers import button, charts, open_page, record_polls, wait_until, widget
from nnlab.config.lr_schedule import changed_epochs

TRAIN = "app_pages/1_Train.py"
CIRCLE = {"dataset": "circle", "samples": "300", "hidden": "8", "batch_size": "16"}


def _buttons_starting(at, text):
    return [b for b in at.button if b.label.startswith(text)]


def test_use_this_learning_rate_sets_the_control(runs_dir):
    at = open_page(TRAIN, **CIRCLE)
    assert widget(at, "Learning rate").value == 0.001
    button(at, "Find a learning rate").click().run()
    wait_until(at, lambda at: _buttons_starting(at, "Use this learning rate"), timeout=240)
    use = _buttons_starting(at, "Use this learning rate")[0]
    suggested = float(use.label.split("(")[1].rstrip(")"))
    finder = [c for c in charts(at) if c["spec"].get("layer") and any(
        "learning_rate" in str(layer.get("encoding", {}).get("x", {})) for layer in c["spec"]["layer"])]
    assert finder and len(finder[0]["rows"]) > 20  # the curve, drawn
    assert any(f"Suggested: **{suggested:g}**" in c.value for c in at.caption)  # bold, not a literal **0.0061**
    use.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert widget(at, "Learning rate").value == pytest.approx(suggested) and suggested != 0.001
    assert at.query_params["learning_rate"] == f"{suggested:g}"  # the link follows the control


def test_the_finders_progress_is_fetched_and_nothing_polls_until_it_ends(runs_dir, monkeypatch):
    """Issue 24: while the finder waits and trains, the page mounts its live progress (fetched by the browser
    with a token for this finder and this visitor) beside Stop, and no fragment polls; at its end, the curve."""
    import json

    from nnlab.ui import live_chart, live_route
    from nnlab.ui.lr_finder import FINDER_JOB

    polls = record_polls(monkeypatch)
    at = open_page(TRAIN, **CIRCLE)
    button(at, "Find a learning rate").click().run()
    finder = at.session_state[FINDER_JOB]
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_progress")
    claim = live_route.TOKENS.read(json.loads(mounted[0].proto.json)["token"])
    assert claim.serials == (finder.serial,) and claim.owner == finder.owner
    assert "Stop" in [b.label for b in at.button] and polls == []
    at.session_state[live_chart.failure_key(finder.serial)] = True  # as the chart's "failed" trigger records it
    at.run()  # the page says why and polls instead, as before issue 24
    assert finder.done or ("_finder_fragment" in polls and not at.get("bidi_component"))
    wait_until(at, lambda at: finder.done, timeout=240)
    assert _buttons_starting(at, "Use this learning rate") and not at.get("bidi_component")


def test_a_schedule_is_drawn_before_training(runs_dir):
    at = open_page(TRAIN, **CIRCLE, lr_schedule="step", lr_decay="0.5", lr_decay_epochs="2", epochs="6")
    assert widget(at, "Learning-rate schedule").value == "step" and widget(at, "Decay factor").value == 0.5
    planned = [c for c in charts(at) if any(row.get("series") == "planned" for row in c["rows"])]
    assert [row["learning_rate"] for row in planned[0]["rows"]] == pytest.approx(
        [0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025])


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_the_learning_rate_changed_during_a_run_is_recorded_and_drawn(runs_dir, page_store):
    at = open_page(TRAIN, **{**CIRCLE, "samples": "2000", "batch_size": "1", "epochs": "6", "learning_rate": "0.01"})
    button(at, "Train").click().run()
    # The control is there from the click (the browser draws the curves: the page does not rerun to show it
    # later), but a change acts once the run trains: before, it says so. So once the first epoch is done.
    wait_until(at, lambda at: any(s.label == "Learning rate from now on" for s in at.select_slider)
               and at.session_state["train_job"].progress[0] >= 1, timeout=240)
    widget(at, "Learning rate from now on").set_value(0.1).run()
    button(at, "Change").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done, timeout=300)
    job = at.session_state["train_job"]
    changed = changed_epochs(job.config, job.history)
    assert len(changed) == 1 and job.history[changed[0] - 1]["learning_rate"] == pytest.approx(0.1)
    assert all(row["learning_rate"] == pytest.approx(0.1) for row in job.history[changed[0] - 1:])
    drawn = [c for c in charts(at) if any(row.get("series") == "used" for row in c["rows"])]
    assert drawn and any(row.get("label", "").startswith("set by you") for row in drawn[0]["rows"])
    marked = f"learning rate set to 0.1 from epoch {changed[0]}"  # and on the loss and accuracy curves
    assert sum(row.get("label") == marked for chart in charts(at)[:2] for row in chart["rows"]) == 2
    saved = page_store.load(job.run_id).history  # kept with the run
    assert saved["learning_rate"].tolist()[changed[0] - 1:] == pytest.approx([0.1] * (len(saved) - changed[0] + 1))
