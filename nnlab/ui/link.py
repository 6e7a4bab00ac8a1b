"""The page's link ↔ the controls: a shared link carries every setting that differs from the
defaults (`/Train?dataset=spiral&hidden=&epochs=40`), a lesson link names a preset
(`/Train?preset=overfitting`). Links never name server files: an uploaded CSV is `csv=<upload id>`,
looked up in the visitor's own workspace."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from nnlab.config import RunConfig
from nnlab.errors import UserError
from nnlab.presets import PRESETS
from nnlab.safe_text import markdown
from nnlab.ui import workspace
from nnlab.ui.controls import set_controls
from nnlab.ui.session_keys import PRESET_NOTE

NOT_SETTINGS = ("workspace",)  # other parameters pages keep in the link
UPLOAD = "csv"


def settings_from_link() -> None:
    """Fill the controls from the link when it carries settings this session has not written itself."""
    params = {key: st.query_params.get(key) for key in st.query_params if key not in NOT_SETTINGS}
    if not params or params == st.session_state.get("_link_written"):
        return
    preset = params.pop("preset", None)
    if preset is not None:
        if preset in PRESETS:
            set_controls(PRESETS[preset].config)
            st.session_state[PRESET_NOTE] = PRESETS[preset]
        else:
            st.warning(f"There is no lesson called “{markdown(preset[:40])}”; the lessons are: {', '.join(PRESETS)}.")
        return
    problems, base = [], {}
    if "csv_path" in params:
        params.pop("csv_path")
        problems.append("a link cannot name a file on the server: upload your CSV file instead")
    upload = params.pop(UPLOAD, None)
    if upload is not None:
        try:
            base["csv_path"] = str(workspace.uploads().path(upload))
        except UserError:
            problems.append("the CSV file of this link is not in your workspace: upload it again")
    config, more = RunConfig.from_link(params, base)
    set_controls(config)
    problems += more
    if problems:
        st.warning("Some settings in the link could not be used: " + markdown("; ".join(problems)))


def settings_to_link(config: RunConfig | None) -> None:
    """Write every setting that differs from the defaults into the link, so it can be shared."""
    if config is None:
        return
    wanted = config.to_link()
    if config.dataset == "csv" and config.csv_path:
        wanted[UPLOAD] = Path(config.csv_path).stem  # uploads are named by their id
    for key in [key for key in st.query_params if key not in wanted and key not in NOT_SETTINGS]:
        del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    st.session_state["_link_written"] = wanted
