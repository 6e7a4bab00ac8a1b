"""The learning rate on the Train page: the schedule planned before training, the finder, and
during a run the rate of each epoch with a control to change it (nnlab/config/lr_schedule.py)."""
from __future__ import annotations

import streamlit as st

from nnlab.charts import training as charts
from nnlab.core.errors import UserError
from nnlab.serving.jobs import TrainingJob
from nnlab.config.lr_schedule import changed_epochs, planned_rates
from nnlab.core.safe_text import markdown
from nnlab.config.settings import SETTINGS, offered
from nnlab.core.status import Status
from nnlab.ui import lr_finder
from nnlab.ui.controls import fixed_settings


def learning_rate_panel(config, dataset) -> None:
    """Before training: the planned rate of each epoch, and the learning-rate finder."""
    with st.expander("Learning rate: schedule and finder", icon=":material/speed:"):
        if config is not None and _scheduled(config):
            st.markdown("**The learning rate of each epoch**, as the schedule in the settings plans it.")
            st.vega_lite_chart(charts.learning_rate_chart(planned_rates(config), height=160).to_dict(), width="stretch")
        elif config is not None:
            st.caption(f"Constant learning rate {config.learning_rate:g} in every epoch. Pick a schedule in the "
                       "settings (step, exponential, cosine, warm-up) to see it change from epoch to epoch.")
        if _fixed():
            st.caption("Your teacher's link fixes the learning rate: the finder is left out.")
        else:
            lr_finder.finder_section(config, dataset)


def live_learning_rate(job: TrainingJob, key: str, fetched: bool = False) -> None:
    """In the live panel: while the run trains, a control to change its learning rate; the rate of
    each epoch, planned and used, once there is something to see beyond one constant. `fetched`: the
    browser draws the live curves and the page does not rerun while the run trains (ui/live_chart.py),
    so the control is there from the start (it says so if the run is not training yet) and the chart of
    rates waits for the run's end."""
    history = list(job.history)
    trains = job.status == Status.RUNNING and job.progress[0] >= 1  # the trainer is there
    if (trains or (fetched and not job.done)) and not _fixed():
        _change_control(job, key, history)
    if fetched:
        return
    changed = changed_epochs(job.config, history)
    if history and (_scheduled(job.config) or changed):
        cache = st.session_state.setdefault("_lr_specs", {})  # built again only when an epoch was added
        version = (id(job), len(history))
        if cache.get(key, (None,))[0] != version:
            cache[key] = (version, charts.learning_rate_chart(planned_rates(job.config), history, changed,
                                                              height=160).to_dict())
        st.vega_lite_chart(cache[key][1], width="stretch", key=f"{key}lr_chart")
        if changed:
            st.caption("The red line marks where you changed the learning rate: from there it replaced the schedule.")


def _change_control(job: TrainingJob, key: str, history: list[dict]) -> None:
    current = float(f"{history[-1]['learning_rate']:.3g}") if history else job.config.learning_rate
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    rate = left.select_slider("Learning rate from now on", options=offered(SETTINGS["learning_rate"], current),
                              value=current, key=f"{key}lr_{id(job)}", format_func=lambda v: f"{v:g}",
                              help="Change the step size while the run trains: it applies from the next batch and "
                                   "replaces the schedule for the rest of the run. The history records it.")
    if right.button("Change", key=f"{key}lr_set_{id(job)}", width="stretch"):
        try:
            job.set_learning_rate(rate)
        except UserError as error:
            st.error(markdown(str(error)))
        else:
            st.toast(f"Learning rate {rate:g} from now on.")


def _scheduled(config) -> bool:
    return config.lr_schedule != "constant" or config.warmup_epochs > 0


def _fixed() -> bool:
    """A teacher's link fixed the learning rate (locked, or its section hidden): nothing may change it."""
    return "learning_rate" in fixed_settings()
