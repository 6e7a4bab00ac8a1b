import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Counting parameters")
st.title("Counting parameters")
st.info("Coming soon.")
