"""Training jobs on the page: start them, poll them, draw their progress and live curves, Stop.

A job trains in a background thread (nnlab.serving.jobs) and survives reruns and page switches; the page
polls it with a fragment while it runs and touches it, so a run whose page is gone (nobody polling)
is stopped and kept as abandoned (ARCHITECTURE.md, "Training on a shared server"). The poll keeps
the epochs' pace: it draws as soon as an epoch ends (at most every DRAW_GAP_SECONDS), and at least
every POLL_SECONDS for the progress bar.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, NoReturn

import streamlit as st

from nnlab.charts import training as charts
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.serving import live_answer, placement, remote_work
from nnlab.serving.jobs import RaceJob, SeedsJob, SweepJob, TaggedStore, TrainingJob, run_in_progress
from nnlab.config.lr_schedule import changed_epochs
from nnlab.config.penalty_changes import penalty_changes
from nnlab.core.safe_text import markdown
from nnlab.serving.remote_work import RemoteTrainingJob
from nnlab.serving.slot_work import SlotWork
from nnlab.core.status import Status
from nnlab.core.tasks import metric_name
from nnlab.ui import live_chart, workspace
from nnlab.ui.data_cache import load_data
from nnlab.ui.learning_rate import live_learning_rate
from nnlab.ui.penalties import live_penalties
from nnlab.ui.poll import POLL_SECONDS
from nnlab.ui.step_mode import step_controls

# The shortest time between two redraws: a 2-D run ends hundreds of epochs a second, and each redraw
# costs a fragment run in the server and a chart update in the browser; 0.25 s keeps the chart
# within ≈0.5 s of the training (bench/app.py measures both).
DRAW_GAP_SECONDS = 0.25
NEWS_CHECK_SECONDS = 0.1  # how often a held poll looks for a new epoch: each look takes the GIL from the training thread
SIDEBAR_POLL_SECONDS = 10.0  # other pages keep the visitor's runs alive (touched) at this pace
_page_run = threading.local()  # set while the whole page runs: its fragments draw and never hold


def new_job(config: RunConfig, label: str = "", *, extra: dict | None = None) -> TrainingJob:
    """A run of this visitor's (Train's, or one of a race, sweep or group of seeds), saved into their store, with
    `extra` tagging its record wherever it trains (a group's run, a class's share tick). Trained on the workers
    where the deployment sends runs there (serving/placement.py), else here on the shared cached data (unsaved,
    and saying so, while the database cannot be used). A run on a CSV upload goes to the workers with its file's
    bytes (store/csv_files.py)."""
    remote = workspace.workers_store(config)
    if remote is not None:
        return RemoteTrainingJob(config, load_data, url=remote.url, workspace=remote.workspace,
                                 owner=workspace.visitor(), label=label, extra=extra)
    store = workspace.store()
    kept = TaggedStore(store, extra) if store is not None and extra else store
    job = TrainingJob(config, load_data, store=kept, label=label, owner=workspace.visitor())
    if store is None:
        job.warnings.append(workspace.store_problem() or "This run is not being saved.")
    return job


def start(key: str, job) -> bool:
    """Start a job (a run, a race or a sweep) where its runs train (serving/placement.start) and keep it under
    session_state[key]; False after showing why it cannot start (the visitor already trains, the run is beyond
    this server's budget)."""
    try:
        placement.start(job)
    except UserError as error:
        st.error(markdown(str(error)))
        return False
    st.session_state[key] = job
    return True


def returning_run(key: str, kind: type = TrainingJob):
    """The visitor's run (or work of `kind`, e.g. a group of seeds) still training that this session does
    not hold (its tab was closed or reloaded mid-run): kept under session_state[key] so the page shows it
    again, and returned; None if this session already holds one there, or there is none."""
    if st.session_state.get(key) is not None:
        return None
    job = run_in_progress(workspace.visitor(), kind=kind)
    if job is None and kind in (TrainingJob, SeedsJob):
        job = _run_on_workers("run" if kind is TrainingJob else "seeds")
    if job is not None:
        job.touch()
        st.session_state[key] = job
    return job


def _run_on_workers(kind: str):
    """The visitor's run or group of seeds (`kind`, serving/remote_work.run_in_progress) on the workers, where the
    pages' runs go there (serving/placement.py)."""
    store = workspace.store()
    try:
        if store is None or not placement.runs_on_workers(store.url):
            return None
        return remote_work.run_in_progress(store.url, workspace.visitor(), load_data, kind)
    except UserError:
        return None


def scroll_to(key: str) -> None:
    """Scroll the page to the container made with st.container(key=key), e.g. the live curves as a run
    starts: whatever sits above them would hold them below the fold on a laptop or a projector. It waits
    for the chart to be drawn (a fresh page may take seconds), scrolls again while the layout settles,
    and gives up as soon as the visitor scrolls, types or clicks: never a fight over the page."""
    st.html(f"""<script>
(() => {{
  const root = document.querySelector('.st-key-{key}') ? document : window.parent.document;
  const started = Date.now();
  let scrolled = 0, moved = false;
  for (const kind of ["wheel", "touchmove", "keydown", "mousedown"]) {{
    root.addEventListener(kind, () => {{ moved = true; }}, {{once: true, capture: true}});
  }}
  const look = () => {{
    if (moved) return;
    const target = root.querySelector('.st-key-{key}');
    const chart = target && target.querySelector('[data-testid="stVegaLiteChart"], [data-nnlab-live]');
    if (chart && chart.getBoundingClientRect().height > 0) {{
      target.style.scrollMarginTop = "3.75rem";  // below Streamlit's header, which covers the page's top
      target.scrollIntoView({{block: "start"}});
      scrolled = scrolled || Date.now();
    }}
    if (scrolled ? Date.now() - scrolled < 1500 : Date.now() - started < 30000) setTimeout(look, 200);
  }};
  look();
}})();
</script>""", unsafe_allow_javascript=True, width="content")


def jobs_of(value) -> list[TrainingJob]:
    """The training jobs held under a session key: one run, a race's or a sweep's runs."""
    if isinstance(value, TrainingJob):
        return [value]
    if isinstance(value, (RaceJob, SweepJob)):
        return list(value.jobs)
    return []


def session_jobs() -> list[TrainingJob]:
    return [job for value in list(st.session_state.values()) for job in jobs_of(value)]


def touch_session_jobs() -> None:
    """This visitor is still here: their runs go on, and so does any other work they wait for (a search
    still queued with no trial yet, a learning-rate finder) whatever page they are on."""
    for value in list(st.session_state.values()):
        if isinstance(value, SlotWork):
            value.touch()
    for job in session_jobs():
        job.touch()


def running_sidebar() -> None:
    """On every page: the visitor's runs still training, polled slowly so they stay alive; after the page,
    so that a run the page shows live is left out (its chart's fetches or the page's own poll keep it alive
    and say where it stands; a poll here would rerun while it trains, and lag behind the page)."""
    holders, _page_run.holders = getattr(_page_run, "holders", []), []
    shown = _shown_here() | {job.serial for holder in holders for job in jobs_of(holder)}  # a search's trials begun meanwhile
    _page_run.shown = set()
    running = [job for job in session_jobs() if not job.done and job.serial not in shown]
    if running:
        st.fragment(_running_fragment, run_every=SIDEBAR_POLL_SECONDS)(frozenset(shown))


def stop_page() -> NoReturn:
    """st.stop() for pages: the sidebar's poll first, since app.py draws it after the page and nothing can be
    drawn after a stop (a visitor reading "Compare needs two runs" while one trains must not lose it)."""
    running_sidebar()
    st.stop()


def _running_fragment(shown: frozenset = frozenset()) -> None:
    touch_session_jobs()
    for job in session_jobs():
        if not job.done and job.serial not in shown:
            st.sidebar.caption(f":material/hourglass_top: **{markdown(job.label or job.config.dataset)}** · "
                               f"{status_line(job)}")


def fraction(job: TrainingJob) -> float:
    """How much of the run is done, the epoch in progress included."""
    return live_answer.fraction(job)


def status_line(job: TrainingJob) -> str:
    """Where the run stands (serving/live_answer.progress_text), as Markdown."""
    if job.done and not job.history:
        return markdown(job.message)
    return live_answer.progress_text(job)


def polled(key: str, draw: Callable[[Any], None]) -> None:
    """Draw what the page shows of the job under session_state[key] (None if there is none) in a
    fragment, redrawn as its epochs end while it trains; the whole page reruns once when it ends, so
    results appear and polling stops."""
    holder = st.session_state.get(key)
    running = holder is not None and not holder.done
    if running:
        # Polls follow each other while a run trains: Streamlit's "Running…" sign would show all along,
        # animated (≈1/3 of the browser's CPU per poll here) and with a header Stop that stops the poll,
        # not the training. Hidden until the run ends (the page's next full run drops this style).
        st.html("<style>[data-testid='stStatusWidget']{display:none}</style>")
    _shown_here().update(job.serial for job in jobs_of(holder))
    _page_run.active = True
    try:
        st.fragment(_polled_fragment, run_every=DRAW_GAP_SECONDS if running else None)(key, running, draw)
    finally:
        _page_run.active = False


def _polled_fragment(key: str, was_running: bool, draw: Callable[[Any], None]) -> None:
    holder = st.session_state.get(key)
    for job in jobs_of(holder):
        job.touch()
    if was_running and holder is not None and holder.done:
        st.rerun()
    drawn = _news(holder)
    draw(holder)
    if was_running and holder is not None and not getattr(_page_run, "active", False) \
            and not any(job.paused for job in jobs_of(holder)):  # paused: the step buttons must answer at once
        _hold(key, drawn)  # only a poll: the rest of the page waits for a page run's fragments


def _news(holder) -> tuple:
    """What a redraw would change: the epochs each run has and their statuses (and, in step mode,
    where the paused run stands)."""
    return tuple((len(job.history), job.status, job.paused and job.progress) for job in jobs_of(holder)) + (
        holder is not None and holder.done,)


def _hold(key: str, drawn: tuple) -> None:
    """Keep this poll (its drawing already sent) until there is news to draw, DRAW_GAP_SECONDS at least
    and POLL_SECONDS at most. The fragment's timer has queued the next poll meanwhile, which starts as
    soon as this one returns: an epoch's point follows its end by a few hundredths of a second, and
    between epochs the panel is redrawn once per POLL_SECONDS only. Reading session_state is where
    Streamlit lets a full rerun (a widget outside the fragment, another page) interrupt it; a click in
    the panel itself (Stop) is a fragment rerun, which Streamlit 1.67 queues behind the running one:
    it acts when the hold ends, within POLL_SECONDS. A paused run is not held (its step buttons must
    answer at once). Polls follow each other without a gap, hence the hidden "Running…" sign."""
    started = time.monotonic()
    while (waited := time.monotonic() - started) < POLL_SECONDS:
        holder = st.session_state.get(key)  # the yield point
        if waited >= DRAW_GAP_SECONDS and _news(holder) != drawn:
            return
        time.sleep(NEWS_CHECK_SECONDS)


def live_panel(key: str, *, height: int = 260, show_stop: bool = True) -> None:
    """The progress, Stop, metrics and live curves of the run under session_state[key]. While it trains or
    is paused, the browser fetches its epochs and its live verdict itself and nothing reruns but a click, a step
    done, the live verdict's button changing (ui/live_chart.py); once it has ended, and where the live route
    cannot be reached, the page draws them (polled while it runs)."""
    job = st.session_state.get(key)
    if not isinstance(job, TrainingJob):
        return
    if fetched_live(job):
        _fetched_run(job, f"{key}_", show_stop)
        return
    if not job.done and st.session_state.get(live_chart.failure_key(job.serial)):
        route_unreachable()
    polled(key, lambda job: _one_run(job, f"{key}_", height, show_stop))


def route_unreachable() -> None:
    st.caption(":material/sync_problem: Live curves could not reach the server's live route (a proxy or host "
               "that does not pass `/api/live` on, or a page left open too long); the page polls instead.")


def fetched_live(job: TrainingJob) -> bool:
    """Whether the browser draws this run's live curves itself: while it trains or is paused (step mode: the
    chart asks for a rerun when a step is done), with or without a live verdict (the chart draws its words
    and asks for a rerun when its Stop button changes), unless the live route could not be reached (a failed
    live chart is not tried again)."""
    return not job.done and not st.session_state.get(live_chart.failure_key(job.serial))


def _fetched_run(job: TrainingJob, key: str, show_stop: bool) -> None:
    """The run's live panel with nothing polled: the live chart (progress line, live verdict, curves) beside the
    Stop and Pause buttons, "Stop and keep epoch N" under it while a live verdict offers it, and the
    learning-rate control; paused, the step buttons and where the run stands above them, at full width. Each
    click costs one rerun, and so does each change of the pause (a step done), of the live verdict's button,
    and the run's end."""
    _shown_here().add(job.serial)
    job.touch()
    if show_stop and job.paused:
        step_controls(job, key)
    verdict = live_answer.live_verdict(job)
    left, right = st.columns([5, 1]) if show_stop else (st.container(), None)
    with left:
        live_chart.live_chart(job, key, verdict)
        if show_stop and verdict is not None and verdict["keep"]:
            _keep_best_button(job, verdict["best"], key)
    if right is not None:
        with right:
            st.button("Stop", key=f"{key}stop", on_click=job.stop, type="primary", width="stretch",
                      help="End training within one batch; every completed epoch is kept.")
            if not job.paused:
                step_controls(job, key)
    live_learning_rate(job, key, fetched=True)
    live_penalties(job, key)


def showing_live(holder) -> None:
    """This page run shows the runs held by `holder` live (a search's view fetches their news), those it begins
    before the sidebar is drawn included: the sidebar leaves them alone."""
    if not hasattr(_page_run, "holders"):
        _page_run.holders = []
    _page_run.holders.append(holder)


def _shown_here() -> set:
    """The runs this page run shows live, by a live chart or its own poll (the sidebar leaves them alone)."""
    if not hasattr(_page_run, "shown"):
        _page_run.shown = set()
    return _page_run.shown


def _one_run(job: TrainingJob, key: str, height: int, show_stop: bool) -> None:
    history = list(job.history)
    top = st.columns([5, 1]) if show_stop and not job.done else [st.container()]
    top[0].progress(fraction(job), text=status_line(job))
    if show_stop and not job.done:
        with top[1]:
            st.button("Stop", key=f"{key}stop", on_click=job.stop, type="primary", width="stretch",
                      help="End training within one batch; every completed epoch is kept.")
            if not job.paused:
                step_controls(job, key)
        if job.paused:  # its three buttons and where the run stands, at full width
            step_controls(job, key)
    if job.status == Status.FAILED:
        st.error(markdown(job.message))
    for warning in job.warnings:
        st.warning(markdown(warning))
    task = job.dataset.task if job.dataset is not None else "classification"
    if history:
        best = min(range(len(history)), key=lambda i: _nan_to_inf(history[i]["val_loss"])) + 1
        evidence = {}  # what the verdict saw, drawn on the curves: the live finding's, then the final verdict's
        if not job.done:
            _live_verdict(job, key, evidence)
        elif job.result is not None:
            evidence = job.result.verdict.evidence
        metric_tiles(history, task)
    elif not job.done:
        best, evidence = None, {}
        st.caption("The first epoch includes compiling the network; its points appear when it ends.")
    if history or not job.done:  # the empty chart first: the browser sets it up while the network compiles
        live_curves(f"{key}chart", (id(job), len(history), job.done, task), lambda: charts.training_charts(
            history, task, epochs=job.config.epochs, best_epoch=best, evidence=evidence, height=height,
            rate_changes=changed_epochs(job.config, history), penalty_changes=penalty_changes(job.config, history)))
    live_learning_rate(job, key)
    live_penalties(job, key)


def _live_verdict(job: TrainingJob, key: str, evidence: dict) -> None:
    """What is already certain while the run trains (it has blown up, overfitting has set in), with
    a Stop that keeps the best epoch's weights; `evidence` receives what the chart draws."""
    verdict = live_answer.live_verdict(job, evidence)
    if verdict is None:
        return
    st.warning(f"**Live verdict:** {verdict['text']} {verdict['advice']}", icon=":material/notification_important:")
    if verdict["keep"]:
        _keep_best_button(job, verdict["best"], key)


def _keep_best_button(job: TrainingJob, best: int, key: str) -> None:
    st.button(f"Stop and keep epoch {best}", key=f"{key}keep_best", type="primary", icon=":material/restore:",
              on_click=job.stop, kwargs={"keep_best": True},
              help="Every epoch stays in the history; the model is tested and saved as it was at that epoch.")


def live_fit_panel(key: str, curve: str, points, target, draw: Callable[[Any], None]) -> None:
    """Universal approximation's run under session_state[key]: while it fits `curve`, the browser fetches each
    epoch's fitted curve and draws it over the training `points` and the true curve `target` (nothing reruns
    until it ends: ui/live_chart.live_fit); otherwise, and where the live route cannot be reached, `draw`
    polled as before."""
    job = st.session_state.get(key)
    if isinstance(job, TrainingJob) and job.config.dataset == curve and fetched_live(job):
        _shown_here().add(job.serial)
        job.touch()
        live_chart.live_fit(job, f"{key}_", points, target)
        return
    if isinstance(job, TrainingJob) and not job.done and st.session_state.get(live_chart.failure_key(job.serial)):
        route_unreachable()
    polled(key, draw)


def several_jobs_panel(key: str, *, height: int = 280, count_finished: bool = False) -> None:
    """Progress of each run under session_state[key] (a race, a sweep) and their curves in one chart, colour
    per run (with `count_finished`, how many runs have finished first). While they train, the browser fetches
    their epochs itself and nothing reruns (ui/live_chart.live_group_chart); the page reruns once, when all
    have ended. Where the live route cannot be reached, and once they have ended, the page draws them (polled
    while they run)."""
    holder = st.session_state.get(key)
    jobs = jobs_of(holder)
    if not jobs:
        return
    unreachable = st.session_state.get(live_chart.failure_key(jobs[0].serial))
    if not holder.done and not unreachable:
        _fetched_group(holder, f"{key}_", count_finished)
        return
    if not holder.done:
        route_unreachable()
    polled(key, lambda holder: _several_runs(holder, f"{key}_", height, count_finished))


def _fetched_group(holder, key: str, count_finished: bool) -> None:
    """The race's or sweep's live panel with nothing polled: Stop (one rerun a click), then the live chart
    (each run's progress line, the curves). The end of the last run costs one rerun."""
    jobs = jobs_of(holder)
    _shown_here().update(job.serial for job in jobs)
    holder.touch()
    _stop_all(holder, key)
    live_chart.live_group_chart(jobs, key, count_finished=count_finished)


def _stop_all(holder, key: str) -> None:
    st.button("Stop", key=f"{key}stop", type="primary", icon=":material/stop:", on_click=holder.stop,
              help="End every run of this page within one batch; completed epochs are kept.")


def _several_runs(holder, key: str, height: int, count_finished: bool) -> None:
    jobs = jobs_of(holder)
    if count_finished:
        finished = sum(job.done for job in jobs)
        st.progress(finished / len(jobs), text=f"Runs finished: {finished} of {len(jobs)}")
    if not holder.done:
        _stop_all(holder, key)
    for job in jobs:
        st.progress(fraction(job), text=f"**{markdown(job.label)}** · {status_line(job)}")
        if job.status == Status.FAILED:
            st.error(f"{markdown(job.label)}: {markdown(job.message)}")
    if not holder.done or any(job.history for job in jobs):  # every run's colour from the start: one spec throughout
        loaded = [job.dataset for job in jobs if job.dataset is not None]
        task = loaded[0].task if loaded else "classification"
        st.caption("One colour per run; training solid, validation dashed.")
        histories = [(job.label, list(job.history), task) for job in jobs]
        live_curves(f"{key}chart", (task, *((id(job), len(history)) for job, (_, history, _) in zip(jobs, histories))),
                    lambda: charts.compare_charts(histories, epochs=max(job.config.epochs for job in jobs), height=height))


def curves(specs, key: str | None = None) -> None:
    """Loss and accuracy charts (Vega-Lite specs from nnlab.charts.training) side by side."""
    for i, (column, spec) in enumerate(zip(st.columns(2), specs)):
        column.vega_lite_chart(spec=spec, width="stretch", key=f"{key}_{i}" if key else None)


def live_curves(key: str, version: tuple, build) -> None:
    """Curves redrawn by a polling fragment: built again only when an epoch was added, so a poll
    without news sends the same specs and the browser has nothing to redraw."""
    cache = st.session_state.setdefault("_live_specs", {})
    if cache.get(key, (None,))[0] != version:
        cache[key] = (version, build())
    curves(cache[key][1], key)


def metric_tiles(history: list[dict], task: str) -> None:
    last = history[-1]
    previous = history[-2] if len(history) > 1 else None
    metric = metric_name(task)
    fmt = (lambda v: f"{v:.1%}") if metric == "accuracy" else (lambda v: f"{v:.4g}")
    delta = lambda name: None if previous is None else _delta(last[name], previous[name], metric in name)  # noqa: E731
    cols = [st.container(horizontal=True)] * 5  # tiles wrap side by side on a phone instead of stacking 5 high
    cols[0].metric("Train loss", f"{last['loss']:.4g}", delta("loss"), delta_color="inverse")
    cols[1].metric("Validation loss", f"{last['val_loss']:.4g}", delta("val_loss"), delta_color="inverse")
    cols[2].metric(f"Train {metric}", fmt(last[metric]), delta(metric),
                   delta_color="normal" if metric == "accuracy" else "inverse")
    cols[3].metric(f"Validation {metric}", fmt(last[f"val_{metric}"]), delta(f"val_{metric}"),
                   delta_color="normal" if metric == "accuracy" else "inverse")
    gap = last[metric] - last[f"val_{metric}"] if metric == "accuracy" else last["val_loss"] - last["loss"]
    cols[4].metric("Gap",
                   f"{gap * 100:.1f} pt" if metric == "accuracy" else f"{gap:.4g}",  # points, as the changes
                   help="The generalization gap: train minus validation accuracy (or validation minus train "
                        "loss). Large and growing means overfitting.")


def _delta(now: float, before: float, percent: bool) -> str | None:
    if not (math.isfinite(now) and math.isfinite(before)):
        return None
    change = now - before
    return f"{change * 100:+.1f} pt" if percent else f"{change:+.3g}"


def _nan_to_inf(value: float) -> float:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else math.inf
