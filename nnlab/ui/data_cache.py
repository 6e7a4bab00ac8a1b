"""Data sets loaded once per server and shared, read-only, by every session and every run
(nnlab/data/cache.py: derived sets share their base's arrays; what nobody uses is bounded in bytes)."""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import Dataset
from nnlab.data.cache import DATA_CACHE


def load_data(config: RunConfig) -> Dataset:
    """The split, scaled data set for a config: one copy in memory whatever number of runs use it.
    Also called from job threads, which must never call Streamlit: the spinner is the page's only."""
    if DATA_CACHE.cached(config) or get_script_run_ctx(suppress_warning=True) is None:
        return DATA_CACHE.load(config)
    with st.spinner("Loading the data…"):
        return DATA_CACHE.load(config)
