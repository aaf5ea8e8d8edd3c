"""Counting a widget's paints in GUI tests: which sizes it was painted at."""
from __future__ import annotations


class PaintSizes:
    """The sizes a widget was painted at, while installed (``with PaintSizes(widget) as sizes:``)."""

    def __init__(self, widget):
        from PySide6.QtCore import QEvent, QObject
        self.widget, self.sizes = widget, []
        sizes = self.sizes

        class Count(QObject):
            def eventFilter(self, obj, ev):
                if ev.type() == QEvent.Type.Paint:
                    sizes.append((obj.width(), obj.height()))
                return False
        self._filter = Count()

    def __enter__(self):
        self.widget.installEventFilter(self._filter)
        return self.sizes

    def __exit__(self, *exc):
        self.widget.removeEventFilter(self._filter)
