import streamlit as st

from nnlab import dashboard as ui

ui.page_setup("Softmax")
st.title("Softmax")
st.info("Coming soon.")
