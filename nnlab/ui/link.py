"""The page's link ↔ the controls: a shared link carries every setting that differs from the
defaults (`/Train?dataset=spiral&hidden=&epochs=40`), a lesson link names a preset
(`/Train?preset=overfitting`). Links never name server files: an uploaded CSV is `csv=<upload id>`,
looked up in the visitor's own workspace.

A race's link carries its configurations: A's settings as `a_<setting>=…`, and for B, C and D what
each changes from A (`b_optimizer=sgd`), with their number as `n` (`/Race?n=3&a_hidden=64&b_optimizer=sgd
&c_optimizer=lion`); settings without a letter are A's (a Train page's link races as it is); a race
lesson is `/Race?lesson=optimizers`.

A teacher's link can fix settings and hide their controls, and hide whole sections:
`/Train?preset=course&lock=learning_rate,optimizer&hide=regularization`. The fixed values are the
link's own; they stay fixed for the whole session, on every page that draws controls (Train, Race,
Sweep, Search, the learning-rate finder), whatever other link or lesson the student opens, until
another teacher's link replaces them (`?lock=` with nothing after it lifts them). A locked setting is
not offered to a sweep or a search, and the teacher-link maker is not shown to a locked class.
Unknown names are noted and ignored."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nnlab.config.run_config import RunConfig
from nnlab.core.errors import UserError
from nnlab.lessons.presets import PRESETS, RACES
from nnlab.core.safe_text import markdown
from nnlab.ui import navigation, workspace
from nnlab.ui.controls import CSV_SETTINGS, fixed_settings, request_settings
from nnlab.config.settings import SETTINGS
from nnlab.config.settings import shown, split_values
from nnlab.ui.session_keys import CURRENT_SETTINGS, FIXED_SETTINGS, PRESET_NOTE, RACE_LESSON, TRAIN_SEED_COUNT

LOCK, HIDE = "lock", "hide"  # a teacher's link: settings fixed, sections hidden
LESSON = "lesson"  # the Class page's link to make a class: the teacher link's query, its lesson
NOT_SETTINGS = (LOCK, HIDE)  # other parameters pages keep in the link (never a workspace: see workspace.py)
UPLOAD = "csv"
RACE_PREFIXES = ("a_", "b_", "c_", "d_")  # the race's configurations A–D (also their controls' key prefixes)
RACE_COUNT = "n"  # how many configurations race (2 unless the link says)
WRITTEN_KEPT = 8  # the links a page wrote last that a rerun may still carry (see _written_here)


def settings_from_link() -> None:
    """Fill the controls from the link when it carries settings this session has not written itself,
    and fix the settings a teacher's link locks (controls.controls leaves their controls out)."""
    params = {key: st.query_params.get(key) for key in st.query_params if key not in NOT_SETTINGS}
    teacher = {key: st.query_params.get(key) for key in (LOCK, HIDE) if key in st.query_params}
    if teacher and teacher != st.session_state.get(TEACHER_LINK):
        _fix_settings(params, teacher)
    lock_note()
    if not params or _written_here("_link_written", params):
        return
    _remember_written("_link_written", dict(params))  # a rerun that still carries it is not the link opened again
    preset = params.pop("preset", None)
    if preset is not None:
        if preset in PRESETS:
            request_settings(PRESETS[preset].config)
            st.session_state[PRESET_NOTE] = PRESETS[preset]
            st.session_state[TRAIN_SEED_COUNT] = PRESETS[preset].seeds  # a lesson of several seeds trains them at once
        else:
            st.warning(f"There is no lesson called “{markdown(preset[:40])}”; the lessons are: {', '.join(PRESETS)}.")
        return
    problems, base = [], {}
    if "csv_path" in params:
        params.pop("csv_path")
        problems.append("a link cannot name a file on the server: upload your CSV file instead")
    upload = params.pop(UPLOAD, None)
    if upload is not None:
        try:
            base["csv_path"] = str(workspace.uploads().path(upload))
        except UserError:
            problems.append("the CSV file of this link is not in your workspace: upload it again")
    config, more = RunConfig.from_link(params, base)
    request_settings(config)
    problems += more
    if problems:
        st.warning("Some settings in the link could not be used: " + markdown("; ".join(problems)))


def settings_to_link(config: RunConfig | None) -> None:
    """Write every setting that differs from the defaults into the link, so it can be shared."""
    if config is None:
        return
    wanted = config.to_link()
    if config.dataset == "csv" and config.csv_path:
        wanted[UPLOAD] = Path(config.csv_path).stem  # uploads are named by their id
    teacher = st.session_state.get(TEACHER_LINK, {})  # kept in the link, to be shared as it is
    for key in [key for key in st.query_params if key not in wanted and (key not in NOT_SETTINGS or key in (LOCK, HIDE))]:
        if key not in teacher:
            del st.query_params[key]
    for key, value in {**wanted, **teacher}.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    _remember_written("_link_written", wanted)
    st.session_state[CURRENT_SETTINGS] = config  # where a race starts from


