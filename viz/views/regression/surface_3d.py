"""The fitted surface in 3D: the network's output as a mesh over the input plane, the data at their
targets' heights (above the mesh where the network is too low, below where it is too high), dark for
training and grey for validation.

Made by the Fitted surface view's "3D" button (:class:`viz.views.common.gl3d.Switch3D`), only where
OpenGL works; that view hands it what it drew (:meth:`FitSurface3D.show_fit`), so of the view
lifecycle it keeps only :meth:`clear`. Items hold the data's coordinates; one transform scales the
box x1 × x2 × y to a fixed shape, so data of any scale fills the view.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtGui, QtWidgets

from viz import style
from viz.views.common import gl3d
from viz.views.common.view import View
from viz.views.regression.value_colors import surface_colormap

#: the box x1 × x2 × y is drawn as 2 × 2 × HEIGHT
HEIGHT = 1.2
START_ELEVATION, START_AZIMUTH = 28, -60


class FitSurface3D(View):
    """The fitted surface as a rotatable mesh with the training and validation points.

    Public: ``glview``, ``surface``, ``train_points``, ``val_points``, ``axes``, ``reset_button``,
    ``z`` (the heights drawn, (cols, rows): the mesh's x by y), ``show_fit(grid, extent, levels, run)``.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        glmod = gl3d.gl()
        self.z = None
        self.caption = QtWidgets.QLabel("Height and colour: the network's output. Points: the data at their "
                                        "targets' heights (dark: training, grey: validation).")
        self.caption.setStyleSheet(style.palette().readout_css)
        self.caption.setWordWrap(True)
        self.reset_button = gl3d.reset_button(self.reset_view)
        self.glview = gl3d.make_view()
        self.surface = glmod.GLSurfacePlotItem(shader=None, computeNormals=False, glOptions="translucent",
                                               showGrid=True, lineColor=gl3d.rgba(style.palette().foreground, 0.15))
        self.train_points = glmod.GLScatterPlotItem(size=5, pxMode=True, glOptions="translucent")
        self.val_points = glmod.GLScatterPlotItem(size=5, pxMode=True, glOptions="translucent")
        self.axes = gl3d.Axes3D(self.glview)
        self.items = (self.surface, self.train_points, self.val_points)
        for item in self.items:
            self.glview.addItem(item)
        self.surface.setVisible(False)          # an empty mesh cannot be painted
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.reset_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.glview, 1)
        self.reset_view()

    def clear(self) -> None:
        """Forget the surface and the points."""
        self.z = None
        self.surface.setVisible(False)
        for item in (self.train_points, self.val_points):
            item.setData(pos=np.zeros((0, 3), np.float32))
        super().clear()

    def show_fit(self, grid, extent, levels, run) -> None:
        """Draw ``grid`` (rows = x2, as :func:`core.analysis.boundary.decision_grid`) over ``extent``
        (x0, x1, y0, y1) on the colour scale ``levels``, and ``run``'s points on its plane."""
        grid = np.asarray(grid, np.float32)
        lo, hi = float(levels[0]), float(levels[1])
        x0, x1, y0, y1 = (float(e) for e in extent)
        rows, cols = grid.shape
        a = np.linspace(x0, x1, cols, dtype=np.float32)
        b = np.linspace(y0, y1, rows, dtype=np.float32)
        z = np.ascontiguousarray(np.clip(np.nan_to_num(grid, nan=lo), lo, hi).T, np.float32)   # (cols, rows)
        self.z = z
        colors = surface_colormap().map(np.clip((z - lo) / (hi - lo), 0, 1).ravel(), mode="float")
        colors = colors.reshape(*z.shape, 4).astype(np.float32)
        colors[..., 3] = 0.85
        self.surface.setData(x=a, y=b, z=z, colors=np.ascontiguousarray(colors))
        self.surface.setVisible(True)
        for item, xy, y, color in ((self.train_points, run.x_train_2d, run.y_train, style.palette().foreground),
                                   (self.val_points, run.x_val_2d, run.y_val, style.palette().muted)):
            self._set_points(item, xy, y, color)
        lo3, hi3 = np.array([x0, y0, lo]), np.array([x1, y1, hi])
        span = np.where(hi3 > lo3, hi3 - lo3, 1.0)
        m = QtGui.QMatrix4x4()
        m.scale(2.0 / span[0], 2.0 / span[1], HEIGHT / span[2])
        m.translate(-(x0 + x1) / 2, -(y0 + y1) / 2, -lo)
        for item in (*self.items, self.axes.box, self.axes.axes, *self.axes.texts):
            item.setTransform(m)
        labels = tuple(run.plane.labels) if run.plane is not None else ("x1", "x2")
        self.axes.set_box(lo3, hi3, (labels[0], labels[1], "y"))

    @staticmethod
    def _set_points(item, xy, y, color) -> None:
        """Points at ``(x1, x2, target)`` in one dark colour (their height is their target; on the
        diverging map a target near 0 would be white on white)."""
        if xy is None or len(xy) == 0:
            item.setData(pos=np.zeros((0, 3), np.float32))
            return
        y = np.asarray(y, np.float32).reshape(-1)[:len(xy)]
        pos = np.column_stack([np.asarray(xy, np.float32)[:len(y)], y]).astype(np.float32)
        pos = np.ascontiguousarray(pos[np.isfinite(pos).all(axis=1)])
        item.setData(pos=pos, color=gl3d.rgba(color, 0.9))

    def reset_view(self) -> None:
        """The starting angle, the whole box in view."""
        gl3d.camera_fit(self.glview, (-1, -1, 0), (1, 1, HEIGHT), elevation=START_ELEVATION,
                        azimuth=START_AZIMUTH, factor=3.3)

    def grab_image(self) -> QtGui.QImage:
        """The picture (the GL framebuffer)."""
        return gl3d.grab(self.glview)
