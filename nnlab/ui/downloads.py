"""A finished run's files to take home: its history, its settings and its model, each named after
the run ('mnist-784-128-adam-1e-3-20261126-0102-history.csv'), so that downloads do not collide."""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import streamlit as st

from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import dataset_info
from nnlab.store.names import file_stem
from nnlab.core.safe_text import spreadsheet_csv
from nnlab.ui import workspace
from nnlab.ui.export import keras_downloads

SYNTHETIC_ONLY = ("noise", "samples")  # generated data sets' settings
CSV_ONLY = ("target", "task")
NEVER = ("csv_path",)  # a server path: the file goes by its name in the run, never its folders


def settings_that_apply(config: RunConfig) -> dict:
    """The run's settings without those its data set ignores (noise for MNIST, a target without a
    CSV file, a test share for a set with its own test split) and without server paths."""
    info = dataset_info(config.dataset)
    skip = set(NEVER)
    if info.kind != "synthetic":
        skip.update(SYNTHETIC_ONLY)
    if config.dataset != "csv":
        skip.update(CSV_ONLY)
    if info.test_split:
        skip.add("test_fraction")
    return {name: value for name, value in config.to_dict().items() if name not in skip}


def downloads(job) -> None:
    """Buttons for the run's history (CSV), settings (JSON) and model (.keras)."""
    result = job.result
    stem = file_stem(result.config, datetime.fromtimestamp(job.started) if job.started else datetime.now())
    cols = st.columns(3)
    cols[0].download_button("History (CSV)", spreadsheet_csv(pd.DataFrame(result.history)),
                            f"{stem}-history.csv", "text/csv", on_click="ignore", width="stretch")
    cols[1].download_button("Settings (JSON)", json.dumps(settings_that_apply(result.config), indent=2),
                            f"{stem}-settings.json", "application/json", on_click="ignore", width="stretch")
    store = workspace.store() if job.run_id else None
    if store is not None and store.has_model(job.run_id):  # read from the database only when downloaded
        cols[2].download_button("Model (.keras)", lambda: store.model_bytes(job.run_id), f"{stem}.keras",
                                "application/octet-stream",
                                on_click="ignore", width="stretch")
    st.caption("Load the model with `keras.models.load_model('…keras')` after `import nnlab.training.model` "
               "(which registers the Gaussian activation).")
    keras_downloads(result, stem)
