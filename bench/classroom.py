"""Classroom: N students press Train at the same moment on one nnlab server, round after round.

One `streamlit run app.py` with private workspaces (NNLAB_RUNS=private), one headless Chromium with
a browser context per visitor (cookies and storage of their own, as separate students). Each visitor
opens the course exercise (/Train?preset=course); then every Train button is pressed at once and
each visitor waits for "Trained all 10 epochs.". Prints each visitor's wait (median, max), whether
every run was saved with all its epochs, and the server's peak memory; then further rounds on the
same pages and the server's memory after each against after the first (a server that keeps part of
every run grows from round to round).

    python bench/classroom.py                 # 8 visitors, 2 rounds (≈5 minutes on 2 cores); needs Chromium
    python bench/classroom.py --visitors 4 --rounds 3 --port 8612
Goals: every run saved with all its epochs; memory after round 2 within 5 % of after round 1.

With workers (issue 25; `--workers 1,2,4`): one throwaway PostgreSQL server (tests/postgres.py) and, for
each setup, a fresh database in it, then the same visitors and rounds against
- **in-process**: the web server(s) training themselves (NNLAB_TRAINING=in-process, NNLAB_MAX_TRAINING
  slots each: what a single PostgreSQL server did before workers), the baseline;
- **N workers**: that many `python -m nnlab worker --concurrency 1` processes, and the web server(s) handing
  the training to them (NNLAB_TRAINING=auto).
`--web-servers 2` starts two web servers per setup, the visitors split between them. Per setup and round:
the round's wall time (first click to last end), runs per minute, each visitor's wait (median, max), runs
saved with all their epochs (rows in nnlab_epochs), which worker trained how many (and that each job began
once); then a table of every setup side by side, runs per minute against in-process. Only the processes
and ports it started are touched, and stopped at the end (Ctrl-C or an error too). TMPDIR places the
temporary folders (PostgreSQL's must be readable by the `postgres` user when run as root).

    python bench/classroom.py --workers 1,2,4 --ports 8690-8699   # 2 rounds: ≈17 minutes on 2 cores
    python bench/classroom.py --workers 2 --web-servers 2 --rounds 1
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from playwright.async_api import async_playwright

# bench/app.py, run from bench/ like this script: its Server and browser settings (it puts the repository on sys.path)
from app import ARGS, CHROMIUM, PORTS, ROOT, Server, free_port

END_TEXT = "Trained all 10 epochs."
ROUND_TIMEOUT_MS = 1_800_000  # a whole round; 8 course runs on 2 busy cores have taken 7 minutes


def train_button(page):
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True)


async def open_course(page, url: str) -> None:
    await page.goto(url)
    await page.wait_for_selector('[data-testid="stApp"]')
    await train_button(page).wait_for(timeout=180_000)


async def train_and_wait(page, shots: Path, name: str) -> float:
    """Press Train and wait for the end text; seconds from click to end. Each visitor waits in its
    own task, so one stuck page cannot hold up the others' measurements."""
    clicked, ended = await press_train(page, shots, name)
    return ended - clicked


async def press_train(page, shots: Path, name: str) -> tuple[float, float]:
    """Press Train and wait for the end text: the moments (perf_counter) of the click and of the end."""
    await train_button(page).click()
    clicked = time.perf_counter()
    try:
        await page.get_by_text(END_TEXT).first.wait_for(timeout=ROUND_TIMEOUT_MS)
    except Exception:
        await page.screenshot(path=str(shots / f"{name}.png"))
        raise
    return clicked, time.perf_counter()


def report(title: str, waits: list, server: Server, expected_runs: int) -> float:
    finished = [wait for wait in waits if isinstance(wait, float)]
    runs = server.saved_runs()
    complete = sum(run.epochs_run == 10 for run in runs)
    training = statistics.median(run.seconds for run in runs) if runs else float("nan")
    rss = server.memory_mb()
    print(f"{title}: {len(finished)}/{len(waits)} visitors saw their run end; wait per visitor median "
          f"{statistics.median(finished):.1f} s, max {max(finished):.1f} s (training time of a run, median "
          f"{training:.1f} s); runs saved {len(runs)}/{expected_runs}, {complete} with all 10 epochs; "
          f"server RSS {rss:.0f} MB, peak so far {server.peak_memory_mb():.0f} MB", flush=True)
    for number, wait in enumerate(waits):
        if not isinstance(wait, float):
            print(f"  visitor {number + 1}: {type(wait).__name__}: {str(wait).splitlines()[0][:160]}")
    return rss


