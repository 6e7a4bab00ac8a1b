import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def tiny_csv(tmp_path):
    """Write a CSV file from text and return its path."""

    def write(text: str, name: str = "data.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """Page tests keep their runs in a temporary, shared store."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("NNLAB_RUNS_DIR", str(folder))
    monkeypatch.setenv("NNLAB_RUNS", "shared")
    return folder / "shared"


@pytest.fixture
def run_store(tmp_path):
    """An empty run store of its own, for backend tests."""
    from nnlab.runs import RunStore

    return RunStore(tmp_path / "store")


@pytest.fixture
def page_store(runs_dir):
    """The store the pages of a page test see (shared mode, see runs_dir)."""
    from nnlab.runs import RunStore

    return RunStore(runs_dir)
