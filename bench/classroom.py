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
"""
from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import sync_playwright

# bench/app.py, run from bench/ like this script: its Server and browser settings
from app import Server, launch_browser, main_button

END_TEXT = "Trained all 10 epochs."
ROUND_TIMEOUT = 1800  # seconds for a whole round; 8 course runs on 2 cores take a few minutes


def open_course(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    main_button(page, "Train").wait_for(timeout=180_000)


def press_all_and_wait(pages) -> list[float]:
    """Click every Train button in turn (a fraction of a second apart), then watch every page
    until its run ends; each visitor's seconds from their click to their end text."""
    clicked = []
    for page in pages:
        main_button(page, "Train").click()
        clicked.append(time.perf_counter())
    waits: dict[int, float] = {}
    deadline = time.monotonic() + ROUND_TIMEOUT
    while len(waits) < len(pages):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pages) - len(waits)} of {len(pages)} visitors still waiting after {ROUND_TIMEOUT} s")
        for number, page in enumerate(pages):
            if number not in waits and page.get_by_text(END_TEXT).count():
                waits[number] = time.perf_counter() - clicked[number]
        time.sleep(0.25)
    return [waits[number] for number in range(len(pages))]


def report(title: str, waits: list[float], server: Server, expected_runs: int) -> float:
    runs = server.saved_runs()
    complete = sum(run.epochs_run == 10 for run in runs)
    training = statistics.median(run.seconds for run in runs) if runs else float("nan")
    rss = server.memory_mb()
    print(f"{title}: wait per visitor median {statistics.median(waits):.1f} s, max {max(waits):.1f} s "
          f"(training time of a run, median {training:.1f} s); "
          f"runs saved {len(runs)}/{expected_runs}, {complete} with all 10 epochs; "
          f"server RSS {rss:.0f} MB, peak so far {server.peak_memory_mb():.0f} MB", flush=True)
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, help="the server's port (default: a free one)")
    args = parser.parse_args()
    with sync_playwright() as playwright, Server(port=args.port, runs_mode="private") as server:
        browser = launch_browser(playwright)
        try:
            contexts = [browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(args.visitors)]
            pages = [context.new_page() for context in contexts]
            for page in pages:
                page.set_default_timeout(60_000)
                open_course(page, f"{server.url}/Train?preset=course")
            print(f"{args.visitors} visitors on {server.url}, each in a private workspace; server RSS before "
                  f"training {server.memory_mb():.0f} MB", flush=True)
            after = [report("round 1", press_all_and_wait(pages), server, args.visitors)]
            for number in range(2, args.rounds + 1):
                for page in pages:  # the same link again: the visitor's workspace and settings, no result shown yet
                    open_course(page, page.url)
                after.append(report(f"round {number}", press_all_and_wait(pages), server, number * args.visitors))
            for context in contexts:
                context.close()
        finally:
            browser.close()
    for number, rss in enumerate(after[1:], start=2):
        print(f"memory after round {number} against after round 1: {rss / after[0] - 1:+.1%} (goal within ±5 %)")


if __name__ == "__main__":
    main()
