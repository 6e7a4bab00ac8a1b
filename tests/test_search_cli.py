"""`python -m nnlab search`: one line for a bad space, JSON for scripts, and several worker processes
sharing one study through PostgreSQL, each trial trained once and kept as a run. A search's own
output is checked in this process (`main(argv)`); the workers are real processes, as in a class."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 600
SMALL = ["--dataset", "gauss", "--epochs", "2", "--space", "learning_rate=1e-3..3e-1:log", "--space",
         "optimizer=adam,sgd", "--sampler", "random", "--json"]


def env(tmp_path) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NNLAB_RUNS_DIR": str(tmp_path / "runs"),
            "TF_CPP_MIN_LOG_LEVEL": "2", "NNLAB_DATABASE_URL": ""}


def search(tmp_path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nnlab", "search", *args], cwd=tmp_path, env=env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out, err


def _searched(*args) -> tuple[int, str, str]:
    """`python -m nnlab search ARGS` in this process: its exit code, stdout and stderr."""
    done = run_cli("search", *args)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("space, says", [
    (("--space", "learning_rate=0.1..0.001"), "learning_rate: the low end 0.1 is above the high end 0.001"),
    (("--space", "momentum=0..1"), "cannot read the range 'momentum=0..1'"),
    (("--space", "layers=1..2:sqrt"), "the scale after ':' is 'log' or 'linear'"),
    (("--config", "/no/such.json"), "cannot read the settings file /no/such.json"),
])
def test_a_bad_space_exits_with_2_and_one_line(runs_dir, space, says):
    code, out, err = _searched(*space)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("nnlab: ") and says in err


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_search_prints_its_result_as_one_json_line_and_keeps_its_trials(tmp_path, runs_dir):
    code, out, err = _searched(*SMALL, "--trials", "3", "--study", "cli try")
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["study"] == "cli try" and result["trials"] == 3
    assert set(result["best"]["params"]) == {"learning_rate", "optimizer"} and 0 < result["best"]["value"] <= 1
    assert err.count("cli try · trial ") == 3

    from nnlab.store.runs import open_store

    store = open_store(f"sqlite:///{tmp_path / 'runs' / 'nnlab.sqlite'}")
    best = store.load(result["best"]["run_id"])
    assert best.label == f"cli try · trial {result['best']['trial']}" and best.extra["study"] == "cli try"


def test_two_worker_processes_share_one_study_on_postgresql(tmp_path, postgres_url):
    shared = [*SMALL, "--trials", "3", "--study", "class", "--database", postgres_url, "--quiet"]
    workers = [search(tmp_path, *shared) for _ in range(2)]
    results = []
    for worker in workers:
        code, out, err = finished(worker)
        assert code == 0, err
        results.append(json.loads(out.splitlines()[-1]))
    assert [r["trials"] for r in results] == [3, 3]

    import optuna

    from nnlab.store.runs import open_store
    from nnlab.search.study import storage

    study = optuna.load_study(study_name="shared/class", storage=storage(postgres_url))
    numbers = [trial.number for trial in study.get_trials()]
    assert sorted(numbers) == list(range(6))  # no trial number twice
    assert all(trial.state.name in ("COMPLETE", "PRUNED") for trial in study.get_trials())
    runs, _ = open_store(postgres_url).list()
    assert sorted(run.extra["trial"] for run in runs) == list(range(6))
    assert {trial.user_attrs["run_id"] for trial in study.get_trials()} == {run.id for run in runs}
