"""Search on Optuna: spaces as typed, the study in the database, trials as runs, pruning, Stop, limits."""
import math
import statistics
import threading

import pandas as pd
import pytest

from nnlab.search import study as search

from nnlab.charts import search as search_charts
from nnlab.config.run_config import RunConfig
from nnlab.data.datasets import load_dataset
from nnlab.store.database import StoreUnavailable
from nnlab.core.errors import ConfigError, UserError
from nnlab.serving.scheduler import Scheduler
from nnlab.search.study import SearchPlan, parse_range, parse_space
from nnlab.serving.search_job import SearchJob
from nnlab.config.settings import SETTINGS
from nnlab.core.status import Status

GAUSS = RunConfig(dataset="gauss", hidden=(8,), epochs=3, samples=400)  # two clouds: easy, unless the steps are tiny
DEADLINE = 300


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'studies.sqlite'}"


def make_job(plan, url, store, key="shared/test", **kwargs):
    return SearchJob(plan, url=url, key=key, load=load_dataset, store=store, page_limits=False,
                     scheduler=Scheduler(1), abandon_seconds=math.inf, **kwargs)


def run_to_end(job):
    job.start()
    job.join(DEADLINE)
    assert job.done, "the search did not end in time"
    assert not job.failed, job.message
    return job


# --- spaces ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("learning_rate=1e-4..1e-1:log", search.Range("learning_rate", 1e-4, 1e-1, log=True)),
    ("layers=1..3", search.Range("layers", 1, 3)),
    ("dropout = 0..0.5", search.Range("dropout", 0.0, 0.5)),
    ("activation=relu, tanh,relu", search.Range("activation", choices=("relu", "tanh"))),
])
def test_a_range_is_read_as_typed_and_written_back_the_same(text, expected):
    found = parse_range(text)
    assert found == expected
    assert parse_range(found.text()) == found


@pytest.mark.parametrize("text, says", [
    ("learning_rate", "write knob=low..high"),
    ("momentum=0..1", "where knob is one of learning_rate"),
    ("learning_rate=0.1..0.001", "the low end 0.1 is above the high end 0.001"),
    ("dropout=0..0.5:log", "a log scale needs a range above 0"),
    ("learning_rate=1e-3..1e-1:loq", "the scale after ':' is 'log' or 'linear'"),
    ("layers=1.5..3", "'1.5' is not a whole number"),
    ("layers=1..30", "layers must stay within [0, 10]"),
    ("learning_rate=0..1", "learning_rate must stay within (0, 100]"),
    ("dropout=0.1", "dropout needs a range like dropout=0..0.5"),
    ("optimizer=adam,sgdd", "'sgdd' is not one of them"),
    ("learning_rate=nan..1", "'nan' is not a number"),
])
def test_a_bad_range_says_what_to_write(text, says):
    with pytest.raises(ConfigError) as raised:
        parse_range(text)
    assert says in str(raised.value)


def test_a_space_names_each_knob_once_and_needs_one():
    with pytest.raises(ConfigError, match="learning_rate has two ranges"):
        parse_space(["learning_rate=1e-3..1e-1:log", "learning_rate=1e-2..1:log"])
    with pytest.raises(ConfigError, match="at least one knob"):
        parse_space([])


def test_default_spaces_fit_the_data_set():
    images, table = search.default_space("digits"), search.default_space("iris")
    assert images["neurons"].high > table["neurons"].high and images["batch_size"].low > table["batch_size"].low
    assert images["learning_rate"].log and set(images) == set(table)


def test_a_trial_s_knobs_make_its_settings():
    base = RunConfig(dataset="iris", hidden=(16, 16), optimizer="sgd")
    assert search.config_for(base, {"layers": 3, "neurons": 8, "optimizer": "adam"}).hidden == (8, 8, 8)
    assert search.config_for(base, {"neurons": 4}).hidden == (4, 4)
    assert search.config_for(base, {"layers": 1}).hidden == (16,)
    space = parse_space(["layers=1..4", "neurons=8..512:log", "batch_size=16..256:log"])
    biggest = search.largest(base, space)
    assert biggest.hidden == (512,) * 4 and biggest.batch_size == 16


