"""Workers (issue 25): how long a click takes to reach a run trained on a worker, as the page sees it.

A throwaway PostgreSQL (tests/postgres.py) or --database, one `python -m nnlab worker`, then N rounds of
one long run (2-D spiral, batch 4): Pause asked → the run holds (the live row says `holding`), Resume,
Stop asked → the run has ended, tested and saved (status stopped). Also: a run queued → its first epoch
kept (TensorFlow already loaded in the worker). The same clicks on the same run trained in this process
(a TrainingJob, as a page without workers) alternate with them, for the ratio. Medians and maxima; nothing
asserted.

    python bench/queue_controls.py              # 5 rounds
    python bench/queue_controls.py --rounds 10 --database postgresql://user@host/db
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from nnlab.config.run_config import RunConfig  # noqa: E402
from nnlab.core.status import FINISHED  # noqa: E402
from nnlab.serving import work_spec  # noqa: E402
from nnlab.serving.remote_work import RemoteWork, submit  # noqa: E402
from nnlab.store import workers  # noqa: E402
from nnlab.store.runs import RunStore  # noqa: E402

LONG = RunConfig.from_dict({"dataset": "spiral", "hidden": [32, 32], "batch_size": 4, "epochs": 1000})


def until(found, deadline: float = 300.0, tick: float = 0.02):  # a look every 20 ms: more would take the worker's CPU
    end, wait = time.monotonic() + deadline, threading.Event()
    while time.monotonic() < end:
        answer = found()
        if answer:
            return answer
        wait.wait(tick)
    raise TimeoutError("waited too long")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = args.database
        if url is None:
            from postgres import Server

            url = stack.enter_context(Server()).url()
        RunStore(url).engine()
        worker = subprocess.Popen([sys.executable, "-m", "nnlab", "worker", "--database", url, "--name", "bench"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(worker.wait, 30)
        stack.callback(worker.terminate)
        until(lambda: "bench" in workers.alive(url))
        first, pause, stop = [], [], []
        local = {"first": [], "pause": [], "stop": []}
        for _ in range(args.rounds):
            _local_round(url, local)
            spec = work_spec.run_spec(LONG, workspace="shared")
            asked = time.monotonic()
            work = RemoteWork(url, spec["key"], submit(url, spec))
            until(lambda: work.look().state.get("epochs", 0) >= 1)
            first.append(time.monotonic() - asked)
            asked = time.monotonic()
            work.ask("pause")
            until(lambda: work.look().state.get("holding"))
            pause.append(time.monotonic() - asked)
            work.ask("resume")
            until(lambda: not work.look().state.get("paused"))
            asked = time.monotonic()
            work.stop()
            until(lambda: work.look().state.get("status") in FINISHED)
            stop.append(time.monotonic() - asked)
        print(f"{'':<32} {'on a worker':>28}   {'in this process':>28}   ratio of medians")
        for name, values, here in (("queued → first epoch kept", first, local["first"]),
                                   ("Pause → holding", pause, local["pause"]),
                                   ("Stop → ended, tested and saved", stop, local["stop"])):
            print(f"{name:<32} {_figures(values):>28}   {_figures(here):>28}   "
                  f"{statistics.median(values) / statistics.median(here):5.1f}×")


def _figures(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:5.0f} ms, max {max(values) * 1000:5.0f}"


def _local_round(url: str, local: dict) -> None:
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving.jobs import TrainingJob
    from nnlab.serving.scheduler import Scheduler

    job = TrainingJob(LONG, DATA_CACHE.load, store=RunStore(url), scheduler=Scheduler(1))
    asked = time.monotonic()
    job.start()
    until(lambda: len(job.history) >= 1)
    local["first"].append(time.monotonic() - asked)
    asked = time.monotonic()
    job.pause()
    until(lambda: job.holding)
    local["pause"].append(time.monotonic() - asked)
    job.resume()
    asked = time.monotonic()
    job.stop()
    until(lambda: job.done)
    local["stop"].append(time.monotonic() - asked)


if __name__ == "__main__":
    main()
