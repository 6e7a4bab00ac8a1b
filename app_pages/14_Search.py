"""Search: several knobs at once; Optuna picks each next trial and cuts the hopeless ones early."""
import streamlit as st

from nnlab.ui import controls, link, navigation, search

st.title(":material/travel_explore: Search")
st.markdown("Let the machine try the settings: pick the knobs and their ranges, a budget, and press **Search**. "
            "Each trial is a run (kept in Runs, labelled with its study and trial number); trials that trail the "
            "earlier ones are **pruned** after a few epochs to leave time for better ones. At the end: which knobs "
            "mattered, where the good settings are, and the best trial to open in Train.")
navigation.link("sweep", "One knob over a list of values? The Sweep page is the simple case.")
link.settings_from_link()
base = controls.controls()
link.settings_to_link(base)

plan, name = search.plan_controls(base)
search.start_button(plan, name)
search.live_panel()
search.results()
