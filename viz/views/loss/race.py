"""The optimizer race: several optimizers run in lockstep on an analytic loss surface.

``core.analysis.loss.surfaces`` does the maths (:func:`core.analysis.loss.surfaces.surface_grid` for the heat map,
:func:`core.analysis.loss.surfaces.race` for the whole race at once); this view reveals the
precomputed paths step by step with a ``QTimer``. The heat map (:class:`HeatMap`,
:func:`display_levels`) lives in :mod:`viz.views.common.heatmap` and the image export in
:mod:`viz.export.pictures`; both are shared with the loss-surface view and re-exported here.
The widgets and their arrangement are built by :class:`viz.views.loss.race_ui.RaceUi`.
"""
from __future__ import annotations

import csv
import math

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.analysis.loss import surfaces
from viz import style
from viz.export.pictures import export_png, export_svg
from viz.views.common.heatmap import HeatMap, display_levels, surface_colormap  # noqa: F401 - re-exported
from viz.views.loss.race_ui import RACERS, RaceUi

ANIMATION_FRAMES = 150        # a whole race is revealed in about this many timer ticks
TICK_MS = 30


# ---- the race view --------------------------------------------------------------------------------
class RaceView(RaceUi, QtWidgets.QWidget):
    """Optimizers racing on an analytic surface, revealed step by step.

    Public items (for the app and the tests): ``surface_combo``, ``log_check``,
    ``steps_spin``, ``checks`` and ``rates`` (per racer name), ``run_button``,
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
        self._build()
        self.set_surface("local_minimum")

    # ---- public interface ----------------------------------------------------------------------
    def clear(self) -> None:
        """Stop the animation and forget the race (the settings stay)."""
        self.reset()

    def set_data(self, extras) -> None:
        """The race does not depend on the trained network; nothing to do."""

    def refresh(self) -> bool:
        """Nothing to draw from snapshots (the race animates itself); returns False."""
        return False

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
        if self.results is None:
            self.status.setText("Drag the start point, pick optimizers and press Run.")
            return
        if not self.results:
            self.status.setText("No optimizer chosen.")
            return
        lines = [f"step {self.shown} / {self.steps_spin.value()}"]
        for name, rp in self.results.items():
            if rp.diverged_at is not None and rp.diverged_at <= self.shown:
                lines.append(f"{name}: diverged at step {rp.diverged_at}")
            else:
                x, y = np.round(rp.path[self.shown], 2) + 0.0     # no "-0.00"
                lines.append(f"{name}: f = {rp.losses[self.shown]:.3g} at ({x:.2f}, {y:.2f})")
        self.status.setText((" · " if self.stacked else "\n").join(lines))

    def _sync_buttons(self) -> None:
        self.run_button.setText("Pause" if self._timer.isActive() else "Run")
