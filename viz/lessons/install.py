"""The lessons in a window: the Lessons dock wired to a :class:`~viz.lessons.guide.Guide`, Help → Lessons,
File → Open lesson…, and the first launch's way in ("New here? Take the lessons" in the status bar).

The main window calls :func:`install` once, at the end of its construction::

    from viz.lessons.install import install as install_lessons
    self.lessons = install_lessons(self)
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtWidgets import QFileDialog, QToolButton

from core.lessons.errors import LessonError
from core.lessons.loading import bundled_lessons, load_lesson, lessons_dir
from viz.app import settings as st
from viz.app.actions import make_action, warning_box
from viz.app.layout import docks as registry
from viz.app.layout import workspaces as ws
from viz.lessons.guide import DOCK, Guide

LESSON_FILTER = "Lessons (*.toml);;All files (*)"


def allowed_names() -> dict:
    """The names a lesson may use for the window's parts: ``{"workspaces": ..., "views": ...}``."""
    return {"workspaces": tuple(w.name for w in ws.WORKSPACES), "views": tuple(s.name for s in registry.DOCKS)}


class Lessons(QObject):
    """The lessons of ``window``: what :func:`install` made.

    Attributes
    ----------
    guide : Guide
    panel : viz.lessons.panel.LessonsPanel
    dock : QDockWidget
    show_action : QAction
        Help → Lessons (Ctrl+L).
    open_action : QAction
        File → Open lesson….
    welcome_button : QToolButton
        "New here? Take the lessons", in the status bar until the lessons were opened once.
    problems : list of str
        Bundled lesson files that could not be read (each said once in a warning).
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dock = window.dock_layout.dock(DOCK)
        self.panel = window.lazy_docks.ensure(self.dock)
        lessons, self.problems = self._bundled()
        self.guide = Guide(window, self.panel, lessons, window.settings)
        self.show_action = make_action(window, "&Lessons", ("Ctrl+L",),
                                       "Chapter 2 as guided steps: each sets up the app and asks you to try something.",
                                       slot=self.show)
        self.open_action = make_action(window, "Open &lesson…", (), "Open a lesson file (.toml) someone wrote.",
                                       slot=self.open_file)
        self.panel.open_file_requested.connect(self.open_file)
        a = window.actions
        a.help_menu.insertAction(a.help_menu.actions()[0], self.show_action)
        a.file_menu.insertAction(a.file_runs, self.open_action)
        a.more.append(self.show_action)
        self.welcome_button = QToolButton()
        self.welcome_button.setObjectName("lessons_welcome_button")
        self.welcome_button.setText("New here? Take the lessons")
        self.welcome_button.setToolTip("Open the Lessons: chapter 2, step by step, in this app (Help → Lessons).")
        self.welcome_button.clicked.connect(self.show)
        window.statusBar().addPermanentWidget(self.welcome_button)
        self.welcome_button.setVisible(not st.read_bool(window.settings, st.KEY_LESSONS_WELCOMED, False))
        self.dock.installEventFilter(self)
        for problem in self.problems:
            warning_box(window, "A lesson could not be read", problem)
        remembered = window.settings.value(st.KEY_LESSON_OPEN, "")
        if isinstance(remembered, str) and self.guide.find(remembered) is not None:
            self.guide.open(remembered, apply=False)     # where the learner was; their run stays

    @staticmethod
    def _bundled() -> tuple[list, list]:
        try:
            return list(bundled_lessons(**allowed_names())), []
        except LessonError as exc:        # one bad file: the others still load
            good, bad = [], [str(exc)]
            for path in sorted(lessons_dir().glob("*.toml")):
                try:
                    good.append(load_lesson(path, **allowed_names()))
                except LessonError as err:
                    if str(err) not in bad:
                        bad.append(str(err))
            return good, bad

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        # (getattr: while the window is torn down the dock outlives this object's attributes)
        if obj is getattr(self, "dock", None) and event.type() == QEvent.Type.Close:
            self.window.dock_layout.pin(None)     # closed by the user: no longer in every workspace
        return False

    @Slot()
    def show(self) -> None:
        """Bring the Lessons panel to the front in the workspace shown."""
        layout = self.window.dock_layout
        layout.pin(DOCK)
        if self.guide.lesson is None:
            layout.pin(None)                      # shown here; in every workspace only with a lesson open
        self.dock.raise_()
        self.window.settings.setValue(st.KEY_LESSONS_WELCOMED, True)
        self.welcome_button.hide()

    @Slot()
    def open_file(self, path: str | None = None) -> bool:
        """File → Open lesson…: load a lesson file and open it; a bad file is refused with a message
        naming the problem, and everything stays as it was."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson", "", LESSON_FILTER)
        if not path:
            return False
        try:
            lesson = load_lesson(path, **allowed_names())
        except LessonError as exc:
            warning_box(self.window, "Cannot open the lesson", str(exc))
            return False
        self.guide.add(lesson)
        self.show()
        self.guide.open(lesson.id)
        return True


def install(window) -> Lessons:
    """Put the lessons in ``window`` (a :class:`viz.app.main_window.MainWindow`, fully built)."""
    return Lessons(window)
