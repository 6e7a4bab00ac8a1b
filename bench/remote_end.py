"""The end of a worker's run as a web server sees it (issue 25): before and after, side by side in one run.

One throwaway PostgreSQL server (tests/postgres.py) and one `python -m nnlab worker`; then, alternately, a
fresh process per variant — a cold web server — follows runs it queues as Train's page does
(serving/remote_work.RemoteTrainingJob):
- **before**: the end as it was: the model loaded here from the store, the predictions and inside views made
  from it here, the live row read at a fixed 0.25 s pace;
- **after**: the predictions and inside views the worker kept with the run read back (training/end_views.py),
  the live row read when the worker's write is announced (store/live_notices.py), at 0.5 s at the latest.
Per variant: the time from the worker saving the run (its row's `updated`) to the page's job being done, the
first run's (a cold process) apart from the others'; the queries the follower sent per second from the run's
start to its end (seen); whether
`tensorflow` is in the process's `sys.modules` after the runs; the process's peak memory.

    python bench/remote_end.py                       # 2 rounds × 2 variants × 4 runs: ≈3 minutes on 2 cores
    python bench/remote_end.py --rounds 3 --runs 6 --port 9150
"""
from __future__ import annotations

import argparse
import json
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIG = {"dataset": "spiral", "hidden": [32, 32], "batch_size": 4, "epochs": 300}  # ≈3–5 s on the worker
VARIANTS = ("before", "after")


