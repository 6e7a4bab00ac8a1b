"""A class: a teacher's lesson, its students and what goes on its board (nnlab/store/board.py).

The teacher creates a class (a name, optionally a lesson: a teacher link's settings and locks) and gets
two links: the student link names the class's id; the teacher link adds a secret key, of which the
database keeps only the hash. A student who opens the student link joins with a display name; the
browser's workspace (nnlab/store/visitors.py) is the student, so links never carry who one is. A
student's finished runs from the moment they joined go to the board unless they untick "share with the
class" on the run (`set_shared`); the teacher may hide an entry (and show it again) or remove it for good,
close the class to new runs, and end it (the class, its students and its entries go; the runs stay in
the students' workspaces).

Every resource a visitor can spend is bounded: open classes per teacher and per server, students per
class, the length of names and lessons, and joins per visitor, per network address and per server.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from nnlab.core.errors import UserError
from nnlab.store.database import writing
from nnlab.store.record import now
from nnlab.store.runs import RUN_ID, RunStore
from nnlab.store.schema import class_entries, class_members, classes

CLASSES_PER_TEACHER = 10  # classes one workspace keeps at once (end one to make room)
CLASSES_PER_SERVER = 500
# A full server makes room by ending its oldest class that nobody joined within this long: classes made and
# left empty (a visitor who refuses cookies making them) cannot hold the server's classes for good.
EMPTY_CLASS_HOURS = 1
STUDENTS_PER_CLASS = 200
NAME_LENGTH = 30  # a student's display name
NAME_KEY_LENGTH = 120  # the folded name's column (schema.py)
CLASS_NAME_LENGTH = 80
LESSON_LENGTH = 2000  # a teacher link's query
# Joins (successful or not) per JOIN_WINDOW_SECONDS: a visitor joins a class or two; a school behind one
# router is one address for ~50 students; the server's bound holds many machines together.
JOINS_PER_VISITOR = 10
JOINS_PER_ADDRESS = 300
JOINS_PER_SERVER = 3000
JOIN_WINDOW_SECONDS = 600
# Classes made per JOIN_WINDOW_SECONDS: a visitor without cookies is a new teacher each time, so the
# address's and the server's bounds keep one machine from taking the server's CLASSES_PER_SERVER.
CREATES_PER_VISITOR = 5
CREATES_PER_ADDRESS = 20
CREATES_PER_SERVER = 100
_CLASS_ID = re.compile(r"[A-Za-z0-9_-]{12}")
# A run its student unticked before training carries this in its `extra` (RunStore.create): it is never on a
# board, not even while it trains, unless they tick it later (an entry's `unshared` then says).
UNSHARED_TAG = "class_unshared"


@dataclass(frozen=True)
class SchoolClass:
    id: str
    name: str
    lesson: str  # a teacher link's query ("preset=course&lock=optimizer"), or ""
    created: str
    closed: str | None  # when it was closed to new runs

    @property
    def is_closed(self) -> bool:
        return self.closed is not None


@dataclass(frozen=True)
class Member:
    class_id: str
    workspace: str  # never shown: the board names students by their display name
    name: str
    joined: str


def engine(url: str) -> Engine:
    """The database's engine, its tables brought up to date (as the run store's are)."""
    return RunStore(url).engine()


def clean_name(text: str, most: int = NAME_LENGTH) -> str:
    """A display name as kept: printable characters, spaces collapsed, at most `most` characters; a
    UserError saying what to change when nothing is left or it is too long."""
    words = unicodedata.normalize("NFC", str(text)).split()  # any Unicode space (a no-break one too) parts words
    name = " ".join("".join(c for c in " ".join(words) if c.isprintable()).split())
    if not name:
        raise UserError("type a name (letters, digits, spaces)")
    if len(name) > most:
        raise UserError(f"that name is {len(name)} characters long: use at most {most}")
    return name


def _name_key(name: str) -> str:
    """What makes two names one: their compatibility forms, whatever their case (full-width "Ａｎｎ" is "Ann"
    on a projector)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # NFKC may lengthen a character eighteenfold ("ﷺ"): past the column's width, the folded name's digest
    return folded if len(folded) <= NAME_KEY_LENGTH else "#" + hashlib.sha256(folded.encode()).hexdigest()