async def classroom(args, server: Server, shots: Path) -> list[float]:
    after = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            contexts = [await browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(args.visitors)]
            pages = [await context.new_page() for context in contexts]
            for page in pages:
                page.set_default_timeout(60_000)
            await asyncio.gather(*(open_course(page, f"{server.url}/Train?preset=course") for page in pages))
            print(f"{args.visitors} visitors on {server.url}, each in a private workspace; server RSS before "
                  f"training {server.memory_mb():.0f} MB; screenshots of stuck pages go to {shots}", flush=True)
            for number in range(1, args.rounds + 1):
                if number > 1:  # the same link again: the visitor's workspace and settings, no result shown yet
                    await asyncio.gather(*(open_course(page, page.url) for page in pages))
                waits = await asyncio.gather(*(train_and_wait(page, shots, f"round{number}-visitor{i + 1}")
                                               for i, page in enumerate(pages)), return_exceptions=True)
                after.append(report(f"round {number}", waits, server, number * args.visitors))
        finally:
            await browser.close()
    return after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    parser.add_argument("--workers", type=worker_counts, metavar="N,N,…",
                        help="measure with this many worker processes each (and in-process beside them) on PostgreSQL")
    parser.add_argument("--web-servers", type=int, default=1, choices=(1, 2),
                        help="with --workers: web servers per setup, the visitors split between them")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="with --workers: measure from cold (TensorFlow's import and MNIST's load in round 1)")
    parser.add_argument("--ports", type=port_range, default=PORTS, metavar="FIRST-LAST",
                        help="with --workers: the ports for PostgreSQL and the web servers (default: BENCH_PORTS')")
    args = parser.parse_args()
    if args.workers:
        with_workers(args)
        return
    if args.web_servers != 1:
        parser.error("--web-servers goes with --workers")
    shots = Path(tempfile.mkdtemp(prefix="nnlab-classroom-"))
    with Server(port=args.port, runs_mode="private") as server:
        after = asyncio.run(classroom(args, server, shots))
    if not any(shots.iterdir()):
        shots.rmdir()  # no page got stuck
    for number, rss in enumerate(after[1:], start=2):
        print(f"memory after round {number} against after round 1: {rss / after[0] - 1:+.1%} (goal within ±5 %)")



# --- with workers (issue 25) ------------------------------------------------------------------------------

WARM_UP_RUN = "hidden=20,20,20&loss=mse&optimizer=sgd&learning_rate=0.087&batch_size=100&epochs=1"  # the course's network
WORKER_START_SECONDS = 300  # TensorFlow's import in 4 processes at once on 2 busy cores


def worker_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts are whole numbers of at least 1, e.g. 1,2,4")
    return counts


def port_range(text: str) -> range:
    match = re.fullmatch(r"(\d+)-(\d+)", text.strip())
    if not match or int(match[1]) > int(match[2]):
        raise argparse.ArgumentTypeError("ports are FIRST-LAST, e.g. 8690-8699")
    return range(int(match[1]), int(match[2]) + 1)


@dataclasses.dataclass
class Round:
    setup: str
    number: int
    waits: list  # seconds per visitor, or the exception that stopped their wait
    wall: float  # first click to last end
    runs: int  # runs of this round saved
    complete: int  # of which with all their epochs' rows
    trained_by: Counter  # worker name → runs of this round it trained
    trained_once: bool  # no job of this round began twice
    training: float  # a run's own training seconds, median
    spans: list  # (began, ended) of each run in the store, Unix time
    first_click: float  # Unix time

    @property
    def at_once(self) -> int:
        """The most runs that trained at the same moment."""
        moments = sorted([(began, 1) for began, _ in self.spans] + [(ended, -1) for _, ended in self.spans])
        most = running = 0
        for _, step in moments:
            running += step
            most = max(most, running)
        return most

    @property
    def stored_wall(self) -> float:
        """First click to the last run's end in the store: the wall time without the pages' last look."""
        return max(ended for _, ended in self.spans) - self.first_click if self.spans else float("nan")

    @property
    def finished(self) -> list[float]:
        return [wait for wait in self.waits if isinstance(wait, float)]

    @property
    def per_minute(self) -> float:
        return self.complete / self.wall * 60 if self.wall > 0 else float("nan")


