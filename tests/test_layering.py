"""The package layers hold (ARCHITECTURE.md, "Layers"): every import of every module under nnlab/,
at any depth (inside functions, under `if TYPE_CHECKING`), goes to its own package or to a lower
layer, only to a submodule the other package names in its `__all__`; and no module imports itself
back through others. Read with `ast`, so nothing is imported and nothing hidden escapes."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nnlab"

# Bottom to top: a package may import its own modules and those of the packages before it.
LAYERS = ["core", "data", "config", "verdict", "training", "store", "search", "serving", "export", "charts",
          "concepts", "lessons", "cli", "ui"]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The nnlab modules `source` (module `name`) imports anywhere in its body: `from p import m`
    counts as an import of the submodule p.m when it is one, else of p."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".") if is_package else name.split(".")[:-1]
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {target for target in found if target in known and target != name}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    known = set(paths)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
            for name, path in paths.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of `graph` as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done

    def walk(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (circle := walk(target, path)):
                return circle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (circle := walk(start, [])):
            return circle
    return None


def package_of(module: str) -> str | None:
    """The subpackage a module belongs to (nnlab.store.runs → store); None for nnlab itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def face(package: str) -> set[str]:
    """What a package lets others import: the submodules in its __init__'s __all__."""
    for node in ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return {f"nnlab.{package}.{name}" for name in ast.literal_eval(node.value)}
    return set()


def crossings(importer: str, targets: set[str]) -> list[str]:
    """The imports of `importer` that break the layers or go around another package's face."""
    mine = package_of(importer)
    wrong = []
    for target in sorted(targets):
        theirs = package_of(target)
        if theirs is None or theirs == mine:
            continue
        if mine is not None and LAYERS.index(theirs) > LAYERS.index(mine):
            wrong.append(f"{importer} → {target}: {mine} is below {theirs}")
        elif target not in face(theirs):
            wrong.append(f"{importer} → {target}: not in nnlab/{theirs}/__init__.py's __all__")
    return wrong


def test_every_subpackage_has_a_layer_and_every_module_a_package():
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert packages == set(LAYERS)
    assert sorted(path.name for path in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_imports_go_down_the_layers_through_each_package_face():
    graph = import_graph()
    wrong = [problem for module, targets in graph.items() if module != "nnlab.__main__"
             for problem in crossings(module, targets)]
    assert wrong == []
    assert graph["nnlab"] == set()  # the root package is empty: importing nnlab costs nothing


def test_pages_import_nnlab_only_through_the_faces():
    known = set(import_graph())
    wrong = []
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        targets = imports_of(path.read_text(encoding="utf-8"), "app", False, known)
        wrong += [f"{path.name} → {t}" for t in sorted(targets)
                  if package_of(t) and t not in face(package_of(t))]
    assert wrong == []


def test_no_module_imports_itself_back_through_others():
    assert find_circle(import_graph()) is None


def test_an_import_hidden_in_a_function_or_for_type_checking_still_counts(tmp_path):
    root = tmp_path / "nnlab"
    (root / "core").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "core" / "__init__.py").write_text("")
    (root / "core" / "a.py").write_text("from nnlab.core import b\n")
    (root / "core" / "b.py").write_text("def later():\n    from nnlab.core.a import thing\n")
    (root / "core" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    graph = import_graph(root)
    assert graph["nnlab.core.b"] == {"nnlab.core.a"} and graph["nnlab.core.c"] == {"nnlab.core.a"}
    assert find_circle(graph) in (["nnlab.core.a", "nnlab.core.b", "nnlab.core.a"],
                                  ["nnlab.core.b", "nnlab.core.a", "nnlab.core.b"])
    (root / "core" / "b.py").write_text("def later():\n    import json\n")
    assert find_circle(import_graph(root)) is None


@pytest.mark.parametrize("importer, target, problem", [
    ("nnlab.core.errors", "nnlab.ui.live", "core is below ui"),
    ("nnlab.training.train", "nnlab.store.runs", "training is below store"),
    ("nnlab.ui.live", "nnlab.serving.process_memory", "__all__"),
])
def test_an_upward_import_or_one_around_a_face_is_reported(importer, target, problem):
    assert problem in " ".join(crossings(importer, {target}))