def _written_here(key: str, params: dict) -> bool:
    """Whether the link's `params` are ones this page wrote or took in itself lately (kept under `key`). Every
    rerun the browser asks for carries the address it has at that moment, and a rerun asked for (a click, a live
    chart's trigger) before the page's newest link reached the browser carries an older one: taken for a new
    link, it put the older settings back, and a slider just moved sprang back (the slider journey, on CI). A page
    opened with a link, or a step back in the browser's history, is the visitor's own: applied."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if navigation.arrived() or (ctx is not None and ctx.is_history_navigation):
        return False
    return params in st.session_state.get(key, [])


def _remember_written(key: str, link: dict) -> None:
    links = [seen for seen in st.session_state.get(key, []) if seen != link]
    st.session_state[key] = [*links[1 - WRITTEN_KEPT:], link]


def lock_note() -> None:
    """What the session's teacher link fixes, in a caption, on every page that draws controls."""
    fixed, teacher = fixed_settings(), st.session_state.get(TEACHER_LINK, {})
    if fixed:
        parts = [f"{SETTINGS[name].label.lower()} {shown(name, fixed[name])}" for name in split_values(teacher.get(LOCK, ""))]
        parts += [f"the {group} section" for group in split_values(teacher.get(HIDE, ""))]
        st.caption(":material/lock: Your teacher's link fixes " + markdown(", ".join(parts)) + ".")


def locked(name: str) -> bool:
    """A setting (or a sweep's or search's knob: layers and neurons are the hidden layers) the
    session's teacher link fixed."""
    return {"layers": "hidden", "neurons": "hidden"}.get(name, name) in fixed_settings()


GROUPS = ("data", "network", "training", "regularization")  # the sections a link can hide
TEACHER_LINK = "_teacher_link"  # the lock and hide of the session's teacher link, written back into its link


def _fix_settings(params: dict, teacher: dict) -> None:
    """Fix the settings `teacher` (the link's lock and hide) names at the values of the link's own
    settings (or its lesson), in place of any earlier teacher link's; an empty lock and hide lift every lock."""
    if not any(teacher.values()):
        st.session_state.pop(FIXED_SETTINGS, None)
        st.session_state.pop(TEACHER_LINK, None)
        return
    locked, hidden, ignored = [], [], []
    for name in split_values(teacher.get(LOCK, "")):
        (locked if name in SETTINGS and name not in CSV_SETTINGS else ignored).append(name)
    for group in split_values(teacher.get(HIDE, "")):
        (hidden if group in GROUPS else ignored).append(group)
    preset = PRESETS.get(params.get("preset", ""))
    link_config = preset.config if preset else RunConfig.from_link({k: v for k, v in params.items() if k in SETTINGS})[0]
    if link_config.dataset == "csv" and "data" in hidden:
        hidden.remove("data")
        ignored.append("data (a CSV file is chosen by each student)")
    names = [*locked, *(name for name, spec in SETTINGS.items() if spec.group in hidden and name not in CSV_SETTINGS)]
    kept = {LOCK: ",".join(locked), HIDE: ",".join(hidden)}
    st.session_state[FIXED_SETTINGS] = {name: getattr(link_config, name) for name in names}
    st.session_state[TEACHER_LINK] = {key: value for key, value in kept.items() if value}
    if ignored:
        st.caption(f"This link's lock or hide names what this page does not know; ignored: "
                   f"{markdown(', '.join(name[:40] for name in ignored[:10]))}. Known sections: {', '.join(GROUPS)}.")


