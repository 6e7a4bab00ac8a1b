"""What a run of a shape traced before costs, against the same run tracing its own graphs, side by side.

Small runs as a class makes them (and as the tests do): a few epochs of a small network, each with its own
seed and learning rate. Each round trains the same configurations twice in this one process, alternating:
once with the shared graphs of nnlab/training/shared_traces.py (the first run of each shape traced them),
once with the shared graphs cleared before every run, so that each run traces its own, as before them.
Prints the CPU-seconds (this process: TensorFlow's threads included) and the wall seconds per run for each,
their ratio, and whether both gave the same figures (they must: the same operations on the same state).

    python bench/trace_reuse.py              # 3 rounds of 4 shapes × 3 seeds
    python bench/trace_reuse.py --rounds 1
"""
from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnlab.config.run_config import RunConfig  # noqa: E402
from nnlab.data.datasets import load_dataset  # noqa: E402
from nnlab.training.shared_traces import SHARED_TRACES  # noqa: E402
from nnlab.training.train import train  # noqa: E402

SHAPES = {
    "iris 8": RunConfig(dataset="iris", hidden=(8,), epochs=3, batch_size=16),
    "digits 32 dropout": RunConfig(dataset="digits", hidden=(32,), dropout=0.2, epochs=3, batch_size=32),
    "spiral 8-8 tanh": RunConfig(dataset="spiral", hidden=(8, 8), activation="tanh", epochs=5, batch_size=10),
    "circle 4-2 sgd": RunConfig(dataset="circle", hidden=(4, 2), optimizer="sgd", learning_rate=0.03, epochs=5,
                                batch_size=10),
}
SEEDS = 3


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _figures(result) -> tuple:
    return tuple((row["loss"], row["val_loss"]) for row in result.history), tuple(sorted(result.test.items()))


def _runs(configs, data, shared: bool) -> tuple[float, float, list]:
    """(CPU-seconds, wall seconds, figures) of training every configuration once."""
    cpu, wall, figures = _cpu(), time.perf_counter(), []
    for config in configs:
        if not shared:
            SHARED_TRACES.clear()
        figures.append(_figures(train(config, data[config.dataset])))
    return _cpu() - cpu, time.perf_counter() - wall, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configs = [dataclasses.replace(config, seed=seed, learning_rate=config.learning_rate * (1 + seed))
               for config in SHAPES.values() for seed in range(SEEDS)]
    data = {config.dataset: load_dataset(config) for config in SHAPES.values()}
    train(configs[0], data[configs[0].dataset])  # TensorFlow's start-up, outside the figures
    per_run = {True: [], False: []}
    same = True
    for round_ in range(args.rounds):
        SHARED_TRACES.clear()  # the first run of each shape traces, as in a fresh process
        order = (True, False) if round_ % 2 == 0 else (False, True)
        results = {}
        for shared in order:
            cpu, wall, figures = _runs(configs, data, shared)
            results[shared] = figures
            per_run[shared].append((cpu / len(configs), wall / len(configs)))
            print(f"round {round_ + 1} {'shared graphs' if shared else 'own graphs   '}: "
                  f"{cpu / len(configs):.3f} CPU-s, {wall / len(configs):.3f} s per run", flush=True)
        same = same and results[True] == results[False]
    cpu = {shared: statistics.mean(c for c, _ in rounds) for shared, rounds in per_run.items()}
    wall = {shared: statistics.mean(w for _, w in rounds) for shared, rounds in per_run.items()}
    print(f"\n{len(configs)} runs ({len(SHAPES)} shapes × {SEEDS} seeds) per round, {args.rounds} rounds")
    print(f"per run, shared graphs: {cpu[True]:.3f} CPU-s {wall[True]:.3f} s; own graphs: {cpu[False]:.3f} CPU-s "
          f"{wall[False]:.3f} s")
    print(f"own ÷ shared: {cpu[False] / cpu[True]:.2f}× CPU, {wall[False] / wall[True]:.2f}× wall")
    print(f"same figures both ways: {same}")


if __name__ == "__main__":
    main()
