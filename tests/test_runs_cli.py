"""The CLI keeps its runs: `train` records them (unless --no-save), `runs` lists them, `export` writes
one out; the dashboard's Runs and Compare pages show them; a database that cannot be used is one line."""
import json

import pandas as pd
import pytest

from apptest_helpers import open_page, plain
from nnlab.store.runs import open_store
from nnlab.core.status import Status
from test_cli import run_cli

TINY = ("--dataset", "iris", "--hidden", "8", "--epochs", "2", "--quiet")


def last_json(out):
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_train_keeps_its_run_and_runs_lists_it_with_its_figures(runs_dir):
    trained = last_json(run_cli("train", *TINY, "--json"))
    listed = last_json(run_cli("runs", "--json", program=True))
    assert [run["id"] for run in listed] == [trained["run_id"]]
    run = listed[0]
    assert run["status"] == "completed" and run["epochs_run"] == 2 and run["label"] == ""
    assert run["config"]["dataset"] == "iris" and run["config"]["hidden"] == [8]
    assert run["test"]["accuracy"] == pytest.approx(trained["test"]["accuracy"])
    kept = open_store().load(run["id"])
    assert kept.history["loss"].tolist() == pytest.approx([row["loss"] for row in trained["history"]])
    assert kept.has_model and kept.verdict["kind"] == trained["verdict"]["kind"]


def test_no_save_keeps_nothing(runs_dir):
    trained = last_json(run_cli("train", *TINY, "--json", "--no-save"))
    assert trained["run_id"] is None and last_json(run_cli("runs", "--json")) == []


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_cli_runs_appear_in_the_dashboards_runs_and_compare(runs_dir):
    first = last_json(run_cli("train", *TINY, "--json"))["run_id"]
    second = last_json(run_cli("train", *TINY, "--dropout", "0.3", "--json"))["run_id"]
    runs_page = open_page("app_pages/2_Runs.py")
    assert set(runs_page.dataframe[0].value["id"]) == {first, second}
    compare = open_page("app_pages/3_Compare.py")
    assert not compare.exception
    assert any("What differs:** dropout 0.0 → 0.3" in plain(m.value) for m in compare.markdown), \
        [m.value for m in compare.markdown]


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_export_writes_history_settings_and_model(runs_dir, tmp_path):
    run_id = last_json(run_cli("train", *TINY, "--json"))["run_id"]
    out = run_cli("export", run_id, "--out", str(tmp_path / "out"), program=True)
    assert out.returncode == 0, out.stderr
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == [f"{run_id}-history.csv", f"{run_id}-settings.json", f"{run_id}.keras"]
    assert len(pd.read_csv(tmp_path / "out" / f"{run_id}-history.csv")) == 2
    assert json.loads((tmp_path / "out" / f"{run_id}-settings.json").read_text())["dataset"] == "iris"
    assert (tmp_path / "out" / f"{run_id}.keras").read_bytes()[:2] == b"PK"  # a .keras file is a zip


def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(runs_dir):
    for command in (("runs",), ("train", *TINY), ("export", "20260101-000000-aaaaaa")):
        out = run_cli(*command, "--database", "postgresql://student:hunter2@127.0.0.1:1/lab")
        assert out.returncode == 2, (command, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "cannot be used" in lines[0] and "hunter2" not in out.stderr, out.stderr
    out = run_cli("runs", "--database", "mysql://a@b/c")
    assert out.returncode == 2 and "SQLite or PostgreSQL" in out.stderr


def test_train_and_runs_share_a_postgresql_store(postgres_url):
    trained = last_json(run_cli("train", *TINY, "--json", "--database", postgres_url))
    listed = last_json(run_cli("runs", "--json", "--database", postgres_url))
    assert [run["id"] for run in listed] == [trained["run_id"]]
    run = open_store(postgres_url).load(trained["run_id"])
    assert run.status == Status.COMPLETED and len(run.history) == 2 and run.has_model
