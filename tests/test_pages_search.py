import pytest
"""The Search page: knobs and ranges checked as typed, a small search run to the end, its pictures and
its best trial opened in Train; every trial kept as a run labelled with its study."""
from apptest_helpers import button, charts, open_page, plain, record_polls, wait_until, widget

SEARCH = "app_pages/14_Search.py"
TINY = {"dataset": "iris", "epochs": "2", "hidden": "8"}


def errors(at) -> str:
    return " ".join(plain(e.value) for e in at.error)


def test_the_page_offers_a_default_space_and_says_what_to_change_in_a_bad_range(runs_dir):
    at = open_page(SEARCH, **TINY)
    assert widget(at, "Knobs to search").value == ["learning_rate", "layers", "neurons", "activation", "optimizer",
                                                   "dropout", "batch_size"]
    assert widget(at, "Learning rate: range").value == "0.0001..0.3:log"
    assert "at most 100 trials and 60 minutes" in " ".join(c.value for c in at.caption)
    widget(at, "Learning rate: range").set_value("0.1..0.001").run()
    assert "learning_rate: the low end 0.1 is above the high end 0.001" in errors(at)
    assert button(at, "Search").disabled
    widget(at, "Learning rate: range").set_value("0.001..0.1:log").run()
    widget(at, "Trials").set_value(100).run()
    assert not at.error and not button(at, "Search").disabled


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_small_search_runs_keeps_its_trials_and_opens_the_best_in_train(runs_dir, page_store, monkeypatch):
    """While it runs, its live view is fetched (issue 24): one component with a token for this search and
    visitor, Stop, and no fragment polling; at its end, the results as before."""
    import json

    from nnlab.ui import live_chart, live_route

    polls = record_polls(monkeypatch)
    at = open_page(SEARCH, **TINY)
    widget(at, "Knobs to search").set_value(["learning_rate", "optimizer"]).run()
    widget(at, "Learning rate: range").set_value("1e-3..3e-1:log")
    widget(at, "Optimizer: choices").set_value("adam,rmsprop")
    widget(at, "Trials").set_value(4)
    widget(at, "Study name").set_value("iris try").run()
    button(at, "Search").click().run()
    assert not at.exception and not at.error, errors(at)
    job = at.session_state["search_job"]
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_search")
    claim = live_route.TOKENS.read(json.loads(mounted[0].proto.json)["token"])
    assert claim.serials == (job.serial,) and claim.owner == job.owner
    assert "Stop" in [b.label for b in at.button] and polls == []
    failed = live_chart.failure_key(job.serial)
    at.session_state[failed] = True  # as the live view's "failed" trigger records it: the page says why and polls
    at.run()
    assert job.done or ("_polled_fragment" in polls and any("could not reach" in c.value for c in at.caption))
    del at.session_state[failed]
    polls.clear()
    wait_until(at, lambda at: any("Finished: 4 trials" in plain(s.value) for s in at.success), timeout=400)
    assert polls == []  # nothing polled from the click to the end, trial after trial (the sidebar neither)

    runs, _ = page_store.list()
    assert sorted(run.label for run in runs) == [f"iris try · trial {n}" for n in range(4)]
    assert all(run.extra["study"] == "iris try" for run in runs)
    assert any(h.value.startswith("Best: trial") for h in at.subheader)
    best_line = next(plain(m.value) for m in at.markdown if plain(m.value).startswith("Learning rate "))
    assert " · Optimizer " in best_line and "learning_rate" not in best_line  # the controls' labels, not code names
    titles = [str(chart["spec"].get("title", "")) for chart in charts(at)]
    assert any("Best so far" in t for t in titles) and any("Parallel coordinates" in t for t in titles)
    assert any("Which knobs mattered" in t for t in titles)
    assert any(chart["spec"].get("encoding", {}).get("x", {}).get("title") == "Learning rate" for chart in charts(at))
    best_rows = [row for chart in charts(at) if "Best so far" in str(chart["spec"].get("title"))
                 for row in chart["rows"] if "value" in row]
    assert len(best_rows) == 4

    button(at, "Open the best in Train").click().run()
    assert widget(at, "Data set").value == "iris"
    assert widget(at, "Optimizer").value in ("adam", "rmsprop")