def _key_hash(key: str) -> str:
    return hashlib.sha256(f"nnlab-class:{key}".encode()).hexdigest()


def create(url: str, owner: str, name: str, lesson: str = "", *, visitor: str = "", address: str | None = None
           ) -> tuple[SchoolClass, str]:
    """A new class and its teacher's key (shown once, in the teacher link; only its hash is kept). A UserError
    for a bad name or lesson, too many classes (the teacher's, the server's) or too many made lately."""
    _CREATES.check(visitor or owner, address)
    _CREATES.count(visitor or owner, address)
    name = clean_name(name, CLASS_NAME_LENGTH)
    lesson = str(lesson).strip().lstrip("?")
    if len(lesson) > LESSON_LENGTH or not lesson.isprintable():
        raise UserError(f"the lesson's link is too long or holds odd characters: use a teacher link of at most "
                        f"{LESSON_LENGTH} characters")
    key = secrets.token_urlsafe(24)
    made = SchoolClass(secrets.token_urlsafe(9), name, lesson, now(), None)
    with writing(engine(url)) as connection:
        count = connection.execute(select(func.count()).select_from(classes)).scalar()
        mine = connection.execute(select(func.count()).select_from(classes).where(classes.c.owner == owner)).scalar()
        if mine >= CLASSES_PER_TEACHER:
            raise UserError(f"you have {mine} classes already (at most {CLASSES_PER_TEACHER}): end one you no longer "
                            f"need with its teacher link")
        if count >= CLASSES_PER_SERVER and not _end_oldest_empty_class(connection):
            raise UserError("this server holds as many classes as it can: ask its keeper, or end an old class")
        connection.execute(insert(classes).values(id=made.id, name=made.name, lesson=made.lesson,
                                                  key_hash=_key_hash(key), owner=owner, created=made.created,
                                                  closed=None))
    return made, key


def find(url: str, class_id: str) -> SchoolClass:
    """The class of a link; a UserError if there is none (ended, or a mistyped link)."""
    found = None
    if _CLASS_ID.fullmatch(str(class_id)):
        with engine(url).connect() as connection:
            found = connection.execute(select(classes.c.id, classes.c.name, classes.c.lesson, classes.c.created,
                                              classes.c.closed).where(classes.c.id == class_id)).first()
    if found is None:
        raise UserError("there is no such class: it has ended, or the link is cut short (ask your teacher for it again)")
    return SchoolClass(*found)


def is_teacher(url: str, class_id: str, key: str | None) -> bool:
    """Whether `key` is the class's teacher key (compared in constant time)."""
    if not key or not _CLASS_ID.fullmatch(str(class_id)):
        return False
    with engine(url).connect() as connection:
        kept = connection.execute(select(classes.c.key_hash).where(classes.c.id == class_id)).scalar()
    return kept is not None and hmac.compare_digest(kept, _key_hash(str(key)))


def _teacher(url: str, class_id: str, key: str) -> None:
    if not is_teacher(url, class_id, key):
        raise UserError("only the teacher's link can do this")


def join(url: str, class_id: str, workspace: str, name: str, *, visitor: str, address: str | None = None) -> Member:
    """`workspace` joins the class as `name`. Joining again changes nothing (one name per student); a
    UserError for a closed or full class, a name taken, or too many joins (per visitor, address, server)."""
    _JOINS.check(visitor, address)
    _JOINS.count(visitor, address)
    school_class = find(url, class_id)
    already = member(url, class_id, workspace)
    if already is not None:
        return already
    if school_class.is_closed:
        raise UserError(f"the class “{school_class.name}” is closed: it takes no new students or runs")
    name = clean_name(name)
    joined = Member(class_id, workspace, name, now())
    try:
        with writing(engine(url)) as connection:
            count = connection.execute(select(func.count()).select_from(class_members)
                                       .where(class_members.c.class_id == class_id)).scalar()
            if count >= STUDENTS_PER_CLASS:
                raise UserError(f"this class is full ({STUDENTS_PER_CLASS} students): ask your teacher")
            connection.execute(insert(class_members).values(class_id=class_id, workspace=workspace, name=name,
                                                            name_key=_name_key(name), joined=joined.joined))
    except IntegrityError:
        again = member(url, class_id, workspace)  # the same student from two tabs at once
        if again is not None:
            return again
        raise UserError(f"someone in this class is called “{name}” already: add an initial or pick another name") from None
    return joined


