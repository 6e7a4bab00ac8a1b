"""The verdict in a real browser: a run that blows up is called out while it trains and "Stop and
keep epoch N" ends it with that epoch's weights; a run that overfits shows the onset on its chart."""
import re
import time

import pytest

from conftest import open_app, shoot, start_server, stop_server

pytestmark = pytest.mark.browser

DEADLINE = 180  # seconds any wait here may take


@pytest.fixture(scope="module")
def verdict_server(tmp_path_factory):
    """A server of its own: these runs train for minutes and must not hold the journeys' slot."""
    # Its compute budget ×10: the blow-up's run below must outlast a loaded browser's clicks on any machine
    url, process = start_server(tmp_path_factory.mktemp("verdict-runs"), NNLAB_RUNS="shared", NNLAB_MAX_COMPUTE="1e13")
    yield url
    stop_server(process)


def _main(page):
    return page.get_by_test_id("stMainBlockContainer")


def test_a_run_that_blows_up_is_called_out_live_and_stopped_at_its_best_epoch(verdict_server, page):
    # Spiral, plain SGD at learning rate 50: the loss explodes in the first epoch and stays far above
    # a network that knows nothing. 1,000 epochs of 3,000 points at batch 1 (2.2 million steps: beyond the default
    # compute budget, within this server's) last minutes, so the run is still going when the click lands: 300
    # epochs of 500 points took 41 s and a loaded browser clicked after the end; so did 1,000 of 3,000 at batch 4
    # (42 s) once tiny steps ran single-threaded.
    open_app(page, f"{verdict_server}/Train?dataset=spiral&samples=3000&optimizer=sgd&learning_rate=50&hidden=8,8"
                   "&batch_size=1&epochs=1000")
    _main(page).get_by_role("button", name="Train", exact=True).click(timeout=DEADLINE * 1000)  # a busy server
    keep = _main(page).get_by_role("button", name=re.compile(r"^Stop and keep epoch \d+$"))
    keep.wait_for(timeout=DEADLINE * 1000)
    alarm = _main(page).locator("[data-nnlab-live] .verdict")  # drawn by the live chart (issue 24)
    alarm.filter(has_text="has blown up").wait_for(timeout=DEADLINE * 1000)
    assert alarm.inner_text().startswith("Live verdict:")
    shoot(page, "live-verdict-blow-up")
    shown = int(re.search(r"epoch (\d+)$", keep.inner_text().strip()).group(1))
    keep.click()
    restored = _main(page).get_by_text(re.compile(r"Restored to epoch \d+, the lowest validation loss")).first
    restored.wait_for(timeout=DEADLINE * 1000)
    # The best epoch when the Stop landed: the one shown, or a better one that came before the click did.
    assert int(re.search(r"Restored to epoch (\d+),", restored.inner_text()).group(1)) >= shown
    # Training has ended: the button goes when the page's run that drew the result finishes (its elements from
    # before stay, stale, until then: on a loaded machine, after "Restored" is already drawn).
    keep.wait_for(state="hidden", timeout=DEADLINE * 1000)
    shoot(page, "live-verdict-restored")


def test_a_run_that_overfits_shows_the_onset_on_its_chart(verdict_server, page):
    # 60 digits through a wide network: the validation loss turns up after a few epochs.
    open_app(page, f"{verdict_server}/Train?dataset=digits&train_size=60&hidden=256,256&learning_rate=0.01"
                   "&batch_size=8&epochs=30")
    _main(page).get_by_role("button", name="Train", exact=True).click(timeout=DEADLINE * 1000)  # a busy server
    page.get_by_text("Trained all 30 epochs.").first.wait_for(timeout=DEADLINE * 1000)
    facts = _main(page).get_by_text(re.compile(r"overfitting since epoch \d+"))
    onset = int(re.search(r"overfitting since epoch (\d+)", facts.first.inner_text()).group(1))
    loss_chart = page.locator('[data-testid="stVegaLiteChart"]').first
    deadline = time.time() + 30
    while f"overfitting: {onset}" not in _chart_text(loss_chart):  # the rule's label, drawn by Vega
        assert time.time() < deadline, f"no onset label on the chart: {_chart_text(loss_chart)!r}"
        time.sleep(0.5)
    loss_chart.scroll_into_view_if_needed()
    shoot(page, "verdict-onset-on-chart")


def _chart_text(chart) -> str:
    """The text Vega drew (its SVG's text elements)."""
    return " ".join(chart.locator("text").evaluate_all("texts => texts.map(t => t.textContent || '')"))
