"""The controls, plot and layout of the loss-surface view (its ``setupUi``).

:func:`build_landscape_ui` creates the public widgets and plot items of a
:class:`viz.views.loss.landscape.LandscapeView` on it and connects them to its methods.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtWidgets

from core.analysis.loss import landscape
from viz import style
from viz.views.common.flow import control_row

from viz.views.common.heatmap import HeatMap

PLANES = {"random": "Random directions (filter-normalised)", "pca": "PCA of the trajectory",
          "weights": "Two chosen weights"}
PATH_COLOR = "#D55E00"
TITLES = {"random": "random filter-normalised plane", "pca": "PCA plane of the trajectory",
          "weights": "two weights, the others frozen"}
WHOLE_NETWORK = "the whole network: this is the true loss surface"


def build_landscape_ui(view: QtWidgets.QWidget) -> None:
    """Create ``view``'s controls, plot items and layout, and connect them to its methods."""
    view.plane_combo = QtWidgets.QComboBox()
    for key, text in PLANES.items():
        view.plane_combo.addItem(text, key)
    view.plane_combo.setToolTip("The plane through weight space: two random filter-normalised directions "
                                "(Li et al. 2018), the top two principal components of the recorded path, "
                                "or two chosen weights with all others frozen.")
    view.plane_combo.currentIndexChanged.connect(view._sync_controls)
    view.seed_spin = QtWidgets.QSpinBox()
    view.seed_spin.setRange(0, 9999)
    view.seed_spin.setPrefix("seed ")
    view.seed_spin.setToolTip("Seed of the random directions: the same seed gives the same plane.")
    view.i_spin, view.j_spin = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
    view.i_name, view.j_name = QtWidgets.QLabel(), QtWidgets.QLabel()
    for k, (spin, name) in enumerate(((view.i_spin, view.i_name), (view.j_spin, view.j_name))):
        spin.setRange(0, 0)
        spin.setValue(k)
        spin.setPrefix("weight " if k == 0 else "and ")
        axis = "horizontal" if k == 0 else "vertical"
        spin.setToolTip(f"Flat index (get_weights order) of the weight on the {axis} axis; its name is shown "
                        "beside it.")
        spin.valueChanged.connect(view._show_names)
        name.setStyleSheet(style.palette().readout_css)
    view.res_spin = QtWidgets.QSpinBox()
    view.res_spin.setRange(5, 301)
    view.res_spin.setValue(61)
    view.res_spin.setPrefix("grid ")
    view.res_spin.setToolTip("Grid points per side; the cost grows with its square.")
    view.span_spin = QtWidgets.QDoubleSpinBox()
    view.span_spin.setRange(0.01, 100.0)
    view.span_spin.setValue(1.0)
    view.span_spin.setPrefix("span ±")
    view.span_spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    view.span_spin.setToolTip("Half width of the grid around the current weights (widened to hold the path).")
    view.log_check = QtWidgets.QCheckBox("Log colours")
    view.log_check.setToolTip("Colour by log10 of the loss, so the valley floor shows detail.")
    view.log_check.toggled.connect(lambda _: view._show_grid())
    view.compute_button = QtWidgets.QPushButton("Compute surface")
    view.compute_button.setToolTip("Evaluate the loss on the grid of the chosen plane, centred on the current "
                                   "weights (in the background).")
    view.compute_button.clicked.connect(view.compute)
    view.cancel_button = QtWidgets.QPushButton("Cancel")
    view.cancel_button.setToolTip("Stop the computation.")
    view.cancel_button.clicked.connect(view.cancel)
    view.cancel_button.setEnabled(False)
    view.progress = QtWidgets.QProgressBar()
    view.progress.setRange(0, 1000)
    view.progress.setTextVisible(False)
    view.progress.setMaximumWidth(120)
    view.progress.setToolTip("Progress of the grid evaluation.")
    view.progress.setVisible(False)
    row = control_row(view, (view.plane_combo, view.seed_spin, view.i_spin, view.i_name,
                                            view.j_spin, view.j_name, view.res_spin, view.span_spin,
                                            view.log_check, view.compute_button, view.cancel_button,
                                            view.progress),
                      "surface", "Export grid", "Save the grid (a, b, loss, accuracy) as CSV.",
                      lambda p: view.export_csv(p))

    view.notice = QtWidgets.QLabel('The path has left the plotted area. <a href="#">Recompute</a>')
    view.notice.setStyleSheet(style.palette().notice_css)
    view.notice.setToolTip("The weights moved beyond the grid; recompute to see where they are now.")
    view.notice.linkActivated.connect(lambda _: view.compute())
    view.notice.setVisible(False)
    view.graphics = pg.GraphicsLayoutWidget()
    view.graphics.setMinimumHeight(240)   # a dock never squeezes the plot flat
    view.plot = view.graphics.addPlot(row=0, col=0)
    style.apply_plot_style(view.plot)
    view.plot.showGrid(x=False, y=False)
    style.title(view.plot, "Loss surface")
    view.heat = HeatMap(view.plot, label="loss")
    view.message = pg.TextItem("Train a little, then press “Compute surface”.", color=style.palette().muted,
                               anchor=(0.5, 0.5))
    view.plot.addItem(view.message, ignoreBounds=True)
    view.path = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOR, width=2), connect="finite")
    view.epoch_marks = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#ffffff", width=0.8),
                                          brush=pg.mkBrush(PATH_COLOR))
    view.current = pg.ScatterPlotItem(symbol="star", size=18, pen=pg.mkPen(style.palette().foreground, width=1),
                                      brush=pg.mkBrush("#ffdd33"))
    view.start_mark = pg.ScatterPlotItem(symbol="s", size=9, pen=pg.mkPen(PATH_COLOR, width=1.5),
                                         brush=pg.mkBrush("#ffffff"))
    for z, item in enumerate((view.path, view.epoch_marks, view.start_mark, view.current)):
        item.setZValue(10 + z)
        view.plot.addItem(item)
    entries = [(pg.PlotDataItem(pen=pg.mkPen(PATH_COLOR, width=2)), "descent path"),
               (pg.ScatterPlotItem(size=7, brush=pg.mkBrush(PATH_COLOR), pen=pg.mkPen("#ffffff")), "epoch"),
               (pg.ScatterPlotItem(symbol="s", size=8, brush=pg.mkBrush("#ffffff"),
                                   pen=pg.mkPen(PATH_COLOR, width=1.5)), "start"),
               (pg.ScatterPlotItem(symbol="star", size=12, brush=pg.mkBrush("#ffdd33"),
                                   pen=pg.mkPen(style.palette().foreground)), "now")]
    view.legend = style.make_legend(entries, len(entries))
    view.graphics.addItem(view.legend, row=1, col=0)
    view.graphics.ci.layout.setRowMaximumHeight(1, 30)
    view.readout = QtWidgets.QLabel(" ")
    view.readout.setStyleSheet(style.palette().readout_css)
    view.readout.setToolTip("Plane coordinates and loss under the mouse.")
    view.graphics.scene().sigMouseMoved.connect(view._on_mouse_moved)
    lay = QtWidgets.QVBoxLayout(view)
    lay.setContentsMargins(4, 4, 4, 4)
    lay.setSpacing(2)
    lay.addWidget(row)
    lay.addWidget(view.notice)
    lay.addWidget(view.graphics, 1)
    lay.addWidget(view.readout)
    view._sync_controls()


