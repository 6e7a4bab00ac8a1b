"""Live curves drawn by the browser (components-v2 components, no iframe): their JavaScript
(live_chart.js) fetches the new epochs from the live route (ui/live_route.py) and draws them as SVG
lines, with the progress lines; nothing reruns while the runs train.

- `live_chart`: Train's run. It asks for one rerun when the run ends (the page then draws the verdict and
  the full Altair charts), when a live verdict's button is no longer what the page drew (it appears, goes, or
  keeps another epoch: the chart draws the verdict's words itself, serving/live_answer.verdict_state), and
  when the run's pause is no longer what the page drew (serving/live_answer.hold_state: paused or resumed
  from another tab, a step done, the pause's allowance moved): the page draws its step buttons again;
- `live_group_chart`: a race's or sweep's runs in one request per answer, one colour per run (training
  solid, validation dashed), each run's progress line. One rerun when every run has ended;
- `live_progress`: the learning-rate finder's progress line (queue place, batch N of M). One rerun at its end;
- `live_fit`: Universal approximation's run: the curve the network computes, over the points and the true
  curve, redrawn as each epoch's snapshot comes. One rerun at its end;
- `live_inside`: the inside panel's open tab (weights images, neuron maps and prediction, gradient norms and
  weight percentiles), redrawn as each snapshot comes. One rerun at the run's end;
- `live_search`: a search's progress, its current trial's line and curves, and the trials told so far with the
  best of them. One rerun, at its end (the page's results: the study's charts and table).

Each asks for one rerun when it cannot reach the route (a host or proxy that does not pass /api/live on:
the page says so and polls instead).

Always mounted with a key: an unkeyed component's identity includes its data, and the token in the
data changes at every rerun, which would mount it again and fetch every epoch again."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from nnlab.core.tasks import metric_name
from nnlab.serving import live_answer
from nnlab.ui import live_route, navigation

MOST_FIT_POINTS = 600  # training points drawn under a live fit: enough to see the cloud, small to send
_JS = (Path(__file__).with_name("live_chart.js")).read_text(encoding="utf-8")
_CSS = """
.nnlab-live { font-family: inherit; color: inherit; }
.nnlab-live .status { font-size: 0.875rem; margin: 0 0 0.3rem; }
.nnlab-live .bar { height: 0.5rem; border-radius: 0.25rem; background: rgba(128, 128, 128, 0.25); overflow: hidden; }
.nnlab-live .bar > div { height: 100%; width: 0; background: var(--st-primary-color, #1c6ed5); }  /* no transition: each animated frame costs the browser */
.nnlab-live .notes p { margin: 0.4rem 0 0; padding: 0.4rem 0.6rem; border-radius: 0.4rem; font-size: 0.875rem;
                       background: rgba(255, 189, 69, 0.2); }
.nnlab-live .verdict { margin: 0.4rem 0 0; padding: 0.5rem 0.75rem; border-radius: 0.4rem; font-size: 0.875rem;
                         background: rgba(255, 189, 69, 0.2); }
.nnlab-live svg.fit { width: 100%; max-height: 24rem; }
.nnlab-live .dot { fill: #888888; opacity: 0.35; }
.nnlab-live .truth { fill: none; stroke: #1f77b4; stroke-width: 2; stroke-dasharray: 6 4; }
.nnlab-live .fitted { fill: none; stroke: #ff7f0e; stroke-width: 3; stroke-linejoin: round; }
.nnlab-live .distance { margin: 0.4rem 0 0; }
.nnlab-live .caption { font-size: 0.875rem; opacity: 0.75; margin: 0 0 0.4rem; }
.nnlab-live .inside img { image-rendering: pixelated; max-width: 100%; display: block; }
.nnlab-live .plane { position: relative; max-width: 24rem; }
.nnlab-live .plane img { width: 100%; image-rendering: auto; }  /* smoothed, as Playground's: pixelated, a pale
   prediction (the spiral at batch 2 stays within 0.52–0.64 for epochs) showed as flat rectangles */
.nnlab-live .plane-options { display: flex; gap: 1rem; font-size: 0.875rem; margin: 0.3rem 0; }
.nnlab-live .plane .test { display: none; } .nnlab-live .plane.with-test .test { display: inline; }
.nnlab-live .plane svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.nnlab-live svg.net { width: 100%; max-width: 48rem; display: block; }
.nnlab-live .net .link { opacity: 0.8; } .nnlab-live .net .link:hover { opacity: 1; }
.nnlab-live .net .node { fill: #888888; stroke: #333333; }
.nnlab-live .layers { font-size: 0.8rem; opacity: 0.75; margin: 0.3rem 0 0.6rem; }
.nnlab-live .band { fill: #1f77b4; opacity: 0.25; } .nnlab-live .median { fill: none; stroke: #1f77b4; stroke-width: 1.5; }
.nnlab-live .norm { fill: none; stroke-width: 2; }
.nnlab-live .onset { stroke: #d62728; stroke-dasharray: 2 3; }
.nnlab-live .change { stroke: #8c564b; stroke-width: 2; stroke-dasharray: 2 2; }  /* charts/training.RATE_CHANGE_COLOUR */
.nnlab-live .change-label { fill: #8c564b; opacity: 1; }
.nnlab-live .charts { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: 0.6rem; }
.nnlab-live svg.curve { flex: 1 1 20rem; min-width: 16rem; max-height: 16rem; overflow: visible; }
.nnlab-live .frame { fill: none; stroke: rgba(128, 128, 128, 0.35); }
.nnlab-live .train, .nnlab-live .val { fill: none; stroke: #1f77b4; stroke-width: 2; stroke-linejoin: round; }
.nnlab-live .val { stroke: #ff7f0e; stroke-dasharray: 5 3; }
.nnlab-live .tick { font-size: 11px; fill: currentColor; opacity: 0.75; }
.nnlab-live .note, .nnlab-live .hint, .nnlab-live .legend { font-size: 0.875rem; opacity: 0.75; margin: 0.4rem 0 0; }
.nnlab-live .train, .nnlab-live .val { stroke-linecap: round; }
.nnlab-live .train-dot { fill: #1f77b4; } .nnlab-live .val-dot { fill: #ff7f0e; }
.nnlab-live circle:not([cx]) { display: none; }
.nnlab-live .run { margin: 0 0 0.5rem; }
.nnlab-live .best { font-size: 0.875rem; font-weight: 600; margin: 0.6rem 0 0.3rem; }
.nnlab-live table.trials { border-collapse: collapse; font-size: 0.8rem; width: 100%; display: block; overflow-x: auto; }
.nnlab-live table.trials th, .nnlab-live table.trials td { text-align: left; padding: 0.15rem 0.6rem 0.15rem 0;
                                                           border-bottom: 1px solid rgba(128, 128, 128, 0.25); }
.nnlab-live .swatch { display: inline-block; width: 0.8rem; height: 0.25rem; margin: 0 0.4rem 0.2rem 0; border-radius: 0.1rem;
                      vertical-align: middle; }
"""
_HTML = """<div class="nnlab-live">
  <p class="note">Live curves need JavaScript; the results and the curves appear when the run ends: reload the
  page to see them.</p>
  <p class="status">Starting…</p>
  <div class="bar"><div></div></div>
  <div class="notes"></div>
  <p class="verdict" hidden><b>Live verdict:</b> <span></span></p>
  <div class="charts"></div>
  <p class="hint" hidden>The first epoch includes compiling the network; its points appear when it ends.</p>
</div>"""

# A race's or sweep's: each run's progress line (live_chart.js fills .runs), then the curves.
_GROUP_HTML = """<div class="nnlab-live">
  <p class="note">Live curves need JavaScript; the results and the curves appear when the runs end: reload the
  page to see them.</p>
  <p class="status finished" hidden></p>
  <div class="runs"></div>
  <p class="legend">One colour per run; training solid, validation dashed.</p>
  <div class="charts"></div>
  <p class="hint" hidden>The first epoch includes compiling the network; its points appear when it ends.</p>
</div>"""

# The learning-rate finder's: its progress line only (its curve comes whole, at the end's rerun).
_PROGRESS_HTML = """<div class="nnlab-live">
  <p class="note">Live progress needs JavaScript; the result appears when it ends: reload the page to see it.</p>
  <p class="status">Starting…</p>
  <div class="bar"><div></div></div>
</div>"""

# A search's: the study's progress line, its place in the queue, the current trial's line and curves.
_SEARCH_HTML = """<div class="nnlab-live">
  <p class="note">Live curves need JavaScript; the trials appear when the search ends: reload the page to see them.</p>
  <p class="status">Starting…</p>
  <div class="bar"><div></div></div>
  <p class="place" hidden></p>
  <p class="status trial" hidden></p>
  <div class="charts"></div>
  <p class="best" hidden></p>
  <table class="trials" hidden>
    <thead><tr><th>Trial</th><th>State</th><th>Result</th><th>Epochs</th><th>Settings</th></tr></thead>
    <tbody></tbody>
  </table>
</div>"""

# Universal approximation's: the run's progress line, the training points, the true curve and the fit.
_FIT_HTML = """<div class="nnlab-live">
  <p class="note">The live fit needs JavaScript; the fit appears when the run ends: reload the page to see it.</p>
  <p class="status">Starting…</p>
  <div class="bar"><div></div></div>
  <div class="charts"></div>
  <p class="distance" hidden></p>
</div>"""

# The inside panel's open tab: the view's caption, then its images or charts (live_chart.js fills .inside).
_INSIDE_HTML = """<div class="nnlab-live">
  <p class="note">The live view needs JavaScript; it appears when the run ends: reload the page to see it.</p>
  <p class="hint">Drawn after the first epoch.</p>
  <p class="caption" hidden></p>
  <div class="inside"></div>
</div>"""

_COMPONENT = st.components.v2.component("nnlab_live_chart", html=_HTML, css=_CSS, js=_JS, isolate_styles=True)
_GROUP_COMPONENT = st.components.v2.component("nnlab_live_group_chart", html=_GROUP_HTML, css=_CSS, js=_JS,
                                              isolate_styles=True)

_PROGRESS_COMPONENT = st.components.v2.component("nnlab_live_progress", html=_PROGRESS_HTML, css=_CSS, js=_JS,
                                                 isolate_styles=True)

_SEARCH_COMPONENT = st.components.v2.component("nnlab_live_search", html=_SEARCH_HTML, css=_CSS, js=_JS,
                                               isolate_styles=True)

_FIT_COMPONENT = st.components.v2.component("nnlab_live_fit", html=_FIT_HTML, css=_CSS, js=_JS, isolate_styles=True)

_INSIDE_COMPONENT = st.components.v2.component("nnlab_live_inside", html=_INSIDE_HTML, css=_CSS, js=_JS,
                                               isolate_styles=True)


def failure_key(serial: int) -> str:
    """Where a run's live chart that could not reach the route says so (the page then polls); a race's or
    sweep's under its first run's serial."""
    return f"_live_chart_failed_{serial}"


def live_chart(job, key: str, verdict: dict | None = None) -> None:
    """Mount the live chart of `job` (a TrainingJob) under `key`; `verdict`: the live verdict the page draws
    now (serving/live_answer.live_verdict), whose button the chart asks a rerun to change."""
    serial = job.serial
    task = job.dataset.task if job.dataset is not None else "classification"
    _COMPONENT(
        key=f"{key}live_{serial}",
        data={"serial": serial, "token": live_route.token_for(job), "page": navigation.current_url_path(),
              "epochs": job.config.epochs, "metric": metric_name(task), "hold": live_answer.hold_state(job),
              "verdict": live_answer.verdict_state(verdict)},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page reads job.done: the rerun itself is the message
        on_paused_change=_nothing,  # the page reads job.paused and draws its step buttons again
        on_finding_change=_nothing,  # the page draws the live verdict's button again
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(serial), True),
    )


def live_group_chart(jobs: list, key: str, *, count_finished: bool = False) -> None:
    """Mount the live chart of a race's or sweep's `jobs` (TrainingJobs of one owner) under `key`; with
    `count_finished`, a line above says how many runs have finished (a sweep's runs train one after another)."""
    first = jobs[0].serial
    loaded = [job.dataset.task for job in jobs if job.dataset is not None]
    _GROUP_COMPONENT(
        key=f"{key}live_group_{first}",
        data={"runs": [{"serial": job.serial, "label": job.label} for job in jobs], "token": live_route.token_for(*jobs),
              "page": navigation.current_url_path(), "epochs": max(job.config.epochs for job in jobs),
              "metric": metric_name(loaded[0] if loaded else "classification"), "count_finished": count_finished},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page reads the group's done
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(first), True),
    )


def live_progress(work, key: str) -> None:
    """Mount the live progress line of `work` (the learning-rate finder) under `key`: one rerun when it ends."""
    _PROGRESS_COMPONENT(
        key=f"{key}live_progress_{work.serial}",
        data={"serial": work.serial, "progress": True, "token": live_route.token_for(work),
              "page": navigation.current_url_path()},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page reads work.done
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(work.serial), True),
    )


def live_search(job, key: str) -> None:
    """Mount the live view of `job` (a SearchJob) under `key`: its trials are drawn by the browser as each is
    told to the study; one rerun when the search ends."""
    _SEARCH_COMPONENT(
        key=f"{key}live_search_{job.serial}",
        data={"serial": job.serial, "search": True, "token": live_route.token_for(job),
              "page": navigation.current_url_path(), "after": live_answer.told_length(job)},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page reads job.done
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(job.serial), True),
    )


def live_fit(job, key: str, points, target) -> None:
    """Mount Universal approximation's live fit of `job` (a TrainingJob whose snapshot is the fitted curve) under
    `key`, over the training `points` and the true curve `target` (tables of x and y, the same grid as the fit):
    one rerun when the run ends."""
    pairs = lambda table: [[round(float(x), 6), round(float(y), 6)] for x, y in zip(table["x"], table["y"])]  # noqa: E731
    _FIT_COMPONENT(
        key=f"{key}live_fit_{job.serial}",
        data={"serial": job.serial, "fit": True, "token": live_route.token_for(job), "page": navigation.current_url_path(),
              "points": pairs(points.head(MOST_FIT_POINTS)), "target": pairs(target)},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page reads job.done
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(job.serial), True),
    )


def live_inside(job, key: str, tab: str, points=None, class_names=()) -> None:
    """Mount the live view of `job`'s inside panel tab `tab` (ui/live_inside.TABS) under `key`; for "maps", the
    `points` (x1, x2, label, split) drawn over the prediction, the test points on request. One rerun when the
    run ends."""
    last = class_names[-1] if class_names else None
    dots = [] if points is None else [
        [round(float(x1), 5), round(float(x2), 5), int(label == last) if last is not None else -1, int(split == "test")]
        for x1, x2, label, split in zip(points["x1"], points["x2"], points["label"], points["split"])]
    _INSIDE_COMPONENT(
        key=f"{key}live_inside_{job.serial}_{tab}",
        data={"serial": job.serial, "inside": tab, "token": live_route.token_for(job), "page": navigation.current_url_path(),
              "points": dots},
        width="stretch", height="content",
        on_ended_change=_nothing,  # the page draws the panel as it ended
        on_failed_change=lambda: st.session_state.__setitem__(failure_key(job.serial), True),
    )


def _nothing() -> None:
    pass
