"""nnlab's entry point: `streamlit run app.py`. Every page runs through here (st.navigation): the
tab, the menu in sections, the visitor's workspace, and the visitor's runs kept alive.

It must render at once: nothing here imports TensorFlow.
"""
from pathlib import Path

import streamlit as st

from nnlab.database import StoreUnavailable
from nnlab.ui import live, navigation, workspace

page = navigation.navigation()
ICON = Path(__file__).parent / "assets" / "icon.png"  # a local file: a Material or emoji icon is fetched from the internet
st.set_page_config(page_title=f"{page.title} · nnlab", page_icon=str(ICON), layout="wide")
workspace.sidebar()
live.touch_session_jobs()
live.running_sidebar()
try:
    page.run()
except StoreUnavailable as error:  # the database went away under a page: say so, keep the page usable
    workspace.forget_store(error)
    st.error(workspace.store_problem() or str(error))
