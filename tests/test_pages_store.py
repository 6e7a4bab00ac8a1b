"""Pages when the database cannot be used: they say so in words and the visitor still trains, unsaved."""
import pytest

from apptest_helpers import button, open_page, wait_until
from nnlab.ui import workspace


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_database_that_cannot_be_used_is_said_and_training_goes_on_unsaved(runs_dir, tmp_path, monkeypatch,
                                                                             deployment):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    deployment(database_url=f"sqlite:///{blocked}/nnlab.sqlite")
    monkeypatch.setattr(workspace, "_FAILED", {})
    runs = open_page("app_pages/2_Runs.py")
    assert [e.value for e in runs.error] and runs.error[0].value.startswith("Runs are not being saved: The database ")
    assert "You can still train" in runs.error[0].value and not runs.dataframe

    at = open_page("app_pages/1_Train.py", dataset="iris", hidden="8", epochs="2")
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    job = at.session_state["train_job"]
    assert job.status == "completed" and len(job.history) == 2 and job.run_id is None
    assert any(w.value.startswith("Runs are not being saved") for w in at.warning), [w.value for w in at.warning]
    assert not at.exception

    deployment(database_url=None)  # the deployer fixes the URL: pages use it again
    monkeypatch.setattr(workspace, "_FAILED", {})
    assert not open_page("app_pages/2_Runs.py").error


def test_no_visitor_of_a_class_can_name_the_shared_workspace(tmp_path, deployment):
    deployment(runs_dir=tmp_path, runs="private")
    from nnlab.store.runs import open_store
    from test_runs import saved_run

    saved_run(open_store())  # a CLI run on the server: the shared workspace
    visitor = open_page("app_pages/2_Runs.py", workspace="shared")
    assert workspace.LINK_KEY not in visitor.query_params and not visitor.dataframe
