"""Race: 2–4 configurations trained at the same time, their curves growing together in one chart."""
import pandas as pd
import streamlit as st

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.serving.jobs import RaceJob
from nnlab.lessons.presets import RACES
from nnlab.store.names import OPTIMIZER_NAMES
from nnlab.core.safe_text import markdown
from nnlab.config.settings import shown
from nnlab.ui import controls, link, live, navigation, results, seeds
from nnlab.ui.session_keys import COMPARE_IDS, CURRENT_SETTINGS, RACE, RACE_LESSON
from nnlab.ui.kept_click import kept_button

COUNT = "race_count"
RACE_GROUPS = "race_groups"  # with seeds: each configuration's runs by their place in the race
LETTERS = "ABCD"


def in_words(changes: dict) -> str:
    """{'optimizer': ('adam', 'sgd')} → 'optimizer Adam → SGD', as people write it."""
    def value(name, v):
        return OPTIMIZER_NAMES.get(v, v) if name == "optimizer" else shown(name, v)

    return "; ".join(f"{name.replace('_', ' ')} {value(name, old)} → {value(name, new)}"
                     for name, (old, new) in changes.items())


st.title(":material/sports_score: Race")
st.markdown("Two to four configurations train at the same time, their curves growing together in one chart: "
            "change **one** setting in B (and C, D) and press **Race**. Each is kept as a run.")
link.race_from_link(COUNT)
for prefix in link.RACE_PREFIXES:  # on a first visit every configuration starts from the Train page's settings
    if f"{prefix}dataset" not in st.session_state and controls.requested(prefix) is None:
        controls.request_settings(st.session_state.get(CURRENT_SETTINGS) or RunConfig(), prefix)

how_many, repeat = st.columns([2, 1], vertical_alignment="bottom")
count = how_many.segmented_control("Configurations", [2, 3, 4], key=COUNT, required=True,
                                   **({} if COUNT in st.session_state else {"default": 2}),
                                   help="How many configurations race (each trains in turn, epoch by epoch).")
seed_count = seeds.seeds_control(repeat, "race_seed_count", "Repeat each with N seeds")
top = st.container()  # the race itself above its settings: the curves are seen without scrolling
prefixes, letters = link.RACE_PREFIXES[:count], LETTERS[:count]
configs = []
for letter, prefix, tab in zip(letters, prefixes, st.tabs([f"Settings of {letter}" for letter in letters])):
    with tab:
        if configs and configs[0] is not None:
            st.button(f"Make {letter} a copy of A", key=f"copy_{prefix}", icon=":material/content_copy:",
                      on_click=controls.request_settings, args=(configs[0], prefix))
        configs.append(controls.controls(prefix, tab, compact=True, columns=True))  # four groups side by side

with top:
    lesson = st.session_state.get(RACE_LESSON)
    if lesson is not None and tuple(configs) == lesson.configs:  # until its settings are left
        st.info(f"**{lesson.title}.** {lesson.description} *Look for:* {lesson.look_for}", icon=":material/school:")
    busy = any(not job.done for job in live.jobs_of(st.session_state.get(RACE)))
    ready = all(config is not None for config in configs)
    labels, problems = ["A"], []
    if ready:
        lines = []
        for letter, config in zip(letters[1:], configs[1:]):
            changes = config.changes_from(configs[0])
            labels.append(f"{letter}: {in_words(changes)}" if changes else letter)
            lines.append(f"**{letter}** differs from A in: {markdown(in_words(changes))}")
            same = [other for other, earlier in zip(letters, configs) if earlier == config and other < letter]
            if same:
                problems.append(f"**{letter}** is the same as **{same[0]}**: change a setting in its tab.")
        st.markdown("  \n".join(problems or lines))
        link.race_to_link(configs)
    if kept_button("Race", "race_start", type="primary", icon=":material/sports_score:",
                   disabled=busy or not ready or bool(problems),
                   help="A race is running: stop it first." if busy else "All configurations train at once."):
        try:
            if seed_count > 1:  # each configuration a group of seeds; all of them one race in one slot
                jobs, places = seeds.groups_of_runs(list(zip(configs, labels)), seed_count)
            else:
                jobs, places = [live.new_job(config, label) for config, label in zip(configs, labels)], []
            if live.start(RACE, RaceJob(jobs)):
                st.session_state[RACE_GROUPS] = places
        except UserError as error:
            st.error(markdown(str(error)))

    live.several_jobs_panel(RACE)
    jobs = live.jobs_of(st.session_state.get(RACE))
    places = st.session_state.get(RACE_GROUPS) or []
    labels_of = [job.label.rsplit(" · seed ", 1)[0] for job in jobs]  # a group's runs: its label and their seed
    if jobs and all(job.done for job in jobs) and places:  # with seeds: each configuration's mean ± spread
        seeds.groups_results([seeds.Seeds.of_jobs([jobs[i] for i in runs], labels_of[runs[0]], jobs[runs[0]].config)
                              for _, runs in places], key="race_seeds_")
        seeds.failed_runs(jobs)
        if all(job.run_id for job in jobs):
            st.session_state[COMPARE_IDS] = [key for key, _ in places]
            navigation.link("compare", f"Compare the {len(places)} groups in detail")
    elif jobs and all(job.done for job in jobs):
        finished = [job for job in jobs if job.result is not None]
        if finished:
            metric = "accuracy" if finished[0].result.task == "classification" else "mae"
            table = pd.DataFrame([{"run": job.label, f"test {metric}": job.result.test.get(metric),
                                   "test loss": job.result.test.get("loss"), "epochs": job.result.epochs_run,
                                   "verdict": job.result.verdict.title} for job in finished])
            st.dataframe(table, hide_index=True, width="stretch", column_config={
                "test accuracy": st.column_config.NumberColumn(format="percent"),
                "test loss": st.column_config.NumberColumn(format="%.4g")})
            for i, (job, tab) in enumerate(zip(finished, st.tabs([f"Verdict of {job.label.split(':')[0]}"
                                                                   for job in finished]))):
                with tab:  # next steps as on every page: they open Train with the change
                    results.verdict_panel(job.result.verdict, job.result.config, key=f"race_{i}_", go_to="train")
        for job in jobs:
            if job.result is None:
                st.error(f"{markdown(job.label)}: {markdown(job.message)}")
        if all(job.run_id for job in jobs):
            st.session_state[COMPARE_IDS] = [job.run_id for job in jobs]
            navigation.link("compare", f"Compare the {len(jobs)} runs in detail")
    if not jobs:
        for key, race in RACES.items():
            if any(link.locked(name) for config in race.configs[1:] for name in config.changes_from(race.configs[0])):
                continue  # it races a setting the teacher's link fixed
            st.button(f"Lesson: {race.title}", key=f"lesson_{key}", icon=":material/school:", type="tertiary",
                      on_click=link.race_lesson, args=(race, COUNT), help=race.description)
