"""The deployer's settings: read once into one Deployment (nnlab/core/deployment.py), every bad value
named at once, and read nowhere else."""
from __future__ import annotations

import ast
import dataclasses
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnlab.core import deployment as deployment_module
from nnlab.core.deployment import Deployment, DeploymentError, current, install

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = {setting.metadata["variable"]: setting for setting in dataclasses.fields(Deployment)}

# One bad value per numeric setting and the words its message must say.
BAD = {
    "NNLAB_MAX_TRAINING": ("0", "a whole number of at least 1"),
    "NNLAB_MAX_COMPUTE": ("-1", "a number of units of compute like 2e12 (0 = no limit)"),
    "NNLAB_ABANDON_SECONDS": ("0", "a number of seconds above 0"),
    "NNLAB_UPLOAD_QUOTA_MB": ("lots", "a positive number of megabytes"),
    "NNLAB_UPLOAD_DAYS": ("0", "a number of days above 0"),
    "NNLAB_SERVER_UPLOAD_QUOTA_MB": ("nan", "a positive number of megabytes"),
    "NNLAB_MAX_MODEL_MB": ("0", "a number of megabytes above 0"),
    "NNLAB_WORKSPACE_MODELS_MB": ("-5", "a number of megabytes (0 = no quota)"),
    "NNLAB_SERVER_MODELS_MB": ("inf", "a number of megabytes (0 = no quota)"),
    "NNLAB_DATA_CACHE_MB": ("big", "a number of megabytes (0 = keep nothing nobody uses)"),
    "NNLAB_SAVE_RETRY_SECONDS": ("-1", "a number of seconds"),
    "NNLAB_SEARCH_MAX_TRIALS": ("2.5", "a whole number of at least 1"),
    "NNLAB_SEARCH_MAX_MINUTES": ("0", "a whole number of at least 1"),
    "NNLAB_MAX_PAUSE_MINUTES": ("0", "a number of minutes above 0"),
    "NNLAB_MAX_PAUSE_WAITED_MINUTES": ("never", "a number of minutes above 0"),
    "NNLAB_MAX_VISITOR_ROWS": ("many", "a whole number of rows, 1 or more"),
    "NNLAB_POLL_SECONDS": ("0", "a number of seconds above 0"),
    "NNLAB_TF_THREADS": ("-1", "a whole number of threads (0: TensorFlow chooses)"),
    "NNLAB_RUNS": ("everyone", "auto, shared or private"),
    "NNLAB_TRAINING": ("elsewhere", "auto, in-process or workers"),
}


def test_nothing_set_gives_the_defaults_the_readme_names():
    settings = Deployment.from_environment({})
    assert settings == Deployment()
    assert (settings.max_training, settings.max_compute, settings.abandon_seconds) == (2, 1e12, 60)
    assert (settings.upload_quota_bytes, settings.server_upload_quota_bytes) == (100_000_000, 2_000_000_000)
    assert settings.upload_keep_seconds == 30 * 86_400 and settings.data_cache_bytes == 600 * 2 ** 20
    assert (settings.runs, settings.runs_dir, settings.database_url) == ("auto", ROOT / "runs", None)
    assert (settings.max_model_mb, settings.workspace_models_mb, settings.server_models_mb) == (100, 300, 5000)
    assert (settings.search_max_trials, settings.search_max_minutes) == (100, 60)
    assert (settings.max_pause_seconds, settings.max_pause_waited_seconds) == (600, 120)
    assert (settings.save_retry_seconds, settings.max_visitor_rows) == (60, 100_000)
    assert (settings.poll_seconds, settings.tf_threads, settings.training) == (1.0, 1, "auto")
    assert Deployment.from_environment({name: "  " for name in VARIABLES}) == settings  # blank is unset


def test_values_are_read_in_the_deployers_units():
    settings = Deployment.from_environment({
        "NNLAB_MAX_TRAINING": "4", "NNLAB_MAX_COMPUTE": " 2e13 ", "NNLAB_UPLOAD_QUOTA_MB": "2.5",
        "NNLAB_RUNS": "Private", "NNLAB_RUNS_DIR": "/srv/nnlab", "NNLAB_DATABASE_URL": " postgresql://a@db/x ",
        "NNLAB_MAX_PAUSE_MINUTES": "1", "NNLAB_MAX_PAUSE_WAITED_MINUTES": "5", "NNLAB_TF_THREADS": "0",
        "NNLAB_DATA_CACHE_MB": "0", "NNLAB_TRAINING": " In-Process "})
    assert settings.max_training == 4 and isinstance(settings.max_training, int)
    assert settings.max_compute == 2e13 and settings.upload_quota_bytes == 2_500_000
    assert (settings.runs, settings.runs_dir, settings.database_url) == ("private", Path("/srv/nnlab"),
                                                                         "postgresql://a@db/x")
    assert settings.max_pause_waited_seconds == settings.max_pause_seconds == 60  # never longer than the bound
    assert settings.tf_threads == 0 and settings.data_cache_bytes == 0 and settings.training == "in-process"
    assert Deployment.from_environment({"NNLAB_MAX_COMPUTE": "0"}).compute_limit == math.inf


@pytest.mark.parametrize("variable", sorted(BAD))
def test_each_bad_value_is_named_with_what_it_must_be(variable):
    text, what = BAD[variable]
    with pytest.raises(DeploymentError) as error:
        Deployment.from_environment({variable: text})
    assert str(error.value) == f"{variable} must be {what}, got {text!r}"


