import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nnlab import runs as runs_module
from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.runs import RunStore

HISTORY = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4, "seconds": 0.5},
           {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.7, "seconds": 0.4}]


def saved_run(store: RunStore, **settings) -> str:
    run_id = store.create(RunConfig(**settings), dataset_title="Iris", task="classification", params=67)
    store.save_history(run_id, HISTORY)
    store.finish(run_id, status="completed", message="Trained all 2 epochs.", test={"loss": 0.6, "accuracy": 0.75},
                 verdict={"kind": "good_fit", "title": "Good fit"})
    return run_id


def test_round_trip(tmp_path):
    store = RunStore(tmp_path)
    config = RunConfig(dataset="iris", hidden=(8, 4), dropout=0.2)
    run_id = saved_run(store, dataset="iris", hidden=(8, 4), dropout=0.2)
    run = store.load(run_id)
    assert run.config == config and run.status == "completed" and run.test == {"loss": 0.6, "accuracy": 0.75}
    assert run.history.to_dict("records") == HISTORY
    assert run.epochs_run == 2 and run.seconds == pytest.approx(0.9) and run.best == (2, 0.7)
    listed, damaged = store.list()
    assert [r.id for r in listed] == [run_id] and damaged == []
    # human-readable files
    assert json.loads((tmp_path / run_id / "run.json").read_text())["config"]["hidden"] == [8, 4]
    assert (tmp_path / run_id / "history.csv").read_text().startswith("epoch,loss,val_loss")


def test_the_model_is_kept_and_loads(tmp_path):
    from nnlab.data import load_dataset
    from nnlab.tf_runtime import keras
    from nnlab.train import train

    config = RunConfig(dataset="iris", hidden=(4,), epochs=1)
    result = train(config, load_dataset(config))
    store = RunStore(tmp_path)
    run_id = store.create(config)
    store.finish(run_id, status=result.status, history=result.history, model=result.model)
    assert store.load(run_id).has_model
    assert keras.models.load_model(store.model_path(run_id)).count_params() == result.params


def test_nan_figures_are_saved_as_null(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    store.finish(run_id, status="diverged", test={"loss": float("nan"), "accuracy": 0.1},
                 history=[{**HISTORY[0], "loss": float("inf")}])
    assert json.loads((tmp_path / run_id / "run.json").read_text())["test"]["loss"] is None
    assert store.load(run_id).status == "diverged"


def test_an_interrupted_write_leaves_the_previous_version(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    run_id = saved_run(store)

    def crash(*_):
        raise KeyboardInterrupt  # as if the process were killed between writing and renaming

    monkeypatch.setattr(runs_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save_history(run_id, HISTORY + [{**HISTORY[1], "epoch": 3}])
    monkeypatch.undo()
    run = store.load(run_id)
    assert run.epochs_run == 2 and len(run.history) == 2
    assert not [p for p in (tmp_path / run_id).iterdir() if p.name.endswith(".tmp")]  # cleaned up
    (tmp_path / run_id / ".run.json.abc.tmp").write_text('{"half": ')  # a crash that left one behind
    assert [r.id for r in store.list()[0]] == [run_id]


def test_a_killed_training_process_keeps_its_epochs(tmp_path):
    code = (
        "import sys\nfrom nnlab.config import RunConfig\nfrom nnlab.data import load_dataset\n"
        "from nnlab.jobs import TrainingJob\nfrom nnlab.runs import RunStore\n"
        "config = RunConfig(dataset='digits', hidden=(32,), epochs=1000, batch_size=8)\n"
        "TrainingJob(config, load_dataset, store=RunStore(sys.argv[1])).run()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env={**os.environ, "PYTHONPATH": str(
        Path(__file__).resolve().parents[1])})
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            histories = list(tmp_path.glob("*/history.csv"))
            if histories and histories[0].read_text().count("\n") >= 3:  # header + 2 epochs
                break
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    runs, damaged = RunStore(tmp_path).list()
    assert damaged == [] and len(runs) == 1
    assert runs[0].status == "interrupted" and runs[0].epochs_run >= 2
    assert len(RunStore(tmp_path).load(runs[0].id).history) >= 2


def test_damaged_and_foreign_folders_are_listed_and_skipped(tmp_path):
    store = RunStore(tmp_path)
    good = saved_run(store)
    (tmp_path / "holiday-photos").mkdir()
    (tmp_path / "20260101-000000-aaaaaa").mkdir()
    (tmp_path / "20260101-000000-aaaaaa" / "run.json").write_text("{not json")
    (tmp_path / "20260101-000000-bbbbbb").mkdir()
    (tmp_path / "20260101-000000-bbbbbb" / "run.json").write_text(json.dumps(
        {"format": 1, "config": {"epochs": -3}, "status": "completed", "created": "x", "updated": "x"}))
    (tmp_path / "20260101-000000-cccccc").mkdir()
    (tmp_path / "20260101-000000-cccccc" / "run.json").write_text("[1, 2]")
    (tmp_path / "notes.txt").write_text("a file, not a run")
    runs, damaged = store.list()
    assert [r.id for r in runs] == [good]
    reasons = {d.id: d.reason for d in damaged}
    assert set(reasons) == {"holiday-photos", "20260101-000000-aaaaaa", "20260101-000000-bbbbbb", "20260101-000000-cccccc"}
    assert "not an nnlab run" in reasons["holiday-photos"] and "epochs" in reasons["20260101-000000-bbbbbb"]


def test_a_missing_store_lists_nothing(tmp_path):
    assert RunStore(tmp_path / "nowhere").list() == ([], [])


def test_concurrent_writers_never_share_a_folder(tmp_path):
    store = RunStore(tmp_path)
    ids, errors = [], []

    def write():
        try:
            ids.append(saved_run(store))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(ids)) == 24
    runs, damaged = store.list()
    assert len(runs) == 24 and damaged == []


def test_two_processes_writing_at_once(tmp_path):
    code = ("import sys\nsys.path.insert(0, sys.argv[2])\nfrom test_runs import saved_run\nfrom nnlab.runs import RunStore\n"
            "store = RunStore(sys.argv[1])\nfor _ in range(10):\n    saved_run(store)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(Path(__file__).parent)], env=env)
             for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    runs, damaged = RunStore(tmp_path).list()
    assert len(runs) == 20 and damaged == []


def test_rename_during_training_is_not_overwritten_by_the_next_epoch(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig(), label="first name")
    store.rename(run_id, "better name")
    store.save_history(run_id, HISTORY)
    store.finish(run_id, status="completed")
    assert store.load(run_id).label == "better name"


def test_delete_and_ids_that_point_outside(tmp_path):
    store = RunStore(tmp_path)
    run_id = saved_run(store)
    store.delete(run_id)
    assert store.list() == ([], []) and not (tmp_path / run_id).exists()
    for bad in ("../etc", "/tmp", "x" * 10):
        with pytest.raises(UserError, match="not a run id"):
            store.delete(bad)
    with pytest.raises(UserError, match="no longer exists"):
        store.load(run_id)


def test_a_running_run_owned_by_a_live_job_is_not_interrupted(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    assert store.list(active={run_id})[0][0].status == "running"
    assert store.list()[0][0].status == "interrupted"