def test_a_page_s_search_is_bounded(deployment):
    deployment(search_max_trials=7, search_max_minutes=3)  # NNLAB_SEARCH_MAX_TRIALS, NNLAB_SEARCH_MAX_MINUTES
    space = parse_space(["learning_rate=1e-3..1e-1:log"])
    with pytest.raises(ConfigError, match=r"more than this server allows for one search \(7\)"):
        SearchPlan(GAUSS, space, trials=8, minutes=3).within_page_limits()
    with pytest.raises(ConfigError, match="at most 3 minutes"):
        SearchPlan(GAUSS, space, trials=5, minutes=4).within_page_limits()
    with pytest.raises(ConfigError, match="at most 3 minutes"):
        SearchPlan(GAUSS, space, trials=5).within_page_limits()
    SearchPlan(GAUSS, space, trials=7, minutes=3).within_page_limits()


def test_the_grid_takes_the_ends_and_middle_of_each_range():
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-4..1e-2:log", "layers=1..2", "activation=relu,tanh"]),
                      sampler="grid")
    assert plan.space["learning_rate"].grid() == pytest.approx([1e-4, 1e-3, 1e-2])
    assert plan.space["layers"].grid() == [1, 2] and plan.grid_size() == 12


def test_study_names_are_checked_and_kept_apart_by_workspace(url):
    with pytest.raises(ConfigError, match="a study name"):
        search.study_key("shared", "../etc")
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-3..1e-1:log"]))
    search.open_study(url, search.study_key("alice-123456", "mine"), plan, "classification")
    search.open_study(url, search.study_key("bob-1234567", "theirs"), plan, "classification")
    assert search.study_names(url, "alice-123456") == ["mine"]


def test_a_study_of_another_data_set_is_refused(url):
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-3..1e-1:log"]))
    search.open_study(url, "shared/s", plan, "classification")
    other = SearchPlan(RunConfig(dataset="iris"), plan.space)
    with pytest.raises(UserError, match="searched gauss for val_accuracy; give this search a new study name"):
        search.open_study(url, "shared/s", other, "classification")


def test_a_database_that_cannot_be_reached_says_so():
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-3..1e-1:log"]))
    with pytest.raises(StoreUnavailable, match=r"postgresql://nnlab@127.0.0.1:9/none cannot be used") as raised:
        search.open_study("postgresql://nnlab:secret@127.0.0.1:9/none", "shared/s", plan, "classification")
    assert "secret" not in str(raised.value)


# --- searches -------------------------------------------------------------------------------------

