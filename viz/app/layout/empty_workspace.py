"""What the window shows where a workspace has no panel to show: why, and the one click that helps.

The Digits workspace during a 2-D run has nothing to show (its views need images): it offers the
chapter's MNIST run. A workspace whose panels the user closed offers to bring them back.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


#: how the Digits workspace's explanation names the run shown, by kind of run
RUN_WORDS = {"planar": "is a 2-D one", "curve": "fits a curve to numbers",
             "surface": "fits a surface to numbers"}


class EmptyWorkspace(QWidget):
    """The window's central widget: hidden (and sized 0) while docks fill the window.

    Signals
    -------
    preset_requested(str)
        The user asked for a preset (its name).
    reset_requested()
        The user asked for the workspace's panels back (View → Reset layout).
    """

    preset_requested = Signal(str)
    reset_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("central_placeholder")
        self.message = QLabel()
        self.message.setObjectName("empty_workspace_message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setFixedWidth(480)
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 4)
        self.button = QPushButton()
        self.button.setObjectName("empty_workspace_button")
        self.button.clicked.connect(self._clicked)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.message, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addSpacing(12)
        box.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        self._preset = ""
        self.show_for(None)

    def show_for(self, why: str | None, kind: str = "planar") -> None:
        """Hide (``why`` None), or explain: ``"images"`` (a workspace for image runs during a run of
        ``kind``, see :func:`viz.app.layout.docks.run_kind`) or ``"closed"`` (every panel of the
        workspace closed)."""
        if why is None:
            self.hide()
            self.setMaximumSize(0, 0)
            return
        if why == "images":
            now = RUN_WORDS.get(kind, RUN_WORDS["planar"])
            self.message.setText("The Digits workspace looks at a network that reads pictures: the handwritten "
                                 f"digits of chapter 2 (MNIST). The run now {now}, so there is nothing "
                                 "to show here yet.")
            self.button.setText("Start the chapter 2 MNIST run")
            self.button.setToolTip("Presets → Chapter 2: MNIST: 784 → 512 relu → 10 softmax, RMSprop, "
                                   "5 epochs of batch 128. The run now is replaced.")
            self._preset = "mnist"
        else:
            self.message.setText("Every panel of this workspace is closed.")
            self.button.setText("Bring them back (Reset layout)")
            self.button.setToolTip("View → Reset layout: this workspace's panels in their places again.")
            self._preset = ""
        self.setMaximumSize(16777215, 16777215)
        self.show()

    def _clicked(self) -> None:
        if self._preset:
            self.preset_requested.emit(self._preset)
        else:
            self.reset_requested.emit()
