import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Race")
st.title("Race")
st.info("Coming soon.")
