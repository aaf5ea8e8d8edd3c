"""One stage's plot: :class:`StagePanel` (the data by class and the input grid coloured by the
prediction; for a regression run the data by target value), its title (:func:`stage_title`,
:func:`fit_title`) and its range (:func:`bounds`).

Shared by the layers view, the stage player, the 3D view's 2D fallback and the layer lab.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui
from shiboken6 import isValid

from viz import style
from viz.views.uncrumple.target_colors import target_brushes, target_colormap, target_limit


def stage_title(stage, projection, note="") -> str:
    """Two-line HTML title: the stage, then the projection (and ``note``)."""
    return (f"<span style='font-size:10pt'>{stage.name}</span><br>"
            f"<span style='font-size:8pt; color:{style.palette().muted}'>{projection.title}{note}</span>")


def bounds(*arrays, pad=0.08):
    """``(x0, x1, y0, y1)`` around the finite rows of (n, 2) arrays (robust 1-99 % range)."""
    pts = np.concatenate([a[np.isfinite(a).all(axis=1)] for a in arrays if len(a)] or [np.zeros((1, 2))])
    if len(pts) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def marker_size(width: float, height: float) -> int:
    """A data point's size in pixels for a plot area of ``width`` × ``height`` px: 3 in a thumbnail,
    up to 8 in a large plot, so the points neither vanish nor hide each other."""
    return int(min(max(round(min(width, height) / 28.0), 3), 8))


def narrow_min(label) -> None:
    """Let a LabelItem be narrower than its text (it never forces the view wider than the dock)."""
    update_min = label.updateMin

    def small_min():
        update_min()
        label.setMinimumWidth(1)
    label.updateMin = small_min
    label.setMinimumWidth(1)


def fit_title(plot, full: str, short: str) -> None:
    """Set a one-line title showing ``full`` if it fits the panel, else ``short`` (elided if need be);
    ``titleLabel.text`` and the tooltip keep ``full``. Re-fitted whenever the panel is resized."""
    label = plot.titleLabel
    if getattr(label, "_fit", None) == (full, short):
        return
    if not hasattr(label, "_fit"):
        narrow_min(label)
        label.geometryChanged.connect(lambda: _fit_now(label))
    label._fit = (full, short)
    plot.setTitle(full, color=style.palette().foreground, size=style.TITLE_SIZE)
    _fit_now(label)


def _fit_now(label) -> None:
    if not isValid(label) or not isValid(label.item):   # a resize signal from a panel being deleted
        return
    full, short = getattr(label, "_fit", ("", ""))
    if not full or getattr(label, "_fitting", False):
        return
    font = label.item.font()
    font.setPointSizeF(float(style.TITLE_SIZE[:-2]))
    metrics, width = QtGui.QFontMetricsF(font), max(label.width() - 6, 12)
    shown = full if metrics.horizontalAdvance(full) <= width else \
        metrics.elidedText(short, QtCore.Qt.TextElideMode.ElideRight, width)
    label._fitting = True
    try:
        pg.LabelItem.setText(label, shown)
        label.text = full
        label.setToolTip(full)
    finally:
        label._fitting = False


class StagePanel:
    """One stage's plot: the deformed grid coloured by the network's prediction, the data by class.

    The grid's segments take the predicted class of their first point (tinted class
    colours: the decision regions, bent as the stage bends space; grey where there is
    no prediction); ``faint`` draws them lighter (deep layers, where the grid folds many
    times). 1-unit stages, whose grid collapses onto a line, show the grid
    points as faint dots instead (``regions``). :meth:`show_ghost` draws the stage before
    as grey dots and :meth:`show_shift` an arrow (what ``+ b`` moved). The points' size
    follows the plot's size (:func:`marker_size`).

    For a regression run :meth:`show` is given the targets (floats) instead of class labels: the
    points are coloured by their target on one continuous map (:mod:`viz.views.uncrumple.target_colors`,
    levels ``±`` the largest ``|y|``), the grid is grey (there is no predicted class) and 1-unit
    stages keep their grid as a line (the fitted curve) rather than dots.

    Drawing is cheap when little changes: :meth:`show` skips the points or the grid
    when their arrays equal the last ones drawn, items with nothing to draw are
    hidden (not painted), and :meth:`set_range`, :meth:`set_title`,
    :meth:`set_aspect_locked`, :meth:`show_values` touch the plot only on a change
    (a new range regenerates both axes' tick pictures; a new title or tick style
    re-lays out the panel).
    """

    MAX_DOTS = 800

    def __init__(self, plot: pg.PlotItem, n_classes: int = 2, faint: bool = False):
        self.plot = plot
        style.apply_plot_style(plot)
        plot.showGrid(x=False, y=False)
        plot.setAspectLocked(True)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setStyle(tickLength=-4)
            plot.getAxis(axis).enableAutoSIPrefix(False)   # no axis label to carry a prefix; saves a relabel per range
        self._faint = bool(faint)
        ghost = style.with_alpha(style.palette().muted, 70)
        self.ghost = pg.ScatterPlotItem(size=3, pen=pg.mkPen(ghost), brush=pg.mkBrush(ghost),
                                        pxMode=True)
        self.shift_line = pg.PlotCurveItem(pen=pg.mkPen(style.palette().foreground, width=2), antialias=True)
        self.shift_head = pg.ArrowItem(headLen=11, tipAngle=32, tailLen=0, pen=None,
                                       brush=pg.mkBrush(style.palette().foreground))
        for item in (self.ghost, self.shift_line, self.shift_head):
            item.setVisible(False)
            plot.addItem(item)
        self._dots = False
        self.image = None
        self._shown_grid = None     # (gxy, predicted, dots) last drawn
        self._shown_data = None     # (xy, labels) last drawn
        self._shown_regions = None  # (predicted, extent) last drawn
        self._shown_ghost = None    # the ghost's points last drawn
        self._size = 5              # the points' size in px
        self.lines, self.regions, self.points = [], [], []
        self.value_points = None    # a regression run's points, coloured by target (made when first needed)
        self._brushed = None        # the targets the value points' brushes were made for
        self._n_classes = int(n_classes)
        self._add_classes()
        self._range = None          # (x0, x1, y0, y1) last set
        self._aspect = True
        self._values = True
        # an aspect-locked view widens its range to a new shape and keeps the widened one: set ours again
        plot.getViewBox().sigResized.connect(self._resized)

    def _add_classes(self) -> None:
        """Per-class items (grid lines, points) up to ``n_classes``, added to those there are (a panel
        re-used for a run with fewer classes keeps the extra ones, hidden); the z order: lines, the
        other line, ghost, points, the shift's arrow (the grid dots, :meth:`_add_regions`, below)."""
        have, light = len(self.points), 0.62 if self._faint else 0.3
        if have >= self._n_classes:
            return
        new = range(have, self._n_classes)
        if not self.lines:
            self.lines = [pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.palette().muted,
                                                                         90 if self._faint else 140), width=1),
                                           antialias=False)]
            added = list(self.lines)
        else:
            added = []
        lines = [pg.PlotCurveItem(pen=pg.mkPen(style.tint(style.class_color(c), light), width=1), antialias=False)
                 for c in new]
        points = []
        for c in new:
            pen, brush = style.point_pen_brush(c, validation=False)
            points.append(pg.ScatterPlotItem(size=self._size, pen=pen, brush=brush, pxMode=True))
        self.lines[-1:-1] = lines                 # the other line stays last
        self.points += points
        for z, item in enumerate(self.lines + [self.ghost] + self.points + [self.shift_line, self.shift_head]):
            item.setZValue(z)
        for item in added + lines + points:
            item.setVisible(False)
            self.plot.addItem(item)

    def _add_regions(self) -> None:
        """The grid's dots per class up to ``n_classes`` (for 1-unit stages only: made when first
        needed), under the lines."""
        for c in range(len(self.regions), self._n_classes):
            item = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(style.tint(style.class_color(c), 0.5)),
                                      pxMode=True)
            item.setZValue(-1)
            item.setVisible(False)
            self.plot.addItem(item)
            self.regions.append(item)

    def reset(self, n_classes: int) -> None:
        """Empty the panel for a new run with ``n_classes`` classes. The plot, its axes and items are
        kept; the items of classes it has not had yet are made by the next :meth:`show` (a view drawing
        one row of panels a step makes them a row at a time)."""
        self.clear()
        if self.image is not None:
            self.image.clear()
            self.image.setVisible(False)
            self._image_kind = None     # the next image sets its colours for this run
        self._n_classes = int(n_classes)
        self._range = None

    # ---- cheap, change-only setters ------------------------------------------------------------
    def set_range(self, rng, slack: float = 0.0) -> bool:
        """View ``(x0, x1, y0, y1)``, unless every edge is within ``slack`` × the shown span; whether it moved."""
        rng = tuple(float(v) for v in rng)
        if self._range is not None:
            old = np.asarray(self._range)
            span = np.repeat([old[1] - old[0], old[3] - old[2]], 2)
            if np.all(np.abs(np.asarray(rng) - old) <= slack * span):
                return False
        self._range = rng
        self.plot.setRange(xRange=rng[:2], yRange=rng[2:], padding=0)
        # pyqtgraph moves the items at the next paint, which then asks for a second paint; move them now
        self.plot.getViewBox().updateMatrix()
        return True

    def _resized(self, *_args) -> None:
        vb = self.plot.getViewBox()
        size = marker_size(vb.width(), vb.height())
        if size != self._size:
            self._size = size
            for item in self.points + ([self.value_points] if self.value_points is not None else []):
                item.setSize(size)
            self.ghost.setSize(max(size - 1, 2))
        if self._range is not None:
            x0, x1, y0, y1 = self._range
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def forget_range(self) -> None:
        """The next :meth:`set_range` applies whatever the slack."""
        self._range = None

    def set_title(self, text: str) -> None:
        if text != self.plot.titleLabel.text:
            style.title(self.plot, text)

    def set_aspect_locked(self, locked: bool) -> None:
        if bool(locked) != self._aspect:
            self._aspect = bool(locked)
            self.plot.setAspectLocked(self._aspect)
            self._range = None          # the shown range changes with the lock: set it again

    def show_values(self, on: bool) -> None:
        """Tick values on the left axis or not."""
        if bool(on) != self._values:
            self._values = bool(on)
            self.plot.getAxis("left").setStyle(showValues=self._values)

    # ---- drawing ---------------------------------------------------------------------------------
    def _image(self, kind: str) -> pg.ImageItem:
        """The image under the grid, shown, with the look of ``kind``: ``"classes"`` (the predicted
        class, class colours) or ``"values"`` (a fitted value, the target colours, lighter)."""
        if self.image is None:
            self.image = pg.ImageItem(axisOrder="row-major")
            self.image.setZValue(-10)
            self.plot.addItem(self.image)
            self._image_kind = None
        if kind != self._image_kind:
            self._image_kind = kind
            cmap = style.class_colormap(self._n_classes) if kind == "classes" else target_colormap()
            self.image.setLookupTable(cmap.getLookupTable(nPts=256))
            self.image.setOpacity(1.0 if kind == "classes" else 0.6)
            self._shown_regions = None
        self.image.setVisible(True)
        return self.image

    def _set_image(self, kind: str, values: np.ndarray, extent, levels) -> None:
        image = self._image(kind)
        extent = tuple(float(v) for v in extent)
        key = (extent, tuple(levels))
        if self._shown_regions is not None and self._shown_regions[1] == key \
                and np.array_equal(self._shown_regions[0], values):
            return
        self._shown_regions = (np.array(values, copy=True), key)
        res = int(round(np.sqrt(len(values))))
        img = np.ascontiguousarray(np.asarray(values).reshape(res, res), dtype=np.float32)
        image.setImage(img, levels=levels, autoLevels=False)
        x0, x1, y0, y1 = extent
        dx, dy = (x1 - x0) / max(res - 1, 1), (y1 - y0) / max(res - 1, 1)
        image.setRect(QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))

    def show_regions(self, predicted: np.ndarray, extent) -> None:
        """The predicted class over the input plane as an image (2D inputs' first panel)."""
        self._set_image("classes", predicted, extent, (0.0, float(self._n_classes - 1)))

    def show_surface(self, values: np.ndarray, extent, limit: float) -> None:
        """A regression run's fitted value over the input plane as a light image on the target colours
        (levels ``±limit``): 2-D inputs' first panel, under the points coloured by their target."""
        self._set_image("values", np.asarray(values, np.float32), extent, (-float(limit), float(limit)))

    def show(self, xy, labels, gxy, predicted, connect_idx, connect, dots=False) -> None:
        """Draw data ``xy`` (n, 2) by ``labels`` and the grid ``gxy`` (m, 2) by ``predicted``.

        ``connect_idx`` / ``connect``: the grid's polylines (``Grid.lines.ravel()`` and
        ``Grid.connect()``); ``dots``: draw the grid points as dots instead of lines.
        ``labels`` of a float dtype are a regression run's targets: the points are coloured by value
        and the grid is grey lines (``dots`` is ignored). Arrays equal to the last ones drawn are not
        drawn again.
        """
        labels = np.asarray(labels)
        if labels.dtype.kind == "f":
            self._show_values(xy, labels, gxy, connect_idx, connect)
            return
        if self.value_points is not None and self.value_points.isVisible():
            _scatter(self.value_points, np.zeros((0, 2)))
        self._add_classes()
        if not (self._shown_grid is not None and self._shown_grid[2] == dots
                and _same(self._shown_grid[0], gxy) and _same(self._shown_grid[1], predicted)):
            self._show_grid(gxy, predicted, connect_idx, connect, dots)
            self._shown_grid = (np.array(gxy, copy=True), np.array(predicted, copy=True), dots)
        if not (self._shown_data is not None and _same(self._shown_data[0], xy)
                and _same(self._shown_data[1], labels)):
            for c, item in enumerate(self.points):
                sel = xy[labels == c]
                _scatter(item, sel[np.isfinite(sel).all(axis=1)])
            self._shown_data = (np.array(xy, copy=True), np.array(labels, copy=True))

    def _show_values(self, xy, targets, gxy, connect_idx, connect) -> None:
        """A regression run's stage: the points by target value, the grid grey."""
        self._add_classes()
        if self.value_points is None:
            self.value_points = pg.ScatterPlotItem(size=self._size, pen=pg.mkPen(style.palette().foreground,
                                                                                  width=style.scaled(0.6)),
                                                   pxMode=True)
            self.value_points.setZValue(self.points[-1].zValue())
            self.value_points.setVisible(False)
            self.plot.addItem(self.value_points)
        none = np.full(len(gxy), -1, np.int64)
        if not (self._shown_grid is not None and not self._shown_grid[2]
                and _same(self._shown_grid[0], gxy) and _same(self._shown_grid[1], none)):
            self._show_grid(gxy, none, connect_idx, connect, False)
            self._shown_grid = (np.array(gxy, copy=True), none, False)
        for item in self.points:
            if item.isVisible():
                _scatter(item, np.zeros((0, 2)))
        if self._shown_data is not None and _same(self._shown_data[0], xy) and _same(self._shown_data[1], targets):
            return
        ok = np.isfinite(xy).all(axis=1)
        item = self.value_points
        if self._brushed is None or not _same(self._brushed, targets[ok]) or len(item.data) != int(ok.sum()):
            item.setData(pos=xy[ok], brush=target_brushes(targets[ok], target_limit(targets)))
            item.setVisible(bool(ok.any()))
            self._brushed = np.array(targets[ok], copy=True)
        else:
            _scatter(item, xy[ok])
        self._shown_data = (np.array(xy, copy=True), np.array(targets, copy=True))

    def _show_grid(self, gxy, predicted, connect_idx, connect, dots) -> None:
        lx = gxy[connect_idx]
        ok = np.isfinite(lx).all(axis=1)
        lx = np.ascontiguousarray(np.where(ok[:, None], lx, 0.0), dtype=np.float32)
        seg = connect & ok & np.roll(ok, -1) & (not dots)
        cls = predicted[connect_idx]
        n = len(self.lines) - 1
        for c, item in enumerate(self.lines):
            mask = seg & ((cls == c) if c < n else ((cls < 0) | (cls >= n)))
            if mask.any():
                item.setData(lx[:, 0], lx[:, 1], connect=mask)
                item.setVisible(True)
            elif item.isVisible():
                item.setData([], [])
                item.setVisible(False)
        if dots or self._dots:
            if dots:
                self._add_regions()
            step = max(1, len(gxy) // self.MAX_DOTS)
            for c, item in enumerate(self.regions):
                sel = gxy[::step][predicted[::step] == c] if dots else np.zeros((0, 2))
                _scatter(item, sel[np.isfinite(sel).all(axis=1)])
            self._dots = dots

    def show_ghost(self, xy) -> None:
        """The stage before as grey dots under the points (``None`` or empty: none)."""
        xy = np.zeros((0, 2), np.float32) if xy is None else np.asarray(xy, np.float32)
        if self._shown_ghost is not None and _same(self._shown_ghost, xy):
            return
        self._shown_ghost = np.array(xy, copy=True)
        _scatter(self.ghost, xy[np.isfinite(xy).all(axis=1)])

    def show_shift(self, start, end) -> None:
        """An arrow from ``start`` to ``end`` (data coordinates; ``None``: none), e.g. the shift ``+ b``
        gives every point. The head's angle assumes equal x and y scales, or a horizontal arrow."""
        if start is None or end is None or not (np.isfinite(start).all() and np.isfinite(end).all()):
            self.shift_line.setVisible(False)
            self.shift_head.setVisible(False)
            return
        (x0, y0), (x1, y1) = (float(v) for v in start[:2]), (float(v) for v in end[:2])
        self.shift_line.setData([x0, x1], [y0, y1])
        # pyqtgraph's arrow points left at angle 0 and turns clockwise on screen, where y points down
        self.shift_head.setStyle(angle=math.degrees(math.atan2(-(y1 - y0), x1 - x0)) + 180.0)
        self.shift_head.setPos(x1, y1)
        self.shift_line.setVisible(True)
        self.shift_head.setVisible(True)

    def clear(self) -> None:
        self.show_ghost(None)
        self.show_shift(None, None)
        self._shown_ghost = None
        for item in self.regions + self.points + ([self.value_points] if self.value_points is not None else []):
            _scatter(item, np.zeros((0, 2)))
        self._brushed = None
        for item in self.lines:
            item.setData([], [])
            item.setVisible(False)
        self._shown_grid = self._shown_data = self._shown_regions = None


def _same(a, b) -> bool:
    """``a`` and ``b`` hold the same values (NaN equal to NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _scatter(item: pg.ScatterPlotItem, pos: np.ndarray) -> None:
    """Set a scatter's points; an empty one is hidden, so it is never painted.

    As many points as before (the usual case: the same samples, moved) are moved in
    place: ``setData`` would restyle every point one by one (~0.5 ms per item), and
    every point of these items has the item's one symbol, size, pen and brush.
    """
    n = len(pos)
    if n and item.isVisible() and len(item.data) == n:
        item.data["x"], item.data["y"] = pos[:, 0], pos[:, 1]
        item.prepareGeometryChange()     # what setData does after adding points, less the restyling
        item.informViewBoundsChanged()
        item.bounds = [None, None]
        item.invalidate()
        item.sigPlotChanged.emit(item)
        return
    if n or item.isVisible():
        item.setData(pos=pos)
    item.setVisible(bool(n))
