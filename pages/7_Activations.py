import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Activations")
st.title("Activations")
st.info("Coming soon.")
