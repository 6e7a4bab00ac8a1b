"""Train the runs of the verdict corpus (tests/fixtures/verdict_corpus/) and save each as one JSON file.

    python bench/make_verdict_corpus.py [--only NAME ...] [--plots FOLDER]

Each file holds the run's settings, the facts of its data set that the verdict needs (task, classes,
chance, the know-nothing loss), its history and test figures, and two fields written by a person
who looked at the curves: `label` (a verdict kind) and `evidence` (one line read off the curves).
A label is never copied from the rule's output. Retraining keeps a file's label and evidence, so
redo the labels of any run whose curves changed. `--plots` draws loss and accuracy per run (PNG,
needs matplotlib, which nnlab itself does not) for labelling.

Fashion-MNIST is read through Keras' cache: set KERAS_HOME to a folder holding
datasets/fashion-mnist/ (see the shared data README) or those runs are skipped.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "fixtures" / "verdict_corpus"

# name → settings; every run differs from RunConfig's defaults only where said.
RUNS = {
    # digits: 8×8 images, trains in seconds
    "digits_adam_128": dict(dataset="digits", hidden=(128,), epochs=30),
    "digits_sgd_lr_far_too_low": dict(dataset="digits", optimizer="sgd", learning_rate=0.0005, epochs=20),
    "digits_sgd_lr_50": dict(dataset="digits", optimizer="sgd", learning_rate=50.0, epochs=8),
    "digits_adam_lr_10": dict(dataset="digits", optimizer="adam", learning_rate=10.0, epochs=8),
    "digits_no_hidden": dict(dataset="digits", hidden=(), epochs=40),
    "digits_very_wide_100_epochs": dict(dataset="digits", hidden=(2048,), epochs=100),
    "digits_500_examples_big": dict(dataset="digits", train_size=500, hidden=(256, 256), epochs=60),
    "digits_rmsprop_lr_0.01": dict(dataset="digits", optimizer="rmsprop", learning_rate=0.01, epochs=20),
    "digits_momentum_3_epochs": dict(dataset="digits", optimizer="sgd_momentum", learning_rate=0.01, epochs=3),
    "digits_adagrad": dict(dataset="digits", optimizer="adagrad", learning_rate=0.01, epochs=15),
    "digits_course_like_mse_sgd": dict(dataset="digits", hidden=(20, 20, 20), loss="mse", optimizer="sgd",
                                       learning_rate=0.087, batch_size=100, epochs=30),
    "digits_lion": dict(dataset="digits", optimizer="lion", learning_rate=0.001, epochs=20),
    "digits_dropout_0.5": dict(dataset="digits", hidden=(256,), dropout=0.5, epochs=50),
    # Playground sets
    "spiral_no_hidden": dict(dataset="spiral", hidden=(), learning_rate=0.03, batch_size=10, epochs=40),
    "spiral_8_8": dict(dataset="spiral", hidden=(8, 8), learning_rate=0.03, batch_size=10, epochs=100),
    "spiral_16x3_tuned": dict(dataset="spiral", hidden=(16, 16, 16), learning_rate=0.01, batch_size=10, epochs=100),
    "spiral_64_64_30_epochs": dict(dataset="spiral", hidden=(64, 64), learning_rate=0.003, batch_size=10, epochs=30),
    "spiral_200_points_huge": dict(dataset="spiral", samples=200, hidden=(256, 256, 256), learning_rate=0.003,
                                   batch_size=10, epochs=100),
    "spiral_sgd_slow": dict(dataset="spiral", hidden=(16, 16), optimizer="sgd", learning_rate=0.001, epochs=20),
    "circle_no_hidden": dict(dataset="circle", hidden=(), learning_rate=0.03, batch_size=10, epochs=20),
    "circle_8": dict(dataset="circle", hidden=(8,), learning_rate=0.03, batch_size=10, epochs=30),
    "circle_sgd_4_few_epochs": dict(dataset="circle", hidden=(4,), optimizer="sgd", learning_rate=0.1, epochs=10),
    "xor_8_8": dict(dataset="xor", hidden=(8, 8), learning_rate=0.01, batch_size=10, epochs=50),
    "xor_no_hidden": dict(dataset="xor", hidden=(), learning_rate=0.03, batch_size=10, epochs=20),
    "xor_sgd_lr_20": dict(dataset="xor", hidden=(32,), optimizer="sgd", learning_rate=20.0, epochs=15),
    "moons_16_16": dict(dataset="moons", hidden=(16, 16), learning_rate=0.01, batch_size=10, epochs=50),
    "moons_3_epochs_slow": dict(dataset="moons", hidden=(16,), learning_rate=0.001, epochs=3),
    "gauss_no_hidden": dict(dataset="gauss", hidden=(), learning_rate=0.01, epochs=20),
    "circle_noise_0.3": dict(dataset="circle", noise=0.3, hidden=(16, 16), learning_rate=0.01, batch_size=10, epochs=60),
    # small tables
    "iris_16": dict(dataset="iris", hidden=(16,), learning_rate=0.01, batch_size=8, epochs=100),
    "iris_sgd_lr_too_low": dict(dataset="iris", optimizer="sgd", learning_rate=0.001, epochs=30),
    "wine_64": dict(dataset="wine", hidden=(64,), epochs=60),
    "wine_60_examples_huge": dict(dataset="wine", train_size=60, hidden=(256, 256), epochs=100),
    "breast_cancer_32": dict(dataset="breast_cancer", hidden=(32,), epochs=50),
    "breast_cancer_very_wide": dict(dataset="breast_cancer", hidden=(2048,), epochs=100),
    "breast_cancer_mse_sgd_lr_100": dict(dataset="breast_cancer", loss="mse", optimizer="sgd", learning_rate=100.0, epochs=10),
    # regression
    "diabetes_64_100_epochs": dict(dataset="diabetes", hidden=(64,), epochs=100),
    "diabetes_linear": dict(dataset="diabetes", hidden=(), learning_rate=0.01, epochs=50),
    "diabetes_sgd_lr_0.5": dict(dataset="diabetes", hidden=(64, 64), optimizer="sgd", learning_rate=0.5, epochs=20),
    "sin_32_32": dict(dataset="fn_sin", hidden=(32, 32), learning_rate=0.01, batch_size=10, epochs=100),
    "sin_no_hidden": dict(dataset="fn_sin", hidden=(), learning_rate=0.01, batch_size=10, epochs=30),
    "step_8_slow": dict(dataset="fn_step", hidden=(8,), learning_rate=0.003, batch_size=10, epochs=30),
    "multi_gauss_32_32": dict(dataset="multi_gauss", hidden=(32, 32), learning_rate=0.003, batch_size=10, epochs=60),
    "csv_friedman_64_64": dict(dataset="csv", target="y", hidden=(64, 64), epochs=60),
    "csv_friedman_linear": dict(dataset="csv", target="y", hidden=(), learning_rate=0.01, epochs=30),
    "csv_friedman_150_rows_huge": dict(dataset="csv", target="y", train_size=150, hidden=(256, 256, 256), epochs=100),
    # MNIST and Fashion-MNIST, small or short
    "mnist_course_exercise": dict(dataset="mnist", hidden=(20, 20, 20), loss="mse", optimizer="sgd",
                                  learning_rate=0.087, batch_size=100, epochs=10),
    "mnist_course_exercise_40_epochs": dict(dataset="mnist", hidden=(20, 20, 20), loss="mse", optimizer="sgd",
                                            learning_rate=0.087, batch_size=100, epochs=40),
    "mnist_stronger_5_epochs": dict(dataset="mnist", hidden=(128,), epochs=5),
    "mnist_500_examples_256_256": dict(dataset="mnist", train_size=500, hidden=(256, 256), epochs=30),
    "mnist_sgd_lr_10": dict(dataset="mnist", hidden=(128,), optimizer="sgd", learning_rate=10.0, epochs=5),
    "mnist_5000_no_hidden": dict(dataset="mnist", train_size=5000, hidden=(), epochs=20),
    "mnist_5000_mlp_dropout_rmsprop": dict(dataset="mnist", train_size=5000, hidden=(512, 512), dropout=0.2,
                                           optimizer="rmsprop", batch_size=128, epochs=20),
    "mnist_5000_adam_lr_0.1": dict(dataset="mnist", train_size=5000, hidden=(128,), learning_rate=0.1, epochs=10),
    "fashion_5000_128": dict(dataset="fashion_mnist", train_size=5000, hidden=(128,), epochs=20),
    "fashion_1000_256_256": dict(dataset="fashion_mnist", train_size=1000, hidden=(256, 256), epochs=40),
    "fashion_3000_sgd_slow": dict(dataset="fashion_mnist", train_size=3000, optimizer="sgd", learning_rate=0.01, epochs=15),
}


def friedman_csv(folder: Path) -> Path:
    """A CSV regression from scikit-learn's Friedman #1 formula (generated, nothing downloaded)."""
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    path = folder / "friedman.csv"
    header = ",".join([*(f"x{i}" for i in range(x.shape[1])), "y"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%.5f")
    return path


def rounded(value):
    if isinstance(value, float):
        return None if not math.isfinite(value) else float(f"{value:.5g}")
    return value


def record(name: str, settings: dict, csv_path: Path) -> dict:
    from nnlab.config.run_config import RunConfig
    from nnlab.data.datasets import load_dataset
    from nnlab.verdict.diagnose import baseline_loss
    from nnlab.training.train import train

    if settings.get("dataset") == "csv":
        settings = {**settings, "csv_path": str(csv_path)}
    config = RunConfig(**settings)
    dataset = load_dataset(config)
    started = time.perf_counter()
    result = train(config, dataset)
    history = [{k: rounded(v) for k, v in row.items() if k not in ("seconds", "learning_rate")} for row in result.history]
    saved = config.to_dict()
    if config.dataset == "csv":
        saved["csv_path"] = "friedman.csv (bench/make_verdict_corpus.py: make_friedman1, 1000 rows, noise 1)"
    print(f"{name}: {len(history)} epochs, test {result.test}, {time.perf_counter() - started:.1f} s", flush=True)
    return {
        "name": name, "config": saved,
        "dataset": {"name": config.dataset, "task": dataset.task, "n_classes": dataset.n_classes,
                    "chance": rounded(dataset.chance_accuracy), "train_examples": dataset.n_train,
                    "baseline": rounded(baseline_loss(config.loss, dataset.task, dataset.n_classes))},
        "status": str(result.status), "test": {k: rounded(v) for k, v in result.test.items()}, "history": history,
    }


def plot(run: dict, folder: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, task = run["history"], run["dataset"]["task"]
    metric = "accuracy" if task == "classification" else "mae"
    epochs = [r["epoch"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    nan = float("nan")
    for axis, key in ((left, "loss"), (right, metric)):
        axis.plot(epochs, [nan if r.get(key) is None else r[key] for r in rows], "o-", ms=3, label=key)
        axis.plot(epochs, [nan if r.get(f"val_{key}") is None else r[f"val_{key}"] for r in rows], "s-", ms=3,
                  label=f"val_{key}")
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    left.axhline(run["dataset"]["baseline"], color="grey", ls=":", lw=1)
    if task == "classification":
        right.axhline(run["dataset"]["chance"], color="grey", ls=":", lw=1)
    finite = [r["loss"] for r in rows if r.get("loss") is not None] + [r["val_loss"] for r in rows if r.get("val_loss") is not None]
    if finite and max(finite) > 20 * min(finite) > 0:
        left.set_yscale("log")
    settings = {k: v for k, v in run["config"].items() if k in ("hidden", "optimizer", "learning_rate", "epochs",
                                                                 "train_size", "dropout", "loss", "batch_size")}
    fig.suptitle(f"{run['name']}  {settings}", fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / f"{run['name']}.png", dpi=70)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="train only these runs")
    parser.add_argument("--new", action="store_true", help="train only runs that have no file yet")
    parser.add_argument("--plots", type=Path, help="draw every corpus run into this folder and train nothing")
    args = parser.parse_args()
    if args.plots:
        args.plots.mkdir(parents=True, exist_ok=True)
        for path in sorted(CORPUS.glob("*.json")):
            plot(json.loads(path.read_text()), args.plots)
        return
    CORPUS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="h7-corpus-") as folder:
        csv_path = friedman_csv(Path(folder))
        for name, settings in RUNS.items():
            if args.only and name not in args.only:
                continue
            path = CORPUS / f"{name}.json"
            if args.new and path.exists():
                continue
            try:
                run = record(name, settings, csv_path)
            except Exception as error:  # e.g. Fashion-MNIST not in Keras' cache: say so, go on
                print(f"{name}: skipped ({type(error).__name__}: {error})", flush=True)
                continue
            old = json.loads(path.read_text()) if path.exists() else {}
            run["label"], run["evidence"] = old.get("label"), old.get("evidence")
            path.write_text(json.dumps(run, indent=1) + "\n")


if __name__ == "__main__":
    main()
