"""nnlab's training loop against the plain `model.fit` a student would write, side by side.

Same network, same initial weights, same train / validation / test arrays, same optimizer, batch
size and epochs; the two are timed back to back in this one process (so they share TensorFlow's
thread settings) and alternated over --repeat rounds, each round with its own seed (split, initial
weights): accuracy differs by a few tenths of a point from seed to seed, so means are compared. Prints seconds per epoch, the throughput
ratio and test accuracy for each. Targets: course network ≥ 3×, 784-128-10 ≥ 2×, test
accuracy within 0.5 point.

Then a 2-D set at interactive speed (the spiral, 8-8 tanh, batch 10, Adam): epochs per second once
traced, for the Trainer alone, for a whole TrainingJob (saving into a SQLite store and taking the
inside-the-network snapshots, as the Train page does), and for plain `model.fit`. Target ≥ 300
epochs/s for the Trainer.

    python bench/speed.py            # both networks, 3 rounds (≈2 minutes on 2 cores)
    python bench/speed.py --quick    # 1 round, fewer epochs
    python bench/speed.py --plane    # the 2-D set only
    python bench/speed.py --plane --against ../other-tree --repeat 6
        # the Trainer's epochs/s on the 2-D set here and in another checkout (e.g. `git worktree add
        # ../other-tree HEAD~1`), alternated round by round, each round in fresh processes
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnlab.config.run_config import COURSE_EXERCISE, RunConfig  # noqa: E402
from nnlab.data.datasets import load_dataset  # noqa: E402
from nnlab.training.model import build_model  # noqa: E402
from nnlab.core.tf_runtime import keras  # noqa: E402
from nnlab.training.train import Trainer, encode_targets, make_loss, make_optimizer, train  # noqa: E402

PLANE = RunConfig(dataset="spiral", hidden=(8, 8), activation="tanh", batch_size=10, optimizer="adam",
                  learning_rate=0.03, epochs=300)
PLANE_TARGET = 300  # epochs per second

NETWORKS = {
    "course notebook 784-20-20-20-10, MSE, SGD 0.087, batch 100": (COURSE_EXERCISE, 3.0),
    "784-128-10, cross-entropy, Adam 0.001, batch 32": (
        RunConfig(hidden=(128,), optimizer="adam", learning_rate=0.001, batch_size=32, epochs=5), 2.0),
}


def plain_fit(config: RunConfig, dataset) -> tuple[float, float]:
    """What the course notebook does: compile, fit with validation data, evaluate."""
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, dataset)
    model.compile(optimizer=make_optimizer(config), loss=make_loss(config, dataset.task), metrics=["accuracy"])
    y_train = encode_targets(config, dataset, dataset.y_train)
    y_val = encode_targets(config, dataset, dataset.y_val)
    started = time.perf_counter()
    model.fit(dataset.x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
              validation_data=(dataset.x_val, y_val), shuffle=True, verbose=0)
    seconds = time.perf_counter() - started
    accuracy = model.evaluate(dataset.x_test, encode_targets(config, dataset, dataset.y_test), verbose=0)[1]
    return seconds / config.epochs, float(accuracy)


def nnlab_train(config: RunConfig, dataset) -> tuple[float, float]:
    started = time.perf_counter()
    result = train(config, dataset)
    seconds = time.perf_counter() - started  # model building and compiling included, as for fit
    return seconds / config.epochs, result.test["accuracy"]


def plane_trainer(config: RunConfig, dataset) -> float:
    """Epochs per second of the Trainer after its first (tracing) epoch."""
    trainer = Trainer(config, dataset)
    trainer.run_epoch()
    started = time.perf_counter()
    while not trainer.done:
        trainer.run_epoch()
    return (config.epochs - 1) / (time.perf_counter() - started)


def plane_job(config: RunConfig, dataset) -> float:
    """Epochs per second of a TrainingJob saving into a SQLite store, after its first epoch."""
    import tempfile

    from nnlab.serving.jobs import TrainingJob
    from nnlab.store.runs import RunStore
    from nnlab.serving.scheduler import Scheduler

    with tempfile.TemporaryDirectory() as folder:
        job = TrainingJob(config, lambda _: dataset, store=RunStore(f"sqlite:///{folder}/runs.sqlite"),
                          scheduler=Scheduler(1)).start()
        while not job.history and not job.done:
            time.sleep(0.001)
        first, started = len(job.history), time.perf_counter()
        job.join(600)
        return (len(job.history) - first) / (time.perf_counter() - started)


def plane_fit(config: RunConfig, dataset) -> float:
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, dataset)
    model.compile(optimizer=make_optimizer(config), loss=make_loss(config, dataset.task), metrics=["accuracy"])
    y_train, y_val = (encode_targets(config, dataset, y) for y in (dataset.y_train, dataset.y_val))
    model.fit(dataset.x_train, y_train, batch_size=config.batch_size, epochs=1, verbose=0)  # traced
    started = time.perf_counter()
    model.fit(dataset.x_train, y_train, batch_size=config.batch_size, epochs=config.epochs - 1,
              validation_data=(dataset.x_val, y_val), shuffle=True, verbose=0)
    return (config.epochs - 1) / (time.perf_counter() - started)


def plane(rounds: int) -> bool:
    dataset = load_dataset(PLANE)
    runs = [(plane_trainer(PLANE, dataset), plane_job(PLANE, dataset), plane_fit(PLANE, dataset)) for _ in range(rounds)]
    trainer, job, fit = (statistics.median(column) for column in zip(*runs))
    print(f"\n2-D: spiral, 8-8 tanh, batch 10, Adam; {PLANE.epochs} epochs on {len(dataset.x_train)} examples, "
          f"{rounds} round(s), medians")
    print(f"  nnlab Trainer    : {trainer:6.0f} epochs/s (target ≥ {PLANE_TARGET})")
    print(f"  nnlab TrainingJob: {job:6.0f} epochs/s (saving to SQLite, inside snapshots)")
    print(f"  plain model.fit  : {fit:6.0f} epochs/s")
    print("  per round (Trainer / job / fit): " + ", ".join(f"{t:.0f} / {j:.0f} / {f:.0f}" for t, j, f in runs))
    return trainer >= PLANE_TARGET


def plane_against(other: Path, rounds: int) -> None:
    """The Trainer's epochs/s on the 2-D set in this tree and in `other`, alternated, each in a fresh process
    (the VM's pace drifts 20–40 % over minutes: only rounds taken side by side compare)."""
    import subprocess

    here = Path(__file__).resolve().parent.parent
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import bench.speed as s; "
             "from nnlab.data.datasets import load_dataset; print(s.plane_trainer(s.PLANE, load_dataset(s.PLANE)))")
    figures: dict[Path, list[float]] = {here: [], other: []}
    for _ in range(rounds):
        for tree in (other, here):
            done = subprocess.run([sys.executable, "-c", probe, str(tree)], capture_output=True, text=True, check=True)
            figures[tree].append(float(done.stdout.split()[-1]))
    mine, theirs = statistics.median(figures[here]), statistics.median(figures[other])
    print(f"2-D: spiral, 8-8 tanh, batch 10, Adam; the Trainer's epochs/s, {rounds} alternated round(s), medians")
    print(f"  {other}: {theirs:.0f}   ({', '.join(f'{f:.0f}' for f in figures[other])})")
    print(f"  {here}: {mine:.0f}   ({', '.join(f'{f:.0f}' for f in figures[here])})")
    print(f"  ratio: ×{mine / theirs:.2f}; target ≥ {PLANE_TARGET} epochs/s: {'met' if mine >= PLANE_TARGET else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round, 3 epochs each")
    parser.add_argument("--plane", action="store_true", help="only the 2-D set")
    parser.add_argument("--against", type=Path, help="with --plane: another checkout to compare the Trainer with")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.repeat
    if args.against:
        plane_against(args.against.resolve(), rounds)
        return
    failed = [] if plane(rounds) else ["2-D set"]
    for title, (config, target) in ({} if args.plane else NETWORKS).items():
        if args.quick:
            config = dataclasses.replace(config, epochs=3)
        fit_runs, nnlab_runs = [], []
        for seed in range(rounds):
            config = dataclasses.replace(config, seed=seed)
            dataset = load_dataset(config)
            fit_runs.append(plain_fit(config, dataset))
            nnlab_runs.append(nnlab_train(config, dataset))
        fit_s = statistics.median(s for s, _ in fit_runs)
        nnlab_s = statistics.median(s for s, _ in nnlab_runs)
        fit_acc = statistics.mean(a for _, a in fit_runs)
        nnlab_acc = statistics.mean(a for _, a in nnlab_runs)
        ratio = fit_s / nnlab_s
        print(f"\n{title}; {config.epochs} epochs on {len(dataset.x_train):,} examples, {rounds} round(s)")
        print(f"  plain model.fit : {fit_s:6.3f} s/epoch   test accuracy {fit_acc:.2%}")
        print(f"  nnlab.training.train     : {nnlab_s:6.3f} s/epoch   test accuracy {nnlab_acc:.2%}")
        print("  per round (fit / nnlab s/epoch): " + ", ".join(f"{f:.3f} / {m:.3f}" for (f, _), (m, _) in zip(fit_runs, nnlab_runs)))
        print(f"  throughput ratio: {ratio:.2f}x (target ≥ {target:g}x); accuracy difference "
              f"{(nnlab_acc - fit_acc) * 100:+.2f} points (target within ±0.5)")
        if ratio < target or abs(nnlab_acc - fit_acc) > 0.005:
            failed.append(title)
    print("\nall targets met" if not failed else f"\ntargets missed: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
