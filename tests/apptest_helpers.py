"""Helpers for the page tests: AppTest on app.py, then switch to a page, as a visitor would."""
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120  # TensorFlow's import alone takes seconds; AppTest's default timeout is 3 s


def open_page(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():  # the link the visitor opened
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(at: AppTest, label: str):
    """The widget with this label, whatever its kind."""
    for kind in ("slider", "select_slider", "selectbox", "toggle", "number_input", "text_input", "checkbox",
                 "radio", "multiselect", "text_area"):
        for element in getattr(at, kind):
            if element.label == label:
                return element
    raise KeyError(f"no widget labelled {label!r}")


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def start_sweep(at: AppTest, knob: str, values: str):
    """On the Sweep page: sweep `knob` over `values` (as typed), press Sweep; the sweep started, once its first
    run has an epoch."""
    widget(at, "Setting to sweep").set_value(knob).run()
    widget(at, "Values, separated by commas").set_value(values).run()
    button(at, "Sweep").click().run()
    sweep = at.session_state["sweep"]
    wait_until(at, lambda at: len(sweep.jobs[0].history) >= 1)
    return sweep


def wait_until(at: AppTest, done, timeout: float = 180, poll: float = 0.3) -> None:
    """Rerun the page (as the browser's polling would) until done(at) is true, then once more: a job's
    state may change while a run draws the page, so the page that saw it come true may show the state
    before (a page test read "Paused before the first batch" from a page drawn just before the pause)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(poll)
        at.run()
        if done(at):
            at.run()
            return
    raise AssertionError("timed out waiting for the page")


def charts(at: AppTest) -> list[dict]:
    """Each Vega-Lite chart on the page: its spec and its data rows. Streamlit sends the data
    apart from the spec, as Arrow tables; this puts them back together."""
    import json

    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    found = []
    for chart in at.get("vega_lite_chart"):
        rows = []
        for dataset in chart.proto.datasets:
            rows.extend(convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records"))
        if chart.proto.data.data:
            rows.extend(convert_arrow_bytes_to_pandas_df(chart.proto.data.data).to_dict("records"))
        spec = json.loads(chart.proto.spec)
        for values in spec.get("datasets", {}).values():  # data left inline in the spec
            rows.extend(values)
        found.append({"spec": spec, "rows": rows})
    return found


def plain(text: str) -> str:
    """Markdown that nnlab.core.safe_text escaped, as the reader sees it."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\u2060", "")


def record_polls(monkeypatch) -> list:
    """A list that receives the name of every fragment the pages make that reruns by itself (run_every):
    what polls while a run trains (issue 24: nothing should)."""
    import streamlit as st

    polls = []
    fragment = st.fragment

    def recording(function=None, *, run_every=None):
        if run_every:
            polls.append(getattr(function, "__name__", function))
        return fragment(function, run_every=run_every)

    monkeypatch.setattr(st, "fragment", recording)
    return polls
