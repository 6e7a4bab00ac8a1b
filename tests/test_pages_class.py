"""A class through its pages (NNLAB_RUNS=private; each AppTest is a browser of its own): the teacher makes a
class and gets two links, students join by name, a run shared or not, the board for everyone and the
teacher's controls on it, a closed class. Runs are written straight into the store: training is not the
point here (the browser journey, tests/e2e/test_class_board.py, trains)."""
import pytest

from apptest_helpers import button, charts, open_page, plain, widget
from nnlab.store import classes, visitors
from nnlab.store.runs import RunStore, open_store
from nnlab.ui import workspace
from test_classes import is_shared, kept

CLASS, BOARD, RUNS = "app_pages/15_Class.py", "app_pages/16_Board.py", "app_pages/2_Runs.py"


@pytest.fixture
def private(tmp_path, monkeypatch, deployment):
    deployment(runs_dir=tmp_path, runs="private", database_url=None)
    monkeypatch.setattr(workspace, "_FAILED", {})
    monkeypatch.setattr(workspace, "_MAPPED", {}, raising=False)
    monkeypatch.setattr(classes, "_JOINS", classes._Rate("joins", classes._join_limits))
    monkeypatch.setattr(classes, "_CREATES", classes._Rate("classes made", classes._create_limits))


def texts(at) -> str:
    return " ".join(plain(e.value) for kind in ("title", "subheader", "markdown", "caption", "success", "error",
                                                  "warning", "info", "code") for e in getattr(at, kind)).replace("**", "")


def workspace_of(at) -> str:
    return visitors.own_workspace(at.session_state["_visitor_without_cookie"])


def make_class(name: str = "Lesson 3") -> tuple:
    teacher = open_page(CLASS)
    widget(teacher, "The class's name").input(name)
    widget(teacher, "Lesson (optional): a teacher link made on the Train page").input(
        "http://school.example/Train?dataset=iris&lock=optimizer")
    button(teacher, "Create the class").click().run()
    codes = [code.value for code in teacher.code]
    assert len(codes) == 2, texts(teacher)
    student_link, teacher_link = codes
    folded = [e for e in teacher.expander if "Teacher link" in e.label]  # projecting the student link shows no key
    assert folded and [c.value for c in folded[0].code] == [teacher_link] and not folded[0].proto.expanded
    class_id, key = str(teacher.query_params["class"]), teacher_link.rsplit("key=", 1)[1]
    assert "key" not in teacher.query_params  # the tab keeps the key; its address bar, projected, never shows it
    assert f"join={class_id}" in student_link and key not in student_link and f"class={class_id}" in teacher_link
    return teacher, class_id, key


def tick_rows(at, rows: list[int]) -> None:
    """Tick rows of the board's table (its key holds its rows' digest) and run the page."""
    key = [k for k in at.session_state.keys() if str(k).startswith("board_table")][-1]
    at.session_state[key] = {"selection": {"rows": rows, "columns": []}}
    at.run()


def join(class_id: str, name: str):
    student = open_page(CLASS, join=class_id)
    widget(student, "Your name, as the class will see it").input(name)
    button(student, "Join the class").click().run()
    return student


