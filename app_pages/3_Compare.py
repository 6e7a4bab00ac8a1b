"""Compare: two or more runs overlaid, their settings side by side with the differences named."""
import pandas as pd
import streamlit as st

from nnlab.charts import training as charts
from nnlab.core.errors import UserError
from nnlab.store.table import (differing_settings, hparams_table, newest_of_one_data_set, results_frame, settings_frame,
                             unique_labels)
from nnlab.core.safe_text import markdown, spreadsheet_csv
from nnlab.ui import live, navigation, workspace
from nnlab.ui.results import VERDICT_ICONS, saved_verdict, verdict_panel
from nnlab.ui.session_keys import COMPARE_IDS

st.title(":material/compare_arrows: Compare")
store = workspace.required_store()
if store is None:
    live.stop_page()
runs, _ = store.list()
if len(runs) < 2:
    st.info("Compare needs at least two runs: train one, change one setting, train again.")
    navigation.link("train")
    live.stop_page()

labels = dict(zip((run.id for run in runs), unique_labels(runs)))
linked = [i for i in st.query_params.get("runs", "").split(",") if i in labels]
default = [i for i in st.session_state.get(COMPARE_IDS, linked) if i in labels] or newest_of_one_data_set(runs)
ids = st.multiselect("Runs to compare", list(labels), default=default, format_func=labels.get, key="compare_pick")
st.session_state[COMPARE_IDS] = ids
if ids:
    st.query_params["runs"] = ",".join(ids)
if len(ids) < 2:
    st.info("Pick two or more runs.")
    live.stop_page()

try:
    chosen = sorted((store.load(i) for i in ids), key=lambda run: run.created)  # oldest first: "before → after"
except UserError as error:
    st.error(f"{markdown(str(error))}. Pick the runs again.")
    live.stop_page()
names = [labels[run.id] for run in chosen]
tasks = {run.task for run in chosen}
if len(tasks) > 1:
    st.warning("These runs mix classification and regression; only their losses compare.")

settings = settings_frame([run.config for run in chosen], names)
settings.loc["train_size"] = [f"{run.train_examples or run.config.train_size:,}" if run.train_examples or run.config.train_size
                              else "all" for run in chosen]  # "0 = all" as the number of examples it was
differ = differing_settings(settings)
if differ:
    st.markdown("**What differs:** " + markdown("; ".join(
        f"{name} " + " → ".join(str(v) for v in settings.loc[name]) for name in differ)))
else:
    st.markdown("**These runs have identical settings** (differences come from chance alone only if the seeds differ).")

st.subheader("Curves")
st.caption("One colour per run; training solid, validation dashed.")
live.curves(charts.compare_charts([(name, run.history, run.task) for name, run in zip(names, chosen)]), key="compare")

# Full width, one above the other: a column per run needs the room (side by side, the third run was cut off).
st.subheader("Results")
verdicts = [saved_verdict(run) for run in chosen]  # made again from the curves: what Train said, with next steps
figures = results_frame(chosen, names)
figures.loc["verdict"] = [verdict.title if verdict else "–" for verdict in verdicts]
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
