import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Sweep")
st.title("Sweep")
st.info("Coming soon.")
