"""The Search page's parts: the knobs and their ranges, the search's live view, and the pictures of a
finished study (which knobs mattered, where the good settings are, the best trial to open in Train)."""
from __future__ import annotations

import streamlit as st

from nnlab.charts import training as charts, search as search_charts
from nnlab.config.run_config import RunConfig
from nnlab.core import deployment
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.search.study import (KNOBS, PRUNERS, SAMPLERS, SearchPlan, default_space, example_range,
                          knob_settings_text, load_study, objective_of, parse_space, space_of, study_key, study_names,
                          trials_frame)
from nnlab.serving.remote_work import RemoteSearchJob
from nnlab.serving.search_job import SearchJob
from nnlab.ui import controls, link, live, live_chart, navigation, workspace
from nnlab.ui.data_cache import load_data
from nnlab.ui.results import saved_verdict, verdict_panel
from nnlab.ui.kept_click import kept_button

SEARCH = "search_job"  # the page's SearchJob in session_state


def plan_controls(base: RunConfig | None) -> tuple[SearchPlan | None, str]:
    """The knobs, their ranges, the budget, sampler and pruner: a checked plan (None after showing
    what to change) and the study's name."""
    if base is None:
        return None, ""
    defaults = default_space(base.dataset)
    images = "image" if defaults["neurons"].high > 64 else "small"  # the default ranges differ: keys too
    knobs = [name for name in KNOBS if not link.locked(name)]  # a teacher's lock holds in a search too
    earlier = st.session_state.get("search_knobs")
    if earlier is not None and any(name not in knobs for name in earlier):  # chosen before the lock came
        st.session_state["search_knobs"] = [name for name in earlier if name in knobs]
    chosen = st.multiselect("Knobs to search", knobs, key="search_knobs",
                            **({} if earlier is not None else {"default": [name for name in defaults if name in knobs]}),
                            format_func=lambda name: KNOBS[name].title,
                            help="The other settings come from the sidebar, the same for every trial.")
    texts = []
    columns = st.columns(3)
    for i, name in enumerate(chosen):
        default = defaults[name].text() if name in defaults else example_range(name)
        texts.append(columns[i % 3].text_input(
            range_label(name), value=default.split("=", 1)[1], key=f"search_range_{name}_{images}",
            help="low..high, with :log for a log scale (1e-4..1e-1:log), or choices separated by commas."))
    budget, sampler, pruner, name_column = st.columns(4)
    settings = deployment.current()
    most_trials, most_minutes = settings.search_max_trials, settings.search_max_minutes
    trials = budget.number_input("Trials", 1, most_trials, min(30, most_trials), key="search_trials")
    minutes = budget.number_input("Minutes at most", 1, most_minutes, min(30, most_minutes), key="search_minutes")
    sampler_name = sampler.selectbox("Sampler", list(SAMPLERS), key="search_sampler",
                                     help=" ".join(SAMPLERS.values()))
    pruner_name = pruner.selectbox("Pruning", list(PRUNERS), key="search_pruner", help=" ".join(PRUNERS.values()))
    name = name_column.text_input("Study name", value=f"{base.dataset} search", key="search_study",
                                  help="A study keeps every trial; searching again under the same name adds to it.")
    try:
        space = parse_space([f"{knob}={text}" for knob, text in zip(chosen, texts)])
        plan = SearchPlan(base, space, trials=int(trials), minutes=float(minutes), sampler=sampler_name,
                          pruner=pruner_name)
        plan.within_page_limits()
        study_key(workspace.workspace_name(), name)
    except UserError as error:
        st.error(f"Change the search: {markdown(str(error))}")
        return None, name
    grid = f" (the grid has {plan.grid_size()} combinations)" if sampler_name == "grid" else ""
    st.caption(f"Up to {plan.trials} trials of {base.epochs} epoch(s) each, one after another, for at most "
               f"{plan.minutes:g} minutes{grid}. On this server a search may run at most {most_trials} trials and "
               f"{most_minutes} minutes, and no trial may need more compute than one run may.")
    return plan, name


def range_label(name: str) -> str:
    return f"{KNOBS[name].title}: {'choices' if KNOBS[name].kind == 'choice' else 'range'}"


