"""Whose runs and uploads a visitor sees: one shared store on localhost, a private workspace per
visitor on a deployment (its name rides in every page's link). README: "Where runs are kept"."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import streamlit as st

from nnlab import environment
from nnlab.runs import RunStore
from nnlab.uploads import FOLDER as UPLOAD_FOLDER, UploadStore

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{5,39}$")
# Uploads not used for this long go away (a new upload clears them out); runs that named them say so.
UPLOAD_KEEP_SECONDS = environment.number("NNLAB_UPLOAD_DAYS", 30, inclusive=False, what="a number of days above 0") * 86_400


def runs_mode() -> str:
    """'shared' (one store for everyone) or 'private' (one per visitor). NNLAB_RUNS=auto, the
    default, shares only when the app is opened on this computer (localhost): on a deployment,
    visitors never see each other's runs unless NNLAB_RUNS=shared opts in."""
    mode = os.environ.get("NNLAB_RUNS", "auto").lower()
    if mode in ("shared", "private"):
        return mode
    host = st.context.headers.get("Host") or "localhost"
    host = host[1:host.find("]")] if host.startswith("[") else host.split(":")[0]  # "[::1]:8501", "localhost:8501"
    return "shared" if host in ("localhost", "127.0.0.1", "::1") else "private"


def runs_root() -> Path:
    return Path(os.environ.get("NNLAB_RUNS_DIR", ROOT / "runs"))


def sidebar() -> None:
    """In private mode a workspace name keys the visitor's store and rides in every page's link:
    bookmark the link to come back to the runs, share it to show them; nobody can list other
    workspaces (names are 48 random bits)."""
    if runs_mode() == "shared":
        st.sidebar.caption("Runs are kept on this computer, shared by every tab.")
        return
    if "workspace" not in st.session_state:
        linked = str(st.query_params.get("workspace", "")).strip().lower()
        st.session_state["workspace"] = linked if _NAME.match(linked) else secrets.token_hex(6)
    st.sidebar.text_input(
        "Workspace", key="workspace", persist_state="session",  # the same on every page
        help="Your runs are kept under this name, private to you. It is part of every page's link: "
             "bookmark the link to come back to your runs, or share it to show them.",
    )
    name = _name()
    if name:
        if st.query_params.get("workspace") != name:
            st.query_params["workspace"] = name
    else:
        st.sidebar.error("A workspace name has 6–40 lower-case letters, digits or dashes.")


def _name() -> str | None:
    name = str(st.session_state.get("workspace") or "").strip().lower()
    return name if _NAME.match(name) else None


def folder() -> Path:
    """This visitor's folder of runs and uploads."""
    if runs_mode() == "shared":
        return runs_root() / "shared"
    name = _name() or st.session_state.setdefault("workspace_fallback", secrets.token_hex(6))  # no valid name yet
    return runs_root() / "workspaces" / name


def store() -> RunStore:
    return RunStore(folder())


def uploads() -> UploadStore:
    return UploadStore(folder() / UPLOAD_FOLDER)


def readable_folder() -> Path | None:
    """Where this visitor's CSV files may be read from: anywhere on this computer (localhost),
    only their own uploads on a deployment."""
    return None if runs_mode() == "shared" else uploads().root


def visitor() -> str:
    """Who asks for training, for the fair queue: the workspace, or the browser tab on localhost."""
    if runs_mode() == "private":
        return f"workspace:{folder().name}"
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx else 'local'}"
