"""nnlab's entry point: `streamlit run app.py`. Every page runs through here (st.navigation): the
tab, the menu in sections, the visitor's workspace, and the visitor's runs kept alive.

It must render at once: nothing here imports TensorFlow.
"""
import streamlit as st

from nnlab.ui import live, navigation, workspace

page = navigation.navigation()
st.set_page_config(page_title=f"{page.title} · nnlab", page_icon=":material/neurology:", layout="wide")
workspace.sidebar()
live.touch_session_jobs()
live.running_sidebar()
page.run()
