"""Playground's controls on the Train page: the input toggles (link in, link out, the network's size)."""
from apptest_helpers import open_page

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
