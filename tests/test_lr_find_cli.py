import json

import pytest

from test_cli import run_cli


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_lr_find_json_holds_the_suggestion_and_the_curve():
    out = run_cli("lr-find", "--dataset", "circle", "--samples", "600", "--hidden", "16", "--batch-size", "16",
                  "--steps", "120", "--json", program=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rule"] == "steepest descent"
    rates = [point["learning_rate"] for point in result["curve"]]
    assert 10 < len(rates) <= 120 and rates == sorted(rates) and rates[0] == 1e-7
    assert rates[0] < result["suggested"] < rates[-1]
    assert result["config"]["hidden"] == [16] and result["config"]["batch_size"] == 16
    assert "batch 12/120" in out.stderr  # progress on stderr, a tenth at a time


def test_lr_find_refuses_bad_settings_in_one_line():
    out = run_cli("lr-find", "--dataset", "circle", "--start", "1", "--end", "0.1")
    assert out.returncode == 2 and "--start must be above 0 and below --end" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = run_cli("lr-find", "--lr-schedule", "linear")
    assert out.returncode == 2 and "invalid choice" in out.stderr
