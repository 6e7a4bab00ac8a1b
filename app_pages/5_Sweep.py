"""Sweep: one setting over a list of values — what does it do to training?"""
import streamlit as st

from nnlab.charts import training as charts
from nnlab.core.errors import UserError
from nnlab.serving.jobs import SweepJob
from nnlab.core.safe_text import markdown
from nnlab.lessons.sweep import KNOBS, sweep_configs, sweep_table
from nnlab.core.tasks import metric_name
from nnlab.charts.seeds import error_bar_chart
from nnlab.ui import controls, link, live, seeds
from nnlab.ui.results import VERDICT_ICONS, verdict_panel
from nnlab.ui.session_keys import SWEEP
from nnlab.ui.kept_click import kept_button

st.title(":material/tune: Sweep")
st.markdown("Train the settings in the sidebar (the Train page's) once for every value of **one** setting, "
            "then see what that setting does — e.g. *what happens if the learning rate is too low or too high?*")
link.settings_from_link()
base = controls.controls()
link.settings_to_link(base)

knob_column, values_column, seeds_column = st.columns([2, 3, 1], vertical_alignment="bottom")
knobs = [name for name in KNOBS if not link.locked(name)]  # a teacher's lock holds in a sweep too
if st.session_state.get("sweep_knob") not in knobs:
    st.session_state.pop("sweep_knob", None)
knob = knob_column.selectbox("Setting to sweep", knobs, format_func=lambda k: KNOBS[k].title, key="sweep_knob")
values_text = values_column.text_input("Values, separated by commas", value=KNOBS[knob].suggested,
                                       key=f"sweep_values_{knob}") if knob else ""
plan = []
if base is not None and knob:
    try:
        plan = sweep_configs(base, knob, values_text)
    except UserError as error:
        st.error(f"Change the values: {markdown(str(error))}")
sweep = st.session_state.get(SWEEP)
busy = sweep is not None and not sweep.done
seed_count = seeds.seeds_control(seeds_column, "sweep_seed_count", "Seeds per value")
if plan:
    st.caption(f"{len(plan) * seed_count} runs of {base.epochs} epoch(s) each, one after another"
               + (f": each value with {seed_count} seeds, its result the mean with error bars." if seed_count > 1 else "."))
if kept_button("Sweep", "sweep_start", type="primary", icon=":material/tune:", disabled=busy or not plan,
                help="A sweep is running: stop it first." if busy else None):
    try:
        if seed_count > 1:  # each value a group of seeds: the chart gets error bars
            runs, places = seeds.groups_of_runs([(config, f"{knob}={value}") for value, config in plan], seed_count)
        else:
            runs, places = [live.new_job(config, f"{knob}={value}") for value, config in plan], []
        job = SweepJob(runs)
    except UserError as error:
        st.error(markdown(str(error)))
    else:
        if live.start(SWEEP, job):
            st.session_state["sweep_setup"] = (knob, [value for value, _ in plan for _ in range(seed_count)])
            st.session_state["sweep_seeds"], st.session_state["sweep_groups"] = seed_count, places

sweep = st.session_state.get(SWEEP)
live.several_jobs_panel(SWEEP, height=300, count_finished=True)

if sweep is not None and sweep.done:
    swept, values = st.session_state["sweep_setup"]
    done = [(value, job) for value, job in zip(values, sweep.jobs) if job.result is not None and job.history]
    if done:
        task = done[0][1].result.task
        metric = metric_name(task)
        st.subheader(f"Final {metric} against {KNOBS[swept].title.lower()}")
        table = sweep_table([(value, job.history, job.result.test) for value, job in done], swept, metric)
        chance = getattr(done[0][1].dataset, "chance_accuracy", None) if metric == "accuracy" else None
        log_x = KNOBS[swept].log_scale and min(values) > 0
        if st.session_state.get("sweep_seeds", 1) > 1:  # each value's seeds: the mean with ±1 sd error bars
            spread = table.groupby(swept, sort=False)[f"validation {metric}"].agg(
                mean="mean", sd="std", low="min", high="max", seeds="count").reset_index().fillna({"sd": 0.0})
            st.altair_chart(error_bar_chart(spread, swept, f"validation {metric}", log_x=log_x, baseline=chance or 0.0),
                            width="stretch")
            st.caption(f"Each point: the mean of {st.session_state['sweep_seeds']} seeds' final validation {metric}; "
                       "the bars: ±1 standard deviation over those seeds. Points whose bars overlap differ by no "
                       "more than chance moves them.")
        else:
            st.altair_chart(charts.metric_vs_setting_chart(table, swept, f"validation {metric}", baseline=chance or 0.0,
                                                           log_x=log_x), width="stretch")
        if chance:
            st.caption(f"The axis starts at chance ({chance:.0%}, guessing the most common class) and ends at 100 %.")
        st.dataframe(table, hide_index=True)
        places = st.session_state.get("sweep_groups") or []
        if places:  # with seeds: each value's runs together, against the first value in words
            st.subheader("Each value, its seeds together")
            seeds.groups_results([seeds.Seeds.of_jobs([sweep.jobs[i] for i in runs], sweep.jobs[runs[0]].label.rsplit(
                " · seed ", 1)[0], sweep.jobs[runs[0]].config) for _, runs in places], key="sweep_seeds_")
            seeds.failed_runs(sweep.jobs)
        else:
            st.subheader("Each run")
            columns = st.columns(min(2, len(done)))  # two a row: tall enough to read, the legend not cut
            for i, (value, job) in enumerate(done):
                with columns[i % len(columns)]:
                    st.markdown(f"**{swept} = {markdown(str(value))}** · {VERDICT_ICONS.get(job.result.verdict.kind, '')} "
                                f"{job.result.verdict.title}")
                    verdict = job.result.verdict
                    st.vega_lite_chart(spec=charts.training_charts(job.history, task, best_epoch=verdict.best_epoch,
                                                                   evidence=verdict.evidence, height=220)[0], width="stretch")
                    with st.popover("Verdict and next steps", icon=":material/rule:", width="stretch"):
                        verdict_panel(verdict, job.result.config, key=f"sweep_{i}_", go_to="train")
