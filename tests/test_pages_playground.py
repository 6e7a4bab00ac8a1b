"""Playground's controls on the Train page: the input toggles (link in, link out, the network's size),
the regularization changed while a run trains."""
import pytest

from apptest_helpers import button, charts, open_page, wait_until, widget
from nnlab.config.penalty_changes import penalty_changes

TRAIN = "app_pages/1_Train.py"


def _inputs(at):
    groups = [group for group in at.button_group if group.label == "Inputs"]
    return groups[0] if groups else None


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_input_toggles_follow_the_link_and_write_it_back(runs_dir):
    at = open_page(TRAIN, dataset="circle", features="x2_squared,x1_squared", hidden="")
    inputs = _inputs(at)
    assert inputs.value == ["x1_squared", "x2_squared"] and "6 parameters" in _text(at)  # 2 inputs × 2 outputs + 2
    inputs.select("x1_x2").run()
    assert at.query_params["features"] == "x1_squared,x2_squared,x1_x2" and "8 parameters" in _text(at)
    _inputs(at).unselect("x1_squared").unselect("x2_squared").unselect("x1_x2").run()
    assert any("at least one" in e.value for e in at.error)  # nothing to learn from: said, nothing trains


def test_only_the_sets_of_the_plane_offer_input_toggles(runs_dir):
    assert _inputs(open_page(TRAIN, dataset="iris")) is None


@pytest.mark.slow  # a run trains: out of the edit loop
def test_the_regularization_changed_during_a_run_is_kept_marked_and_saved(runs_dir, page_store):
    # Epochs to spare: a fast machine must not finish before the change reaches the run; Stop once it has.
    link = {"dataset": "circle", "samples": "1000", "hidden": "8", "batch_size": "1", "epochs": "60"}
    at = open_page(TRAIN, **link)
    button(at, "Train").click().run()
    wait_until(at, lambda at: any(s.label == "L2 penalty from now on" for s in at.select_slider)
               and at.session_state["train_job"].progress[0] >= 1, timeout=240)
    widget(at, "L2 penalty from now on").set_value(0.01).run()
    [change] = [b for b in at.button if b.label == "Change" and "penalties_set" in b.key]
    change.click().run()
    wait_until(at, lambda at: any(row.get("l2") for row in at.session_state["train_job"].history), timeout=300)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done, timeout=300)
    job = at.session_state["train_job"]
    [changed] = penalty_changes(job.config, job.history)
    after = len(job.history) - changed["epoch"] + 1  # the epochs trained with the new penalty
    assert changed["name"] == "l2" and changed["value"] == pytest.approx(0.01) and changed["epoch"] >= 2 and after >= 1
    assert [row["l2"] for row in job.history[changed["epoch"] - 1:]] == pytest.approx([0.01] * after)
    marked = f"L2 penalty set to 0.01 from epoch {changed['epoch']}"  # on the loss and the accuracy curves
    assert sum(row.get("label") == marked for chart in charts(at)[:2] for row in chart["rows"]) == 2
    saved = page_store.load(job.run_id).history
    assert saved["l2"].tolist()[changed["epoch"] - 1:] == pytest.approx([0.01] * after)


@pytest.mark.slow  # a run trains: out of the edit loop
def test_the_decision_boundary_shows_test_data_and_discretizes_on_request(runs_dir):
    at = open_page(TRAIN, dataset="circle", samples="200", hidden="4", epochs="2")
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)

    def boundary():
        [chart] = [c for c in charts(at) if any("x1_end" in row for row in c["rows"])]
        return ({row["split"] for row in chart["rows"] if "split" in row},
                {row["value"] for row in chart["rows"] if "x1_end" in row})

    splits, values = boundary()
    assert splits == {"train", "test"} and len(values) > 2  # shades of P(blue)
    [show_test] = [t for t in at.toggle if t.label == "Show test data"]
    show_test.set_value(False).run()
    [discretize] = [t for t in at.toggle if t.label == "Discretize output"]
    discretize.set_value(True).run()
    splits, values = boundary()
    assert splits == {"train"} and values <= {0.0, 1.0}
