"""Pieces of the distributions view (:mod:`viz.views.weights.distributions`): quantile bands, a log axis, the check's table.

:class:`Bands` draws TensorBoard's distribution bands in one vectorised path per band;
:func:`stride` thins a long history to at most :data:`MAX_POINTS` epochs; :func:`layer_label`
names a layer in legends; :func:`fill_check_table` shows a gradient check's rows and
:func:`one_blas_thread` keeps its products off the trainer's core.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.weights.gradcheck import AGREE, DOUBT
from core.analysis.weights.stats import N_QUANTILES
from viz import style

#: epochs drawn per curve at most (an even stride over the history, the newest always kept)
MAX_POINTS = 200
#: fill alpha of the bands from the outer (min..max) to the inner (30.85..69.15 %) pair
BAND_ALPHA = (45, 80, 120, 170)


def one_blas_thread():
    """A context with BLAS on one thread, when threadpoolctl is installed.

    Measured here with the trainer's child busy on one of two cores: a 16x784 by 784x512
    float64 product took ~100 ms with OpenBLAS's two threads fighting for the free core
    and 0.5 ms on one thread. Without threadpoolctl this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def stride(n: int, limit: int = MAX_POINTS) -> slice | np.ndarray:
    """Indices of at most ``limit`` of ``n`` epochs, evenly spread, the last one always included."""
    if n <= limit:
        return slice(None)
    idx = np.linspace(0, n - 1, limit).astype(np.int64)
    return np.unique(idx)


def layer_label(i: int, n: int) -> str:
    """``"layer 1 (input side)"``, ``"layer 2"``, ..., ``"layer n (output)"``."""
    if i == 0:
        return "layer 1 (input side)"
    return f"layer {i + 1} (output)" if i == n - 1 else f"layer {i + 1}"


class SparseLogAxis(pg.AxisItem):
    """A log axis that labels only 1, 2 and 5 times a power of ten (pyqtgraph labels every minor tick)."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        out = []
        for v, text in zip(values, strings):
            mantissa = 10 ** (v - np.floor(v + 1e-9))
            out.append(text if np.isfinite(v) and min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-6 else "")
        return out


class Bands:
    """TensorBoard's distribution bands on a plot: 4 fills between symmetric quantiles and the median.

    Each band is one closed polygon (lower quantile forwards, upper backwards) built with
    ``pg.arrayToQPath`` in one vectorised call: ``FillBetweenItem`` walks its curves' paths
    point by point in Python and took ~200 ms a redraw for a few hundred epochs.
    """

    def __init__(self, plot: pg.PlotItem, color):
        # no antialiasing: smooth filled bands cost ~50 ms a paint, and bands need no smooth edges
        self.curves = [pg.PlotCurveItem(pen=pg.mkPen(None), antialias=False) for _ in range(N_QUANTILES)]
        mid = N_QUANTILES // 2
        self.curves[mid].setPen(pg.mkPen(color, width=1.5))
        self.fills = []
        for k in range(mid):
            fill = QtWidgets.QGraphicsPathItem()
            fill.setPen(pg.mkPen(None))
            fill.setBrush(pg.mkBrush(style.with_alpha(color, BAND_ALPHA[k])))
            plot.addItem(fill)
            self.fills.append(fill)
        # only the median is drawn: the other quantiles live in the bands' polygons (48 invisible
        # curves per view cost their paths at every paint); they keep the data for the tests and hover
        plot.addItem(self.curves[mid])

    def set_data(self, x, q) -> None:
        """``x`` (n,) epochs and ``q`` (n, 9) quantiles; epochs with a non-finite quantile are left out."""
        q = np.asarray(q, np.float32)
        keep = np.isfinite(q).all(axis=1) if len(q) else np.zeros(0, bool)
        x, q = np.asarray(x, np.float32)[keep], q[keep]
        for j, c in enumerate(self.curves):
            c.setData(x, np.ascontiguousarray(q[:, j]))
        for k, fill in enumerate(self.fills):
            if len(x) < 2:
                fill.setPath(QtGui.QPainterPath())
                continue
            px = np.concatenate([x, x[::-1]])
            py = np.concatenate([q[:, k], q[::-1, N_QUANTILES - 1 - k]])
            path = pg.arrayToQPath(px, py, connect="all")
            path.closeSubpath()
            fill.setPath(path)

    def data(self) -> np.ndarray:
        """The quantiles drawn now, shape (n, 9) (for tests)."""
        cols = [c.getData()[1] for c in self.curves]
        if cols[0] is None:
            return np.zeros((0, N_QUANTILES), np.float32)
        return np.stack(cols, axis=1)


def link_x_by_value(a: pg.PlotItem, b: pg.PlotItem):
    """Keep the x ranges of plots ``a`` and ``b`` equal, both ways; returns a function that unlinks them.

    pyqtgraph's ``setXLink`` lines linked plots up by screen position when they overlap on screen
    by a third or more: a plot twice as wide as its partner then shows twice the range (the norms
    below the bands in a narrow dock ran on to epoch 2,800 when the run was at 1,041).
    """
    busy = [False]
    links = []

    def follow(src, dst):
        def on_change(_view, x_range):
            if busy[0]:
                return
            busy[0] = True
            try:
                dst.setXRange(*x_range, padding=0)
            finally:
                busy[0] = False
        signal = src.getViewBox().sigXRangeChanged
        signal.connect(on_change)
        links.append((signal, on_change))
    follow(a, b)
    follow(b, a)

    def unlink():
        while links:
            signal, slot = links.pop()
            try:
                signal.disconnect(slot)
            except RuntimeError:      # the plot is already deleted, and its connections with it
                pass
    return unlink


def fill_check_table(table: QtWidgets.QTableWidget, result: dict) -> None:
    """One row per checked weight of a :func:`core.analysis.weights.gradcheck.gradient_check` result: kinks grey, disagreements flagged."""
    rows = result["rows"]
    table.setRowCount(len(rows))
    grey = QtGui.QColor("#8a8a8a")
    for r, row in enumerate(rows):
        err = row["rel_error"]
        tiny = max(abs(row["backprop"]), abs(row["numerical"])) < row.get("resolution", 0.0)
        note = "  (kink)" if row["kink"] else ("  (tiny)" if tiny else "")
        fd = row.get("fd_error")
        texts = [f"{row['layer'] + 1} ({row['name']})", row["label"], f"{row['backprop']:.6g}",
                 f"{row['numerical']:.6g}", f"{err:.1e}{note}"]
        bad = not row["kink"] and not err < AGREE
        back = QtGui.QColor("#f6c6c0" if not err < DOUBT else "#fbe7b5") if bad else None
        for c, text in enumerate(texts):
            item = QtWidgets.QTableWidgetItem(text)
            if c == 3 and fd is not None:   # in a tooltip: "± 2.2e-07" in the cell wrapped in a side pane
                item.setToolTip(f"{row['numerical']:.10g} ± {fd:.2g} (the difference's own error: "
                                "rounding, and truncation estimated from a step of 2ε)")
            if c >= 2:
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            if row["kink"]:
                item.setForeground(grey)
            if back is not None:
                item.setBackground(back)
                item.setForeground(QtGui.QColor(style.INK))   # dark text on the pale flag, any theme
            table.setItem(r, c, item)
