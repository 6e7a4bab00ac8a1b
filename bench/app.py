"""The dashboard measured in a real browser (Playwright + Chromium), side by side with the backend.

Prints:
- seconds from `streamlit run` until the home page is usable (health check answered, lessons drawn);
- the same 20-epoch run trained by the dashboard (while the page polls and redraws) and by the
  backend alone, in fresh processes, alternated: training seconds and the overhead ratio;
- the server's peak memory (VmHWM) after an MNIST run;
- how far the live chart is behind the training: per epoch, from its row in the database to its
  point drawn in the browser's chart (MNIST's course exercise, and a 2-D run of hundreds of epochs
  a second);
- a 3-value sweep of the course exercise (3 epochs each) against three single runs on the Train page.

    python bench/app.py            # ≈5 minutes on 2 cores; needs Chromium (apt-get install chromium)
    BENCH_PARTS=overhead,lag python bench/app.py   # some parts only: startup, overhead, lag, sweep
"""
from __future__ import annotations

import math
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]  # as tests/e2e/conftest.py
OVERHEAD_RUN = "dataset=mnist&hidden=128&batch_size=128&epochs=20"
OVERHEAD_CONFIG = {"dataset": "mnist", "hidden": [128], "batch_size": 128, "epochs": 20}
LAG_RUNS = (("course exercise (MNIST)", "hidden=20,20,20&loss=mse&optimizer=sgd&batch_size=100&epochs=12"),
            ("spiral, 8-8 tanh, batch 10", "dataset=spiral&hidden=8,8&activation=tanh&batch_size=10&epochs=400"))
PORTS = range(*map(int, os.environ.get("BENCH_PORTS", "8750-8800").split("-")))  # this benchmark's own ports
PARTS = set(os.environ.get("BENCH_PARTS", "startup,overhead,lag,sweep").split(","))
# The last epoch the first chart on the page (the loss) has drawn: Vega describes each point in its SVG; while a
# run trains at full speed, the browser's own live chart (nnlab/ui/live_chart.js) says which epoch it has drawn.
DRAWN_EPOCH_JS = """() => {
  const live = document.querySelector('[data-nnlab-live]');
  if (live) return Number(live.getAttribute('data-nnlab-drawn-epoch') || 0);
  const chart = document.querySelector('[data-testid="stVegaLiteChart"]');
  let last = 0;
  for (const point of chart ? chart.querySelectorAll('[aria-roledescription="point"]') : []) {
    const match = /Epoch: (\\d+)/.exec(point.getAttribute('aria-label') || '');
    if (match) last = Math.max(last, Number(match[1]));
  }
  return last;
}"""


