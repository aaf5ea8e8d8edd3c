"""The loss surface in 3D (issue 5): the grid the 2D view computed as a surface, the path on it.

A ``GLSurfacePlotItem`` of the loss grid (``core.analysis.loss.landscape.Grid``: ``losses[i, j]``
at ``(a[j], b[i])``), coloured with the 2D heat map's colormap and clipped to the
same levels (:func:`viz.views.common.heatmap.display_levels`), lightly shaded so its shape
reads; the descent path is a ``GLLinePlotItem`` drawn just above the surface (the
height of the surface under each point, bilinearly interpolated, plus 2 % of the
z range) with markers for the epochs, the start and the current point.

Items hold the data's own coordinates; one transform per item scales the box
a × b × loss to a fixed shape, so a surface of any scale fills the view.
Without OpenGL the view draws the 2D heat map with the path and the notice
:data:`viz.views.common.gl3d.FALLBACK_NOTICE`. The loss-surface view's "3D" button
(:class:`viz.views.common.gl3d.Switch3D`) shows it in place of that view's plot.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

from viz import style
from viz.views.common import gl3d
from viz.views.common.heatmap import HeatMap, display_levels, surface_colormap
from viz.views.common.notice import notice_label
from viz.views.common.view import View

PATH_COLOR = "#D55E00"
#: the box a × b × loss is drawn as 2 × 2 × HEIGHT
HEIGHT = 1.1
LIFT = 0.02
START_ELEVATION, START_AZIMUTH = 30, -55


class Surface3DView(View):
    """The loss surface with its descent path, rotatable (OpenGL) or as a heat map (fallback).

    It draws what :class:`viz.views.loss.landscape.LandscapeView` gives it (the run's snapshots do
    not change it): of the view's lifecycle it only has :meth:`clear`.

    Public: ``gl``, ``notice``, ``reset_button``, ``surface`` / ``path`` / ``marks`` /
    ``current`` (GL items, or None), ``z`` (the surface heights drawn, (len(a), len(b))),
    ``path_points()`` ((k, 3) drawn), ``show_surface(a, b, losses, log, clip, labels)``,
    ``show_path(xy, epochs)``, ``clear()``, ``reset_view()``, ``grab_image()``.
    """

    def __init__(self, parent=None, use_gl: bool | None = None):
        super().__init__(parent)
        self.gl = gl3d.opengl_available() if use_gl is None else bool(use_gl)
        self.z = None
        self._a = self._b = None
        self._levels = (0.0, 1.0)
        self._path = np.zeros((0, 3), np.float32)
        self._xy = self._epochs = None
        self.notice = notice_label("" if self.gl else gl3d.fallback_text())
        self.notice.setToolTip("Install PyOpenGL and run on a display with OpenGL (e.g. Mesa) to see the "
                               f"surface in 3D; {gl3d.ENV_DISABLE}=1 forces this 2D view.")
        self.caption = QtWidgets.QLabel("Compute a surface first.")
        self.caption.setStyleSheet(style.palette().readout_css)
        self.reset_button = gl3d.reset_button(self.reset_view)
        self.reset_button.setEnabled(self.gl)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.reset_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.notice)
        lay.addLayout(top)
        self.surface = self.path = self.marks = self.current = self.glview = None
        if self.gl:
            self._build_gl()
            lay.addWidget(self.glview, 1)
        else:
            self.graphics = pg.GraphicsLayoutWidget()
            self.graphics.setMinimumSize(240, 200)
            self.plot = self.graphics.addPlot()
            style.apply_plot_style(self.plot)
            self.heat = HeatMap(self.plot, label="loss")
            self.path2d = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOR, width=2), connect="finite")
            self.current2d = pg.ScatterPlotItem(symbol="star", size=16, pen=pg.mkPen(style.palette().foreground),
                                                brush=pg.mkBrush("#ffdd33"))
            for z, item in enumerate((self.path2d, self.current2d)):
                item.setZValue(10 + z)
                self.plot.addItem(item)
            lay.addWidget(self.graphics, 1)

    def _build_gl(self) -> None:
        glmod = gl3d.gl()
        self.glview = gl3d.make_view()
        self.surface = glmod.GLSurfacePlotItem(shader=None, computeNormals=False, glOptions="opaque",
                                               showGrid=True, lineColor=gl3d.rgba(style.palette().foreground, 0.12))
        self.path = glmod.GLLinePlotItem(mode="line_strip", width=3, color=gl3d.rgba(PATH_COLOR),
                                         antialias=True, glOptions="translucent")
        self.marks = glmod.GLScatterPlotItem(size=7, color=gl3d.rgba(PATH_COLOR), pxMode=True,
                                             glOptions="translucent")
        self.start = glmod.GLScatterPlotItem(size=10, color=gl3d.rgba("#ffffff"), pxMode=True,
                                             glOptions="translucent")
        self.current_ring = glmod.GLScatterPlotItem(size=19, color=gl3d.rgba(style.palette().foreground), pxMode=True,
                                                    glOptions="translucent")
        self.current = glmod.GLScatterPlotItem(size=14, color=gl3d.rgba("#ffdd33"), pxMode=True,
                                               glOptions="translucent")
        for item in (self.start, self.current_ring, self.current):
            item.setGLOptions(gl3d.on_top())      # markers stay visible behind hills and on the path
        self.axes = gl3d.Axes3D(self.glview)
        self.items = (self.surface, self.path, self.marks, self.start, self.current_ring, self.current)
        for item in self.items:
            self.glview.addItem(item)
        for z, item in enumerate(self.items[1:], start=1):
            item.setDepthValue(z)
        self.surface.setVisible(False)          # an empty mesh cannot be painted
        self._scale = QtGui.QMatrix4x4()
        self.reset_view()

    # ---- data --------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the surface and the path."""
        self.z = self._a = self._b = None
        self._path = np.zeros((0, 3), np.float32)
        self._xy = self._epochs = None
        self.caption.setText("Compute a surface first.")
        if self.gl:
            self.surface.setVisible(False)
            for item in self.items[1:]:
                item.setData(pos=np.zeros((0, 3), np.float32))
        else:
            self.heat.clear()
            self.path2d.setData([], [])
            self.current2d.setData([], [])
        super().clear()

    def show_surface(self, a, b, losses, log=False, clip=95.0, labels=("a", "b")) -> None:
        """Draw ``losses`` (len(b), len(a)), row i at ``b[i]``, column j at ``a[j]`` (a Grid's layout).

        Heights are the heat map's display values (log10 if ``log``, clipped to its levels);
        NaN cells sit at the top level, coloured grey.
        """
        a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
        img, levels, suffix = display_levels(losses, log, clip)
        self._a, self._b, self._levels = a, b, levels
        zname = f"{suffix} loss".strip() if suffix != "log10(· − min)" else "log10(loss − min)"
        self.caption.setText(f"Loss surface over ({labels[0]}, {labels[1]}); height and colour: {zname}, "
                             f"clipped at {levels[1]:.4g}")
        if not self.gl:
            self.heat.show(losses, (a[0], a[-1], b[0], b[-1]), log=log, clip=clip)
            style.label(self.plot, "bottom", labels[0])
            style.label(self.plot, "left", labels[1])
            self._redraw_path()
            return
        nan = np.isnan(img)
        z = np.ascontiguousarray(np.where(nan, levels[1], img).T, np.float32)    # (len(a), len(b))
        self.z = z
        self.surface.setData(x=a, y=b, z=z, colors=self._colors(z, nan.T, levels))
        self.surface.setVisible(True)
        lo = np.array([a[0], b[0], levels[0]], np.float64)
        hi = np.array([a[-1], b[-1], levels[1]], np.float64)
        span = np.where(hi > lo, hi - lo, 1.0)
        m = QtGui.QMatrix4x4()
        m.scale(2.0 / span[0], 2.0 / span[1], HEIGHT / span[2])
        m.translate(*(-(lo + hi) / 2 * np.array([1, 1, 0]) - np.array([0, 0, lo[2]])))
        self._scale = m
        for item in (*self.items, self.axes.box, self.axes.axes, *self.axes.texts):
            item.setTransform(m)
        self.axes.set_box(lo, hi, (labels[0], labels[1], zname))
        self._redraw_path()

    def _colors(self, z, nan, levels) -> np.ndarray:
        """The heat map's colours, shaded by the slope (light from the upper left)."""
        lo, hi = levels
        rgba = surface_colormap().map(np.clip((z - lo) / (hi - lo), 0, 1).ravel(), mode="float")
        rgba = rgba.reshape(*z.shape, 4).astype(np.float32)
        rgba[nan] = gl3d.rgba(style.NAN_COLOR)
        if z.shape[0] > 1 and z.shape[1] > 1:
            zn = (z - lo) / (hi - lo) * HEIGHT
            gx, gy = np.gradient(zn, 2.0 / (z.shape[0] - 1), 2.0 / (z.shape[1] - 1))
            normal = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
            normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
            light = np.array([-0.4, 0.5, 0.77])
            shade = 0.72 + 0.28 * np.clip(normal @ (light / np.linalg.norm(light)), 0, 1)
            rgba[..., :3] *= shade[..., None].astype(np.float32)
        return np.ascontiguousarray(rgba)

    def show_path(self, xy, epochs=None) -> None:
        """The descent path ``xy`` (k, 2) in the surface's (a, b) coordinates, and each point's epoch."""
        self._xy = np.asarray(xy, np.float64).reshape(-1, 2)
        self._epochs = None if epochs is None else np.asarray(epochs)
        self._redraw_path()

    def height_at(self, xy) -> np.ndarray:
        """The surface's height under points ``xy`` (k, 2), bilinear, clamped to the grid."""
        a, b, z = self._a, self._b, self.z
        fa = np.interp(xy[:, 0], a, np.arange(len(a))) if len(a) > 1 else np.zeros(len(xy))
        fb = np.interp(xy[:, 1], b, np.arange(len(b))) if len(b) > 1 else np.zeros(len(xy))
        i0 = np.clip(np.floor(fa).astype(int), 0, max(len(a) - 2, 0))
        j0 = np.clip(np.floor(fb).astype(int), 0, max(len(b) - 2, 0))
        i1, j1 = np.minimum(i0 + 1, len(a) - 1), np.minimum(j0 + 1, len(b) - 1)
        ta, tb = np.clip(fa - i0, 0, 1), np.clip(fb - j0, 0, 1)
        return ((1 - ta) * (1 - tb) * z[i0, j0] + ta * (1 - tb) * z[i1, j0]
                + (1 - ta) * tb * z[i0, j1] + ta * tb * z[i1, j1])

    def _redraw_path(self) -> None:
        xy = self._xy
        if xy is None or self._a is None:
            return
        ok = np.isfinite(xy).all(axis=1)
        xy = xy[ok]
        if not self.gl:
            self.path2d.setData(xy[:, 0], xy[:, 1])
            self.current2d.setData(pos=xy[-1:])
            return
        lift = LIFT * (self._levels[1] - self._levels[0])
        pts = np.column_stack([xy, self.height_at(xy) + lift]).astype(np.float32) if len(xy) else \
            np.zeros((0, 3), np.float32)
        self._path = pts
        self.path.setData(pos=pts)
        marks = np.zeros(0, int)
        if self._epochs is not None and len(self._epochs) == len(ok):
            ep = self._epochs[ok]
            marks = np.flatnonzero(np.diff(ep) > 0) + 1
        self.marks.setData(pos=pts[marks])
        self.start.setData(pos=pts[:1])
        self.current_ring.setData(pos=pts[-1:])
        self.current.setData(pos=pts[-1:])

    def path_points(self) -> np.ndarray:
        """The path as drawn, (k, 3) float32 in data coordinates (a, b, height)."""
        return self._path

    # ---- view --------------------------------------------------------------------------------------
    def reset_view(self) -> None:
        """The starting angle, the whole box in view."""
        if self.glview is not None:
            gl3d.camera_fit(self.glview, (-1, -1, 0), (1, 1, HEIGHT), elevation=START_ELEVATION,
                            azimuth=START_AZIMUTH, factor=2.9)

    def grab_image(self):
        """The picture as a QImage (the GL framebuffer, or the fallback's plot)."""
        return gl3d.grab(self.glview) if self.glview is not None else self.graphics.grab().toImage()

