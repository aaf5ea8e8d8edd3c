"""The decision boundary's heat map as drawn on screen: x1 runs left to right, x2 bottom to top.

The other boundary tests compare the array handed to the image item; an image drawn with its
axes swapped (or flipped) on screen would pass them. Here the view is grabbed as a user sees it
and its pixels are read where known points of the plane are drawn.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from core.run.config import TrainingConfig
from core.run.messages import BoundaryGrid, RunSnapshot
from viz import style
from viz.views import BoundaryView
from views_support import start

ROWS = COLS = 40
TOP = 0.45      # the grid's largest P(class 1): below the 0.5 contour, which is then not drawn


@pytest.fixture
def boundary(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    return view


def _pixel(view, image, x, y) -> QtGui.QColor:
    """The colour drawn at plane point (x, y) in the grabbed ``image`` of ``view``."""
    scene = view.plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    local = view.graphics.viewport().mapTo(view, view.graphics.mapFromScene(scene))
    ratio = image.devicePixelRatio()
    return QtGui.QColor(image.pixel(round(local.x() * ratio), round(local.y() * ratio)))


def _lightness(c: QtGui.QColor) -> float:
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()


def test_a_grid_varying_along_x1_is_dark_left_and_light_right_on_screen(boundary, qtbot):
    _, first = start(TrainingConfig(dataset="gaussians", n_samples=40, grid_resolution=16))
    x0, x1, y0, y1 = first.boundary.extent
    # P(class 1) grows with x1 (the grid's columns) and does not change with x2 (its rows)
    grid = np.tile(np.linspace(0.0, TOP, COLS, dtype=np.float32), (ROWS, 1))
    snap = RunSnapshot.of(first, boundary=BoundaryGrid(grid=grid, extent=(x0, x1, y0, y1),
                                                       labels=("x1", "x2")))
    boundary.resize(700, 560)
    boundary.show()
    qtbot.waitExposed(boundary)
    boundary.add_snapshot(snap)
    boundary.refresh()
    assert boundary.contour_xy is None
    image = boundary.grab().toImage()

    colormap = style.diverging_colormap()
    xs = [x0 + f * (x1 - x0) for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
    ys = [y0 + f * (y1 - y0) for f in (0.15, 0.5, 0.85)]
    rows = []
    for y in ys:
        row = []
        for x in xs:
            drawn = _pixel(boundary, image, x, y)
            value = grid[0, round((x - x0) / (x1 - x0) * (COLS - 1))]
            want = colormap.map(np.array([value]), mode=colormap.QCOLOR)[0]
            assert max(abs(drawn.red() - want.red()), abs(drawn.green() - want.green()),
                       abs(drawn.blue() - want.blue())) <= 6, (x, y, drawn.name(), want.name())
            row.append(_lightness(drawn))
        rows.append(row)
    rows = np.array(rows)
    # left to right: darker (class 0's tint) to lighter (towards white); bottom to top: the same
    assert np.all(np.diff(rows, axis=1) > 3)
    assert np.ptp(rows, axis=0).max() <= 3
    assert rows[:, -1].mean() - rows[:, 0].mean() > 40
