"""The open lesson of a window: which step, its progress, its setup, its live check.

:class:`Guide` drives the :class:`~viz.lessons.panel.LessonsPanel` (what it shows) from the user's
clicks, applies each step's setup with a :class:`~viz.lessons.stepper.Stepper` (after asking, when
it would replace a run that has trained: Save the run… / Discard / Cancel), re-evaluates the task's
check whenever the run, the timeline, the workspace or the controls change, and remembers each
lesson's progress in the settings (:func:`viz.app.settings.save_lesson_progress`).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core.lessons.lesson import Setup
from core.run.presets import PRESETS
from viz.app import settings as st
from viz.app.actions import STATUS_MS
from viz.lessons.live_facts import LiveFacts
from viz.lessons.replace_box import DISCARD, SAVE, ask_replace
from viz.lessons.stepper import Stepper

#: the dock of the Lessons panel (viz.app.layout.docks)
DOCK = "dock_lessons"
#: milliseconds on a step with its task not done before the hint shows by itself
HINT_AFTER_MS = 120_000


#: how the status line names the facts (the others by their own name)
FACT_WORDS = {"val_accuracy": "validation accuracy", "val_loss": "validation loss", "first_loss": "first loss",
              "best_val_accuracy": "best validation accuracy", "timeline_epoch": "epoch shown",
              "learning_rate": "learning rate", "batch_size": "batch size", "hidden_layers": "hidden layers",
              "epochs_planned": "epochs planned", "drawn": "digits drawn", "playing": "training now"}


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "not known yet" if math.isnan(value) else f"{value:.3g}"
    if isinstance(value, str):
        return repr(value) if value else "none"
    return str(value)


class Guide(QObject):
    """The lessons of ``window`` and the one open in its Lessons panel.

    Parameters
    ----------
    window : MainWindow
    panel : viz.lessons.panel.LessonsPanel
    lessons : sequence of core.lessons.lesson.Lesson
        The list (the bundled lessons, in order).
    settings : QSettings

    Attributes
    ----------
    lessons : list of Lesson
    lesson : Lesson or None
        The one open (None: the list is shown).
    index : int
        The open step, counted from 0.
    passed : bool
        The open step's task is done (it stays done until the step is opened again).
    applied : bool
        The open step's setup was applied (False after Cancel, or a lesson reopened at launch).
    facts : LiveFacts
    stepper : Stepper
    box : QMessageBox or None
        The "Replace your run?" question while it is open.

    Signals
    -------
    step_shown(int)
        A step was opened (its index).
    """

    step_shown = Signal(int)

    def __init__(self, window, panel, lessons, settings):
        super().__init__(window)
        self.window, self.panel, self.settings = window, panel, settings
        self.lessons = list(lessons)
        self.lesson = None
        self.index = 0
        self.passed = False
        self.applied = False
        self.box = None
        self.facts = LiveFacts(window)
        self.stepper = Stepper(window, self.facts)
        self._status = None
        self._hint_timer = QTimer(self, singleShot=True, interval=HINT_AFTER_MS)
        self._hint_timer.timeout.connect(self._show_hint)
        p = panel
        p.lesson_chosen.connect(self.open)
        p.back_requested.connect(self.back)
        p.next_requested.connect(self.next)
        p.restart_requested.connect(self.restart)
        p.show_me_requested.connect(self.show_me)
        p.setup_requested.connect(self.apply_setup)
        p.list_requested.connect(self.show_list)
        self.stepper.finished.connect(self._demo_finished)
        s = window.session
        s.snapshot_ready.connect(self.evaluate)
        s.state_changed.connect(self.evaluate)
        window.timeline.position_changed.connect(self.evaluate)
        window.dock_layout.workspace_changed.connect(self.evaluate)
        window.controls.hyperparameter_changed.connect(self.evaluate)
        self.facts.changed.connect(self.evaluate)
        self.show_list()

    @Slot()
    def _show_hint(self) -> None:
        self.panel.show_hint(True)

    # ---- the list -------------------------------------------------------------------------------
    def progress_text(self, lesson) -> str:
        """"Not started", "Step k of n" or "Done" for ``lesson``."""
        if not st.lesson_started(self.settings, lesson.id):
            return "Not started"
        step, done = st.load_lesson_progress(self.settings, lesson.id)
        if done:
            return "Done ✓"
        return f"Step {min(step, len(lesson.steps) - 1) + 1} of {len(lesson.steps)}"

    @Slot()
    def show_list(self) -> None:
        """The list of lessons with their progress (the open lesson is closed, its place kept)."""
        self.stepper.stop()
        self.lesson = None
        self.window.dock_layout.pin(None)
        if self.settings.value(st.KEY_LESSON_OPEN, ""):     # nothing written at launch (no file made)
            self.settings.setValue(st.KEY_LESSON_OPEN, "")
        self.panel.show_list([(l.id, l.title, l.summary, self.progress_text(l)) for l in self.lessons])

    def find(self, lesson_id: str):
        """The lesson of the list called ``lesson_id``, or None."""
        return next((l for l in self.lessons if l.id == lesson_id), None)

    def add(self, lesson) -> None:
        """Put ``lesson`` (opened from a file) in the list, in place of one with the same id."""
        old = self.find(lesson.id)
        if old is not None:
            self.lessons[self.lessons.index(old)] = lesson
        else:
            self.lessons.append(lesson)

    # ---- a lesson -------------------------------------------------------------------------------
    @Slot(str)
    def open(self, lesson_id: str, apply: bool = True) -> None:
        """Open lesson ``lesson_id`` at the step it was left at (its first if new or done)."""
        lesson = self.find(lesson_id)
        if lesson is None:
            raise ValueError(f"Unknown lesson {lesson_id!r}. The lessons are: "
                             + ", ".join(repr(l.id) for l in self.lessons))
        step, done = st.load_lesson_progress(self.settings, lesson.id)
        self.lesson = lesson
        self.settings.setValue(st.KEY_LESSON_OPEN, lesson.id)
        self.window.dock_layout.pin(DOCK)
        self.enter(0 if done else min(step, len(lesson.steps) - 1), apply)

    def enter(self, index: int, apply: bool = True) -> None:
        """Open step ``index`` of the open lesson; apply its setup (asking first if it replaces a trained run)."""
        self.stepper.stop()
        lesson = self.lesson
        self.index = index
        self.passed = False
        self.applied = False
        self._status = None
        st.save_lesson_progress(self.settings, lesson.id, index,
                                st.load_lesson_progress(self.settings, lesson.id)[1])
        step = lesson.steps[index]
        self.panel.show_step(lesson.title, index + 1, len(lesson.steps), step.title, step.text, step.task,
                             needs_setup=False)
        if step.task is not None:
            self._hint_timer.start()
        else:
            self._hint_timer.stop()
        if apply:
            self.apply_setup()
        else:
            self.applied = step.setup == Setup()
            self.panel.setup_button.setVisible(not self.applied)
        self.evaluate()
        self.step_shown.emit(index)

    @property
    def step(self):
        """The open step, or None."""
        return self.lesson.steps[self.index] if self.lesson is not None else None

    @Slot()
    def back(self) -> None:
        if self.lesson is not None and self.index > 0:
            self.enter(self.index - 1)

    @Slot()
    def next(self) -> None:
        """The next step; on the last one, the lesson is done and the list is shown."""
        if self.lesson is None:
            return
        if self.index + 1 < len(self.lesson.steps):
            self.enter(self.index + 1)
        else:
            st.save_lesson_progress(self.settings, self.lesson.id, self.index, True)
            self.show_list()

    @Slot()
    def restart(self) -> None:
        """The open lesson from its first step, not done."""
        if self.lesson is not None:
            st.save_lesson_progress(self.settings, self.lesson.id, 0, False)
            self.enter(0)

    # ---- setups and demos -----------------------------------------------------------------------
    def _trained(self) -> bool:
        snap = self.window.session.latest
        return snap is not None and snap.step > 0

    def _what(self, preset) -> str:
        return f"This step starts the run “{PRESETS[preset].title}”." if preset else "This step starts a new run."

    @Slot()
    def apply_setup(self) -> None:
        """Set the window up for the open step (asking first if that replaces a run that has trained)."""
        step = self.step
        if step is None:
            return
        setup = step.setup

        def go() -> None:
            self.applied = True
            self.panel.setup_button.hide()
            self.stepper.setup(setup)
            self.passed = False      # judged again on the set-up window (a new run's facts, not the old run's)
            self.evaluate()

        self._ask_then(setup.starts_run, self._what(setup.preset), go)

    @Slot()
    def show_me(self) -> None:
        """Play the open task's demo (asking first if it replaces a run that has trained)."""
        step = self.step
        if step is None or step.task is None:
            return
        demo = step.task.demo
        preset = next((v for k, v in demo.actions if k == "preset"), None)

        def go() -> None:
            self.panel.show_me_button.setEnabled(False)
            self.panel.show_me_button.setText("Showing…")
            self.stepper.demo(demo)

        self._ask_then(demo.starts_run, self._what(preset), go)

    @Slot()
    def _demo_finished(self) -> None:
        self.panel.show_me_button.setEnabled(True)
        self.panel.show_me_button.setText("Show me")
        self.evaluate()

    def _ask_then(self, replaces: bool, what: str, go) -> None:
        if self.box is not None:
            return
        if not replaces or not self._trained():
            go()
            return

        def answered(answer: str) -> None:
            self.box = None
            if answer == DISCARD:
                go()
            elif answer == SAVE:
                self._save_then(go)
            else:
                self._not_applied()

        self.box = ask_replace(self.window, what, answered)

    def _save_then(self, go) -> None:
        """Save the run (the app's Save run…), then ``go`` once it is written; nothing if it is not."""
        timeline = self.window.timeline

        def finish(ok: bool) -> None:
            for signal, slot in ((timeline.saved, saved), (timeline.failed, failed)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
            if ok:
                go()
            else:
                self._not_applied()

        def saved(_path) -> None:
            finish(True)

        def failed(_text) -> None:
            finish(False)

        timeline.saved.connect(saved)
        timeline.failed.connect(failed)
        if not self.window.run_files.save():     # the file dialog was cancelled
            finish(False)

    def _not_applied(self) -> None:
        self.panel.setup_button.setVisible(not self.applied)
        self.window.statusBar().showMessage("Your run is kept as it was; the step is not set up "
                                            "(“Set up this step” does it).", STATUS_MS)

    # ---- the check ------------------------------------------------------------------------------
    @Slot()
    def evaluate(self, *_args) -> None:
        """Check the open task against the window's facts now; the status line follows."""
        step = self.step
        if step is None or step.task is None:
            return
        task = step.task
        if not self.passed:
            facts = self.facts.facts()
            self.passed = task.passed(facts)
            if not self.passed:
                now = ", ".join(f"{FACT_WORDS.get(name, name)} {_value(getattr(facts, name))}"
                                for name in task.check.names)
                status = (False, f"Not done yet. Now: {now}." if now else "Not done yet.")
            else:
                status = (True, task.done)
        else:
            status = (True, task.done)
        if status != self._status:
            self._status = status
            self.panel.set_status(*status)
            if status[0]:
                self._hint_timer.stop()
                self.panel.hint.hide()
                self.panel.not_yet_button.hide()