@pytest.mark.slow  # ≈12 s: five browsers' pages
def test_a_teacher_makes_a_class_students_join_and_the_board_shows_what_they_shared(private):
    teacher, class_id, key = make_class()
    url = open_store().url
    assert classes.find(url, class_id).lesson == "dataset=iris&lock=optimizer"

    ann = join(class_id, "[Ann](http://x.io) :smile:")
    assert "You are in this class as [Ann](http://x.io) :smile:" in texts(ann)  # shown as typed, not a link
    assert not any("x.io" in link.proto.page for link in ann.get("page_link"))
    bob = join(class_id, "Bob")
    assert "called “bob” already" in texts(join(class_id, "bob"))  # one name per class, whatever its case
    shared = kept(url, workspace_of(ann), 0.9, 50, learning_rate=0.0123)
    private_run = kept(url, workspace_of(bob), 0.99, 20)
    bobs = kept(url, workspace_of(bob), 0.8, 30)

    bob.switch_page(RUNS).run()  # Bob unticks "share with the class" on one of his runs
    rows = list(bob.dataframe[0].value["id"])
    bob.session_state["runs_table"] = {"selection": {"rows": [rows.index(private_run)], "columns": []}}
    bob.run()
    tick = widget(bob, "Share with the class “Lesson 3”")
    assert tick.value is True
    tick.uncheck().run()
    assert not is_shared(url, class_id, private_run, workspace_of(bob))

    viewer = open_page(BOARD, **{"class": class_id})  # anyone with the class's id: no teacher's controls
    assert not viewer.exception, viewer.exception
    shown = charts(viewer)[0]["rows"]
    assert {row.get("student") for row in shown if "student" in row} == {"[Ann](http://x.io) :smile:", "Bob"}
    board_text = texts(viewer) + " ".join(str(frame.value.to_csv()) for frame in viewer.dataframe)
    assert private_run not in board_text and workspace_of(bob) not in board_text and workspace_of(ann) not in board_text
    assert "2 students · 2 runs shared" in board_text and key not in board_text
    assert f"join: `/Class?join={class_id}`" in board_text  # the board, projected, gives the student link (no key)
    assert not [b for b in viewer.button if b.label in ("Hide", "Remove for good")]
    assert not viewer.get("download_button")

    table = viewer.dataframe[-1].value  # a student opens two classmates' runs in Compare
    tick_rows(viewer, [0, 1])
    button(viewer, "Compare").click().run()
    assert not viewer.exception, viewer.exception
    picked = viewer.multiselect[0]
    assert sorted(picked.format_func(key) for key in picked.value) == ["Bob · run 0.8", "[Ann](http://x.io) :smile: · run 0.9"]
    assert "What differs" in texts(viewer) or "identical settings" in texts(viewer)

    again = open_page(BOARD, **{"class": class_id})  # … or one of them as a new run of their own on Train
    names = list(again.dataframe[-1].value["name"])
    tick_rows(again, [names.index("run 0.9")])
    button(again, "New run from this one").click().run()
    assert not again.exception, again.exception
    assert "Train" in again.title[0].value and again.session_state["dataset"] == "iris"
    assert again.session_state["learning_rate"] == pytest.approx(0.0123)

    wrong = open_page(CLASS, **{"class": class_id, "key": key[:-2] + "xx"})  # a guessed key opens nothing
    assert "key is wrong" in texts(wrong) and key not in texts(wrong)
    again = open_page(CLASS, **{"class": class_id, "key": key})  # the teacher link, in a new tab
    assert any("Teacher link" in e.label for e in again.expander) and "2 students: [Ann](http://x.io) :smile:, Bob" in texts(again)
    assert dict(again.query_params) == {"class": class_id}  # the key left the address bar, the tab kept it
    again.run()
    assert any("Teacher link" in e.label for e in again.expander)
    reloaded = open_page(CLASS, **{"class": class_id})  # that address, reloaded: a new session, no key
    assert "Its controls need the teacher link" in texts(reloaded) and key not in texts(reloaded)
    assert not any("Teacher link" in e.label for e in reloaded.expander)
    assert not [b for b in reloaded.button if (b.key or "").startswith("class_") or "Join" in b.label]  # nor joins as a student

    teacher.switch_page(BOARD).run()  # the tab that made the class holds its key: the teacher's board
    teacher.query_params["class"] = class_id
    teacher.run()
    table = teacher.dataframe[-1].value
    tick_rows(teacher, [list(table["name"]).index("run 0.8")])
    button(teacher, "Hide").click().run()
    viewer = open_page(BOARD, **{"class": class_id})
    assert "1 run shared" in texts(viewer)
    assert [row["student"] for row in charts(viewer)[0]["rows"] if "student" in row] == ["[Ann](http://x.io) :smile:"]
    hidden = teacher.dataframe[-1].value.set_index("name")["hidden_entry"]
    assert bool(hidden["run 0.8"]) and not bool(hidden["run 0.9"])  # the teacher still sees it, marked
    assert teacher.get("download_button"), "the teacher exports the board"

    button(teacher, "Close the class to new runs").click().run()
    late = open_page(CLASS, join=class_id)
    assert "This class is closed" in texts(late)
    after = kept(url, workspace_of(ann), 0.97, 10)
    ann.switch_page(RUNS).run()
    rows = list(ann.dataframe[0].value["id"])
    ann.session_state["runs_table"] = {"selection": {"rows": [rows.index(after)], "columns": []}}
    ann.run()
    assert "is closed: this run stays off its board" in texts(ann)
    assert shared in {run.id for run in RunStore(url, workspace_of(ann)).list()[0]}

    button(teacher, "Yes, end the class").click().run()  # from the board's teacher's controls
    assert "The class has ended" in texts(teacher) and not teacher.error
    assert "There is no such class" in texts(open_page(BOARD, **{"class": class_id}))
    assert bobs  # kept, hidden: its student still has it


def test_a_class_made_from_the_train_pages_teacher_link_takes_its_lesson_and_a_link_holds_no_one(private):
    teacher = open_page(CLASS, lesson="dataset=iris&lock=optimizer")  # Train's "Make a class with this lesson"
    assert widget(teacher, "Lesson (optional): a teacher link made on the Train page").value == "?dataset=iris&lock=optimizer"
    widget(teacher, "The class's name").input("From Train")
    button(teacher, "Create the class").click().run()
    class_id = str(teacher.query_params["class"])
    assert classes.find(open_store().url, class_id).lesson == "dataset=iris&lock=optimizer"
    student = join(class_id, "Ann")
    start = [link for link in student.get("page_link") if "Start the lesson" in link.proto.label]
    assert start and "lock=optimizer" in start[0].proto.query_string and "Ann" not in start[0].proto.query_string
    lost = open_page(CLASS, join="nosuchclass0")
    assert "There is no such class" in texts(lost)