class Server:
    """`streamlit run app.py` with its runs in a temporary folder, stopped on leaving the `with`."""

    def __init__(self, cpus: str | None = None, *, port: int | None = None, runs_mode: str = "shared",
                 database_url: str | None = None, env: dict | None = None, temp_prefix: str = "nnlab-bench-"):
        self.cpus = cpus  # e.g. "0": pin the server to core 0 (taskset), the browser elsewhere
        self.port = port or free_port()
        self.runs_mode = runs_mode  # NNLAB_RUNS: "shared", or "private" (one workspace per visitor)
        self.runs = Path(tempfile.mkdtemp(prefix=temp_prefix))
        self.url = f"http://127.0.0.1:{self.port}"
        self.given_database, self.env = database_url, env or {}  # e.g. a PostgreSQL shared with workers

    def __enter__(self):
        # the server's default database, an SQLite file of its own, unless one is given
        self.database_url = self.given_database or f"sqlite:///{self.runs / 'nnlab.sqlite'}"
        env = {**os.environ, "NNLAB_RUNS_DIR": str(self.runs), "NNLAB_RUNS": self.runs_mode,
               "NNLAB_DATABASE_URL": self.database_url, **self.env}
        self.started = time.perf_counter()
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        self.process = subprocess.Popen(
            [*pin, sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(self.port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError(f"the nnlab server did not start on {self.url}")
                time.sleep(0.05)
        self.healthy = time.perf_counter() - self.started
        return self

    def memory_mb(self, field: str = "VmRSS") -> float:
        """The server's resident memory now (VmRSS) or at its peak so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024

    def peak_memory_mb(self) -> float:
        return self.memory_mb("VmHWM")

    def saved_runs(self) -> list:
        """Every saved run (nnlab.store.runs.Run), in every workspace of the server's database."""
        from sqlalchemy import select

        from nnlab.store.schema import runs
        from nnlab.store.runs import RunStore

        store = RunStore(self.database_url)
        with store.engine().connect() as connection:
            workspaces = sorted(connection.execute(select(runs.c.workspace).distinct()).scalars())
        return [run for name in workspaces for run in RunStore(self.database_url, name).list()[0]]

    def runs_seconds(self) -> list[float]:
        """Training seconds of the shared workspace's runs, oldest first."""
        from nnlab.store.runs import RunStore

        return [run.seconds for run in reversed(RunStore(self.database_url).list()[0])]

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(self.runs, ignore_errors=True)


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken
            return port
    raise RuntimeError(f"no free port in {ports}")


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (those that ended meanwhile count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


def own_browser_pids() -> list[int]:
    """The Chromium processes this benchmark started: descendants of this process (Playwright's
    driver starts the browser, the browser its renderers), never another program's browsers.
    (Chromium's idle crash handlers detach themselves to init and are left alone.)"""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces
    ours, grew = {os.getpid()}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in ours} - ours
        ours |= children
        grew = bool(children)
    return sorted(pid for pid in ours - {os.getpid()} if _is_chromium(pid))


def _is_chromium(pid: int) -> bool:
    try:
        return "chrom" in Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return False


def pin_own_browser(cpus: set[int]) -> None:
    """Every thread of our Chromium processes onto `cpus` (renderers started later inherit it)."""
    for pid in own_browser_pids():
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                os.sched_setaffinity(int(task.name), cpus)
            except OSError:
                pass  # the thread ended meanwhile


def script_runs(page, clock=time.monotonic) -> list:
    """A list that receives the time (`clock`'s) of each script or fragment run the server finishes for this page:
    the `script_finished` ForwardMsg frames on its WebSocket (Playwright delivers them while it waits)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    finished = []

    def on_socket(socket):
        def on_frame(payload):
            if isinstance(payload, (bytes, bytearray)):
                message = ForwardMsg()
                message.ParseFromString(bytes(payload))
                if message.WhichOneof("type") == "script_finished":
                    finished.append(clock())
        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return finished


def main_button(page, name):
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=name, exact=True)


def train_in_browser(page, url: str, done_text: str) -> float:
    open_page(page, url)
    return train_on_open_page(page, done_text)


def train_on_open_page(page, done_text: str) -> float:
    """Seconds from the click on Train to the results."""
    started = time.perf_counter()
    main_button(page, "Train").click()
    page.get_by_text(done_text).first.wait_for(timeout=600_000)
    return time.perf_counter() - started


def open_page(page, url: str, button: str = "Train") -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    main_button(page, button).wait_for(timeout=120_000)  # a busy machine loads pages slowly


def _run_ids(database: sqlite3.Connection) -> set[str]:
    try:
        return {row[0] for row in database.execute("SELECT id FROM nnlab_runs")}
    except sqlite3.OperationalError:
        return set()  # the tables are created with the first run


def chart_lag(page, server: Server, url: str, epochs: int) -> dict:
    """Train in the browser, sampling every 20 ms the last epoch in the database and the last one
    drawn on the chart. Per epoch: seconds from its row's first sighting to its point's."""
    open_page(page, url)
    database = sqlite3.connect(server.database_url.removeprefix("sqlite:///"), timeout=5)
    saved_at, drawn_at, drawn_values = {}, {}, set()
    earlier = _run_ids(database)
    main_button(page, "Train").click()
    started = time.perf_counter()
    deadline = started + 600
    while len(drawn_at) < epochs and time.perf_counter() < deadline:
        saved = max((database.execute("SELECT max(epoch) FROM nnlab_epochs WHERE run_id = ?", (run,)).fetchone()[0] or 0
                     for run in _run_ids(database) - earlier), default=0)
        drawn = page.evaluate(DRAWN_EPOCH_JS)
        now = time.perf_counter() - started
        for epoch in range(1, saved + 1):
            saved_at.setdefault(epoch, now)
        for epoch in range(1, drawn + 1):
            drawn_at.setdefault(epoch, now)
        drawn_values.add(drawn)
        time.sleep(0.02)
    database.close()
    lags = [drawn_at[epoch] - saved_at.get(epoch, drawn_at[epoch]) for epoch in drawn_at]
    first_drawn = drawn_at.get(1, math.inf)
    return {"lags": sorted(lags), "redraws": len(drawn_values - {0}), "drawn": len(drawn_at),
            "saved_when_first_drawn": sum(t <= first_drawn for t in saved_at.values())}


def backend_seconds(cpus: str | None = None) -> float:
    """The same run by the backend alone, in a fresh process: the sum of its epoch times."""
    code = ("import json, sys\nfrom nnlab.config.run_config import RunConfig\nfrom nnlab.training.train import train\n"
            f"r = train(RunConfig.from_dict({OVERHEAD_CONFIG!r}))\nprint(json.dumps(sum(h['seconds'] for h in r.history)))")
    pin = ["taskset", "-c", cpus] if cpus else []
    out = subprocess.run([*pin, sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        if "startup" in PARTS:
            startup(browser)
        if "overhead" in PARTS:
            overhead(browser)
        if "lag" in PARTS:
            lag(browser)
        if "sweep" in PARTS:
            sweep(browser)
        browser.close()


def startup(browser) -> None:
    print("Start-up: `streamlit run` until the home page is usable")
    for attempt in range(3):
        with Server() as server:
            page = browser.new_page()
            page.goto(server.url)
            page.get_by_text("Start from a lesson").wait_for()
            usable = time.perf_counter() - server.started
            print(f"  round {attempt + 1}: health check after {server.healthy:.2f} s, home page usable after {usable:.2f} s")
            page.close()


def overhead(browser) -> None:
    print(f"\nDashboard against backend: the same 20-epoch run ({OVERHEAD_RUN}); training seconds")
    # Two set-ups: everything on both cores (a laptop running the browser too), and the server
    # and the backend on core 0 with the browser on core 1 (a deployment: the browser is elsewhere).
    setups = (("all on both cores", None, None), ("server on core 0, browser on core 1", "0", "1"))
    peak = None
    for title, server_cpus, browser_cpus in setups[int(os.environ.get("BENCH_SETUP_FROM", "0")):]:
        app_runs, backend_runs = [], []
        for attempt in range(2):
            with Server(server_cpus) as server:
                if browser_cpus:
                    pin_own_browser({int(browser_cpus)})
                page = browser.new_page()
                open_page(page, f"{server.url}/Train?{OVERHEAD_RUN}")
                browser_pids = own_browser_pids()
                server_cpu, browser_cpu = cpu_seconds([server.process.pid]), cpu_seconds(browser_pids)
                wall = train_on_open_page(page, "Trained all 20 epochs.")
                server_cpu = cpu_seconds([server.process.pid]) - server_cpu
                browser_cpu = cpu_seconds(browser_pids) - browser_cpu
                app_runs.append(server.runs_seconds()[-1])
                if server_cpus is None and attempt == 0:
                    peak = server.peak_memory_mb()
                page.close()
            backend_runs.append(backend_seconds(server_cpus))
            print(f"  {title}, round {attempt + 1}: dashboard {app_runs[-1]:.2f} s (click to results {wall:.1f} s, "
                  f"TensorFlow's import included; CPU meanwhile: server {server_cpu:.1f} s, browser "
                  f"{browser_cpu:.1f} s), backend alone {backend_runs[-1]:.2f} s")
        ratio = statistics.mean(app_runs) / statistics.mean(backend_runs) - 1
        print(f"  {title}: overhead of the dashboard {ratio:+.1%} (goal ≤ +5%)")
    if peak is not None:
        print(f"\nPeak memory of the server during that MNIST run: {peak:.0f} MB (goal ≤ 1536 MB)")


def lag(browser) -> None:
    print("\nHow far the live chart is behind: per epoch, seconds from its row in the database to its point "
          "on the chart (sampled every 20 ms)")
    with Server() as server:
        page = browser.new_page()
        train_in_browser(page, f"{server.url}/Train?{LAG_RUNS[0][1]}&epochs=1", "Trained all 1 epochs.")  # warm up
        for title, run in LAG_RUNS:
            epochs = int(re.search(r"epochs=(\d+)", run).group(1))
            seen = chart_lag(page, server, f"{server.url}/Train?{run}", epochs)
            lags = seen["lags"]
            print(f"  {title}, {epochs} epochs: {seen['drawn']} drawn in {seen['redraws']} redraws; first point when "
                  f"{seen['saved_when_first_drawn']} epoch(s) were done; behind by median "
                  f"{statistics.median(lags):.2f} s, 90th percentile {lags[int(0.9 * (len(lags) - 1))]:.2f} s, "
                  f"max {lags[-1]:.2f} s (goal ≤ 0.5 s)")
        page.close()


def sweep(browser) -> None:
    print("\nA 3-value sweep of the course exercise (3 epochs each) against three single runs")
    course = "hidden=20,20,20&loss=mse&optimizer=sgd&batch_size=100&epochs=3"
    rates = ("0.01", "0.087", "0.5")
    with Server() as server:
        page = browser.new_page()
        page.goto(f"{server.url}/Train?{course}")  # warm up: TensorFlow imported, MNIST loaded
        train_in_browser(page, f"{server.url}/Train?{course}&learning_rate=0.087", "Trained all 3 epochs.")
        singles = sum(train_in_browser(page, f"{server.url}/Train?{course}&learning_rate={rate}", "Trained all 3 epochs.")
                      for rate in rates)
        page.goto(f"{server.url}/Sweep?{course}")
        page.get_by_label("Values, separated by commas").and_(page.get_by_test_id("stTextInputField")).fill(", ".join(rates))
        page.keyboard.press("Enter")
        time.sleep(1.0)
        started = time.perf_counter()
        main_button(page, "Sweep").click()
        page.get_by_text("Final accuracy against").wait_for(timeout=600_000)
        seconds = time.perf_counter() - started
        page.close()
    print(f"  three single runs (click to results, one after another): {singles:.1f} s")
    print(f"  one sweep of the three values: {seconds:.1f} s ({seconds / singles:.2f} of the single runs)")


if __name__ == "__main__":
    main()
