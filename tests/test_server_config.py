"""The deployment settings in .streamlit/config.toml (what the browser then shows: e2e/test_error_details.py)."""
import tomllib
from pathlib import Path

from nnlab.data import csv_files as csv_data

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"


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
