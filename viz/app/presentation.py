"""Presentation mode (F11) for lectures: the window full screen, its text and the plots' fonts,
markers and lines 1.5 times as large; F11 or Esc gives the window back as it was.

Three things grow: the application's font (every label, button and tab); the size the views read
from :mod:`viz.style` when they draw (:func:`viz.style.scale`: the pens, point sizes and fonts
there); and what the plots on screen already hold (tick and axis fonts, titles, legends, text,
markers, line widths), scaled in place and put back on leaving, unless a view changed it meanwhile.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence, QPen
from PySide6.QtWidgets import QApplication, QGraphicsTextItem

from viz import style

PRESENT_TIP = "Full screen with larger text, markers and lines, for a lecture (F11; Esc leaves)."


def _pen(pen, factor: float) -> QPen | None:
    """A copy of ``pen`` ``factor`` times as wide (a 0-width cosmetic pen counts as 1 px), or None."""
    if pen is None:
        return None
    pen = QPen(pen)
    if pen.style() == Qt.PenStyle.NoPen:
        return None
    pen.setWidthF(max(pen.widthF(), 1.0) * factor)
    return pen


class _Changes:
    """What was scaled, and how to put each back when nothing else changed it since."""

    def __init__(self):
        self._undo: list = []

    def set(self, getter, setter, new) -> None:
        old = getter()
        setter(new)
        now = getter()
        self._undo.append((getter, setter, old, now))

    def undo(self) -> None:
        for getter, setter, old, now in reversed(self._undo):
            try:
                current = getter()
                same = bool(np.all(current == now)) if isinstance(now, np.ndarray) else current == now
            except (RuntimeError, ValueError):      # an item deleted since
                continue
            if same:
                try:
                    setter(old)
                except RuntimeError:                     # its Qt part deleted since (a legend rebuilt)
                    pass
        self._undo.clear()


def _pt(size: str, factor: float) -> str:
    return f"{float(str(size).removesuffix('pt')) * factor:g}pt"


def scale_scene(view: pg.GraphicsView, factor: float, changes: _Changes) -> None:
    """Fonts, markers and line widths of the items in ``view``'s scene ``factor`` times as large."""
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            font = QFont(item.style.get("tickFont") or QFont())
            if font.pointSizeF() <= 0:
                font.setPointSizeF(style.TICK_FONT_PT)
            font.setPointSizeF(font.pointSizeF() * factor)
            changes.set(lambda i=item: i.style.get("tickFont"), item.setTickFont, font)
            if item.labelText and "font-size" in item.labelStyle:
                labels = dict(item.labelStyle, **{"font-size": _pt(item.labelStyle["font-size"], factor)})
                changes.set(lambda i=item: dict(i.labelStyle),
                            lambda v, i=item: i.setLabel(i.labelText, i.labelUnits, i.labelUnitPrefix, **v), labels)
        elif isinstance(item, pg.LabelItem) and item.opts.get("size"):
            text = getattr(item, "text", "")
            changes.set(lambda i=item: i.opts.get("size"),
                        lambda v, i=item, t=text: (i.setText(t, size=v), style.elide(i) if getattr(i, "_elides", False)
                                                   else None),
                        _pt(item.opts["size"], factor))
        elif isinstance(item, pg.TextItem):
            font = QFont(item.textItem.font())
            font.setPointSizeF((font.pointSizeF() if font.pointSizeF() > 0 else 9) * factor)
            changes.set(lambda i=item: QFont(i.textItem.font()), item.setFont, font)
        elif isinstance(item, pg.PlotDataItem):
            pen = _pen(item.opts.get("pen"), factor)
            if pen is not None:
                changes.set(lambda i=item: i.opts["pen"], item.setPen, pen)
            if item.opts.get("symbol") is not None:
                changes.set(lambda i=item: i.opts["symbolSize"], item.setSymbolSize, item.opts["symbolSize"] * factor)
        elif isinstance(item, pg.ScatterPlotItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
            sizes = np.asarray(item.data["size"], dtype=float)
            if len(sizes) and (sizes >= 0).any():
                full = np.where(sizes < 0, item.opts["size"], sizes)
                changes.set(lambda i=item: np.asarray(i.data["size"], dtype=float).copy(), item.setSize, full * factor)
            else:
                changes.set(lambda i=item: i.opts["size"], item.setSize, item.opts["size"] * factor)
        elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
            if style.kept_thin(item):
                continue
            pen = _pen(item.opts.get("pen"), factor)
            if pen is not None:
                changes.set(lambda i=item: i.opts["pen"], item.setPen, pen)
        elif isinstance(item, pg.InfiniteLine):
            pen = _pen(item.pen, factor)
            if pen is not None:
                changes.set(lambda i=item: i.pen, item.setPen, pen)
        elif type(item) is QGraphicsTextItem and item.parentItem() is None:
            font = QFont(item.font())
            font.setPointSizeF((font.pointSizeF() if font.pointSizeF() > 0 else 9) * factor)
            changes.set(lambda i=item: QFont(i.font()), item.setFont, font)


class Presentation(QObject):
    """Presentation mode of a main window.

    Parameters
    ----------
    window : QMainWindow
    factor : float
        How much larger text, markers and lines get (default :data:`viz.style.PRESENTATION_SCALE`).
    paint_hold : PaintHold or None
        Holds the plots' paints while the window goes full screen and back (every plot painted
        eleven times at five sizes, about a second); see :mod:`viz.app.layout.paint_hold`.

    Attributes
    ----------
    action : QAction
        "Presentation mode" (F11), checkable: for the View menu. Added to the window, so F11
        works wherever the keyboard is.
    leave_action : QAction
        Esc, enabled only while presenting.
    active : bool
    """

    def __init__(self, window, factor: float = style.PRESENTATION_SCALE, paint_hold=None):
        super().__init__(window)
        self.window = window
        self._hold = paint_hold
        self.factor = float(factor)
        self.active = False
        self._changes = _Changes()
        self._font: QFont | None = None
        self._state = Qt.WindowState.WindowNoState
        self.action = QAction("&Presentation mode", window)
        self.action.setObjectName("presentation_mode")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("F11"))
        self.action.setToolTip(PRESENT_TIP)
        self.action.setStatusTip(PRESENT_TIP)
        self.action.triggered.connect(self._on_action)
        self.leave_action = QAction("Leave presentation mode", window)
        self.leave_action.setShortcut(QKeySequence("Esc"))
        self.leave_action.setEnabled(False)
        self.leave_action.triggered.connect(self.leave)
        window.addAction(self.action)
        window.addAction(self.leave_action)

    @Slot(bool)
    def _on_action(self, checked: bool) -> None:
        if checked != self.active:
            self.toggle()

    @Slot()
    def toggle(self) -> None:
        """Enter presentation mode, or leave it."""
        if self.active:
            self.leave()
        else:
            self.enter()

    @Slot()
    def enter(self) -> None:
        """Full screen, with text, markers and lines :attr:`factor` times as large."""
        if self.active:
            return
        self.active = True
        if self._hold is not None:
            self._hold.hold()
        style.set_scale(self.factor)
        for view in self.window.findChildren(pg.GraphicsView):   # before the app's font grows: an axis
            scale_scene(view, self.factor, self._changes)         # without a font of its own has that one
        app = QApplication.instance()
        self._font = QFont(app.font())
        big = QFont(self._font)
        if big.pointSizeF() > 0:
            big.setPointSizeF(big.pointSizeF() * self.factor)
        else:
            big.setPixelSize(round(big.pixelSize() * self.factor))
        app.setFont(big)
        self._state = self.window.windowState()
        self.window.showFullScreen()
        self._sync()

    @Slot()
    def leave(self) -> None:
        """Back to the window and sizes as they were."""
        if not self.active:
            return
        self.active = False
        if self._hold is not None:
            self._hold.hold()
        style.set_scale(1.0)
        self._changes.undo()
        if self._font is not None:
            QApplication.instance().setFont(self._font)
        self.window.setWindowState(self._state)
        if not self._state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            self.window.showNormal()
        self._sync()

    def _sync(self) -> None:
        self.action.setChecked(self.active)
        self.leave_action.setEnabled(self.active)
        for view in self.window.findChildren(pg.GraphicsView):
            view.update()
