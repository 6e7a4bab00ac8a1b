"""Race: configuration A against B, trained at the same time, curves growing together."""
import streamlit as st

from nnlab.errors import UserError
from nnlab.jobs import RaceJob
from nnlab.safe_text import markdown
from nnlab.settings import shown
from nnlab.ui import controls, live, navigation, results
from nnlab.ui.session_keys import COMPARE_IDS, RACE

st.title(":material/sports_score: Race")
st.markdown("Set up **A**, let **B** start as a copy, change **one** setting in B, and press **Race**: both "
            "train at the same time and their curves grow together. Both are kept as runs.")

left, right = st.columns(2, border=True)
with left:
    st.subheader("A")
    config_a = controls.controls("a_", left, compact=True)
if config_a is not None and "b_dataset" not in st.session_state:
    controls.set_controls(config_a, "b_")  # B starts as a copy of A
with right:
    st.subheader("B")
    st.button("Copy A into B", icon=":material/content_copy:", disabled=config_a is None,
              on_click=controls.set_controls, args=(config_a, "b_"))
    config_b = controls.controls("b_", right, compact=True)

busy = any(not job.done for job in live.jobs_of(st.session_state.get(RACE)))
if config_a is not None and config_b is not None:
    changes = config_b.changes_from(config_a)
    difference = "; ".join(f"{name} {shown(name, old)} → {shown(name, new)}" for name, (old, new) in changes.items())
    st.markdown(f"**B differs from A in:** {markdown(difference)}" if changes
                else "**A and B are the same**: change one setting in B.")
    if st.button("Race", type="primary", icon=":material/sports_score:", disabled=busy or not changes,
                 help="Both train at once, side by side." if not busy else "A race is running: stop it first."):
        summary = ", ".join(f"{name} {shown(name, new)}" for name, (_, new) in changes.items())
        try:
            live.start(RACE, RaceJob([live.new_job(config_a, "A"), live.new_job(config_b, f"B ({summary})")]))
        except UserError as error:
            st.error(markdown(str(error)))

live.several_jobs_panel(RACE)
jobs = live.jobs_of(st.session_state.get(RACE))
if jobs and all(job.done for job in jobs):
    for column, job in zip(st.columns(len(jobs)), jobs):
        with column:
            st.markdown(f"#### {markdown(job.label)}")
            if job.result is None:
                st.error(markdown(job.message))
                continue
            results.test_tiles(job.result.test, job.result.task)
            results.verdict_panel(job.result.verdict, job.result.config, apply_prefix=None)
    if all(job.run_id for job in jobs):
        st.session_state[COMPARE_IDS] = [job.run_id for job in jobs]
        navigation.link("compare", "Compare the two runs in detail")
