"""Backpropagation, worked by hand: one training pair, one weight, one bias."""
import pandas as pd
import streamlit as st

from nnlab.concepts.backprop import steps
from nnlab.concepts.charts import line

st.title(":material/undo: Backpropagation, worked")
st.markdown("The lecture's example: one training pair (x, y), the prediction ŷ = w·x + b, the loss (ŷ − y)². "
            "The chain rule gives each parameter's gradient; gradient descent moves it a little against it.")
cols = st.columns(5)
x = cols[0].number_input("x", value=2.1, step=0.1, format="%g")
y = cols[1].number_input("y (target)", value=4.0, step=0.1, format="%g")
w = cols[2].number_input("w", value=1.0, step=0.1, format="%g")
b = cols[3].number_input("b", value=0.0, step=0.1, format="%g")
rate = cols[4].number_input("learning rate", value=0.01, step=0.005, format="%g")

first = steps(x, y, w, b, rate, 1)[0]
st.subheader("1. Forward pass")
st.latex(rf"\hat y = w x + b = {w:g} \cdot {x:g} + {b:g} = {first.prediction:.6g}")
st.latex(rf"\text{{loss}} = (\hat y - y)^2 = ({first.prediction:.6g} - {y:g})^2 = {first.loss:.6g}")
st.subheader("2. Backward pass (chain rule)")
st.latex(rf"\frac{{\partial\,\text{{loss}}}}{{\partial \hat y}} = 2(\hat y - y) = {first.dloss_dprediction:.6g}")
st.latex(rf"\frac{{\partial\,\text{{loss}}}}{{\partial w}} = \frac{{\partial\,\text{{loss}}}}{{\partial \hat y}}"
         rf"\cdot \frac{{\partial \hat y}}{{\partial w}} = {first.dloss_dprediction:.6g} \cdot {x:g} = {first.dloss_dw:.6g}")
st.latex(rf"\frac{{\partial\,\text{{loss}}}}{{\partial b}} = \frac{{\partial\,\text{{loss}}}}{{\partial \hat y}}"
         rf"\cdot 1 = {first.dloss_db:.6g}")
st.subheader("3. Update")
st.latex(rf"w \leftarrow {w:g} - {rate:g} \cdot ({first.dloss_dw:.6g}) = {first.new_w:.6g}, \qquad "
         rf"b \leftarrow {b:g} - {rate:g} \cdot ({first.dloss_db:.6g}) = {first.new_b:.6g}")
st.subheader("4. The loss again")
st.latex(rf"\hat y = {first.new_w:.6g} \cdot {x:g} + {first.new_b:.6g} = {first.new_w * x + first.new_b:.6g}, \qquad "
         rf"\text{{loss}} = {first.new_loss:.4g}")
st.success(f"The loss fell from {first.loss:.4g} to {first.new_loss:.3g}: a decrease of {first.decrease:.2f}.")

st.subheader("Further steps")
count = st.slider("Steps", 1, 200, 20)
table = pd.DataFrame([{"step": i + 1, "w": s.w, "b": s.b, "prediction": s.prediction, "loss": s.loss,
                       "∂loss/∂w": s.dloss_dw, "∂loss/∂b": s.dloss_db} for i, s in enumerate(steps(x, y, w, b, rate, count))])
st.altair_chart(line(table, "step", "loss", "loss before the step"), width="stretch")
st.dataframe(table, hide_index=True)
