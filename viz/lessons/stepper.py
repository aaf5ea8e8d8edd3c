"""Plays a step's setup, or a task's demo, on the window: one action after another, each waiting
for what it started (a new run's first snapshot, training up to an epoch, the pause after it).

Nothing here decides whether a run may be replaced: :class:`viz.lessons.guide.Guide` asks first.
The actions drive the window as a user would: a preset through the window's ``start_config``, the
workspace through its dock layout, the speed through the toolbar's Speed box, a Controls field by
typing into its editor, a drawing by mouse strokes on the Draw view's canvas.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox

from core.run.config import data_notice
from core.run.presets import PRESETS
from viz.app.actions import STATUS_MS
from viz.panels.architecture import select_data, set_number

#: the strokes of a drawn digit (a "7"), in fractions of the canvas
_SEVEN = ((0.25, 0.2), (0.75, 0.2), (0.45, 0.85))


class Stepper(QObject):
    """Runs actions on ``window`` in order, waiting where an action started something.

    Parameters
    ----------
    window : MainWindow
    facts : viz.lessons.live_facts.LiveFacts
        Told which preset a run starts from; counts the runs started.

    Attributes
    ----------
    config_filter : callable or None
        ``f(config) -> config`` applied to every run a step or demo starts. The tests shrink the
        MNIST runs with it (fewer samples); the app leaves it None.

    Signals
    -------
    finished()
        The last action is done.
    """

    finished = Signal()

    def __init__(self, window, facts):
        super().__init__(window)
        self._window, self._facts = window, facts
        self.config_filter = None
        self._queue: list = []
        self._waiting = None
        self._runs = 0
        self._kick = QTimer(self, singleShot=True, interval=0)
        self._kick.timeout.connect(self._advance)
        s = window.session
        s.snapshot_ready.connect(self._on_snapshot)
        s.state_changed.connect(self._kick.start)

    @property
    def busy(self) -> bool:
        """Whether actions are still to run (or one is waiting)."""
        return bool(self._queue) or self._waiting is not None

    def stop(self) -> None:
        """Drop the actions not run yet (training a demo started is paused)."""
        if self.busy and self._window.session.state == "training":
            self._window.session.pause()
        self._queue, self._waiting = [], None

    # ---- what to run ----------------------------------------------------------------------------
    def setup(self, setup) -> None:
        """Apply a :class:`core.lessons.lesson.Setup` (in its documented order)."""
        actions = []
        if setup.starts_run:
            self._facts.started_run(setup.preset or "")   # from now on the facts are the new run's
            actions.append(lambda: self._start(setup.preset, setup.config_changes()))
        if setup.workspace is not None:
            actions.append(lambda: self._workspace(setup.workspace))
        if setup.view is not None:
            actions.append(lambda: self._view(setup.view))
        if setup.speed is not None:
            actions.append(lambda: self._speed(setup.speed))
        if setup.epoch is not None:
            actions.append(lambda: self._epoch(setup.epoch))
        if setup.play is not None:
            actions.append(lambda: self._play(setup.play))
        self._run(actions)

    def demo(self, demo) -> None:
        """Play a :class:`core.lessons.lesson.Demo`: a scripted user doing the task."""
        table = {"preset": lambda v: self._start(v, {}), "set": self._set, "workspace": self._workspace,
                 "view": self._view, "train_until_epoch": self._train_until, "train_epochs": self._train_epochs,
                 "epoch": self._epoch,
                 "draw": self._draw, "play": self._play}
        self._run([(lambda f=table[kind], v=value: f(v)) for kind, value in demo.actions])

    def _run(self, actions) -> None:
        self.stop()
        self._queue = list(actions)
        self._kick.start()

    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if snap.run is not None:
            self._runs += 1
        if self.busy:            # in a later turn: the window's own slots for this snapshot go first
            self._kick.start()

    @Slot()
    def _advance(self, *_args) -> None:
        while True:
            if self._waiting is not None:
                if not self._waiting():
                    return
                self._waiting = None
            if not self._queue:
                break
            self._waiting = self._queue.pop(0)()
        self.finished.emit()

    # ---- the actions (each returns what to wait for, or None) -----------------------------------
    def _start(self, preset: str | None, changes: dict):
        w = self._window
        base = PRESETS[preset].config if preset else w.session.config
        config = base.replace(**changes)
        if self.config_filter is not None:
            config = self.config_filter(config)
        self._facts.started_run(preset or "")
        runs = self._runs
        w.start_config(config)
        notice = data_notice(config)
        title = f"“{PRESETS[preset].title}”" if preset and not changes else "A new run for this step"
        w.statusBar().showMessage(notice or f"{title} starts.", 4 * STATUS_MS)
        return lambda: self._runs > runs

    def _workspace(self, name: str):
        self._window.dock_layout.show_workspace(name)

    def _view(self, name: str):
        w = self._window
        dock = w.dock_layout.dock(name)
        w.lazy_docks.ensure(dock)
        if not dock.isVisible():
            dock.show()
        dock.raise_()

    def _speed(self, speed: float):
        combo = self._window.actions.speed
        wanted = None if math.isinf(speed) else float(speed)
        for i in range(combo.count()):
            if combo.itemData(i) == wanted:
                combo.setCurrentIndex(i)
                return

    def _epoch(self, epoch: int):
        timeline = self._window.timeline
        if timeline.epochs():
            timeline.scrub(epoch)
        else:
            self._window.statusBar().showMessage(f"No epoch is kept yet, so the timeline cannot show "
                                                 f"epoch {epoch}: train first.", STATUS_MS)

    def _play(self, play: bool):
        s = self._window.session
        if play and s.state != "training":
            if self._window.timeline.position is not None:
                self._window.timeline.go_live()
            s.play()
        elif not play and s.state == "training":
            s.pause()
            return self._not_training

    def _not_training(self) -> bool:
        return self._window.session.state != "training"

    def _train_until(self, epoch: int):
        """Train up to epoch ``epoch`` exactly: one Step epoch after another (Play would overshoot by
        the epochs trained before the pause lands, many at flat-out speed)."""
        s = self._window.session
        sent = []                                  # the step count when the last Step epoch was sent

        def reached() -> bool:
            snap = s.latest
            if s.state in ("finished", "stopped"):
                return True
            if snap is None or s.state == "training":
                return False
            if snap.epoch >= epoch:
                return True
            if not sent or snap.step > sent[-1]:   # the one sent before has been trained
                sent.append(snap.step)
                s.step_epoch()
            return False

        if self._window.timeline.position is not None:
            self._window.timeline.go_live()
        return reached

    def _train_epochs(self, count: int):
        """Train ``count`` more epochs from where the run is."""
        snap = self._window.session.latest
        return self._train_until((snap.epoch if snap is not None else 0) + count)

    def _set(self, pairs: tuple):
        """Type each (field, value) into Controls; fields that need a new run start one."""
        w = self._window
        controls = w.controls
        live = {name: value for name, value in pairs if name in controls.live_fields}
        others = {name: value for name, value in pairs if name not in controls.live_fields}
        for name, value in live.items():
            editor = controls.field_widget(name)
            if isinstance(editor, QComboBox):
                select_data(editor, value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            else:
                set_number(editor, value)
        if others:
            return self._start(None, others)
        return None

    def _draw(self, count: int):
        """Draw ``count`` digits (a "7") on the Draw view, as strokes of the mouse."""
        self._workspace("digits")
        self._view("dock_draw")
        view = self._window.lazy_docks.ensure(self._window.dock_layout.dock("dock_draw"))
        canvas = view.canvas
        self._facts.watch_canvas(canvas)
        for _ in range(count):
            canvas.clear()
            points = [QPointF(x * canvas.width(), y * canvas.height()) for x, y in _SEVEN]
            _mouse(canvas, QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
            for p in points[1:]:
                _mouse(canvas, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton)
            _mouse(canvas, QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.LeftButton)


def _mouse(widget, kind, pos: QPointF, button) -> None:
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, held, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
