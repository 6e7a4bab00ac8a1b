"""Whose runs and uploads a visitor sees: one shared store on localhost, a private workspace per
visitor on a deployment (its name rides in every page's link). README: "Where runs are kept"."""
from __future__ import annotations

import logging
import os
import re
import secrets
import time
from pathlib import Path

import streamlit as st

from nnlab import database, environment
from nnlab.database import StoreUnavailable
from nnlab.run_import import import_once, old_folder
from nnlab.runs import SHARED, RunStore
from nnlab.uploads import FOLDER as UPLOAD_FOLDER, UploadStore

log = logging.getLogger(__name__)
RETRY_SECONDS = 30  # after the database failed, pages train unsaved this long before trying it again
_FAILED: dict[str, tuple[float, str]] = {}  # database URL → (when it failed, the message)
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
    # Both the name asked for and the connection must be this computer's: a Host header alone is the
    # visitor's to write. (Behind a proxy on the same machine both look local: set NNLAB_RUNS=private.)
    local = host in ("localhost", "127.0.0.1", "::1") and st.context.ip_address is None
    return "shared" if local else "private"


def runs_root() -> Path:
    return database.runs_dir()


def sidebar() -> None:
    """In private mode a workspace name keys the visitor's store and rides in every page's link:
    bookmark the link to come back to the runs, share it to show them; nobody can list other
    workspaces (names are 48 random bits)."""
    if store() is None:
        st.sidebar.warning(store_problem(), icon=":material/cloud_off:")
    if runs_mode() == "shared":
        st.sidebar.caption("Runs are kept on this computer, shared by every tab.")
        return
    if "workspace" not in st.session_state:
        linked = str(st.query_params.get("workspace", "")).strip().lower()
        st.session_state["workspace"] = linked if _private_name(linked) else secrets.token_hex(6)
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
        st.sidebar.error("A workspace name has 6–40 lower-case letters, digits or dashes (and is not \"shared\").")


def _name() -> str | None:
    name = str(st.session_state.get("workspace") or "").strip().lower()
    return name if _private_name(name) else None


def _private_name(name: str) -> bool:
    return bool(_NAME.match(name)) and name != SHARED  # "shared" is everyone's: never a private name


def workspace_name() -> str:
    """The workspace this visitor's runs are kept under ("shared" on localhost)."""
    if runs_mode() == "shared":
        return SHARED
    return _name() or st.session_state.setdefault("workspace_fallback", secrets.token_hex(6))  # no valid name yet


def folder() -> Path:
    """This visitor's folder of uploads (and of runs an older nnlab kept as files)."""
    return old_folder(runs_root(), workspace_name())


def store() -> RunStore | None:
    """This visitor's run store, or None while the database cannot be used: pages then say so
    (`store_problem`) and train unsaved."""
    try:
        url = database_url()
    except StoreUnavailable as error:  # a URL that is no database URL: the deployer's to fix
        _FAILED[""] = (time.monotonic(), str(error))
        return None
    failed = _FAILED.get(url)
    if failed and time.monotonic() - failed[0] < RETRY_SECONDS:
        return None
    runs = RunStore(url, workspace_name())
    try:
        runs.engine()
    except (StoreUnavailable, OSError) as error:
        log.warning("run store unavailable: %s", error)
        _FAILED[url] = (time.monotonic(), str(error))
        return None
    _FAILED.pop(url, None)
    try:
        import_once(runs, folder())  # runs an older nnlab kept as files, the first time
    except Exception:  # noqa: BLE001 - the import is a courtesy: it must never take the pages down
        log.exception("importing the old runs of %s failed", folder())
    return runs


def required_store() -> RunStore:
    """For pages of saved runs: the store, or (when the database cannot be used) the reason shown
    and the page stopped."""
    runs = store()
    if runs is None:
        st.error(store_problem() or "Runs cannot be shown: the database cannot be used.")
        st.stop()
    return runs


def forget_store(error: Exception) -> None:
    """The database failed under a page: train unsaved for RETRY_SECONDS, then try it again."""
    try:
        _FAILED[database_url()] = (time.monotonic(), str(error))
    except StoreUnavailable:
        pass


def store_problem() -> str | None:
    """Why runs are not being saved, in words for the page (None when they are)."""
    try:
        failed = _FAILED.get(database_url())
    except StoreUnavailable:
        failed = _FAILED.get("")
    if failed is None:
        return None
    return (f"Runs are not being saved: {failed[1][:1].upper()}{failed[1][1:]}. You can still train; "
            f"nothing you train now is kept after you leave.")


def database_url() -> str:
    try:
        secret = st.secrets.get("connections", {}).get("nnlab", {}).get("url")
    except Exception:  # noqa: BLE001 - no secrets file, or one Streamlit cannot read: no secret
        secret = None
    return database.database_url(secret=secret)


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
