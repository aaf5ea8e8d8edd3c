"""Colouring a regression run's points by their target value (issue 20), and the bar that says so.

A regression run has no classes: the uncrumpling views colour each point by its target ``y`` on one
continuous map, the app's diverging map at full strength (class 0's blue for the lowest targets,
white at 0, class 1's orange for the highest), on levels symmetric about 0 (``±`` the largest
``|y|``) so that 0 is always white, as the Network view's unit pictures and the boundary's map are.
:class:`TargetBar` is the legend: ``target y  −1.5 ▭ 1.5``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from viz import style

#: the caption of every legend of target colours
TARGET_CAPTION = "target y"
MINUS = "\u2212"


def target_limit(values) -> float:
    """The colour levels' half-width for targets ``values``: their largest finite ``|y|`` (1 if none)."""
    v = np.asarray(values, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    top = float(np.abs(v).max()) if len(v) else 0.0
    return top if top > 1e-6 else 1.0


def target_colormap() -> pg.ColorMap:
    """The map of target values: the diverging map with the class colours at full strength."""
    return style.diverging_colormap(strength=1.0)


def target_rgba(values, limit: float, alpha: float = 1.0) -> np.ndarray:
    """(n, 4) float32 colours in 0..1 of target ``values`` on ``±limit`` (non-finite ones grey)."""
    v = np.asarray(values, np.float64).reshape(-1)
    t = np.clip((np.nan_to_num(v, nan=0.0) / max(float(limit), 1e-12) + 1.0) / 2.0, 0.0, 1.0)
    rgba = target_colormap().map(t, mode="float").astype(np.float32)
    rgba[:, 3] = alpha
    grey = QtGui.QColor(style.palette().muted)
    rgba[~np.isfinite(v)] = (grey.redF(), grey.greenF(), grey.blueF(), alpha)
    return rgba


def target_brushes(values, limit: float) -> list:
    """One QBrush per target value on ``±limit`` (for a scatter's per-point brushes), in at most
    :data:`viz.style.BRUSH_LEVELS` + 1 shared colours (non-finite ones grey): see
    :func:`viz.style.level_brushes`."""
    v = np.asarray(values, np.float64).reshape(-1)
    return style.level_brushes(target_colormap(), (v / max(float(limit), 1e-12) + 1.0) / 2.0)


def value_text(v: float) -> str:
    """A colour bar's end value, with a true minus sign."""
    s = f"{float(v) + 0.0:.2g}"
    return s.replace("-", MINUS)


class TargetBar(QtWidgets.QWidget):
    """A one-line legend: ``target y``, the lowest value, the colour ramp, the highest value.

    :meth:`set_limit` sets the ends (``±limit``); the bar repaints only when they change.
    """

    def __init__(self, parent=None, caption: str = TARGET_CAPTION):
        super().__init__(parent)
        self.caption = caption
        self.limit = 1.0
        self.setToolTip("Each point's colour is its target value y (the number the network should "
                        "output for it): blue for low, white for 0, orange for high.")
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setFixedHeight(max(self.fontMetrics().height() + 6, 18))
        self.setMinimumWidth(1)

    def set_limit(self, limit: float) -> None:
        """Show the ramp from ``-limit`` to ``limit``."""
        limit = float(limit)
        if limit != self.limit:
            self.limit = limit
            self.update()

    def texts(self) -> tuple[str, str, str]:
        """``(caption, low, high)`` as drawn."""
        return self.caption, value_text(-self.limit), value_text(self.limit)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        fm = self.fontMetrics()
        return QtCore.QSize(fm.horizontalAdvance("  ".join(self.texts())) + 140, self.height())

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QtGui.QPainter(self)
        fm = self.fontMetrics()
        caption, low, high = self.texts()
        h = self.height()
        p.setPen(QtGui.QColor(style.palette().foreground))
        x = 4
        for text in (caption, low):
            p.drawText(QtCore.QRectF(x, 0, fm.horizontalAdvance(text) + 2, h),
                       QtCore.Qt.AlignmentFlag.AlignVCenter, text)
            x += fm.horizontalAdvance(text) + 8
        ramp_w = max(min(self.width() - x - fm.horizontalAdvance(high) - 12, 160), 20)
        grad = QtGui.QLinearGradient(x, 0, x + ramp_w, 0)
        cmap = target_colormap()
        for t in np.linspace(0.0, 1.0, 9):
            grad.setColorAt(float(t), cmap.map(float(t), mode="qcolor"))
        rect = QtCore.QRectF(x, h / 2 - 5, ramp_w, 10)
        p.fillRect(rect, QtGui.QBrush(grad))
        p.setPen(QtGui.QColor(style.palette().muted))
        p.drawRect(rect)
        p.setPen(QtGui.QColor(style.palette().foreground))
        p.drawText(QtCore.QRectF(x + ramp_w + 6, 0, fm.horizontalAdvance(high) + 4, h),
                   QtCore.Qt.AlignmentFlag.AlignVCenter, high)
        p.end()
