"""nnlab's home page: what it is, the lessons to start from, and the way to every page.

It must render at once: nothing here imports TensorFlow.
"""
import streamlit as st

from nnlab.presets import PRESETS
from nnlab.ui import navigation

st.title(":material/neurology: nnlab")
st.markdown(
    "A lab for learning how a neural network's **hyperparameters** shape its training. Move the "
    "sliders — hidden layers, neurons, activation, loss, optimizer, learning rate, batch size, "
    "epochs, dropout — press **Train**, and watch the training and validation curves grow epoch by "
    "epoch until they show **overfitting** or **underfitting** by themselves. Then read the verdict "
    "in plain words, try the suggested remedy and compare the two runs. Real Keras, real data."
)
st.subheader("Start from a lesson")
columns = st.columns(len(PRESETS))
for column, preset in zip(columns, PRESETS.values()):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{preset.title}**")
        st.caption(preset.description)
        st.markdown(f"*Look for:* {preset.look_for}")
        st.page_link(navigation.PAGES["train"].path, label="Open in Train", icon=":material/play_arrow:",
                     query_params={"preset": preset.key})
st.caption("Teachers: a link such as `…/Train?preset=overfitting` opens a lesson for the whole class; "
           "the Train page's own link carries every setting.")

for column, (section, pages) in zip(st.columns(2), navigation.SECTIONS.items()):
    column.subheader("The lab" if section == "Lab" else section)
    for page in pages:
        navigation.link(page.key, f"**{page.title}** — {page.summary}" if page.summary else page.title, column)
