"""A class on the pages: making one, its two links, joining with a display name, the "share with the
class" tick on a student's runs, and the teacher's controls. The rules are nnlab/store/classes.py's.

Links: the student link is `/Class?join=<id>`, the teacher link `/Class?class=<id>&key=<key>`; the board is
`/Board?class=<id>`, for everyone. The tab that opened the teacher link (or made the class) keeps the key in
its session, takes it out of its address bar (`/Class?class=<id>`: a projected page never shows it) and shows
the teacher's controls there; reloaded, it asks for the teacher link again. Actions are `on_click` callbacks (a
click whose run is cut short is not lost, ARCHITECTURE.md's traps) and say their outcome from `st.session_state`."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import streamlit as st

from nnlab.core.errors import UserError
from nnlab.core.safe_text import markdown
from nnlab.store import classes
from nnlab.store.classes import SchoolClass
from nnlab.store.table import run_label
from nnlab.ui import navigation, workspace
from nnlab.ui.link import LESSON

CLASS, JOIN, KEY = "class", "join", "key"  # the links' parameters
TEACHER_KEYS = "_class_teacher_keys"  # class id → the teacher's key, in the tab that holds it
NOTICE = "_class_notice"  # (kind, words): the outcome of the last class action, said at the next run


def app_link(page: str, **params: str) -> str:
    """A page's full address on this server (under its path prefix, if any), with `params`."""
    here = (st.context.url or "").split("?")[0]
    base = here[:len(here) - len(navigation.current_url_path())].rstrip("/") if navigation.current_url_path() \
        else here.rstrip("/")
    return f"{base}/{navigation.PAGES[page].url}" + (f"?{urlencode(params)}" if params else "")


def teacher_key(class_id: str) -> str | None:
    """The teacher's key for `class_id` if this tab holds the right one (from the link or from making it). A right
    key leaves the address bar at once, kept by the tab: the teacher's page gets projected (to show the student
    link), and an address bar holding the key handed every student the teacher's controls."""
    url = workspace.database_url()
    given = st.query_params.get(KEY) if st.query_params.get(CLASS) == class_id else None
    if given and classes.is_teacher(url, class_id, given):
        st.session_state.setdefault(TEACHER_KEYS, {})[class_id] = given
        del st.query_params[KEY]
    key = st.session_state.get(TEACHER_KEYS, {}).get(class_id)
    return key if key and classes.is_teacher(url, class_id, key) else None


def notice() -> None:
    """The last action's outcome (once)."""
    said = st.session_state.pop(NOTICE, None)
    if said:
        (st.error if said[0] == "error" else st.success)(said[1])


def act(action, success: str = "") -> None:
    """Run a class action in a callback; its error or `success` is said at the next run."""
    try:
        action()
    except UserError as error:
        st.session_state[NOTICE] = ("error", f"{markdown(str(error)[:1].upper() + str(error)[1:])}.")
    else:
        if success:
            st.session_state[NOTICE] = ("success", success)


def lesson_query(pasted: str) -> str:
    """The lesson of a pasted teacher link (its query: settings, lock=, hide=), or a bare query as it is."""
    text = str(pasted).strip()
    return urlsplit(text).query if "?" in text else text


def create_panel() -> None:
    """The form a teacher makes a class with (its lesson from the Train page's teacher link, if it came from there)."""
    offered = st.query_params.get(LESSON)
    if offered and "class_lesson" not in st.session_state:
        st.session_state["class_lesson"] = "?" + offered[:classes.LESSON_LENGTH]
    with st.form("new_class"):
        st.text_input("The class's name", max_chars=classes.CLASS_NAME_LENGTH, key="class_name",
                      placeholder="Lesson 3: fewest parameters for 97 % on MNIST")
        st.text_input("Lesson (optional): a teacher link made on the Train page", key="class_lesson",
                      max_chars=classes.LESSON_LENGTH,
                      help="Its settings and locks are what students start from. Make one under “Make a teacher "
                           "link” on the Train page and paste it here.")
        st.form_submit_button("Create the class", type="primary", on_click=_create)


def _create() -> None:
    def make():
        made, key = classes.create(workspace.database_url(), workspace.workspace_name(),
                                   st.session_state.get("class_name", ""), lesson_query(st.session_state.get("class_lesson", "")),
                                   visitor=workspace.visitor(), address=st.context.ip_address)
        st.session_state.setdefault(TEACHER_KEYS, {})[made.id] = key
        st.query_params.from_dict({CLASS: made.id})  # the key stays in this tab, out of the address bar
    act(make, "Your class is made. Give the student link to your class; keep the teacher link to yourself.")


