"""Search on a fixed budget: TPE with median pruning against random and grid search, and the trials
per minute of one and of two worker processes sharing one study. Printed, not asserted.

Part 1 (in this process, one after another, each in a fresh study): --trials trials on digits of
--epochs epochs each, the default space for digits; for each sampler the best validation accuracy,
the test accuracy of the best trial's run, the wall time and how many trials were pruned.
Part 2: `python -m nnlab search` as 1 worker, then as 2 workers started together on one study (the
embedded SQLite file, or --database URL, e.g. PostgreSQL); trials per minute from the first
process's start to the last one's end (each process imports TensorFlow: ≈5–10 s of it is start-up).

    python bench/search.py                          # 40 trials, 3 epochs; workers 12 trials each
    python bench/search.py --trials 20 --worker-trials 6
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnlab.config.run_config import RunConfig  # noqa: E402
from nnlab.data.datasets import load_dataset  # noqa: E402
from nnlab.store.runs import open_store  # noqa: E402
from nnlab.serving.scheduler import Scheduler  # noqa: E402
from nnlab.search.study import SearchPlan, default_space  # noqa: E402
from nnlab.serving.search_job import SearchJob  # noqa: E402

CONTENDERS = {"TPE + median pruning": ("tpe", "median"), "random": ("random", "none"), "grid": ("grid", "none")}


def compare_samplers(trials: int, epochs: int, folder: Path) -> None:
    base = RunConfig(dataset="digits", epochs=epochs)
    dataset = load_dataset(base)
    print(f"digits, {trials} trials of {epochs} epochs, space: "
          f"{' '.join(r.text() for r in default_space('digits').values())}")
    print(f"{'':<22} {'best val acc':>12} {'its test acc':>12} {'wall s':>8} {'pruned':>7} {'trials':>7}")
    for name, (sampler, pruner) in CONTENDERS.items():
        url = f"sqlite:///{folder / (sampler + '.sqlite')}"
        plan = SearchPlan(base, default_space("digits"), trials=trials, sampler=sampler, pruner=pruner, sampler_seed=0)
        job = SearchJob(plan, url=url, key=f"shared/{sampler}", load=lambda config: dataset, store=open_store(url),
                        page_limits=False, scheduler=Scheduler(1), abandon_seconds=math.inf)
        started = time.perf_counter()
        job.start()
        job.join()
        wall = time.perf_counter() - started
        best = job.best()
        test = open_store(url).load(best["run_id"]).test.get("accuracy") if best else math.nan
        pruned = sum(trial.state.name == "PRUNED" for trial in job.study.get_trials(deepcopy=False))
        print(f"{name:<22} {best['value'] if best else math.nan:>12.2%} {test:>12.2%} {wall:>8.0f} {pruned:>7} "
              f"{len(job.trials):>7}", flush=True)


def throughput(workers: int, trials: int, epochs: int, database: str) -> float:
    command = [sys.executable, "-m", "nnlab", "search", "--dataset", "digits", "--epochs", str(epochs), "--trials",
               str(trials), "--study", f"throughput-{workers}", "--database", database, "--quiet", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    done = sum(json.loads(p.communicate()[0].splitlines()[-1])["trials"] for p in processes)
    return done / ((time.perf_counter() - started) / 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--worker-trials", type=int, default=12, help="trials per worker process in part 2")
    parser.add_argument("--database", default=None, help="part 2's database (default: a temporary SQLite file)")
    parser.add_argument("--skip-samplers", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-search-") as temporary:
        folder = Path(temporary)
        if not args.skip_samplers:
            compare_samplers(args.trials, args.epochs, folder)
        for workers in (1, 2):
            database = args.database or f"sqlite:///{folder / f'workers-{workers}.sqlite'}"
            rate = throughput(workers, args.worker_trials, args.epochs, database)
            print(f"{workers} worker process{'es' if workers > 1 else ''}: {rate:.1f} trials per minute "
                  f"({args.worker_trials} trials each, {os.cpu_count()} cores)", flush=True)


if __name__ == "__main__":
    main()