def test_every_bad_value_is_named_not_only_the_first():
    with pytest.raises(DeploymentError) as error:
        Deployment.from_environment({variable: text for variable, (text, _) in BAD.items()})
    assert len(error.value.problems) == len(BAD)
    for variable, (text, what) in BAD.items():
        assert f"{variable} must be {what}, got {text!r}" in error.value.problems
    assert isinstance(error.value, ValueError)  # what callers of the old readers caught


def test_every_setting_has_a_test_of_its_bad_value_and_a_row_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| variable | default | what it limits |", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`(NNLAB_[A-Z_]+)`", table)) == set(VARIABLES)
    assert set(BAD) == set(VARIABLES) - {"NNLAB_RUNS_DIR", "NNLAB_DATABASE_URL"}  # any folder or URL is taken


def test_the_process_reads_once_and_a_test_can_install_another(deployment, monkeypatch):
    monkeypatch.setenv("NNLAB_MAX_TRAINING", "7")
    install(None)
    first = current()
    assert first.max_training == 7 and current() is first
    monkeypatch.setenv("NNLAB_MAX_TRAINING", "3")  # read once: a later change does not reach the process
    assert current() is first
    assert deployment(max_training=5).max_training == 5 and current().max_training == 5


# --- read once, at start ----------------------------------------------------------------------------

def _run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **variables}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # over 4 s in the edit loop: out of it
def test_the_cli_stops_at_start_naming_every_bad_setting():
    done = _run(["-m", "nnlab", "datasets"], NNLAB_MAX_TRAINING="two", NNLAB_POLL_SECONDS="-1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["nnlab: NNLAB_MAX_TRAINING must be a whole number of at least 1, got 'two'",
                                        "nnlab: NNLAB_POLL_SECONDS must be a number of seconds above 0, got '-1'"]
    assert "iris" in _run(["-m", "nnlab", "datasets"]).stdout


def test_the_server_stops_at_start_naming_the_bad_setting():
    """`streamlit run app.py` imports app.py as a module to find its st.App: that import stops."""
    done = _run(["-c", "import app"], NNLAB_RUNS="everyone", NNLAB_MAX_COMPUTE="lots")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("nnlab cannot start: NNLAB_MAX_COMPUTE must be a number of units of compute like "
                                   "2e12 (0 = no limit), got 'lots'; NNLAB_RUNS must be auto, shared or private, "
                                   "got 'everyone'")


def test_a_page_run_with_a_bad_setting_says_so_instead_of_a_traceback(deployment, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from apptest_helpers import APP, TIMEOUT

    monkeypatch.setenv("NNLAB_UPLOAD_DAYS", "0")
    install(None)  # as a process started with it
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "NNLAB_UPLOAD_DAYS must be a number of days above 0, got '0'" in at.error[0].value


# --- read nowhere else ------------------------------------------------------------------------------

VARIABLE = re.compile(r"NNLAB_[A-Z0-9_]+")


def _key_ok(node: ast.AST | None) -> bool:
    """An environment key another module may read: a literal that is not a deployer's NNLAB_* name."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and not node.value.startswith("NNLAB_")


def environment_reads(source: str) -> list[int]:
    """Lines of `source` that read an NNLAB_* variable, or an environment variable not named by a
    literal (it could be one), or hand the environment on whole; or hold a deployer's variable's name
    as a value (`"NNLAB_X"` alone: what else would it be for than reading it, by a helper or later)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE.fullmatch(node.value):
            found.append(node.lineno)
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "getenv" and not (node.args and _key_ok(node.args[0])):
                found.append(node.lineno)
        is_environ = (isinstance(node, ast.Attribute) and node.attr == "environ") or \
            (isinstance(node, ast.Name) and node.id == "environ")
        if not is_environ:
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            key = parent.slice
        elif isinstance(parent, ast.Attribute) and isinstance(parents.get(parent), ast.Call) \
                and parents[parent].func is parent:
            call = parents[parent]
            key = call.args[0] if call.args else None
        else:
            key = None  # the environment handed on whole: anything may read it
        if not _key_ok(key):
            found.append(node.lineno)
    return found


def test_the_check_finds_each_way_of_reading_a_deployers_variable():
    reads = ['os.environ.get("NNLAB_RUNS")', 'os.environ["NNLAB_RUNS_DIR"]', 'os.getenv("NNLAB_MAX_COMPUTE")',
             'environ.get("NNLAB_X", "1")', 'environment.number("NNLAB_TF_THREADS", 1, what="x")',
             'os.environ.get(name)', 'dict(os.environ)', 'getenv(NAME)', '"NNLAB_UPLOAD_QUOTA_MB"',
             '_limit("NNLAB_SEARCH_MAX_TRIALS", 100)']
    for read in reads:
        assert sorted(set(environment_reads(f"import os\nx = {read}\n"))) == [2], read
    fine = ['os.environ.setdefault("KERAS_BACKEND", "tensorflow")', 'os.environ.get("MALLOC_ARENA_MAX")',
            'settings.runs_dir', 'number(text)', '"over the quota (NNLAB_SERVER_MODELS_MB, or old runs deleted)"']
    for read in fine:
        assert environment_reads(f"import os\nx = {read}\n") == [], read


def test_no_module_but_the_deployments_reads_an_nnlab_variable():
    sources = [*sorted((ROOT / "nnlab").rglob("*.py")), ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    home = Path(deployment_module.__file__).resolve()
    readers = {str(path.relative_to(ROOT)): lines for path in sources if path.resolve() != home
               if (lines := environment_reads(path.read_text(encoding="utf-8")))}
    assert readers == {}, f"read the setting from nnlab.core.deployment.current() instead: {readers}"
