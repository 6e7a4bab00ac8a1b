"""Whose runs and uploads a visitor sees: one shared store on localhost, a private workspace per
visitor on a deployment. A visitor is their browser (a cookie, nnlab/ui/visitor.py), never their
link: links carry settings only, and a `workspace=` in one is dropped. Moving one's runs to another
device is a one-time transfer code (nnlab/store/visitors.py). README: "Where runs are kept"."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from nnlab.store import database, visitors

from nnlab.core import deployment
from nnlab.store.database import StoreUnavailable
from nnlab.core.errors import UserError
from nnlab.store.folder_import import import_once, old_folder
from nnlab.store.runs import SHARED, RunStore
from nnlab.core.safe_text import markdown
from nnlab.data.uploads import FOLDER as UPLOAD_FOLDER, UploadStore
from nnlab.ui import visitor as browser

log = logging.getLogger(__name__)
RETRY_SECONDS = 30  # after the database failed, pages train unsaved this long before trying it again
_FAILED: dict[str, tuple[float, str]] = {}  # database URL → (when it failed, the message)
# Which workspace a browser shows, looked up once per MAPPING_SECONDS (a code entered in one tab
# reaches the browser's other tabs within that time); bounded, as every visitor adds one.
MAPPING_SECONDS = 10
_MAPPED: dict[str, tuple[float, str]] = {}
_MAPPED_LOCK = threading.Lock()
_MAPPED_MOST = 10_000
LINK_KEY = "workspace"  # what older nnlab links carried: dropped from every link now


def runs_mode() -> str:
    """'shared' (one store for everyone) or 'private' (one per visitor). NNLAB_RUNS=auto, the
    default, shares only when the app is opened on this computer (localhost): on a deployment,
    visitors never see each other's runs unless NNLAB_RUNS=shared opts in."""
    mode = deployment.current().runs
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


USED_CODE = "transfer_used"  # the code this browser used last (its letters and digits), while its runs show here
TYPED_CODE = "transfer_typed"  # the code box of the form
CODE_PROBLEM = "_transfer_problem"  # why the last code submitted was not used


def sidebar() -> None:
    """The database's state; in private mode, where the visitor's runs are kept and the transfer code."""
    if LINK_KEY in st.query_params:  # an older link's workspace: never honoured, never passed on
        del st.query_params[LINK_KEY]
    if store() is None:
        st.sidebar.warning(store_problem(), icon=":material/cloud_off:")
    if runs_mode() == "shared":
        st.sidebar.caption("Runs are kept on this computer, shared by every tab.")
        return
    if browser.has_cookie():
        st.sidebar.caption("Your runs are private to this browser, whatever link you open: share links freely, "
                           "they carry settings only.")
    else:
        st.sidebar.caption("This browser refuses cookies, so your runs stay with this tab only.")
    with st.sidebar.expander("Use my runs on another device", icon=":material/devices:"):
        _transfer_panel()


def _transfer_panel() -> None:
    st.caption(f"Make a code here and type it on the other device within {visitors.CODE_MINUTES} minutes: that "
               f"browser then shows these runs (and keeps them, as this one does). A code works once.")
    if st.button("Make a code", key="transfer_make"):
        try:
            code, expires = visitors.new_code(_engine(), workspace_name())
        except (UserError, OSError, SQLAlchemyError) as error:
            st.error(f"No code can be made now: {markdown(_reason(error))}")
        else:
            st.session_state["transfer_code"] = (code, expires)
    made = st.session_state.get("transfer_code")
    if made and made[1] > time.time():
        minutes = max(1, round((made[1] - time.time()) / 60))  # minutes, not a clock time: no time zone to get wrong
        st.success(f"Your code: **{made[0]}** (for {minutes} more minute{'s' if minutes > 1 else ''}, once)")
    with st.form("transfer_use", clear_on_submit=True, border=False):
        st.text_input("A code from your other device", key=TYPED_CODE, max_chars=12, placeholder="ABCD-EFGH")
        # Used in the submit's callback, which Streamlit runs before the page's script: a rerun that cuts the
        # submit's run short cannot lose it, as it could in the body.
        st.form_submit_button("Use this code", on_click=_submitted)
    if st.session_state.get(CODE_PROBLEM):
        st.error(f"The code was not used: {markdown(st.session_state[CODE_PROBLEM])}")
    if st.session_state.get(USED_CODE) and workspace_name() != visitors.own_workspace(browser.visitor_id()):
        st.success("This browser now shows the runs of the device that made the code. The runs it "
                   "showed before are kept: *Stop showing these runs on this browser* brings them back.")
    _undo_panel()


def _submitted() -> None:
    """The submit's callback. A submit Streamlit runs again (its run cut short by another rerun replays the
    click) is the same code this browser has just used: not "used already" (a code works once), nothing to do."""
    typed = st.session_state.get(TYPED_CODE) or ""
    if not typed.strip() or _code_text(typed) == st.session_state.get(USED_CODE):
        return
    try:
        _use_code(typed)
    except (UserError, OSError, SQLAlchemyError) as error:
        st.session_state.pop(USED_CODE, None)
        st.session_state[CODE_PROBLEM] = _reason(error)  # said until the next submit
    else:
        st.session_state.pop(CODE_PROBLEM, None)
        st.session_state[USED_CODE] = _code_text(typed)


