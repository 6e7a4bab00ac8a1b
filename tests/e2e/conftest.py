"""A real nnlab server and a real Chromium for the browser journeys (Playwright driving Debian's chromium)."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

# The last epoch the (first) loss chart has drawn: Vega-Lite describes each point of its SVG; while a run trains
# at full speed, the browser's own live chart (ui/live_chart.js) says which epoch it has drawn.
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


# The first chart's box once it is drawn and lies within the window (`whole`: all of it, else its top), or
# null while not: a poll redraws the live chart, and for a moment it may have no box at all.
CHART_IN_VIEW_JS = """(whole) => {
  const chart = document.querySelector('[data-nnlab-live]') || document.querySelector('[data-testid="stVegaLiteChart"]');
  const box = chart && chart.getBoundingClientRect();
  if (!box || box.height <= 0 || box.top < 0 || (whole ? box.bottom > innerHeight : box.top >= innerHeight)) return null;
  return {y: box.top, height: box.height};
}"""


def chart_in_view(page, whole: bool, timeout: float = 30) -> dict:
    """Wait (with a deadline) until the first chart is drawn within the window; its box. A timeout says
    where it was instead."""
    try:
        return page.wait_for_function(CHART_IN_VIEW_JS, arg=whole, timeout=timeout * 1000).json_value()
    except Exception as timed_out:  # noqa: BLE001 - Playwright's TimeoutError: say where the chart is
        where = page.evaluate("""() => { const c = document.querySelector('[data-testid="stVegaLiteChart"]');
            return c ? JSON.stringify(c.getBoundingClientRect()) : 'nowhere'; }""")
        raise AssertionError(f"the chart did not come into view within {timeout:.0f} s; it is at {where}") from timed_out


def _free_port() -> int:
    """Any free port, or the first free one of NNLAB_E2E_PORTS ("8640-8649") where ports are shared out."""
    first, _, last = os.environ.get("NNLAB_E2E_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    pytest.fail(f"no free port in NNLAB_E2E_PORTS={os.environ['NNLAB_E2E_PORTS']}")


_LOGS: dict = {}  # each server started (its process) → its log, kept beside a failed journey's photograph


def start_server(folder: Path, port: int | None = None, base: str = "", **env: str) -> tuple[str, subprocess.Popen]:
    """`streamlit run app.py` on `port` (a free one if None), runs kept in `folder`, served under the path
    `base` if given (server.baseUrlPath, as Community Cloud or a proxy's prefix); its base URL (with that path)
    once /_stcore/health says ok, and the process (the caller stops it)."""
    for _ in range(3 if port is None else 1):
        chosen = port or _free_port()
        log = open(folder / "streamlit.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(chosen),
             "--browser.gatherUsageStats", "false", "--logger.level", os.environ.get("NNLAB_E2E_SERVER_LOG", "info"),
             *(["--server.baseUrlPath", base] if base else [])],
            cwd=ROOT, env={**os.environ, "NNLAB_RUNS_DIR": str(folder), **env}, stdout=log, stderr=subprocess.STDOUT)
        _LOGS[process] = log.name
        url = f"http://127.0.0.1:{chosen}" + (f"/{base.strip('/')}" if base else "")
        deadline = time.time() + 60
        # Another xdist worker may have found the same port free and started its server there first: then this
        # one exits ("Port … is already in use") while that one answers the health check. Only a server that
        # has said it listens on the port (its "Local URL" line) is this one.
        while time.time() < deadline and process.poll() is None:
            try:
                if f"localhost:{chosen}" in Path(log.name).read_text(errors="replace") and \
                        urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    return url, process
            except OSError:
                pass
            time.sleep(0.2)
        stop_server(process)
        if time.time() >= deadline:
            break
    pytest.fail(f"the nnlab server did not answer on {url}; see {log.name}")


def stop_server(process: subprocess.Popen) -> None:
    _LOGS.pop(process, None)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One shared nnlab server for the journeys (runs shared, as on a laptop)."""
    url, process = start_server(tmp_path_factory.mktemp("runs"), NNLAB_RUNS="shared")
    yield url
    stop_server(process)


# A module's Chromium, not the session's: Playwright's sync API keeps an event loop running in the worker's
# main thread while it is open, and the worker goes on to other modules after the journeys (they run first,
# tests/conftest.py), where asyncio.run() then fails ("cannot be called from a running event loop").
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("NNLAB_REQUIRE_BROWSER"):
            pytest.fail("Chromium is needed for the browser journeys: apt-get install chromium")
        pytest.skip("no Chromium here (apt-get install chromium); CI runs these journeys")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


_PAGES: list = []  # the pages the running journey opened: what they show goes into its failure report

# What a page shows, for a failure report that CI prints (its artefacts are not kept): the address, whether the
# script runs, the live charts' probe (ui/live_chart.js) and the main area's words.
_PAGE_STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const live = window.__nnlabLive || {};
  const now = Date.now();
  return JSON.stringify({
    url: location.href, script: app && app.getAttribute('data-test-script-state'),
    stale: document.querySelectorAll('[data-stale="true"]').length,
    live: {calls: live.calls, fetches: live.fetches, answers: live.answers, timeouts: live.timeouts, errors: (live.errors || []).slice(-5),
           told: live.told, toldSecondsAgo: (live.toldAt || []).map((t) => Math.round((now - t) / 100) / 10)},
    alerts: [...document.querySelectorAll('[data-testid="stAlert"], [data-testid="stException"]')]
      .map((e) => e.innerText.replace(/\\s+/g, ' ').slice(0, 400)),
    expanders: [...document.querySelectorAll('[data-testid="stExpander"] details')]
      .map((d) => (d.open ? 'open: ' : 'closed: ') + (d.querySelector('summary') || d).innerText.replace(/\\s+/g, ' ').slice(0, 60)),
    sliders: [...document.querySelectorAll('[data-testid="stSlider"] input[type="range"]')]
      .map((s) => `${s.getAttribute('aria-label') || '?'}=${s.value}${s.checkVisibility() ? '' : ' (hidden)'}`),
    focused: document.activeElement && `${document.activeElement.tagName} ${document.activeElement.getAttribute('aria-label') || ''}`,
    text: (main ? main.innerText : document.body.innerText).replace(/\\s+/g, ' ').slice(-2500)});
}"""


def failure_report(servers: list | None = None) -> str:
    """The open pages' state and the last log lines of `servers` (processes; every running one if None)."""
    lines = []
    for number, page in enumerate(_PAGES):
        if page.is_closed():
            continue
        try:
            lines.append(f"page {number}: {page.evaluate(_PAGE_STATE_JS)}")
        except Exception as error:  # noqa: BLE001 - a report must not hide the failure it reports
            lines.append(f"page {number}: could not be read ({type(error).__name__})")
    for process, log in list(_LOGS.items()):
        if (servers is None or process in servers) and Path(log).exists():
            tail = Path(log).read_text(errors="replace").splitlines()[-25:]
            lines.append(f"server {process.pid} ({'running' if process.poll() is None else 'ended'}), its last lines:")
            lines.extend("    " + line for line in tail)
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.passed_call = report.passed  # read by `page`: a journey that failed is photographed as it ended
        if report.failed and any(not page.is_closed() for page in _PAGES):
            report.sections.append(("what the journey's pages showed", failure_report()))
    if report.when == "teardown":
        _PAGES.clear()
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(60_000)
    sockets = record_sockets(page)
    _PAGES.append(page)
    yield page
    if not getattr(request.node, "passed_call", False):  # what the page showed when it failed (a PNG costs CPU)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
        keep_for_failure(request.node.name, sockets)
    context.close()


