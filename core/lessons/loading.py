"""Reading lesson files: :func:`load_lesson`, :func:`parse_lesson`, :func:`bundled_lessons`.

A lesson is one TOML file (the format: docs/lessons.md). Everything is checked on load, Keras
style: an unknown key, a wrong type, an unknown preset, configuration field, fact, workspace or
view is a :class:`~core.lessons.errors.LessonError` naming the file, the step, the bad value and
what is allowed. Configuration values are checked by ``TrainingConfig``'s own validation.

``core`` does not know the window's workspaces and docks: the caller passes their names
(``workspaces=``, ``views=``; the GUI does, from its registries); left at None, any name is taken.
The bundled lessons are ``assets/lessons/*.toml``, in file-name order.
"""
from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from core.datasets import assets_dir
from core.lessons.checks import compile_check
from core.lessons.errors import LessonError
from core.lessons.lesson import DEMO_KEYS, FLAT_OUT, SPEEDS, Demo, Lesson, Setup, Step, Task
from core.run.config import TrainingConfig
from core.run.presets import PRESETS

#: the only format version so far
FORMAT = 1
LESSON_KEYS = ("format", "id", "title", "summary", "steps")
STEP_KEYS = ("title", "text", "setup", "task")
SETUP_KEYS = ("preset", "config", "workspace", "view", "speed", "epoch", "play")
TASK_KEYS = ("ask", "check", "done", "hint", "demo")
_ID = re.compile(r"^[a-z0-9-]+$")
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(TrainingConfig))
_SPEED_WORDS = ("flat out",)


