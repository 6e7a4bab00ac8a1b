"""What many watchers of a training run cost the server (issue 24): 0, 1, 5, 10 and 20 browser tabs watching
one MNIST run's live curves, up and down again, in windows of WINDOW seconds, side by side in one run.

The server is pinned to core 0 and every Chromium process of this benchmark to core 1 (taskset), so that what
the watchers cost the training is the server's own work for them (answering the live chart's fetches), not
the browsers' drawing: on one laptop the browsers would share the cores too (see bench/app.py for that
set-up with one watcher). The tabs are one visitor's (one browser context): each Train page shows the run in
progress with its live chart. NNLAB_ABANDON_SECONDS is raised so that the run trains on while no tab watches.

Per window: epochs trained per minute (from the database), the server's CPU-seconds per minute (the training
included), script and fragment runs of the watching tabs (0 expected: the curves are fetched, not rerun).
Printed: the slowdown of the training against no watcher, and the server's CPU for the watchers in % of a core
(its Python threads' CPU beyond what the training's own Python takes per epoch with no watcher), per watcher.

    python bench/live_watchers.py                 # ≈6 minutes; needs Chromium and 2 cores
    WATCHERS=0,1,2,4 python bench/live_watchers.py  # other counts; BENCH_PORTS="8620-8629" to choose ports
"""
from __future__ import annotations

import importlib.util
import os
import sqlite3
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

_spec = importlib.util.spec_from_file_location("bench_app", Path(__file__).with_name("app.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# MNIST learnt slowly (SGD at 0.001, batches of 8), 1,000 epochs of ≈0.5–2 s: still improving all along, so no
# live verdict asks the tabs for a rerun (its "Stop and keep epoch N" button), and training for the whole
# benchmark (batches of 32 ended all 1,000 epochs within 2½ minutes on an AMD EPYC). Over the compute budget of a
# run (NNLAB_MAX_COMPUTE, lifted for this server).
RUN = "/Train?dataset=mnist&train_size=30000&hidden=32&optimizer=sgd&learning_rate=0.001&batch_size=8&epochs=1000"
COUNTS = [int(n) for n in os.environ.get("WATCHERS", "0,1,5,10,20").split(",")]
WINDOW, SETTLE = 20.0, 4.0
SERVER_CORE, BROWSER_CORE = "0", 1


def _epochs(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM nnlab_epochs").fetchone()[0] or 0
    except sqlite3.OperationalError:
        return 0


def _threads_cpu(pid: int) -> dict[str, float]:
    """CPU-seconds so far of each thread name of the process (threads of one name added up)."""
    seconds: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _watch(context, url: str):
    """A new tab on Train, showing the run in progress with its live chart; the tab and its script runs."""
    page = context.new_page()
    page.set_default_timeout(180_000)
    runs = bench.script_runs(page)
    page.goto(url + "/Train")
    page.wait_for_selector("[data-nnlab-live]")
    page.wait_for_function(f"() => ({bench.DRAWN_EPOCH_JS})() >= 1")
    bench.pin_own_browser({BROWSER_CORE})  # its renderer is new
    return page, runs


def _window(server, tabs: list) -> dict:
    time.sleep(SETTLE)  # the tabs opened or closed meanwhile have settled
    database = server.runs / "nnlab.sqlite"
    threads = _threads_cpu(server.process.pid)
    before = (time.monotonic(), bench.cpu_seconds([server.process.pid]), _epochs(database),
              sum(len(runs) for _, runs in tabs))
    if tabs:
        tabs[0][0].wait_for_timeout(WINDOW * 1000)  # Playwright delivers the frames while it waits
    else:
        time.sleep(WINDOW)
    after = (time.monotonic(), bench.cpu_seconds([server.process.pid]), _epochs(database),
             sum(len(runs) for _, runs in tabs))
    minutes = (after[0] - before[0]) / 60
    threads = {name: (seconds - threads.get(name, 0.0)) / minutes
               for name, seconds in _threads_cpu(server.process.pid).items()}
    return {"watchers": len(tabs), "epochs": (after[2] - before[2]) / minutes,
            "server": (after[1] - before[1]) / minutes, "runs": after[3] - before[3],
            "threads": {name: value for name, value in sorted(threads.items(), key=lambda kv: -kv[1]) if value >= 0.05}}


def main() -> None:
    levels = COUNTS + COUNTS[-2::-1]  # up, then down again: a drift of the machine shows as a difference
    results = []
    with bench.Server(cpus=SERVER_CORE, env={"NNLAB_ABANDON_SECONDS": "3600", "NNLAB_MAX_COMPUTE": "0"}) as server, \
            sync_playwright() as playwright:
        browser = bench.launch_browser(playwright)
        bench.pin_own_browser({BROWSER_CORE})
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        starter = context.new_page()
        starter.set_default_timeout(180_000)
        bench.open_page(starter, server.url + RUN, "Train")
        bench.main_button(starter, "Train").click()
        starter.wait_for_function(f"() => ({bench.DRAWN_EPOCH_JS})() >= 1")
        starter.close()
        tabs = []
        for count in levels:
            while len(tabs) < count:
                tabs.append(_watch(context, server.url))
            while len(tabs) > count:
                tabs.pop()[0].close()
            results.append(_window(server, tabs))
            r = results[-1]
            print(f"{r['watchers']:3} watching: {r['epochs']:6.1f} epochs/min · server {r['server']:5.2f} CPU-s/min · "
                  f"{r['runs']} script runs of the tabs", flush=True)
            if r["runs"]:
                print("     the tabs ran their scripts: the run has ended (or a live verdict came); what follows is void")
            print("     threads, CPU-s/min: " + ", ".join(f"{name} {value:.2f}" for name, value in r["threads"].items()))
        context.close()
        browser.close()
    def mean(count: int, what) -> float:
        return statistics.mean(what(r) for r in results if r["watchers"] == count)

    alone = mean(0, lambda r: r["epochs"])
    # The serving's CPU: the Python threads' (the training's Python among them, in proportion to its epochs, as
    # measured with no watcher), not TensorFlow's compute threads (tf_Compute: the training's arithmetic).
    python_per_epoch = mean(0, lambda r: r["threads"].get("python", 0.0) / max(r["epochs"], 1e-9))
    print(f"\n{WINDOW:.0f} s windows, each count measured going up and coming down; the server on core "
          f"{SERVER_CORE}, the browsers on core {BROWSER_CORE}:")
    print("watchers | epochs/min (each window) | training speed × no watcher | serving, % of a core | per watcher "
          "| script runs")
    for count in COUNTS:
        windows = [r for r in results if r["watchers"] == count]
        serving = mean(count, lambda r: r["threads"].get("python", 0.0) - python_per_epoch * r["epochs"]) / 60 * 100
        each = ", ".join(f"{r['epochs']:.1f}" for r in windows)
        per = f"{serving / count:10.2f} %" if count else " " * 12
        print(f"{count:8} | {each:>24} | {mean(count, lambda r: r['epochs']) / alone:27.3f} | {serving:20.2f} | {per} "
              f"| {sum(r['runs'] for r in windows)}")

if __name__ == "__main__":
    main()
