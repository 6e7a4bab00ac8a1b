"""Universal approximation: one hidden layer of N neurons fits a curve — more neurons, closer fit."""
import numpy as np
import pandas as pd
import streamlit as st

from nnlab.concepts.approximation import approximation_config, fit_error, fitted_curve
from nnlab.concepts.charts import fit_chart
from nnlab.serving.jobs import TrainingJob
from nnlab.core.safe_text import markdown
from nnlab.data.synthetic import CURVES
from nnlab.ui import live, workspace
from nnlab.ui.data_cache import load_data
from nnlab.ui.session_keys import APPROXIMATION
from nnlab.ui.kept_click import kept_button

st.title(":material/extension: Universal approximation")
st.markdown("One hidden layer with enough neurons can approximate any reasonable function. Pick a curve and a "
            "number of neurons, press **Fit**, and watch the real network (Keras, Adam) bend towards it — "
            "then try more neurons.")
cols = st.columns(4)
curve = cols[0].selectbox("Function", list(CURVES), format_func=lambda n: CURVES[n][0])
neurons = cols[1].select_slider("Neurons in the hidden layer", [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256], value=8)
activation = cols[2].selectbox("Activation", ["relu", "tanh", "sigmoid", "gaussian"])
epochs = cols[3].slider("Epochs", 20, 500, 150, 10)
config = approximation_config(curve, neurons, activation, epochs)
job = st.session_state.get(APPROXIMATION)
if kept_button("Fit", "fit_start", type="primary", icon=":material/play_arrow:",
                disabled=job is not None and not job.done):
    live.start(APPROXIMATION, TrainingJob(config, load_data, keep_model=False, snapshot=fitted_curve,
                                          owner=workspace.visitor()))
dataset = load_data(config)
points = pd.DataFrame({"x": dataset.scaler.inverse_transform(dataset.x_train)[:, 0],
                       "y": dataset.to_original_target(dataset.y_train)})
grid = np.linspace(-3, 3, 200)
target = pd.DataFrame({"x": grid, "y": CURVES[curve][1](grid)})


def draw(job) -> None:
    shown = job if job is not None and job.config.dataset == curve else None
    fit = shown.snapshot if shown is not None else None
    if shown is not None:
        st.progress(live.fraction(shown),
                    text=f"{shown.config.hidden[0]} {shown.config.activation} neurons · {live.status_line(shown)}")
        if shown.status == "failed":
            st.error(markdown(shown.message))
    st.altair_chart(fit_chart(points, target, fit), width="stretch")
    if fit is not None:
        st.metric("Average distance between the fit and the curve", f"{fit_error(fit, CURVES[curve][1]):.4f}")
    st.caption("Grey: the noisy training points. Blue dashes: the true curve. Orange: what the network computes.")


live.live_fit_panel(APPROXIMATION, curve, points, target, draw)
