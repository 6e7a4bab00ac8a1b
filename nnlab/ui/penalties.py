"""The L1 / L2 penalties changed while a run trains, as Playground's regularization rate: a control in
the live panel; the change applies from the next epoch, is kept in the history and marked on the curves
(nnlab/config/penalty_changes.py)."""
from __future__ import annotations

import streamlit as st

from nnlab.config.settings import SETTINGS, offered
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.serving.jobs import TrainingJob
from nnlab.ui.controls import fixed_settings

OUTCOME = "_penalty_outcome"  # the last change's outcome, said at the next page run (the click's run may be cut short)


def live_penalties(job: TrainingJob, key: str) -> None:
    """While the run has not ended: the L1 and L2 rates from now on, and a Change button."""
    if job.done or {"l1", "l2"} & set(fixed_settings()):  # a teacher's link fixed them: nothing may change them
        return
    history = list(job.history)
    now = {name: float(history[-1].get(name, getattr(job.config, name))) if history else getattr(job.config, name)
           for name in ("l1", "l2")}
    with st.expander("Regularization from now on (L1 / L2)", icon=":material/tune:"):
        left, middle, right = st.columns([2, 2, 1], vertical_alignment="bottom")
        for box, name in ((left, "l2"), (middle, "l1")):
            box.select_slider(f"{SETTINGS[name].label} from now on", options=offered(SETTINGS[name], now[name]),
                              value=now[name], key=f"{key}{name}_{id(job)}", format_func=lambda v: f"{v:g}",
                              help=SETTINGS[name].help + " Applies from the next epoch; the history records it.")
        right.button("Change", key=f"{key}penalties_set_{id(job)}", width="stretch", on_click=_change,
                     args=(job, f"{key}l1_{id(job)}", f"{key}l2_{id(job)}"))
        outcome = st.session_state.get(OUTCOME)
        if outcome and outcome[0] == id(job):
            (st.error if outcome[1] else st.caption)(markdown(outcome[2]))


def _change(job: TrainingJob, l1_key: str, l2_key: str) -> None:
    """The button's on_click: runs before the page, so a click is never lost to a rerun cutting it short."""
    l1, l2 = st.session_state.get(l1_key), st.session_state.get(l2_key)
    try:
        job.set_penalties(l1=l1, l2=l2)
    except UserError as error:
        st.session_state[OUTCOME] = (id(job), True, str(error))
    else:
        st.session_state[OUTCOME] = (id(job), False, f"L2 {l2:g} and L1 {l1:g} from the next epoch on (marked on the "
                                                    "curves, kept in the history).")
