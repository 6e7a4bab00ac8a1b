"""A class and its board in the store (store/classes.py, store/board.py), on SQLite and PostgreSQL: links,
joins, the share tick, the teacher's controls and what the board may show. Runs are written straight
into the store: training is not the point here."""
import pytest

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.store import board, classes
from nnlab.store.runs import RunStore

HISTORY = [{"epoch": 1, "loss": 1.0, "val_loss": 1.1, "accuracy": 0.5, "val_accuracy": 0.4, "seconds": 0.5},
           {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "accuracy": 0.8, "val_accuracy": 0.7, "seconds": 0.4}]


def kept(url: str, workspace: str, accuracy: float, params: int, *, kind: str = "good_fit", finish: bool = True,
         extra: dict | None = None, **settings) -> str:
    store = RunStore(url, workspace)
    run_id = store.create(RunConfig(dataset="iris", **settings), dataset_title="Iris", task="classification",
                          params=params, label=f"run {accuracy}", extra=extra)
    store.save_history(run_id, HISTORY)
    if finish:
        store.finish(run_id, status="completed", test={"loss": 1 - accuracy, "accuracy": accuracy},
                     verdict={"kind": kind})
    return run_id


def is_shared(url: str, class_id: str, run_id: str, workspace: str) -> bool:
    return classes.shared(RunStore(url, workspace).load(run_id), classes.entries(url, class_id))


