import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Loss functions")
st.title("Loss functions")
st.info("Coming soon.")
