import pytest
"""Teacher links: a link fixes some settings and hides their controls, or hides whole sections,
so a class sees only the knob of the day; unknown names are noted and harmless."""
from apptest_helpers import open_page, plain, widget

TRAIN = "app_pages/1_Train.py"


def labels(at) -> set[str]:
    kinds = ("slider", "select_slider", "selectbox", "toggle", "number_input")
    return {element.label for kind in kinds for element in getattr(at, kind)}


def test_a_locked_setting_has_no_control_and_keeps_the_links_value(runs_dir):
    at = open_page(TRAIN, preset="course", lock="learning_rate,optimizer,hidden", hide="regularization")
    shown = labels(at)
    assert not {"Learning rate", "Optimizer", "Hidden layers", "Neurons", "Dropout", "L2 penalty",
                "Batch normalization"} & shown
    assert {"Batch size", "Epochs", "Data set", "Activation"} <= shown  # the knobs left open
    assert "**Regularization**" not in [m.value for m in at.markdown]
    note = plain(" ".join(c.value for c in at.caption))
    assert "teacher's link fixes learning rate 0.087, optimizer sgd, hidden layers 20, 20, 20" in note
    assert "the regularization section" in note
    widget(at, "Batch size").set_value(32).run()  # a student turns the open knob …
    config = at.session_state["current_settings"]
    assert (config.optimizer, config.learning_rate, config.hidden) == ("sgd", 0.087, (20, 20, 20))  # … the rest holds
    assert config.batch_size == 32 and config.dropout == 0.0
    params = dict(at.query_params)
    assert params["lock"] == "learning_rate,optimizer,hidden" and params["hide"] == "regularization"
    assert "Find a learning rate" not in [b.label for b in at.button]  # nor can the finder change a locked rate
    assert "Find a learning rate" in [b.label for b in open_page(TRAIN, preset="course").button]


def test_locks_outlive_a_visit_to_another_page(runs_dir):
    at = open_page(TRAIN, optimizer="sgd", lock="optimizer")
    at.query_params.clear()  # the menu's page links carry no query
    at.switch_page("app_pages/2_Runs.py").run()
    at.switch_page(TRAIN).run()
    assert "Optimizer" not in labels(at) and at.session_state["current_settings"].optimizer == "sgd"
    assert dict(at.query_params)["lock"] == "optimizer"


def test_a_link_that_hides_nothing_shows_every_control(runs_dir):
    plain_link = open_page(TRAIN, optimizer="sgd")
    assert {"Optimizer", "Learning rate", "Dropout", "Hidden layers"} <= labels(plain_link)
    at = open_page(TRAIN, optimizer="sgd", lock="optimizer")
    assert "Optimizer" not in labels(at)
    at.query_params.clear()
    at.query_params["optimizer"] = "adam"  # another link or a lesson, without a lock, leaves the lock as it is
    at.query_params["epochs"] = "7"
    at.run()
    assert "Optimizer" not in labels(at) and at.session_state["current_settings"].optimizer == "sgd"
    assert widget(at, "Epochs").value == 7  # … the rest of that link is used
    at.query_params.clear()
    at.query_params["lock"] = ""  # the teacher's way to lift it
    at.run()
    assert "Optimizer" in labels(at)


def test_unknown_names_are_noted_and_harmless(runs_dir):
    at = open_page(TRAIN, lock="warp_drive,csv_path,optimizer,'); drop table", hide="everything,network")
    assert not at.exception
    note = plain(" ".join(c.value for c in at.caption))
    assert "ignored" in note and "warp_drive" in note and "everything" in note and "csv_path" in note
    assert "Optimizer" not in labels(at) and "Activation" not in labels(at) and "Learning rate" in labels(at)


def test_the_train_page_builds_a_teacher_link(runs_dir):
    at = open_page(TRAIN, optimizer="sgd")
    at.multiselect(key="teacher_lock").set_value(["optimizer", "dropout"]).run()
    at.multiselect(key="teacher_hide").set_value(["data"]).run()
    link = at.code[-1].value
    assert link.endswith("?optimizer=sgd&lock=optimizer,dropout&hide=data")


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_no_remedy_offers_to_change_a_locked_setting(runs_dir):
    """The underfitting lesson's first remedy adds a hidden layer; under a lock on the layers it is left
    out (clicking it would do nothing) and the page says why."""
    from apptest_helpers import button, wait_until

    at = open_page(TRAIN, preset="underfitting", epochs="15", lock="hidden")
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    labels_shown = [b.label for b in at.button]
    assert not [label for label in labels_shown if label.startswith("Add a hidden layer")], labels_shown
    assert "teacher's link fixes Hidden layers" in plain(" ".join(c.value for c in at.caption))
    unlocked = open_page(TRAIN, preset="underfitting", epochs="15")
    button(unlocked, "Train").click().run()
    wait_until(unlocked, lambda at: at.session_state["train_job"].done)
    assert [b for b in unlocked.button if b.label.startswith("Add a hidden layer")]
