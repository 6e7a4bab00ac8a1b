"""Softmax: numbers in, probabilities out; and the two ways to write a class."""
import pandas as pd
import streamlit as st

from nnlab.concepts.charts import bars
from nnlab.concepts.softmax import encodings, softmax
from nnlab.config.settings import split_values
from nnlab.ui import live

st.title(":material/bar_chart: Softmax and encodings")
st.markdown("The output layer's softmax turns any numbers (logits) into probabilities: take e to the power "
            "of each, add them up to T, divide each by T. They add up to 1, and the larger number stays larger.")
text = st.text_input("Numbers (logits), separated by commas", value="2.0, 1.0, 0.1")
try:
    logits = [float(part) for part in split_values(text)]
    if not logits:
        raise ValueError
except ValueError:
    st.error("Type numbers separated by commas, e.g. 2.0, 1.0, 0.1")
    live.stop_page()
steps = softmax(logits)
table = pd.DataFrame({"a": steps.logits, "e^a": steps.exps, "e^a / T": steps.probabilities})
st.dataframe(table, hide_index=True, column_config={"e^a / T": st.column_config.NumberColumn(format="%.4f"),
                                                     "e^a": st.column_config.NumberColumn(format="%.4f")})
st.latex(rf"T = {' + '.join(f'e^{{{a:g}}}' for a in steps.logits)} = {steps.total:.6g}")
st.markdown(f"The probabilities add up to **{sum(steps.probabilities):.6f}**. "
            + ("The order is kept: larger numbers get larger probabilities."
               if sorted(range(len(logits)), key=lambda i: logits[i]) ==
               sorted(range(len(logits)), key=lambda i: steps.probabilities[i]) else ""))
st.altair_chart(bars(table.assign(number=[f"a = {a:g}" for a in steps.logits]), "number", "e^a / T", percent=True),
                width="stretch")

st.subheader("One-hot or label encoding")
st.markdown("A class is given to the network either as a **label** (a number) or **one-hot** (a vector with a 1 "
            "in the class's place). Labels suggest an order that classes do not have; one-hot matches softmax's "
            "one output per class.")
classes = split_values(st.text_input("Classes", value="cat, dog, bird"))
if len(classes) >= 2:
    st.dataframe(encodings(classes), hide_index=True)
