"""No module of nnlab/ touches another module's underscored members: what one module offers another
has a public name (e.g. the queue's protocol in nnlab/slot_work.py), so a private name can change
with its module alone."""
import ast
from pathlib import Path

NNLAB = Path(__file__).resolve().parents[1] / "nnlab"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined(tree: ast.AST) -> set[str]:
    """The underscored names a module defines: functions, classes, assigned names and attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _own(node.value):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return {name for name in names if _private(name)}


def _own(node: ast.expr) -> bool:
    """self.x, cls.x and super().x reach the object's own members (inherited ones included)."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def foreign_private_uses(root: Path = NNLAB) -> list[str]:
    """`x._name` where x is not self/cls/super() and `_name` is defined in another module of nnlab/
    only (names of other libraries are their business)."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in sorted(root.rglob("*.py"))}
    defined = {path: _defined(tree) for path, tree in trees.items()}
    everywhere = set().union(*defined.values())
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr) and not _own(node.value)
                    and node.attr in everywhere and node.attr not in defined[path]):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_reaches_into_another_modules_private_members():
    assert foreign_private_uses() == []


def test_the_check_sees_a_reach_into_another_module(tmp_path):
    package = tmp_path / "nnlab"
    package.mkdir()
    (package / "jobs.py").write_text("class Job:\n    def _begin(self):\n        self._trainer = None\n")
    (package / "search_job.py").write_text("def trial(job):\n    job._begin()\n    return job._trainer, job.config\n")
    assert foreign_private_uses(package) == ["nnlab/search_job.py:2: job._begin", "nnlab/search_job.py:3: job._trainer"]
