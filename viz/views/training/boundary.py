"""The decision boundary: the network's P(class 1) over the input plane, the data on top.

``core`` computes everything (:mod:`core.analysis.boundary`: the plane, its extent, the
grid of predictions): the run's :class:`core.run.messages.RunData` brings the plane and the
samples on it, heavy snapshots a :class:`core.run.messages.BoundaryGrid`. This view draws the
grid as an image with fixed levels 0..1 and a diverging colormap, the 0.5 contour, and the
training (filled) and validation (hollow) points coloured by class. For 3D data the plane is
the data's first two principal components and a notice says so; for more than three input
features there is no plane and the view says that instead of drawing.

For a regression run the grid holds the network's output (the fitted value, not a probability): the
image is drawn on the same diverging map on levels ``±`` the largest ``|target|`` (0 white), the
points are coloured by their target on that map, and there is no 0.5 line; data on one input has no
plane, and the view says where the fitted curve is instead.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.boundary import contour_segments
from viz import style
from viz.views.common.heatmap import add_nan_backdrop
from viz.views.common.notice import message_label
from viz.views.common.view import View

NOTICE_3D = "3-D data on a plane: faded points lie off it and may sit in the other colour"
#: a 3-D point farther from the plane than this fraction of the data's extent on it is drawn faded
OFF_PLANE = 0.1
#: the plot's title for 3-D data (a projection), and otherwise
TITLE_3D, TITLE_2D = "Decision boundary on a plane (projection)", "Decision boundary"
#: a regression run's title, colour bar label and message for data on one input
TITLE_FIT = "Fitted value over the input plane"
FIT_LABEL = "output (fitted y)"
MESSAGE_1D = "Data on one input: the fitted curve over the data is in the Fit view."


def value_limit(*values) -> float:
    """The half-width of a regression run's colour levels: the largest finite ``|target|`` (1 if none)."""
    v = np.concatenate([np.asarray(a, np.float64).reshape(-1) for a in values if a is not None] or [np.zeros(0)])
    v = v[np.isfinite(v)]
    top = float(np.abs(v).max()) if len(v) else 0.0
    return top if top > 1e-6 else 1.0


def _finite_extent(extent) -> tuple:
    """``(x0, x1, y0, y1)`` made finite and non-degenerate; (-1, 1, -1, 1) if unusable."""
    try:
        x0, x1, y0, y1 = (float(v) for v in extent)
    except (TypeError, ValueError):
        return (-1.0, 1.0, -1.0, 1.0)
    if not all(np.isfinite([x0, x1, y0, y1])):
        return (-1.0, 1.0, -1.0, 1.0)
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 0.5, x1 + 0.5
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 0.5, y1 + 0.5
    return (x0, x1, y0, y1)


def off_plane(plane, x, xy) -> np.ndarray | None:
    """(n,) bool: which samples ``x`` (n, 3) lie farther from ``plane`` than ``OFF_PLANE`` × the extent
    of their projections ``xy`` (n, 2) on it (where the colours under them need not be their class)."""
    if plane is None or x is None or xy is None or len(x) == 0:
        return None
    x = np.asarray(x, np.float64)
    dist = np.linalg.norm(x - plane.lift(np.asarray(xy, np.float64)), axis=1)
    fin = np.asarray(xy)[np.isfinite(xy).all(axis=1)]
    extent = float(np.ptp(fin, axis=0).max()) if len(fin) else 1.0
    return dist > OFF_PLANE * extent


def _faded(look, faded: bool) -> tuple:
    """A point's ``(pen, brush)``, see-through when ``faded``."""
    if not faded:
        return look
    pen, brush = pg.mkPen(look[0]), pg.mkBrush(look[1])
    for thing in (pen, brush):
        c = thing.color()
        c.setAlpha(min(c.alpha(), 60))
        thing.setColor(c)
    return pen, brush


