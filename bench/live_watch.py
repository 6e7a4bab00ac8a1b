"""What watching a training run costs (issue 24): the live chart that fetches its epochs itself, against
today's polling fragment, side by side in one run, alternated (C, F, C, F): Train's run, or (`race`) a
race of two runs on the Race page.

The same MNIST run (race) is started on a fresh page for each window; the fragment's windows make the live
route unreachable for that page (Playwright answers /api/live with HTML, as a proxy that does not pass the
route on would), so the page falls back to polling, as it does in production. Per window of WINDOW seconds,
after the first epoch is drawn and SETTLE seconds more:
- browser CPU: every Chromium process this benchmark started (/proc), in CPU-seconds per minute;
- server CPU: the `streamlit run` process (the training thread included), CPU-seconds per minute;
- epochs trained per minute (the training's speed with that page watching);
- script and fragment runs (ForwardMsg `script_finished` frames on the page's WebSocket).

    python bench/live_watch.py       # ≈2 minutes; needs Chromium. BENCH_PORTS="8620-8629" to choose ports
    python bench/live_watch.py race  # the same for a race of two runs (Adam against SGD)
    python bench/live_watch.py paused  # a run left paused in step mode before its first batch: nothing trains
    python bench/live_watch.py inside  # Train's run with "Inside the network" open (its first layer's weights)
"""
from __future__ import annotations

import importlib.util
import sqlite3
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

_spec = importlib.util.spec_from_file_location("bench_app", Path(__file__).with_name("app.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# Full MNIST with dropout: no live verdict (overfitting) within the windows, which would hand the page to polling.
RUN = "/Train?dataset=mnist&train_size=20000&hidden=32&dropout=0.5&batch_size=32&epochs=100"
# A race trains its runs in turn, epoch by epoch: half the training set each keeps an epoch's pace near the run's.
RACE = "/Race?a_dataset=mnist&a_train_size=10000&a_hidden=32&a_dropout=0.5&a_batch_size=32&a_epochs=100&b_optimizer=sgd"
PAGES = {"train": (RUN, "Train"), "race": (RACE, "Race"), "paused": (RUN, "Train"),  # its link, the button that starts it
         "inside": (RUN, "Train")}
# "paused": the run started in step mode and left paused before its first batch (a student reading the page).
WINDOW, SETTLE = 20.0, 3.0
MODES = ("component", "fragment", "component", "fragment")


def _epochs(database: str) -> int:
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM nnlab_epochs").fetchone()[0] or 0
    except sqlite3.OperationalError:
        return 0


def watch(browser, server, mode: str, watched: str = "train") -> dict:
    link, start = PAGES[watched]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(180_000)
    runs = bench.script_runs(page)
    if mode == "fragment":  # as behind a proxy that does not pass /api/live on: the page falls back to polling
        page.route("**/api/live?*", lambda route: route.fulfill(status=200, content_type="text/html", body="<html></html>"))
    bench.open_page(page, server.url + link, start)
    if watched == "paused":
        page.get_by_test_id("stMainBlockContainer").get_by_text("Start paused (step mode)").click()
    bench.main_button(page, start).click()
    if mode == "fragment":
        page.get_by_text("Live curves could not reach").wait_for()
    if watched == "paused":
        page.get_by_text("Paused before the first batch").first.wait_for()
    else:
        page.wait_for_function(f"() => ({bench.DRAWN_EPOCH_JS})() >= 1")
    if watched == "inside":  # the panel opened: its weights tab, fetched (component) or polled (fragment)
        page.get_by_test_id("stMainBlockContainer").get_by_text("Inside the network", exact=True).click()
        page.get_by_text("32 of 32 neurons of hidden_1").first.wait_for()
    page.wait_for_timeout(SETTLE * 1000)
    database = str(server.runs / "nnlab.sqlite")
    browsers = bench.own_browser_pids()
    before = (time.monotonic(), bench.cpu_seconds(browsers), bench.cpu_seconds([server.process.pid]), _epochs(database))
    page.wait_for_timeout(WINDOW * 1000)  # frames are delivered while Playwright waits
    after = (time.monotonic(), bench.cpu_seconds(browsers), bench.cpu_seconds([server.process.pid]), _epochs(database))
    minutes = (after[0] - before[0]) / 60
    result = {"mode": mode, "browser": (after[1] - before[1]) / minutes, "server": (after[2] - before[2]) / minutes,
              "epochs": (after[3] - before[3]) / minutes, "runs": sum(before[0] <= t <= after[0] for t in runs),
              "live chart": page.evaluate("() => !!document.querySelector('[data-nnlab-live]')"),
              "told": page.evaluate("() => (window.__nnlabLive || {told: []}).told")}
    bench.main_button(page, "Stop").click()
    bench.main_button(page, start).wait_for()
    page.wait_for_function(f"""() => [...document.querySelectorAll('[data-testid="stMainBlockContainer"] button')]
        .some(b => b.innerText.trim().endsWith('{start}') && !b.disabled)""")
    context.close()
    return result


def main(watched: str = "train") -> None:
    with bench.Server() as server, sync_playwright() as playwright:
        browser = bench.launch_browser(playwright)
        results = []
        for mode in MODES:
            results.append(watch(browser, server, mode, watched))
            print(f"{mode:9} browser {results[-1]['browser']:6.2f} CPU-s/min · server {results[-1]['server']:6.2f} "
                  f"CPU-s/min · {results[-1]['epochs']:5.1f} epochs/min · {results[-1]['runs']} script runs · live chart still "
                  f"mounted: {results[-1]['live chart']} (it told the page: {results[-1]['told']})", flush=True)
        browser.close()
    print(f"\nper minute of watching ({WINDOW:.0f} s windows, alternated; the server's CPU includes the training):")
    for what in ("browser", "server", "epochs", "runs"):
        component = [r[what] for r in results if r["mode"] == "component"]
        fragment = [r[what] for r in results if r["mode"] == "fragment"]
        ratio = (sum(fragment) / sum(component)) if sum(component) else float("inf")
        print(f"  {what:8} component {', '.join(f'{v:.2f}' for v in component):16} fragment "
              f"{', '.join(f'{v:.2f}' for v in fragment):16} fragment/component {ratio:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
