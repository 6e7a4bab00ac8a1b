import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("One neuron")
st.title("One neuron")
st.info("Coming soon.")
