"""A start button's click survives a run Streamlit cut short (fastReruns): the click's callback notes it, and
the next run that reaches the button starts the work once, with that run's settings; a stale note starts nothing."""
import time

import pytest

from apptest_helpers import open_page, wait_until
from nnlab.ui import kept_click

TRAIN = "app_pages/1_Train.py"


@pytest.mark.slow  # trains
def test_a_train_click_whose_run_was_cut_short_starts_the_run_in_the_next_run(runs_dir):
    at = open_page(TRAIN, dataset="iris", hidden="4", epochs="2")
    assert "train_job" not in at.session_state
    # What the click's callback leaves when the run it started is stopped before the button's line.
    at.session_state[kept_click._noted("train_start")] = time.monotonic()
    at.run()  # the next request's run (a widget's change): no trigger of its own
    job = at.session_state["train_job"]
    assert job.config.hidden == (4,) and job.config.epochs == 2  # the settings this run showed
    wait_until(at, lambda at: job.done)
    assert kept_click._noted("train_start") not in at.session_state  # honoured once
    at.run()
    assert at.session_state["train_job"] is job  # no second run


def test_a_stale_click_starts_nothing(runs_dir):
    at = open_page(TRAIN, dataset="iris", hidden="4", epochs="2")
    at.session_state[kept_click._noted("train_start")] = time.monotonic() - kept_click.KEEP_SECONDS - 1
    at.run()
    assert "train_job" not in at.session_state
    assert kept_click._noted("train_start") not in at.session_state