def record_sockets(page) -> list[str]:
    """When the page's WebSockets opened and closed: a session Streamlit lost and made anew (its state gone)
    shows as a second socket."""
    seen = []

    def opened(socket):
        seen.append(f"{time.strftime('%H:%M:%S')} opened {socket.url}")
        socket.on("close", lambda _: seen.append(f"{time.strftime('%H:%M:%S')} closed {socket.url}"))

    page.on("websocket", opened)
    return seen


def keep_for_failure(name: str, sockets: list[str]) -> None:
    """Beside the failed journey's photograph: its page's sockets and the logs of the servers running now."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}-sockets.txt").write_text("\n".join(sockets) + "\n")
    for number, (process, log) in enumerate(_LOGS.items()):
        if process.poll() is None and Path(log).exists():
            shutil.copyfile(log, ARTIFACTS / f"{name}-server{number}.log")


class Browsers:
    """Browsers of their own (Playwright contexts, 1400 × 1000) on a journey's server, and their pages, each
    recording its WebSockets (for `journey_server`'s report on a failure)."""

    def __init__(self, browser, url: str):
        self.browser, self.url = browser, url
        self.contexts, self.sockets = [], []

    def context(self):
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.contexts.append(context)
        return context

    def page(self, context=None):
        """A new page in `context` (a new browser of its own if None)."""
        page = (context or self.context()).new_page()
        page.set_default_timeout(60_000)
        self.sockets.append(record_sockets(page))
        _PAGES.append(page)
        return page

    def socket_lines(self) -> list[str]:
        return [line for number, seen in enumerate(self.sockets) for line in [f"page {number}:", *seen]]


@contextmanager
def journey_server(browser, folder: Path, name: str, **env: str):
    """A server of the journey's own (`env`: its settings, e.g. NNLAB_RUNS="private") and `Browsers` on it; on a
    failure the pages' sockets and the server's log are kept under `name`; at the end every browser is closed
    and the server stopped."""
    url, process = start_server(folder, **env)
    browsers = Browsers(browser, url)
    try:
        yield browsers
    except BaseException:
        keep_for_failure(name, browsers.socket_lines())
        # its pages close before the failure is reported: what they showed goes to the captured output
        print(f"what the journey's pages showed:\n{failure_report([process])}\n" + "\n".join(browsers.socket_lines()))
        raise
    finally:
        for context in browsers.contexts:
            context.close()
        stop_server(process)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_selector('[data-testid="stMainBlockContainer"]')


# True once the page has stopped moving for `still` animation frames in a row, polled every frame: the
# script has finished, no element of an earlier run is left, the fonts are loaded, every visible chart is
# drawn, and no element of the main area has moved or changed size. The state lives in the page.
STILL_FRAMES = 12
PAGE_STILL = """(still) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const ready = app && main && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')
    && document.fonts.status === 'loaded'
    && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
         .every(chart => !chart.getClientRects().length || chart.querySelector('.marks'));  // tabs not shown: not drawn
  const shape = ready ? main.scrollHeight + ' ' + [...main.querySelectorAll('[data-testid="stElementContainer"]')]
    .map(e => { const b = e.getBoundingClientRect(); return `${Math.round(b.top)},${Math.round(b.height)},${Math.round(b.width)}`; })
    .join(' ') : null;
  const seen = window.__nnlabStill || (window.__nnlabStill = {shape: null, same: 0});
  seen.same = shape !== null && shape === seen.shape ? seen.same + 1 : 0;
  seen.shape = shape;
  return seen.same >= still;
}"""


def page_still(page, timeout: float = 120) -> None:
    """Wait until the page is drawn and has stopped moving (PAGE_STILL), before a click. Vega draws the charts
    after the script has ended, and draws a chart again, taller, once its legend is laid out: on Compare the
    controls below the curves moved ≈500 px in the second after the run. A click in that second opened a
    select box whose mouse-up then fell outside it, and the box closed again (issue 21's flaky journey).
    Call it once the page shows the outcome of the last action: before that, the old page may be still."""
    page.evaluate("delete window.__nnlabStill")
    page.wait_for_function(PAGE_STILL, arg=STILL_FRAMES, polling="raf", timeout=timeout * 1000)


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
