"""Activation functions: their shapes, their derivatives, and the vanishing gradient."""
import pandas as pd
import streamlit as st

from nnlab.concepts.activations import FUNCTIONS, curves, gradient_through_layers
from nnlab.concepts.charts import activation_chart
from nnlab.config.run_config import ACTIVATIONS
from nnlab.lessons.presets import PRESETS
from nnlab.ui.navigation import PAGES

st.title(":material/show_chart: Activation functions")
st.markdown("The activation bends a neuron's weighted sum. Training follows the **derivative**: where it is "
            "near zero, the gradient — and with it learning — stalls.")
names = st.multiselect("Activations", list(FUNCTIONS), default=["relu", "sigmoid", "tanh", "gaussian", "linear"])
low, high = st.slider("x from … to", -10.0, 10.0, (-5.0, 5.0), step=0.5)
if names:
    table = curves(names, low, high)
    left, right = st.columns(2)
    left.altair_chart(activation_chart(table, "function"), width="stretch")
    right.altair_chart(activation_chart(table, "derivative"), width="stretch")
    for name in names:
        st.markdown(f"- **{name}** $= {FUNCTIONS[name].formula}$ — {ACTIVATIONS[name]}")

st.subheader("The vanishing gradient of sigmoid")
st.markdown("Backpropagation multiplies one derivative per layer. Sigmoid's derivative is at most 0.25, "
            "so through many sigmoid layers the gradient shrinks towards zero and the first layers hardly learn.")
depth, point = st.columns(2)
layers = depth.slider("Layers", 1, 20, 10)
z = point.slider("Where the neurons sit (x)", -5.0, 5.0, 1.0, 0.5,  # x = 0 is ReLU's kink: an active neuron sits above
                 help="The weighted sum + bias every neuron on the path receives.")
factors = pd.DataFrame({
    "activation": list(FUNCTIONS),
    "derivative at x": [float(FUNCTIONS[n].derivative(z)) for n in FUNCTIONS],
    f"gradient left after {layers} layers": [gradient_through_layers(n, z, layers) for n in FUNCTIONS],
})
st.dataframe(factors, hide_index=True, column_config={
    f"gradient left after {layers} layers": st.column_config.NumberColumn(format="%.3e")})
st.caption(f"At x = {z:g}: sigmoid keeps {gradient_through_layers('sigmoid', z, layers):.2e} of the gradient after "
           f"{layers} layers; ReLU keeps {gradient_through_layers('relu', z, layers):g}"
           + (" — all of it: an active ReLU passes the gradient on unchanged." if z > 0 else
              " — a ReLU neuron at x ≤ 0 is off and passes nothing back (a “dead” neuron); move x above 0."))
st.markdown("See it in a real network: eight layers of sigmoid on the 8×8 digits. Under **Inside the network → "
            "Weights & gradients** the first layer's gradient ends orders of magnitude below the last's; the same "
            "network with ReLU keeps them close.")
for key in ("vanishing", "vanishing_relu"):
    st.page_link(PAGES["train"].path, label=f"Train: {PRESETS[key].title}", icon=":material/play_arrow:",
                 query_params={"preset": key})
