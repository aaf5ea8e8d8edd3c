"""What a view says about itself in words: a notice strip (:func:`notice_label`), a centred message
in place of its plots (:func:`message_label`), and a notice that floats over the top of the view
instead of taking a row of its layout (:class:`OverlayNotice`).

Showing or hiding a label inside a layout resizes everything below it: the plots relayout
and repaint (~150 ms for the Distributions view's twelve plots, measured as a stall of
the GUI thread when the first epoch hid "No epochs yet"). An overlay changes nothing
else's geometry.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from viz import style

MARGIN = 6


def notice_label(text: str = "") -> QtWidgets.QLabel:
    """A word-wrapped yellow notice strip for a layout (hidden when empty)."""
    label = QtWidgets.QLabel(text)
    label.setStyleSheet(style.palette().notice_css)
    label.setWordWrap(True)
    label.setVisible(bool(text))
    return label


def message_label(text: str = "") -> QtWidgets.QLabel:
    """A centred, word-wrapped message shown in place of a view's plots (hidden until shown)."""
    label = QtWidgets.QLabel(text)
    label.setStyleSheet(style.palette().message_css)
    label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class OverlayNotice(QtWidgets.QLabel):
    """A word-wrapped notice pinned to the top of ``parent``, above its other children."""

    def __init__(self, parent: QtWidgets.QWidget, text: str = ""):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setStyleSheet(style.palette().notice_css)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        parent.installEventFilter(self)
        self.setVisible(bool(text))
        self._place()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._place()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt override
        super().setVisible(visible)
        if visible:
            self._place()
            self.raise_()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = max(parent.width() - 2 * MARGIN, 40)
        self.setGeometry(MARGIN, MARGIN, width, self.heightForWidth(width))

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self.parentWidget() and event.type() == QtCore.QEvent.Type.Resize:
            self._place()
        return False