@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_search_finds_a_setting_better_than_the_median_and_keeps_each_trial_as_a_run(url, run_store):
    bad_and_good = parse_space(["learning_rate=1e-6..1:log", "optimizer=sgd"])  # below 1e-3 nothing is learnt
    plan = SearchPlan(GAUSS, bad_and_good, trials=6, sampler="tpe", pruner="none", sampler_seed=3)
    job = run_to_end(make_job(plan, url, run_store, key="shared/lr"))
    frame = search.trials_frame(job.study)
    assert list(frame["state"]) == ["complete"] * 6 and len(job.trials) == 6
    best = job.best()
    assert best["value"] > statistics.median(frame["value"]) and best["params"]["learning_rate"] > 1e-3
    runs, _ = run_store.list()
    assert sorted(run.label for run in runs) == [f"lr · trial {n}" for n in range(6)]
    assert {run.extra["trial"] for run in runs} == set(range(6)) and all(run.extra["study"] == "lr" for run in runs)
    best_run = run_store.load(best["run_id"])
    assert best_run.config.learning_rate == best["params"]["learning_rate"]
    assert best_run.history["val_accuracy"].max() == best["value"]


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_hopeless_trial_is_pruned_and_its_run_says_why(url, run_store):
    space = parse_space(["learning_rate=1e-6..1:log", "optimizer=adam,sgd"])
    plan = SearchPlan(GAUSS.__class__(**{**GAUSS.to_dict(), "epochs": 4}), space, trials=4, pruner="median")
    study = search.open_study(url, "shared/prune", plan, "classification")
    for params in [{"learning_rate": 0.1, "optimizer": "adam"}] * 3 + [{"learning_rate": 1e-6, "optimizer": "sgd"}]:
        study.enqueue_trial(params)
    job = run_to_end(make_job(plan, url, run_store, key="shared/prune"))
    states = list(search.trials_frame(job.study)["state"])
    assert states == ["complete", "complete", "complete", "pruned"]
    pruned = [run for run in run_store.list()[0] if run.status == Status.PRUNED]
    assert len(pruned) == 1 and pruned[0].label == "prune · trial 3"
    run = run_store.load(pruned[0].id)
    assert len(run.history) == 2 and run.message.startswith("Pruned after 2 epochs: its validation accuracy")
    assert "below the median of earlier trials at that epoch" in run.message


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_stop_ends_the_trial_in_progress_and_keeps_the_finished_ones(url, run_store):
    long = RunConfig(dataset="digits", hidden=(32,), epochs=200, batch_size=4)
    plan = SearchPlan(long, parse_space(["learning_rate=1e-3..1e-2:log"]), trials=50, pruner="none")
    told = threading.Event()
    job = make_job(plan, url, run_store, key="shared/stop", on_trial=lambda *_: told.set())
    quick = SearchPlan(RunConfig(**{**long.to_dict(), "epochs": 1, "batch_size": 64}), plan.space, trials=1,
                       pruner="none")
    run_to_end(make_job(quick, url, run_store, key="shared/stop"))  # one finished trial in the study first
    job.start()
    while not job.jobs or not job.jobs[0].history:
        job.join(0.2)
        assert not job.done, job.message
    job.stop()
    job.join(DEADLINE)
    assert job.done and job.message == "Stopped by you after 1 trial; every finished trial is kept."
    states = list(search.trials_frame(job.study)["state"])
    assert states == ["complete", "fail"]
    stopped = run_store.load(job.jobs[0].run_id)
    assert stopped.status == Status.STOPPED and len(stopped.history) >= 1


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_a_grid_search_ends_when_every_combination_was_tried(url, run_store):
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-3..1e-1:log", "optimizer=adam"]), trials=10,
                      sampler="grid", pruner="none")
    job = run_to_end(make_job(plan, url, run_store, key="shared/grid"))
    assert job.message == "Finished: 3 trials; every combination of the grid has been tried."
    tried = sorted(search.trials_frame(job.study)["learning_rate"])
    assert tried == pytest.approx([1e-3, 1e-2, 1e-1])


@pytest.mark.slow  # over 4 s: out of the edit loop
def test_hyperband_prunes_by_brackets_and_every_trial_ends_told(url, run_store):
    plan = SearchPlan(GAUSS, parse_space(["learning_rate=1e-6..1:log"]), trials=4, pruner="hyperband", sampler_seed=1)
    job = run_to_end(make_job(plan, url, run_store, key="shared/hyperband"))
    assert set(search.trials_frame(job.study)["state"]) <= {"complete", "pruned"} and len(job.trials) == 4
    for run in run_store.list()[0]:
        assert run.status in (Status.COMPLETED, Status.PRUNED)
        if run.status == Status.PRUNED:
            assert "(Hyperband)" in run.message


def test_the_largest_network_of_the_space_must_fit_the_compute_budget(url, run_store, deployment):
    deployment(max_compute=1e9)
    plan = SearchPlan(GAUSS, parse_space(["neurons=4..2048:log", "layers=1..4"]), trials=3, minutes=5)
    job = SearchJob(plan, url=url, key="shared/big", load=load_dataset, store=run_store, scheduler=Scheduler(1))
    with pytest.raises(UserError, match="The largest network this search may try .* Narrow the ranges"):
        job.start()


# --- pictures -------------------------------------------------------------------------------------

