"""The run as plain Keras: the exported script loads the same data, builds the same network and,
run on its own with model.fit, reaches nnlab's test accuracy within a point."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from apptest_helpers import button, open_page, wait_until
from nnlab.export import keras_script as keras_export
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import DATASETS, load_dataset
from nnlab.config.settings import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_SETS = [name for name in DATASETS if name != "fashion_mnist"]  # Fashion-MNIST needs a download


def _run_cells(config: RunConfig, upto: int, **extra) -> dict:
    """Execute the export's code cells up to `upto` (the data cell is the second) in one namespace."""
    namespace: dict = {}
    code = [cell.text for cell in keras_export.cells(config, **extra) if cell.kind == "code"]
    for text in code[:upto]:
        exec(compile(text, "<cell>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


@pytest.mark.parametrize("name", OFFLINE_SETS)
def test_the_script_loads_the_very_same_data_as_nnlab(name):
    config = RunConfig(dataset=name, samples=120, noise=0.1, train_size=0 if name != "mnist" else 500, seed=3)
    data = load_dataset(config)
    got = _run_cells(config, upto=2)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(got[f"x_{split}"], getattr(data, f"x_{split}"), err_msg=f"{name} x_{split}")
        np.testing.assert_array_equal(got[f"y_{split}"], getattr(data, f"y_{split}"), err_msg=f"{name} y_{split}")
    if data.task == "classification":
        assert got["N_CLASSES"] == data.n_classes


def test_the_script_gives_the_network_the_same_input_features():
    config = RunConfig(dataset="circle", samples=120, features=("x2", "x1_squared", "x1_x2", "sin_x1"), seed=3)
    data = load_dataset(config)
    got = _run_cells(config, upto=2)
    for split in ("train", "val", "test"):
        np.testing.assert_allclose(got[f"x_{split}"], getattr(data, f"x_{split}"), rtol=1e-6, err_msg=split)
    assert got["x_train"].shape[1] == 4


def test_a_csv_run_reads_a_file_named_like_the_upload(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    rows = ["size,colour,kind"] + [f"{v:.3f},red,{'big' if v > 0 else 'small'}" for v in rng.normal(size=60)]
    (tmp_path / "my plants.csv").write_text("\n".join(rows))
    config = RunConfig(dataset="csv", csv_path=str(tmp_path / "b3c1.csv"), target="kind", task="classification")
    monkeypatch.chdir(tmp_path)
    got = _run_cells(config, upto=2, task="classification", csv_name="my plants.csv")
    expected = load_dataset(RunConfig(dataset="csv", csv_path=str(tmp_path / "my plants.csv"), target="kind"))
    np.testing.assert_array_equal(got["x_train"], expected.x_train)
    np.testing.assert_array_equal(got["y_test"], expected.y_test)
    assert "b3c1" not in keras_export.script(config, "classification", "my plants.csv")  # no server file names


def test_text_a_visitor_typed_stays_inside_a_string():
    hostile = 'x"\n__import__("os").system("echo owned")\n#'
    config = RunConfig(dataset="csv", csv_path="/srv/uploads/ab12.csv", target=hostile, task="regression")
    text = keras_export.script(config, "regression", csv_name="a'\nb.csv")
    tree = ast.parse(text)  # valid Python
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "system"]
    assert not calls and "/srv/uploads" not in text
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert hostile in strings and "a'\nb.csv" in strings


@pytest.mark.parametrize("config", [
    RunConfig(dataset="iris", hidden=(16, 8), batch_norm=True, dropout=0.2, l1=1e-4, l2=1e-3, activation="gaussian",
              optimizer="sgd_momentum", early_stopping=2, epochs=2),
    RunConfig(dataset="wine", hidden=(), encoding="label", optimizer="lion", learning_rate=3e-4, epochs=2),
    RunConfig(dataset="fn_sin", hidden=(8,), activation="tanh", optimizer="rmsprop", epochs=2),
])
@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_model_has_nnlabs_layers_and_initial_weights(config):
    from nnlab.training.model import build_model

    got = _run_cells(config, upto=3)
    dataset = load_dataset(config)
    ours = build_model(config, dataset)
    theirs = got["model"]
    assert [type(layer).__name__ for layer in theirs.layers] == [type(layer).__name__ for layer in ours.layers]
    for mine, exported in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, exported)
    got = _run_cells(config, upto=5)  # trains and tests without an error
    assert np.isfinite(got["test_loss"])


def test_the_notebook_holds_the_scripts_code_cells():
    config = RunConfig(dataset="spiral", hidden=(8, 8), dropout=0.1, epochs=3)
    book = nbformat.reads(keras_export.notebook(config), as_version=4)
    nbformat.validate(book)
    script = keras_export.script(config)
    script_cells = [part.split("\n", 1)[1].strip("\n") for part in re.split(r"(?m)^(?=# %%)", script)
                    if part.startswith("# %%\n")]
    assert [cell.source for cell in book.cells if cell.cell_type == "code"] == script_cells
    assert sum(cell.cell_type == "markdown" for cell in book.cells) >= 4


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_the_exported_mnist_script_reaches_nnlabs_accuracy_within_a_point(tmp_path):
    from nnlab.training.train import train

    config = RunConfig(dataset="mnist", train_size=2000, hidden=(64,), optimizer="adam", batch_size=32, epochs=8, seed=1)
    ours = train(config).test["accuracy"]
    path = tmp_path / "run.py"
    path.write_text(keras_export.script(config))
    # From nnlab's folder, as the script's comment says: offline it reads nnlab's copy of MNIST.
    out = subprocess.run([sys.executable, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    theirs = float(re.search(r"test accuracy (\d\.\d+)", out.stdout).group(1))
    print(json.dumps({"nnlab": ours, "exported script": theirs}))
    assert abs(ours - theirs) <= 0.01
    assert ours > 0.85  # both actually learned


@pytest.mark.parametrize("schedule", [
    dict(lr_schedule="step", lr_decay=0.5, lr_decay_epochs=2),
    dict(lr_schedule="exponential", lr_decay=0.3, lr_decay_epochs=3, warmup_epochs=2),
    dict(lr_schedule="cosine", warmup_epochs=1),
    dict(lr_schedule="constant", warmup_epochs=3),
])
@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_the_script_follows_the_runs_learning_rate_schedule(schedule):
    from nnlab.config.lr_schedule import planned_rates

    config = RunConfig(dataset="gauss", samples=100, hidden=(4,), epochs=7, learning_rate=0.01, **schedule)
    got = _run_cells(config, upto=4)
    expected = [row["learning_rate"] for row in planned_rates(config)]
    np.testing.assert_allclose(got["history"].history["learning_rate"], expected, rtol=1e-6)


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_rates_set_by_hand_during_the_run_are_followed():
    config = RunConfig(dataset="gauss", samples=100, hidden=(4,), epochs=4, learning_rate=0.01)
    history = [{"epoch": e, "learning_rate": rate} for e, rate in enumerate((0.01, 0.01, 0.002, 0.002), start=1)]
    got = _run_cells(config, upto=4, history=history)
    np.testing.assert_allclose(got["history"].history["learning_rate"], [0.01, 0.01, 0.002, 0.002], rtol=1e-6)


CHANGED = [{"epoch": e, "learning_rate": 0.01 if e < 4 else 0.002, "l1": 0.0, "l2": 0.0 if e < 3 else 0.5}
           for e in range(1, 5)]  # L2 set by hand from epoch 3, the learning rate from epoch 4


def test_the_script_names_each_rate_set_by_hand_and_its_epoch():
    config = RunConfig(dataset="gauss", samples=100, hidden=(4,), epochs=4, learning_rate=0.01)
    text = keras_export.script(config, history=CHANGED)
    ast.parse(text)
    said = re.findall(r"(?m)^#   (.+)$", text)
    assert said == ["L2 penalty set to 0.5 from epoch 3", "learning rate set to 0.002 from epoch 4"]
    assert "PENALTIES = {2: (0.0, 0.5)}" in text  # from Keras' epoch 2 (nnlab's 3), starting from the settings' 0
    assert "ChangeablePenalty(l1=0.0, l2=0.0)" in text
    unchanged = keras_export.script(config, history=[{**row, "learning_rate": 0.01, "l2": 0.0} for row in CHANGED])
    assert "set by hand" not in unchanged.lower() and "ChangeablePenalty" not in unchanged and "PENALTIES" not in unchanged


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_penalties_set_by_hand_during_the_run_are_set_again_at_their_epoch():
    config = RunConfig(dataset="gauss", samples=100, hidden=(4,), epochs=4, learning_rate=0.01)
    got = _run_cells(config, upto=4, history=CHANGED)
    fitted = got["history"].history
    np.testing.assert_allclose(fitted["learning_rate"], [0.01, 0.01, 0.01, 0.002], rtol=1e-6)
    assert float(got["penalty"].l2.numpy()) == 0.5 and float(got["penalty"].l1.numpy()) == 0.0
    # the compiled training step reads the new rate: 0.5 × Σw² (≈5 for these 16 initial weights) joins the loss at epoch 3
    assert fitted["loss"][2] > fitted["loss"][1] + 0.5, fitted["loss"]


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_finished_run_offers_its_keras_script_and_notebook(runs_dir):
    at = open_page("app_pages/1_Train.py", dataset="iris", hidden="4", epochs="2")
    button(at, "Train").click().run()
    wait_until(at, lambda at: at.session_state["train_job"].done)
    labels = [element.proto.label for element in at.get("download_button")]
    assert {"Keras script (.py)", "Jupyter notebook (.ipynb)"} <= set(labels), labels


def test_the_mnist_script_offline_outside_nnlab_reads_the_keras_cache_or_says_where_to_put_the_file(tmp_path, monkeypatch):
    import keras

    from nnlab.data.datasets import MNIST_PATH

    def offline():
        raise OSError("no internet")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # outside the repository: no data/mnist.npz here
    config = RunConfig(dataset="mnist", train_size=500, seed=3)
    with pytest.raises(SystemExit, match=r"no copy of mnist\.npz.*\.keras/datasets/mnist\.npz"):
        _run_cells(config, upto=2)
    cache = tmp_path / "home" / ".keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").symlink_to(MNIST_PATH)
    got = _run_cells(config, upto=2)
    np.testing.assert_array_equal(got["x_train"], load_dataset(config).x_train)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_exports_as_the_very_one_nnlab_trains_with(name):
    """The script's optimizer, evaluated, is configured exactly as make_optimizer's (one table for both)."""
    from nnlab.core.tf_runtime import keras
    from nnlab.training.train import make_optimizer

    config = RunConfig(dataset="circle", optimizer=name, learning_rate=0.0123)
    tree = ast.parse(keras_export.script(config, "classification"))
    compiled = next(node for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute) and node.func.attr == "compile")
    code = ast.unparse(next(k.value for k in compiled.keywords if k.arg == "optimizer"))
    exported = eval(code, {"keras": keras})  # noqa: S307 - our own generated code
    ours = make_optimizer(config)
    assert type(exported) is type(ours)
    assert {k: v for k, v in exported.get_config().items() if k != "name"} == \
        {k: v for k, v in ours.get_config().items() if k != "name"}
