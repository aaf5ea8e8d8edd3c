"""The window's facts for a lesson's check (:class:`core.lessons.facts.Facts`), read live.

Most facts are read from the window when asked (the session's newest snapshot and state, its
configuration, the timeline's epoch logs and position, the workspace shown); two are kept here as
they happen: the preset the run started from, and the digits drawn on the Draw view in this run.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal, Slot

from core.lessons.facts import Facts, run_facts
from core.run.config import LIVE_FIELDS
from core.run.presets import PRESETS

#: fields a lesson's run may change from its preset and still be "that preset" (its size)
_SIZE_FIELDS = frozenset({"n_samples", "grid_resolution"})


def preset_of(config, hint: str = "") -> str:
    """The preset ``config`` is (live fields and the data's size aside): ``hint`` if it matches, else
    the first preset that does, else ``""``."""
    def same(name):
        base = PRESETS[name].config
        return all(getattr(base, f) == getattr(config, f) for f in base.__dataclass_fields__
                   if f not in LIVE_FIELDS and f not in _SIZE_FIELDS)

    if hint in PRESETS and same(hint):
        return hint
    return next((name for name in PRESETS if same(name)), "")


class LiveFacts(QObject):
    """The facts of ``window`` (a :class:`viz.app.main_window.MainWindow`).

    Parameters
    ----------
    window : MainWindow

    Attributes
    ----------
    drawn : int
        Digits drawn on the Draw view since the run started (a stroke ended with ink on the canvas).
    preset : str
        The preset the run started from, ``""`` if none.

    Signals
    -------
    changed()
        A fact kept here changed (a digit was drawn).
    """

    changed = Signal()

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        self.drawn = 0
        self._preset_hint = ""
        self.preset = preset_of(window.session.config)
        self._canvas = None
        self._starting = False                   # a run is starting: its first snapshot has not come yet
        window.session.snapshot_ready.connect(self._on_snapshot)
        for name, action in window.preset_actions.items():
            action.triggered.connect(self._on_preset_action)

    @Slot()
    def _on_preset_action(self) -> None:
        action = self.sender()
        if action is not None:
            self.started_preset(action.data())

    def started_preset(self, name: str) -> None:
        """A run of preset ``name`` is starting (the preset then names the run while it matches)."""
        self._preset_hint = name

    def started_run(self, preset: str = "") -> None:
        """A new run is starting (of ``preset``, if one): until its first snapshot arrives the facts are
        those of a run at step 0, not the old run's (a step's task must not pass on the run it replaces)."""
        if preset:
            self.started_preset(preset)
        self._starting = True

    def watch_canvas(self, canvas) -> None:
        """Count the digits drawn on ``canvas`` (the Draw view's :class:`DrawCanvas`)."""
        if canvas is not self._canvas:
            self._canvas = canvas
            canvas.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self._canvas and event.type() == QEvent.Type.MouseButtonRelease and obj.ink().max() > 0:
            self.drawn += 1
            self.changed.emit()
        return False

    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if snap.run is not None:                 # a new run: nothing drawn on it yet
            self._starting = False
            self.drawn = 0
            self.preset = preset_of(snap.run.config, self._preset_hint)

    def facts(self) -> Facts:
        """The window's facts now."""
        w = self._window
        session, timeline = w.session, w.timeline
        snap = None if self._starting else session.latest
        epoch, step = (snap.epoch, snap.step) if snap is not None else (0, 0)
        if self._starting:
            return run_facts(session.config, (), epoch=0, step=0, stopped_on_nan=False, playing=False,
                             timeline_epoch=0, preset=self._preset_hint, workspace=w.dock_layout.workspace,
                             drawn=0)
        stopped_by_itself = session.state == "stopped" and session.alive and bool(session.message)
        position = timeline.position
        return run_facts(session.config, timeline.epoch_logs, epoch=epoch, step=step,
                         stopped_on_nan=stopped_by_itself, playing=session.state == "training",
                         timeline_epoch=epoch if position is None else position, preset=self.preset,
                         workspace=w.dock_layout.workspace, drawn=self.drawn)
