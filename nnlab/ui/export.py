"""The run as plain Keras, to take to Colab or Jupyter: a Python script and a notebook (nnlab/export/keras_script.py)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from nnlab.export import keras_script as keras_export
from nnlab.core.errors import UserError
from nnlab.ui import workspace


def keras_downloads(result, stem: str) -> None:
    """Buttons for the run as a Python script and as a Jupyter notebook, named `stem`.py / .ipynb."""
    config = result.config
    csv_name = ""
    if config.dataset == "csv":  # the file as the visitor named it, not the server's copy
        try:
            csv_name = workspace.uploads().get(Path(config.csv_path).stem).name
        except (UserError, OSError):
            csv_name = ""  # an upload since deleted: the export names the server copy's file alone
    args = (config, result.task, csv_name, result.history)
    left, right = st.columns(2)
    left.download_button("Keras script (.py)", lambda: keras_export.script(*args), f"{stem}.py", "text/x-python",
                         on_click="ignore", width="stretch", icon=":material/code:")
    right.download_button("Jupyter notebook (.ipynb)", lambda: keras_export.notebook(*args), f"{stem}.ipynb",
                          "application/x-ipynb+json", on_click="ignore", width="stretch", icon=":material/description:")
    st.caption("The same data, network and settings in plain Keras (`keras.Sequential`, `model.fit`), to continue "
               "in Colab or Jupyter. `model.fit` draws its own batch order, so expect the result within a point or so."
               + (" Put your CSV file beside it." if config.dataset == "csv" else ""))
