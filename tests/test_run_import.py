"""Runs an older nnlab kept as folders of files come into the database once, nothing lost; folders
that cannot be read are reported with the reason (as the file store named them), never fatal."""
import json
import random
from pathlib import Path

import pytest

from nnlab.config.run_config import RunConfig
from nnlab.store.folder_import import import_once, old_folder
from nnlab.store.runs import RunStore
from nnlab.core.status import Status
from nnlab.store import folder_import as run_import


@pytest.fixture(autouse=True)
def fresh_process_memory(monkeypatch):
    monkeypatch.setattr(run_import, "_DONE", set())  # as if each test were a new process


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


def store_of(tmp_path) -> RunStore:
    return RunStore(f"sqlite:///{tmp_path / 'nnlab.sqlite'}")


def test_an_old_runs_folder_is_imported_once_with_its_epochs_label_and_model(tmp_path, database_url):
    folder = tmp_path / "runs" / "shared"
    first = run_folder(folder, "20260101-120000-aaaaaa", label_json=b'{"label": "my first net"}',
                       model_keras=b"PK-model-bytes")
    long_name = json.dumps({"label": "x\u0000" + "y" * 300}).encode()  # PostgreSQL refuses NUL and 300 characters
    second = run_folder(folder, "20260102-120000-bbbbbb", run_json=good_meta(status="running"), label_json=long_name,
                        history_csv=b"epoch,loss,val_loss,accuracy,val_accuracy\n1,1,1.1,0.5,0.4\n2,0.5,0.7,0.8,0.7\n")
    store = RunStore(database_url)
    report = import_once(store, folder)
    assert report.imported == 2 and report.damaged == []
    runs, damaged = store.list()
    assert [r.id for r in runs] == [second, first] and damaged == []
    old = store.load(first)
    assert old.label == "my first net" and old.status == Status.COMPLETED and old.test == {"loss": 0.6, "accuracy": 0.75}
    assert old.history["val_loss"].tolist() == [1.1] and store.model_bytes(first) == b"PK-model-bytes"
    cut_off = store.load(second)  # it was training when the old server stopped: no heartbeat will come
    assert cut_off.status == Status.INTERRUPTED and cut_off.epochs_run == 2 and cut_off.label == "x" + "y" * 119
    assert (folder / first / "run.json").is_file()  # the folders stay: nothing is lost
    store.rename(first, "renamed since")
    run_import._DONE.clear()  # a new process, or a second server on the same database
    assert import_once(store, folder) is None and store.load(first).label == "renamed since"
    assert len(store.list()[0]) == 2


def test_each_workspace_imports_its_own_folder(tmp_path):
    root = tmp_path / "runs"
    run_folder(old_folder(root, "alice-123456"), "20260101-120000-aaaaaa")
    alice, bob = RunStore(store_of(tmp_path).url, "alice-123456"), RunStore(store_of(tmp_path).url, "bob-654321")
    assert import_once(bob, old_folder(root, "bob-654321")) is None  # no folder, nothing to import
    assert import_once(alice, old_folder(root, "alice-123456")).imported == 1
    assert len(alice.list()[0]) == 1 and bob.list() == ([], [])


@pytest.mark.parametrize("what, content, reason", BROKEN_RUN_FILES, ids=[case[0] for case in BROKEN_RUN_FILES])
def test_a_damaged_run_file_is_reported_and_the_rest_imported(tmp_path, what, content, reason):
    folder = tmp_path / "old"
    good = run_folder(folder, "20260101-120000-aaaaaa")
    bad = run_folder(folder, "20260101-120000-bbbbbb", run_json=content)
    store = store_of(tmp_path)
    report = import_once(store, folder)
    assert report.imported == 1 and [name for name, _ in report.damaged] == [bad]
    runs, damaged = store.list()
    assert [r.id for r in runs] == [good]
    assert [d.id for d in damaged] == [bad] and reason in damaged[0].reason and "not imported" in damaged[0].reason
    store.delete(bad)  # the Runs page's delete clears the report
    assert store.list()[1] == []


@pytest.mark.parametrize("what, name, content, listed_problem, loaded_problem, epochs", BROKEN_PARTS,
                         ids=[case[0] for case in BROKEN_PARTS])
def test_a_damaged_part_keeps_the_readable_rest_and_says_what_was_dropped(
        tmp_path, what, name, content, listed_problem, loaded_problem, epochs):
    folder = tmp_path / "old"
    run_id = run_folder(folder, **{name.replace(".", "_"): content})
    store = store_of(tmp_path)
    assert import_once(store, folder).imported == 1
    run = store.load(run_id)
    expected = loaded_problem or listed_problem
    if expected and "label" not in name:
        assert expected in run.message, run.message  # what was dropped is said with the run
    assert len(run.history) == epochs and run.label == "" and run.epochs_run == epochs


def test_foreign_folders_and_files_are_named_not_read(tmp_path):
    folder = tmp_path / "old"
    good = run_folder(folder)
    (folder / "holiday-photos").mkdir()
    run_folder(folder, "my-backup")  # a run's files under a name that is not an id: unreachable by id
    (folder / "notes.txt").write_text("a file, not a run")
    (folder / ".uploads").mkdir()  # the workspace's uploads
    report = import_once(store_of(tmp_path), folder)
    assert report.imported == 1 and [name for name, _ in report.damaged] == ["holiday-photos", "my-backup"]
    assert all("not a run id" in reason for _, reason in report.damaged)
    assert [r.id for r in store_of(tmp_path).list()[0]] == [good]


@pytest.mark.parametrize("seed", range(4))
def test_random_damage_never_stops_the_import(tmp_path, seed):
    """Truncated files, flipped bytes: every folder is imported or reported, and every imported run loads."""
    chance = random.Random(seed)
    folder = tmp_path / "old"
    for number in range(12):
        run_id = run_folder(folder, f"20260101-1200{number:02d}-aaaaaa", label_json=b'{"label": "a name"}')
        for name in ("run.json", "history.csv", "label.json"):
            path = folder / run_id / name
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
    store = store_of(tmp_path)
    report = import_once(store, folder)
    assert report.imported + len(report.damaged) == 12
    runs, damaged = store.list()
    assert len(runs) == report.imported and len(damaged) == len(report.damaged)
    for run in runs:
        store.load(run.id)


def test_the_runs_page_imports_an_old_folder_and_names_what_it_could_not(runs_dir):
    from apptest_helpers import open_page

    good = run_folder(runs_dir, "20260101-120000-aaaaaa")
    run_folder(runs_dir, "20260101-120000-bbbbbb", run_json=b"{broken")
    at = open_page("app_pages/2_Runs.py")
    assert len(at.dataframe[0].value) == 1 and at.dataframe[0].value["id"].tolist() == [good]
    assert any("could not be read" in e.label for e in at.expander)