def test_a_class_takes_its_students_runs_until_they_untick_them_and_the_teacher_controls_its_board(database_url):
    url = database_url
    made, key = classes.create(url, "teacher-ws", "  Lesson 3 —   fewest parameters ", "preset=course&lock=optimizer")
    assert made.name == "Lesson 3 — fewest parameters" and made.lesson == "preset=course&lock=optimizer"
    assert classes.is_teacher(url, made.id, key) and not classes.is_teacher(url, made.id, key[:-1] + ("y" if key.endswith("x") else "x"))
    assert not classes.is_teacher(url, made.id, "") and key not in repr(classes.find(url, made.id))

    before = kept(url, "ws-ann", 0.99, 10)  # made before Ann joined: stays private
    ann = classes.join(url, made.id, "ws-ann", "Ann", visitor="v-ann")
    assert classes.join(url, made.id, "ws-ann", "Someone else", visitor="v-ann") == ann  # one name per student
    with pytest.raises(UserError, match="called “ann” already"):
        classes.join(url, made.id, "ws-bob", "  ann ", visitor="v-bob")  # names are one whatever their case
    classes.join(url, made.id, "ws-bob", "[Bob](http://evil.example)", visitor="v-bob")
    with pytest.raises(UserError, match="at most 30"):
        classes.join(url, made.id, "ws-cy", "C" * 31, visitor="v-cy")

    small = kept(url, "ws-ann", 0.9, 50, hidden=(4,), learning_rate=0.01)
    big = kept(url, "ws-ann", 0.95, 500, hidden=(64,), learning_rate=0.1, kind="overfitting")
    bobs = kept(url, "ws-bob", 0.92, 40, hidden=(3,), learning_rate=0.001)
    secret = kept(url, "ws-bob", 0.99, 20, hidden=(2,))
    training = kept(url, "ws-bob", 0.5, 20, finish=False)
    unticked_first = kept(url, "ws-ann", 0.3, 20, finish=False, extra={classes.UNSHARED_TAG: True})  # before training
    classes.set_shared(url, made.id, "ws-bob", secret, False)
    assert not is_shared(url, made.id, secret, "ws-bob") and is_shared(url, made.id, bobs, "ws-bob")
    with pytest.raises(UserError, match="no longer exists"):  # a student ticks only their own runs
        classes.set_shared(url, made.id, "ws-bob", small, False)
    with pytest.raises(UserError, match="not in this class"):
        classes.set_shared(url, made.id, "ws-stranger", small, False)

    seen = board.board(url, made.id)
    assert set(seen.runs["id"]) == {small, big, bobs}  # not the unshared one, nor one from before joining
    assert before not in set(seen.runs["id"]) and secret not in set(seen.runs["id"])
    assert "ws-ann" not in seen.runs.to_csv() and "ws-bob" not in seen.runs.to_csv()  # no workspace shown anywhere
    assert list(seen.training["student"]) == ["[Bob](http://evil.example)"] and seen.students == 2
    assert training not in set(seen.runs["id"])
    RunStore(url, "ws-ann").finish(unticked_first, status="completed", test={"accuracy": 0.3})
    assert unticked_first not in set(board.board(url, made.id).runs["id"])  # never: not while training, nor after
    classes.set_shared(url, made.id, "ws-ann", unticked_first, True)  # ticked later: on the board
    assert unticked_first in set(board.board(url, made.id).runs["id"]) and is_shared(url, made.id, unticked_first, "ws-ann")
    classes.set_shared(url, made.id, "ws-ann", unticked_first, False)
    assert list(board.front(seen.runs)["id"]) == [bobs, big]  # 40 params 92 %, then 500 params 95 %; 50 params 90 % is beaten
    top = board.leaderboard(seen.runs, "Iris")
    assert list(top["student"]) == ["Ann", "[Bob](http://evil.example)"] and list(top["id"]) == [big, bobs]
    assert board.verdict_counts(seen.runs)["Overfitting"] == 1 and board.verdict_counts(seen.runs)["Good fit"] == 2
    assert board.sweep_settings(seen.runs)[:1] in (["learning_rate"], ["neurons"])
    assert board.load_run(url, made.id, big)[0] == "Ann"
    with pytest.raises(UserError, match="not on the board"):
        board.load_run(url, made.id, secret)

    with pytest.raises(UserError, match="only the teacher"):
        classes.set_hidden(url, made.id, "a-student-guess", big, True)
    classes.set_hidden(url, made.id, key, big, True)
    classes.remove(url, made.id, key, bobs)
    classes.set_shared(url, made.id, "ws-bob", bobs, True)  # sharing again does not bring a removed run back
    assert set(board.board(url, made.id).runs["id"]) == {small}
    for_teacher = board.board(url, made.id, teacher=True)
    assert set(for_teacher.runs["id"]) == {small, big} and for_teacher.hidden_runs == 1
    assert list(board.export_frame(for_teacher.runs).columns)[:2] == ["student", "name"]
    classes.set_hidden(url, made.id, key, big, False)
    with pytest.raises(UserError, match="not on the board"):
        board.load_run(url, made.id, bobs)

    classes.close(url, made.id, key)
    after_close = kept(url, "ws-ann", 0.97, 30)
    assert after_close not in set(board.board(url, made.id).runs["id"]) and big in set(board.board(url, made.id).runs["id"])
    with pytest.raises(UserError, match="is closed"):
        classes.join(url, made.id, "ws-dan", "Dan", visitor="v-dan")
    assert [c.name for c, _ in classes.memberships(url, "ws-ann")] == [made.name]

    classes.end(url, made.id, key)
    with pytest.raises(UserError, match="no such class"):
        board.board(url, made.id)
    assert classes.memberships(url, "ws-ann") == [] and len(RunStore(url, "ws-ann").list()[0]) == 5  # runs stay


