import errno
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nnlab import runs as runs_module
from nnlab import uploads
from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.runs import HEARTBEAT_FILE, RunStore
from nnlab.status import Status
from nnlab.uploads import UploadStore

HISTORY = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4, "seconds": 0.5},
           {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.7, "seconds": 0.4}]


def saved_run(store: RunStore, **settings) -> str:
    run_id = store.create(RunConfig(**settings), dataset_title="Iris", task="classification", params=67)
    store.save_history(run_id, HISTORY)
    store.finish(run_id, status="completed", message="Trained all 2 epochs.", test={"loss": 0.6, "accuracy": 0.75},
                 verdict={"kind": "good_fit", "title": "Good fit"})
    return run_id


def leftovers(folder: Path) -> list[str]:
    """Temporary files and draft folders anywhere under a folder."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


def test_round_trip(tmp_path):
    store = RunStore(tmp_path)
    config = RunConfig(dataset="iris", hidden=(8, 4), dropout=0.2)
    run_id = saved_run(store, dataset="iris", hidden=(8, 4), dropout=0.2)
    run = store.load(run_id)
    assert run.config == config and run.status == Status.COMPLETED and run.test == {"loss": 0.6, "accuracy": 0.75}
    assert run.history.to_dict("records") == HISTORY and run.problems == ()
    assert run.epochs_run == 2 and run.seconds == pytest.approx(0.9) and run.best == (2, 0.7)
    listed, damaged = store.list()
    assert [r.id for r in listed] == [run_id] and damaged == []
    assert listed[0].history is None and listed[0].best == (2, 0.7)  # the list reads no history, yet knows the best
    # human-readable files
    assert json.loads((tmp_path / run_id / "run.json").read_text())["config"]["hidden"] == [8, 4]
    assert (tmp_path / run_id / "history.csv").read_text().startswith("epoch,loss,val_loss")


def test_the_metric_follows_the_task(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig(dataset="iris"), task="regression")
    store.save_history(run_id, [{"epoch": 1, "loss": 1.0, "val_loss": 0.9, "mae": 0.8, "val_mae": 0.7}])
    run = store.load(run_id)
    assert run.metric == "mae" and run.best == (1, 0.7) and store.list()[0][0].best == (1, 0.7)


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
    assert leftovers(tmp_path) == []


def test_nan_figures_are_saved_as_null(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    store.finish(run_id, status="diverged", test={"loss": float("nan"), "accuracy": 0.1},
                 history=[{**HISTORY[0], "loss": float("inf")}])
    assert json.loads((tmp_path / run_id / "run.json").read_text())["test"]["loss"] is None
    run = store.load(run_id)
    assert run.status == Status.DIVERGED and run.history["loss"].tolist() == [float("inf")] and run.problems == ()


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
    assert leftovers(tmp_path) == []  # cleaned up
    (tmp_path / run_id / ".run.json.abc.tmp").write_text('{"half": ')  # a crash that left one behind
    (tmp_path / ".new-abc").mkdir()  # and a half-made run
    assert [r.id for r in store.list()[0]] == [run_id] and store.list()[1] == []


def test_leftovers_of_a_killed_process_are_swept_but_not_a_create_at_work(tmp_path):
    store = RunStore(tmp_path)
    saved_run(store)
    old, working = tmp_path / ".new-killed", tmp_path / ".new-working"
    for folder in (old, working, tmp_path / ".deleted-20260101-000000-aaaaaa-abc"):
        folder.mkdir()
        (folder / "run.json").write_text("{}")
    long_ago = time.time() - runs_module.LEFTOVER_SECONDS - 60
    for folder in (old, tmp_path / ".deleted-20260101-000000-aaaaaa-abc"):
        os.utime(folder, (long_ago, long_ago))
    saved_run(store)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".new-working"]
    assert len(store.list()[0]) == 2


# --- liveness -----------------------------------------------------------------------------------

def make_stale(store: RunStore, run_id: str) -> None:
    past = time.time() - store.stale_seconds - 5
    for name in (HEARTBEAT_FILE, "run.json"):
        os.utime(store.root / run_id / name, (past, past))


def test_a_run_with_a_recent_heartbeat_is_running_for_every_viewer(tmp_path):
    run_id = RunStore(tmp_path).create(RunConfig())
    other_viewer = RunStore(tmp_path)  # another visitor's page, a second tab: no shared memory
    assert other_viewer.list()[0][0].status == Status.RUNNING and other_viewer.load(run_id).status == Status.RUNNING


def test_a_run_whose_heartbeat_stopped_is_interrupted_and_a_new_beat_revives_it(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    store.save_history(run_id, HISTORY)
    make_stale(store, run_id)
    listed = store.list()[0][0]
    assert listed.status == Status.INTERRUPTED and "completed epochs are kept" in listed.message
    assert store.load(run_id).status == Status.INTERRUPTED
    assert store.beat(run_id)
    assert store.list()[0][0].status == Status.RUNNING


def test_a_finished_run_is_not_interrupted_by_an_old_heartbeat(tmp_path):
    store = RunStore(tmp_path)
    run_id = saved_run(store)
    make_stale(store, run_id)
    assert store.list()[0][0].status == Status.COMPLETED


def test_a_run_made_before_heartbeats_counts_its_last_write(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    (tmp_path / run_id / HEARTBEAT_FILE).unlink()
    assert store.load(run_id).status == Status.RUNNING
    make_stale_run_json = time.time() - store.stale_seconds - 5
    os.utime(tmp_path / run_id / "run.json", (make_stale_run_json, make_stale_run_json))
    assert store.load(run_id).status == Status.INTERRUPTED


def test_beat_never_raises_and_never_brings_back_a_deleted_run(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    store.delete(run_id)
    assert store.beat(run_id) is False and not (tmp_path / run_id).exists()
    assert store.beat("../../etc") is False


def test_a_killed_training_process_keeps_its_epochs(tmp_path):
    """A process that saves an epoch at a time, as a training job does, killed mid-run."""
    code = (
        "import sys, time\nsys.path.insert(0, sys.argv[2])\nfrom test_runs import HISTORY\n"
        "from nnlab.config import RunConfig\nfrom nnlab.runs import RunStore\n"
        "store = RunStore(sys.argv[1])\nrun_id = store.create(RunConfig(dataset='iris'))\n"
        "for epoch in range(1, 1000):\n"
        "    store.save_history(run_id, [{**HISTORY[0], 'epoch': e} for e in range(1, epoch + 1)])\n"
        "    time.sleep(0.05)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(Path(__file__).parent)], env=env)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and process.poll() is None:
            if any(run.epochs_run >= 2 for run in RunStore(tmp_path).list()[0]):
                break
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait(timeout=30)
    store = RunStore(tmp_path, stale_seconds=1.0)
    deadline = time.time() + 30
    while store.list()[0][0].status == Status.RUNNING and time.time() < deadline:
        time.sleep(0.2)  # the heartbeat ages
    runs, damaged = store.list()
    assert damaged == [] and len(runs) == 1
    assert runs[0].status == Status.INTERRUPTED and runs[0].epochs_run >= 2, runs[0]
    assert len(store.load(runs[0].id).history) >= 2


# --- damage -------------------------------------------------------------------------------------

def good_meta(**changes) -> bytes:
    meta = {"format": 1, "id": "x", "config": RunConfig(dataset="iris").to_dict(), "status": "completed",
            "created": "2026-01-01T12:00:00+00:00", "updated": "2026-01-01T12:00:00+00:00", "task": "classification",
            "params": 67, "test": {"loss": 0.6, "accuracy": 0.75}, "verdict": {"kind": "good_fit"}, "message": "",
            "seconds": 0.9, "epochs_run": 2, "best": [2, 0.7]}
    return json.dumps({**meta, **changes}).encode()


def good_config(**changes) -> dict:
    return {**RunConfig(dataset="iris").to_dict(), **changes}


# run.json damage: (what, file content, words the reason must hold)
BROKEN_RUN_FILES = [
    ("invalid JSON", b'{"format": 1, "config": {', "run.json is not valid JSON"),
    ("empty file", b"", "run.json is not valid JSON"),
    ("binary garbage", b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfa" * 40, "run.json is not text"),
    ("a list", b"[1, 2]", "run.json holds a list"),
    ("a number", b"42", "run.json holds a number"),
    ("nested too deeply", b"[" * 200_000, "nested too deeply"),
    ("too large", b" " * 1_500_000 + b"{}", "larger than"),
    ("another format", good_meta(format=99), "format 99"),
    ("no settings", json.dumps({"format": 1, "status": "completed", "created": "2026-01-01"}).encode(), "no 'config'"),
    ("status a number", good_meta(status=3), "status should be one of"),
    ("status unknown", good_meta(status="flying"), "status should be one of"),
    ("status a list", good_meta(status=["running"]), "status should be one of"),
    ("config not a mapping", good_meta(config="fast"), "config should be settings"),
    ("config with an unknown key", good_meta(config=good_config(colour="red")), "unknown setting 'colour'"),
    ("config out of range", good_meta(config=good_config(epochs=-3)), "epochs"),
    ("config with a list for a name", good_meta(config=good_config(dataset=["iris"])), "setting this nnlab cannot use"),
    ("created a number", good_meta(created=12), "created should be a date"),
    ("created not a date", good_meta(created="yesterday"), "created should be a date"),
    ("task unknown", good_meta(task="poetry"), "task should be classification or regression"),
    ("params text", good_meta(params="67"), "params should be a whole number"),
    ("train_examples negative", good_meta(train_examples=-1), "train_examples should be a whole number"),
    ("seconds infinite", good_meta(seconds=1e999), "seconds should be a number"),
    ("test not a mapping", good_meta(test="high"), "test should be a mapping"),
    ("test figure text", good_meta(test={"accuracy": "75%"}), "test should be a mapping"),
    ("verdict kind unknown", good_meta(verdict={"kind": ["x"]}), "verdict should be"),
    ("best not a pair", good_meta(best=[1, 2, 3]), "best should be"),
]


def run_folder(root: Path, name: str = "20260101-120000-aaaaaa", **files: bytes) -> str:
    folder = root / name
    folder.mkdir(parents=True)
    files = {"run.json": good_meta(), "history.csv": b"epoch,loss,val_loss,accuracy,val_accuracy\n1,1,1.1,0.5,0.4\n",
             **{name.replace("_", "."): data for name, data in files.items()}}
    for file_name, data in files.items():
        if data is not None:
            (folder / file_name).write_bytes(data)
    return name


@pytest.mark.parametrize("what, content, reason", BROKEN_RUN_FILES, ids=[case[0] for case in BROKEN_RUN_FILES])
def test_a_damaged_run_file_is_named_by_list_and_load(tmp_path, what, content, reason):
    store = RunStore(tmp_path)
    good = saved_run(store)
    bad = run_folder(tmp_path, run_json=content)
    runs, damaged = store.list()
    assert [r.id for r in runs] == [good]
    assert [d.id for d in damaged] == [bad] and reason in damaged[0].reason, damaged[0].reason
    with pytest.raises(UserError, match="Delete it on the Runs page") as error:
        store.load(bad)
    assert reason in str(error.value)


# Damaged parts: (what, file, content, problem listed, problem loaded, epochs loaded)
BROKEN_PARTS = [
    ("label a number", "label.json", b"42", "label.json holds 42", None, 1),
    ("label a list", "label.json", b'["mine"]', "label.json holds ['mine']", None, 1),
    ("label invalid JSON", "label.json", b'{"label": ', "label.json is not valid JSON", None, 1),
    ("label not text", "label.json", b'{"label": 5}', "label.json holds", None, 1),
    ("label binary", "label.json", b"\xff\xfe\x00garbage", "label.json is not text", None, 1),
    ("history missing", "history.csv", None, "history.csv is missing", "history.csv is missing", 0),
    ("history bad row", "history.csv", b"epoch,loss,val_loss\n1,1,1.1\n2,0.5,0.7,9\n3,0.4,0.6\n", None,
     "1 row(s) of history.csv dropped (line 3: 4 cells where the header names 3)", 2),
    ("history non-numeric cell", "history.csv", b"epoch,loss,val_loss\n1,1,1.1\n2,abc,0.7\n", None,
     "line 3: loss 'abc' is not a number", 1),
    ("history bad epoch", "history.csv", b"epoch,loss,val_loss\n1.5,1,1.1\n0,0.5,0.7\n2,1,1\n", None,
     "2 row(s) of history.csv dropped (line 2: epoch 1.5 is not a whole number", 1),
    ("history missing column", "history.csv", b"epoch,loss\n1,1\n", None, "history.csv has no 'val_loss' column", 0),
    ("history column twice", "history.csv", b"epoch,loss,val_loss,loss\n1,1,1,1\n", None, "names a column twice", 0),
    ("history binary", "history.csv", bytes(range(256)) * 8, None, "history.csv is not text", 0),
    ("history NUL bytes", "history.csv", b"epoch,loss,val_loss\n1,1,\x001\n", None, None, 1),
    ("history too large", "history.csv", b"epoch,loss,val_loss\n" + b"1,1,1\n" * 1_000_000, None, "larger than", 0),
]


@pytest.mark.parametrize("what, name, content, listed_problem, loaded_problem, epochs", BROKEN_PARTS,
                         ids=[case[0] for case in BROKEN_PARTS])
def test_a_damaged_part_keeps_the_readable_rest_and_says_what_was_dropped(
        tmp_path, what, name, content, listed_problem, loaded_problem, epochs):
    store = RunStore(tmp_path)
    run_id = run_folder(tmp_path, **{name.replace(".", "_"): content})
    runs, damaged = store.list()
    assert damaged == [] and [r.id for r in runs] == [run_id]
    problems = " | ".join(runs[0].problems)
    assert (listed_problem in problems) if listed_problem else problems == "", problems
    run = store.load(run_id)
    problems = " | ".join(run.problems)
    expected = loaded_problem or listed_problem
    assert (expected or "") in problems and bool(problems) == bool(expected)
    assert len(run.history) == epochs and run.label == ""
    if epochs:
        assert run.history["epoch"].dtype.kind == "i" and run.history["loss"].dtype.kind == "f"


def test_foreign_folders_and_files_are_named_not_read(tmp_path):
    store = RunStore(tmp_path)
    good = saved_run(store)
    (tmp_path / "holiday-photos").mkdir()
    run_folder(tmp_path, "not-an-id")  # a run's files under a name that is not an id: unreachable by id
    (tmp_path / "20260101-000000-aaaaaa").mkdir()  # an id with nothing in it
    (tmp_path / "notes.txt").write_text("a file, not a run")
    UploadStore(tmp_path / uploads.FOLDER, quota_bytes=1000).save(b"x\n1\n", "data.csv")  # the workspace's uploads
    runs, damaged = store.list()
    assert [r.id for r in runs] == [good]
    reasons = {d.id: d.reason for d in damaged}
    assert set(reasons) == {"holiday-photos", "not-an-id", "20260101-000000-aaaaaa"}
    assert "not an nnlab run" in reasons["holiday-photos"] and "no run.json" in reasons["20260101-000000-aaaaaa"]


@pytest.mark.parametrize("seed", range(6))
def test_random_damage_never_raises_anything_but_user_error(tmp_path, seed):
    """Truncated files, flipped bytes and swapped files: list() answers, load() answers or raises
    UserError, never anything else."""
    chance = random.Random(seed)
    store = RunStore(tmp_path)
    for _ in range(12):
        run_id = saved_run(store)
        store.rename(run_id, "a name")
        for name in ("run.json", "history.csv", "label.json"):
            path = tmp_path / run_id / name
            data = bytearray(path.read_bytes())
            action = chance.choice(("truncate", "flip", "keep", "insert"))
            if action == "truncate":
                data = data[: chance.randrange(len(data) + 1)]
            elif action == "flip" and data:
                for _ in range(chance.randint(1, 4)):
                    data[chance.randrange(len(data))] = chance.randrange(256)
            elif action == "insert":
                at = chance.randrange(len(data) + 1)
                data[at:at] = chance.choice([b",", b"\n", b"null", b'"', b"\x00", b"\xc3", b"1e999", b"[]"])
            path.write_bytes(bytes(data))
    runs, damaged = store.list()
    assert len(runs) + len(damaged) == 12
    for run_id in [r.id for r in runs] + [d.id for d in damaged]:
        try:
            store.load(run_id)
        except UserError:
            pass


# --- full and read-only disks -------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KB file system (tmpfs): needs root and a kernel that lets us mount."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; returns the filler (delete it to make room again)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def trained_model():
    from nnlab.data import load_dataset
    from nnlab.train import train

    config = RunConfig(dataset="iris", hidden=(16,), epochs=1)
    return train(config, load_dataset(config)).model


def test_a_full_disk_leaves_nothing_behind_and_the_run_can_still_be_marked_failed(tiny_disk):
    store = RunStore(tiny_disk / "runs")
    store.root.mkdir()
    filler = fill(tiny_disk)
    with pytest.raises(OSError) as error:
        store.create(RunConfig(), label="mine")
    assert error.value.errno == errno.ENOSPC
    assert list(store.root.iterdir()) == [] and store.list() == ([], [])  # no half-made run
    filler.unlink()
    run_id = store.create(RunConfig(dataset="iris"))
    store.save_history(run_id, HISTORY)
    filler = fill(tiny_disk)
    with pytest.raises(OSError):
        store.save_history(run_id, HISTORY * 40)
    with pytest.raises(OSError):
        store.finish(run_id, status="completed", model=trained_model())
    assert leftovers(store.root) == []  # no orphan temporary model nor JSON
    assert store.mark_failed(run_id, "The disk is full: delete some runs, then train again.")
    run = store.load(run_id)  # the old file's own space was overwritten in place
    assert run.status == Status.FAILED and run.message.startswith("The disk is full") and len(run.history) == 2
    filler.unlink()
    store.finish(run_id, status="completed", model=trained_model())  # room again: the model is kept
    assert store.load(run_id).has_model and leftovers(store.root) == []


def test_a_read_only_disk_raises_oserror_and_mark_failed_does_not(tiny_disk):
    store = RunStore(tiny_disk)
    run_id = saved_run(store)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    for write in (lambda: store.create(RunConfig()), lambda: store.save_history(run_id, HISTORY),
                  lambda: store.finish(run_id, status="completed", model=trained_model())):
        with pytest.raises(OSError) as error:
            write()
        assert error.value.errno == errno.EROFS
    assert store.mark_failed(run_id, "read-only") is False and store.beat(run_id) is False
    assert [r.status for r in store.list()[0]] == [Status.COMPLETED]


def test_a_failing_model_save_leaves_no_temporary_model(tmp_path):
    class HalfSaved:
        def save(self, path):
            Path(path).write_bytes(b"PK half a zip")
            raise OSError(errno.ENOSPC, "No space left on device")

    store = RunStore(tmp_path)
    run_id = saved_run(store)
    with pytest.raises(OSError):
        store.finish(run_id, status="completed", model=HalfSaved())
    assert leftovers(tmp_path) == [] and not store.load(run_id).has_model


def test_a_failing_write_during_create_leaves_no_folder(tmp_path, monkeypatch):
    def no_space(_):
        raise OSError(errno.ENOSPC, "No space left on device")

    store = RunStore(tmp_path)
    monkeypatch.setattr(runs_module.os, "fsync", no_space)
    with pytest.raises(OSError):
        store.create(RunConfig(), label="mine")
    assert list(tmp_path.iterdir()) == []


def test_mark_failed_on_a_full_disk_falls_back_to_overwriting_in_place(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    monkeypatch.setattr(runs_module, "write_text", lambda *_: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    assert store.mark_failed(run_id, "no room " * 500)  # too long for the old file's space: shortened
    run = store.load(run_id)
    assert run.status == Status.FAILED and run.message.startswith("no room")


def test_mark_failed_never_raises(tmp_path):
    store = RunStore(tmp_path)
    assert store.mark_failed("../outside", "x") is False
    assert store.mark_failed("20260101-000000-aaaaaa", "x") is False  # no such run
    run_id = run_folder(tmp_path, run_json=b"\xff garbage")
    assert store.mark_failed(run_id, "x") is False


def test_a_run_deleted_while_training_is_not_brought_back(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create(RunConfig())
    store.delete(run_id)
    with pytest.raises(OSError):
        store.save_history(run_id, HISTORY)
    assert list(tmp_path.iterdir()) == []


# --- many writers ---------------------------------------------------------------------------------

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
        thread.join(timeout=60)
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
    for bad in ("../etc", "/tmp", "x" * 10, run_id + "/../..", run_id + "\0"):
        with pytest.raises(UserError, match="not a run id"):
            store.delete(bad)
    with pytest.raises(UserError, match="no longer exists"):
        store.load(run_id)
    with pytest.raises(UserError, match="no longer exists"):
        store.rename(run_id, "x")
    assert store.model_path("../etc") is None


def test_many_viewers_reading_while_runs_are_written_and_deleted_never_see_damage(tmp_path):
    store = RunStore(tmp_path)
    for _ in range(5):
        saved_run(store)
    stop, problems = threading.Event(), []

    def write():
        while not stop.is_set():
            run_id = saved_run(store)
            store.rename(run_id, "renamed")
            store.delete(run_id)

    def view():
        viewer = RunStore(tmp_path)
        while not stop.is_set():
            runs, damaged = viewer.list()
            problems.extend(f"damaged {d.id}: {d.reason}" for d in damaged)
            problems.extend(f"problems {r.id}: {r.problems}" for r in runs if r.problems)
            for run in runs:
                try:
                    loaded = viewer.load(run.id)
                except UserError as error:
                    if "no longer exists" not in str(error):
                        problems.append(str(error))
                    continue
                if loaded.problems:
                    problems.append(f"{run.id}: {loaded.problems}")

    threads = [threading.Thread(target=write) for _ in range(2)] + [threading.Thread(target=view) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads) and problems == []
    assert len(store.list()[0]) == 5


def test_runs_read_before_are_remembered_only_while_their_files_stay_the_same(tmp_path):
    store = RunStore(tmp_path)
    run_id = saved_run(store)
    settled = time.time() - 60
    for path in (tmp_path / run_id).iterdir():
        os.utime(path, (settled, settled))  # old enough to be remembered
    first = store.list()[0][0]
    first.test["accuracy"], first.label = 0.0, "changed by a page"  # a page's change stays its own
    assert store.list()[0][0].test["accuracy"] == 0.75 and store.list()[0][0].label == ""
    store.rename(run_id, "new name")
    store.finish(run_id, status="stopped", message="Stopped by you.")
    again = RunStore(tmp_path).list()[0][0]
    assert again.label == "new name" and again.status == Status.STOPPED and again.message == "Stopped by you."
