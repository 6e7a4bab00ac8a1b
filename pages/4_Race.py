"""Race: configuration A against B, trained at the same time, curves growing together."""
import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Race")
st.title(":material/sports_score: Race")
st.markdown("Set up **A**, let **B** start as a copy, change **one** setting in B, and press **Race**: both "
            "train at the same time and their curves grow together. Both are kept as runs.")

left, right = st.columns(2, border=True)
with left:
    st.subheader("A")
    config_a = ui.controls("a_", left, compact=True)
if config_a is not None and "b_dataset" not in st.session_state:
    ui.set_controls(config_a, "b_")  # B starts as a copy of A
with right:
    st.subheader("B")
    st.button("Copy A into B", icon=":material/content_copy:", disabled=config_a is None,
              on_click=ui.set_controls, args=(config_a, "b_"))
    config_b = ui.controls("b_", right, compact=True)

race = st.session_state.get("race")
busy = any(not job.done for job in ui.jobs_of(race))
if config_a is not None and config_b is not None:
    changes = config_b.changes_from(config_a)
    difference = "; ".join(f"{name} {old!r} → {new!r}" for name, (old, new) in changes.items())
    st.markdown(f"**B differs from A in:** {difference}" if changes else "**A and B are the same**: change one setting in B.")
    if st.button("Race", type="primary", icon=":material/sports_score:", disabled=busy or not changes,
                 help="Both train at once, side by side." if not busy else "A race is running: stop it first."):
        summary = ", ".join(f"{name} {new}" for name, (_, new) in changes.items())
        st.session_state["race"] = [ui.new_job(config_a, "A").start(), ui.new_job(config_b, f"B ({summary})").start()]

ui.several_jobs_panel("race")
jobs = ui.jobs_of(st.session_state.get("race"))
if jobs and all(job.done for job in jobs):
    columns = st.columns(len(jobs))
    for column, job in zip(columns, jobs):
        with column:
            st.markdown(f"#### {job.label}")
            if job.result is None:
                st.error(job.message)
                continue
            ui.test_tiles(job.result.test, job.result.task)
            ui.verdict_panel(job.result.verdict, job.result.config, apply_prefix=None)
    if all(job.run_id for job in jobs):
        st.session_state["compare_ids"] = [job.run_id for job in jobs]
        st.page_link(ui.PAGES["compare"], label="Compare the two runs in detail", icon=ui.ICONS["compare"])
