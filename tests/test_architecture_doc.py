"""ARCHITECTURE.md stays true to the tree: every module of nnlab/ is named there by its path
(relative to nnlab/, e.g. `store/runs.py`; a package by its folder, e.g. `store/`)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unnamed(doc: str, package: Path) -> list[str]:
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts == ("__init__.py",):
            continue  # nnlab/__init__.py: empty
        named = f"{relative.parent.as_posix()}/" if relative.name == "__init__.py" else relative.as_posix()
        if f"`{named}" not in doc and f" {named}" not in doc and f"({named}" not in doc:
            missing.append(named)
    return missing


def test_every_module_of_nnlab_is_named_in_architecture_md():
    assert unnamed((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"), ROOT / "nnlab") == []


def test_a_module_the_doc_does_not_name_is_reported(tmp_path):
    (tmp_path / "store").mkdir()
    for name in ("__init__.py", "store/__init__.py", "store/runs.py", "store/table.py"):
        (tmp_path / name).write_text("")
    assert unnamed("`store/` holds `store/runs.py`, `store/tables.py`", tmp_path) == ["store/table.py"]


def test_no_document_cited_by_the_architecture_is_missing_from_the_repository():
    doc = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for name in ("DESIGN", "README.md", "bench/speed.py"):
        if name in doc:
            assert any(ROOT.glob(f"{name}*")), f"ARCHITECTURE.md cites {name}, which is not in the repository"