def race_from_link(count_key: str) -> None:
    """Fill the race's controls (and st.session_state[count_key], how many race) from its link,
    when it carries settings this session has not written itself. A name the link gets wrong is
    noted and left out; the rest is used."""
    params = {key: st.query_params.get(key) for key in st.query_params if key not in NOT_SETTINGS}
    teacher = {key: st.query_params.get(key) for key in (LOCK, HIDE) if key in st.query_params}
    if teacher and teacher != st.session_state.get(TEACHER_LINK):  # a race link may lock, at A's values
        _fix_settings({key[2:] if key.startswith("a_") else key: value for key, value in params.items()}, teacher)
    lock_note()
    if not params or _written_here("_race_link_written", params):
        return
    _remember_written("_race_link_written", dict(params))
    problems = []
    lesson = params.pop("lesson", None)
    if lesson is not None:
        if lesson in RACES:
            race_lesson(RACES[lesson], count_key)
            raced = {name for config in RACES[lesson].configs[1:] for name in config.changes_from(RACES[lesson].configs[0])}
            if any(locked(name) for name in raced):
                st.info("This race changes " + markdown(", ".join(SETTINGS[name].label.lower() for name in sorted(raced)))
                        + ", which your teacher's link fixes: its configurations stay alike.", icon=":material/lock:")
        else:
            st.warning(f"There is no race called “{markdown(lesson[:40])}”; the races are: {', '.join(RACES)}.")
        return
    count = params.pop(RACE_COUNT, "2")
    if count not in ("2", "3", "4"):
        problems.append(f"a race takes 2, 3 or 4 configurations, not {count[:20]!r}")
        count = "2"
    by_prefix = {prefix: {} for prefix in RACE_PREFIXES}
    for key, value in params.items():
        if key[:2] in by_prefix:
            by_prefix[key[:2]][key[2:]] = value
        elif key in SETTINGS:  # a Train page's link: settings every configuration shares
            by_prefix["a_"].setdefault(key, value)
        else:
            problems.append(f"{key[:40]!r} is not a setting of A, B, C or D (write a_{key[:40]}, b_{key[:40]} …)")
    first, more = RunConfig.from_link(by_prefix["a_"])
    configs, problems = [first], problems + [f"A: {problem}" for problem in more]
    for prefix in RACE_PREFIXES[1:int(count)]:
        config, more = RunConfig.from_link(by_prefix[prefix], base=first.to_dict())
        configs.append(config)
        problems += [f"{prefix[0].upper()}: {problem}" for problem in more]
    _set_race(configs, count_key)
    if problems:
        st.warning("Some settings in the link could not be used: " + markdown("; ".join(problems)))


def race_lesson(lesson, count_key: str) -> None:
    """Put a race lesson (nnlab.lessons.presets.RaceLesson) into the race's controls."""
    _set_race(list(lesson.configs), count_key)
    st.session_state[RACE_LESSON] = lesson


def _set_race(configs: list[RunConfig], count_key: str) -> None:
    """The configurations into the controls of A, B …; the ones not racing become copies of A."""
    for i, prefix in enumerate(RACE_PREFIXES):
        request_settings(configs[i] if i < len(configs) else configs[0], prefix)
    st.session_state[count_key] = len(configs)


def race_to_link(configs: list[RunConfig]) -> None:
    """Write the race into the link: A's settings that differ from the defaults, then what each
    other configuration changes from A (settings kept out of links, such as files, are left out)."""
    first = configs[0]
    wanted = {RACE_COUNT: str(len(configs))} if len(configs) != 2 else {}
    wanted.update({f"a_{name}": value for name, value in first.to_link().items()})
    for prefix, config in zip(RACE_PREFIXES[1:], configs[1:]):
        wanted.update({f"{prefix}{name}": SETTINGS[name].to_text(new) for name, (_, new) in config.changes_from(first).items()
                       if SETTINGS[name].in_link})
    for key in [key for key in st.query_params if key not in wanted and key not in NOT_SETTINGS]:
        del st.query_params[key]
    for key, value in {**wanted, **st.session_state.get(TEACHER_LINK, {})}.items():  # a lock travels with the race
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    _remember_written("_race_link_written", wanted)


def teacher_link_maker(config: RunConfig | None) -> None:
    """An expander that builds a teacher's link from the current settings: the settings and
    sections picked are fixed at their current values and their controls hidden. Not for a class a
    teacher's link has locked."""
    if config is None or fixed_settings():
        return
    with st.expander("Make a teacher link", icon=":material/lock:"):
        st.caption("Set the controls as the class should start, then pick what the class may not change. "
                   "Everything else stays open: the knob of the day.")
        names = [name for name, spec in SETTINGS.items() if name not in CSV_SETTINGS and spec.in_link]
        locked = st.multiselect("Fix these settings (their controls are hidden)", names,
                                format_func=lambda name: SETTINGS[name].label, key="teacher_lock")
        hidden = st.multiselect("Hide these sections", GROUPS, format_func=str.capitalize, key="teacher_hide")
        params = {**config.to_link(), **({LOCK: ",".join(locked)} if locked else {}),
                  **({HIDE: ",".join(hidden)} if hidden else {})}
        page = (st.context.url or "").split("?")[0]
        st.code(f"{page}?{urlencode(params, safe=',')}" if params else page, language=None)
        if config.dataset == "csv":
            st.caption("A CSV file cannot travel in a link: each student uploads it.")
        navigation.link("class", "Make a class with this lesson (a board of what the class finds)",
                        query_params={LESSON: urlencode(params, safe=",")})
