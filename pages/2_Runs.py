import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Runs")
st.title("Runs")
st.info("Coming soon.")
