"""The optimizer race: several optimizers run in lockstep on an analytic loss surface.

``core.analysis.loss.surfaces`` does the maths (:func:`core.analysis.loss.surfaces.surface_grid` for the
heat map, :func:`core.analysis.loss.surfaces.race` for the whole race at once); this view reveals the
precomputed paths step by step with a ``QTimer`` (the animation's playback). The heat map is
:class:`viz.views.common.heatmap.HeatMap`, shared with the loss-surface view.

The surface and the loss plot are side by side in a wide dock and stacked in a narrow one
(:meth:`RaceView._arrange`); the optimizers, their learning rates, the number of steps and the
colour scale are in a panel behind the *Optimizers* button, so the plots keep the room (the
legend names every racer with its learning rate). The race does not depend on the trained network: of the view's
lifecycle it only has :meth:`RaceView.clear` (a new run stops the animation).
"""
from __future__ import annotations

import csv
import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.loss import surfaces
from viz import style
from viz.views.common.flow import control_row, ignore_height_hint
from viz.views.common.heatmap import HeatMap
from viz.views.common.pictures import export_png, export_svg
from viz.views.common.view import View
from viz.views.loss.compact import compact

#: racer name -> tooltip; the order of the check boxes, colours and legend
RACERS = {
    "SGD": "Plain gradient descent: w -= lr * gradient.",
    "SGD + momentum": "SGD with momentum 0.9: a velocity that keeps rolling, so it can cross small humps.",
    "Nesterov": "SGD with Nesterov momentum 0.9: looks ahead along the velocity before taking the gradient.",
    "RMSprop": "Divides each step by a running root-mean-square of the gradient (rho 0.9).",
    "Adagrad": "Divides each step by the root of the sum of all past squared gradients: steps shrink over time.",
    "Adam": "Momentum plus RMSprop scaling, bias-corrected (beta_1 0.9, beta_2 0.999).",
}
RACER_COLORS = dict(zip(RACERS, style.palette().class_colors[:6]))
#: narrower than this many times its height, the surface is stacked over the loss plot (else side by side)
STACK_RATIO = 1.2
#: lower than this, the axes lose their titles (the legend and the plot titles say what is drawn)
SHORT_BELOW = 240
#: the optimizers' readout under the plots from this view height on (in a short dock the legend says who is who)
STATUS_FROM = 380
LEGEND_SAMPLE = 48           # a legend column's line sample, spacing and margins, in pixels
ANIMATION_FRAMES = 150        # a whole race is revealed in about this many timer ticks
TICK_MS = 30


