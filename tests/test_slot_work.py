"""The protocol between the queue and the work (serving/slot_work.py) is public and implemented by
every kind of work; the runs a race, sweep or search drives are driven through it alone."""
import ast
from pathlib import Path

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.serving.jobs import RaceJob, SweepJob, TrainingJob
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.scheduler import Scheduler
from nnlab.search.study import SearchPlan, parse_space
from nnlab.serving.search_job import SearchJob
from nnlab.serving.slot_work import QueuedWork, SlotRun

NNLAB = Path(__file__).resolve().parents[1] / "nnlab"


def _load(config):
    raise AssertionError("nothing is loaded here")


def _work():
    scheduler = Scheduler(1)
    runs = [TrainingJob(RunConfig(seed=seed), _load, scheduler=scheduler) for seed in (1, 2)]
    plan = SearchPlan(base=RunConfig(), space=parse_space(["learning_rate=1e-3..1e-1:log"]), trials=2, minutes=5)
    return {
        "run": TrainingJob(RunConfig(), _load, scheduler=scheduler),
        "race": RaceJob(runs[:1], scheduler=scheduler),
        "sweep": SweepJob(runs[1:], scheduler=scheduler),
        "search": SearchJob(plan, url="sqlite://", key="w/s", load=_load, store=None, scheduler=scheduler),
        "finder": FinderJob(RunConfig(), _load, scheduler=scheduler),
    }


@pytest.mark.parametrize("kind", ["run", "race", "sweep", "search", "finder"])
def test_every_kind_of_work_is_queued_work(kind):
    assert isinstance(_work()[kind], QueuedWork)


def test_a_training_job_is_a_run_the_work_drives_and_a_group_is_its_request():
    work = _work()
    assert isinstance(work["run"], SlotRun) and not isinstance(work["finder"], SlotRun)
    member = work["race"].members[0]
    assert isinstance(member, SlotRun)
    race = work["race"]
    race._seen = member._seen = 0.0  # last seen long ago
    member.touch()  # touching a member touches its race: the race is what the queue holds
    assert race._seen > 0.0 and member._seen == 0.0
    assert race.queue_position() is None and member.queue_position() is None


def _imports_inside_functions(path: Path) -> set[str]:
    found = set()
    for function in ast.walk(ast.parse(path.read_text())):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.module:
                    found.add(node.module)
                elif isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
    return found


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_work_does_not_import_the_jobs_it_drives():
    """slot_work knows runs by the SlotRun protocol only: no circle with jobs, open or hidden."""
    assert not any(name.endswith("jobs") for name in _imports(NNLAB / "serving" / "slot_work.py"))
    assert not any(name.endswith("slot_work") for name in _imports_inside_functions(NNLAB / "serving" / "jobs.py"))
