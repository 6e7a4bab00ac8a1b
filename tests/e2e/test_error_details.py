"""What a visitor's browser shows under .streamlit/config.toml: hostile text as text, no error details."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, _free_port, stop_server

pytestmark = pytest.mark.browser
CONFIG = ROOT / ".streamlit" / "config.toml"

_SCRIPT = """
import streamlit as st
from nnlab.core.safe_text import markdown
for text in {hostile}:
    st.markdown(markdown(text))
st.error(markdown("Run name: :material/home: [x](https://evil.example) :red[boom] $x^2$"))
open("/srv/secret-folder/students.csv")  # an unexpected error whose message names a server path
"""


def test_a_visitor_sees_hostile_text_as_text_and_no_error_details(browser, tmp_path):
    """A real server with this config and a real Chromium: escaped text makes no link, image, icon,
    formula or colour, and an unexpected error shows neither its message nor its path."""
    from tests.test_safe_text import HOSTILE

    (tmp_path / ".streamlit").mkdir()
    shutil.copy(CONFIG, tmp_path / ".streamlit" / "config.toml")
    (tmp_path / "page.py").write_text(_SCRIPT.format(hostile=json.dumps(HOSTILE)))
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "page.py", "--server.port", str(port)],
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.3)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_selector('[data-testid="stException"]')
        found = page.evaluate("""() => {
            const count = s => document.querySelectorAll('[data-testid="stMarkdownContainer"] ' + s).length;
            return {links: count('a'), images: count('img'), formulas: document.querySelectorAll('.katex').length,
                    icons: document.querySelectorAll('span[role="img"]').length, headings: count('h1, h2'),
                    coloured: document.querySelectorAll('.stMarkdownColoredText, .stMarkdownBadge').length,
                    emphasis: count('strong, em, code, li, table'), text: document.body.innerText};
        }""")
        page.close()
    finally:
        stop_server(server)
        log.close()
    text = found.pop("text").replace("\u2060", "")
    assert found == {"links": 0, "images": 0, "formulas": 0, "icons": 0, "headings": 0, "coloured": 0, "emphasis": 0}
    assert "[click me](https://evil.example)" in text and ":material/home:" in text  # shown as typed
    assert "secret-folder" not in text and "FileNotFoundError" not in text and "Traceback" not in text
    assert "/srv/secret-folder/students.csv" in (tmp_path / "server.log").read_text()  # the details go to the log
