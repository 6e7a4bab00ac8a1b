"""Leave a run mid-way and come back: a new page of Train (the same visitor: on this computer, every
tab) shows the run still training, its curves growing (issue 21, problem 6)."""
import time

import pytest

from conftest import DRAWN_EPOCH_JS, chart_in_view, open_app, shoot, start_server, stop_server

pytestmark = pytest.mark.browser

DEADLINE = 90
# Tiny MNIST, small batches, many epochs: it trains for minutes unless stopped (the test stops it).
LONG_RUN = "/Train?dataset=mnist&train_size=1000&hidden=16&batch_size=8&epochs=1000"


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of its own: the run another journey left training must not be the one found here."""
    url, process = start_server(tmp_path_factory.mktemp("return-runs"), NNLAB_RUNS="shared")
    yield url
    stop_server(process)


def _drawn_epoch_after(page, after: int) -> int:
    deadline = time.time() + DEADLINE
    while (drawn := page.evaluate(DRAWN_EPOCH_JS)) <= after:
        assert time.time() < deadline, f"no epoch after {after} was drawn in {DEADLINE} s"
        time.sleep(0.1)
    return drawn


def test_a_run_left_training_is_shown_on_a_new_train_page(own_server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        first = context.new_page()
        first.set_default_timeout(60_000)
        open_app(first, own_server + LONG_RUN)
        first.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()
        left_at = _drawn_epoch_after(first, 0)
        first.close()  # the tab is closed mid-run

        page = context.new_page()
        page.set_default_timeout(60_000)
        open_app(page, own_server + "/Train")
        main = page.get_by_test_id("stMainBlockContainer")
        main.get_by_text("A run of yours is training").wait_for()
        drawn = _drawn_epoch_after(page, left_at)  # its curves go on growing here, in view
        chart_in_view(page, whole=False)  # at least its top within the 900 px high view
        shoot(page, "return-to-run")
        assert drawn > left_at
        stop = main.get_by_role("button", name="Stop", exact=True)
        assert stop.is_visible()
        stop.click()
        main.get_by_role("button", name="Train", exact=True).wait_for()
        page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] button')]
            .some(b => b.innerText.trim() === 'Train' && !b.disabled)""")
    finally:
        context.close()
