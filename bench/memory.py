"""Memory of training in one server process: what each run leaves behind, and what concurrent runs cost.

Two measurements, each in a fresh Python process so that one does not inherit the other's peak:
- N course-exercise runs (2 epochs each) one after another on one loaded Dataset, as the server
  trains them: resident memory (RSS) after each run, and the growth per run after a warm-up of two
  runs (the first runs fill TensorFlow's one-time caches);
- K trainings at once in threads of one process, all on the same Dataset object (as the server's
  cached data set), and 1 alone: peak RSS (VmHWM) of each.

    python bench/memory.py                          # 10 runs; 8 and 1 concurrent (≈3 minutes on 2 cores)
    python bench/memory.py --runs 6 --concurrent 4
    python bench/memory.py --train /tmp/old_train.py   # another train.py (e.g. from `git show`), to compare
Goals: ≤ 20 MB per run after warm-up; 8 concurrent MNIST trainings within 2.7 GB.

A third measurement, `--visitors`, is the classroom of issue 20 driven through the server's backend
(TrainingJob / SweepJob on the server's scheduler, data from the pages' cache nnlab.ui.data_cache),
not through browsers (32 browser sessions on 2 cores would measure Chromium): 12 visitors one after
another, each with their own seed and training size (1-epoch MNIST runs, hidden=1, batch 4096, as
in the issue); then 8 more at once; then idle with every session gone; then one Sweep over training
sizes 50000…50011. RSS before and after each step, and the peak.

    python bench/memory.py --visitors                       # this tree (≈3 minutes)
    python bench/memory.py --visitors --tree /tmp/old-nnlab # another checkout (e.g. `git archive main`)
Goal: RSS after every step within the data cache's bound of the baseline; the peak under 2.7 GB.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--tree" in sys.argv:  # measure another checkout's nnlab (its own data/ folder too)
    ROOT = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
sys.path.insert(0, str(ROOT))

WARM_UP = 2  # runs before growth is counted


def memory_mb(field: str = "VmRSS") -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def train_function(path: str | None):
    """nnlab.training.train.train, or `train` from another copy of train.py."""
    if not path:
        from nnlab.training.train import train

        return train
    spec = importlib.util.spec_from_file_location("train_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.train


def course_run(epochs: int):
    from nnlab.config.run_config import COURSE_EXERCISE
    from nnlab.data.datasets import load_dataset

    config = dataclasses.replace(COURSE_EXERCISE, epochs=epochs)
    return config, load_dataset(config)


def sequential(args) -> dict:
    train = train_function(args.train)
    config, dataset = course_run(args.epochs)
    after = [memory_mb()]  # TensorFlow imported, MNIST loaded
    for _ in range(args.runs):
        result = train(config, dataset)
        assert result.epochs_run == args.epochs, result.message
        del result
        gc.collect()
        after.append(memory_mb())
    return {"rss_mb": after}


def concurrent(args) -> dict:
    train = train_function(args.train)
    config, dataset = course_run(args.epochs)
    before = memory_mb()
    results, errors = [], []

    def one():
        try:
            results.append(train(config, dataset))
        except Exception as error:  # noqa: BLE001 - reported below, the measurement is void
            errors.append(repr(error))

    threads = [threading.Thread(target=one) for _ in range(args.concurrent)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1800)
    return {"before_mb": before, "peak_mb": memory_mb("VmHWM"), "seconds": time.perf_counter() - started,
            "finished": sum(r.epochs_run == args.epochs for r in results), "errors": errors}


def visitors(args) -> dict:
    """Issue 20's visitors, through the server's own jobs and data cache (see the module's note)."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # st.cache_resource outside a server warns
    from nnlab.config.run_config import RunConfig
    from nnlab.serving.jobs import SweepJob, TrainingJob
    from nnlab.core.tf_runtime import tf  # noqa: F401 - TensorFlow in the baseline, as on a server
    from nnlab.ui.data_cache import load_data

    steps, peak = [], [memory_mb()]

    try:
        from nnlab.data.cache import DATA_CACHE  # this tree's byte-bounded cache (older trees have none)
    except ImportError:
        DATA_CACHE = None

    def note(title: str) -> None:
        gc.collect()
        rss = memory_mb()
        peak[0] = max(peak[0], memory_mb("VmHWM"))
        if DATA_CACHE is not None:
            title += f"; data cache {DATA_CACHE.kept_bytes() / 2 ** 20:.0f} MB"
        steps.append((title, rss))
        print(f"  {title}: RSS {rss:.0f} MB", file=sys.stderr, flush=True)

    def config(seed: int, train_size: int) -> RunConfig:
        return RunConfig(dataset="mnist", hidden=(1,), epochs=1, batch_size=4096, seed=seed, train_size=train_size)

    def wait(jobs) -> None:
        while not all(job.done for job in jobs):
            for job in jobs:
                job.touch()  # watched, as a page polls
            time.sleep(0.2)

    note("baseline (TensorFlow imported, nothing loaded)")
    sessions = []  # what the visitors' sessions keep: their finished jobs
    for n in range(12):
        job = TrainingJob(config(100 + n, 50_000 + n), load_data, owner=f"visitor-{n}").start()
        wait([job])
        assert job.result is not None and job.result.epochs_run == 1, job.message
        sessions.append(job)
        note(f"visitor {n + 1} of 12 done (seed {100 + n}, train_size {50_000 + n})")
    together = [TrainingJob(config(200 + n, 40_000 + n), load_data, owner=f"class-{n}").start() for n in range(8)]
    wait(together)
    assert all(job.result is not None for job in together), [job.message for job in together]
    sessions += together
    note("8 visitors at once done")
    sessions.clear()
    together = job = None
    time.sleep(2)
    note("idle, every session gone")
    sweep = SweepJob([TrainingJob(config(0, 50_000 + n), load_data, owner="sweeper", label=f"{50_000 + n}")
                      for n in range(12)]).start()
    wait(sweep.jobs)
    assert all(job.result is not None for job in sweep.jobs), [job.message for job in sweep.jobs]
    note("sweep of train_size 50000…50011 done")
    sweep = None
    time.sleep(2)
    note("idle after the sweep, its session gone")
    return {"steps": steps, "peak_mb": peak[0]}


def in_child(phase: str, args, **overrides) -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--runs", str(args.runs), "--epochs", str(args.epochs),
               "--concurrent", str(overrides.get("concurrent", args.concurrent))]
    if args.train:
        command += ["--train", args.train]
    if args.tree:
        command += ["--tree", args.tree]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        sys.exit(f"{phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train", help="path of another train.py to measure instead of nnlab.training.train")
    parser.add_argument("--visitors", action="store_true", help="issue 20's classroom of visitors (see above)")
    parser.add_argument("--tree", help="the root of another nnlab checkout to measure")
    parser.add_argument("--phase", choices=("sequential", "concurrent", "visitors"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:  # a child process: measure, print JSON on the last line
        print(json.dumps({"sequential": sequential, "concurrent": concurrent, "visitors": visitors}[args.phase](args)))
        return
    if args.visitors:
        figures = in_child("visitors", args)
        base = figures["steps"][0][1]
        print(f"tree: {ROOT}")
        for title, rss in figures["steps"]:
            print(f"  {title:<80} RSS {rss:6.0f} MB  ({rss - base:+.0f} MB)")
        print(f"  peak RSS {figures['peak_mb']:.0f} MB; goal under 2765 MB: "
              f"{'met' if figures['peak_mb'] <= 2765 else 'MISSED'}")
        return

    print(f"train: {args.train or 'nnlab.training.train'}; course exercise, {args.epochs} epochs a run")
    rss = in_child("sequential", args)["rss_mb"]
    print(f"\n{args.runs} runs one after another; RSS after loading: {rss[0]:.0f} MB; after each run (MB):")
    print("  " + ", ".join(f"{value:.0f}" for value in rss[1:]))
    if args.runs > WARM_UP + 1:
        growth = (rss[-1] - rss[WARM_UP]) / (args.runs - WARM_UP)
        steps = [b - a for a, b in zip(rss[WARM_UP:], rss[WARM_UP + 1:])]
        print(f"  growth per run after {WARM_UP} warm-up runs: {growth:.1f} MB (median step {statistics.median(steps):.1f} MB;"
              f" goal ≤ 20 MB)")

    for count in sorted({1, args.concurrent}):
        figures = in_child("concurrent", args, concurrent=count)
        print(f"\n{count} training(s) at once on one Dataset: peak RSS {figures['peak_mb']:.0f} MB "
              f"(before training {figures['before_mb']:.0f} MB), {figures['finished']}/{count} finished "
              f"in {figures['seconds']:.0f} s" + (f"; errors: {figures['errors']}" if figures["errors"] else ""))
        if count == args.concurrent and count > 1:
            print(f"  goal: within 2.7 GB = 2765 MB: {'met' if figures['peak_mb'] <= 2765 else 'MISSED'}")


if __name__ == "__main__":
    main()
