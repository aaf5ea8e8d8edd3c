"""The timeline toolbar under the transport: scrub the kept epochs, go live, branch, set the budget.

Keys: ``[`` / ``]`` previous / next kept epoch, ``End`` back to the live run.

No control on the bar keeps the keyboard from the window's transport keys (Space, →, B, R, ...):
the slider and the buttons never take the focus, and the memory box hands it back to the window
once edited (Return, or a click elsewhere); while it is being edited, Space still plays.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QPushButton, QSlider, QSpinBox, QToolBar

from viz import style

#: budget choices are whole megabytes in this range
BUDGET_MB = (8, 8192)
MEMORY_TIP = ("Memory the kept epochs use, and the budget. Past the budget the timeline keeps every 2nd "
              "epoch, then every 4th, ... (the first and the newest always).")


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n < 10 * 2**20 else f"{n / 2**20:.0f} MB"


class _SpaceToWindow(QObject):
    """An event filter: Space typed into a number box is the window's Play / Pause, not a character
    (a number has no spaces; the box would otherwise take the key and blank itself)."""

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space:
            event.ignore()           # not overridden: the window's shortcut runs
            return True
        return False


class TimelineBar(QToolBar):
    """A toolbar driving a :class:`viz.run.timeline.TimelineController`."""

    def __init__(self, controller, parent=None):
        super().__init__("Timeline", parent)
        self.setObjectName("timeline_toolbar")
        self.controller = controller
        self._epochs: list[int] = []
        self.addWidget(QLabel(" Timeline "))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setMinimumWidth(220)
        self.slider.setToolTip("Drag to show an earlier epoch in every view (training pauses). "
                               "Every epoch is kept while the memory budget allows. Keys: [ and ].")
        self.slider.setEnabled(False)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # arrows stay the window's (step epoch)
        self.slider.valueChanged.connect(self._on_slider)
        self.addWidget(self.slider)
        self.position_label = QLabel()
        self.position_label.setObjectName("timeline_position")
        self.position_label.setStyleSheet("QLabel { font-family: monospace; padding: 0 6px; }")
        # fixed sizes: a label whose text changes with every epoch must not relayout the window each time
        style.fix_label_width(self.position_label, "epoch 00000 of 00000", extra=16)
        self.addWidget(self.position_label)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Follow the training run again: every view shows the newest weights, and "
                                     "training goes on if the timeline paused it (End).")
        self.live_button.clicked.connect(controller.go_live)
        self.live_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addWidget(self.live_button)
        self.branch_button = QPushButton("Continue from here")
        self.branch_button.setObjectName("continue_from_here")
        self.branch_button.setToolTip("Resume training from the epoch shown, as a new branch: "
                                      "the later epochs of this run are dropped.")
        self.branch_button.clicked.connect(self._on_branch)
        self.branch_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addWidget(self.branch_button)
        self.addSeparator()
        self.memory_label = QLabel()
        self.memory_label.setObjectName("timeline_memory")
        self.memory_label.setToolTip(MEMORY_TIP)
        style.fix_label_width(self.memory_label, " 0000.0 MB of ", extra=4)
        self.addWidget(self.memory_label)
        self.budget = QSpinBox()
        self.budget.setObjectName("timeline_budget")
        self.budget.setRange(*BUDGET_MB)
        self.budget.setSuffix(" MB")
        self.budget.setSingleStep(64)
        self.budget.setValue(max(BUDGET_MB[0], controller.timeline.budget // 2**20))
        self.budget.setToolTip("The timeline's memory budget. Lowering it thins the kept epochs at once.")
        self.budget.valueChanged.connect(self._on_budget)
        self.budget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.budget.editingFinished.connect(self._return_focus)
        self._space_filter = _SpaceToWindow(self)
        self.budget.installEventFilter(self._space_filter)
        self.budget.lineEdit().installEventFilter(self._space_filter)
        self.addWidget(self.budget)
        self.prev_action = QAction("P&revious epoch", self)
        self.prev_action.setShortcut(QKeySequence("["))
        self.prev_action.triggered.connect(self.previous_epoch)
        self.next_action = QAction("&Next epoch", self)
        self.next_action.setShortcut(QKeySequence("]"))
        self.next_action.triggered.connect(self.next_epoch)
        self.live_action = QAction("Back to &live", self)
        self.live_action.setShortcut(QKeySequence("End"))
        self.live_action.triggered.connect(controller.go_live)
        for act in (self.prev_action, self.next_action, self.live_action):
            act.setStatusTip(act.text())   # the main window puts them in its Run menu
        controller.changed.connect(self.update_epochs)
        controller.position_changed.connect(self._on_position)
        self.update_epochs()

    # ---- from the controller ----------------------------------------------------------------------
    @Slot()
    def update_epochs(self) -> None:
        self._epochs = self.controller.epochs()
        n = len(self._epochs)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(n - 1, 0))
        if self.controller.position is None:
            self.slider.setValue(max(n - 1, 0))
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        tl = self.controller.timeline
        self.memory_label.setText(f" {_mb(tl.nbytes)} of ")
        stride = f" (every {tl.stride} epochs)" if tl.stride > 1 else ""
        self.memory_label.setToolTip(f"{n} epochs kept{stride}. {MEMORY_TIP}")
        self._on_position(self.controller.position)

    @Slot(object)
    def _on_position(self, epoch) -> None:
        last = self._epochs[-1] if self._epochs else 0
        if epoch is None:
            self.position_label.setText(f"epoch {last} (live)")
            self.slider.blockSignals(True)
            self.slider.setValue(self.slider.maximum())     # the handle follows the live run
            self.slider.blockSignals(False)
        else:
            self.position_label.setText(f"epoch {epoch} of {last}")
            if epoch in self._epochs:
                self.slider.blockSignals(True)
                self.slider.setValue(self._epochs.index(epoch))
                self.slider.blockSignals(False)
        self.live_button.setEnabled(epoch is not None)
        self.branch_button.setEnabled(epoch is not None and epoch != last)

    # ---- from the user ----------------------------------------------------------------------------
    @Slot(int)
    def _on_slider(self, index: int) -> None:
        if not self._epochs:
            return
        index = min(max(index, 0), len(self._epochs) - 1)
        if index == len(self._epochs) - 1 and self.controller.position is None:
            return
        self.controller.scrub(self._epochs[index])

    def step(self, delta: int) -> None:
        """Show the previous (-1) or next (+1) kept epoch."""
        if not self._epochs:
            return
        if self.controller.position is None:
            index = len(self._epochs) - 1
        else:
            index = self._epochs.index(self.controller.position) if self.controller.position in self._epochs \
                else len(self._epochs) - 1
        self.slider.setValue(min(max(index + delta, 0), len(self._epochs) - 1))

    @Slot()
    def previous_epoch(self) -> None:
        self.step(-1)

    @Slot()
    def next_epoch(self) -> None:
        self.step(1)

    @Slot()
    def _on_branch(self) -> None:
        if self.controller.position is not None:
            self.controller.continue_from(self.controller.position)

    @Slot()
    def _return_focus(self) -> None:
        """The memory box was edited: the keyboard goes back to the window (its transport keys)."""
        if self.budget.hasFocus():
            window = self.window()
            (window if window is not self else self.parentWidget() or self).setFocus(
                Qt.FocusReason.OtherFocusReason)

    @Slot(int)
    def _on_budget(self, mb: int) -> None:
        self.controller.timeline.budget = mb * 2**20
        self.update_epochs()
