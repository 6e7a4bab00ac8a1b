import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Gradient descent")
st.title("Gradient descent")
st.info("Coming soon.")
