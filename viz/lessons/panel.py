"""The Lessons panel: the list of lessons with their progress, and the open lesson's step.

Drawing only: the panel shows what :class:`viz.lessons.guide.Guide` tells it and emits what the
user clicks. It is narrow-friendly (280-360 px, the width of the Controls column): every text
wraps, the step's text scrolls when it is long.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QScrollArea, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget)

from core.lessons.text import inline_html, to_html
from viz import style
from viz.views.common.view import View

#: the role of a list item's data: the lesson's id
ID_ROLE = Qt.ItemDataRole.UserRole


def _label(text: str = "", name: str = "", rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    if name:
        label.setObjectName(name)
    return label


def _button(text: str, tip: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.setObjectName(name)
    return button


class LessonsPanel(View):
    """The Lessons dock's widget (a :class:`~viz.views.common.view.View` that draws no run).

    Public widgets: ``stack`` (``list_page``, ``step_page``), ``lesson_list``, ``welcome``,
    ``open_file_button``; on the step page ``lesson_title``, ``step_label``, ``step_text``,
    ``setup_button``, ``task_box`` (``ask``, ``status``, ``not_yet_button``, ``hint``,
    ``show_me_button``), ``back_button``, ``restart_button``, ``next_button``, ``list_button``.

    Signals
    -------
    lesson_chosen(str)
        A lesson of the list was clicked (its id).
    back_requested(), next_requested(), restart_requested(), show_me_requested(), setup_requested()
    list_requested()
        "All lessons": back to the list.
    open_file_requested()
    """

    lesson_chosen = Signal(str)
    back_requested = Signal()
    next_requested = Signal()
    restart_requested = Signal()
    show_me_requested = Signal()
    setup_requested = Signal()
    list_requested = Signal()
    open_file_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessons_panel")
        self.setMinimumWidth(240)
        self.stack = QStackedWidget()
        self.list_page = self._build_list()
        self.step_page = self._build_step()
        self.stack.addWidget(self.list_page)
        self.stack.addWidget(self.step_page)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.stack)

    # ---- the list -------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(8, 8, 8, 8)
        self.welcome = _label("Chapter 2, one idea at a time. Each lesson sets up the app, asks you to try "
                              "something, and notices when you have. Pick one to start; your place is kept.",
                              "lessons_welcome")
        self.lesson_list = QListWidget()
        self.lesson_list.setObjectName("lesson_list")
        self.lesson_list.setWordWrap(True)
        self.lesson_list.setSpacing(2)
        self.lesson_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lesson_list.setToolTip("Click a lesson to open it where you left it.")
        self.lesson_list.itemClicked.connect(self._choose)
        self.lesson_list.itemActivated.connect(self._choose)
        self.open_file_button = _button("Open a lesson file…", "Load a lesson someone wrote (a .toml file).",
                                        "open_lesson_file")
        self.open_file_button.clicked.connect(self.open_file_requested)
        box.addWidget(self.welcome)
        box.addWidget(self.lesson_list, 1)
        box.addWidget(self.open_file_button)
        return page

    def show_list(self, rows) -> None:
        """Show the list: ``rows`` of (id, title, summary, progress text)."""
        self.lesson_list.clear()
        for number, (lesson_id, title, summary, progress) in enumerate(rows, start=1):
            item = QListWidgetItem(f"{number}. {title}\n     {progress}")
            item.setData(ID_ROLE, lesson_id)
            item.setToolTip(summary)
            self.lesson_list.addItem(item)
        self.stack.setCurrentWidget(self.list_page)

    def progress_texts(self) -> dict:
        """The list's progress line by lesson id (what a learner reads under each title)."""
        out = {}
        for i in range(self.lesson_list.count()):
            item = self.lesson_list.item(i)
            out[item.data(ID_ROLE)] = item.text().split("\n", 1)[1].strip()
        return out

    # ---- a step ---------------------------------------------------------------------------------
    def _build_step(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(8, 6, 8, 8)
        box.setSpacing(6)
        self.list_button = _button("◀ All lessons", "Back to the list of lessons (your place in this one is kept).",
                                   "lessons_list_button")
        self.list_button.setFlat(True)
        self.list_button.clicked.connect(self.list_requested)
        top = QHBoxLayout()
        top.addWidget(self.list_button)
        top.addStretch(1)
        self.lesson_title = _label(name="lesson_title")
        font = self.lesson_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.lesson_title.setFont(font)
        self.step_label = _label(name="lesson_step")
        self.step_label.setStyleSheet(f"QLabel {{ color: {style.palette().muted}; }}")
        self.step_text = _label(name="lesson_text", rich=True)
        self.step_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setup_button = _button("Set up this step", "Show what this step is about: its run, workspace "
                                    "and view (asks first if that would replace your trained run).",
                                    "lesson_setup_button")
        self.setup_button.clicked.connect(self.setup_requested)
        text_holder = QWidget()
        text_box = QVBoxLayout(text_holder)
        text_box.setContentsMargins(0, 0, 4, 0)
        text_box.addWidget(self.step_text)
        text_box.addWidget(self.setup_button, 0, Qt.AlignmentFlag.AlignLeft)
        text_box.addWidget(self._build_task())
        text_box.addStretch(1)
        self.text_area = QScrollArea()
        self.text_area.setObjectName("lesson_text_area")
        self.text_area.setWidget(text_holder)
        self.text_area.setWidgetResizable(True)
        self.text_area.setFrameShape(QFrame.Shape.NoFrame)
        self.text_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.back_button = _button("Back", "The step before.", "lesson_back")
        self.restart_button = _button("Restart", "Start this lesson again from its first step.", "lesson_restart")
        self.next_button = _button("Next", "The next step.", "lesson_next")
        self.back_button.clicked.connect(self.back_requested)
        self.restart_button.clicked.connect(self.restart_requested)
        self.next_button.clicked.connect(self.next_requested)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.restart_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        box.addLayout(top)
        box.addWidget(self.lesson_title)
        box.addWidget(self.step_label)
        box.addWidget(self.text_area, 1)
        box.addLayout(nav)
        return page

    def _build_task(self) -> QFrame:
        self.task_box = QFrame()
        self.task_box.setObjectName("lesson_task")
        self.task_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.task_title = _label("Try it", "lesson_task_title")
        bold = self.task_title.font()
        bold.setBold(True)
        self.task_title.setFont(bold)
        self.ask = _label(name="lesson_ask", rich=True)
        self.status = _label(name="lesson_status", rich=True)
        self.hint = _label(name="lesson_hint", rich=True)
        self.hint.setStyleSheet(f"QLabel {{ color: {style.palette().muted}; }}")
        self.not_yet_button = _button("Not yet?", "A hint for this task.", "lesson_not_yet")
        self.not_yet_button.clicked.connect(self._not_yet)
        self.show_me_button = _button("Show me", "Let the app do this task for you, step by step.",
                                      "lesson_show_me")
        self.show_me_button.clicked.connect(self.show_me_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.not_yet_button)
        buttons.addWidget(self.show_me_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self.task_box)
        box.setContentsMargins(8, 6, 8, 8)
        for widget in (self.task_title, self.ask, self.status, self.hint):
            box.addWidget(widget)
        box.addLayout(buttons)
        return self.task_box

    def show_step(self, lesson_title: str, number: int, count: int, step_title: str, text: str,
                  task=None, needs_setup: bool = False) -> None:
        """Show step ``number`` (from 1) of ``count``; ``task`` a :class:`core.lessons.lesson.Task` or None."""
        self.lesson_title.setText(lesson_title)
        self.step_label.setText(f"Step {number} of {count}: {step_title}")
        self.step_text.setText(to_html(text))
        self.setup_button.setVisible(needs_setup)
        self.task_box.setVisible(task is not None)
        if task is not None:
            self.ask.setText(inline_html(task.ask))
            self.hint.setText(f"Hint: {inline_html(task.hint)}")
            self.show_hint(False)
            self.show_me_button.setEnabled(True)
        self.back_button.setEnabled(number > 1)
        last = number == count
        self.next_button.setText("Finish" if last else "Next")
        self.next_button.setToolTip("Mark this lesson done and go back to the list." if last else "The next step.")
        self.stack.setCurrentWidget(self.step_page)
        self.text_area.verticalScrollBar().setValue(0)

    @Slot(object)
    def _choose(self, item) -> None:
        self.lesson_chosen.emit(item.data(ID_ROLE))

    @Slot()
    def _not_yet(self) -> None:
        self.show_hint(True)

    def show_hint(self, shown: bool) -> None:
        """Show or hide the task's hint."""
        self.hint.setVisible(shown)
        self.not_yet_button.setVisible(not shown)

    def set_status(self, passed: bool, text: str) -> None:
        """The task's live status line: ``text`` (the ``done`` text once ``passed``)."""
        colour = "#2e7d32" if not style.palette().dark else "#81c784"
        self.status.setText(f"<b style='color:{colour}'>✓ {inline_html(text)}</b>" if passed
                            else f"<i>{html.escape(text, quote=False)}</i>")
