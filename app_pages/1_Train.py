"""Train: set every hyperparameter, press Train, watch the curves grow, read the verdict."""
import streamlit as st

from nnlab.errors import UserError
from nnlab.safe_text import markdown
from nnlab.settings import shown
from nnlab.ui import controls, link, live, network, results
from nnlab.ui.data_cache import load_data
from nnlab.ui.learning_rate import learning_rate_panel
from nnlab.ui.session_keys import PRESET_NOTE, TRAIN_JOB

st.title(":material/model_training: Train")
link.settings_from_link()
config = controls.controls()
link.settings_to_link(config)
preset = st.session_state.get(PRESET_NOTE)
if preset is not None:
    st.info(f"**{preset.title}.** {preset.description} *Look for:* {preset.look_for}")

dataset = None
if config is not None:
    try:
        dataset = load_data(config)
    except UserError as error:
        st.error(markdown(str(error)))
if dataset is not None:
    st.caption(markdown(dataset.summary() + "".join(f" · {note}" for note in dataset.notes)))
    network.network_summary(config, dataset)

job = st.session_state.get(TRAIN_JOB)
busy = job is not None and not job.done
left, right = st.columns([1, 3], vertical_alignment="bottom")
label = right.text_input("Name this run (optional)", key="run_label", placeholder="e.g. dropout 0.3", max_chars=120,
                         help="Shown in the Runs and Compare pages; you can rename it later.")
if left.button("Train", type="primary", width="stretch", disabled=dataset is None or busy,
               help="A run is training: stop it first." if busy else "Train with these settings."):
    try:
        started = live.start(TRAIN_JOB, live.new_job(config, label))
    except UserError as error:
        st.error(markdown(str(error)))
        started = False
    if started:
        st.session_state.pop(PRESET_NOTE, None)
if busy:
    st.caption("This run keeps training while you change settings or visit other pages.")

learning_rate_panel(config, dataset)
live.live_panel(TRAIN_JOB)
job = st.session_state.get(TRAIN_JOB)
if job is not None and job.done:
    changed = config.changes_from(job.config) if config is not None else {}
    if changed:
        st.caption("Results of the run you trained; since then you changed: "
                   + markdown(", ".join(f"{name} {shown(name, old)} → {shown(name, new)}" for name, (old, new) in changed.items())))
    results.results_panel(job)

link.teacher_link_maker(config)
