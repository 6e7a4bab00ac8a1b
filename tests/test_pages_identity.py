"""Who a visitor of a deployment is (NNLAB_RUNS=private), through the pages: their browser, never their
link; a one-time transfer code moves their runs to another device; the database's password never
shown, however the URL was written. (AppTest has no cookies: each AppTest is a browser of its own.)"""
import time

import pytest
from sqlalchemy import update

from apptest_helpers import button, open_page, plain
from nnlab.store import database, visitors
from nnlab.store.schema import transfer_codes
from nnlab.store.runs import RunStore, open_store
from nnlab.ui import workspace
from test_runs import saved_run

RUNS, TRAIN = "app_pages/2_Runs.py", "app_pages/1_Train.py"


@pytest.fixture
def private(tmp_path, monkeypatch, deployment):
    deployment(runs_dir=tmp_path, runs="private", database_url=None)
    monkeypatch.setattr(workspace, "_FAILED", {})
    monkeypatch.setattr(workspace, "_MAPPED", {}, raising=False)
    monkeypatch.setattr(visitors, "_TRIES", visitors._Tries())


def visitor_with_a_run():
    """A visitor (a browser) with one kept run; the page and the run's id."""
    at = open_page(RUNS)
    own = visitors.own_workspace(at.session_state["_visitor_without_cookie"])
    run_id = saved_run(RunStore(open_store().url, own))
    at.run()
    assert shown_runs(at) == [run_id]
    return at, run_id


def shown_runs(at) -> list[str]:
    return list(at.dataframe[0].value["id"]) if at.dataframe else []


def sidebar_text(at) -> str:
    return " ".join(plain(e.value) for kind in ("warning", "error", "caption", "success", "markdown")
                    for e in getattr(at.sidebar, kind))


def test_the_link_carries_settings_only_and_a_workspace_in_it_gives_nothing(private):
    a, run_id = visitor_with_a_run()
    a.switch_page(TRAIN).run()
    link = dict(a.query_params)
    assert "workspace" not in link  # the link holds no workspace ...
    name = visitors.own_workspace(a.session_state["_visitor_without_cookie"])
    assert not any(name in str(value) for value in link.values())  # ... under any name
    b = open_page(RUNS, **link)  # the link opened in another browser
    assert shown_runs(b) == []
    b = open_page(RUNS, workspace=name)  # even naming A's workspace outright (and dropped from the link)
    assert shown_runs(b) == [] and "workspace" not in b.query_params
    a.switch_page(RUNS).run()  # A, without any link, still has their run
    assert shown_runs(a) == [run_id]


def code_of(at) -> str:
    button(at, "Make a code").click().run()
    text = sidebar_text(at)
    assert "Your code:" in text, text
    return text.split("Your code:")[1].split()[0].strip("*")


def use_code(at, code: str) -> None:
    [box] = [t for t in at.sidebar.text_input if t.label == "A code from your other device"]
    box.set_value(code)
    [submit] = [b for b in at.sidebar.button if b.label == "Use this code"]
    submit.click().run()


@pytest.mark.slow  # over 3.5 s: out of the edit loop
def test_a_transfer_code_moves_the_runs_to_another_browser_once(private):
    a, run_id = visitor_with_a_run()
    code = code_of(a)
    b = open_page(RUNS)
    assert shown_runs(b) == []
    use_code(b, "ZZZZ-ZZZZ")
    assert "wrong or used already" in sidebar_text(b) and shown_runs(b) == []
    use_code(b, code.lower())  # typed as read, in lower case
    assert "now shows the runs" in sidebar_text(b)
    b.run()
    assert shown_runs(b) == [run_id] and "now shows the runs" in sidebar_text(b)  # said until the code is undone
    use_code(b, code)  # the same submit again (Streamlit replays a click whose run another rerun cut short)
    assert "now shows the runs" in sidebar_text(b) and "used already" not in sidebar_text(b)
    assert shown_runs(b) == [run_id]
    c = open_page(RUNS)
    use_code(c, code)  # a code works once
    assert "wrong or used already" in sidebar_text(c) and shown_runs(c) == []
    assert shown_runs(open_page(RUNS)) == []  # nobody else got them


def test_an_expired_code_is_refused_in_words(private):
    a, _ = visitor_with_a_run()
    code = code_of(a)
    with database.writing(database.engine(open_store().url)) as connection:
        connection.execute(update(transfer_codes).values(expires=time.time() - 1))
    b = open_page(RUNS)
    use_code(b, code)
    assert "expired" in sidebar_text(b) and shown_runs(b) == []


