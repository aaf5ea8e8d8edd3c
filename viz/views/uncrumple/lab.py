"""The layer lab: one editable 2-unit layer, and the grid and the data it transforms, live.

Set the 2×2 matrix ``W`` (the book's ``dot(W, x)`` convention: row i is unit i's
weights), the bias and the activation, or pick a preset from
:func:`core.analysis.uncrumple.lab.lab_presets` (rotation by θ, scaling, shear, reflection,
translation, a relu fold, a tanh squash). The maths is :func:`core.analysis.uncrumple.lab.layer_lab`;
a stage slider moves between input, ``dot(W, x)``, ``+ b`` and the activation.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core import datasets
from core.engine.activations import ACTIVATIONS
from core.analysis.uncrumple.geometry import input_grid, path_frame
from core.analysis.uncrumple.lab import lab_presets, layer_lab
from viz import style
from viz.views.common.view import View
from viz.views.uncrumple.stage_panel import StagePanel, bounds
from viz.views.uncrumple.target_colors import TargetBar, target_limit
from viz.views.uncrumple.tracer import shown_sample

TICKS = 100


def _spin(value: float, tip: str) -> QtWidgets.QDoubleSpinBox:
    s = QtWidgets.QDoubleSpinBox()
    s.setRange(-5.0, 5.0)
    s.setDecimals(2)
    s.setSingleStep(0.1)
    s.setValue(value)
    s.setToolTip(tip)
    return s


class LabView(View):
    """Editable ``activation(dot(W, x) + b)`` on a 2D grid and data set.

    Public: ``w_spins`` (2×2 list), ``b_spins``, ``activation``, ``preset``, ``theta``
    (degrees, for the rotation preset), ``stage_slider``, ``panel``,
    ``apply_preset(name)``, ``grid_xy()`` (grid points as drawn, (m, 2)),
    ``matrix()`` -> (W, b, activation). A run with 2D inputs lends the lab its training data.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._updating = False
        self._grid_xy = np.zeros((0, 2), np.float32)
        self._make_widgets()
        self._use_points(*datasets.make("spiral", n=300, noise=0.05, seed=0))
        self.apply_preset("rotation")

    def _make_widgets(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(170, 150)
        self.panel = StagePanel(self.graphics.addPlot(row=0, col=0))
        self.original = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.palette().muted, 60), width=1,
                                                      style=QtCore.Qt.PenStyle.DashLine))
        self.original.setZValue(-5)
        self.panel.plot.addItem(self.original)
        form = QtWidgets.QGridLayout()
        form.addWidget(QtWidgets.QLabel("W ="), 0, 0, 2, 1)
        self.w_spins = [[_spin(0.0, f"W[{i}][{j}]: how much input x{j + 1} adds to unit {i + 1}.")
                         for j in range(2)] for i in range(2)]
        self.b_spins = [_spin(0.0, f"b[{i}]: shifts unit {i + 1} (moves the whole grid).") for i in range(2)]
        for i in range(2):
            for j in range(2):
                form.addWidget(self.w_spins[i][j], i, 1 + j)
            form.addWidget(self.b_spins[i], i, 4)
        form.addWidget(QtWidgets.QLabel("b ="), 0, 3, 2, 1)
        form.setColumnStretch(5, 1)
        self.activation = QtWidgets.QComboBox()
        self.activation.addItems([a for a in ACTIVATIONS if a != "softmax"])
        self.activation.setToolTip("Applied to each unit after dot(W, x) + b: relu folds, tanh and sigmoid squash.")
        self.preset = QtWidgets.QComboBox()
        self.preset.addItems(list(lab_presets()))
        self.preset.setToolTip("Classic transformations: each preset sets W, b and the activation.")
        self.preset.activated.connect(lambda _i: self.apply_preset(self.preset.currentText()))
        self.theta = QtWidgets.QSpinBox()
        self.theta.setRange(-180, 180)
        self.theta.setValue(30)
        self.theta.setSuffix("°")
        self.theta.setToolTip("The rotation preset's angle θ: W = [[cos θ, −sin θ], [sin θ, cos θ]].")
        self.theta.valueChanged.connect(lambda _v: self.apply_preset("rotation")
                                        if self.preset.currentText() == "rotation" else None)
        self.stage_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.stage_slider.setRange(0, 3 * TICKS)
        self.stage_slider.setValue(3 * TICKS)
        self.stage_slider.setToolTip("Move between the input (left), dot(W, x), + b and the activation (right).")
        choices = QtWidgets.QGridLayout()       # label, then its box, one per row
        for r, (text, w) in enumerate((("preset", self.preset), ("activation", self.activation), ("θ", self.theta))):
            choices.addWidget(QtWidgets.QLabel(text), r, 0)
            choices.addWidget(w, r, 1)
        choices.setColumnStretch(1, 1)
        self.caption = QtWidgets.QLabel()
        self.caption.setStyleSheet(style.palette().readout_css)
        self.caption.setWordWrap(True)
        ends = QtWidgets.QHBoxLayout()
        for text, align in (("input", QtCore.Qt.AlignmentFlag.AlignLeft),
                            ("activation", QtCore.Qt.AlignmentFlag.AlignRight)):
            end = QtWidgets.QLabel(text)
            end.setStyleSheet(f"color: {style.palette().muted}")
            ends.addWidget(end, 1, align)
        side = QtWidgets.QVBoxLayout()          # the controls beside the plot: the view fits a 500×260 tab
        side.addLayout(form)
        side.addLayout(choices)
        side.addWidget(self.stage_slider)
        side.addLayout(ends)
        side.addWidget(self.caption)
        self.target_bar = TargetBar()           # a regression run's point colours
        self.target_bar.setVisible(False)
        side.addWidget(self.target_bar)
        side.addStretch(1)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.graphics, 1)
        lay.addLayout(side)
        for s in [s for r in self.w_spins for s in r] + self.b_spins:
            s.valueChanged.connect(self._edited)
        self.activation.currentTextChanged.connect(self._edited)
        self.stage_slider.valueChanged.connect(lambda _v: self._draw())

    # ---- lifecycle (the lab follows the run's data when it is 2D, not its training) ---------------
    def build(self, run) -> None:
        """Use the run's 2D training data (other data keeps the points shown)."""
        x = np.asarray(run.x_train, np.float32)
        if x.ndim == 2 and x.shape[1] == 2 and len(x) and np.isfinite(x).all():
            y = np.asarray(run.y_train, np.float32).reshape(-1) if run.is_regression else run.labels_train
            self._use_points(*shown_sample(x, y))     # a regression run's points by target value
            self._draw()

    # ---- editing -----------------------------------------------------------------------------------
    def matrix(self):
        """``(W (2, 2), b (2,), activation)`` as set."""
        W = np.array([[s.value() for s in r] for r in self.w_spins], np.float32)
        b = np.array([s.value() for s in self.b_spins], np.float32)
        return W, b, self.activation.currentText()

    def apply_preset(self, name: str) -> None:
        """Set W, b and the activation from :func:`core.analysis.uncrumple.lab.lab_presets`."""
        W, b, act = lab_presets(math.radians(self.theta.value()))[name]
        self._updating = True
        for i in range(2):
            for j in range(2):
                self.w_spins[i][j].setValue(float(W[i, j]))
            self.b_spins[i].setValue(float(b[i]))
        self.activation.setCurrentText(act)
        self.preset.setCurrentText(name)
        self._updating = False
        self._draw()

    def grid_xy(self) -> np.ndarray:
        return self._grid_xy

    def _edited(self, *_args) -> None:
        if not self._updating:
            self._draw()

    def _use_points(self, x, y) -> None:
        self._x = np.asarray(x, np.float32)
        y = np.asarray(y)
        self._y = y.astype(np.float32) if y.dtype.kind == "f" else y.astype(np.int64)   # floats: targets
        self.target_bar.setVisible(y.dtype.kind == "f")
        if y.dtype.kind == "f":
            self.target_bar.set_limit(target_limit(y))
        self._grid = input_grid(self._x, resolution=41, lines_per_axis=13)
        self._view = bounds(self._x, pad=0.6)

    def _draw(self) -> None:
        if self._updating:
            return
        W, b, act = self.matrix()
        s = self.stage_slider.value() / TICKS
        with np.errstate(all="ignore"):
            data = [st.values for st in layer_lab(W, b, act, self._x)]
            grid = layer_lab(W, b, act, self._grid.points)
        gxy = path_frame([st.values for st in grid], s)
        xy = path_frame(data, s)
        self._grid_xy = gxy
        predicted = np.zeros(len(gxy), np.int64) - 1   # no decision regions in the lab
        idx, connect = self._grid.lines.ravel(), self._grid.connect()
        self.panel.show(xy, self._y, gxy, predicted, idx, connect)
        g0 = self._grid.points[idx]
        self.original.setData(g0[:, 0], g0[:, 1], connect=connect)
        name = grid[min(int(round(s)), 3)].name
        self.panel.set_title(name.split(": ", 1)[-1])
        self.panel.plot.titleLabel.setToolTip(f"W = [[{W[0, 0]:.2f}, {W[0, 1]:.2f}], [{W[1, 0]:.2f}, "
                                              f"{W[1, 1]:.2f}]], b = ({b[0]:.2f}, {b[1]:.2f})")
        self.panel.set_range(self._view)
        self.caption.setText("Dashed: the grid before the layer; solid: after. Drag the slider to watch it move.")