def start_button(plan: SearchPlan | None, name: str) -> None:
    job = st.session_state.get(SEARCH)
    busy = job is not None and not job.done
    if kept_button("Search", "search_start", type="primary", icon=":material/travel_explore:",
                   disabled=busy or plan is None, help="A search is running: stop it first." if busy else None):
        try:
            key, remote = study_key(workspace.workspace_name(), name), workspace.workers_store(plan.base)
            job = RemoteSearchJob(plan, url=remote.url, key=key, load=load_data, store=remote,
                                  owner=workspace.visitor()) if remote is not None else \
                SearchJob(plan, url=workspace.database_url(), key=key, load=load_data, store=workspace.store(),
                          owner=workspace.visitor())
        except UserError as error:
            st.error(markdown(str(error)))
        else:
            live.start(SEARCH, job)


def live_panel() -> None:
    """While it runs: progress, Stop, the current trial's curves and the trials so far (fetched and drawn by the
    browser, nothing polled: ui/live_chart.live_search).
    Where the live route cannot be reached, and once it has ended, the page draws it (polled while it runs)."""
    job = st.session_state.get(SEARCH)
    if job is None:
        return
    if not job.done and not st.session_state.get(live_chart.failure_key(job.serial)):
        _fetched(job)
        return
    if not job.done:
        st.caption(":material/sync_problem: The search's live view could not reach the server's live route (a proxy "
                   "or host that does not pass `/api/live` on); the page polls instead.")
    live.polled(SEARCH, _live)


def _fetched(job: SearchJob) -> None:
    job.touch()
    live.showing_live(job)  # its trials: the sidebar leaves them alone
    left, right = st.columns([5, 1])
    with left:
        live_chart.live_search(job, "search_")
    right.button("Stop", key="search_stop", on_click=job.stop, type="primary", width="stretch",
                 help="End the trial in progress within one batch; every finished trial is kept.")


def _live(job: SearchJob) -> None:
    job.touch()  # the search itself: before its first trial it has no run that polling would touch
    place = job.queue_position()
    if place:
        st.info(f"Waiting for a free training slot: {place} in line (other visitors are training).",
                icon=":material/schedule:")
    if not job.done:
        top = st.columns([5, 1])
        done = len(job.trials)
        top[0].progress(min(1.0, done / job.plan.trials),
                        text=f"Study **{markdown(job.name)}** · trial {done + 1} of up to {job.plan.trials}")
        top[1].button("Stop", key="search_stop", on_click=job.stop, type="primary", width="stretch",
                      help="End the trial in progress within one batch; every finished trial is kept.")
    elif job.failed:
        st.error(markdown(job.message))
    else:
        st.success(markdown(job.message))
    current = job.current
    if current is not None:
        st.caption(f"**{markdown(current.label)}** · {live.status_line(current)}")
        if current.history:
            history, task = list(current.history), job.task
            live.live_curves("search_curves", (id(current), len(history)), lambda: charts.training_charts(
                history, task, epochs=current.config.epochs, height=200))
    _trials_so_far(job)


def _trials_so_far(job: SearchJob) -> None:
    if job.study is not None and not job.done:  # once done, the results below show them
        frame = trials_frame(job.study)
        if len(frame):
            st.altair_chart(search_charts.best_so_far_chart(frame, job.objective), width="stretch")
            trials_table(frame, job.objective)


def trials_table(frame, objective) -> None:
    shown = frame.rename(columns={"value": objective.words}).drop(columns=["run"])
    st.dataframe(shown, hide_index=True, column_config={
        objective.words: st.column_config.NumberColumn(format="percent" if objective.maximize else "%.4g"),
        "epochs": st.column_config.NumberColumn("epochs trained", help="Fewer than asked: pruned or stopped."),
        "learning_rate": st.column_config.NumberColumn("learning rate", format="%.2e"),
    })


