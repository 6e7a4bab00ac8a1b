"""The Race page: 2–4 configurations from the Train page's settings or a link, raced in one chart."""
import json

import pytest

from apptest_helpers import button, charts, open_page, plain, record_polls, wait_until
from nnlab.lessons.presets import RACES

RACE, TRAIN = "app_pages/4_Race.py", "app_pages/1_Train.py"


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_four_configurations_race_and_all_finish(page_store):
    at = open_page(RACE, n="4", a_dataset="iris", a_hidden="4", a_epochs="2", b_optimizer="sgd",
                   c_optimizer="lion", d_learning_rate="0.01")
    assert at.segmented_control(key="race_count").value == 4 and not at.warning
    text = plain(" ".join(m.value for m in at.markdown))
    assert "optimizer Adam → SGD" in text and "learning rate 0.001 → 0.01" in text and "'" not in text
    button(at, "Race").click().run()
    wait_until(at, lambda at: at.session_state["race"].done, timeout=300)
    jobs = at.session_state["race"].jobs
    assert [job.status for job in jobs] == ["completed"] * 4, [job.message for job in jobs]
    assert [job.config.optimizer for job in jobs] == ["adam", "sgd", "lion", "adam"]
    curves = charts(at)[0]
    assert len({row["run"] for row in curves["rows"] if "run" in row}) == 4  # all live in one chart
    table = at.dataframe[0].value
    assert len(table) == 4 and table["test accuracy"].notna().all()
    assert len(page_store.list()[0]) == 4  # each kept as a run


def test_the_optimizer_lesson_loads_four_and_its_link_carries_them(runs_dir):
    at = open_page(RACE, lesson="optimizers")
    lesson = RACES["optimizers"]
    assert at.segmented_control(key="race_count").value == 4
    assert [at.selectbox(key=f"{p}_optimizer").value for p in "abcd"] == ["sgd", "sgd_momentum", "adam", "lion"]
    assert [at.select_slider(key=f"{p}_learning_rate").value for p in "abcd"] == [c.learning_rate for c in lesson.configs]
    assert any(lesson.title in info.value for info in at.info)
    params = dict(at.query_params)
    assert params["n"] == "4" and params["b_optimizer"] == "sgd_momentum" and params["d_learning_rate"] == "0.0001"
    assert "lesson" not in params


def test_the_race_starts_from_the_train_pages_settings(runs_dir):
    at = open_page(TRAIN, dataset="spiral", hidden="8,4", optimizer="sgd")
    at.query_params.clear()  # the menu opens Race without the Train page's link: the session carries the settings
    at.switch_page(RACE).run()
    assert not at.exception
    for prefix in "ab":
        assert at.selectbox(key=f"{prefix}_dataset").value == "spiral"
        assert at.selectbox(key=f"{prefix}_optimizer").value == "sgd"
    assert "B** is the same as **A" in " ".join(m.value for m in at.markdown)
    assert button(at, "Race").disabled  # nothing to race until one setting differs
    at.selectbox(key="b_optimizer").set_value("adam").run()
    assert not button(at, "Race").disabled
    assert dict(at.query_params)["b_optimizer"] == "adam" and dict(at.query_params)["a_dataset"] == "spiral"


def test_a_bad_race_link_is_named_and_harmless(runs_dir):
    at = open_page(RACE, n="9", a_epochs="7000", zz_top="1", b_optimizer="warp")
    warning = plain(at.warning[0].value)
    assert "2, 3 or 4" in warning and "epochs must be in" in warning and "zz_top" in warning and "warp" in warning
    assert at.segmented_control(key="race_count").value == 2 and at.selectbox(key="b_optimizer").value == "adam"


def test_the_home_page_offers_the_race_lesson(runs_dir):
    at = open_page()
    links = [(link.proto.label, link.proto.query_string) for link in at.get("page_link")]
    assert ("Open in Race", "lesson=optimizers") in links, links
    assert RACES["optimizers"].title in " ".join(m.value for m in at.markdown)


@pytest.mark.slow
def test_while_a_race_trains_the_browser_fetches_every_runs_curves_and_nothing_polls(runs_dir, monkeypatch):
    """Issue 24: the race's live chart is mounted with every run and one token for all of them (this visitor's),
    with no chart or fragment of the page's own while they train; a chart that cannot reach the route makes the
    page say why and poll; Stop, then the end shows the results as before."""
    from nnlab.ui import live_chart, live_route

    polls = record_polls(monkeypatch)
    at = open_page(RACE, a_dataset="digits", a_hidden="64", a_epochs="300", a_batch_size="4", b_optimizer="sgd")
    button(at, "Race").click().run()
    race = at.session_state["race"]
    wait_until(at, lambda at: all(len(job.history) >= 1 for job in race.jobs))
    polls.clear()
    at.run()  # a page run while they train
    mounted = at.get("bidi_component")
    assert len(mounted) == 1 and mounted[0].proto.component_name.endswith("nnlab_live_group_chart")
    data = json.loads(mounted[0].proto.json)
    assert [run["serial"] for run in data["runs"]] == [job.serial for job in race.jobs]
    assert [run["label"] for run in data["runs"]] == ["A", "B: optimizer Adam → SGD"]
    claim = live_route.TOKENS.read(data["token"])
    assert claim.serials == tuple(job.serial for job in race.jobs) and (claim.owner, claim.workspace) == (race.owner, "shared")
    assert not at.get("vega_lite_chart") and polls == []  # the browser draws; nothing polls, not even the sidebar
    at.session_state[live_chart.failure_key(race.jobs[0].serial)] = True  # as the chart's "failed" trigger records it
    at.run()  # the page says why and polls instead, as before issue 24
    assert not at.get("bidi_component") and len(charts(at)) == 2 and "_polled_fragment" in polls
    assert any("Live curves could not reach" in c.value for c in at.caption)
    button(at, "Stop").click().run()
    wait_until(at, lambda at: race.done)
    assert not at.get("bidi_component") and len(charts(at)) == 2  # the end: Altair's compare charts, as before
    assert len({row["run"] for row in charts(at)[0]["rows"] if "run" in row}) == 2
    assert list(at.dataframe[0].value["run"]) == ["A", "B: optimizer Adam → SGD"]
