"""The fitted surface: a network on two inputs bending a surface through the data.

The network's output over the input plane as a heat map on a fixed colour scale (the targets'
largest size, symmetric about 0: :func:`core.analysis.regression.value_levels`; the colours of
:mod:`viz.views.regression.value_colors`), with contour lines at round values
(:func:`core.analysis.regression.contour_levels`) and a labelled colour bar; the training points
coloured by their target on the same scale and ringed so they read on the map (a point the same
colour as the map under it is fitted), the validation points as squares. The grid is the
snapshot's :class:`core.run.messages.BoundaryGrid` (for a regression run it holds the output), or,
when a snapshot brings weights without one, computed here from them (a 64 × 64 grid is about a
millisecond). Where OpenGL works a "3D" button shows the same surface as a rotatable mesh with the
points above and below it (:mod:`viz.views.regression.surface_3d`); without it the view is 2-D.
For more than two inputs the plane is the data's principal plane, as for the decision boundary.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.boundary import contour_segments, grid_extent
from core.analysis.regression import contour_levels, surface_grid, value_levels
from viz import style
from viz.views.common.gl3d import Switch3D, opengl_available
from viz.views.common.heatmap import add_nan_backdrop
from viz.views.common.notice import message_label, notice_label
from viz.views.common.view import View
from viz.views.regression.surface_3d import FitSurface3D
from viz.views.regression.value_colors import surface_colormap

NOTICE_PLANE = "More than two inputs: the surface is on the plane of the data's two main directions"
NOT_A_SURFACE = ("The fitted surface is drawn for regression on two inputs (Controls: Task Regression and a "
                 "data set such as plane, bumps or saddle).")
IDLE_READOUT = "Hover the map for the network's output there; the colour of a point is its target."


class SurfaceFitView(View):
    """The network's output over the input plane, contour lines and the data coloured by target.

    Public items (for the app and the tests): ``plot``, ``image``, ``colorbar``, ``contours``,
    ``train_points``, ``val_points``, ``legend``, ``readout``, ``notice``, ``message`` (instead of
    the plot when the run has no surface), ``levels`` (the colour scale), ``contour_values``,
    ``extent`` and ``switch3d`` (the "3D" button and its view; None without OpenGL).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._boundary = None      # the newest BoundaryGrid
        self._weights = None       # the newest weights, when they came without a grid
        self._dirty = False
        self._model = None
        self.levels = (-1.0, 1.0)
        self.contour_values = np.zeros(0, np.float32)
        self.extent = None
        self.grid = None           # the output drawn, (r, r) float32
        self._build()

    # ---- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        pal = style.palette()
        self.notice = notice_label(NOTICE_PLANE)
        self.notice.setVisible(False)
        self.message = message_label(NOT_A_SURFACE)
        self.readout = QtWidgets.QLabel()
        self.readout.setStyleSheet(pal.readout_css)
        self.readout.setMinimumWidth(1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        style.cache_axes(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.plot.setAspectLocked(True)
        self.plot.setMenuEnabled(False)
        style.label(self.plot, "bottom", "x1")
        style.label(self.plot, "left", "x2")

        self._nan_backdrop = add_nan_backdrop(self.plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=self.levels, colorMap=surface_colormap(), label="output y",
                                        interactive=False, colorMapMenu=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        for side in ("left", "right"):
            self.colorbar.getAxis(side).setTextPen(pg.mkPen(pal.foreground))
        self.colorbar.getAxis("left").setLabel("output y (colour)", **pal.label_style)
        self.contours = pg.PlotCurveItem(pen=self._contour_pen(), connect="pairs")
        self.contours.setZValue(-5)
        self.plot.addItem(self.contours, ignoreBounds=True)
        self.train_points = pg.ScatterPlotItem(symbol=style.TRAIN_SYMBOL, size=style.point_size() + 1, pxMode=True)
        self.val_points = pg.ScatterPlotItem(symbol=style.VAL_SYMBOL, size=style.point_size(), pxMode=True)
        self.train_points.setZValue(10)
        self.val_points.setZValue(11)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)

        ring = pg.mkPen(pal.foreground, width=0.9)
        mid = surface_colormap().map(0.8, mode="qcolor")
        self._legend_entries = [
            (pg.ScatterPlotItem(symbol=style.TRAIN_SYMBOL, size=9, pen=ring, brush=pg.mkBrush(mid)),
             "training"),
            (pg.ScatterPlotItem(symbol=style.VAL_SYMBOL, size=9, pen=pg.mkPen(pal.foreground, width=1.6),
                                brush=pg.mkBrush(mid)), "validation"),
            (pg.PlotDataItem(pen=pg.mkPen(style.palette().muted, width=1)), "contour"),
        ]
        self.legend = style.make_legend(self._legend_entries, len(self._legend_entries))
        self.graphics.addItem(self.legend, row=1, col=0)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)

        self.switch3d = None
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.readout, 1)
        if opengl_available():
            self.switch3d = Switch3D(self, self.graphics, FitSurface3D,
                                     "Show the fitted surface as a rotatable 3D mesh, with the data points "
                                     "at their targets' heights.", on_shown=self._feed_3d)
            row.addWidget(self.switch3d.button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(self.notice)
        lay.addWidget(self.graphics, 1)
        lay.addLayout(row)
        lay.addWidget(self.message, 1)
        self._set_readout(IDLE_READOUT)

    # ---- lifecycle (see viz.views.common.view) -----------------------------------------------------
    def clear(self) -> None:
        """Forget the run: no map, no points."""
        self._boundary = self._weights = self._model = None
        self._dirty = False
        self.extent = self.grid = None
        self.image.clear()
        self.contours.setData([], [])
        self._nan_backdrop.setVisible(False)
        self.train_points.setData([], [])
        self.val_points.setData([], [])
        self.notice.setVisible(False)
        self._show_message(None)
        self._set_readout(IDLE_READOUT)
        if self.switch3d is not None:
            self.switch3d.clear()
        super().clear()

    def build(self, run) -> None:
        """The run's points on its plane, the colour scale from its targets, a copy of its network."""
        if self.switch3d is not None:
            self.switch3d.set_run(run)
        if not run.is_regression or run.plane is None:
            self._show_message(NOT_A_SURFACE if not run.is_regression or run.input_dim < 2 else
                               f"No surface to show for {run.input_dim} inputs.")
            return
        self._show_message(None)
        self._model = run.model()
        self.notice.setVisible(run.input_dim > 2)
        labels = tuple(run.plane.labels)
        style.label(self.plot, "bottom", str(labels[0]))
        style.label(self.plot, "left", str(labels[1]))
        self.levels = value_levels(run.y_train, run.y_val, symmetric=True)
        self.contour_values = contour_levels(*self.levels)
        self.colorbar.setLevels(values=self.levels)
        xy = [a for a in (run.x_train_2d, run.x_val_2d) if a is not None and len(a)]
        self.extent = grid_extent(np.concatenate(xy)) if xy else (-1.0, 1.0, -1.0, 1.0)
        self.plot.setRange(xRange=self.extent[:2], yRange=self.extent[2:], padding=0.02)
        self._set_points(self.train_points, run.x_train_2d, run.y_train, validation=False)
        self._set_points(self.val_points, run.x_val_2d, run.y_val, validation=True)

    def add_snapshot(self, snap) -> None:
        """Keep the snapshot's grid (or, without one, its weights) for the next draw."""
        if snap.boundary is not None:
            self._boundary, self._weights = snap.boundary, None
            self._dirty = True
        elif snap.weights:
            self._weights = snap.weights
            self._dirty = True
        if self.switch3d is not None:
            self.switch3d.add_snapshot(snap)

    def draw(self) -> bool:
        """Draw the newest surface; whether anything was drawn."""
        drew = self._draw_map()
        if self.switch3d is not None and self.switch3d.active and drew:
            self._feed_3d(self.switch3d.view)
        return drew

    def finish(self) -> None:
        """Build if due (the base) and complete the 3D view's work while it is shown."""
        super().finish()
        if self.switch3d is not None:
            self.switch3d.finish()

    # ---- drawing -----------------------------------------------------------------------------------
    def _draw_map(self) -> bool:
        if not self._dirty or self._model is None or self.run is None:
            return False
        self._dirty = False
        if self._weights is not None:
            try:
                self._model.set_weights(self._weights)
            except ValueError:           # weights of another network: nothing to draw
                return False
            grid = surface_grid(self._model, self.run.plane, self.extent, self.run.config.grid_resolution)
        else:
            grid = np.asarray(self._boundary.grid, np.float32)
            self.extent = tuple(float(e) for e in self._boundary.extent)
        if grid.ndim != 2 or grid.shape[0] < 2 or grid.shape[1] < 2:
            return False
        lo, hi = self.levels
        img = np.ascontiguousarray(np.clip(grid, lo, hi), dtype=np.float32)   # NaN stays: grey backdrop
        self.grid = np.ascontiguousarray(grid, dtype=np.float32)
        self.image.setImage(img, levels=self.levels, autoLevels=False)
        x0, x1, y0, y1 = self.extent
        rows, cols = grid.shape
        dx, dy = (x1 - x0) / (cols - 1), (y1 - y0) / (rows - 1)
        rect = QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)
        self.image.setRect(rect)
        self._nan_backdrop.setRect(rect)
        self._nan_backdrop.setVisible(bool(np.isnan(grid).any()))
        segs = [contour_segments(img, float(v), self.extent) for v in self.contour_values]
        xy = np.concatenate(segs) if segs else np.zeros((0, 2), np.float32)
        self.contours.setData(xy[:, 0], xy[:, 1], connect="pairs")
        return True

    def _feed_3d(self, view) -> None:
        if self.grid is not None and self.run is not None:
            view.show_fit(self.grid, self.extent, self.levels, self.run)

    # ---- hover -------------------------------------------------------------------------------------
    def value_at(self, x: float, y: float):
        """The drawn output at the grid point nearest ``(x, y)`` (plane coordinates), or None outside."""
        if self.grid is None:
            return None
        x0, x1, y0, y1 = self.extent
        rows, cols = self.grid.shape
        j = int(round((x - x0) / (x1 - x0) * (cols - 1)))
        i = int(round((y - y0) / (y1 - y0) * (rows - 1)))
        if 0 <= i < rows and 0 <= j < cols:
            return float(self.grid[i, j])
        return None

    def _mouse_moved(self, pos) -> None:
        vb = self.plot.getViewBox()
        text = None
        if vb.sceneBoundingRect().contains(pos):
            p = vb.mapSceneToView(pos)
            v = self.value_at(p.x(), p.y())
            if v is not None:
                names = self.run.plane.labels if self.run is not None and self.run.plane is not None else ("x1", "x2")
                text = f"{names[0]} = {p.x():.2f}, {names[1]} = {p.y():.2f}: the network's output is {v:.3g}"
        self._set_readout(text or IDLE_READOUT)

    # ---- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _contour_pen():
        """Thin dark lines, as the decision boundary's contour but lighter (there are several)."""
        return pg.mkPen(style.with_alpha(style.CONTOUR_COLOR, 110), width=style.scaled(1))

    def _set_points(self, item, xy, y, validation: bool) -> None:
        """Points at ``xy`` (n, 2) coloured by their target ``y`` on the map's scale."""
        if xy is None or len(xy) == 0:
            item.setData([], [])
            return
        xy = np.asarray(xy, np.float32)
        y = np.asarray(y, np.float32).reshape(-1)
        n = min(len(xy), len(y))
        xy, y = xy[:n], y[:n]
        keep = np.isfinite(xy).all(axis=1) & np.isfinite(y)
        xy, y = xy[keep], y[keep]
        lo, hi = self.levels
        brushes = style.level_brushes(surface_colormap(), (y - lo) / (hi - lo))
        pen = pg.mkPen(style.palette().foreground, width=style.scaled(1.6 if validation else 0.9))
        item.setData(x=xy[:, 0], y=xy[:, 1], pen=pen, brush=brushes)

    def _set_readout(self, text: str) -> None:
        width = max(self.readout.contentsRect().width() - 10, 40)
        shown = self.readout.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideRight, width)
        self.readout.setText(shown)
        self.readout.setToolTip(text if shown != text else "")

    def _show_message(self, text) -> None:
        if text:
            self.message.setText(text)
        self.message.setVisible(bool(text))
        self.graphics.setVisible(not text)
        self.readout.setVisible(not text)
        if self.switch3d is not None:
            self.switch3d.button.setVisible(not text)
        if text:
            self.notice.setVisible(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Wrap the legend onto more rows when the dock is narrow."""
        super().resizeEvent(event)
        QtCore.QTimer.singleShot(0, self, self._fit_legend)

    def _fit_legend(self) -> None:
        self.legend = style.refit_legend(self.graphics, self.legend, self._legend_entries, row=1)
        self._set_readout(self.readout.toolTip() or self.readout.text())