class _Where:
    """The file and step an error is about."""

    def __init__(self, source: str, step: int | None = None):
        self.source, self.step = source, step

    def error(self, message: str) -> LessonError:
        return LessonError(message, self.source, self.step)

    def keys(self, table, allowed: tuple, what: str, required: tuple = ()) -> dict:
        if not isinstance(table, dict):
            raise self.error(f"`{what}` must be a table. Received: {what}={table!r}")
        for key in table:
            if key not in allowed:
                raise self.error(f"Unknown key {key!r} in {what}. Allowed keys: {', '.join(allowed)}")
        for key in required:
            if key not in table:
                raise self.error(f"{what} needs the key {key!r}. Required: {', '.join(required)}")
        return table

    def text(self, table: dict, key: str, what: str) -> str:
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"`{what}.{key}` must be a non-empty text. Received: {key}={value!r}")
        return value.strip()

    def choice(self, value, key: str, allowed) -> str:
        allowed = tuple(allowed)
        if not isinstance(value, str) or value not in allowed:
            raise self.error(f"`{key}` must be one of {', '.join(repr(a) for a in allowed)}. "
                             f"Received: {key}={value!r}")
        return value

    def integer(self, value, key: str, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.error(f"`{key}` must be an integer >= {low}. Received: {key}={value!r}")
        return value


def _config_pairs(where: _Where, table, base: TrainingConfig, key: str) -> tuple:
    """``table``'s TrainingConfig fields as (name, value) pairs, checked on top of ``base``."""
    if not isinstance(table, dict):
        raise where.error(f"`{key}` must be a table of TrainingConfig fields. Received: {key}={table!r}")
    for name in table:
        if name not in _CONFIG_FIELDS:
            raise where.error(f"Unknown configuration field {name!r} in `{key}`. Allowed fields: "
                              + ", ".join(_CONFIG_FIELDS))
    changes = {name: (tuple(tuple(h) if isinstance(h, list) else h for h in value)
                      if name == "hidden" and isinstance(value, list) else value)
               for name, value in table.items()}
    try:
        config = base.replace(**changes)
        errors = config.errors()
    except (TypeError, ValueError) as exc:
        raise where.error(f"`{key}` is not a valid configuration: {exc}") from None
    bad = {name: msg for name, msg in errors.items() if name in changes} or errors
    if bad:
        name, msg = next(iter(bad.items()))
        raise where.error(f"`{key}.{name}` is not valid: {msg}")
    return tuple(changes.items())


def _speed(where: _Where, value) -> float:
    if isinstance(value, str) and value.strip().lower() in _SPEED_WORDS:
        return FLAT_OUT
    if not isinstance(value, bool) and isinstance(value, (int, float)) and float(value) in SPEEDS:
        return float(value)
    raise where.error("`speed` must be one of " + ", ".join(f"{s:g}" for s in SPEEDS)
                      + f" (steps per second) or 'flat out'. Received: speed={value!r}")


def _names(where: _Where, value, key: str, allowed) -> str:
    """A workspace or dock name: one of ``allowed`` (None: any non-empty name)."""
    if allowed is None:
        if not isinstance(value, str) or not value:
            raise where.error(f"`{key}` must be a name. Received: {key}={value!r}")
        return value
    return where.choice(value, key, sorted(allowed))


def _setup(where: _Where, table, base: TrainingConfig, workspaces, views) -> tuple[Setup, TrainingConfig]:
    where.keys(table, SETUP_KEYS, "setup")
    out = {}
    if "preset" in table:
        out["preset"] = where.choice(table["preset"], "setup.preset", PRESETS)
        base = PRESETS[out["preset"]].config
    if "config" in table:
        out["config"] = _config_pairs(where, table["config"], base, "setup.config")
        base = base.replace(**dict(out["config"]))
    if "workspace" in table:
        out["workspace"] = _names(where, table["workspace"], "setup.workspace", workspaces)
    if "view" in table:
        out["view"] = _names(where, table["view"], "setup.view", views)
    if "speed" in table:
        out["speed"] = _speed(where, table["speed"])
    if "epoch" in table:
        out["epoch"] = where.integer(table["epoch"], "setup.epoch")
    if "play" in table:
        if not isinstance(table["play"], bool):
            raise where.error(f"`setup.play` must be true or false. Received: play={table['play']!r}")
        out["play"] = table["play"]
    return Setup(**out), base


def _demo(where: _Where, table, base: TrainingConfig, workspaces, views) -> Demo:
    where.keys(table, DEMO_KEYS, "task.demo")
    actions = []
    for key, value in table.items():
        if key == "preset":
            value = where.choice(value, "demo.preset", PRESETS)
            base = PRESETS[value].config
        elif key == "set":
            value = _config_pairs(where, value, base, "demo.set")
            base = base.replace(**dict(value))
        elif key == "workspace":
            value = _names(where, value, "demo.workspace", workspaces)
        elif key == "view":
            value = _names(where, value, "demo.view", views)
        elif key in ("train_until_epoch", "train_epochs", "epoch"):
            value = where.integer(value, f"demo.{key}", low=0 if key == "epoch" else 1)
        elif key == "draw":
            value = where.integer(value, "demo.draw", low=1)
        elif key == "play" and not isinstance(value, bool):
            raise where.error(f"`demo.play` must be true or false. Received: play={value!r}")
        actions.append((key, value))
    if not actions:
        raise where.error("`task.demo` needs at least one action. Allowed keys: " + ", ".join(DEMO_KEYS))
    return Demo(tuple(actions))


def _task(where: _Where, table, base: TrainingConfig, workspaces, views) -> Task:
    where.keys(table, TASK_KEYS, "task", required=TASK_KEYS)
    texts = {key: where.text(table, key, "task") for key in ("ask", "done", "hint")}
    check = compile_check(table["check"], where.source, where.step)
    return Task(check=check, demo=_demo(where, table["demo"], base, workspaces, views), **texts)


def parse_lesson(text: str, source: str = "", workspaces=None, views=None) -> Lesson:
    """A :class:`Lesson` from the TOML ``text``.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        Where it came from (named in errors).
    workspaces, views : collection of str, optional
        The workspace names and dock names a step may show; None: any name.

    Returns
    -------
    Lesson

    Raises
    ------
    LessonError
        The text is not TOML or breaks the format (the message says where and what is allowed).
    """
    where = _Where(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise where.error(f"not a valid TOML file ({exc})") from None
    where.keys(data, LESSON_KEYS, "the lesson", required=LESSON_KEYS)
    if data["format"] != FORMAT or isinstance(data["format"], bool):
        raise where.error(f"`format` must be {FORMAT}. Received: format={data['format']!r}")
    lesson_id = data["id"]
    if not isinstance(lesson_id, str) or not _ID.match(lesson_id):
        raise where.error(f"`id` must be lower-case letters, digits and dashes. Received: id={lesson_id!r}")
    title, summary = where.text(data, "title", "lesson"), where.text(data, "summary", "lesson")
    steps_data = data["steps"]
    if not isinstance(steps_data, list) or not steps_data:
        raise where.error("`steps` must be one or more [[steps]] tables. Received: steps="
                          f"{steps_data!r}")
    steps, base = [], TrainingConfig()
    for number, table in enumerate(steps_data, start=1):
        where.step = number
        where.keys(table, STEP_KEYS, "the step", required=("title", "text"))
        setup, base = _setup(where, table.get("setup", {}), base, workspaces, views)
        task = _task(where, table["task"], base, workspaces, views) if "task" in table else None
        steps.append(Step(title=where.text(table, "title", "step"), text=where.text(table, "text", "step"),
                          setup=setup, task=task))
    return Lesson(id=lesson_id, title=title, summary=summary, steps=tuple(steps), source=source)


def load_lesson(path, workspaces=None, views=None) -> Lesson:
    """The lesson in the TOML file ``path`` (see :func:`parse_lesson`); a :class:`LessonError` when
    it cannot be read or breaks the format."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"cannot be read ({getattr(exc, 'strerror', None) or exc})", str(path)) from None
    return parse_lesson(text, str(path), workspaces, views)


def lessons_dir() -> Path:
    """The folder of the bundled lessons: ``lessons/`` in the app's assets (:func:`core.datasets.assets_dir`)."""
    return assets_dir() / "lessons"


def bundled_lessons(workspaces=None, views=None, folder=None) -> tuple:
    """Every lesson of ``folder`` (default :func:`lessons_dir`), in file-name order.

    Raises
    ------
    LessonError
        A file breaks the format, or two lessons share an id.
    """
    folder = Path(folder) if folder is not None else lessons_dir()
    lessons, seen = [], {}
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
        lesson = load_lesson(path, workspaces, views)
        if lesson.id in seen:
            raise LessonError(f"the id {lesson.id!r} is used by {seen[lesson.id]} too; ids must be unique", str(path))
        seen[lesson.id] = path.name
        lessons.append(lesson)
    return tuple(lessons)
