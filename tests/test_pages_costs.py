"""Issue 20 on the Train page: what a visitor reads when a limit of the server applies."""
import pytest

from apptest_helpers import button, open_page, plain, wait_until

TRAIN = "app_pages/1_Train.py"


@pytest.mark.slow
def test_a_model_over_the_workspace_quota_is_not_kept_and_the_result_says_so(runs_dir, deployment):
    deployment(workspace_models_mb=1e-6)  # not even a tiny model fits
    at = open_page(TRAIN, dataset="iris", hidden="4", epochs="2")
    button(at, "Train").click().run()
    job = at.session_state["train_job"]
    wait_until(at, lambda at: job.done)
    shown = plain(" ".join(str(box.value) for box in (*at.success, *at.info, *at.warning)))
    assert "was not kept: your runs' models already take" in shown
    assert "delete runs whose models you no longer need on the Runs page" in shown


def test_a_run_over_the_budget_is_refused_on_the_page_naming_the_validation_pass(runs_dir, deployment):
    deployment(max_compute=1e10)  # its training alone (1.4 × 10⁹) fits, its validation does not
    at = open_page(TRAIN, dataset="digits", hidden="512,512", train_size="20", validation_fraction="0.5",
                   epochs="200")
    button(at, "Train").click().run()
    shown = plain(" ".join(str(box.value) for box in at.error))
    assert "This run needs" in shown and "validation" in shown and "a smaller validation_fraction" in shown
    assert "train_job" not in at.session_state  # nothing queued
