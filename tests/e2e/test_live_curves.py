"""Live curves in a real browser: the chart grows epoch by epoch while the run trains, from the first
epoch on, not in a few jumps. The run is stepped (Start paused, then One epoch at a time), so what the
chart must show at each moment is fixed by events, not by how fast this machine trains or draws."""
import sqlite3

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import DRAWN_EPOCH_JS, open_app, shoot, start_server, stop_server

pytestmark = pytest.mark.browser

DEADLINE = 120  # seconds each step may take to be drawn (a loaded machine)

# The last epoch drawn once it is `epoch` or later (null before): an event to wait for.
DRAWN_AT_LEAST_JS = f"(epoch) => {{ const drawn = ({DRAWN_EPOCH_JS})(); return drawn >= epoch ? drawn : null; }}"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server of its own, so the epochs it has saved are this test's run's."""
    folder = tmp_path_factory.mktemp("live-runs")
    url, process = start_server(folder, NNLAB_RUNS="shared")
    yield url, folder / "nnlab.sqlite"
    stop_server(process)


def _saved_epochs(database: str) -> int:
    """The epochs the training has ended (each is saved as it ends)."""
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return connection.execute("SELECT max(epoch) FROM nnlab_epochs").fetchone()[0] or 0
    except sqlite3.OperationalError:
        return 0  # no run yet: the tables come with the first one


def _wait_drawn(page, epoch: int) -> int:
    return page.wait_for_function(DRAWN_AT_LEAST_JS, arg=epoch, timeout=DEADLINE * 1000).json_value()


def _wait_paused_after(page, main, epoch: int, database) -> None:
    """Wait for the run to say it holds after `epoch`; if it never does, fail saying where it stands."""
    try:
        main.get_by_text(f"Paused after epoch {epoch}.").wait_for(timeout=DEADLINE * 1000)
    except PlaywrightTimeout:
        said = main.get_by_test_id("stCaptionContainer").all_inner_texts()
        raise AssertionError(f"no 'Paused after epoch {epoch}.': drawn {page.evaluate(DRAWN_EPOCH_JS)}, saved "
                             f"{_saved_epochs(str(database))}, the page's captions: {said}") from None


def test_the_chart_grows_epoch_by_epoch_from_the_first_epoch(live_server, page):
    url, database = live_server
    epochs, stepped = 5, 3
    open_app(page, f"{url}/Train?dataset=mnist&train_size=3000&hidden=32&batch_size=100&epochs={epochs}")
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_text("Start paused (step mode)").click()
    main.get_by_role("button", name="Train", exact=True).click()
    # Held after each stepped epoch, the chart must show exactly the epochs that have ended: the first epoch
    # is drawn on its own, and each next one while the run waits (drawn live, not at the end).
    for epoch in range(1, stepped + 1):
        main.get_by_role("button", name="One epoch").click(timeout=DEADLINE * 1000)  # enabled once the run holds
        drawn = _wait_drawn(page, epoch)
        _wait_paused_after(page, main, epoch, database)
        saved = _saved_epochs(str(database))
        assert drawn == epoch == saved, f"after stepping to epoch {epoch}: drawn {drawn}, saved {saved}"
        assert page.evaluate(DRAWN_EPOCH_JS) == epoch, "the chart drew an epoch the run had not trained"
    shoot(page, "live-curves-stepped")
    main.get_by_role("button", name="Resume").click()
    assert _wait_drawn(page, epochs) == epochs
    page.get_by_text("Test accuracy", exact=True).wait_for(timeout=DEADLINE * 1000)
    shoot(page, "live-curves-grown")
