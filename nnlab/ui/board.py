"""The class's board on its page: what the class found, drawn to be projected, and the teacher's controls on
it. The tables are nnlab/store/board.py's, the charts nnlab/charts/board.py's.

Live without polling the whole page: a small fragment asks the store every REFRESH_SECONDS who is
training (it draws that list) and which runs the board holds; only when those runs change does it
rerun the page to draw the charts again. Its cost is one board read per REFRESH_SECONDS, shared by every open
board of the class on this server (store/board.watched), and a few hundred bytes to the browser; the charts are not re-sent while nothing changes. Measured
(bench/board.py --watch-cost, 30 runs of 12 students, a minute): the server 0.8 % of a core against 0.3 % for
an open Home page, the browser 3.5 % against 0.2 % (≈0.17 s per fragment rerun, Streamlit's fixed cost)."""
from __future__ import annotations

import zlib

import pandas as pd
import streamlit as st

from nnlab.charts import board as charts
from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown, spreadsheet_csv
from nnlab.store import board, classes
from nnlab.store.board import ACCURACY, HIDDEN, LOG_SCALED
from nnlab.store.table import run_label
from nnlab.ui import controls, navigation, workspace
from nnlab.ui.classes import CLASS, JOIN, act, app_link
from nnlab.ui.session_keys import COMPARE_IDS

REFRESH_SECONDS = 5
TRAINING_NAMED = 6  # "Training now" names this many: a line on a projector, not the class (that pushed the charts down)
BOARD_PREFIX = "board:"  # a Compare key of a run on a board: board:<class id>:<run id>
MOST_BORROWED = 30  # runs from boards one Compare shows (a whole class's ticked runs, not a made-up link's thousands)
_DRAWN = "_board_drawn"  # what the page's charts show: the board's signature when they were drawn
TABLE = "board_table"  # the table's key, with its rows' digest
PICKED = "_board_picked"  # the run ids ticked in the table (its ticks follow them when the rows move)
SHOWN_COLUMNS = ["student", "name", "dataset", ACCURACY, "params", "verdict", "optimizer", "learning_rate", "hidden",
                 "epochs run"]


def signature(found: board.Board) -> tuple:
    """What the charts depend on: the runs, whether each is hidden, the class's state."""
    return found.entries, found.students, found.school_class.closed


def board_page(class_id: str, key: str | None) -> classes.SchoolClass:
    """The board (the teacher's view when `key` is theirs); its class."""
    url = workspace.database_url()
    found = board.board(url, class_id, teacher=key is not None)
    st.session_state[_DRAWN] = found.read_at, signature(found)
    school_class, runs = found.school_class, found.runs
    st.title(f":material/leaderboard: {markdown(school_class.name)}")
    shared = len(runs) - (int(runs[HIDDEN].sum()) if len(runs) else 0)
    counts, picker = st.columns([3, 2], vertical_alignment="center")  # one row: a projector has little height
    counts.markdown(f"**{found.students}** student{'s' if found.students != 1 else ''} · **{shared}** run"
                    f"{'s' if shared != 1 else ''} shared" + (" · the class is **closed** to new runs"
                                                              if school_class.is_closed else
                                                              f" · join: `{app_link('class', **{JOIN: class_id})}`"))
    with counts:
        live_part(class_id, key)
    if runs.empty:
        st.info("No runs on the board yet: a student's finished runs appear here, under their name, as they end.")
        return school_class
    datasets = runs["dataset"].value_counts().index.tolist()
    chosen = picker.segmented_control("Data set", datasets, default=datasets[0], key="board_dataset",
                                      label_visibility="collapsed") if len(datasets) > 1 else datasets[0]
    chosen = chosen or datasets[0]
    these = runs[runs["dataset"] == chosen]
    chart, ranks = st.columns([3, 2])
    with chart:
        st.subheader("Parameters against accuracy")
        st.altair_chart(charts.params_chart(these, board.front(these)), width="stretch")
        st.caption("A point per run, its colour its verdict; the dashed line is the front: the best accuracy for a "
                   "budget of parameters. Accuracy is the test set's (the best validation epoch's where a run has no test).")
    with ranks:
        st.subheader(f"Leaderboard · {markdown(chosen)}")
        top = board.leaderboard(these, chosen)
        st.dataframe(top.drop(columns=["id", "name"]), hide_index=True, width="stretch",
                     column_config={ACCURACY: st.column_config.NumberColumn(format="percent"),
                                    "params": st.column_config.NumberColumn(format="localized")})
        st.subheader("Verdicts")
        st.altair_chart(charts.verdicts_chart(board.verdict_counts(these)), width="stretch")
    sweep_part(these)
    runs_part(class_id, runs, key)
    return school_class


@st.fragment(run_every=REFRESH_SECONDS)
def live_part(class_id: str, key: str | None) -> None:
    """Who is training now; the page drawn again when the board's runs changed."""
    try:
        found = board.watched(workspace.database_url(), class_id, teacher=key is not None)
    except UserError as error:  # the class ended meanwhile
        st.warning(markdown(str(error)))
        return
    drawn_at, drawn = st.session_state.get(_DRAWN, (0.0, None))
    if found.read_at >= drawn_at and signature(found) != drawn:  # a shared read older than the charts says nothing
        st.rerun(scope="app")
    if found.training.empty:
        st.caption(":material/hourglass_empty: Nobody is training right now.")
    else:
        rows = list(found.training.itertuples())
        more = len(rows) - TRAINING_NAMED
        st.markdown(f":material/model_training: **Training now** ({len(rows)}): " + markdown("; ".join(
            f"{row.student} on {row.dataset}, epoch {row.epochs}" for row in rows[:TRAINING_NAMED]))
                    + (f"; and {more} more" if more > 0 else ""))


