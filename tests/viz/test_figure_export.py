"""Figures, not screenshots (issue 16): Export view writes the view's plots and legends only, on white,
PNG at twice the size on screen and SVG; no button, box or hint text of the view gets in."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from viz.export.export_all import dock_content, view_docks
from viz.export.view_export import export_dock
from viz.export.white_export import FIGURE_PROPERTY, figure_parts, figure_rect, save_figure_png, save_figure_svg

CONTROLS = (QtWidgets.QAbstractButton, QtWidgets.QComboBox, QtWidgets.QAbstractSlider, QtWidgets.QAbstractSpinBox)


def until(qtbot, predicate, timeout=30_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def white(rgb: int) -> bool:
    return all(((rgb >> s) & 0xFF) >= 245 for s in (0, 8, 16))


def pixels(path) -> np.ndarray:
    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint32).reshape(img.height(), img.bytesPerLine() // 4)
    return arr[:, :img.width()].copy()


@pytest.fixture
def window(one_epoch_window):
    return one_epoch_window


def test_a_views_png_is_its_plots_at_twice_the_size_on_white_without_its_controls(window, tmp_path):
    dock = next(d for d in view_docks(window) if d.objectName() == "dock_curves")
    curves = dock_content(dock)
    path = tmp_path / "curves.png"
    assert export_dock(dock, str(path)) == str(path)
    parts = figure_parts(curves)
    assert parts and all(isinstance(p, pg.GraphicsView) for p, _ in parts)     # the loss, accuracy, legend
    rect = figure_rect(curves)
    img = QtGui.QImage(str(path))
    assert (img.width(), img.height()) == (2 * rect.width(), 2 * rect.height())
    # the view's own buttons, boxes and sliders lie outside the figure: none of their pixels are in it
    controls = [c for c in curves.findChildren(QtWidgets.QWidget) if isinstance(c, CONTROLS) and c.isVisibleTo(curves)]
    assert controls                                            # the curves view has some (smoothing, log scale)
    for c in controls:
        assert not rect.intersects(QtCore.QRect(c.mapTo(curves, QtCore.QPoint(0, 0)), c.size())), c
    assert rect.height() < curves.height()                     # and so the figure is smaller than the view
    px = pixels(path)
    corners = [px[0, 0], px[0, -1], px[-1, 0], px[-1, -1]]
    assert all(map(white, corners))
    assert np.mean([white(int(v)) for v in px[::7, ::7].ravel()]) > 0.6        # a white page with a plot on it
    assert not all(white(int(v)) for v in px[::3, ::3].ravel())                # and something drawn on it


def test_a_views_svg_is_its_plots_and_parses(window, tmp_path):
    dock = next(d for d in view_docks(window) if d.objectName() == "dock_boundary")
    path = tmp_path / "boundary.svg"
    assert export_dock(dock, str(path)) == str(path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    rect = figure_rect(dock_content(dock))
    box = [float(v) for v in root.get("viewBox").split()]
    assert box[2:] == [rect.width(), rect.height()]


def test_scale_and_marked_legends_and_a_plain_widget(qtbot, tmp_path):
    page = QtWidgets.QWidget()
    qtbot.addWidget(page)
    lay = QtWidgets.QVBoxLayout(page)
    hint = QtWidgets.QLabel("Drag to pan; this hint is not part of the figure.")
    plot = pg.PlotWidget(title="y = x²")
    plot.plot(np.arange(10, dtype=np.float32), np.arange(10, dtype=np.float32) ** 2)
    legend = QtWidgets.QLabel("● training   ○ validation")
    button = QtWidgets.QPushButton("Compute")
    for w in (hint, plot, legend, button):
        lay.addWidget(w)
    page.resize(400, 400)
    page.show()
    qtbot.waitExposed(page)
    assert [p for p, _ in figure_parts(page)] == [plot]
    legend.setProperty(FIGURE_PROPERTY, True)                  # a legend drawn as a label joins the figure
    assert [p for p, _ in figure_parts(page)] == [plot, legend]
    rect = figure_rect(page)
    assert rect == QtCore.QRect(plot.mapTo(page, QtCore.QPoint()), plot.size()).united(
        QtCore.QRect(legend.mapTo(page, QtCore.QPoint()), legend.size()))
    assert save_figure_png(page, str(tmp_path / "x3.png"), scale=3)
    assert QtGui.QImage(str(tmp_path / "x3.png")).size() == rect.size() * 3
    bare = QtWidgets.QLabel("no plot at all")                  # no plot: the whole widget
    qtbot.addWidget(bare)
    bare.resize(120, 40)
    assert figure_rect(bare) == QtCore.QRect(0, 0, 120, 40)
    assert save_figure_svg(bare, str(tmp_path / "bare.svg"))
    assert ET.parse(tmp_path / "bare.svg").getroot().tag.endswith("svg")
