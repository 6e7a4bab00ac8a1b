"""One neuron: inputs times weights, plus the bias, through the activation."""
import pandas as pd
import streamlit as st

from nnlab.concepts.activations import FUNCTIONS
from nnlab.concepts.neuron import layers_stay_linear, neuron

st.title(":material/radio_button_checked: One neuron")
st.markdown("A neuron multiplies each input by its **weight**, adds them up, adds its **bias**, and passes the "
            "sum through its **activation function**. The lecture's quiz is filled in: x = (1, 3), w₁ = 1, w₂ = 3, "
            "b₁ = 1, ReLU.")

count = st.slider("Inputs", 1, 4, 2)
lecture = {"x": [1.0, 3.0, 2.0, -1.0], "w": [1.0, 3.0, 0.5, 0.5]}
columns = st.columns(count)
xs = [columns[i].number_input(f"x{i + 1}", value=lecture["x"][i], step=0.5, key=f"x{i}") for i in range(count)]
ws = [columns[i].number_input(f"w{i + 1}", value=lecture["w"][i], step=0.5, key=f"w{i}") for i in range(count)]
left, right = st.columns(2)
bias = left.number_input("Bias b₁", value=1.0, step=0.5)
activation = right.selectbox("Activation", list(FUNCTIONS), index=0)
result = neuron(xs, ws, bias, activation)

dot = "digraph { rankdir=LR; node [shape=circle, fontname=Helvetica];\n"
dot += "".join(f'x{i} [label="x{i + 1} = {x:g}", shape=box];\n' for i, x in enumerate(xs))
dot += f'n [label="Σ + b = {result.z:g}\\n{activation} → {result.output:.4g}", shape=circle, width=1.8];\n'
dot += f'out [label="{result.output:.4g}", shape=box];\n'
dot += "".join(f'x{i} -> n [label="w{i + 1} = {w:g}"];\n' for i, w in enumerate(ws)) + "n -> out; }"
st.graphviz_chart(dot)

terms = " + ".join(f"{x:g} \\cdot {w:g}" for x, w in zip(xs, ws))
st.latex(rf"\underbrace{{{terms}}}_{{\text{{weighted sum}} \,=\, {result.weighted_sum:g}}} "
         rf"+ \underbrace{{{bias:g}}}_{{\text{{bias}}}} = {result.z:g}")
st.latex(rf"\text{{{activation}}}({result.z:g}) = {result.output:.6g}")
st.metric("The neuron's output", f"{result.output:.6g}")

st.subheader("Why an activation is needed")
st.markdown("Without an activation, two neurons in a row are still one straight line: "
            "w₂·(w₁·x + b₁) + b₂ = (w₂·w₁)·x + (w₂·b₁ + b₂). Stacking linear layers adds no power; the "
            "activation's bend is what lets a network draw curves.")
a, b, c, d = st.columns(4)
w1, b1 = a.number_input("w₁ ", value=2.0), b.number_input("b₁ ", value=-1.0)
w2, b2 = c.number_input("w₂", value=-1.5), d.number_input("b₂", value=0.5)
slope, intercept = layers_stay_linear(w1, b1, w2, b2)
st.latex(rf"{w2:g}\cdot({w1:g}x {b1:+g}) {b2:+g} = {slope:g}x {intercept:+g}")
grid = pd.DataFrame({"x": [i / 10 for i in range(-30, 31)]})
grid["no activation"] = w2 * (w1 * grid["x"] + b1) + b2
grid["ReLU in between"] = w2 * FUNCTIONS["relu"].f(w1 * grid["x"] + b1) + b2
st.line_chart(grid, x="x", y=["no activation", "ReLU in between"])
st.caption("The straight line is all two linear neurons can ever be; with ReLU between them the line bends.")
