"""The learning-rate finder on the Train page: run it, watch it, read its curve, use its suggestion.

The test trains, so it waits for a training slot like a run (nnlab/serving/lr_finder_job.py), or for a worker
where runs train on workers (serving/remote_work.RemoteFinderJob). While it
waits and trains, the browser fetches its progress itself from the live route (ui/live_chart.live_progress,
which keeps it touched) and nothing reruns; the page reruns once when it ends. Where the route cannot be
reached, the page says so and polls it in a fragment, as before. "Use this learning rate" asks for the
suggestion in the controls (nnlab.ui.controls.request_settings: the button sits in the fragment, so the
whole page reruns).
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from nnlab.charts import training as charts
from nnlab.core.errors import UserError
from nnlab.serving.lr_finder_job import FinderJob
from nnlab.serving.remote_work import RemoteFinderJob
from nnlab.core.safe_text import markdown
from nnlab.config.settings import shown
from nnlab.core.status import Status
from nnlab.serving.live_answer import finder_progress_text
from nnlab.ui import controls, live_chart, workspace
from nnlab.ui.data_cache import load_data
from nnlab.ui.poll import POLL_SECONDS

FINDER_JOB = "lr_finder_job"
FINDER_PROBLEM = "_lr_finder_problem"  # why the last click could not start the finder


def finder_section(config, dataset) -> None:
    """The button that starts the test, then its progress or its curve and suggestion."""
    st.markdown("**Learning-rate finder.** Train a copy of this network for a few hundred batches while the "
                "learning rate rises from 10⁻⁷ to 10; the loss falls, then explodes. A good learning rate is "
                "where it falls fastest (Leslie Smith's range test, as fastai's `lr_find`).")
    holder = st.session_state.get(FINDER_JOB)
    running = holder is not None and not holder.done
    # Started in the click's callback, which Streamlit runs before the page's script: a rerun that cuts the
    # click's run short (another request from the browser) cannot lose the click, as it could in the body.
    st.button("Find a learning rate", icon=":material/troubleshoot:", disabled=dataset is None or running,
              help="Takes a training slot for a few seconds, like a short run.", on_click=_start, args=(config,))
    if st.session_state.get(FINDER_PROBLEM):
        st.error(markdown(st.session_state[FINDER_PROBLEM]))
    if holder is None:
        return
    unreachable = st.session_state.get(live_chart.failure_key(holder.serial))
    if running and not unreachable:
        holder.touch()
        left, right = st.columns([5, 1])
        with left:
            live_chart.live_progress(holder, "lr_finder_")
        right.button("Stop", key="lr_finder_stop", on_click=holder.stop, width="stretch")
        return
    if running:
        st.caption(":material/sync_problem: The finder's progress could not reach the server's live route (a proxy "
                   "or host that does not pass `/api/live` on); the page polls instead.")
    st.fragment(_finder_fragment, run_every=POLL_SECONDS if running else None)(running, config)


def _start(config) -> None:
    """The button's callback: the finder for the settings the page showed when it was clicked, here or on the
    workers where the deployment's runs train there (serving/placement.py)."""
    try:
        remote = workspace.workers_store(config)
        job = RemoteFinderJob(config, load_data, url=remote.url, owner=workspace.visitor()) if remote is not None \
            else FinderJob(config, load_data, owner=workspace.visitor())
        job.start()
    except UserError as error:
        st.session_state[FINDER_PROBLEM] = str(error)  # said under the button until the next try
    else:
        st.session_state.pop(FINDER_PROBLEM, None)
        st.session_state[FINDER_JOB] = job


def _finder_fragment(was_running: bool, config) -> None:
    job: FinderJob = st.session_state.get(FINDER_JOB)
    job.touch()
    if was_running and job.done:
        st.rerun()  # the whole page once: polling stops, the result shows
    if job.status == Status.QUEUED:
        st.progress(0.0, text=finder_progress_text(job))
    elif not job.done:
        left, right = st.columns([5, 1])
        left.progress(job.progress / job.steps, text=finder_progress_text(job))
        right.button("Stop", key="lr_finder_stop", on_click=job.stop, width="stretch")
    elif job.result is None:
        (st.error if job.status == Status.FAILED else st.info)(markdown(job.message))
    else:
        _result(job, config)


def _result(job: FinderJob, config) -> None:
    result = job.result
    suggested = float(f"{result.suggested:.2g}")
    chart = charts.lr_finder_chart(result.curve(), result.suggested)
    if not result.clear:  # the curve alone: a mark on a flat curve would point at noise
        chart = chart.layer[0].properties(height=chart.height, width="container")
    st.vega_lite_chart(chart.to_dict(), width="stretch")
    if not result.clear:
        st.warning(markdown(f"{result.message} {result.flat_text()}"), icon=":material/trending_flat:")
        return
    st.caption(f"{markdown(result.message)} Suggested: **{suggested:g}**, where the smoothed loss falls fastest "
               f"(fastai's steepest-descent rule); fastai's other rule, the lowest loss ÷ 10, gives "
               f"{result.minimum_tenth:.2g}.")
    changed = config.changes_from(job.config) if config is not None else {}
    changed.pop("learning_rate", None)  # using the suggestion changes it: that is the point
    if changed:
        st.caption("Found for the settings before you changed "
                   + markdown(", ".join(f"{name} ({shown(name, old)} → {shown(name, new)})"
                                        for name, (old, new) in changed.items())) + ".")
    if st.button(f"Use this learning rate ({suggested:g})", icon=":material/check:",
                 disabled=config is None or config.learning_rate == suggested,
                 help="Sets the learning-rate control; press Train to try it."):
        controls.request_settings(dataclasses.replace(config, learning_rate=suggested), rerun=True)