def results() -> None:
    """A finished study of this workspace: its best trial, which knobs mattered and where."""
    job = st.session_state.get(SEARCH)
    if job is not None and not job.done:
        return
    url = workspace.database_url()
    try:
        names = study_names(url, workspace.workspace_name())
    except UserError as error:
        st.error(markdown(str(error)))
        return
    if not names:
        return
    st.header("Results")
    first = names.index(job.name) if job is not None and job.name in names else 0
    picked = st.selectbox("Study", names, index=first, key="search_results_study",
                          help="Every search of your workspace; pick one to see its pictures.")
    try:
        study = load_study(url, study_key(workspace.workspace_name(), picked))
    except UserError as error:
        st.error(markdown(str(error)))
        return
    frame, space, objective = trials_frame(study), space_of(study), objective_of(study)
    finished = frame[frame["state"] == "complete"].dropna(subset=["value"])
    if finished.empty:
        st.info("No trial of this study has finished yet.")
        return
    _best(finished, objective)
    st.altair_chart(search_charts.best_so_far_chart(frame, objective), width="stretch")
    _importance(study, len(finished))
    if len(space) > 1:
        st.altair_chart(search_charts.parallel_coordinates_chart(frame, space, objective), width="stretch")
    st.subheader("Each knob alone")
    columns = st.columns(min(3, len(space)))
    for i, found in enumerate(space.values()):
        with columns[i % len(columns)]:
            st.altair_chart(search_charts.slice_chart(frame, found, objective), width="stretch")
    if len(space) >= 2:
        st.subheader("Two knobs together")
        names_ = list(space)
        left, right = st.columns(2)
        x = left.selectbox("Across", names_, index=0, format_func=lambda k: KNOBS[k].title, key="search_contour_x")
        y = right.selectbox("Up", names_, index=1, format_func=lambda k: KNOBS[k].title, key="search_contour_y")
        if x != y:
            st.altair_chart(search_charts.contour_chart(frame, space[x], space[y], objective), width="stretch")
    with st.expander("Every trial"):
        trials_table(frame, objective)


def _best(finished, objective) -> None:
    """The best trial: its figure and the epoch it came from, its verdict made again from its curves
    (as Train, Runs and Compare say it), and a way to open it in Train."""
    best = finished.loc[finished["value"].idxmax() if objective.maximize else finished["value"].idxmin()]
    store = workspace.store()
    run = None
    if store is not None and best["run"]:
        try:
            run = store.load(best["run"])
        except UserError:
            pass
    epoch = _epoch_of(run, objective, best["value"]) if run is not None else None
    at = f" at epoch {epoch} of {run.epochs_run}" if epoch else ""
    st.subheader(f"Best: trial {int(best['trial'])}, {objective.words} {objective.shown(best['value'])}{at}")
    if run is None:
        st.caption("Its run is no longer kept (deleted?).")
        return
    st.markdown(markdown(knob_settings_text(best)))
    if st.button("Open the best in Train", icon=navigation.PAGES["train"].material_icon,
                 help="The Train page with this trial's settings: train it longer, look at its mistakes."):
        controls.request_settings(run.config, open_page="train")
    verdict = saved_verdict(run)
    if verdict is not None:
        if epoch and epoch < run.epochs_run:
            st.caption(f"The search counts each trial's best epoch; the verdict reads its whole curve, to its last "
                       f"epoch ({run.epochs_run}).")
        verdict_panel(verdict, run.config, key="search_best_", go_to="train")


def _epoch_of(run, objective, value) -> int | None:
    """The epoch (1-based) whose figure is the trial's value."""
    history = run.history
    if history is None or history.empty or objective.column not in history:
        return None
    figures = history[objective.column].astype(float).reset_index(drop=True)
    matches = figures.index[(figures - float(value)).abs() <= 1e-9 * max(1.0, abs(float(value)))]
    return int(matches[0]) + 1 if len(matches) else None


def _importance(study, finished: int) -> None:
    from optuna.importance import get_param_importances

    if finished < 3:
        st.caption("Which knobs mattered shows once three trials have finished.")
        return
    try:
        importances = get_param_importances(study)
    except (ValueError, RuntimeError) as error:  # e.g. every finished trial had the same figure
        st.caption(f"Which knobs mattered cannot be told from these trials ({markdown(str(error)[:120])}).")
        return
    if importances:
        st.altair_chart(search_charts.importance_chart(importances), width="stretch")
        st.caption("From Optuna's PED-ANOVA: how much of the spread among the better trials each knob explains. "
                   "With few trials, take it as a hint.")


