"""Runs: every run kept — sort, filter, rename, delete, export, compare, start again from one. A group of
seeds is one row; ticked, it unfolds into its runs, its mean ± spread and the verdict of its mean curves."""
import pandas as pd
import streamlit as st

from nnlab.core.errors import UserError
from nnlab.store.groups import PREFIX, delete_group, groups_of, load_group
from nnlab.store.table import SORTABLE, filter_runs, for_display, runs_and_groups_frame, runs_frame, sort_runs
from nnlab.core.safe_text import markdown, spreadsheet_csv
from nnlab.ui import classes as class_ui, controls, live, navigation, results, seeds, workspace
from nnlab.ui.inside import saved_run_panel
from nnlab.ui.session_keys import COMPARE_IDS

st.title(":material/folder_open: Runs")
store = workspace.required_store()
if store is None:
    live.stop_page()
runs, damaged = store.list()
if not runs:
    st.info("No runs yet: every run you train on the Train, Race or Sweep page is kept here.")
    navigation.link("train", "Train a first network")
by_id = {run.id: run for run in runs}
groups = {group.key: group for group in groups_of(runs)[0]}
table = runs_and_groups_frame(runs)

if runs:
    search, datasets, statuses, order = st.columns([3, 2, 2, 2])
    text = search.text_input("Find", placeholder="a name, data set or optimizer")
    chosen_sets = datasets.multiselect("Data sets", sorted(table["dataset"].unique()))
    chosen_status = statuses.multiselect("Status", sorted(table["status"].unique()))
    sort_by = order.selectbox("Sort by", [c for c in SORTABLE if c in table], help="Or click a column's header.")
    shown = filter_runs(sort_runs(table, sort_by), text, chosen_sets, chosen_status)
    st.caption(f"{len(shown)} of {len(table)} rows. Click a column to sort; tick rows to act on them"
               + (" — a row with seeds is a group of runs: tick it to unfold it." if groups else "."))
    display = for_display(shown)  # blank cells where a run has no value, not the word "None"
    formats = {"best val accuracy": st.column_config.NumberColumn(format="percent"),
               "test accuracy": st.column_config.NumberColumn(format="percent"),
               "seeds": st.column_config.NumberColumn(help="A group: the same settings trained with this many seeds; "
                                                          "its figures are their mean, its spread ±1 sd"),
               "learning_rate": st.column_config.NumberColumn("learning rate", format="%g")}
    picked = st.dataframe(
        display, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key="runs_table",
        column_order=[c for c in shown.columns if c != "id"],
        column_config={name: form for name, form in formats.items()
                       if name in display and pd.api.types.is_numeric_dtype(display[name])},
    )
    selected = [shown.iloc[i]["id"] for i in picked.selection.rows]
    st.download_button("Export the table (CSV)", spreadsheet_csv(shown), "nnlab-runs.csv", "text/csv",
                       on_click="ignore", icon=":material/download:")

    actions = st.columns(4)
    if actions[0].button("Compare", icon=navigation.PAGES["compare"].material_icon, disabled=len(selected) < 2, width="stretch",
                         help="Tick two or more runs."):
        st.session_state[COMPARE_IDS] = selected
        navigation.go("compare")
    if actions[1].button("New run from this one", icon=navigation.PAGES["train"].material_icon, disabled=len(selected) != 1,
                         width="stretch", help="Open the Train page with this run's settings."):
        chosen = groups[selected[0]].config if selected[0] in groups else by_id[selected[0]].config
        controls.request_settings(chosen, open_page="train")

    if actions[2].button("Delete…", icon=":material/delete:", disabled=not selected, width="stretch"):
        st.session_state["delete_pending"] = selected
    pending = [key for key in st.session_state.get("delete_pending", []) if key in by_id or key in groups]
    if pending:
        with st.container(border=True):
            count = sum(len(groups[key].runs) if key in groups else 1 for key in pending)
            st.warning(f"Delete {count} run(s) and their files? This cannot be undone: " + markdown(", ".join(
                f"{groups[key].label} ({len(groups[key].runs)} seeds)" if key in groups else by_id[key].label or key
                for key in pending)))
            yes, no = st.columns(2)
            if yes.button("Yes, delete", type="primary", width="stretch"):
                for key in pending:
                    if key in groups:
                        delete_group(store, key.removeprefix(PREFIX))
                    else:
                        store.delete(key)
                st.session_state.pop("delete_pending")
                st.rerun()
            if no.button("Cancel", width="stretch"):
                st.session_state.pop("delete_pending")
                st.rerun()
    if len(selected) == 1 and selected[0] in by_id:
        with actions[3].popover("Rename", icon=":material/edit:", width="stretch"):
            name = st.text_input("Name", value=by_id[selected[0]].label, key=f"rename_{selected[0]}")
            if st.button("Save name"):
                try:
                    store.rename(selected[0], name)
                except (OSError, UserError) as error:
                    reason = error.strerror if isinstance(error, OSError) else str(error)  # no server paths
                    st.error(f"Could not rename: {markdown(str(reason))}")
                else:
                    st.rerun()
    if len(selected) == 1 and selected[0] in groups:  # a group unfolds: its runs, mean ± spread, its verdict
        try:
            opened = load_group(store, selected[0].removeprefix(PREFIX))
        except UserError as error:
            st.error(markdown(str(error)))
        else:
            st.markdown(f"**{markdown(opened.label)}**: {opened.seeds_text()} of the same settings. Its runs:")
            members = for_display(runs_frame(opened.runs))
            st.dataframe(members, hide_index=True, width="stretch", column_order=[c for c in members.columns if c != "id"],
                         column_config={name: form for name, form in formats.items()
                                        if name in members and pd.api.types.is_numeric_dtype(members[name])},
                         key="group_runs")
            seeds.group_results(seeds.Seeds.of_group(opened), key=f"runs_{opened.id}_")
    elif len(selected) == 1:  # the ticked run's verdict, made again from its curves: what Train said, with next steps
        try:
            opened = store.load(selected[0])
        except UserError as error:
            st.error(markdown(str(error)))
        else:
            verdict = results.saved_verdict(opened)
            if verdict is not None:
                st.caption(f"The verdict on {markdown(opened.label or opened.id)}, read from its curves:")
                results.verdict_panel(verdict, opened.config, key=f"runs_{opened.id}_", go_to="train")
            class_ui.share_ticks(opened.id)
            saved_run_panel(store, opened)

if damaged:
    with st.expander(f"{len(damaged)} folder(s) in the runs folder could not be read and are skipped"):
        for item in damaged:
            st.markdown(f"- {markdown(item.id)}: {markdown(item.reason)}")