def test_classes_and_joins_are_bounded(database_url, monkeypatch):
    url = database_url
    monkeypatch.setattr(classes, "CLASSES_PER_TEACHER", 2)
    monkeypatch.setattr(classes, "STUDENTS_PER_CLASS", 2)
    monkeypatch.setattr(classes, "JOINS_PER_VISITOR", 3)
    monkeypatch.setattr(classes, "_JOINS", classes._Rate("joins", classes._join_limits))
    monkeypatch.setattr(classes, "_CREATES", classes._Rate("classes made", classes._create_limits))
    made, _ = classes.create(url, "t", "A")
    classes.create(url, "t", "B")
    with pytest.raises(UserError, match="at most 2"):
        classes.create(url, "t", "C")
    with pytest.raises(UserError, match="type a name"):
        classes.create(url, "other", " \u200b\n ")
    monkeypatch.setattr(classes, "CREATES_PER_ADDRESS", 4)  # a visitor dropping cookies is a new teacher each time
    with pytest.raises(UserError, match="too many classes made from your network"):
        for index in range(5):
            classes.create(url, f"cookieless-{index}", "Spam", visitor=f"v{index}", address="10.0.0.9")
    classes.join(url, made.id, "w1", "One", visitor="v1")
    classes.join(url, made.id, "w2", "Two", visitor="v2")
    with pytest.raises(UserError, match="full"):
        classes.join(url, made.id, "w3", "Three", visitor="v3")
    for guess in ("AAAAAAAAAAAA", "../../etc/pa"):  # a visitor guessing class ids is held back
        with pytest.raises(UserError, match="no such class"):
            classes.join(url, guess, "w4", "Four", visitor="v4")
    classes.join(url, made.id, "w1", "One", visitor="v4")
    with pytest.raises(UserError, match="too many joins"):
        classes.join(url, made.id, "w1", "One", visitor="v4")


def test_a_full_server_makes_room_by_ending_its_oldest_class_nobody_joined_within_an_hour(database_url, monkeypatch):
    """Classes made and left empty (by visitors without cookies, say) cannot hold a server's classes for good."""
    from sqlalchemy import update

    from nnlab.store.schema import classes as class_table

    url = database_url
    monkeypatch.setattr(classes, "CLASSES_PER_SERVER", 2)
    monkeypatch.setattr(classes, "_CREATES", classes._Rate("classes made", classes._create_limits))
    joined, _ = classes.create(url, "t1", "Joined")
    empty, _ = classes.create(url, "t2", "Empty")
    with pytest.raises(UserError, match="as many classes as it can"):  # both made just now
        classes.create(url, "t3", "Third")
    classes.join(url, joined.id, "w1", "One", visitor="v1")
    with classes.engine(url).begin() as connection:  # both made two hours ago
        connection.execute(update(class_table).values(created="2000-01-01T00:00:00.000000+00:00"))
    third, _ = classes.create(url, "t3", "Third")
    with pytest.raises(UserError, match="no such class"):
        classes.find(url, empty.id)
    assert classes.find(url, joined.id).name == "Joined" and classes.find(url, third.id).name == "Third"
    with pytest.raises(UserError, match="as many classes as it can"):  # the one left is joined, the other new
        classes.create(url, "t4", "Fourth")


def test_names_that_look_alike_on_a_projector_are_one_name(database_url):
    url = database_url
    made, _ = classes.create(url, "t-alike", "Look-alikes")
    classes.join(url, made.id, "w-ann", "Ann Lee", visitor="v1")
    for index, alike in enumerate(("Ａｎｎ Ｌｅｅ", "ANN\u00a0LEE", "Ann\u200b Lee")):  # full width, no-break space, zero width
        with pytest.raises(UserError, match="already"):
            classes.join(url, made.id, f"w{index}", alike, visitor=f"v{index + 2}")
    assert classes.join(url, made.id, "w-a", "A\u00a0nn", visitor="v9").name == "A nn"  # a no-break space still parts words
    long = classes.join(url, made.id, "w-long", "\ufdfa" * classes.NAME_LENGTH, visitor="v10")  # folds to 540 characters
    assert long.name == "\ufdfa" * classes.NAME_LENGTH
    with pytest.raises(UserError, match="already"):
        classes.join(url, made.id, "w-long2", "\ufdfa" * classes.NAME_LENGTH, visitor="v11")


