"""The network diagram's legend: what a link's colour and width mean, and the unit pictures' colour scale.

Two rows, each a small drawn key and a line of words: the links (orange for a positive weight, blue
for a negative one, thicker for a larger ``|w|``) and the pictures' colour ramp (blue, white at 0,
orange) with the range each layer's pictures use (``tanh −1 … 1``, ``relu 0 … 2.3``, the output's
``P(class 1) 0 … 1``). For a network on one input the pictures are curves, and the second key is a
small curve in a box instead of the ramp (:meth:`NetworkLegend.set_curves`).
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from viz import style

KEY_SIZE = QtCore.QSize(64, 18)


class _LinkKey(QtWidgets.QWidget):
    """A thin and a thick orange link, and a thick blue one."""

    def __init__(self, colors, parent=None):
        super().__init__(parent)
        self.colors = colors                    # (negative, positive) QColors
        self.setFixedSize(KEY_SIZE)

    def paintEvent(self, _event):  # noqa: N802 - Qt override
        neg, pos = self.colors
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        h = self.height()
        for x0, color, width in ((2, pos, 1.0), (22, pos, 4.5), (42, neg, 4.5)):
            p.setPen(QtGui.QPen(color, width))
            p.drawLine(QtCore.QPointF(x0, h - 3), QtCore.QPointF(x0 + 16, 3))
        p.end()


class _RampKey(QtWidgets.QWidget):
    """The pictures' colour ramp, low to high, white in the middle."""

    def __init__(self, cmap, parent=None):
        super().__init__(parent)
        self.cmap = cmap
        self.setFixedSize(KEY_SIZE)

    def paintEvent(self, _event):  # noqa: N802 - Qt override
        p = QtGui.QPainter(self)
        rect = QtCore.QRectF(1, 3, self.width() - 2, self.height() - 6)
        grad = QtGui.QLinearGradient(rect.left(), 0, rect.right(), 0)
        for t in (0.0, 0.25, 0.5, 0.75, 1.0):
            grad.setColorAt(t, self.cmap.map(t, mode="qcolor"))
        p.fillRect(rect, grad)
        p.setPen(QtGui.QPen(QtGui.QColor(style.palette().muted), 1))
        p.drawRect(rect)
        p.end()


class _CurveKey(QtWidgets.QWidget):
    """A unit picture of a network on one input: a curve in a box over a dotted 0 line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(KEY_SIZE)

    def paintEvent(self, _event):  # noqa: N802 - Qt override
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = QtCore.QRectF(1, 2, self.height() * 1.6, self.height() - 4)
        p.setPen(QtGui.QPen(QtGui.QColor(style.palette().muted), 1, QtCore.Qt.PenStyle.DotLine))
        p.drawLine(QtCore.QPointF(rect.left(), rect.center().y()), QtCore.QPointF(rect.right(), rect.center().y()))
        p.setPen(QtGui.QPen(QtGui.QColor(style.palette().foreground), 1.5))
        path = QtGui.QPainterPath(QtCore.QPointF(rect.left(), rect.bottom() - 2))
        path.cubicTo(QtCore.QPointF(rect.center().x(), rect.bottom() - 2),
                     QtCore.QPointF(rect.center().x(), rect.top() + 2), QtCore.QPointF(rect.right(), rect.top() + 2))
        p.drawPath(path)
        p.setPen(QtGui.QPen(QtGui.QColor(style.palette().foreground), 1))
        p.drawRect(rect)
        p.end()


class NetworkLegend(QtWidgets.QWidget):
    """Keys and words for the links and the unit pictures.

    Parameters
    ----------
    cmap : pyqtgraph.ColorMap
        The pictures' (and the links') diverging colour map.
    colors : (QColor, QColor)
        The links' colours, negative then positive.

    Public: ``links_label``, ``scale_label`` (word-wrapped QLabels), ``set_scales(text)``.
    """

    def __init__(self, cmap, colors, parent=None):
        super().__init__(parent)
        self.link_key = _LinkKey(colors)
        self.ramp_key = _RampKey(cmap)
        self.curve_key = _CurveKey()
        self.curve_key.setVisible(False)
        neg, pos = (c.name() for c in colors)
        self.links_label = QtWidgets.QLabel(
            f"Links: <b style='color:{pos}'>orange</b> = positive weight, <b style='color:{neg}'>blue</b> "
            "= negative; thicker = larger size |w|.")
        self.scale_label = QtWidgets.QLabel()
        self.links_label.setToolTip("Each line is one weight from a unit on the left to a unit on the right. "
                                    "Its colour is the weight's sign, its width the weight's size compared "
                                    "with the largest weight of the same layer.")
        self.scale_label.setToolTip("Each square shows what that unit outputs at every point of the input "
                                    "plane (the same plane as the Boundary view), from blue (low) through "
                                    "white (0) to orange (high).")
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(4, 0, 4, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        for row, (key, label) in enumerate(((self.link_key, self.links_label), (self.ramp_key, self.scale_label))):
            label.setWordWrap(True)
            label.setStyleSheet(style.palette().readout_css)
            grid.addWidget(key, row, 0, QtCore.Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, row, 1)
        grid.addWidget(self.curve_key, 1, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        self._plane_tip = self.scale_label.toolTip()

    def set_curves(self, curves: bool) -> None:
        """Key the pictures as curves (a network on one input) or as colour maps over the plane."""
        self.curve_key.setVisible(curves)
        self.ramp_key.setVisible(not curves)
        self.scale_label.setToolTip("Each square shows what that unit outputs (up) for every input x (across); "
                                    "the dotted line is 0." if curves else self._plane_tip)

    def set_scales(self, text: str) -> None:
        """The words beside the colour ramp: what the pictures show and each layer's range."""
        self.scale_label.setText(text)
