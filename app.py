"""nnlab home page."""
import streamlit as st

st.set_page_config(page_title="nnlab", page_icon="🧠", layout="wide")
st.title("nnlab")
st.write("A lab for learning how neural-network hyperparameters shape training.")
