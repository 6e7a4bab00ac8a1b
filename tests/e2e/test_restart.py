"""A class's server on PostgreSQL dies mid-training and comes back on an empty disk (as Community
Cloud does after a restart or a sleep): every run is still there, the finished one whole, the one cut
off with the epochs it had."""
import signal
import time

import pytest

from conftest import open_app, start_server, stop_server
from nnlab.store.runs import open_store
from nnlab.core.status import Status

pytestmark = pytest.mark.browser


def _train(page, url: str) -> None:
    open_app(page, url)
    # The first page of a fresh server imports TensorFlow's data sets: on a busy machine, a minute or more.
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click(timeout=180_000)


def _wait(condition, what: str, timeout: float = 180):
    deadline = time.time() + timeout
    while not (found := condition()):
        assert time.time() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.5)
    return found


def test_a_killed_postgresql_server_comes_back_with_every_run(postgres_url, page, tmp_path):
    env = {"NNLAB_DATABASE_URL": postgres_url, "NNLAB_RUNS": "shared", "NNLAB_TRAINING": "in-process"}  # the server trains
    (tmp_path / "first").mkdir()
    url, process = start_server(tmp_path / "first", **env)
    store = open_store(postgres_url)
    try:
        _train(page, f"{url}/Train?dataset=iris&hidden=8&epochs=3")
        page.get_by_text("Trained all 3 epochs.").first.wait_for(timeout=120_000)
        _train(page, f"{url}/Train?dataset=digits&hidden=64&epochs=300&batch_size=1")  # until the server dies
        _wait(lambda: any(run.config.dataset == "digits" and run.epochs_run >= 2 for run in store.list()[0]),
              "two epochs of the long run")
    finally:
        process.send_signal(signal.SIGKILL)  # no goodbye: as a crashed or evicted container
        process.wait(timeout=30)
    (tmp_path / "second").mkdir()  # a fresh disk: nothing survives but the database
    url, process = start_server(tmp_path / "second", **env)
    try:
        open_app(page, f"{url}/Runs")
        page.get_by_text("2 of 2 rows", exact=False).wait_for(timeout=60_000)
        runs = {run.config.dataset: run for run in store.list()[0]}
        finished, cut = runs["iris"], runs["digits"]
        assert finished.status == Status.COMPLETED and finished.epochs_run == 3 and finished.has_model
        assert cut.status in (Status.RUNNING, Status.INTERRUPTED) and cut.epochs_run >= 2  # running until stale
        assert len(store.load(cut.id).history) == cut.epochs_run
    finally:
        stop_server(process)
