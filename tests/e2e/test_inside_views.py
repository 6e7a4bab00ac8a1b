"""Inside the network in a real browser: a digits run's first-layer weights as tiles, and a spiral
run's neurons over the plane redrawn while it trains (fetched by the browser's live view then), and its network
drawing with each link's weight."""
import re
import time

import pytest

from conftest import open_app, page_still, shoot

pytestmark = pytest.mark.browser

DEADLINE = 120  # seconds any wait here may take


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def _open_inside(page) -> None:
    # Once the page is still: as a run starts, the page scrolls to its curves (live.scroll_to) for up to 1.5 s,
    # and a click aimed before a scroll lands beside the panel (a full run's spiral journey never opened it).
    page_still(page)
    _main(page).get_by_text("Inside the network", exact=True).click()


def _images(page) -> int:
    """Images Vega drew (the weights grid and the neuron maps are each one PNG image in their chart's SVG)."""
    return page.locator('[data-testid="stVegaLiteChart"] image').count()


def _wait(condition, what: str) -> None:
    deadline = time.time() + DEADLINE
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def test_a_digits_run_shows_its_first_layers_weights(server, page):
    open_app(page, f"{server}/Train?dataset=digits&hidden=16&epochs=3")
    _main(page).get_by_role("button", name="Train", exact=True).click(timeout=DEADLINE * 1000)
    _open_inside(page)
    caption = _main(page).get_by_text(re.compile(r"16 of 16 neurons of hidden_1, strongest first"))
    caption.first.wait_for(timeout=DEADLINE * 1000)
    _wait(lambda: _images(page) == 1, "the weights grid (one image of all tiles)")
    _main(page).get_by_text(re.compile(r"after epoch 3\b")).first.wait_for(timeout=DEADLINE * 1000)  # the final state
    shoot(page, "inside-digits-weights")


def test_a_spiral_runs_neurons_are_drawn_while_it_trains(server, page):
    # 1,440 batches of one point an epoch, 500 epochs: ≈1 s an epoch, minutes even on a fast machine (within the
    # server's compute budget: 7 × 10¹¹ of 10¹²); the maps are seen, redrawn, and the run stopped long before.
    # (360 points at batch 2 over 300 epochs took 38 s once the Trainer got faster: the run could end first.)
    open_app(page, f"{server}/Train?dataset=spiral&samples=2000&hidden=6,4&activation=tanh&batch_size=1&epochs=500")
    _main(page).get_by_role("button", name="Train", exact=True).click(timeout=DEADLINE * 1000)
    stop = _main(page).get_by_role("button", name="Stop", exact=True)
    stop.wait_for(timeout=DEADLINE * 1000)
    _open_inside(page)
    # while it trains, the browser draws the view it fetches (issue 24): the maps as one image, the prediction another
    _wait(lambda: page.locator("[data-nnlab-live] .maps img").count() == 1, "the neuron maps (one image of all)")
    where = _main(page).get_by_text(re.compile(r"Every hidden neuron's output after epoch \d+"))
    first = int(re.search(r"after epoch (\d+)", where.first.inner_text()).group(1))
    _wait(lambda: int(re.search(r"after epoch (\d+)", where.first.inner_text()).group(1)) > first, "a later epoch's maps")
    assert stop.is_visible(), "redrawn while training, not only at the end"
    # the network drawing (issue 28): a link per weight (2·6 + 6·4 + 4·2), each with its weight as its tooltip
    page.wait_for_function("() => window.__nnlabLive.links.includes(44)", timeout=DEADLINE * 1000)
    tip = page.locator("[data-nnlab-live] svg.net line.link title").first.text_content()
    assert re.fullmatch(r"input x₁ → hidden_1 neuron 1: weight -?\d+(\.\d+)?(e-?\d+)?", tip), tip
    shoot(page, "inside-spiral-neurons-live")
    stop.click()
    # once stopped, the page draws the panel: the same network as a chart whose links' tooltips give their weights
    _main(page).get_by_test_id("stCaptionContainer").filter(has_text="Point at a link for its weight").first.wait_for(
        timeout=DEADLINE * 1000)
    shoot(page, "inside-spiral-network-after")