def sweep_part(runs: pd.DataFrame) -> None:
    """The combined sweep: every student's value of one setting against their result."""
    offered = board.sweep_settings(runs)
    if not offered:
        return
    st.subheader("The class's combined sweep")
    setting = st.selectbox("Setting", offered, key="board_sweep", format_func=lambda name: name.replace("_", " "))
    st.altair_chart(charts.sweep_chart(runs, setting, log_x=setting in LOG_SCALED), width="stretch")
    st.caption(f"{len(runs)} runs nobody had to queue alone: each student's {setting.replace('_', ' ')} against their "
               "accuracy, coloured by verdict.")


def runs_part(class_id: str, runs: pd.DataFrame, key: str | None) -> None:
    """Every run on the board; ticked ones open in Compare or as a new run on Train (the teacher hides,
    shows or removes them)."""
    st.subheader("Every run on the board")
    shown = runs.sort_values(ACCURACY, ascending=False, na_position="last").reset_index(drop=True)
    columns = SHOWN_COLUMNS + ([HIDDEN] if key else [])
    # A tick is a row number: when a run arrives or leaves, the rows move and a kept tick would sit on another
    # student's run (one Remove for good away). So the table is a new one whenever its rows change, its ticks
    # put back on the runs that were ticked.
    order = list(shown["id"])
    ticked = [order.index(run_id) for run_id in st.session_state.get(PICKED, []) if run_id in order]
    picked = st.dataframe(shown[columns], hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="multi-row", key=f"{TABLE}_{zlib.crc32(' '.join(order).encode()):08x}",
                          selection_default={"selection": {"rows": ticked}},
                          column_config={ACCURACY: st.column_config.NumberColumn(format="percent"),
                                         HIDDEN: st.column_config.CheckboxColumn("hidden by you")})
    selected = [shown.iloc[i]["id"] for i in picked.selection.rows if i < len(shown)]
    st.session_state[PICKED] = selected
    st.caption("Tick runs to open them in Compare, or one as a new run on Train.")
    actions = st.columns(4 if key else 2)
    actions[0].button("Compare", icon=navigation.PAGES["compare"].material_icon, disabled=len(selected) < 2,
                      width="stretch", key="board_compare", on_click=_compare, args=(class_id, selected))
    actions[1].button("New run from this one", icon=navigation.PAGES["train"].material_icon, key="board_train",
                      disabled=len(selected) != 1, width="stretch", on_click=_new_run, args=(class_id, selected))
    if key:
        url = workspace.database_url()
        hidden = [run_id for run_id in selected if shown.set_index("id").loc[run_id, HIDDEN]]
        actions[2].button("Hide" if len(hidden) < len(selected) or not selected else "Show again", width="stretch",
                          icon=":material/visibility_off:", disabled=not selected, key="board_hide",
                          on_click=act, args=(lambda: [classes.set_hidden(url, class_id, key, run_id,
                                                                          len(hidden) < len(selected))
                                                       for run_id in selected],))
        actions[3].button("Remove for good", icon=":material/delete:", disabled=not selected, width="stretch",
                          key="board_remove", on_click=act,
                          args=(lambda: [classes.remove(url, class_id, key, run_id) for run_id in selected],))
        st.download_button("Export the board (CSV)", spreadsheet_csv(board.export_frame(runs)), "nnlab-board.csv",
                           "text/csv", on_click="ignore", icon=":material/download:")
    if st.session_state.pop("_board_go", None):
        navigation.go(st.session_state.pop("_board_go_page"))


def _compare(class_id: str, selected: list[str]) -> None:
    st.session_state[COMPARE_IDS] = [f"{BOARD_PREFIX}{class_id}:{run_id}" for run_id in selected]
    st.session_state["_board_go"], st.session_state["_board_go_page"] = True, "compare"


def _new_run(class_id: str, selected: list[str]) -> None:
    def take():
        _, run = board.load_run(workspace.database_url(), class_id, selected[0])
        controls.request_settings(run.config)
        st.session_state["_board_go"], st.session_state["_board_go_page"] = True, "train"
    act(take)


def borrowed(keys: list[str]) -> dict[str, tuple[str, object]]:
    """Compare's runs from a board (keys board:<class>:<run>, from this tab or a link): key → (label "student ·
    run", the run), those still on their board for everyone to see. One board read per class, for at most
    MOST_BORROWED runs: a link may name any number."""
    wanted: dict[str, list[str]] = {}
    for key in [key for key in dict.fromkeys(map(str, keys)) if key.startswith(BOARD_PREFIX)][:MOST_BORROWED]:
        class_id, _, run_id = key.removeprefix(BOARD_PREFIX).partition(":")
        wanted.setdefault(class_id, []).append(run_id)
    found = {}
    for class_id, run_ids in wanted.items():
        try:
            shown = board.load_runs(workspace.database_url(), class_id, run_ids)
        except UserError:  # the class has ended, or a made-up id
            continue
        for run_id, (student, run) in shown.items():
            found[f"{BOARD_PREFIX}{class_id}:{run_id}"] = (f"{student} · {run_label(run)}", run)
    return found


def class_of_link() -> str | None:
    return st.query_params.get(CLASS)
