"""The run store's speed on SQLite and PostgreSQL, side by side: listing 1 000 runs (goal ≤ 0.2 s),
loading one run with 50 epochs, writing one epoch (goal ≤ 5 ms), and a heartbeat. Printed, not asserted.

    python bench/store.py [--runs 1000] [--database URL]

Without --database it starts its own throwaway PostgreSQL (tests/postgres.py: Debian's programs, a
temporary folder, a free loopback port) and stops it at the end; SQLite is a file in a temporary folder.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnlab.config.run_config import RunConfig  # noqa: E402
from nnlab.store.runs import RunStore  # noqa: E402

EPOCH = {"loss": 0.5, "val_loss": 0.6, "accuracy": 0.8, "val_accuracy": 0.75, "learning_rate": 0.001, "seconds": 1.2}


def fill(store: RunStore, runs: int) -> str:
    config = RunConfig(dataset="mnist", hidden=(128, 64))
    history = [{"epoch": e, **EPOCH} for e in range(1, 11)]
    last = ""
    for _ in range(runs):
        last = store.create(config, dataset_title="MNIST", params=109_386)
        store.finish(last, status="completed", message="Trained all 10 epochs.", test={"loss": 0.1, "accuracy": 0.97},
                     verdict={"kind": "good_fit", "title": "Good fit"}, history=history)
    return last


def timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def measure(name: str, url: str, runs: int) -> dict:
    store = RunStore(url)
    start = time.perf_counter()
    fill(store, runs)
    filled = time.perf_counter() - start
    first = timed(store.list, 1)[0]  # every run parsed; the process keeps them parsed until they change
    warm = timed(store.list, 5)
    writer = store.create(RunConfig(dataset="mnist"))
    history: list[dict] = []

    def one_epoch():
        history.append({"epoch": len(history) + 1, **EPOCH})
        store.save_history(writer, history)

    epochs = timed(one_epoch, 50)
    loads = timed(lambda: store.load(writer), 10)
    beats = timed(lambda: store.beat(writer), 20)
    return {"database": name, "runs": runs, "fill s": filled, "list first s": first,
            "list s (median)": statistics.median(warm), "load 50 epochs ms": 1000 * statistics.median(loads),
            "write epoch ms (median)": 1000 * statistics.median(epochs),
            "write epoch ms (max)": 1000 * max(epochs), "beat ms": 1000 * statistics.median(beats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--database", help="a PostgreSQL URL to use instead of a throwaway server")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(measure("sqlite", f"sqlite:///{folder}/bench.sqlite", args.runs))
    if args.database:
        server = nullcontext()
    else:
        from tests.postgres import Server

        server = Server()
    with server as running:
        url = args.database or running.url()
        results.append(measure("postgresql", url, args.runs))
    keys = list(results[0])
    width = max(map(len, keys))
    print(f"{'':<{width}}  " + "  ".join(f"{r['database']:>12}" for r in results))
    for key in keys[1:]:
        print(f"{key:<{width}}  " + "  ".join(f"{r[key]:>12.3f}" for r in results))
    print("goals: list ≤ 0.2 s, write one epoch ≤ 5 ms")


if __name__ == "__main__":
    main()
