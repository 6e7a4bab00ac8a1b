import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import DATASETS, data_key, load_dataset
from nnlab.core.errors import DataError

# The workplace's shared Fashion-MNIST cache: beside the checkout, or where CI mounts it.
SHARED_KERAS = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "data" / "keras", Path("/work/shared/data/keras"))
     if p.is_dir()),
    Path("/nonexistent"),
)
ROOT = Path(__file__).resolve().parents[1]
OFFLINE = [name for name in DATASETS if name != "fashion_mnist"]


@pytest.mark.parametrize("name", OFFLINE)
def test_every_data_set_loads_split_and_scaled(name):
    data = load_dataset(RunConfig(dataset=name, seed=3))
    assert data.task == DATASETS[name].task
    assert DATASETS[name].description
    sizes = [len(data.x_train), len(data.x_val), len(data.x_test)]
    assert min(sizes) > 0 and [len(data.y_train), len(data.y_val), len(data.y_test)] == sizes
    assert data.x_train.dtype == np.float32 and data.x_train.shape[1] == data.n_features
    if data.image_shape:
        assert 0 <= data.x_train.min() and data.x_train.max() <= 1
        assert np.prod(data.image_shape) == data.n_features
    else:  # standardized with the training split's statistics
        np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-4)
    if data.task == "classification":
        assert data.y_train.max() < data.n_classes and 0 < data.chance_accuracy < 1
    else:
        assert abs(float(data.y_train.mean())) < 1e-4 and data.target_std > 0


def test_mnist_keeps_its_test_set_and_shuffles_the_validation_split():
    data = load_dataset(RunConfig(dataset="mnist", validation_fraction=0.1))
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (54_000, 6_000, 10_000)
    # Keras' validation_split would take the last 6,000 training images; ours come from everywhere.
    with np.load(Path(__file__).resolve().parents[1] / "data" / "mnist.npz") as raw:
        tail = raw["x_train"][-6000:].reshape(6000, -1) / 255.0
    assert not np.allclose(data.x_val[:50], tail[:50])
    counts = np.bincount(data.y_val, minlength=10)
    assert counts.min() > 500  # stratified: every digit is well represented


