"""nnlab's entry point: `streamlit run app.py`. Every page runs through here (st.navigation): the
tab, the menu in sections, the visitor's workspace, and the visitor's runs kept alive.

Streamlit reads this file twice. `streamlit run` finds `app` below and serves it (st.App, on
Starlette) with the visitor cookie's middleware (nnlab/ui/visitor.py); then each page run executes
this file as `__main__`, the script. It must render at once: nothing here imports TensorFlow.

Both read the deployer's settings first (nnlab/core/deployment.py): a bad NNLAB_* value stops the
server's start with a message naming each bad variable, and a page run says it instead of a traceback.
"""
from pathlib import Path

import streamlit as st

from nnlab.core import deployment

if __name__ == "__main__":  # a page run (AppTest too)
    try:
        deployment.current()
    except deployment.DeploymentError as error:
        st.error("This server's settings need a change before it can be used:\n\n"
                 + "\n".join(f"- {problem}" for problem in error.problems))
        st.stop()
    from nnlab.store.database import StoreUnavailable
    from nnlab.ui import live, navigation, workspace

    page = navigation.navigation()
    ICON = Path(__file__).parent / "assets" / "icon.png"  # a local file: a Material or emoji icon is fetched from the internet
    # The class board is projected: its sidebar starts folded, leaving the room to the board.
    st.set_page_config(page_title=f"{page.title} · nnlab", page_icon=str(ICON), layout="wide",
                       initial_sidebar_state="collapsed" if page.url_path == navigation.PAGES["board"].url else "auto")
    workspace.sidebar()
    live.touch_session_jobs()
    try:
        page.run()
    except StoreUnavailable as error:  # the database went away under a page: say so, keep the page usable
        workspace.forget_store(error)
        st.error(workspace.store_problem() or str(error))
    # After the page, so a run whose live chart the page mounted gets no sidebar poll (ui/live.py). Not in a
    # `finally`: on st.rerun() the page's run ends by RerunException, and a fragment drawn then reaches the
    # browser as the next run starts (two journeys lost their page's answer to it); st.stop() draws nothing after.
    live.running_sidebar()
else:  # `streamlit run app.py` (or `uvicorn app:app`): the server, with every browser's visitor cookie
    import sys

    from starlette.middleware import Middleware

    try:
        deployment.current()
    except deployment.DeploymentError as error:  # stop the start, naming each bad variable
        sys.exit("nnlab cannot start: " + "; ".join(error.problems))

    from nnlab.ui import live_route
    from nnlab.ui.visitor import VisitorCookie

    # The live route (GET /api/live): the browser fetches a training run's new epochs itself (ui/live_chart.py).
    app = st.App(__file__, middleware=[Middleware(VisitorCookie)], routes=live_route.routes())
