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
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

# bench/app.py, run from bench/ like this script: its Server and browser settings
from app import ARGS, CHROMIUM, Server

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
    await train_button(page).click()
    clicked = time.perf_counter()
    try:
        await page.get_by_text(END_TEXT).first.wait_for(timeout=ROUND_TIMEOUT_MS)
    except Exception:
        await page.screenshot(path=str(shots / f"{name}.png"))
        raise
    return time.perf_counter() - clicked


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
    args = parser.parse_args()
    shots = Path(tempfile.mkdtemp(prefix="nnlab-classroom-"))
    with Server(port=args.port, runs_mode="private") as server:
        after = asyncio.run(classroom(args, server, shots))
    if not any(shots.iterdir()):
        shots.rmdir()  # no page got stuck
    for number, rss in enumerate(after[1:], start=2):
        print(f"memory after round {number} against after round 1: {rss / after[0] - 1:+.1%} (goal within ±5 %)")


if __name__ == "__main__":
    main()
