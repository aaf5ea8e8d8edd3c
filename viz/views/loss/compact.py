"""Push buttons only as wide as their text, so a control row of the Descend views fits one line.

A QPushButton asks for at least 80 px whatever its text ("Run", "CSV…"): seven of them made the
race's and the slice's control rows wrap onto a second line in their 560 px slots, taking the
height their plots needed. :func:`compact` caps each button's width at its widest text plus padding.
"""
from __future__ import annotations

from PySide6 import QtWidgets

PADDING = 22          # the button's frame and margins around its text, in pixels


def compact(row: QtWidgets.QWidget, texts: dict | None = None) -> QtWidgets.QWidget:
    """Cap every push button in ``row`` at the width of its text (or of the widest of
    ``texts[button]``, for a button whose text changes: "Run"/"Pause"); returns ``row``."""
    texts = texts or {}
    for button in row.findChildren(QtWidgets.QPushButton):
        shown = texts.get(button, (button.text(),))
        width = max(button.fontMetrics().horizontalAdvance(t) for t in shown) + PADDING
        button.setMinimumWidth(width)
        button.setMaximumWidth(width)
    return row