def test_a_class_watching_its_board_costs_one_read_per_moment_not_one_per_watcher(database_url, monkeypatch):
    url = database_url
    made, key = classes.create(url, "t-watch", "Watched")
    classes.join(url, made.id, "ws-ann", "Ann", visitor="v1")
    first = kept(url, "ws-ann", 0.9, 10)
    reads = []
    monkeypatch.setattr(classes, "members", lambda *a, _read=classes.members: reads.append(a) or _read(*a))
    monkeypatch.setattr(board, "WATCH_SECONDS", 60.0)
    seen = [board.watched(url, made.id) for _ in range(30)]  # thirty students' boards ask within a moment
    assert len(reads) == 1 and {b.entries for b in seen} == {((first, False, "Ann"),)}
    board.watched(url, made.id, teacher=True)  # the teacher's view is read for itself (it holds hidden runs)
    assert len(reads) == 2
    later = kept(url, "ws-ann", 0.8, 20)
    monkeypatch.setattr(board, "WATCH_SECONDS", 0.0)  # a moment later: read again, and the new run is there
    again = board.watched(url, made.id)
    assert len(reads) == 3 and later in {run for run, _, _ in again.entries} and again.read_at > seen[0].read_at
    classes.end(url, made.id, key)
    with pytest.raises(UserError, match="no such class"):
        board.watched(url, made.id)


def test_the_teacher_removes_students_by_name_and_their_runs_leave_the_board(database_url):
    url = database_url
    made, key = classes.create(url, "t-remove", "Removing")
    classes.join(url, made.id, "ws-ann", "Ann", visitor="v1")
    classes.join(url, made.id, "ws-rude", "Rude Name", visitor="v2")
    classes.join(url, made.id, "ws-spam", "spam 1", visitor="v3")
    kept(url, "ws-ann", 0.9, 10)
    kept(url, "ws-rude", 0.8, 10)
    kept(url, "ws-rude", 0.5, 10, finish=False)  # training now
    with pytest.raises(UserError, match="only the teacher"):
        classes.remove_students(url, made.id, "not-the-key", ["Rude Name"])
    assert classes.remove_students(url, made.id, key, ["rude  name", "SPAM 1", "nobody"]) == 2  # names as the board shows them
    seen = board.board(url, made.id, teacher=True)
    assert [m.name for m in classes.members(url, made.id)] == ["Ann"] and set(seen.runs["student"]) == {"Ann"}
    assert seen.training.empty and len(RunStore(url, "ws-rude").list()[0]) == 2  # their runs stay theirs
    assert classes.join(url, made.id, "ws-new", "Rude Name", visitor="v4").name == "Rude Name"  # the name is free again


def test_the_boards_charts_colour_each_verdict_alike_and_draw_the_front(tmp_path):
    from nnlab.charts.board import VERDICT_COLOURS, params_chart, sweep_chart, verdicts_chart

    url = f"sqlite:///{tmp_path / 'board.sqlite'}"
    made, _ = classes.create(url, "t", "Charts")
    classes.join(url, made.id, "ws-a", "A", visitor="va")
    for accuracy, params, kind, rate in ((0.9, 50, "good_fit", 0.01), (0.95, 500, "overfitting", 0.1),
                                         (0.8, 20, "diverged", 1.0)):
        kept(url, "ws-a", accuracy, params, kind=kind, learning_rate=rate)
    runs = board.board(url, made.id).runs
    spec = params_chart(runs, board.front(runs)).to_dict()
    dots, line = spec["layer"][1], spec["layer"][0]
    assert spec["datasets"][line["data"]["name"]] == [{"params": 20, "accuracy": 0.8}, {"params": 50, "accuracy": 0.9},
                                                      {"params": 500, "accuracy": 0.95}, {"params": 500, "accuracy": 0.95}]
    assert dots["encoding"]["color"]["scale"]["range"] == list(VERDICT_COLOURS.values())
    assert {"field": "accuracy", "type": "quantitative", "format": ".1%"} in dots["encoding"]["tooltip"]  # as the axis
    assert {row["verdict"] for row in spec["datasets"][dots["data"]["name"]]} == {"Good fit", "Overfitting",
                                                                                 "Diverged / not learning"}
    sweep = sweep_chart(runs, "learning_rate", log_x=True).to_dict()
    assert sweep["encoding"]["x"]["scale"]["type"] == "log" and len(sweep["datasets"][sweep["data"]["name"]]) == 3
    bars = verdicts_chart(board.verdict_counts(runs)).to_dict()
    assert [row["runs"] for row in bars["datasets"][bars["data"]["name"]]] == [1, 0, 0, 1, 1, 0]
