"""Train: set every hyperparameter, press Train, watch the curves grow, read the verdict."""
import streamlit as st

from nnlab.core.errors import UserError
from nnlab.store.names import run_name
from nnlab.core.safe_text import markdown
from nnlab.config.settings import shown
from nnlab.ui import classes as class_ui, controls, link, live, network, results, seeds
from nnlab.ui.data_cache import load_data
from nnlab.ui.inside import inside_panel
from nnlab.ui.learning_rate import learning_rate_panel
from nnlab.ui.session_keys import PRESET_NOTE, TRAIN_JOB, TRAIN_SEED_COUNT, TRAIN_SEEDS
from nnlab.ui.step_mode import start_paused_toggle
from nnlab.ui.kept_click import kept_button

SETTINGS_OPEN, FOLDED_FOR, LIVE_RUN = "train_settings_open", "_train_settings_folded_for", "live_run"
RETURNED_TO = "_train_returned_to"  # the run a new session found training (shown with a word on where it came from)

st.title(":material/model_training: Train")
link.settings_from_link()
returning = live.returning_run(TRAIN_JOB)  # a run of this visitor's that a closed or reloaded tab left training
if returning is None:
    returning = seeds.returning_group(TRAIN_SEEDS)  # … or a group of seeds
if returning is not None:
    st.session_state[RETURNED_TO] = live.jobs_of(returning)[0].serial
job = st.session_state.get(TRAIN_JOB)
group = st.session_state.get(TRAIN_SEEDS)  # a group of seeds (Repeat with N seeds), instead of one run
busy = (job is not None and not job.done) or (group is not None and not group.done)
# The button and the settings in the page itself, above the results: on a phone the sidebar would
# cover them, on a laptop the settings are seen without scrolling. Once a run trains they fold (once:
# the visitor may open them again) and the page scrolls to its curves, on a laptop and a projector.
serial = (group.jobs[0] if group is not None and not group.done else job).serial if busy else None
arrived = busy and st.session_state.get(FOLDED_FOR) != serial
if arrived:
    st.session_state[SETTINGS_OPEN], st.session_state[FOLDED_FOR] = False, serial
st.session_state.setdefault(SETTINGS_OPEN, job is None and group is None)
if job is None and group is None:
    st.info("**Start here:** pick a data set and a network in the settings below (or a lesson on the Home page), "
            "then press **Train**. The loss and accuracy curves grow below the settings epoch by epoch, then a "
            "verdict says what they show and what to try next.", icon=":material/flag:")
train_row = st.container()
with st.expander("Settings", key=SETTINGS_OPEN, on_change="rerun", icon=":material/tune:"):
    config = controls.controls(container=st.container(), columns=True)
link.settings_to_link(config)

preset = st.session_state.get(PRESET_NOTE)
if preset is not None and preset.config.dataset in (getattr(config, "dataset", None), getattr(job, "config", config).dataset):
    # the lesson's banner stays through its run (what to look for is needed most then), until its data set is left
    st.info(f"**{preset.title}.** {preset.description} *Look for:* {preset.look_for}", icon=":material/school:")

dataset = None
if config is not None:
    try:
        dataset = load_data(config)
    except UserError as error:
        st.error(markdown(str(error)))
if dataset is not None:
    network.network_summary(config, dataset)
    st.caption(markdown(dataset.summary() + "".join(f" · {note}" for note in dataset.notes)))

left, middle, right = train_row.columns([1, 1, 2], vertical_alignment="bottom")
count = seeds.seeds_control(middle, TRAIN_SEED_COUNT)
label = right.text_input("Name this run (optional)", key="run_label", max_chars=120,
                         placeholder=run_name(config) if config is not None else "",
                         help="Shown in the Runs and Compare pages; you can rename it later. "
                              "Left empty, the run is named by what makes it different.")
paused = start_paused_toggle(train_row)
class_tag = class_ui.next_run_tick(train_row)  # a student of a class: share this run with it, or not
if kept_button("Train", "train_start", left, type="primary", width="stretch", disabled=dataset is None or busy,
                help="A run is training: stop it first." if busy else "Train with these settings."):
    with train_row:  # why it cannot start, under the button (below the open settings it would be out of sight)
        try:
            if count > 1:  # one request for the group: its runs take turns in one slot
                started = live.start(TRAIN_SEEDS, seeds.new_group_job(config, count, label, class_tag))
                if started:
                    st.session_state.pop(TRAIN_JOB, None)
            else:
                job = live.new_job(config, label, extra=class_tag)
                if paused:
                    job.pause()  # step mode from the first batch
                started = live.start(TRAIN_JOB, job)
                if started:
                    st.session_state.pop(TRAIN_SEEDS, None)
        except UserError as error:
            st.error(markdown(str(error)))
        else:
            if started:
                st.rerun()  # drawn again with the settings folded and the curves in view
if busy:
    train_row.caption("This run keeps training while you change settings or visit other pages.")
elif count > 1 and paused:
    train_row.caption("Step mode is for one run: a group of seeds trains at full speed.")

learning_rate_panel(config, dataset)
with st.container(key=LIVE_RUN):
    back = group if group is not None and not group.done else job
    if busy and st.session_state.get(RETURNED_TO) == live.jobs_of(back)[0].serial:
        st.info(f"**A {'group of seeds' if back is group else 'run'} of yours is training:** "
                f"{markdown(back.label or run_name(back.config))}, started before this page was opened. Watch it here; "
                "**Stop** ends it, its epochs kept.", icon=":material/replay:")
    live.live_panel(TRAIN_JOB)
    if group is not None and not group.done:  # once done, the group's results below draw its runs together
        live.several_jobs_panel(TRAIN_SEEDS)
    if arrived:
        live.scroll_to(LIVE_RUN)
inside_panel(TRAIN_JOB)
job = st.session_state.get(TRAIN_JOB)
if job is not None and job.done:
    changed = config.changes_from(job.config) if config is not None else {}
    if changed:
        st.caption("Results of the run you trained; since then you changed: "
                   + markdown(", ".join(f"{name} {shown(name, old)} → {shown(name, new)}" for name, (old, new) in changed.items())))
    results.results_panel(job)
    class_ui.share_ticks(job.run_id)
group = st.session_state.get(TRAIN_SEEDS)
if group is not None and group.done:
    st.subheader(f"{len(group.jobs)} seeds of the same settings")
    seeds.failed_runs(group.jobs)
    seeds.group_results(seeds.Seeds.of_jobs(group.jobs, group.label, group.config), key="train_")

link.teacher_link_maker(config)
