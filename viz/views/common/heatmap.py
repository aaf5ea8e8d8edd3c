"""Heat maps of a loss over a plane: an image with a colour bar, contour lines and a NaN backdrop.

Shared by the optimizer race (:mod:`viz.views.loss.race`) and the loss-surface view
(:mod:`viz.views.loss.landscape`). :func:`display_levels` prepares the values (optional
log scale, clipped levels for exploding regions); :class:`HeatMap` draws them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.boundary import contour_segments
from viz import style


def add_nan_backdrop(plot) -> QtWidgets.QGraphicsRectItem:
    """A hidden rectangle in ``plot``, behind its heat map, in the colour that marks non-finite values
    (the view sets its rectangle to the map's extent and shows it when the map has NaN or inf)."""
    backdrop = QtWidgets.QGraphicsRectItem()
    backdrop.setPen(pg.mkPen(None))
    backdrop.setBrush(pg.mkBrush(style.NAN_COLOR))
    backdrop.setZValue(-20)
    backdrop.setVisible(False)
    plot.addItem(backdrop, ignoreBounds=True)
    return backdrop


def surface_colormap() -> pg.ColorMap:
    """Light (low loss) to slate (high loss): coloured paths stay visible in the valleys."""
    return pg.ColorMap([0.0, 0.25, 0.55, 1.0], ["#fbfbf7", "#dbe4ec", "#9aadc4", "#4f5f7d"],
                       name="uncrumple-surface")


def display_levels(values, log=False, clip=98.0):
    """Values ready for an image: optional log scale, clipped levels for exploding regions.

    Parameters
    ----------
    values : ndarray of shape (rows, cols)
    log : bool
        ``log10(v)``; when some value is <= 0, ``log10(v - min + eps)`` instead.
    clip : float
        The upper level is this percentile of the finite values (the rest saturates).

    Returns
    -------
    img : ndarray float32, C-contiguous; NaN where ``values`` is NaN, +-inf clipped to the levels
    levels : (lo, hi), finite, lo < hi
    label_suffix : str
        How the values were transformed (``""``, ``"log10"``, ``"log10(· − min)"``).
    """
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    suffix = ""
    if log and finite.any():
        vmin = float(v[finite].min())
        with np.errstate(all="ignore"):
            if vmin > 0:
                v, suffix = np.log10(v), "log10"
            else:
                eps = max(1e-9, 1e-6 * float(np.ptp(v[finite])))
                v, suffix = np.log10(v - vmin + eps), "log10(· − min)"
        v[np.isposinf(values)] = np.inf
        finite = np.isfinite(v)
    if finite.any():
        lo = float(v[finite].min())
        hi = float(np.percentile(v[finite], clip))
    else:
        lo, hi = 0.0, 1.0
    if not hi > lo:
        hi = lo + 1.0
    img = np.where(np.isnan(v), np.nan, np.clip(v, lo, hi))
    return np.ascontiguousarray(img, dtype=np.float32), (lo, hi), suffix


class HeatMap:
    """An image with a colour bar, contour lines and a grey backdrop for NaN cells, in a PlotItem."""

    def __init__(self, plot: pg.PlotItem, label="loss", n_contours=12):
        self.plot, self.name, self.n_contours = plot, label, n_contours
        self.backdrop = QtWidgets.QGraphicsRectItem()
        self.backdrop.setPen(pg.mkPen(None))
        self.backdrop.setBrush(pg.mkBrush(style.NAN_COLOR))
        self.backdrop.setZValue(-20)
        self.backdrop.setVisible(False)
        plot.addItem(self.backdrop, ignoreBounds=True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=surface_colormap(), label=label,
                                        interactive=False, colorMapMenu=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=plot)
        for side in ("left", "right"):
            self.colorbar.getAxis(side).setTextPen(pg.mkPen(style.palette().foreground))
        self.contours = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.CONTOUR_COLOR, 90), width=1),
                                         connect="pairs")
        self.contours.setZValue(-5)
        plot.addItem(self.contours, ignoreBounds=True)
        self.levels = (0.0, 1.0)
        self.img = None
        self.extent = None

    def show(self, values, extent, log=False, clip=98.0) -> None:
        """Draw ``values`` (rows = y) over ``extent`` (x0, x1, y0, y1)."""
        img, levels, suffix = display_levels(values, log, clip)
        self.img, self.levels, self.extent = img, levels, tuple(float(e) for e in extent)
        self.image.setImage(img, levels=levels, autoLevels=False)
        self.colorbar.setLevels(values=levels)
        self.colorbar.getAxis("left").setLabel(f"{suffix} {self.name}".strip() if suffix != "log10(· − min)"
                                               else f"log10({self.name} − min)", **style.palette().label_style)
        x0, x1, y0, y1 = self.extent
        rows, cols = img.shape
        dx, dy = (x1 - x0) / max(cols - 1, 1), (y1 - y0) / max(rows - 1, 1)
        rect = QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
        self.image.setRect(rect)
        self.backdrop.setRect(rect)
        self.backdrop.setVisible(bool(np.isnan(img).any()))
        segs = [contour_segments(img, lv, self.extent)
                for lv in np.linspace(levels[0], levels[1], self.n_contours + 2)[1:-1]]
        xy = np.concatenate(segs) if segs else np.zeros((0, 2), np.float32)
        self.contours.setData(xy[:, 0], xy[:, 1], connect="pairs")

    def clear(self) -> None:
        self.image.clear()
        self.contours.setData([], [])
        self.backdrop.setVisible(False)
        self.img = self.extent = None

    def value_at(self, x, y):
        """The shown value nearest ``(x, y)`` in data coordinates, or None outside the grid."""
        if self.img is None:
            return None
        x0, x1, y0, y1 = self.extent
        rows, cols = self.img.shape
        j = int(round((x - x0) / (x1 - x0) * (cols - 1))) if x1 > x0 else 0
        i = int(round((y - y0) / (y1 - y0) * (rows - 1))) if y1 > y0 else 0
        if 0 <= i < rows and 0 <= j < cols:
            return i, j
        return None
