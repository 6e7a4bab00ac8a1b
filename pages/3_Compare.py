import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Compare")
st.title("Compare")
st.info("Coming soon.")
