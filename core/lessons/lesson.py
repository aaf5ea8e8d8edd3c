"""The frozen contracts of a lesson: :class:`Lesson` → :class:`Step` → :class:`Setup`, :class:`Task` → :class:`Demo`.

Built by :func:`core.lessons.loading.load_lesson` from a TOML file (the format: docs/lessons.md);
every value here has been checked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.lessons.checks import Check
from core.lessons.facts import Facts
from core.run.config import LIVE_FIELDS

#: ``Setup.speed`` for "as fast as the computer can train"
FLAT_OUT = math.inf
#: the speeds a step may set, in steps per second (:data:`FLAT_OUT` too)
SPEEDS = (1.0, 5.0, 20.0, 50.0, 200.0)


def _changes(pairs: tuple) -> dict:
    return {name: value for name, value in pairs}


@dataclass(frozen=True)
class Setup:
    """What opening a step does to the window, in this order (None: leave it as it is).

    Attributes
    ----------
    preset : str or None
        Start a new run of this preset (a name of :data:`core.run.presets.PRESETS`).
    config : tuple of (str, object)
        ``TrainingConfig`` fields set on top of the preset (or of the current run): (name, value) pairs.
    workspace : str or None
        The workspace to show.
    view : str or None
        The dock (its ``objectName``) to bring to the front.
    speed : float or None
        Steps per second, one of :data:`SPEEDS`, or :data:`FLAT_OUT`.
    epoch : int or None
        Move the timeline to this kept epoch.
    play : bool or None
        True starts training, False pauses it.
    """

    preset: str | None = None
    config: tuple = ()
    workspace: str | None = None
    view: str | None = None
    speed: float | None = None
    epoch: int | None = None
    play: bool | None = None

    def config_changes(self) -> dict:
        """``config`` as a dict of field -> value."""
        return _changes(self.config)

    @property
    def starts_run(self) -> bool:
        """Whether applying it replaces the run on screen (a preset or a configuration)."""
        return self.preset is not None or bool(self.config)


@dataclass(frozen=True)
class Demo:
    """What a scripted user does to pass a task (the tests, and the panel's **Show me**).

    Attributes
    ----------
    actions : tuple of (str, object)
        The actions in the file's order, each one of :data:`DEMO_KEYS` with its value:
        ``("preset", "spiral")``, ``("set", (("learning_rate", 2.0),))`` (Controls fields typed),
        ``("workspace", "descend")``, ``("view", "slice1dDock")``, ``("train_until_epoch", 5)``
        (train epoch by epoch until the epoch is reached), ``("train_epochs", 3)`` (three more epochs
        from where the run is), ``("epoch", 2)`` (the timeline),
        ``("draw", 1)`` (draw that many digits on the Draw view), ``("play", True)``.
    """

    actions: tuple = ()

    @property
    def starts_run(self) -> bool:
        """Whether it replaces the run on screen (a preset, or a Controls field that needs a new run)."""
        return any(kind == "preset" or kind == "set" and any(name not in LIVE_FIELDS for name, _ in value)
                   for kind, value in self.actions)


#: the keys a demo may have, in no particular order (the file's order is kept)
DEMO_KEYS = ("preset", "set", "workspace", "view", "train_until_epoch", "train_epochs", "epoch", "draw", "play")


@dataclass(frozen=True)
class Task:
    """Something for the learner to do, and how the app notices it is done.

    Attributes
    ----------
    ask : str
        What to do.
    check : Check
        True once it is done (:mod:`core.lessons.checks`).
    done : str
        Shown when the check passes.
    hint : str
        Shown on "Not yet?".
    demo : Demo
        A scripted user doing it.
    """

    ask: str
    check: Check
    done: str
    hint: str
    demo: Demo

    def passed(self, facts: Facts) -> bool:
        """Whether ``facts`` pass the check."""
        return self.check(facts)


@dataclass(frozen=True)
class Step:
    """One step of a lesson: a text to read, the window set up for it, maybe a task.

    Attributes
    ----------
    title : str
    text : str
        Paragraphs (blank-line separated) in the small markdown subset of :mod:`core.lessons.text`.
    setup : Setup
    task : Task or None
    """

    title: str
    text: str
    setup: Setup = Setup()
    task: Task | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson: a few steps with one idea.

    Attributes
    ----------
    id : str
        ``[a-z0-9-]+``; progress is remembered under it.
    title, summary : str
    steps : tuple of Step
        One or more.
    source : str
        The file it was read from (``""`` for text).
    """

    id: str
    title: str
    summary: str
    steps: tuple
    source: str = ""

    def __post_init__(self):
        if not self.steps:
            raise ValueError(f"A lesson needs at least one step. Received: steps={self.steps!r}")