def _code_text(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def _undo_panel() -> None:
    """Undoing codes: a code typed on a shared computer must not leave that browser holding the runs."""
    visitor_id = browser.visitor_id()
    if workspace_name() != visitors.own_workspace(visitor_id):
        st.caption("This browser shows runs moved here with a code. On a shared computer, stop showing them "
                   "before you leave.")
        if st.button("Stop showing these runs on this browser", key="transfer_stop"):
            try:
                own = visitors.forget_this_browser(_engine(), visitor_id)
            except (UserError, OSError, SQLAlchemyError) as error:
                st.error(f"Nothing was changed: {markdown(_reason(error))}")
            else:
                _remember(visitor_id, own)
                st.session_state.pop("transfer_code", None)  # a code this browser made is for the runs it left
                st.session_state.pop(USED_CODE, None)
                st.success("This browser no longer shows those runs (they are kept on your other device); it shows "
                           "its own runs again.")
    if st.button("Forget other devices", key="transfer_forget",
                 help="Every other browser that entered a code for these runs stops showing them"):
        try:
            forgotten = visitors.forget_other_devices(_engine(), visitor_id)
        except (UserError, OSError, SQLAlchemyError) as error:
            st.error(f"Nothing was changed: {markdown(_reason(error))}")
        else:
            workspace = workspace_name()
            with _MAPPED_LOCK:  # this server's other browsers at once, not after MAPPING_SECONDS
                for key in [k for k, (_, name) in _MAPPED.items() if name == workspace]:
                    del _MAPPED[key]
            _remember(visitor_id, workspace)
            st.session_state.pop("transfer_code", None)  # it no longer works
            st.success("No other browser shows these runs now." if forgotten == 0 else
                       "1 other browser no longer shows these runs." if forgotten == 1 else
                       f"{forgotten} other browsers no longer show these runs.")


def _remember(visitor_id: str, workspace: str) -> None:
    with _MAPPED_LOCK:
        _MAPPED[visitors.key(visitor_id)] = (time.monotonic(), workspace)


def _use_code(typed: str) -> None:
    found = visitors.redeem(_engine(), browser.visitor_id(), typed, address=st.context.ip_address)
    _remember(browser.visitor_id(), found)
    st.session_state.pop("transfer_code", None)  # a code this browser made is for its old workspace


def _reason(error: Exception) -> str:
    """A wrong code's message; for a database that cannot be used, no details (they may name server paths)."""
    if isinstance(error, UserError) and not isinstance(error, StoreUnavailable):
        return f"{str(error)[:1].upper()}{str(error)[1:]}."
    return "the database cannot be used; try again in a minute."


def _engine():
    """The database's engine, its tables brought up to date (a StoreUnavailable when it cannot be used)."""
    return RunStore(database_url()).engine()


def workspace_name() -> str:
    """The workspace this visitor's runs are kept under ("shared" on localhost): on a deployment the
    one their browser's visitor id maps to (their own unless they entered a transfer code)."""
    if runs_mode() == "shared":
        return SHARED
    visitor_id = browser.visitor_id()
    key = visitors.key(visitor_id)
    with _MAPPED_LOCK:
        found = _MAPPED.get(key)
    if found and time.monotonic() - found[0] < MAPPING_SECONDS:
        return found[1]
    try:
        url = database_url()
    except StoreUnavailable:  # no database URL: store() says so; the visitor's own name meanwhile
        return visitors.own_workspace(visitor_id)
    failed = _FAILED.get(url)
    if failed and time.monotonic() - failed[0] < RETRY_SECONDS:
        return visitors.own_workspace(visitor_id)
    try:
        name = visitors.workspace_of(_engine(), visitor_id)
    except (UserError, OSError, SQLAlchemyError) as error:  # the database is away: pages say so (store_problem)
        log.warning("visitor's workspace not looked up: %s", error)
        problem = error if isinstance(error, UserError) else database.unavailable(url, error)
        _FAILED[url] = (time.monotonic(), str(problem))
        return visitors.own_workspace(visitor_id)
    with _MAPPED_LOCK:
        if len(_MAPPED) >= _MAPPED_MOST:
            _MAPPED.clear()
        _MAPPED[key] = (time.monotonic(), name)
    return name


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


def required_store() -> RunStore | None:
    """For pages of saved runs: the store, or (when the database cannot be used) None with the reason
    shown; the page then stops (live.stop_page)."""
    runs = store()
    if runs is None:
        st.error(store_problem() or "Runs cannot be shown: the database cannot be used.")
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
        url = database_url()
        failed = _FAILED.get(url)
    except StoreUnavailable:
        url, failed = "", _FAILED.get("")
    if failed is None:
        return None
    reason = f"{failed[1][:1].upper()}{failed[1][1:]}"
    if url and database.is_sqlite(url) and runs_mode() == "private":  # a visitor is not told the server's paths
        reason = "The server's database file cannot be used (its log says why)"
    return f"Runs are not being saved: {reason}. You can still train; nothing you train now is kept after you leave."


def database_url() -> str:
    try:
        secret = dict(st.secrets.get("connections", {}).get("nnlab", {}))  # `url`, or the fields of one
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
    """Who asks for training, for the fair queue and for finding a run a closed tab left training: the
    browser (every tab of it is one visitor), on a deployment and on localhost alike; without a cookie
    (AppTest, a browser refusing them) the tab."""
    return f"visitor:{visitors.key(browser.visitor_id())[:32]}"


def workers_store(config) -> RunStore | None:
    """This visitor's store when a run of `config` trains on the workers (serving/placement.py), else None (a CSV
    upload's bytes go with it, through the database). A UserError for workers asked of an SQLite database."""
    from nnlab.serving import placement

    runs = store()
    return runs if runs is not None and placement.runs_on_workers(runs.url) else None
