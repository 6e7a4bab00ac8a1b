"""Train: set every hyperparameter, press Train, watch the curves grow, read the verdict."""
import streamlit as st

from nnlab import dashboard as ui
from nnlab.errors import UserError

ui.page_setup("Train")
st.title(":material/model_training: Train")
ui.settings_from_link()
config = ui.controls()
ui.settings_to_link(config)
preset = st.session_state.get("preset_note")
if preset is not None:
    st.info(f"**{preset.title}.** {preset.description} *Look for:* {preset.look_for}")

dataset = None
if config is not None:
    try:
        dataset = ui.load_data(config)
    except UserError as error:
        st.error(f"{error}")
if dataset is not None:
    st.caption(dataset.summary() + "".join(f" · {note}" for note in dataset.notes))
    ui.network_summary(config, dataset)

job = st.session_state.get("train_job")
busy = job is not None and not job.done
left, right = st.columns([1, 3], vertical_alignment="bottom")
label = right.text_input("Name this run (optional)", key="run_label", placeholder="e.g. dropout 0.3",
                         help="Shown in the Runs and Compare pages; you can rename it later.")
if left.button("Train", type="primary", width="stretch", disabled=dataset is None or busy,
               help="A run is training: stop it first." if busy else "Train with these settings."):
    st.session_state.pop("preset_note", None)
    job = ui.start_job("train_job", config, label)
if busy:
    st.caption("This run keeps training while you change settings or visit other pages.")

ui.live_panel("train_job")
job = st.session_state.get("train_job")
if job is not None and job.done:
    changed = config.changes_from(job.config) if config is not None else {}
    if changed:
        st.caption("Results of the run you trained; since then you changed: "
                   + ", ".join(f"{name} {old!r} → {new!r}" for name, (old, new) in changed.items()))
    ui.results_panel(job)