def test_guessing_codes_is_stopped_after_a_few_tries(private):
    a, run_id = visitor_with_a_run()
    code = code_of(a)
    b = open_page(RUNS)
    for guess in range(visitors.TRIES_PER_VISITOR):
        use_code(b, f"AAAA-AAA{visitors.CODE_ALPHABET[guess]}")
    use_code(b, code)  # even the right code, now: the guesser waits
    assert "too many wrong codes" in sidebar_text(b).lower() and shown_runs(b) == []
    other = open_page(RUNS)  # another visitor is not held back by the guesser
    use_code(other, code)
    other.run()
    assert shown_runs(other) == [run_id]


def press(at, label: str) -> None:
    [pressed] = [b for b in at.sidebar.button if b.label == label]
    pressed.click().run()


def test_a_code_used_on_a_shared_computer_is_undone_there_or_from_ones_own_device(private):
    a, run_id = visitor_with_a_run()
    lab = open_page(RUNS)  # the lab computer, with a run of its own
    lab_run = saved_run(RunStore(open_store().url, visitors.own_workspace(lab.session_state["_visitor_without_cookie"])))
    use_code(lab, code_of(a))
    lab.run()
    assert shown_runs(lab) == [run_id]
    assert not any(b.label == "Stop showing these runs on this browser" for b in a.sidebar.button)  # a's own runs
    press(lab, "Stop showing these runs on this browser")  # the student, leaving the lab computer
    assert "no longer shows those runs" in sidebar_text(lab) and shown_runs(lab) == [lab_run]
    lab.run()
    assert shown_runs(lab) == [lab_run]  # the lab computer's own runs, reachable again
    assert not any(b.label == "Stop showing these runs on this browser" for b in lab.sidebar.button)

    lab = open_page(RUNS)  # the student forgot to press it, this time
    use_code(lab, code_of(a))
    lab.run()
    assert shown_runs(lab) == [run_id]
    a.run()
    press(a, "Forget other devices")  # later, on their own device
    assert "1 other browser no longer shows these runs" in sidebar_text(a) and shown_runs(a) == [run_id]
    lab.run()
    assert shown_runs(lab) == []  # at once, not after the lookup's cache expires
    press(a, "Forget other devices")
    assert "No other browser shows these runs now" in sidebar_text(a)


PASSWORD = "Tr0ub4dor&3x"


@pytest.mark.parametrize("form", ["user-info", "query", "raw-at", "secrets", "secrets-fields"])
def test_the_database_password_is_never_shown_however_the_url_is_written(private, deployment, form):
    urls = {"user-info": f"postgresql://nnlab:{PASSWORD}@127.0.0.1:1/nnlab",
            "query": f"postgresql://nnlab@127.0.0.1:1/nnlab?password={PASSWORD}",
            "raw-at": f"postgresql://nnlab:{PASSWORD}@x@127.0.0.1:1/nnlab",
            "secrets": f"postgresql://nnlab:{PASSWORD}@127.0.0.1:1/nnlab?password={PASSWORD}",
            "secrets-fields": ""}
    url = urls[form]
    if not form.startswith("secrets"):
        deployment(database_url=url)  # NNLAB_DATABASE_URL
    from streamlit.testing.v1 import AppTest

    from apptest_helpers import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if form == "secrets":
        at.secrets["connections"] = {"nnlab": {"url": url}}
    if form == "secrets-fields":  # Streamlit's SQL tutorial's form: the password as typed, no %-escapes
        at.secrets["connections"] = {"nnlab": {"dialect": "postgresql", "host": "127.0.0.1", "port": 1,
                                               "database": "nnlab", "username": "nnlab", "password": PASSWORD}}
    at.run()
    at.switch_page(TRAIN).run()
    everything = sidebar_text(at) + " ".join(plain(e.value) for e in [*at.warning, *at.error])
    assert "Runs are not being saved" in everything, everything
    for part in (PASSWORD, PASSWORD.split("&")[0], "4dor", "x@127"):
        assert part not in everything, everything
    assert ("%40" in everything) if form == "raw-at" else ("postgresql://nnlab@127.0.0.1:1/nnlab" in everything)


def test_a_drivers_message_that_echoes_the_url_is_cleared_of_the_password():
    url = f"postgresql://nnlab@db.example:5432/nnlab?password={PASSWORD}"
    echoed = Exception(f'invalid connection "postgresql://nnlab:{PASSWORD}@db.example:5432/nnlab" '
                       f"(host=db.example password={PASSWORD} dbname=nnlab), also 'password={PASSWORD}'")
    message = str(database.unavailable(url, echoed))
    assert PASSWORD not in message and "Tr0ub" not in message and "db.example" in message


def test_the_database_warning_names_no_server_path_on_a_deployment(private, tmp_path, deployment):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    deployment(database_url=f"sqlite:///{blocked}/nnlab.sqlite")
    at = open_page(TRAIN)
    text = sidebar_text(at)
    assert "Runs are not being saved" in text and str(tmp_path) not in text and "sqlite" not in text.lower()
