"""Data sets loaded once per server and shared, read-only, by every session and every run."""
from __future__ import annotations

import streamlit as st

from nnlab.config import RunConfig
from nnlab.data import DATA_FIELDS, Dataset, data_key, load_dataset


@st.cache_resource(max_entries=4, show_spinner="Loading the data…")
def _cached(key: tuple) -> Dataset:
    return load_dataset(RunConfig(**dict(zip(DATA_FIELDS, key))))


def load_data(config: RunConfig) -> Dataset:
    """The split, scaled data set for a config: one copy in memory whatever number of runs use it."""
    return _cached(data_key(config))