FRAME = pd.DataFrame({
    "trial": [0, 1, 2, 3], "state": ["complete", "pruned", "complete", "complete"], "value": [0.5, 0.4, 0.9, 0.7],
    "epochs": [3, 2, 3, 3], "run": ["a", "b", "c", "d"], "learning_rate": [1e-4, 1e-3, 1e-2, 1e-1],
    "activation": ["relu", "tanh", "relu", "tanh"]})
SPACE = parse_space(["learning_rate=1e-4..1e-1:log", "activation=relu,tanh"])
ACCURACY = search.objective_for("classification")


def test_best_so_far_steps_up_with_each_better_finished_trial():
    chart = search_charts.best_so_far_chart(FRAME, ACCURACY).to_dict()
    steps = next(values for name, values in chart["datasets"].items() if values and "best" in values[0])
    assert [row["best"] for row in steps] == [0.5, 0.9, 0.9]


def test_parallel_coordinates_place_log_knobs_by_their_logarithm():
    chart = search_charts.parallel_coordinates_chart(FRAME, SPACE, ACCURACY).to_dict()
    rows = next(iter(chart["datasets"].values()))
    rates = {row["trial"]: row["position"] for row in rows if row["knob"] == "Learning rate"}
    assert rates == pytest.approx({0: 0.0, 2: 2 / 3, 3: 1.0})  # the pruned trial 1 is left out
    assert {row["position"] for row in rows if row["knob"] == "Activation"} == {0.0, 1.0}


def test_the_two_knob_map_bins_log_knobs_by_decade():
    chart = search_charts.contour_chart(FRAME, SPACE["learning_rate"], SPACE["activation"], ACCURACY, bins=3).to_dict()
    rows = next(iter(chart["datasets"].values()))
    assert sorted(row["x"] for row in rows) == [0.0001, 0.01, 0.01]  # 0.1 is the top edge: in the last cell


def test_a_trials_settings_are_named_as_their_controls_name_them():
    # Search's best-settings line read "learning_rate 0.0123, batch_size 32": the knobs' names in code.
    from nnlab.config.settings import SETTINGS

    best = pd.Series({"trial": 3, "state": "complete", "value": 0.91, "epochs": 2, "run": "a1b2", "learning_rate": 0.012345,
                      "batch_size": 32.0, "dropout": math.nan, "optimizer": "sgd_momentum"})  # as in trials_frame
    assert search.knob_settings_text(best) == "Learning rate 0.0123 · Batch size 32 · Optimizer sgd_momentum"
    settings = [name for name in search.KNOBS if name in SETTINGS]  # one label per setting: the settings table's
    assert settings and all(search.KNOBS[name].title == SETTINGS[name].label for name in settings)


def _as_config(name: str, value):
    """A value of a knob as the settings table judges it, through the RunConfig a trial would train."""
    return search.config_for(RunConfig(hidden=(8,)), {name: value})


@pytest.mark.parametrize("name", list(search.KNOBS))
def test_every_knob_allows_exactly_what_the_settings_table_allows(name):
    knob = search.KNOBS[name]
    if knob.kind == "choice":
        assert knob.choices == tuple(SETTINGS[name].options())
        return
    step = 1 if knob.kind == "int" else 1e-9
    inside = [knob.low + (step if knob.low_open else 0), knob.high]
    outside = [knob.low if knob.low_open else knob.low - step, knob.high + step]
    for value in inside:  # the table accepts them, and so does the search
        _as_config(name, value)
        parse_range(f"{name}={value!r}..{value!r}")
    for value in outside:  # the table refuses them, and so does the search
        if not (name == "layers" and value < 0):  # a list of hidden layers cannot be shorter than empty
            with pytest.raises(ConfigError):
                _as_config(name, value)
        with pytest.raises(ConfigError, match="must stay within"):
            parse_range(f"{name}={value!r}..{value!r}")


@pytest.mark.parametrize("dataset", ["circle", "mnist"])
def test_the_default_ranges_stay_within_the_knobs_bounds(dataset):
    for name, found in search.default_space(dataset).items():
        knob = search.KNOBS[name]
        assert set(found.choices) <= set(knob.choices) if knob.kind == "choice" else knob.allows(found.low, found.high)
