"""Counting parameters: (inputs + 1) × outputs per layer, checked against Keras."""
import streamlit as st

from nnlab.concepts.parameters import count_table, parse_sizes
from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.ui import live

st.title(":material/calculate: Counting parameters")
st.markdown("*How many parameters in this neural network?* Each neuron of a dense layer has one weight per "
            "input and one bias: a layer with n inputs and m neurons has **(n + 1) × m** parameters.")
text = st.text_input("Layer sizes: inputs, hidden layers…, outputs", value="784, 20, 20, 20, 10",
                     help="The course notebook's network is filled in.")
try:
    sizes = parse_sizes(text)
except UserError as error:
    st.error(f"Change the sizes: {markdown(str(error))}")
    live.stop_page()
table = count_table(sizes)
st.dataframe(table, hide_index=True, width="stretch")
total = int(table["parameters"].sum())
st.latex(" + ".join(rf"({a} + 1) \cdot {b}" for a, b in zip(sizes, sizes[1:])) + rf" = {total:,}".replace(",", r"{,}"))
st.metric("Parameters", f"{total:,}")
if st.button("Check with Keras", icon=":material/fact_check:",
             help="Builds this network in Keras and asks it for count_params()."):
    from nnlab.training.model import build_for_shape

    try:
        config = RunConfig(hidden=tuple(sizes[1:-1]))
    except UserError as error:
        st.error(f"nnlab builds hidden layers of up to 2,048 neurons: {markdown(str(error))}")
        live.stop_page()
    with st.spinner("Building the network in Keras…"):
        keras_count = build_for_shape(config, sizes[0], sizes[-1]).count_params()
    (st.success if keras_count == total else st.error)(f"Keras' count_params(): {keras_count:,}"
                                                       + (" — the same." if keras_count == total else " — different!"))