def member(url: str, class_id: str, workspace: str) -> Member | None:
    with engine(url).connect() as connection:
        found = connection.execute(select(class_members.c.class_id, class_members.c.workspace, class_members.c.name,
                                          class_members.c.joined).where(class_members.c.class_id == class_id,
                                                                         class_members.c.workspace == workspace)).first()
    return Member(*found) if found else None


def members(url: str, class_id: str) -> list[Member]:
    with engine(url).connect() as connection:
        rows = connection.execute(select(class_members.c.class_id, class_members.c.workspace, class_members.c.name,
                                         class_members.c.joined).where(class_members.c.class_id == class_id)
                                  .order_by(class_members.c.joined)).all()
    return [Member(*row) for row in rows]


def memberships(url: str, workspace: str) -> list[tuple[SchoolClass, Member]]:
    """The classes `workspace` has joined, oldest first."""
    with engine(url).connect() as connection:
        rows = connection.execute(
            select(classes.c.id, classes.c.name, classes.c.lesson, classes.c.created, classes.c.closed,
                   class_members.c.workspace, class_members.c.name, class_members.c.joined)
            .join(class_members, class_members.c.class_id == classes.c.id)
            .where(class_members.c.workspace == workspace).order_by(class_members.c.joined)).all()
    return [(SchoolClass(*row[:5]), Member(row[0], *row[5:])) for row in rows]


def takes_run(school_class: SchoolClass, joined: Member, created: str) -> bool:
    """Whether a run made at `created` goes to the class's board: made after its student joined, and
    before the class closed."""
    return created >= joined.joined and (school_class.closed is None or created < school_class.closed)


def entries(url: str, class_id: str) -> dict[str, dict]:
    """The runs whose place on the board is not the default: run id → {unshared (None: not said here),
    hidden, removed}."""
    with engine(url).connect() as connection:
        rows = connection.execute(select(class_entries.c.run_id, class_entries.c.unshared, class_entries.c.hidden,
                                         class_entries.c.removed).where(class_entries.c.class_id == class_id)).all()
    return {row.run_id: {"unshared": None if row.unshared is None else bool(row.unshared), "hidden": bool(row.hidden),
                         "removed": bool(row.removed)} for row in rows}


def shared(run, marks: dict[str, dict]) -> bool:
    """The student's tick on `run` (marks: `entries`): what they said last, on the run's entry or, before
    that, when they started it; shared unless they unticked it."""
    said = marks.get(run.id, {}).get("unshared")
    return not (said if said is not None else bool(run.extra.get(UNSHARED_TAG)))


def set_shared(url: str, class_id: str, workspace: str, run_id: str, shared: bool) -> None:
    """The student ticks or unticks "share with the class" on one of their own runs."""
    if member(url, class_id, workspace) is None:
        raise UserError("you are not in this class: open its student link to join")
    RunStore(url, workspace).load(run_id)  # their own run, or "no longer exists"
    _mark(url, class_id, run_id, unshared=not shared)


def set_hidden(url: str, class_id: str, key: str, run_id: str, hidden: bool) -> None:
    """The teacher hides an entry from the board (or shows it again)."""
    _teacher(url, class_id, key)
    _mark(url, class_id, run_id, hidden=hidden)


def remove(url: str, class_id: str, key: str, run_id: str) -> None:
    """The teacher removes an entry for good: it never comes back, even if its student shares it again."""
    _teacher(url, class_id, key)
    _mark(url, class_id, run_id, removed=True)


def _mark(url: str, class_id: str, run_id: str, **flags: bool) -> None:
    if not RUN_ID.fullmatch(str(run_id)):
        raise UserError(f"{str(run_id)[:60]!r} is not a run id")
    for attempt in range(2):
        try:
            with writing(engine(url)) as connection:
                done = connection.execute(update(class_entries).where(
                    class_entries.c.class_id == class_id, class_entries.c.run_id == run_id).values(**flags))
                if done.rowcount == 0:
                    connection.execute(insert(class_entries).values(
                        class_id=class_id, run_id=run_id,
                        **{"unshared": None, "hidden": False, "removed": False, **flags}))
            return
        except IntegrityError:  # two writes of the same entry at once: the row exists now, update it
            if attempt:
                raise


