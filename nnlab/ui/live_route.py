"""The live route: `GET <base>/api/live?t=TOKEN&after=N&v=V` answers the epochs of one run since the
cursor N, and where the run stands, as JSON (serving/live_answer.py). The browser's live chart
(ui/live_chart.js) fetches it in a loop instead of the page rerunning: a long poll, held until the run
has news (its bulletin wakes it, serving/bulletin.py) or HOLD_SECONDS have passed.

Safe on a public deployment:
- the token (serving/live_token.py) names one run, its owner and its workspace, and expires; the run
  must still be this owner's in that workspace, and a browser sending a visitor cookie must be that
  owner. Every refusal gets the same 403 text, so no answer tells which runs exist;
- GET only and read only: Streamlit's XSRF check covers its WebSocket and uploads, and a token in the
  URL needs none (another site cannot read the answer: no CORS header);
- bounded: the query string, the rows per answer (live_answer.MAX_ROWS), one answer per run at most
  every MIN_GAP_SECONDS (a request sooner is held, not refused, and carries every row come meanwhile),
  MAX_IN_FLIGHT requests per run (then 429) and MAX_HELD in all (then 503);
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

from nnlab.serving.jobs import live_job
from nnlab.serving.live_answer import live_answer
from nnlab.serving.live_token import LiveTokens
from nnlab.store import visitors
from nnlab.ui import visitor as browser

log = logging.getLogger(__name__)

PATH = "api/live"
TOKENS = LiveTokens(secrets.token_bytes(32))  # per process: the runs it names live in this process only
HOLD_SECONDS = 15.0  # the longest a request waits for news (a paused or queued run publishes when it changes)
MAX_QUERY_BYTES = 600  # a token is ≈150 characters
MAX_CURSOR = 10**7
MIN_GAP_SECONDS = 0.25  # the page's redraw gap before (ui/live.DRAW_GAP_SECONDS): ≤ 4 answers a second per run
MAX_IN_FLIGHT = 4  # per run: a few tabs of one visitor
MAX_HELD = 200  # per server
REFUSED = "This live view has expired or is not yours: reload the page."

_last_answer: dict[int, float] = {}  # run serial → when it was last answered (monotonic)
_in_flight: dict[int, int] = {}
_held = 0


def routes() -> list[Route]:
    """The live route at /api/live, and under server.baseUrlPath when one is set."""
    from streamlit import config

    paths = [f"/{PATH}"]
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    if base:
        paths.append(f"/{base}/{PATH}")
    return [Route(path, live, methods=["GET"]) for path in paths]


def token_for(job) -> str:
    """A token that lets this browser read `job`'s live curves for a while (renewed by each answer)."""
    return TOKENS.make(job.serial, job.owner, job.workspace)


async def live(request) -> JSONResponse:
    global _held
    try:
        if len(request.url.query.encode()) > MAX_QUERY_BYTES:
            return _refused()
        after, seen = _whole(request.query_params.get("after", "0")), _whole(request.query_params.get("v", "0"))
        claim = TOKENS.read(request.query_params.get("t"))
        job = live_job(claim.serial) if claim is not None and after is not None and seen is not None else None
        if job is None or job.owner != claim.owner or job.workspace != claim.workspace or not _same_visitor(request, claim):
            return _refused()
        if _in_flight.get(job.serial, 0) >= MAX_IN_FLIGHT:
            return _answer({"error": "Too many live views of this run at once."}, 429, retry=1)
        if _held >= MAX_HELD:
            return _answer({"error": "The server is busy; the live view tries again."}, 503, retry=2)
        job.touch()  # someone watches it: not abandoned (again when answered)
        _in_flight[job.serial] = _in_flight.get(job.serial, 0) + 1
        _held += 1
        try:
            await _hold(job, after, seen)
        finally:
            _held -= 1
            _in_flight[job.serial] -= 1
            if not _in_flight[job.serial]:
                del _in_flight[job.serial]
        _last_answer[job.serial] = time.monotonic()
        _forget_old()
        job.touch()
        version = job.bulletin.version
        return _answer({**live_answer(job, after), "v": version, "t": token_for(job)})
    except Exception:  # noqa: BLE001 - the browser gets a sentence; the log gets the traceback
        log.exception("the live route failed")
        return _answer({"error": "The live view failed; the page shows the run when it ends."}, 500)


async def _hold(job, after: int, seen: int) -> None:
    """Wait until MIN_GAP_SECONDS after this run's last answer, then until it has news for a reader who
    has seen `after` epochs and bulletin version `seen` (or HOLD_SECONDS have passed)."""
    gap = _last_answer.get(job.serial, 0.0) + MIN_GAP_SECONDS - time.monotonic()
    if gap > 0:
        await asyncio.sleep(gap)
    if _news(job, after, seen):
        return
    loop, news = asyncio.get_running_loop(), asyncio.Event()

    def wake() -> None:  # called in the job's thread
        loop.call_soon_threadsafe(news.set)

    job.bulletin.listen(wake)
    try:
        if not _news(job, after, seen):  # news may have come before listen()
            await asyncio.wait_for(news.wait(), HOLD_SECONDS)
    except asyncio.TimeoutError:
        pass
    finally:
        job.bulletin.unlisten(wake)


def _news(job, after: int, seen: int) -> bool:
    return job.done or len(job.history) > after or job.bulletin.version != seen


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


def _forget_old() -> None:
    """Runs answered long ago leave the table: it stays as small as the runs being watched."""
    if len(_last_answer) > 1000:
        cutoff = time.monotonic() - 60
        for serial in [s for s, at in _last_answer.items() if at < cutoff]:
            del _last_answer[serial]


def _refused() -> JSONResponse:
    return _answer({"error": REFUSED}, 403)


def _answer(body: dict, status: int = 200, retry: int | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return JSONResponse(body, status_code=status, headers=headers)