def teacher_panel(school_class: SchoolClass, key: str) -> None:
    """The teacher's view of a class: its links, its state, close, end."""
    st.subheader(f":material/school: {markdown(school_class.name)}")
    st.markdown("**Student link** — give it to the class (it never holds your key):")
    st.code(app_link("class", **{JOIN: school_class.id}), language=None)
    with st.expander("Teacher link — keep it to yourself", icon=":material/key:"):  # folded: this page gets projected
        st.caption("It opens the teacher's controls (hide, remove, close, end) in any browser: keep it, and never "
                   "project it. To show the class the student link, project the board: it gives that link, and its address "
                   "holds no key.")
        st.code(app_link("class", **{CLASS: school_class.id, KEY: key}), language=None)
    if school_class.lesson:
        st.caption("Lesson: students start from `" + markdown(school_class.lesson[:200]) + "`")
    members = classes.members(workspace.database_url(), school_class.id)
    st.markdown(f"**{len(members)} student{'s' if len(members) != 1 else ''}**"
                + (": " + markdown(", ".join(m.name for m in members)) if members else " so far."))
    navigation.link("board", "Open the board (project it)", query_params={CLASS: school_class.id})
    controls(school_class, key)


def controls(school_class: SchoolClass, key: str) -> None:
    """Close or reopen the class, end it (after a confirmation), remove students."""
    url = workspace.database_url()
    close, end = st.columns(2)
    if school_class.is_closed:
        close.button("Reopen the class", icon=":material/lock_open:", width="stretch", key="class_reopen",
                     on_click=act, args=(lambda: classes.close(url, school_class.id, key, False), "The class is open again."))
    else:
        close.button("Close the class to new runs", icon=":material/lock:", width="stretch", key="class_close",
                     help="Runs made from now on stay off the board, and nobody new can join; the board stays.",
                     on_click=act, args=(lambda: classes.close(url, school_class.id, key), "The class is closed to new runs."))
    with end.popover("End the class…", icon=":material/delete_forever:", width="stretch"):
        st.warning("Ending the class deletes its board, its students' names and your links. The students keep "
                   "their runs. This cannot be undone.")
        st.button("Yes, end the class", type="primary", key="class_end",
                  on_click=act, args=(lambda: _end(url, school_class.id, key), "The class has ended. Its students keep "
                                                                               "their runs."))
    names = [member.name for member in classes.members(url, school_class.id)]
    if names:  # a name nobody should project, or a flood of made-up students filling the class
        with st.form("class_remove_students", border=False):
            st.multiselect("Remove students", names, key=REMOVE_NAMES, placeholder="Pick names",
                           help="They and their runs leave the board (their runs stay theirs). They may join again "
                                "under another name unless you close the class.")
            st.form_submit_button("Remove from the class", icon=":material/person_remove:",
                                  on_click=_remove_students, args=(url, school_class.id, key))


REMOVE_NAMES = "class_remove_names"


def _remove_students(url: str, class_id: str, key: str) -> None:
    def remove():
        gone = classes.remove_students(url, class_id, key, st.session_state.get(REMOVE_NAMES) or [])
        st.session_state[NOTICE] = ("success", f"{gone} student{'s' if gone != 1 else ''} removed from the class: "
                                               "their runs left the board.")
    act(remove)


def _end(url: str, class_id: str, key: str) -> None:
    classes.end(url, class_id, key)
    st.query_params.clear()  # the page then offers to make a class, not "there is no such class"
    st.session_state.get(TEACHER_KEYS, {}).pop(class_id, None)


def join_panel(school_class: SchoolClass) -> None:
    """A student opening the student link: their place in the class, or the form to join it."""
    url, mine = workspace.database_url(), workspace.workspace_name()
    member = classes.member(url, school_class.id, mine)
    st.subheader(f":material/school: {markdown(school_class.name)}")
    if member is None:
        if school_class.is_closed:
            st.warning("This class is closed: it takes no new students or runs. Ask your teacher.")
            return
        with st.form("join_class"):
            st.text_input("Your name, as the class will see it", max_chars=classes.NAME_LENGTH, key="class_student_name",
                          help="No account, no e-mail: the name is all the board shows of you.")
            st.form_submit_button("Join the class", type="primary", on_click=_join, args=(school_class.id,))
        return
    st.success(f"You are in this class as **{markdown(member.name)}**. Your runs from now on go to the class's "
               "board unless you untick “Share with the class” on a run (on the Train and Runs pages, and below).")
    if school_class.is_closed:
        st.warning("The class is closed: new runs stay off the board.")
    start, board = st.columns(2)
    navigation.link("train", "Start the lesson" if school_class.lesson else "Train", container=start,
                    query_params=dict(parse_qsl(school_class.lesson)))
    navigation.link("board", "The class's board", container=board, query_params={CLASS: school_class.id})
    your_runs(school_class, member)


