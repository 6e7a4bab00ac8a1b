import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Backpropagation")
st.title("Backpropagation")
st.info("Coming soon.")
