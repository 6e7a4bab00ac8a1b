"""A start button whose click cannot be lost when Streamlit cuts its run short.

With `runner.fastReruns` (on by default) a newer request from the browser stops the running script and starts
again with only that request's widget states; the browser clears a button's trigger once sent, so a click
whose run was stopped before its `if st.button(...)` line would be lost (ARCHITECTURE.md's traps). A button's
on_click callback runs before the script, so it notes the click in session state, and the next run that
reaches the button honours it once, with the settings that run shows (the visitor's latest)."""
import time

import streamlit as st

# A click not reached within this long (the visitor went to another page meanwhile) is forgotten rather than
# starting work when they come back.
KEEP_SECONDS = 20.0


def _noted(key: str) -> str:
    return f"_clicked_{key}"


def _note_click(key: str) -> None:
    st.session_state[_noted(key)] = time.monotonic()


def kept_button(label: str, key: str, container=st, disabled: bool = False, **kwargs) -> bool:
    """`container.button(label, key=key, …)`, True in the run of the click or, if that run was cut short, in
    the next run that reaches this line (once). Never True while disabled."""
    clicked = container.button(label, key=key, disabled=disabled, on_click=_note_click, args=(key,), **kwargs)
    when = st.session_state.pop(_noted(key), None)
    return not disabled and (clicked or (when is not None and time.monotonic() - when < KEEP_SECONDS))
