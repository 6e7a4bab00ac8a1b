"""The live route: `GET <base>/api/live?t=TOKEN&after=N&v=V` answers the epochs of one run since the
cursor N, and where the run stands, as JSON (serving/live_answer.py); the learning-rate finder's or a search's
progress for their tokens; with `view=inside-<tab>`, a run's inside panel (ui/live_inside.py). The browser's live chart
(ui/live_chart.js) fetches it in a loop instead of the page rerunning: a long poll, held until the run
has news (its bulletin wakes it, serving/bulletin.py) or HOLD_SECONDS have passed.

A race's or sweep's chart asks for all its runs in one request (a browser holds ≈6 connections per host,
a sweep has up to 12 runs): its token names them all, `after=N1,N2,…` holds one cursor per run in the
token's order, `v` is the sum of their bulletins' versions, and any run's news wakes the poll; the answer
is live_answer.group_answer (one entry per run). A token naming one run gets Train's answer.

Safe on a public deployment:
- the token (serving/live_token.py) names its runs, their owner and workspace, and expires; every run
  must still be this owner's in that workspace (one that is not refuses the whole request), and a
  browser sending a visitor cookie must be that owner. Every refusal gets the same 403 text, so no
  answer tells which runs exist;
- GET only and read only: Streamlit's XSRF check covers its WebSocket and uploads, and a token in the
  URL needs none (another site cannot read the answer: no CORS header);
- bounded: the query string, the runs per token (live_token.MAX_RUNS), the rows per answer
  (live_answer.MAX_ROWS, all runs together), one answer per token's runs at most every MIN_GAP_SECONDS (a
  request sooner is held, not refused, and carries every row come meanwhile), MAX_IN_FLIGHT requests per
  token's runs (then 429) and MAX_HELD in all (then 503);
- strict JSON, no paths, no tracebacks (an error is logged, the browser gets a plain sentence).

Streamlit places user routes outside `server.baseUrlPath`, so the route is registered both at
`/api/live` and under that path (a proxy that strips a prefix reaches the first)."""
from __future__ import annotations

import asyncio
import logging
import secrets
import time

from starlette.responses import JSONResponse
from starlette.routing import Route

from nnlab.serving.slot_work import live_work
from nnlab.serving.live_answer import answer_for, told_length, watchable
from nnlab.serving.live_token import MAX_RUNS, LiveTokens
from nnlab.store import visitors
from nnlab.ui import live_inside, visitor as browser

log = logging.getLogger(__name__)

PATH = "api/live"
TOKENS = LiveTokens(secrets.token_bytes(32))  # per process: the runs it names live in this process only
HOLD_SECONDS = 15.0  # the longest a request waits for news (a paused or queued run publishes when it changes)
MAX_QUERY_BYTES = 1200  # a token is ≈150 characters for one run, ≈300 for a sweep of 12, and 12 cursors ≤ 108
MAX_CURSOR = 10**7
MIN_GAP_SECONDS = 0.25  # the page's redraw gap before (ui/live.DRAW_GAP_SECONDS): ≤ 4 answers a second per view
MAX_IN_FLIGHT = 4  # per run or group of runs: a few tabs of one visitor
MAX_HELD = 200  # per server
REFUSED = "This live view has expired or is not yours: reload the page."
INSIDE_VIEWS = tuple(f"inside-{tab}" for tab in live_inside.TABS)  # `view=`: a run's inside panel, one tab

# A view (the serials a token names, and the panel: "" or a run's inside panel) → when it was last answered (monotonic)
_last_answer: dict[tuple, float] = {}
_in_flight: dict[tuple, int] = {}
_held = 0


def routes() -> list[Route]:
    """The live route at /api/live, and under server.baseUrlPath when one is set."""
    from streamlit import config

    paths = [f"/{PATH}"]
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    if base:
        paths.append(f"/{base}/{PATH}")
    return [Route(path, live, methods=["GET"]) for path in paths]


def token_for(*jobs) -> str:
    """A token that lets this browser read the live view of `jobs` (one run, learning-rate finder or search, or
    a race's or sweep's runs, one owner's in one workspace) for a while (renewed by each answer)."""
    return TOKENS.make([job.serial for job in jobs], jobs[0].owner, jobs[0].workspace)


