"""nnlab's Streamlit layer: the only package of nnlab that imports Streamlit (ARCHITECTURE.md).

    navigation  the pages, declared once, in sections (app.py hands them to st.navigation)
    workspace   whose runs and uploads a visitor sees (shared on localhost, private workspaces elsewhere)
    visitor     the visitor cookie (the middleware app.py's st.App installs) and the id pages read back
    data_cache  data sets loaded once per server and shared read-only by every session
    controls    the grouped controls ↔ RunConfig, driven by nnlab.config.settings
    link        the page's link ↔ the controls (a shared link, a lesson)
    live        training jobs on the page: start, poll, progress, live curves, Stop
    live_route  the live route (GET /api/live) app.py's st.App serves: a run's new epochs for its live chart
    results     after training: verdict with remedies, test figures, samples, downloads
    classes     a class: making one, its links, joining, the share tick, the teacher's close and end
    board       a class's board page: charts, leaderboard, sweep, its runs to Compare or Train, the teacher's hide
    seeds       groups of seeds: "Repeat with N seeds", a group's mean ± spread, band and verdict, the words on a difference
    kept_click  a start button whose click survives a run Streamlit cut short (Train, Race, Sweep, Search, Fit)
    network, inside, learning_rate, step_mode, search, session_keys, data_cache: see ARCHITECTURE.md
    (own: downloads, export, lr_finder, poll, streamlit_fixes, live_chart)

Pages import only the submodules named in __all__ (ARCHITECTURE.md, "Layers").
"""
__all__ = ["navigation", "workspace", "visitor", "data_cache", "controls", "link", "live", "live_route", "results", "seeds", "network",
           "inside", "learning_rate", "step_mode", "search", "session_keys", "classes", "board",
           "kept_click"]

from nnlab.ui.streamlit_fixes import keep_keras_state_between_reruns

keep_keras_state_between_reruns()
