"""Groups of seeds on the pages (AppTest, real training on tiny data): Train's "Repeat with N seeds",
a group as one row of Runs that unfolds, Compare's band and its words on the seeds' spread, Race and
Sweep with seeds. Only structure and relations any CPU gives are asserted, never a figure."""
import json

import pytest

from nnlab.store.groups import PREFIX, groups_of
from nnlab.store.runs import open_store
from apptest_helpers import button, charts, open_page, plain, wait_until, widget
from test_run_groups import kept_group

TRAIN, RUNS, COMPARE = "app_pages/1_Train.py", "app_pages/2_Runs.py", "app_pages/3_Compare.py"
RACE, SWEEP = "app_pages/4_Race.py", "app_pages/5_Sweep.py"


def band_titles(at) -> list[str]:
    return [layer["encoding"]["y"].get("title", "") for chart in charts(at) for layer in chart["spec"].get("layer", [])
            if "y2" in layer.get("encoding", {})]


def select_rows(at, *rows: int):
    at.session_state["runs_table"] = {"selection": {"rows": list(rows), "columns": []}}
    at.run()


@pytest.mark.slow  # a group of real trainings
def test_train_repeats_with_three_seeds_and_shows_the_mean_and_spread(runs_dir):
    at = open_page(TRAIN, dataset="moons", hidden="6", epochs="3")
    widget(at, "Repeat with N seeds").set_value(3).run()
    button(at, "Train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_until(at, lambda at: at.session_state["train_seeds"].done)
    group = at.session_state["train_seeds"]
    assert [job.config.seed for job in group.jobs] == [0, 1, 2] and all(job.status == "completed" for job in group.jobs)
    assert any("3 seeds of the same settings" in s.value for s in at.subheader)
    tiles = {m.label: m.value for m in at.metric}
    assert "±" in tiles["Test accuracy"] and "±" in tiles["Test loss"]
    assert band_titles(at) and all("band: min–max of 3 seeds" in title for title in band_titles(at))
    assert any("read from the mean curves of 3 seeds" in plain(box.value) for box in [*at.success, *at.warning])
    groups, alone = groups_of(open_store().list()[0])
    assert alone == [] and [len(g.runs) for g in groups] == [3] and groups[0].id == group.group_id


def test_runs_shows_a_group_as_one_row_that_unfolds_into_its_runs(runs_dir):
    store = open_store()
    group = kept_group(store, [0.8, 0.9, 0.85], label="iris seeds")
    at = open_page(RUNS)
    table = at.dataframe[0].value
    assert list(table["id"]) == [PREFIX + group] and table["seeds"].tolist() == [3]
    select_rows(at, 0)
    assert not at.exception, [e.value for e in at.exception]
    unfolded = next(frame.value for frame in at.dataframe if "seed" in frame.value.columns)
    assert len(unfolded) == 3
    assert any("3 seeds (0…2)" in plain(m.value) for m in at.markdown)
    assert [m.value for m in at.metric if m.label == "Test accuracy"] == ["85.0 % ± 5.0 pt"]
    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert store.list()[0] == []  # the group's every run


def test_compare_draws_groups_as_bands_and_says_whether_the_difference_beats_the_spread(runs_dir):
    store = open_store()
    sgd = kept_group(store, [0.80, 0.81, 0.79], label="SGD")
    adam = kept_group(store, [0.90, 0.91, 0.92], label="Adam")
    at = open_page(COMPARE, runs=f"{PREFIX}{sgd},{PREFIX}{adam}")
    assert not at.exception, [e.value for e in at.exception]
    words = [plain(m.value) for m in at.markdown if "Is the difference real?" in m.value]
    assert words and "Adam (3 seeds) beats SGD (3 seeds) by 11.0 points of test accuracy" in words[0]
    assert "more than chance" in words[0]
    assert band_titles(at) and all("min–max of 3 seeds" in title for title in band_titles(at))
    figures = next(frame.value for frame in at.dataframe if "verdict" in frame.value.index)
    assert figures.loc["test accuracy"].tolist() == ["80.0 % ± 1.0 pt", "91.0 % ± 1.0 pt"]


@pytest.mark.slow  # 2 configurations × 2 seeds of real training
def test_a_race_with_seeds_shows_each_configurations_band_and_the_words(runs_dir):
    at = open_page(RACE, a_dataset="iris", a_hidden="4", a_epochs="2", b_optimizer="sgd")
    widget(at, "Repeat each with N seeds").set_value(2).run()
    button(at, "Race").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_until(at, lambda at: at.session_state["race"].done, timeout=300)
    jobs = at.session_state["race"].jobs
    assert [job.config.seed for job in jobs] == [0, 1, 0, 1] and [job.config.optimizer for job in jobs] == ["adam"] * 2 + ["sgd"] * 2
    assert any("Is the difference real?" in m.value and "2 seeds" in plain(m.value) for m in at.markdown)
    assert band_titles(at) and all("min–max of 2 seeds" in title for title in band_titles(at))
    table = next(frame.value for frame in at.dataframe if "setting" in frame.value.columns)
    assert len(table) == 2 and table["seeds"].tolist() == [2, 2]
    groups, alone = groups_of(open_store().list()[0])
    assert alone == [] and sorted(len(g.runs) for g in groups) == [2, 2]
    assert sorted(at.session_state["compare_ids"]) == sorted(PREFIX + g.id for g in groups)  # Compare opens the groups


@pytest.mark.slow  # 2 values × 2 seeds of real training
def test_a_sweep_with_seeds_draws_error_bars(runs_dir):
    at = open_page(SWEEP, dataset="iris", hidden="4", epochs="2")
    widget(at, "Setting to sweep").set_value("dropout").run()
    widget(at, "Values, separated by commas").set_value("0, 0.5").run()
    widget(at, "Seeds per value").set_value(2).run()
    button(at, "Sweep").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_until(at, lambda at: at.session_state["sweep"].done, timeout=300)
    assert [job.config.seed for job in at.session_state["sweep"].jobs] == [0, 1, 0, 1]
    bars = [chart for chart in charts(at) if any(layer.get("mark", {}).get("type") == "errorbar"
                                                 for layer in chart["spec"].get("layer", []))]
    assert len(bars) == 1 and "mean ± 1 sd of 2 seeds" in json.dumps(bars[0]["spec"], ensure_ascii=False)
    rows = [row for row in bars[0]["rows"] if "mean" in row]
    assert sorted(row["dropout"] for row in rows) == [0.0, 0.5] and all(row["low"] <= row["mean"] <= row["high"] for row in rows)
    assert any("Each value, its seeds together" in s.value for s in at.subheader)


def test_too_many_runs_for_one_live_chart_are_refused_in_words(runs_dir):
    at = open_page(RACE, n="4", a_dataset="iris", a_hidden="4", a_epochs="2", b_optimizer="sgd", c_optimizer="lion",
                   d_learning_rate="0.01")
    widget(at, "Repeat each with N seeds").set_value(5).run()
    button(at, "Race").click().run()
    assert any("4 settings × 5 seeds is 20 runs" in plain(e.value) for e in at.error), [e.value for e in at.error]
    assert "race" not in at.session_state  # nothing queued


def test_the_five_seeds_lesson_is_on_home_and_opens_train_with_five_seeds(runs_dir):
    from nnlab.lessons.presets import PRESETS

    home = open_page()
    assert any("Same settings, five seeds" in m.value for m in home.markdown)
    at = open_page(TRAIN, preset="five_seeds")
    assert widget(at, "Repeat with N seeds").value == 5 and widget(at, "Data set").value == "digits"
    assert any(PRESETS["five_seeds"].title in info.value for info in at.info)
    at.query_params.clear()
    at.query_params["preset"] = "course"  # a lesson of one run, opened next, sets it back
    at.run()
    assert widget(at, "Repeat with N seeds").value == 1 and widget(at, "Data set").value == "mnist"