def test_splits_depend_on_the_seed_and_repeat_with_it():
    a, b, c = (load_dataset(RunConfig(dataset="wine", seed=s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


def test_scaling_uses_training_statistics_only():
    data = load_dataset(RunConfig(dataset="breast_cancer"))
    raw_train = data.scaler.inverse_transform(data.x_train)
    np.testing.assert_allclose(data.scaler.mean_, raw_train.mean(axis=0), rtol=1e-4)
    assert abs(float(data.x_test.mean())) > 1e-6  # the test split is scaled, not re-centred


def test_train_size_keeps_a_subset_and_says_when_it_is_too_large():
    assert len(load_dataset(RunConfig(dataset="mnist", train_size=500)).x_train) == 500
    data = load_dataset(RunConfig(dataset="iris", train_size=10_000))
    assert len(data.x_train) == 108 and "all are used" in data.notes[0]


def test_synthetic_options_reach_the_generator():
    small = load_dataset(RunConfig(dataset="spiral", samples=200, test_fraction=0.5))
    assert len(small.x_train) + len(small.x_val) + len(small.x_test) == 200
    clean = load_dataset(RunConfig(dataset="circle", noise=0.0))
    noisy = load_dataset(RunConfig(dataset="circle", noise=0.5))
    assert not np.array_equal(clean.y_train, noisy.y_train)


def test_data_key_ignores_network_settings():
    assert data_key(RunConfig(hidden=(5,))) == data_key(RunConfig(hidden=(50, 50), epochs=3))
    assert data_key(RunConfig(seed=1)) != data_key(RunConfig(seed=2))


def test_csv_data_set(tiny_csv):
    rows = "\n".join(f"{i},{i % 3},{'ab'[i % 2]}" for i in range(60))
    path = tiny_csv("size,kind,letter\n" + rows)
    data = load_dataset(RunConfig(dataset="csv", csv_path=str(path), target="kind"))
    assert data.task == "classification" and data.class_names == ("0", "1", "2")
    assert data.feature_names == ("size",)
    assert any("letter" in note for note in data.notes)


def _load_fashion(keras_home: Path, monkeypatch) -> str:
    """Load Fashion-MNIST with Keras' folder at `keras_home`: "OK <summary> <class 9>" or "DataError <message>".
    In this process: Keras reads $KERAS_HOME once, at import, into the module variable its downloads ask for,
    so that is what is pointed elsewhere (a process of its own would pay TensorFlow's start-up again)."""
    from keras.src.backend import config as keras_config

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(keras_home))
    assert keras_config.keras_home() == str(keras_home)  # Keras still asks there: else this test tests nothing
    try:
        data = load_dataset(RunConfig(dataset="fashion_mnist"))
    except DataError as error:
        return f"DataError {error}"
    return f"OK {data.summary()} {data.class_names[9]}"


@pytest.mark.skipif(not SHARED_KERAS.is_dir(), reason="needs the shared Fashion-MNIST cache")
@pytest.mark.slow  # over 4 s: out of the edit loop
def test_fashion_mnist_loads_offline_from_a_keras_cache(tmp_path, monkeypatch):
    shutil.copytree(SHARED_KERAS, tmp_path / "keras")
    out = _load_fashion(tmp_path / "keras", monkeypatch)
    assert out.startswith("OK Fashion-MNIST: 54,000 train / 6,000 validation / 10,000 test"), out
    assert "Ankle boot" in out


@pytest.mark.skipif(not SHARED_KERAS.is_dir(), reason="needs the shared Fashion-MNIST cache")
def test_fashion_mnist_loads_without_tensorflow(tmp_path):
    """A web server whose runs train on workers loads Fashion-MNIST for its pages: with no TensorFlow (issue 25),
    from Keras' folder as $KERAS_HOME names it."""
    shutil.copytree(SHARED_KERAS, tmp_path / "keras")
    script = ("import sys; from nnlab.config.run_config import RunConfig; from nnlab.data.datasets import load_dataset; "
              "data = load_dataset(RunConfig(dataset='fashion_mnist')); "
              "print(data.summary(), data.class_names[int(data.y_test[0])], 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "KERAS_HOME": str(tmp_path / "keras")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("Fashion-MNIST: 54,000 train / 6,000 validation / 10,000 test"), done.stdout
    assert done.stdout.split()[-1] == "False", done.stdout  # no TensorFlow loaded


def test_fashion_mnist_files_cut_short_are_named_not_a_traceback(tmp_path, monkeypatch):
    folder = tmp_path / "keras" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"\x1f\x8b cut short")
    out = _load_fashion(tmp_path / "keras", monkeypatch)
    assert out.startswith("DataError Fashion-MNIST's files in fashion-mnist/ of Keras' folder could not be read"), out


def test_fashion_mnist_without_cache_or_internet_gives_a_clear_message(tmp_path, monkeypatch):
    out = _load_fashion(tmp_path / "empty", monkeypatch)
    if out.startswith("OK"):
        pytest.skip("this machine could download Fashion-MNIST")
    assert out.startswith("DataError Fashion-MNIST is not on this computer"), out
    assert "Traceback" not in out and "~/.keras/datasets/fashion-mnist/" in out


def test_single_class_training_split_is_refused(tiny_csv):
    rows = "\n".join(f"{i},{'b' if i in (3, 77) else 'a'}" for i in range(100))
    path = tiny_csv("x,label\n" + rows)
    with pytest.raises(DataError, match="single class"):
        load_dataset(RunConfig(dataset="csv", csv_path=str(path), target="label", train_size=10, seed=1))
