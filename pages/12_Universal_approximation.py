import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Universal approximation")
st.title("Universal approximation")
st.info("Coming soon.")
