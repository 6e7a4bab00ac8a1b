"""One way for any page to set the controls (nnlab.ui.controls.request_settings), and one lock every
page honours (issue 21). A button on a page that has drawn the controls used to write their keys and
crash with StreamlitWidgetAlreadyInstantiatedError (Search's "Open the best in Train", a Sweep's
remedies); a teacher's lock used to hold on Train alone."""
import pytest
import dataclasses

from apptest_helpers import button, open_page, wait_until, widget

TRAIN, RACE, SWEEP, SEARCH, HOME = ("app_pages/1_Train.py", "app_pages/4_Race.py", "app_pages/5_Sweep.py",
                                    "app_pages/14_Search.py", "app_pages/0_Home.py")


def _labels(at) -> set[str]:
    kinds = ("slider", "select_slider", "selectbox", "toggle", "number_input")
    return {element.label for kind in kinds for element in getattr(at, kind)}


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_sweeps_remedy_opens_train_with_the_change(runs_dir):
    at = open_page(SWEEP, dataset="iris", hidden="8", epochs="2")
    widget(at, "Setting to sweep").set_value("dropout").run()
    widget(at, "Values, separated by commas").set_value("0, 0.2").run()
    button(at, "Sweep").click().run()
    wait_until(at, lambda at: at.session_state["sweep"].done)
    remedy = next(b for b in at.button if (b.key or "").startswith("remedy_sweep_0_"))
    job = at.session_state["sweep"].jobs[0]
    step = job.result.verdict.next_steps[int(remedy.key.rsplit("_", 1)[1])]
    remedy.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Train" in title.value for title in at.title)
    wanted = dataclasses.replace(job.result.config, **step.changes)
    assert at.session_state["current_settings"] == wanted  # the controls hold the run's settings with the change


def test_a_locked_setting_is_neither_raced_nor_swept_nor_searched(runs_dir):
    at = open_page(TRAIN, dataset="circle", learning_rate="0.05", lock="learning_rate", hide="regularization")
    at.query_params.clear()  # the menu's page links carry no query
    at.switch_page(RACE).run()
    assert not at.exception and {"Learning rate", "Dropout"}.isdisjoint(_labels(at)) and "Batch size" in _labels(at)
    assert at.query_params["a_learning_rate"] == "0.05" and at.query_params["lock"] == "learning_rate"  # A races locked
    at.query_params.clear()
    at.switch_page(SWEEP).run()
    knobs = widget(at, "Setting to sweep").options
    assert "Learning rate" not in knobs and "Dropout" not in knobs and "Epochs" in knobs
    at.query_params.clear()
    at.switch_page(SEARCH).run()
    searched = widget(at, "Knobs to search")
    assert "Learning rate" not in searched.options and "Dropout" not in searched.options
    assert searched.value and {"learning_rate", "dropout"}.isdisjoint(searched.value)
    assert "Make a teacher link" not in [e.label for e in at.expander]
    at.switch_page(HOME).run()
    assert not any("teacher link" in e.label for e in at.expander)
