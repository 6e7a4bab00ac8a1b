"""Soak: many runs pressed one after another in a real browser on one nnlab server; its memory after each.

One `streamlit run app.py` (runs kept in a temporary folder), one headless Chromium. Each round opens
the course exercise (/Train?preset=course), presses Train and waits for "Trained all 10 epochs.";
then reads the server's resident memory (RSS). Prints RSS after each run and the growth per run after
a warm-up of two runs (TensorFlow's one-time caches). A server that keeps a little of every run
would run out of its ≈2.7 GB on Community Cloud after a day of classes.

    python bench/soak.py                      # 30 runs (≈10 minutes on 2 cores); needs Chromium
    python bench/soak.py --runs 8 --port 8611
Goal: growth ≤ 20 MB per run after warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

# bench/app.py, run from bench/ like this script: its Server and browser settings
from app import Server, launch_browser, main_button

WARM_UP = 2
RUN_TIMEOUT_MS = 300_000  # one course run takes seconds; minutes mean something is wrong


def train_once(page, url: str) -> float:
    """Open the course exercise, press Train, wait for the end; seconds from click to end."""
    page.goto(f"{url}/Train?preset=course")
    page.wait_for_selector('[data-testid="stApp"]')
    button = main_button(page, "Train")
    button.wait_for(timeout=120_000)
    started = time.perf_counter()
    button.click()
    page.get_by_text("Trained all 10 epochs.").first.wait_for(timeout=RUN_TIMEOUT_MS)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    args = parser.parse_args()
    with sync_playwright() as playwright, Server(port=args.port) as server:
        browser = launch_browser(playwright)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1100})
            page = context.new_page()
            page.set_default_timeout(60_000)
            print(f"server on {server.url}; RSS after start {server.memory_mb():.0f} MB")
            rss, seconds = [], []
            for number in range(1, args.runs + 1):
                seconds.append(train_once(page, server.url))
                rss.append(server.memory_mb())
                print(f"  run {number:3d}: {seconds[-1]:5.1f} s click to end, server RSS {rss[-1]:.0f} MB", flush=True)
            context.close()
        finally:
            browser.close()
        saved = server.saved_runs()
        peak = server.peak_memory_mb()
    print(f"\n{args.runs} runs, {len(saved)} saved, {sum(run.epochs_run == 10 for run in saved)} of them with all 10 epochs; "
          f"training time of a run (median) {statistics.median(run.seconds for run in saved):.1f} s")
    print(f"server RSS after each run (MB): {', '.join(f'{v:.0f}' for v in rss)}; peak {peak:.0f} MB")
    if args.runs > WARM_UP + 1:
        growth = (rss[-1] - rss[WARM_UP - 1]) / (args.runs - WARM_UP)
        print(f"growth per run after {WARM_UP} warm-up runs: {growth:.1f} MB (goal ≤ 20 MB); "
              f"median click-to-end {statistics.median(seconds):.1f} s")


if __name__ == "__main__":
    main()