def remove_students(url: str, class_id: str, key: str, names: list[str]) -> int:
    """The teacher removes students by display name (a name nobody should project, a flood of made-up ones):
    they and their runs leave the board; their runs stay theirs. How many went."""
    _teacher(url, class_id, key)
    keys = {_name_key(" ".join(unicodedata.normalize("NFC", str(name)).split())) for name in names}  # as joined
    if not keys:
        return 0
    with writing(engine(url)) as connection:
        return connection.execute(delete(class_members).where(class_members.c.class_id == class_id,
                                                              class_members.c.name_key.in_(keys))).rowcount


def close(url: str, class_id: str, key: str, closed: bool = True) -> None:
    """The teacher closes the class to new runs and students (or opens it again)."""
    _teacher(url, class_id, key)
    with writing(engine(url)) as connection:
        connection.execute(update(classes).where(classes.c.id == class_id).values(closed=now() if closed else None))


def end(url: str, class_id: str, key: str) -> None:
    """The teacher ends the class: it, its students and its entries go (the runs stay with their students)."""
    _teacher(url, class_id, key)
    with writing(engine(url)) as connection:
        for table in (class_entries, class_members):  # children first: SQLite enforces no cascade by default
            connection.execute(delete(table).where(table.c.class_id == class_id))
        connection.execute(delete(classes).where(classes.c.id == class_id))


def _end_oldest_empty_class(connection) -> bool:
    """End the oldest class nobody joined, made over EMPTY_CLASS_HOURS ago; False if there is none."""
    made_before = (datetime.now(timezone.utc) - timedelta(hours=EMPTY_CLASS_HOURS)).isoformat(timespec="microseconds")
    joined = select(class_members.c.class_id).where(class_members.c.class_id == classes.c.id).exists()
    oldest = connection.execute(select(classes.c.id).where(classes.c.created < made_before, ~joined)
                                .order_by(classes.c.created).limit(1)).scalar()
    if oldest is None:
        return False
    connection.execute(delete(class_entries).where(class_entries.c.class_id == oldest))
    connection.execute(delete(classes).where(classes.c.id == oldest))
    return True


class _Rate:
    """Actions (joins, classes made) in the last JOIN_WINDOW_SECONDS, per visitor, per network address and for
    the whole server; `limits` gives (per visitor, per address, per server), read when used."""

    def __init__(self, what: str, limits):
        self._what, self._limits_now = what, limits
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}  # "server", "visitor:…", "address:…" → when they acted

    def _limits(self, visitor: str, address: str | None) -> list[tuple[str, int, str]]:
        per_visitor, per_address, per_server = self._limits_now()
        limits = [("server", per_server, " on this server"), (f"visitor:{visitor}", per_visitor, "")]
        return limits + ([(f"address:{address}", per_address, " from your network")] if address else [])

    def check(self, visitor: str, address: str | None) -> None:
        now_ = time.time()
        with self._lock:
            for sender in [s for s, t in self._times.items() if not t or t[-1] < now_ - JOIN_WINDOW_SECONDS]:
                del self._times[sender]  # bounded: at most the server's limit of senders live at once
            for sender, most, where in self._limits(visitor, address):
                times = self._times.get(sender, deque())
                while times and times[0] < now_ - JOIN_WINDOW_SECONDS:
                    times.popleft()
                if len(times) >= most:
                    minutes = max(1, round((times[0] + JOIN_WINDOW_SECONDS - now_) / 60))
                    raise UserError(f"too many {self._what}{where}: wait {minutes} minute{'s' if minutes > 1 else ''} "
                                    f"and try again")

    def count(self, visitor: str, address: str | None) -> None:
        with self._lock:
            for sender, _, _ in self._limits(visitor, address):
                self._times.setdefault(sender, deque()).append(time.time())


def _join_limits() -> tuple[int, int, int]:
    return JOINS_PER_VISITOR, JOINS_PER_ADDRESS, JOINS_PER_SERVER


def _create_limits() -> tuple[int, int, int]:
    return CREATES_PER_VISITOR, CREATES_PER_ADDRESS, CREATES_PER_SERVER


_JOINS = _Rate("joins", _join_limits)
_CREATES = _Rate("classes made", _create_limits)