# ---- plane choice, names and titles ----------------------------------------------------------------
def sync_controls(view) -> None:
    """Show the controls of the chosen plane only."""
    kind = view.plane_combo.currentData()
    view.seed_spin.setVisible(kind == "random")
    for w in (view.i_spin, view.j_spin, view.i_name, view.j_name):
        w.setVisible(kind == "weights")
    view.span_spin.setEnabled(kind != "pca")


def show_names(view) -> None:
    """The chosen weights' names beside their spin boxes (``w1: dense W[0,0]`` for a two-weight network)."""
    for spin, lab in ((view.i_spin, view.i_name), (view.j_spin, view.j_name)):
        i = spin.value()
        name = landscape.parameter_name(view._model, i) if view._model is not None and i < view._names else ""
        lab.setText(f"w{i + 1}: {name}" if name and is_whole_network(view) else name)


def label_axes(plot, labels) -> None:
    """Name the bottom and left axes, their ticks in plain numbers.

    pyqtgraph 0.14's ``enableAutoSIPrefix(False)`` (in :func:`viz.style.label`) still picks a
    scale from the range shown at that moment and keeps it: labelled while showing ±0.5,
    an axis then reads 3.2 as 3200. No SI range at all, and the scale is 1.
    """
    for side, text in zip(("bottom", "left"), labels):
        style.label(plot, side, text)
        axis = plot.getAxis(side)
        axis.setSIPrefixEnableRanges(())
        axis.updateAutoSIPrefix()


def is_whole_network(view, plane=None) -> bool:
    """The run's network has exactly two weights (and ``plane``, if given, is spanned by them)."""
    return view._names == 2 and (plane is None or plane.kind == "weights")


def choose_default_plane(view) -> None:
    """A network of exactly two weights gets the "Two chosen weights" plane of both: the true loss
    surface (the book's fig. 2.12); the next bigger network gets back the plane chosen before."""
    combo = view.plane_combo
    if is_whole_network(view):
        if getattr(view, "_plane_before", None) is None:
            view._plane_before = combo.currentData()
        combo.setCurrentIndex(combo.findData("weights"))
        view.i_spin.setValue(0)
        view.j_spin.setValue(1)
    elif getattr(view, "_plane_before", None) is not None:
        combo.setCurrentIndex(combo.findData(view._plane_before))
        view._plane_before = None


def two_weight_labels(view, plane):
    """``plane`` with axes named ``w1``, ``w2`` (in the chosen order) when it spans the whole network."""
    if is_whole_network(view, plane):
        plane.labels = tuple(f"w{k + 1}" for k in plane.indices)
    return plane


def surface_title(view, plane, epoch) -> str:
    if is_whole_network(view, plane):
        return f"{WHOLE_NETWORK[0].upper()}{WHOLE_NETWORK[1:]}, epoch {epoch}"
    return f"Loss surface: {TITLES[plane.kind]}, centred on epoch {epoch}"
