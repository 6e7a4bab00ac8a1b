"""Loss functions: how squared error and cross-entropy punish a confident wrong answer."""
import streamlit as st

from nnlab.concepts.charts import loss_chart
from nnlab.concepts.losses import binary_cross_entropy, loss_curves, squared_error

st.title(":material/target: Loss functions")
st.markdown("The loss says how wrong one prediction is. Drag the prediction: both losses are 0 when it is "
            "right, but **cross-entropy** grows without bound for a confident wrong answer, while squared "
            "error stops at 1.")
left, right = st.columns(2)
target = left.radio("The true class", [1, 0], horizontal=True)
prediction = right.slider("Predicted probability of class 1", 0.0, 1.0, 0.9, 0.01)
losses = {"squared error": squared_error(prediction, target), "cross-entropy": binary_cross_entropy(prediction, target)}
a, b = st.columns(2)
a.metric("Squared error (ŷ − y)²", f"{losses['squared error']:.4f}")
b.metric("Cross-entropy −[y·ln ŷ + (1 − y)·ln(1 − ŷ)]", f"{losses['cross-entropy']:.4f}")
st.altair_chart(loss_chart(loss_curves(target), prediction, losses), width="stretch")
wrong = 0.99 if target == 0 else 0.01
st.caption(f"A confident mistake (ŷ = {wrong} when the class is {target}): squared error "
           f"{squared_error(wrong, target):.3f}, cross-entropy {binary_cross_entropy(wrong, target):.3f}. "
           "That steep punishment is why cross-entropy usually trains classifiers faster.")
