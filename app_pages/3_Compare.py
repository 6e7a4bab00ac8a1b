"""Compare: two or more runs overlaid, their settings side by side with the differences named. A group of
seeds compares as its mean curves in a band, its figures as mean ± spread, and the page says in words
whether a difference is bigger than the seeds' spread."""
import pandas as pd
import streamlit as st

from nnlab.charts import training as charts
from nnlab.core.errors import UserError
from nnlab.store.table import (differing_settings, hparams_table, newest_of_one_data_set, results_frame, settings_frame,
                             unique_labels)
from nnlab.core.safe_text import markdown, spreadsheet_csv
from nnlab.store.groups import PREFIX, groups_of, load_group
from nnlab.charts.seeds import band_charts
from nnlab.ui import live, navigation, seeds, workspace
from nnlab.ui.board import borrowed
from nnlab.ui.results import VERDICT_ICONS, saved_verdict, verdict_panel
from nnlab.ui.session_keys import COMPARE_IDS

st.title(":material/compare_arrows: Compare")
store = workspace.required_store()
if store is None:
    live.stop_page()
runs, _ = store.list()
linked = st.query_params.get("runs", "").split(",")  # a reloaded tab or a shared link: its runs, its boards' too
from_boards = borrowed([*st.session_state.get(COMPARE_IDS, []), *linked])  # runs from a class's board: key → (label, run)
if len(runs) + len(from_boards) < 2:
    st.info("Compare needs at least two runs: train one, change one setting, train again.")
    navigation.link("train")
    live.stop_page()

labels = dict(zip((run.id for run in runs), unique_labels(runs)))
labels = {**{group.key: f"{group.label or labels[group.runs[0].id]} ({len(group.runs)} seeds)"
             for group in groups_of(runs)[0]}, **labels}  # a group of seeds first, then every run alone
labels.update({key: label for key, (label, _) in from_boards.items()})
linked = [i for i in linked if i in labels]
default = [i for i in st.session_state.get(COMPARE_IDS, linked) if i in labels] or newest_of_one_data_set(runs)
ids = st.multiselect("Runs to compare", list(labels), default=default, format_func=labels.get, key="compare_pick",
                     help="A row with seeds is a group: its mean and spread.")
st.session_state[COMPARE_IDS] = ids
if ids:
    st.query_params["runs"] = ",".join(ids)
if len(ids) < 2:
    st.info("Pick two or more runs.")
    live.stop_page()

try:  # oldest first: "before → after"; a group stands as its first run (its settings) and its seeds
    picked = sorted(((key, load_group(store, key.removeprefix(PREFIX)) if key.startswith(PREFIX)
                      else from_boards[key][1] if key in from_boards else store.load(key))
                     for key in ids), key=lambda item: item[1].created)
except UserError as error:
    st.error(f"{markdown(str(error))}. Pick the runs again.")
    live.stop_page()
chosen = [item.runs[0] if key.startswith(PREFIX) else item for key, item in picked]
names = [labels[key] for key, _ in picked]
items = [seeds.Seeds.of_group(item, name) if key.startswith(PREFIX) else seeds.Seeds.of_run(item, name)
         for (key, item), name in zip(picked, names)]
grouped = any(key.startswith(PREFIX) for key, _ in picked)
tasks = {run.task for run in chosen}
if len(tasks) > 1:
    st.warning("These runs mix classification and regression; only their losses compare.")

settings = settings_frame([run.config for run in chosen], names)
settings.loc["train_size"] = [f"{run.train_examples or run.config.train_size:,}" if run.train_examples or run.config.train_size
                              else "all" for run in chosen]  # "0 = all" as the number of examples it was
settings.loc["seed"] = [item.seeds_text() if key.startswith(PREFIX) else run.config.seed
                        for (key, item), run in zip(picked, chosen)]
differ = differing_settings(settings)
if differ:
    st.markdown("**What differs:** " + markdown("; ".join(
        f"{name} " + " → ".join(str(v) for v in settings.loc[name]) for name in differ)))
else:
    st.markdown("**These runs have identical settings** (differences come from chance alone only if the seeds differ).")

if len(tasks) == 1:
    seeds.words_panel(items)
st.subheader("Curves")
if grouped:
    st.caption("One colour per run or group; training solid, validation dashed. A group's line is the mean of its "
               "seeds, its band spans the lowest to the highest seed (min–max).")
    for column, chart in zip(st.columns(2), band_charts(pd.concat([item.bands() for item in items]), chosen[0].task)):
        column.altair_chart(chart, width="stretch")
else:
    st.caption("One colour per run; training solid, validation dashed.")
    live.curves(charts.compare_charts([(name, run.history, run.task) for name, run in zip(names, chosen)]), key="compare")

# Full width, one above the other: a column per run needs the room (side by side, the third run was cut off).
st.subheader("Results")
# made again from the curves: what Train said, with next steps; a group's from its mean curves
verdicts = [item.verdict().verdict if key.startswith(PREFIX) and item.histories else saved_verdict(run)
            for (key, _), item, run in zip(picked, items, chosen)]
figures = results_frame(chosen, names)
for (key, _), item, name in zip(picked, items, names):
    if key.startswith(PREFIX):
        figures[name] = pd.Series(item.figures(figures[name].to_dict()))
figures.loc["verdict"] = [item.figures({})["verdict"] if key.startswith(PREFIX) and item.histories
                          else verdict.title if verdict else "–" for (key, _), item, verdict in zip(picked, items, verdicts)]
st.dataframe(figures.astype(str), width="stretch")
judged = [(name, run, verdict) for name, run, verdict in zip(names, chosen, verdicts) if verdict is not None]
for tab, (name, run, verdict) in zip(st.tabs([f"{VERDICT_ICONS.get(v.kind, '')} {markdown(n)}" for n, _, v in judged])
                                     if judged else [], judged):
    with tab:
        verdict_panel(verdict, run.config, key=f"compare_{run.id}_", go_to="train")
st.subheader("Settings")
only_differences = st.toggle("Differences only", value=True)
rows = settings.loc[differ] if only_differences and differ else settings
st.dataframe(rows.astype(str).style.apply(
    lambda row: ["background-color: rgba(255, 190, 60, 0.35)" if row.name in differ else "" for _ in row], axis=1),
    width="stretch")

if len(chosen) >= 3:
    st.subheader("Settings against results")
    table = hparams_table(chosen, names)
    for i, item in enumerate(items):  # a group's figure is its seeds' mean
        if len(item.tests) > 1 and f"test {item.metric}" in table:
            table.loc[i, f"test {item.metric}"] = item.spread().mean
    figures = table.filter(regex="^(best val|test) ")
    choice, result_choice = st.columns(2)
    setting = choice.selectbox("Setting", differ + [c for c in settings.index if c not in differ], key="scatter_x")
    result = result_choice.selectbox("Result", list(figures.columns), key="scatter_y")
    st.altair_chart(charts.metric_vs_setting_chart(table, setting, result, colour="run",
                                                   log_x=setting in ("learning_rate", "l1", "l2")), width="stretch")
    st.caption("Each run a line across the settings that differ and its result (as TensorBoard's HParams).")
    st.altair_chart(charts.parallel_coordinates_chart(table, [*differ, result], result), width="stretch")

st.download_button("Settings and results (CSV)", spreadsheet_csv(pd.concat([settings, results_frame(chosen, names)]), index=True),
                   "nnlab-compare.csv", "text/csv", on_click="ignore", icon=":material/download:")