class RaceView(View):
    """Optimizers racing on an analytic surface, revealed step by step.

    Public items (for the app and the tests): ``surface_combo``, ``optimizers_button`` (its menu
    holds ``table``: ``checks`` and ``rates`` per racer name, ``steps_spin``, ``log_check``), ``run_button``,
    ``step_button``, ``reset_button``, ``start_target``, ``surface_plot``,
    ``loss_plot``, ``heat``, ``paths`` and ``loss_curves`` (per racer name),
    ``results`` (name -> :class:`core.analysis.loss.surfaces.RacePath`, or None), ``shown`` (steps revealed).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.results = None
        self.shown = 0
        self._start = None
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._build_widgets()
        self.set_surface("local_minimum")

    # ---- the view's lifecycle --------------------------------------------------------------------
    def clear(self) -> None:
        """Stop the animation and forget the race (the settings stay)."""
        self.reset()
        super().clear()

    # ---- the race ----------------------------------------------------------------------------------
    def surface(self) -> str:
        """The chosen surface's name (a key of :data:`core.analysis.loss.surfaces.SURFACES`)."""
        return self._surface

    def set_surface(self, name: str) -> None:
        """Choose a surface: its default start, steps and learning rates, and redraw it."""
        s = surfaces.get(name)
        self._surface = s.name
        blockers = [QtCore.QSignalBlocker(w) for w in
                    (self.surface_combo, self.steps_spin, self.log_check, *self.rates.values())]
        self.surface_combo.setCurrentIndex(self.surface_combo.findData(s.name))
        self.steps_spin.setValue(s.steps)
        self.log_check.setChecked(s.log_scale)
        for name_, opt in surfaces.default_racers(s.name).items():
            self.rates[name_].setValue(opt.learning_rate)
        del blockers
        self._start = tuple(float(v) for v in s.start)
        self.start_target.setPos(*self._start)
        self.minima.setData(pos=np.array(s.minima, dtype=float))
        self.surface_plot.setRange(xRange=s.extent[:2], yRange=s.extent[2:], padding=0.02)
        style.title(self.surface_plot, s.title)
        self.surface_plot.setToolTip(s.description)
        self._draw_surface()
        self.reset()

    def start_point(self) -> tuple:
        return self._start

    def set_start(self, x: float, y: float) -> None:
        """Move the start point (as dragging the target does) and reset the race."""
        self._start = (float(x), float(y))
        self.start_target.setPos(*self._start)
        self.reset()

    def chosen(self) -> dict:
        """The checked racers: name -> optimizer (the defaults with the edited learning rates)."""
        out = {}
        for name, opt in surfaces.default_racers(self._surface).items():
            if self.checks[name].isChecked():
                opt.learning_rate = float(self.rates[name].value())
                out[name] = opt
        return out

    def compute(self) -> dict:
        """Run the whole race in core now (not yet revealed); returns name -> RacePath."""
        racers = self.chosen()
        self.results = (surfaces.race(self._surface, racers, start=self._start, steps=self.steps_spin.value())
                        if racers else {})
        self.shown = 0
        self._rebuild_legend()
        return self.results

    def toggle_run(self) -> None:
        """Start (or resume, or restart when finished) the animation, or pause it."""
        if self._timer.isActive():
            self._timer.stop()
        else:
            if self.results is None or self.shown >= self.steps_spin.value():
                self.compute()
            self._timer.start()
        self._sync_buttons()

    def run_to_end(self) -> None:
        """Reveal the whole race at once (scripts, tests)."""
        if self.results is None:
            self.compute()
        self._reveal(self.steps_spin.value())

    def step(self) -> None:
        """Reveal one more step of every path."""
        self._timer.stop()
        if self.results is None:
            self.compute()
        self._reveal(self.shown + 1)
        self._sync_buttons()

    def reset(self) -> None:
        """Stop, forget the computed race and clear the paths."""
        self._timer.stop()
        self.results, self.shown = None, 0
        for name in RACERS:
            for item in (self.paths[name], self._halos[name], self.loss_curves[name]):
                item.setData([], [])
            self.heads[name].setData([], [])
        self._rebuild_legend()
        self._update_status()
        self._sync_buttons()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def export_png(self, path: str) -> bool:
        """Save the surface and the loss plot as a PNG image."""
        return export_png(self.graphics, path)

    def export_svg(self, path: str) -> bool:
        """Save the plots as an SVG drawing."""
        return export_svg(self.graphics, path)

    def export_csv(self, path: str) -> None:
        """Write every path as rows ``optimizer, learning_rate, step, x, y, loss`` (the whole race)."""
        if self.results is None:
            self.compute()
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["optimizer", "learning_rate", "step", "x", "y", "loss"])
            for name, rp in self.results.items():
                lr = self.rates[name].value()
                for t, ((x, y), f) in enumerate(zip(rp.path, rp.losses)):
                    w.writerow([name, repr(lr), t, repr(float(x)), repr(float(y)), repr(float(f))])

    # ---- helpers -------------------------------------------------------------------------------
    def _draw_surface(self) -> None:
        xs, ys, values = surfaces.surface_grid(self._surface, resolution=201)
        log = self.log_check.isChecked()
        self.heat.show(values, (xs[0], xs[-1], ys[0], ys[-1]), log=log, clip=99.0 if log else 90.0)
        s = surfaces.get(self._surface)
        self._fmin = float(s.f(np.array(s.minima[0], dtype=float)))
        style.label(self.loss_plot, "left", "log10(f − f_min)" if log else "f(x, y)")
        if self.results:
            self._reveal(self.shown)

    def _on_start_dragged(self, *_):
        p = self.start_target.pos()
        self.set_start(p.x(), p.y())

    def _tick(self) -> None:
        per = max(1, math.ceil(self.steps_spin.value() / ANIMATION_FRAMES))
        self._reveal(self.shown + per)
        if self.shown >= self.steps_spin.value():
            self._timer.stop()
            self._sync_buttons()

    def _reveal(self, k: int) -> None:
        """Draw the first ``k`` steps of every path (lockstep)."""
        k = int(min(max(k, 0), self.steps_spin.value()))
        self.shown = k
        for name, rp in (self.results or {}).items():
            p = rp.path[:k + 1]
            for item in (self._halos[name], self.paths[name]):
                item.setData(p[:, 0], p[:, 1], connect="finite")
            last = p[np.isfinite(p).all(axis=1)][-1:]
            self.heads[name].setData(pos=last)
            self.loss_curves[name].setData(np.arange(k + 1, dtype=float), self._loss_y(rp.losses[:k + 1]),
                                           connect="finite")
        self._update_status()

    def _loss_y(self, losses):
        """The loss plot's values: f, or log10(f - f_min) with the log option."""
        if not self.log_check.isChecked():
            return losses
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(losses - self._fmin, 1e-12))

    def _update_status(self) -> None:
        """The readout under the plots (when there is room), the loss plot's title and tooltip."""
        if not self.results:
            text = ("Drag the start point, pick optimizers and press Run." if self.results is None
                    else "No optimizer chosen: pick some under Optimizers.")
            self.status.setText(text)
            style.title(self.loss_plot, "Loss over steps")
            self.loss_plot.setToolTip(text)
            return
        lines = [f"step {self.shown} / {self.steps_spin.value()}"]
        for name, rp in self.results.items():
            if rp.diverged_at is not None and rp.diverged_at <= self.shown:
                lines.append(f"{name}: diverged at step {rp.diverged_at}")
            else:
                x, y = np.round(rp.path[self.shown], 2) + 0.0     # no "-0.00"
                lines.append(f"{name}: f = {rp.losses[self.shown]:.3g} at ({x:.2f}, {y:.2f})")
        self.status.setText(" · ".join(lines))
        style.title(self.loss_plot, f"Loss · {lines[0]}")
        self.loss_plot.setToolTip("\n".join(lines))

    def _sync_buttons(self) -> None:
        self.run_button.setText("Pause" if self._timer.isActive() else "Run")

    # ---- construction ------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.surface_combo = QtWidgets.QComboBox()
        for name, s in surfaces.SURFACES.items():
            self.surface_combo.addItem(s.title, name)
            self.surface_combo.setItemData(self.surface_combo.count() - 1, s.description,
                                           QtCore.Qt.ItemDataRole.ToolTipRole)
        self.surface_combo.setToolTip("The analytic loss surface the optimizers race on.")
        self.surface_combo.currentIndexChanged.connect(lambda _: self.set_surface(self.surface_combo.currentData()))
        self.log_check = QtWidgets.QCheckBox("Log colours")
        self.log_check.setToolTip("Colour the surface by log10 of its height, so flat valleys show detail.")
        self.log_check.toggled.connect(lambda _: self._draw_surface())
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(1, 20000)
        self.steps_spin.setPrefix("steps ")
        self.steps_spin.setToolTip("How many steps every optimizer takes.")
        self.steps_spin.valueChanged.connect(lambda _: self.reset())
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setToolTip("Animate the race (again from the start when it has finished); click again "
                                   "to pause.")
        self.run_button.clicked.connect(self.toggle_run)
        self.step_button = QtWidgets.QPushButton("Step")
        self.step_button.setToolTip("Advance every optimizer by one step.")
        self.step_button.clicked.connect(self.step)
        self.reset_button = QtWidgets.QPushButton("Reset")
        self.reset_button.setToolTip("Back to the start point, nothing drawn.")
        self.reset_button.clicked.connect(self.reset)

        # the optimizers, their learning rates, the steps and the colour scale: a panel behind a button
        self.table = QtWidgets.QWidget()
        side = QtWidgets.QGridLayout(self.table)
        side.setContentsMargins(8, 6, 8, 6)
        side.addWidget(QtWidgets.QLabel("<b>Optimizer</b>"), 0, 0)
        side.addWidget(QtWidgets.QLabel("<b>learning rate</b>"), 0, 1)
        self.checks, self.rates = {}, {}
        for row, (name, tip) in enumerate(RACERS.items(), start=1):
            check = QtWidgets.QCheckBox(name)
            check.setChecked(True)
            check.setToolTip(tip)
            check.setStyleSheet(f"QCheckBox {{ color: {RACER_COLORS[name]}; font-weight: bold; }}")
            check.toggled.connect(lambda _: self.reset())
            rate = QtWidgets.QDoubleSpinBox()
            rate.setDecimals(5)
            rate.setRange(1e-5, 10.0)
            rate.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            rate.setToolTip(f"{name}'s learning rate (the default suits the chosen surface).")
            rate.valueChanged.connect(lambda _: self.reset())
            self.checks[name], self.rates[name] = check, rate
            side.addWidget(check, row, 0)
            side.addWidget(rate, row, 1)
        side.addWidget(self.steps_spin, len(RACERS) + 1, 0)
        side.addWidget(self.log_check, len(RACERS) + 1, 1)
        self.optimizers_button = QtWidgets.QToolButton()
        self.optimizers_button.setText("Optimizers")
        self.optimizers_button.setToolTip("Choose which optimizers race, their learning rates and the number of steps.")
        self.optimizers_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.optimizers_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QtWidgets.QMenu(self.optimizers_button)
        panel = QtWidgets.QWidgetAction(menu)
        panel.setDefaultWidget(self.table)
        menu.addAction(panel)
        self.optimizers_button.setMenu(menu)
        top = compact(control_row(self, (self.surface_combo, self.optimizers_button, self.run_button,
                                         self.step_button, self.reset_button),
                                  "race", "Export paths", "Save every optimizer's path (step, x, y, loss) as CSV.",
                                  lambda p: self.export_csv(p)), {self.run_button: ("Run", "Pause")})

        self.status = QtWidgets.QLabel()
        self.status.setStyleSheet(style.palette().readout_css)
        self.status.setWordWrap(True)
        self.status.setToolTip("Where every optimizer is now and its loss there.")

        self.graphics = ignore_height_hint(pg.GraphicsLayoutWidget())
        self.graphics.setMinimumHeight(150)   # a dock never squeezes the plots flat
        self.surface_plot = self.graphics.addPlot(row=0, col=0)
        self.loss_plot = self.graphics.addPlot(row=0, col=1)
        for p in (self.surface_plot, self.loss_plot):
            style.apply_plot_style(p)
        self.surface_plot.showGrid(x=False, y=False)
        style.label(self.surface_plot, "bottom", "x")
        style.label(self.surface_plot, "left", "y")
        style.label(self.loss_plot, "bottom", "step")
        style.label(self.loss_plot, "left", "f(x, y)")
        style.title(self.loss_plot, "Loss over steps")
        self.heat = HeatMap(self.surface_plot, label="f(x, y)")
        # no colour bar: the contour lines show the shape and the loss plot the heights; the surface keeps the room
        self.surface_plot.layout.removeItem(self.heat.colorbar)
        self.heat.colorbar.setVisible(False)
        self.minima = pg.ScatterPlotItem(symbol="star", size=16, pen=pg.mkPen(style.palette().foreground, width=1),
                                         brush=pg.mkBrush("#ffffff"))
        self.minima.setZValue(4)
        self.surface_plot.addItem(self.minima)
        self.paths, self.heads, self.loss_curves, self._halos = {}, {}, {}, {}
        for name, color in RACER_COLORS.items():
            halo = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha("#ffffff", 200), width=4.5), connect="finite")
            path = pg.PlotCurveItem(pen=pg.mkPen(color, width=2), connect="finite")
            head = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#ffffff", width=1.2), brush=pg.mkBrush(color))
            for z, item in enumerate((halo, path, head)):
                item.setZValue(10 + z)
                self.surface_plot.addItem(item, ignoreBounds=True)
            curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=2), connect="finite")
            self.loss_plot.addItem(curve)
            self.paths[name], self.heads[name], self.loss_curves[name], self._halos[name] = path, head, curve, halo
        self.start_target = pg.TargetItem(pos=(0, 0), size=16, pen=pg.mkPen(style.palette().foreground, width=2),
                                          movable=True, label="start",
                                          labelOpts={"color": style.palette().foreground, "offset": (8, 8)})
        self.start_target.setZValue(20)
        self.start_target.setToolTip("Drag to choose where every optimizer starts.")
        self.start_target.sigPositionChangeFinished.connect(self._on_start_dragged)
        self.surface_plot.addItem(self.start_target)
        self.legend = style.make_legend([], 1)
        self.graphics.addItem(self.legend, row=1, col=0, colspan=2)
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.graphics.ci.layout.setVerticalSpacing(2)

        lay = self._main = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(top)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.status)
        self.stacked = None
        self._legend_cols = None
        self._short = False
        self._arrange(stacked=False)

    # ---- layout: side by side when wide, stacked when narrow -----------------------------------
    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(self.width() < STACK_RATIO * self.height())
        self.status.setVisible(self.height() >= STATUS_FROM)
        short = self.height() < SHORT_BELOW     # a projector's smaller dock: axis titles give their room to the plots
        for plot in (self.surface_plot, self.loss_plot):
            for side in ("left", "bottom"):
                plot.getAxis(side).showLabel(not short)
        if self._legend_columns() != self._legend_cols or short != self._short:
            self._short = short
            self._rebuild_legend()

    def _arrange(self, stacked: bool) -> None:
        """Narrow (stacked): the surface over the loss plot. Wide: side by side. The legend under both.
        Changes only on a switch."""
        if stacked == self.stacked:
            return
        self.stacked = stacked
        ci = self.graphics.ci
        for item in (self.surface_plot, self.loss_plot, self.legend):
            ci.removeItem(item)
        ci.addItem(self.surface_plot, 0, 0)
        ci.addItem(self.loss_plot, *((1, 0) if stacked else (0, 1)))
        ci.addItem(self.legend, *((2, 0, 1, 1) if stacked else (1, 0, 1, 2)))
        lay = ci.layout
        for i in range(3):   # stretch factors of the old arrangement must not linger
            lay.setRowStretchFactor(i, 0)
            lay.setColumnStretchFactor(i, 0)
            lay.setRowMaximumHeight(i, 1e6)
        if stacked:     # a stretch factor of 0 caps a column at its preferred width: one column, 1
            lay.setColumnStretchFactor(0, 1)
            lay.setRowStretchFactor(0, 3)
            lay.setRowStretchFactor(1, 2)
        else:
            lay.setRowStretchFactor(0, 1)
            lay.setColumnStretchFactor(0, 11)
            lay.setColumnStretchFactor(1, 9)
        self._legend_row = 2 if stacked else 1
        self._legend_span = 1 if stacked else 2
        self._legend_cols = None
        self._update_status()

    def _legend_entries(self) -> list[str]:
        names = self.results if self.results else self.chosen()
        if self.height() < SHORT_BELOW:         # the learning rates are under Optimizers and in the tooltips
            return list(names)
        return [f"{name} (lr {self.rates[name].value():g})" for name in names]

    def _legend_columns(self) -> int:
        """The most columns (up to 3) whose widest entries, column by column, fit the view's width
        (the legend fills rows left to right: entry k is in column k % columns)."""
        names = self._legend_entries()
        if not names:
            return 1
        width = self.graphics.width() - 16 if self.graphics.isVisible() else self.width() - 24
        font = QtGui.QFont()
        font.setPointSizeF(style.LEGEND_FONT_PT)
        fm = QtGui.QFontMetricsF(font)
        for cols in (3, 2):
            need = sum(max(fm.horizontalAdvance(n) for n in names[c::cols]) + LEGEND_SAMPLE for c in range(cols))
            if len(names) >= cols and need <= width:
                return cols
        return 1

    def _rebuild_legend(self) -> None:
        entries = [(pg.PlotDataItem(pen=pg.mkPen(RACER_COLORS[name.split(" (lr")[0]], width=2.5)), name)
                   for name in self._legend_entries()]
        self.graphics.removeItem(self.legend)
        cols = self._legend_cols = self._legend_columns()
        self.legend = style.make_legend(entries, cols)      # as many columns as fit: none cut at the edge
        self.legend.layout.setContentsMargins(4, 0, 4, 0)
        self.graphics.addItem(self.legend, row=self._legend_row, col=0, colspan=self._legend_span)
        rows = -(-max(len(entries), 1) // cols)
        self.graphics.ci.layout.setRowMaximumHeight(self._legend_row, 18 * rows + 4)