def test_board_runs_opened_in_compare_come_back_from_its_link_and_a_link_asks_one_board_read(private, monkeypatch):
    from nnlab.store import board
    from nnlab.ui import board as board_ui

    _, class_id, key = make_class()
    url = open_store().url
    ann, bob = join(class_id, "Ann"), join(class_id, "Bob")
    anns, bobs = kept(url, workspace_of(ann), 0.9, 50), kept(url, workspace_of(bob), 0.8, 30)
    hidden = kept(url, workspace_of(bob), 0.7, 20)
    classes.set_hidden(url, class_id, key, hidden, True)
    reads = []
    monkeypatch.setattr(board, "board", lambda *a, _read=board.board, **k: reads.append(a) or _read(*a, **k))
    link = ",".join(f"board:{class_id}:{run}" for run in (anns, bobs, hidden, "20990101-000000-abcdef"))
    reopened = open_page("app_pages/3_Compare.py", runs=link + "," + ",".join(f"board:{class_id}:x{i}" for i in range(5000)))
    assert not reopened.exception, reopened.exception
    picked = reopened.multiselect[0]  # a reloaded tab, or the link passed on: the board's runs are back
    assert sorted(picked.format_func(k) for k in picked.value) == ["Ann · run 0.9", "Bob · run 0.8"]
    assert all(hidden not in k for k in picked.options)  # a hidden run stays hidden, even named in a link
    assert len([r for r in reads if r[1] == class_id]) <= 2 and len(picked.options) <= board_ui.MOST_BORROWED


def test_a_student_sees_which_of_their_runs_the_teacher_hid_or_removed(private):
    _, class_id, key = make_class()
    url = open_store().url
    ann = join(class_id, "Ann")
    shown, hidden, removed = (kept(url, workspace_of(ann), accuracy, 20) for accuracy in (0.9, 0.8, 0.7))
    classes.set_hidden(url, class_id, key, hidden, True)
    classes.remove(url, class_id, key, removed)
    ann.run()
    ticks = {tick.label: tick.value for tick in ann.checkbox}
    assert ticks == {"run 0\\.9": True, "run 0\\.8": True}, ticks  # a removed run has no tick saying "shared"
    said = texts(ann)
    assert "run 0.7: the teacher removed it from the board of “Lesson 3” for good" in plain(said)
    assert "The teacher has hidden it from the board for now" in said


def test_a_ticked_run_stays_ticked_when_a_new_run_moves_the_boards_rows(private):
    _, class_id, key = make_class()
    url = open_store().url
    ann, bob, cy = join(class_id, "Ann"), join(class_id, "Bob"), join(class_id, "Cy")
    kept(url, workspace_of(ann), 0.9, 50, learning_rate=0.01)
    kept(url, workspace_of(bob), 0.8, 30, learning_rate=0.02)
    viewer = open_page(BOARD, **{"class": class_id})
    tick_rows(viewer, [list(viewer.dataframe[-1].value["student"]).index("Bob")])
    kept(url, workspace_of(cy), 0.99, 20, learning_rate=0.05)  # a better run arrives: it goes first, the rows move
    viewer.run()
    students = list(viewer.dataframe[-1].value["student"])
    assert students[0] == "Cy"
    button(viewer, "New run from this one").click().run()  # Bob's run, not the one now in Bob's old row
    assert not viewer.exception, viewer.exception
    assert viewer.session_state["learning_rate"] == pytest.approx(0.02)


def test_who_trains_now_names_a_few_on_one_line_and_counts_the_rest(private):
    from nnlab.ui import board as board_ui

    _, class_id, _ = make_class()
    url = open_store().url
    for index in range(board_ui.TRAINING_NAMED + 4):
        student = join(class_id, f"Student {index}")
        kept(url, workspace_of(student), 0.5, 20, finish=False)  # training now
    viewer = open_page(BOARD, **{"class": class_id})
    said = next(plain(m.value) for m in viewer.markdown if "Training now" in m.value)
    assert f"Training now** ({board_ui.TRAINING_NAMED + 4})" in said and said.endswith("; and 4 more"), said
    assert said.count(" on Iris, epoch ") == board_ui.TRAINING_NAMED


def test_the_teacher_removes_a_student_whose_name_should_not_be_projected(private):
    teacher, class_id, _ = make_class()
    url = open_store().url
    join(class_id, "Ann")
    rude = join(class_id, "Rude Name")
    kept(url, workspace_of(rude), 0.8, 10)
    teacher.run()
    widget(teacher, "Remove students").select("Rude Name")
    button(teacher, "Remove from the class").click().run()
    assert not teacher.exception, teacher.exception
    assert "1 student removed from the class" in texts(teacher) and "1 student: Ann" in texts(teacher)
    viewer = open_page(BOARD, **{"class": class_id})
    assert "Rude Name" not in texts(viewer) and "0 runs shared" in texts(viewer)