async def live(request) -> JSONResponse:
    global _held
    try:
        if len(request.url.query.encode()) > MAX_QUERY_BYTES:
            return _refused()
        claim = TOKENS.read(request.query_params.get("t"))
        afters = _cursors(request.query_params.get("after", "0"))
        seen = _whole(request.query_params.get("v", "0"))
        panel = request.query_params.get("view", "")  # "" or a run's inside panel: "inside-<tab>"
        jobs = [live_work(serial) for serial in claim.serials] if claim is not None else []
        if claim is None or afters is None or len(afters) != len(jobs) or seen is None or not _same_visitor(request, claim) \
                or any(job is None or job.owner != claim.owner or job.workspace != claim.workspace for job in jobs) \
                or not watchable(jobs) or (panel and (panel not in INSIDE_VIEWS or jobs[0].live_view != "run" or len(jobs) > 1)):
            return _refused()
        view = (claim.serials, panel)
        length = live_inside.stamp if panel else told_length
        if _in_flight.get(view, 0) >= MAX_IN_FLIGHT:
            return _answer({"error": "Too many live views of this run at once."}, 429, retry=1)
        if _held >= MAX_HELD:
            return _answer({"error": "The server is busy; the live view tries again."}, 503, retry=2)
        _touch(jobs)  # someone watches them: not abandoned (again when answered)
        _in_flight[view] = _in_flight.get(view, 0) + 1
        _held += 1
        try:
            await _hold(view, jobs, afters, seen, length)
        finally:
            _held -= 1
            _in_flight[view] -= 1
            if not _in_flight[view]:
                del _in_flight[view]
        _last_answer[view] = time.monotonic()
        _forget_old()
        _touch(jobs)
        version = _version(jobs)
        # An inside view encodes images (a new snapshot's): in a worker thread, so no page's WebSocket waits on it.
        answer = await asyncio.to_thread(live_inside.inside_answer, jobs[0], afters[0], panel.removeprefix("inside-")) \
            if panel else answer_for(jobs, afters, seen)
        return _answer({**answer, "v": version, "t": token_for(*jobs)})
    except Exception:  # noqa: BLE001 - the browser gets a sentence; the log gets the traceback
        log.exception("the live route failed")
        return _answer({"error": "The live view failed; the page shows the run when it ends."}, 500)


async def _hold(view: tuple, jobs: list, afters: list[int], seen: int, length=told_length) -> None:
    """Wait until MIN_GAP_SECONDS after this view's last answer, then until one of its works has news for a
    reader who has seen `afters` of their `length` (epochs; an inside panel's stamp) and bulletin versions
    adding up to `seen` (or HOLD_SECONDS have passed)."""
    gap = _last_answer.get(view, 0.0) + MIN_GAP_SECONDS - time.monotonic()
    if gap > 0:
        await asyncio.sleep(gap)
    if _news(jobs, afters, seen, length):
        return
    loop, news = asyncio.get_running_loop(), asyncio.Event()

    def wake() -> None:  # called in a job's thread
        loop.call_soon_threadsafe(news.set)

    for job in jobs:
        job.bulletin.listen(wake)
    try:
        if not _news(jobs, afters, seen, length):  # news may have come before listen()
            await asyncio.wait_for(news.wait(), HOLD_SECONDS)
    except asyncio.TimeoutError:
        pass
    finally:
        for job in jobs:
            job.bulletin.unlisten(wake)


def _news(jobs: list, afters: list[int], seen: int, length=told_length) -> bool:
    """All have ended, one has an epoch the reader lacks, or something was published since what it saw (a
    reader who has seen nothing, `seen` 0, is answered at once). One run ended in a race or sweep is no news
    for ever: its bulletin's version no longer moves."""
    return not seen or all(job.done for job in jobs) or any(length(job) > after for job, after in zip(jobs, afters)) \
        or _version(jobs) != seen


def _version(jobs: list) -> int:
    return sum(job.bulletin.version for job in jobs)


def _touch(jobs: list) -> None:
    for job in jobs:
        job.touch()


def _same_visitor(request, claim) -> bool:
    """A browser that sends a visitor cookie must be the run's owner. Without a valid one (a browser refusing
    cookies: its runs belong to its tab, ui/visitor.visitor_id) the token decides, as it would for anyone
    who leaves the cookie out."""
    cookie = request.cookies.get(browser.COOKIE)
    if not browser.valid(cookie):
        return True
    return f"visitor:{visitors.key(cookie)[:32]}" == claim.owner


def _whole(text: str) -> int | None:
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 8):
        return None
    value = int(text)
    return value if value <= MAX_CURSOR else None


def _cursors(text: str) -> list[int] | None:
    """`after`: one cursor per run, comma-separated; None if any is not a whole number in bounds."""
    parts = text.split(",", MAX_RUNS) if isinstance(text, str) else [None]
    cursors = [_whole(part) for part in parts]
    return None if len(parts) > MAX_RUNS or None in cursors else cursors


def _forget_old() -> None:
    """Runs answered long ago leave the table: it stays as small as the runs being watched."""
    if len(_last_answer) > 1000:
        cutoff = time.monotonic() - 60
        for view in [v for v, at in _last_answer.items() if at < cutoff]:
            del _last_answer[view]


def _refused() -> JSONResponse:
    return _answer({"error": REFUSED}, 403)


def _answer(body: dict, status: int = 200, retry: int | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return JSONResponse(body, status_code=status, headers=headers)