class BoundaryView(View):
    """Heat map of P(class 1) with the 0.5 contour and the data points.

    Public items (for the app and the tests): ``plot``, ``image``, ``contour``,
    ``colorbar``, ``train_points``, ``val_points``, ``legend``, ``notice`` (the 3D
    notice), ``message`` (shown instead of the plot when there is no 2D view).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._boundary = None      # the newest BoundaryGrid
        self._n_classes = 2
        self._limit = None         # a regression run's colour levels' half-width (None: classification)
        self._extent = None
        self._labels = None
        self._dirty = False
        self._bar_classes = 2      # the class count the colour bar is styled for
        self._build()

    # ---- construction -----------------------------------------------------------------------------
    def _build(self):
        self.notice = QtWidgets.QLabel(NOTICE_3D)
        self.notice.setStyleSheet(style.palette().notice_css)
        self.notice.setMinimumWidth(1)
        self.notice.setToolTip("The network sees all three coordinates; the colours are its answer on the plane "
                               "through the data's mean spanned by its two directions of largest variance "
                               "(principal components). Each point is drawn where it lands when flattened onto "
                               "that plane: a point above or below it can sit in the other class's colour "
                               "although the network classifies it correctly.")
        self.notice.setVisible(False)
        self.message = message_label()

        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        style.cache_axes(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.plot.setAspectLocked(True)
        style.title(self.plot, "Decision boundary")
        style.label(self.plot, "bottom", "x1")
        style.label(self.plot, "left", "x2")

        self._nan_backdrop = add_nan_backdrop(self.plot)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=style.diverging_colormap(),
                                        label="P(class 1)", interactive=False, colorMapMenu=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.colorbar.getAxis("left").setTextPen(pg.mkPen(style.palette().foreground))
        self.colorbar.getAxis("right").setTextPen(pg.mkPen(style.palette().foreground))

        # segments from core.analysis.boundary.contour_segments, in data coordinates
        self.contour = pg.PlotCurveItem(pen=style.contour_pen(), connect="pairs")
        self.contour.setZValue(5)
        self.plot.addItem(self.contour)

        self.train_points = pg.ScatterPlotItem(symbol=style.TRAIN_SYMBOL, size=style.POINT_SIZE, pxMode=True)
        self.val_points = pg.ScatterPlotItem(symbol=style.VAL_SYMBOL, size=style.POINT_SIZE, pxMode=True)
        self.train_points.setZValue(10)
        self.val_points.setZValue(11)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)

        self._legend_entries = self._legend_samples()
        self.legend = style.make_legend(self._legend_entries, len(self._legend_entries))
        self.graphics.addItem(self.legend, row=1, col=0)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(self.notice)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.message, 1)

    @staticmethod
    def _legend_samples():
        samples = []
        for i in range(2):
            pen, brush = style.point_pen_brush(i, validation=False)
            samples.append((pg.ScatterPlotItem(symbol=style.TRAIN_SYMBOL, size=9, pen=pen, brush=brush),
                            f"class {i}"))
        grey_pen, grey_brush = pg.mkPen(style.palette().foreground, width=0.6), pg.mkBrush(style.palette().muted)
        samples.append((pg.ScatterPlotItem(symbol=style.TRAIN_SYMBOL, size=9, pen=grey_pen, brush=grey_brush),
                        "training"))
        samples.append((pg.ScatterPlotItem(symbol=style.VAL_SYMBOL, size=9, pen=pg.mkPen(style.palette().muted, width=1.8),
                                           brush=pg.mkBrush(style.palette().background)), "validation"))
        samples.append((pg.PlotDataItem(pen=style.contour_legend_pen()), "P = 0.5"))
        return samples

    # ---- lifecycle (see viz.views.common.view) -----------------------------------------------------
    def clear(self) -> None:
        """Remove the grid, the points, the notice and any message."""
        self._boundary = None
        self._extent = None
        self._labels = None
        self._n_classes = 2
        self._limit = None
        self._dirty = False
        self.image.clear()
        self._clear_contour()
        self._nan_backdrop.setVisible(False)
        self.train_points.setData([], [])
        self.val_points.setData([], [])
        self.notice.setVisible(False)
        self._show_message(None)
        self._set_title()
        style.label(self.plot, "bottom", "x1")
        style.label(self.plot, "left", "x2")
        super().clear()

    def build(self, run) -> None:
        """Show ``run``'s samples on its plane (the grid comes with the snapshots).

        A run without a plane (more than three input features) gets a message saying there is
        no 2D view instead of the plot.
        """
        self._n_classes = run.n_classes
        if run.is_regression:
            self._limit = value_limit(run.y_train, run.y_val)
        self._style_colorbar()
        self._set_legend(regression=run.is_regression)
        if run.plane is None:
            dims = run.input_dim
            if run.is_regression and dims == 1:
                self._show_message(MESSAGE_1D)
            elif dims > 3:
                self._show_message(f"No 2D view for {dims}-dimensional inputs.\n"
                                   "The decision boundary view needs data with 2 or 3 input features.")
            else:
                self._show_message("No decision boundary to show for this data.")
            return
        self.notice.setVisible(run.input_dim == 3)
        self._set_title(projected=run.input_dim == 3)
        planar = run.input_dim == 3
        train, val = (run.y_train, run.y_val) if run.is_regression else (run.labels_train, run.labels_val)
        self._set_points(self.train_points, run.x_train_2d, train, validation=False,
                         off=off_plane(run.plane, run.x_train, run.x_train_2d) if planar else None)
        self._set_points(self.val_points, run.x_val_2d, val, validation=True,
                         off=off_plane(run.plane, run.x_val, run.x_val_2d) if planar else None)

    def add_snapshot(self, snap) -> None:
        """Keep the snapshot's boundary grid (if it has one) for the next :meth:`draw`.

        The grid of a run's first snapshot (``snap.run`` set) is drawn at once, with the points
        :meth:`build` just drew: a run's start is one whole picture even where no redraw comes
        (a window never shown, a dock behind a tab).
        """
        # the epoch is in the toolbar and status bar; a title that changed every epoch
        # would re-layout the plot on every snapshot
        if snap.boundary is not None:
            self._take_boundary(snap.boundary)   # marks dirty
            if snap.run is not None:
                self.draw()

    def draw(self) -> bool:
        """Draw the newest grid if it changed; returns whether it did."""
        if not self._dirty:
            return False
        self._dirty = False
        b = self._boundary
        if b is None or self.message.isVisibleTo(self):
            return True
        grid = np.asarray(b.grid, dtype=np.float32)
        if grid.ndim != 2 or grid.size == 0:
            return True
        multi = self._n_classes > 2
        lo, hi = (-self._limit, self._limit) if self._limit is not None else (0.0, float(self._n_classes - 1) if multi
                                                                                else 1.0)
        finite = np.isfinite(grid)
        # inf -> the nearest level, NaN stays NaN (transparent over a grey backdrop)
        img = np.ascontiguousarray(np.clip(grid, lo, hi), dtype=np.float32)
        self.image.setImage(img, levels=(lo, hi), autoLevels=False)
        self._nan_backdrop.setVisible(not finite.all())
        x0, x1, y0, y1 = self._extent
        rows, cols = grid.shape
        # grid samples sit on linspace(x0, x1, cols): pixel centres, so pad by half a pixel
        dx = (x1 - x0) / max(cols - 1, 1)
        dy = (y1 - y0) / max(rows - 1, 1)
        rect = QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
        self.image.setRect(rect)
        self._nan_backdrop.setRect(rect)
        if multi or self._limit is not None or rows < 2 or cols < 2 or np.isnan(grid).any():
            self._clear_contour()  # no honest 0.5 line through unknown (NaN) cells
        else:
            self._set_contour(img)
        # settle range and transform now, not during the paint (which would then paint twice)
        vb = self.plot.getViewBox()
        if any(vb.autoRangeEnabled()):
            vb.updateAutoRange()
        vb.updateMatrix()
        return True

    # ---- helpers -----------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Wrap the legend onto more rows when the dock is narrow."""
        super().resizeEvent(event)
        # once the layout has given the plot area its new width
        QtCore.QTimer.singleShot(0, self, self._fit_legend)

    def _fit_legend(self) -> None:
        self.legend = style.refit_legend(self.graphics, self.legend, self._legend_entries, row=1)

    def _set_legend(self, regression: bool) -> None:
        """The legend's entries: the classes and the 0.5 line, or for a regression run training and
        validation only (the colour bar gives the values)."""
        entries = self._legend_samples()
        if regression:
            entries = [e for e in entries if e[1] in ("training", "validation")]
        if [e[1] for e in entries] != [e[1] for e in self._legend_entries]:
            self._legend_entries = entries
            self._fit_legend()

    def _set_title(self, projected: bool = False) -> None:
        text = TITLE_3D if projected else TITLE_2D
        if self._limit is not None:
            text = TITLE_FIT
        if self.plot.titleLabel.text != text:
            style.title(self.plot, text)

    def _set_contour(self, img: np.ndarray) -> None:
        """The 0.5 contour, traced in core (vectorised marching squares)."""
        xy = contour_segments(img, 0.5, self._extent)
        if len(xy):
            self.contour.setData(xy[:, 0], xy[:, 1], connect="pairs")
        else:
            self._clear_contour()

    def _clear_contour(self) -> None:
        self.contour.setData([], [])

    @property
    def contour_xy(self):
        """The drawn contour's segment ends, shape (2m, 2), or None when none is drawn."""
        x, y = self.contour.getData()
        if x is None or len(x) == 0:
            return None
        return np.column_stack([x, y])

    def _take_boundary(self, boundary) -> None:
        """Keep ``boundary`` (a :class:`core.run.messages.BoundaryGrid`); range and axis names at once."""
        self._boundary = boundary
        extent = _finite_extent(boundary.extent)
        labels = tuple(boundary.labels or ("x1", "x2"))
        if extent != self._extent:
            self._extent = extent
            self.plot.setRange(xRange=extent[:2], yRange=extent[2:], padding=0.02)
        if len(labels) >= 2 and labels[:2] != self._labels:
            self._labels = labels[:2]   # relabelling repaints the axes: only when they change
            style.label(self.plot, "bottom", str(labels[0]))
            style.label(self.plot, "left", str(labels[1]))
        self._dirty = True

    def _style_colorbar(self) -> None:
        """P(class 1) on the diverging map for two classes; the predicted class's colour beyond."""
        n = self._n_classes
        key = ("regression", self._limit) if self._limit is not None else n
        if key == self._bar_classes:
            return
        self._bar_classes = key
        if self._limit is not None:
            self.colorbar.setColorMap(style.diverging_colormap())
            self.colorbar.setLevels(values=(-self._limit, self._limit))
            self.colorbar.getAxis("left").setLabel(FIT_LABEL, **style.palette().label_style)
        elif n > 2:
            self.colorbar.setColorMap(style.class_colormap(n))
            self.colorbar.setLevels(values=(0.0, float(n - 1)))
            self.colorbar.getAxis("left").setLabel("predicted class", **style.palette().label_style)
        else:
            self.colorbar.setColorMap(style.diverging_colormap())
            self.colorbar.setLevels(values=(0.0, 1.0))
            self.colorbar.getAxis("left").setLabel("P(class 1)", **style.palette().label_style)

    def _set_points(self, item, xy, labels, validation, off=None) -> None:
        """Points by class; where ``off`` (n,) bool is True (far from the plane shown) faded."""
        xy = np.zeros((0, 2), np.float32) if xy is None else np.asarray(xy, dtype=np.float32)
        if xy.ndim != 2 or xy.shape[1] < 2 or len(xy) == 0:
            item.setData([], [])
            return
        n = min(len(xy), len(labels)) if len(labels) else len(xy)
        xy = xy[:n]
        cls = labels[:n] if len(labels) else np.zeros(n, np.int64)
        far = np.zeros(n, bool) if off is None or len(off) < n else np.asarray(off[:n], bool)
        keep = np.isfinite(xy).all(axis=1)
        xy, cls, far = xy[keep], cls[keep], far[keep]
        if self._limit is not None:
            pens, brushes = self._value_looks(cls, far, validation)
            item.setData(x=xy[:, 0], y=xy[:, 1], pen=pens, brush=brushes)
            return
        looks = {(c, f): _faded(style.point_pen_brush(c, validation), f) for c in np.unique(cls) for f in (False, True)}
        pens = [looks[c, f][0] for c, f in zip(cls, far)]
        brushes = [looks[c, f][1] for c, f in zip(cls, far)]
        item.setData(x=xy[:, 0], y=xy[:, 1], pen=pens, brush=brushes)

    def _value_looks(self, values, far, validation) -> tuple[list, list]:
        """Pens and brushes of a regression run's points: filled (training) or outlined (validation)
        in their target's colour on the map of the image at full strength; faded where ``far``."""
        cmap = style.diverging_colormap(strength=1.0)
        t = np.clip((np.nan_to_num(np.asarray(values, np.float64)) / self._limit + 1.0) / 2.0, 0.0, 1.0)
        steps = np.rint(t * 32).astype(np.int64)
        looks = {}
        for k in np.unique(steps):
            c = cmap.map(float(k) / 32, mode="qcolor")
            look = ((pg.mkPen(c, width=style.scaled(1.8)), pg.mkBrush(style.with_alpha(style.palette().background, 200)))
                    if validation else (pg.mkPen(style.palette().foreground, width=style.scaled(0.6)), pg.mkBrush(c)))
            looks[k, False], looks[k, True] = look, _faded(look, True)
        return [looks[k, f][0] for k, f in zip(steps, far)], [looks[k, f][1] for k, f in zip(steps, far)]

    def _show_message(self, text) -> None:
        if text:
            self.message.setText(text)
        self.message.setVisible(bool(text))
        self.graphics.setVisible(not text)
        if text:
            self.notice.setVisible(False)

    @property
    def grid_shape(self) -> tuple | None:
        """Shape of the image shown, or None."""
        img = self.image.image
        return None if img is None else tuple(img.shape)