def _join(class_id: str) -> None:
    act(lambda: classes.join(workspace.database_url(), class_id, workspace.workspace_name(),
                              st.session_state.get("class_student_name", ""), visitor=workspace.visitor(),
                              address=st.context.ip_address))


def your_runs(school_class: SchoolClass, member: classes.Member, most: int = 30) -> None:
    """The student's runs this class may take, each with its tick."""
    store = workspace.store()
    if store is None:
        return
    runs = [run for run in store.list()[0] if classes.takes_run(school_class, member, run.created)][:most]
    if not runs:
        st.caption("Your runs will be listed here with their “Share with the class” tick.")
        return
    st.markdown("**Your runs in this class**")
    marks = classes.entries(workspace.database_url(), school_class.id)
    for run in runs:
        _tick(school_class, run.id, run_label(run), classes.shared(run, marks), marks.get(run.id, {}))


def share_ticks(run_id: str | None) -> None:
    """Under a finished run (Train, Runs): a "Share with the class" tick for each class that takes it."""
    store = workspace.store()
    if not run_id or store is None:
        return
    url = workspace.database_url()
    try:
        mine = classes.memberships(url, store.workspace)
        run = store.load(run_id) if mine else None
    except UserError:
        return
    for school_class, member in mine:
        if classes.takes_run(school_class, member, run.created):
            marks = classes.entries(url, school_class.id)
            _tick(school_class, run_id, f"Share with the class “{school_class.name}”", classes.shared(run, marks),
                  marks.get(run_id, {}), run_name="This run")
        elif school_class.is_closed and run.created >= member.joined:
            st.caption(f":material/lock: The class “{markdown(school_class.name)}” is closed: this run stays off its board.")


NEXT_RUN = "share_next_run"


def next_run_tick(container) -> dict:
    """Beside Train, for a student of an open class: "Share this run with the class", ticked by default; the
    `extra` a run started now is tagged with (unticked: it never reaches the board, even while it trains)."""
    store = workspace.store()
    if store is None:
        return {}
    try:
        names = [c.name for c, _ in classes.memberships(workspace.database_url(), store.workspace) if not c.is_closed]
    except UserError:
        return {}
    if not names:
        return {}
    shared = container.checkbox("Share this run with the class", value=True, key=NEXT_RUN,
                                help=markdown(f"Ticked, the run goes to the board of {', '.join(names)} under your name "
                                              "when it ends; you can change it on the run afterwards."))
    return {} if shared else {classes.UNSHARED_TAG: True}


def _tick(school_class: SchoolClass, run_id: str, label: str, shared: bool, mark: dict, run_name: str = "") -> None:
    """The student's tick on one run; what the teacher did with it, said beside it (a ticked run the teacher
    removed is not on the board, whatever the tick says)."""
    if mark.get("removed"):
        st.caption(f":material/block: {markdown(run_name or label)}: the teacher removed it from the board of "
                   f"“{markdown(school_class.name)}” for good.")
        return
    key = f"share_{school_class.id}_{run_id}"
    st.session_state[key] = shared  # what the store says, whatever this tab ticked before
    st.checkbox(markdown(label), key=key, on_change=_share, args=(school_class.id, run_id, key),
                help="Ticked, the run is on the class's board under your name; unticked, only you see it.")
    if mark.get("hidden") and shared:
        st.caption(":material/visibility_off: The teacher has hidden it from the board for now.")


def _share(class_id: str, run_id: str, key: str) -> None:
    act(lambda: classes.set_shared(workspace.database_url(), class_id, workspace.workspace_name(), run_id,
                                    bool(st.session_state.get(key))))


def my_classes() -> None:
    """The classes this browser has joined, with their boards."""
    mine = classes.memberships(workspace.database_url(), workspace.workspace_name())
    if mine:
        st.markdown("**Your classes**")
        for school_class, member in mine:
            navigation.link("class", markdown(f"{school_class.name} (as {member.name})"), query_params={JOIN: school_class.id})