def follow(url: str, variant: str, runs: int) -> dict:
    """In the child: `runs` runs queued and followed to their end as a page does; what it measured."""
    from sqlalchemy import event, text
    from sqlalchemy.engine import Engine

    from nnlab.config.run_config import RunConfig
    from nnlab.data.cache import DATA_CACHE
    from nnlab.serving import remote_work
    from nnlab.store import database

    queries, rows = [0], [0]
    event.listen(Engine, "before_cursor_execute", lambda *_: queries.__setitem__(0, queries[0] + 1))

    def fetched(connection, cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and cursor.rowcount > 0:
            rows[0] += cursor.rowcount

    event.listen(Engine, "after_cursor_execute", fetched)
    job_class = remote_work.RemoteTrainingJob if variant == "after" else _loads_the_model(remote_work)
    measured = []
    for number in range(runs):
        config = RunConfig.from_dict({**CONFIG, "seed": number})
        job = job_class(config, DATA_CACHE.load, url=url, workspace="shared", owner=f"bench:{variant}:{number}")
        job.start()
        began, counted, read, tick = None, queries[0], rows[0], threading.Event()
        started = time.monotonic()  # if it ends before it is seen running
        while not job.done:
            job.touch()  # the page's polls (they cost the page's server no query: the follower passes them on)
            if began is None and job.status == "running":
                began, counted, read = time.monotonic(), queries[0], rows[0]
            tick.wait(0.05)
        spent, sent = time.monotonic() - (began or started), queries[0] - counted
        with database.engine(url).connect() as connection:
            saved = connection.execute(text("SELECT updated FROM nnlab_runs WHERE id = :id"),
                                       {"id": job.run_id}).scalar()
        measured.append({"status": str(job.status), "predictions": job.predictions is not None,
                         "saved_to_done": job.finished - datetime.fromisoformat(saved).timestamp(),
                         "queries_per_second": sent / spent, "queries": sent, "seconds": spent, "rows": rows[0] - read,
                         "inside": job.inside is not None})
    return {"variant": variant, "runs": measured, "tensorflow": "tensorflow" in sys.modules,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _loads_the_model(remote_work):
    """The web side as it was before: the model loaded here at the end, its predictions and inside views made
    here from it; the live row read every 0.25 s, no notices heard."""
    import types

    from nnlab.serving import remote_end, remote_follower
    from nnlab.store.runs import RunStore

    remote_follower.live_notices = types.SimpleNamespace(hear=lambda url, key: threading.Event(),
                                                         forget=lambda url, key, heard: None)
    remote_follower.LOOK_SECONDS = 0.25

    class LoadsTheModel(remote_work.RemoteTrainingJob):
        def _end(self, status, message):
            from nnlab.training.inside import snapshot
            from nnlab.verdict.predictions import predict

            self.message = f"{message} Trained on worker {self.worker}." if self.worker else message
            if self.run_id:
                store = RunStore(self.url, self.workspace)
                end = remote_end.read(store, self.run_id, self.config, self.history, status, self.message)
                model = end.result.model = remote_end.load_model(store, self.run_id)
                self.result = end.result
                if model is not None and self.history:
                    self.predictions = predict(model, self.dataset)
                    self.inside = snapshot(model, self.dataset, epoch=len(self.history), batch=0)
                    self.inside_version += 1
            self.finished = time.time()
            self.status = status

    return LoadsTheModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="each variant this many times, alternately")
    parser.add_argument("--runs", type=int, default=4, help="runs followed by each variant's process")
    parser.add_argument("--port", type=int, default=9150, help="PostgreSQL's port")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(follow(args.database, args.child, args.runs)), flush=True)
        return
    from tests.postgres import Server

    from nnlab.store import workers
    from nnlab.store.runs import RunStore

    with Server(port=args.port) as server:
        url = server.url()
        RunStore(url).engine()  # the store and the queue's tables
        log = open(server.folder / "worker.log", "wb")
        worker = subprocess.Popen([sys.executable, "-m", "nnlab", "worker", "--database", url, "--name", "bench"],
                                  stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            while not workers.alive(url):
                if worker.poll() is not None:
                    sys.exit(f"the worker stopped: {(server.folder / 'worker.log').read_text()[-2000:]}")
                time.sleep(0.2)
            results = {variant: [] for variant in VARIANTS}
            for number in range(args.rounds):
                for variant in VARIANTS:
                    done = subprocess.run([sys.executable, __file__, "--child", variant, "--database", url, "--runs",
                                           str(args.runs)], capture_output=True, text=True, cwd=ROOT)
                    if done.returncode:
                        sys.exit(f"{variant} failed: {done.stderr[-3000:]}")
                    told = json.loads(done.stdout.strip().splitlines()[-1])
                    results[variant].append(told)
                    ends = [run["saved_to_done"] for run in told["runs"]]
                    print(f"round {number + 1}, {variant}: saved → done {' '.join(f'{s:.2f}' for s in ends)} s; "
                          f"tensorflow imported: {told['tensorflow']}; peak {told['peak_mb']:.0f} MB; "
                          f"{statistics.median(run['queries'] for run in told['runs']):.0f} queries a run "
                          f"({statistics.median(run['queries_per_second'] for run in told['runs']):.1f}/s over "
                          f"{statistics.median(run['seconds'] for run in told['runs']):.1f} s), "
                          f"{statistics.median(run['rows'] for run in told['runs']):.0f} rows read a run; "
                          f"all {sorted({run['status'] for run in told['runs']})} with predictions "
                          f"{all(run['predictions'] and run['inside'] for run in told['runs'])}", flush=True)
            report(results)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()


def report(results: dict) -> None:
    summary = {}
    for variant, processes in results.items():
        first = [process["runs"][0]["saved_to_done"] for process in processes]
        later = [run["saved_to_done"] for process in processes for run in process["runs"][1:]]
        summary[variant] = (statistics.median(first), statistics.median(later) if later else float("nan"),
                            statistics.median(run["queries_per_second"] for p in processes for run in p["runs"]),
                            all(process["tensorflow"] for process in processes),
                            any(process["tensorflow"] for process in processes),
                            statistics.median(process["peak_mb"] for process in processes),
                            statistics.median(run["rows"] for p in processes for run in p["runs"]))
    print("\nvariant  first run (cold)  later runs  queries/s  rows a run  tensorflow imported  peak MB")
    for variant, (first, later, rate, always, ever, peak, rows) in summary.items():
        print(f"{variant:7}  {first:14.2f} s  {later:8.2f} s  {rate:9.1f}  {rows:10.0f}  "
              f"{'always' if always else 'sometimes' if ever else 'never':>19}  {peak:7.0f}")
    before, after = summary["before"], summary["after"]
    print(f"after / before: first run {after[0] / before[0]:.3f}, later runs {after[1] / before[1]:.3f}, "
          f"queries/s {after[2] / before[2]:.2f}, rows read {after[6] / before[6]:.3f}, peak memory "
          f"{after[5] / before[5]:.2f}")


if __name__ == "__main__":
    main()
