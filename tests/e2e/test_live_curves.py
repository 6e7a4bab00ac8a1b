"""Live curves in a real browser: the chart grows epoch by epoch while the run trains, from the first
epoch on, not in a few jumps."""
import sqlite3
import time

import pytest

from conftest import DRAWN_EPOCH_JS, open_app, shoot, start_server, stop_server

pytestmark = pytest.mark.browser

DEADLINE = 120  # seconds the whole run may take to be seen


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


def test_the_chart_grows_epoch_by_epoch_from_the_first_epoch(live_server, page):
    url, database = live_server
    # Epochs of about 2.5 s on a quiet machine, each a few polls long: the first point must be drawn before
    # a second epoch has ended after the first, a margin a loaded browser still keeps (with 0.5 s epochs a
    # lag of 1.5 s under load read as "appeared after 3 epochs"). Training slows with the browser under load.
    epochs = 4
    open_app(page, f"{url}/Train?dataset=mnist&train_size=30000&hidden=128&batch_size=32&epochs={epochs}")
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()
    drawn_values, saved_when_first_drawn = [], None
    deadline = time.time() + DEADLINE
    while not drawn_values or drawn_values[-1] < epochs:
        assert time.time() < deadline, f"the chart drew epochs {drawn_values} of {epochs} in {DEADLINE} s"
        drawn = page.evaluate(DRAWN_EPOCH_JS)
        saved = _saved_epochs(str(database))  # read after the chart: at least as many had ended when it was drawn
        if drawn and not drawn_values:
            saved_when_first_drawn = saved
        if drawn and drawn not in drawn_values:
            drawn_values.append(drawn)
        time.sleep(0.02)
    shoot(page, "live-curves-grown")
    assert saved_when_first_drawn is not None and saved_when_first_drawn <= 2, \
        f"the first point appeared when {saved_when_first_drawn} epochs had ended"
    assert len(drawn_values) >= 3, f"the chart jumped through {drawn_values}"
    assert drawn_values == sorted(drawn_values)