class Workers:
    """`count` processes of `python -m nnlab worker --concurrency 1`, each its own name; ready once all beat."""

    def __init__(self, url: str, count: int, logs: Path, label: str):
        self.url, self.count, self.logs = url, count, logs
        self.names = [f"bench-{label}-w{number + 1}" for number in range(count)]
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self):
        from nnlab.store import workers

        try:
            for name in self.names:
                with open(self.logs / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
                    self.processes[name] = subprocess.Popen(
                        [sys.executable, "-m", "nnlab", "worker", "--database", self.url, "--concurrency", "1",
                         "--name", name], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + WORKER_START_SECONDS
            while set(workers.alive(self.url)) != set(self.names):
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"worker {name} exited: {(self.logs / f'{name}.log').read_text()[-1500:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the workers did not all beat within {WORKER_START_SECONDS} s")
                time.sleep(0.2)
        except BaseException:
            self.__exit__()
            raise
        return self

    def peak_memory_mb(self) -> list[float]:
        return [process_memory_mb(process.pid, "VmHWM") for process in self.processes.values()]

    def __exit__(self, *exc) -> None:
        """SIGTERM (a worker's clean stop), then a kill for any still there after 30 s: only our own processes."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def process_memory_mb(pid: int, field: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")  # ended
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def fresh_database(admin_url: str, name: str) -> str:
    """A new database on the benchmark's PostgreSQL, brought up to date (the queue's tables too): its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from nnlab.store import database
    from nnlab.store.runs import RunStore

    admin = create_engine(database.driver_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    RunStore(url).engine()  # migrates
    return url


def round_figures(url: str, seen: set[str]) -> tuple[int, int, Counter, bool, float, list]:
    """The runs saved since `seen` (added to it): how many, how many with all 10 epochs' rows, who trained
    them (nnlab_live's worker; "web server" when trained in-process), whether each job began once, their
    median training seconds, and each one's (began, ended) in Unix time."""
    from sqlalchemy import text

    from nnlab.serving import queue_state
    from nnlab.store import database

    with database.engine(url).connect() as connection:
        rows = connection.execute(text("SELECT id, meta FROM nnlab_runs")).all()
        epochs = dict(connection.execute(text("SELECT run_id, count(*) FROM nnlab_epochs GROUP BY run_id")).all())
        live = {row.run_id: row for row in connection.execute(
            text("SELECT run_id, worker, job_id FROM nnlab_live WHERE run_id IS NOT NULL")).all()}
    new = [(run_id, meta) for run_id, meta in rows if run_id not in seen]
    seen.update(run_id for run_id, _ in new)
    metas = [json.loads(meta) for _, meta in new]
    seconds = [float(meta.get("seconds") or 0) for meta in metas]
    spans = [(datetime.fromisoformat(meta["created"]).timestamp(), datetime.fromisoformat(meta["updated"]).timestamp())
             for meta in metas]
    by = Counter(live[run_id].worker if run_id in live else "web server" for run_id, _ in new)
    once = all(queue_state.started_count(url, live[run_id].job_id) == 1 for run_id, _ in new
               if run_id in live and live[run_id].job_id is not None)
    complete = sum(epochs.get(run_id, 0) == 10 for run_id, _ in new)
    return len(new), complete, by, once, statistics.median(seconds) if seconds else float("nan"), spans


async def warm_up(browser, servers: list[Server], workers: int, shots: Path, setup: str) -> None:
    """One epoch of the course exercise by as many other visitors at once as there are trainers (each web
    server, each worker): TensorFlow imported, MNIST loaded and the step compiled everywhere before the
    measured rounds. (A web server that hands training to workers still imports TensorFlow at its first
    run's end, for the predictions and inside views it makes from the run's model.)"""
    count = max(len(servers), workers)
    contexts = [await browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(count)]
    try:
        pages = [await context.new_page() for context in contexts]
        await asyncio.gather(*(open_course(page, f"{servers[number % len(servers)].url}/Train?{WARM_UP_RUN}")
                               for number, page in enumerate(pages)))

        async def one(page, number):
            await train_button(page).click()
            await page.get_by_text("Trained all 1 epochs.").first.wait_for(timeout=ROUND_TIMEOUT_MS)

        await asyncio.gather(*(one(page, number) for number, page in enumerate(pages)))
    finally:
        for context in contexts:
            await context.close()


async def visitors_rounds(browser, setup: str, servers: list[Server], args, shots: Path, url: str,
                          workers: int = 0) -> list[Round]:
    """New visitors (a browser context each, split between the servers) open the course exercise; then
    (after a warm-up, with `args.warm_up`) `args.rounds` times all press Train at once and wait for their
    run's end."""
    contexts = [await browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(args.visitors)]
    try:
        pages = [await context.new_page() for context in contexts]
        for page in pages:
            page.set_default_timeout(60_000)
        await asyncio.gather(*(open_course(page, f"{servers[number % len(servers)].url}/Train?preset=course")
                               for number, page in enumerate(pages)))
        rounds, seen = [], set()
        if args.warm_up:
            await warm_up(browser, servers, workers, shots, setup)
            _, _, by, _, _, _ = await asyncio.to_thread(round_figures, url, seen)
            print(f"  warmed up: {', '.join(f'{name} {count}' for name, count in sorted(by.items()))}", flush=True)
        for number in range(1, args.rounds + 1):
            if number > 1:
                await asyncio.gather(*(open_course(page, page.url) for page in pages))
            clock = time.time() - time.perf_counter()  # perf_counter's moments in Unix time
            moments = await asyncio.gather(*(press_train(page, shots, f"{setup}-round{number}-visitor{i + 1}")
                                             for i, page in enumerate(pages)), return_exceptions=True)
            ended = [moment for moment in moments if isinstance(moment, tuple)]
            wall = max(end for _, end in ended) - min(click for click, _ in ended) if ended else float("nan")
            waits = [moment[1] - moment[0] if isinstance(moment, tuple) else moment for moment in moments]
            figures = await asyncio.to_thread(round_figures, url, seen)
            first_click = min((click for click, _ in ended), default=time.perf_counter()) + clock
            rounds.append(Round(setup, number, waits, wall, *figures, first_click))
            print_round(rounds[-1], args.visitors, servers)
        return rounds
    finally:
        for context in contexts:
            await context.close()


def print_round(done: Round, visitors: int, servers: list[Server]) -> None:
    finished = done.finished
    waits = (f"wait per visitor median {statistics.median(finished):.1f} s, max {max(finished):.1f} s"
             if finished else "no visitor saw their run end")
    trained = ", ".join(f"{name} {count}" for name, count in sorted(done.trained_by.items()))
    rss = ", ".join(f"{server.memory_mb():.0f}" for server in servers)
    print(f"{done.setup}, round {done.number}: {len(finished)}/{visitors} visitors saw their run end in {done.wall:.1f} s "
          f"({done.per_minute:.1f} runs a minute; the last run ended in the store after {done.stored_wall:.1f} s; at "
          f"most {done.at_once} trained at once); {waits} (all: {', '.join(f'{w:.0f}' for w in sorted(finished))}); "
          f"a run's training median {done.training:.1f} s; runs saved "
          f"{done.runs}/{visitors}, {done.complete} with all 10 epochs; trained by {trained or 'nobody'}"
          f"{'' if done.trained_once else ' (A JOB BEGAN TWICE)'}; web server RSS {rss} MB", flush=True)
    spans = sorted(done.spans)
    print("  runs in the store, seconds after the first click (began–ended): " + ", ".join(
        f"{began - done.first_click:.0f}–{ended - done.first_click:.0f}" for began, ended in spans), flush=True)
    for number, wait in enumerate(done.waits):
        if not isinstance(wait, float):
            print(f"  visitor {number + 1}: {type(wait).__name__}: {str(wait).splitlines()[0][:160]}")


async def measure_setups(args, postgres, shots: Path, results: list[Round]) -> None:
    """Each setup in turn, its rounds added to `results` as they end (kept if a later setup fails)."""
    setups = [("in-process", 0)] + [(f"{count} worker{'s' if count > 1 else ''}", count) for count in args.workers]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for number, (setup, count) in enumerate(setups):
                label = "inproc" if count == 0 else f"{count}w"
                url = fresh_database(postgres.url(), f"bench_classroom_{number}_{label}")
                env = {"NNLAB_TRAINING": "in-process" if count == 0 else "auto"}
                with contextlib.ExitStack() as running:
                    if count:
                        # started in the loop's thread, not in another: a Ctrl-C meanwhile still finds them to stop
                        workers = running.enter_context(Workers(url, count, shots, label))
                    servers = []
                    for _ in range(args.web_servers):  # one after another: each takes the next free port
                        servers.append(running.enter_context(Server(port=free_port(args.ports), runs_mode="private",
                                                                    database_url=url, env=env,
                                                                    temp_prefix="nnlab-classroom-web-")))
                    where = (f"{count} worker process{'es' if count > 1 else ''} (--concurrency 1)" if count else
                             f"in the web server{'s' if len(servers) > 1 else ''} (NNLAB_MAX_TRAINING slots each)")
                    print(f"\n{setup}: {args.visitors} visitors on {', '.join(s.url for s in servers)}, training "
                          f"{where}; database {url.rsplit('/', 1)[1]}", flush=True)
                    results += await visitors_rounds(browser, setup, servers, args, shots, url, count)
                    peaks = [f"{server.peak_memory_mb():.0f}" for server in servers]
                    if count:
                        peaks.append("workers " + ", ".join(f"{mb:.0f}" for mb in workers.peak_memory_mb()))
                    print(f"{setup}: peak RSS MB: web server {'; '.join(peaks)}", flush=True)
                from nnlab.store import database

                database.forget(url)
        finally:
            await browser.close()


def side_by_side(results: list[Round], args) -> None:
    print(f"\n{args.visitors} visitors pressing Train at once on the course exercise, {args.web_servers} web "
          f"server{'s' if args.web_servers > 1 else ''}, {os.cpu_count()} cores:")
    header = (f"{'setup':<12} {'round':>5} {'wall s':>7} {'runs/min':>8} {'× in-proc':>9} {'wait med':>8} "
              f"{'wait max':>8} {'train med':>9} {'at once':>7} {'saved/10 ep':>11}  trained by")
    print(header)
    baseline = {done.number: done.per_minute for done in results if done.setup == "in-process"}
    for done in results:
        finished = done.finished
        median = f"{statistics.median(finished):.1f}" if finished else "—"
        longest = f"{max(finished):.1f}" if finished else "—"
        ratio = done.per_minute / baseline[done.number] if baseline.get(done.number) else float("nan")
        trained = ", ".join(f"{name.rsplit('-', 1)[-1] if name.startswith('bench-') else name} {count}"
                            for name, count in sorted(done.trained_by.items()))
        print(f"{done.setup:<12} {done.number:>5} {done.wall:>7.1f} {done.per_minute:>8.1f} {ratio:>9.2f} "
              f"{median:>8} {longest:>8} {done.training:>9.1f} {done.at_once:>7} "
              f"{f'{done.complete}/{args.visitors}':>11}  {trained}"
              f"{'' if done.trained_once else ' (a job began twice)'}")


def with_workers(args) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.postgres import Server as Postgres

    shots = Path(tempfile.mkdtemp(prefix="nnlab-classroom-"))  # stuck pages' screenshots, the workers' logs
    print(f"screenshots of stuck pages and the workers' logs go to {shots}", flush=True)
    postgres = Postgres()
    postgres.port = free_port(args.ports)  # the benchmark's own ports
    results: list[Round] = []
    try:
        with postgres:
            print(f"PostgreSQL on 127.0.0.1:{postgres.port}", flush=True)
            asyncio.run(measure_setups(args, postgres, shots, results))
    finally:
        if results:
            side_by_side(results, args)  # the setups measured, also when a later one failed


if __name__ == "__main__":
    main()
