"""The deployment settings in .streamlit/config.toml, and what a visitor's browser then sees."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from nnlab import csv_data

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PORTS = range(8630, 8650)  # ports of their own, apart from the other test servers


def _settings() -> dict:
    return tomllib.loads(CONFIG.read_text())


def test_visitors_are_shielded_by_the_settings():
    settings = _settings()
    assert settings["client"]["showErrorDetails"] == "none"  # no traceback, message or type in the browser
    assert settings["client"]["showErrorLinks"] is False
    assert settings["server"]["enableXsrfProtection"] is True and settings["server"]["enableCORS"] is True
    assert settings["server"]["enableAgentApi"] is False
    assert settings["server"]["maxUploadSize"] * 2**20 == csv_data.MAX_BYTES
    assert settings["server"]["maxUploadSize"] < settings["server"]["maxMessageSize"] < 200
    assert settings["server"]["fileWatcherType"] == "none" and settings["runner"]["postScriptGC"] is False


def test_every_setting_is_one_streamlit_knows_with_a_value_it_accepts():
    from streamlit import config

    options = config._config_options or config.get_config_options()
    for section, values in _settings().items():
        for name, value in values.items():
            if isinstance(value, dict):  # [theme.light] and [theme.dark]
                continue
            assert f"{section}.{name}" in options, f"{section}.{name} is not a Streamlit option"
    assert _settings()["client"]["showErrorDetails"] in set(config.ShowErrorDetailsConfigOptions)


_SCRIPT = """
import streamlit as st
from nnlab.safe_text import markdown
for text in {hostile}:
    st.markdown(markdown(text))
st.error(markdown("Run name: :material/home: [x](https://evil.example) :red[boom] $x^2$"))
open("/srv/secret-folder/students.csv")  # an unexpected error whose message names a server path
"""


def _port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip(f"no free port in {PORTS}")


@pytest.mark.browser
def test_a_visitor_sees_hostile_text_as_text_and_no_error_details(tmp_path):
    """A real server with this config and a real Chromium: escaped text makes no link, image, icon,
    formula or colour, and an unexpected error shows neither its message nor its path."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("NNLAB_REQUIRE_BROWSER"):
            pytest.fail("Chromium is needed for the browser tests: apt-get install chromium")
        pytest.skip("no Chromium here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from tests.test_safe_text import HOSTILE

    (tmp_path / ".streamlit").mkdir()
    shutil.copy(CONFIG, tmp_path / ".streamlit" / "config.toml")
    (tmp_path / "page.py").write_text(_SCRIPT.format(hostile=json.dumps(HOSTILE)))
    port = _port()
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
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
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
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    text = found.pop("text").replace("\u2060", "")
    assert found == {"links": 0, "images": 0, "formulas": 0, "icons": 0, "headings": 0, "coloured": 0, "emphasis": 0}
    assert "[click me](https://evil.example)" in text and ":material/home:" in text  # shown as typed
    assert "secret-folder" not in text and "FileNotFoundError" not in text and "Traceback" not in text
    assert "/srv/secret-folder/students.csv" in (tmp_path / "server.log").read_text()  # the details go to the log
