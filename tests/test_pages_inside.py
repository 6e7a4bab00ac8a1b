import pytest
"""The panel "Inside the network" on the Train page after a tiny run, and on the Runs page for a saved
run; the Activations page's links to the vanishing-gradient lessons."""
from apptest_helpers import button, charts, open_page, record_polls, wait_until

from nnlab.core.safe_text import markdown
from nnlab.ui.inside import MAPS, STATS, WEIGHTS

TRAIN, RUNS, ACTIVATIONS = "app_pages/1_Train.py", "app_pages/2_Runs.py", "app_pages/7_Activations.py"
OPEN = "train_job_inside_open"


def _images(at) -> list[dict]:
    return [row for chart in charts(at) for row in chart["rows"] if str(row.get("url", "")).startswith("data:image/png")]


def _train(at) -> None:
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done, timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_panel_stays_folded_and_costs_nothing_until_opened(runs_dir):
    at = open_page(TRAIN, dataset="spiral", hidden="4,3", epochs="2", samples="200", activation="tanh")
    _train(at)
    assert [e.label for e in at.expander if e.label == "Inside the network"]
    assert not _images(at) and not {t.label for t in at.tabs} & {MAPS, STATS}  # folded: nothing drawn


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_spiral_run_shows_every_neuron_over_the_plane(runs_dir):
    at = open_page(TRAIN, dataset="spiral", hidden="4,3", epochs="3", samples="200", activation="tanh")
    _train(at)
    at.session_state[OPEN] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.tabs if t.label in (WEIGHTS, MAPS, STATS)] == [MAPS, STATS]
    assert len(_images(at)) == 1  # every map in one image, and a tooltip cell over each
    cells = [row for chart in charts(at) for row in chart["rows"] if "neuron" in row and "layer" in row]
    # each input's own map (x₁, x₂: issue 28), then every neuron of the two hidden layers
    assert len(cells) == 2 + 4 + 3 and {row["layer"] for row in cells} == {"input x₁", "input x₂", "hidden_1", "hidden_2"}
    assert any("after epoch 3" in c.value for c in at.caption)  # the final state
    boundary = [c for c in charts(at) if any("x1_end" in row for row in c["rows"])]
    assert boundary, "the prediction over the plane, with the points"
    # the network drawing (issue 28): a link per weight of the trained network, its weight in its tooltip
    links = [row for chart in charts(at) for row in chart["rows"] if "weight" in row and "from" in row]
    assert len(links) == 2 * 4 + 4 * 3 + 3 * 2
    kernels = at.session_state["train_job"].inside.maps.kernels
    assert [link["weight"] for link in links] == pytest.approx([w for _, k in kernels for w in k.ravel().tolist()])
    # Playground's edit of a link: the first one (x₁ → hidden_1 neuron 1) set to 3, the maps and network drawn again
    job = at.session_state["train_job"]
    trained = job.result.model.get_layer("hidden_1").kernel.numpy().copy()
    [link] = [box for box in at.selectbox if box.label == "Link"]
    assert link.value == 0
    [field] = [box for box in at.number_input if box.label == "Its weight"]
    field.set_value(3.0)
    button(at, "Set this weight").click().run()
    assert not at.exception, [e.value for e in at.exception]
    links = [row for chart in charts(at) for row in chart["rows"] if "weight" in row and "from" in row]
    assert links[0]["from"] == "input x₁" and links[0]["to"] == "hidden_1 neuron 1" and links[0]["weight"] == 3.0
    assert any("with 1 weight set by hand" in c.value for c in at.caption)
    assert any(c.value.startswith(markdown("input x₁ → hidden_1 neuron 1") + ":") and c.value.endswith("3 now")
               for c in at.caption)
    assert (job.result.model.get_layer("hidden_1").kernel.numpy() == trained).all()  # the run's own model untouched
    [field] = [box for box in at.number_input if box.label == "Its weight"]
    assert (field.proto.min, field.proto.max) == (-100.0, 100.0)  # the field's own bounds, the backend's too
    button(at, "Put back the trained weights").click().run()
    links = [row for chart in charts(at) for row in chart["rows"] if "weight" in row and "from" in row]
    assert links[0]["weight"] == pytest.approx(float(trained[0, 0]))
    at.session_state[f"train_job_inside_{at.session_state['train_job'].serial}_tab"] = STATS
    at.run()
    grad = [c for c in charts(at) if any("grad_norm" in row for row in c["rows"])]
    assert grad and {row["layer"] for row in grad[0]["rows"]} == {"hidden_1", "hidden_2", "output"}
    assert {row["epoch"] for row in grad[0]["rows"]} == {1, 2, 3}


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_while_a_run_trains_the_open_panels_tab_is_fetched_and_nothing_polls(runs_dir, monkeypatch):
    """Issue 24: opened while a run trains, the panel's tabs are the page's, and the open tab's view is a live
    component the browser fills from the live route (a token for this run); no fragment polls."""
    import json

    from nnlab.ui import live_route

    polls = record_polls(monkeypatch)
    at = open_page(TRAIN, dataset="spiral", hidden="4,3", epochs="500", samples="200", activation="tanh", batch_size="1")
    button(at, "Train").click().run()
    wait_until(at, lambda at: len(at.session_state["train_job"].history) >= 1, timeout=240)
    job = at.session_state["train_job"]
    at.session_state[OPEN] = True
    polls.clear()
    at.run()
    assert not job.done and [t.label for t in at.tabs if t.label in (WEIGHTS, MAPS, STATS)] == [MAPS, STATS]
    inside = [c for c in at.get("bidi_component") if c.proto.component_name.endswith("nnlab_live_inside")]
    assert len(inside) == 1
    data = json.loads(inside[0].proto.json)
    assert data["inside"] == "maps" and live_route.TOKENS.read(data["token"]).serials == (job.serial,)
    assert len(data["points"]) > 50 and {point[2] for point in data["points"]} == {0, 1}  # the two spirals' points
    assert not _images(at) and polls == []  # the browser draws the views; nothing polls
    at.session_state[f"train_job_inside_{job.serial}_tab"] = STATS
    at.run()
    inside = [c for c in at.get("bidi_component") if c.proto.component_name.endswith("nnlab_live_inside")]
    assert [json.loads(c.proto.json)["inside"] for c in inside] == ["stats"] and polls == []
    button(at, "Stop").click().run()
    wait_until(at, lambda at: job.done)
    assert not [c for c in at.get("bidi_component") if c.proto.component_name.endswith("nnlab_live_inside")]
    assert any(any("grad_norm" in row for row in c["rows"]) for c in charts(at))  # the end: the page's charts


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_digits_run_shows_the_first_layers_weights(runs_dir):
    at = open_page(TRAIN, dataset="digits", hidden="12", epochs="1")
    _train(at)
    at.session_state[OPEN] = True
    at.run()
    assert [t.label for t in at.tabs if t.label in (WEIGHTS, MAPS, STATS)] == [WEIGHTS, STATS]
    assert len(_images(at)) == 1  # one image of all tiles, and a tooltip cell over each
    assert sorted(row["rank"] for chart in charts(at) for row in chart["rows"] if "rank" in row) == list(range(1, 13))
    assert any("12 of 12 neurons of hidden_1" in c.value for c in at.caption)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_runs_page_shows_a_saved_run_inside_when_asked(runs_dir):
    at = open_page(TRAIN, dataset="spiral", hidden="5", epochs="2", samples="200")
    _train(at)
    run_id = at.session_state["train_job"].run_id
    at.switch_page(RUNS).run()
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": []}}  # tick the run
    at.run()
    at.session_state[f"runs_inside_{run_id}"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _images(at), "the model is read only when asked"
    button(at, "Load the trained model").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(_images(at)) == 1
    assert len([row for chart in charts(at) for row in chart["rows"] if "neuron" in row and "layer" in row]) == 2 + 5  # inputs, neurons
    assert any("after epoch 2" in c.value for c in at.caption)
    at.session_state[f"runs_inside_{run_id}_tab"] = STATS  # the statistics kept with the run
    at.run()
    grad = [c for c in charts(at) if any("grad_norm" in row for row in c["rows"])]
    assert grad and {(row["layer"], row["epoch"]) for row in grad[0]["rows"]} == {
        (layer, epoch) for layer in ("hidden_1", "output") for epoch in (1, 2)}


def test_the_activations_page_links_to_the_vanishing_lessons(runs_dir):
    at = open_page(ACTIVATIONS)
    links = [link for link in at.get("page_link") if "preset=" in str(link.proto)]
    assert len(links) == 2 and "vanishing" in str(links[0].proto) and "vanishing_relu" in str(links[1].proto)
