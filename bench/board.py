"""A class's board with 30 real runs: the script trains them (tiny 2-D sets, a few epochs each, twelve students
of one class, a spread of networks and learning rates), measures what an open board costs the server, and
photographs the board at 1400 px and on a 1280×720 projector (into --folder). Printed, not asserted.

    python bench/board.py [--folder /tmp/h26-board] [--runs 30] [--screenshots] [--watch-cost]

The cost: the board page's fragment reads the board every ui/board.REFRESH_SECONDS (5 s) per open board:
`board.board` (the class, its students, each student's runs) is timed against one `RunStore.list` of one
workspace, side by side in this process, and the charts' spec sizes are printed; `--watch-cost` measures an
open board's CPU, the server's and the browser's, against an open Home page over a minute each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

STUDENTS = ["Ann", "Bob", "Chloé", "Dev", "Emil", "Fatima", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lena"]
NETWORKS = [(2,), (3,), (4,), (8,), (16,), (32,), (4, 4), (8, 8), (16, 16), (32, 32)]
RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def configs(count: int):
    from nnlab.config.run_config import RunConfig

    for index in range(count):
        dataset = "spiral" if index % 5 == 4 else "moons"  # a second data set: the board's data-set switch
        yield RunConfig(dataset=dataset, samples=300, noise=0.1, hidden=NETWORKS[(index * 3) % len(NETWORKS)],
                        learning_rate=RATES[(index * 2) % len(RATES)], optimizer="sgd" if index % 3 == 0 else "adam",
                        batch_size=16, epochs=4 + (index % 4) * 4, seed=index)


def train(url: str, class_id: str, count: int) -> None:
    from nnlab.data.datasets import load_dataset
    from nnlab.serving.jobs import TrainingJob
    from nnlab.store import classes
    from nnlab.store.runs import RunStore

    for index, student in enumerate(STUDENTS):
        classes.join(url, class_id, f"student-{index:02d}", student, visitor=f"bench-{index}")
    started = time.perf_counter()
    for index, config in enumerate(configs(count)):
        store = RunStore(url, f"student-{index % len(STUDENTS):02d}")
        job = TrainingJob(config, load_dataset, store=store, abandon_seconds=600)
        job.run()
        print(f"  run {index + 1:2d}/{count}: {config.dataset} {config.hidden} lr {config.learning_rate:g} "
              f"{config.optimizer}: {job.status}", flush=True)
    print(f"trained {count} runs in {time.perf_counter() - started:.1f} s")


def timed(action, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        begun = time.perf_counter()
        action()
        times.append(time.perf_counter() - begun)
    return statistics.median(times)


def measure(url: str, class_id: str) -> None:
    from nnlab.charts import board as charts
    from nnlab.store import board
    from nnlab.store.runs import RunStore

    found = board.board(url, class_id)
    one = timed(lambda: RunStore(url, "student-00").list())
    whole = timed(lambda: board.board(url, class_id))
    watch = timed(lambda: board.board(url, class_id, tables=False))
    print(f"board: {len(found.runs)} runs of {found.students} students; verdicts {board.verdict_counts(found.runs)}")
    print(f"one student's RunStore.list: {one * 1000:.1f} ms; the page's board.board (tables): {whole * 1000:.1f} ms "
          f"({whole / one:.1f}× one list); the fragment's read every 5 s (no tables): {watch * 1000:.1f} ms "
          f"({watch / one:.1f}× one list, {watch / whole:.2f}× the page's)")
    watchers = 30  # a class watching its board: each asks within the same few seconds
    alone = timed(lambda: [board.board(url, class_id, tables=False) for _ in range(watchers)], repeat=3)
    shared = timed(lambda: board._WATCHED.clear() or [board.watched(url, class_id) for _ in range(watchers)], repeat=3)
    print(f"{watchers} boards watching at once: {alone * 1000:.0f} ms with a read each, {shared * 1000:.0f} ms sharing "
          f"board.watched ({alone / shared:.0f}× less)")
    moons = found.runs[found.runs["dataset"] == found.runs["dataset"].mode()[0]]
    for name, chart in (("params", charts.params_chart(moons, board.front(moons))),
                        ("sweep", charts.sweep_chart(moons, "learning_rate", log_x=True)),
                        ("verdicts", charts.verdicts_chart(board.verdict_counts(moons)))):
        print(f"  {name} chart spec: {len(chart.to_json()) / 1000:.1f} kB")


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watching_cost(folder: Path, class_id: str, seconds: float = 60) -> None:
    """What an open board costs while nothing changes, against an open Home page, side by side: the server's
    CPU (from /proc) and the browser's (Chromium's TaskDuration) over `seconds` each."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS, open_app, page_still, start_server, stop_server

    url, process = start_server(folder, NNLAB_RUNS="private")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            costs = {}
            for name, address, ready in (("home page", url, "Start from a lesson"),
                                         ("class board", f"{url}/Board?class={class_id}", "Parameters against accuracy")):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                session = page.context.new_cdp_session(page)
                session.send("Performance.enable")
                open_app(page, address)
                page.get_by_text(ready).first.wait_for(timeout=120_000)
                page_still(page)

                def browser_seconds():
                    metrics = session.send("Performance.getMetrics")["metrics"]
                    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

                server, tab = _cpu_seconds(process.pid), browser_seconds()
                time.sleep(seconds)
                costs[name] = (_cpu_seconds(process.pid) - server, browser_seconds() - tab)
                page.close()
            browser.close()
        for name, (server, tab) in costs.items():
            print(f"{name} open {seconds:.0f} s: server {server:.2f} CPU s ({server / seconds * 100:.1f} % of a core), "
                  f"browser {tab:.2f} s of tasks ({tab / seconds * 100:.1f} %)")
    finally:
        stop_server(process)


def photograph(folder: Path, class_id: str) -> None:
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS, open_app, page_still, start_server, stop_server

    url, process = start_server(folder, NNLAB_RUNS="private")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for name, size in (("1400", (1400, 1000)), ("1280x720", (1280, 720))):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                open_app(page, f"{url}/Board?class={class_id}")
                page.get_by_text("Parameters against accuracy").wait_for(timeout=120_000)
                page_still(page)
                for part, heading in (("top", None), ("sweep", "The class's combined sweep"),
                                      ("runs", "Every run on the board")):
                    if heading:  # the page scrolls inside Streamlit's main block: a full-page shot is one screen
                        page.get_by_role("heading", name=heading).scroll_into_view_if_needed()
                        page_still(page)
                    path = folder / f"board-{name}-{part}.png"
                    page.screenshot(path=str(path))
                    print(f"photographed {path}")
                page.close()
            browser.close()
    finally:
        stop_server(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("/tmp/h26-board"))
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--screenshots", action="store_true")
    parser.add_argument("--watch-cost", action="store_true", help="an open board's CPU against an open Home page")
    options = parser.parse_args()
    options.folder.mkdir(parents=True, exist_ok=True)
    os.environ["NNLAB_RUNS_DIR"] = str(options.folder)
    from nnlab.store import classes
    from nnlab.store.database import SQLITE_FILE

    url = f"sqlite:///{options.folder / SQLITE_FILE}"
    school_class, _ = classes.create(url, "bench-teacher", "Moons: fewest parameters for 95 %")
    print(f"class {school_class.id}: {url}")
    train(url, school_class.id, options.runs)
    measure(url, school_class.id)
    if options.screenshots:
        photograph(options.folder, school_class.id)
    if options.watch_cost:
        watching_cost(options.folder, school_class.id)


if __name__ == "__main__":
    main()
