"""The Sweep page while it trains (issue 24): the browser fetches every run's curves, nothing polls."""
import json

import pytest

from apptest_helpers import button, charts, open_page, record_polls, start_sweep, wait_until

SWEEP = "app_pages/5_Sweep.py"


@pytest.mark.slow
def test_while_a_sweep_trains_the_browser_fetches_every_runs_curves_and_nothing_polls(runs_dir, monkeypatch):
    from nnlab.ui import live_route

    polls = record_polls(monkeypatch)
    at = open_page(SWEEP, dataset="digits", hidden="64", epochs="300", batch_size="4")
    sweep = start_sweep(at, "dropout", "0, 0.2, 0.5")
    polls.clear()
    at.run()  # a page run while the first run trains and the others wait their turn
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_group_chart")
    data = json.loads(mounted[0].proto.json)
    assert [run["label"] for run in data["runs"]] == ["dropout=0.0", "dropout=0.2", "dropout=0.5"]
    assert data["count_finished"] and data["epochs"] == 300
    assert live_route.TOKENS.read(data["token"]).serials == tuple(job.serial for job in sweep.jobs)
    assert not at.get("vega_lite_chart") and polls == []
    assert not any(p.proto.text.startswith("Runs finished") for p in at.get("progress"))  # the live chart says it
    button(at, "Stop").click().run()
    wait_until(at, lambda at: sweep.done)
    assert not at.get("bidi_component")
    assert any(p.proto.text == "Runs finished: 3 of 3" for p in at.get("progress"))
    assert any("Final accuracy against dropout" in s.value for s in at.subheader)
    assert list(at.dataframe[0].value["dropout"]) == [0.0] and len(charts(at)) >= 3  # the run stopped, kept and drawn
