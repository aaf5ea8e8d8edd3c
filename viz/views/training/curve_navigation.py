"""Finding one's way in the curves: following the run (ranges that change in steps), zooming, and the
hover readout of the batch under the mouse. :class:`CurveNavigation` is a mixin of
:class:`viz.views.training.curves.CurvesView` (it uses its plots, buffers and cursor lines).
"""
from __future__ import annotations

import math

import numpy as np

from viz.views.training.curve_data import MAX_BINS

#: the readout's text when no batch is under the mouse
HINT = "Hover over the curves to read exact values."


class CurveNavigation:
    """Ranges, zoom and hover for the curves view (a mixin; see the module docstring)."""

    # ---- following the run ------------------------------------------------------------------------
    def _following(self) -> bool:
        """True unless the user zoomed or panned; pyqtgraph's "A" button turns following back on."""
        vb = self.loss_plot.getViewBox()
        if any(vb.autoRangeEnabled()):
            self._user_range = False
        return not self._user_range

    def _follow(self) -> None:
        """Keep the whole run in view with ranges that change in steps, not every frame.

        pyqtgraph's auto-range moves both axes a little on every new batch, and every
        move repaints the axes and re-maps every item. Here the x range grows a quarter
        ahead of the run and the loss range changes only when the data leaves it or
        fills less than half of it. The view transform is settled now, not inside the
        next paint (which would then paint twice).
        """
        following = self._following()
        for plot in (self.loss_plot, self.accuracy_plot):
            vb = plot.getViewBox()
            if following:
                vb.disableAutoRange()
        if following and self._buf.n:
            vb = self.loss_plot.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            xmax = float(self._buf.view("x")[-1])
            new_x1 = x1
            if xmax > x1 or x1 > 2 * xmax + 1 or x0 != 0:
                new_x1 = max(xmax * 1.25, 1.0)
            lo, hi = self._loss_bounds()
            new_y = (y0, y1)
            if lo is not None and (lo < y0 or hi > y1 or (hi - lo) < 0.5 * (y1 - y0)):
                pad = 0.05 * max(hi - lo, 1e-6)
                new_y = (lo - pad, hi + pad)
            if (new_x1, new_y) != (x1, (y0, y1)):
                vb.setRange(xRange=(0, new_x1), yRange=new_y, padding=0)
            self.accuracy_plot.getViewBox().setRange(yRange=(-0.02, 1.02), padding=0)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getViewBox().updateMatrix()

    def _loss_bounds(self):
        """(low, high) of every loss shown, in the axis's units (log10 in log mode)."""
        parts = [self._buf.view("loss"), self._ep.view("loss"), self._ep.view("val_loss")]
        y = np.concatenate([p[np.isfinite(p)] for p in parts])
        if self.log_checkbox.isChecked():
            y = y[y > 0]
            y = np.log10(y) if len(y) else y
        if not len(y):
            return None, None
        return float(y.min()), float(y.max())

    def _on_user_range(self, *_):
        """The user zoomed or panned (mouse, wheel, menu): stop following the run."""
        self._user_range = True

    def zoom_x(self, x0: float, x1: float) -> None:
        """Show epochs ``x0``..``x1`` as a user zoom would (the view stops following the run)."""
        self._user_range = True
        self.loss_plot.setXRange(x0, x1, padding=0)

    def _visible(self, x: np.ndarray) -> slice:
        """The index range of ``x`` inside the zoomed x range (all of it when following the run)."""
        vb = self.loss_plot.getViewBox()
        if self._following() or len(x) == 0:
            return slice(0, len(x))
        x0, x1 = vb.viewRange()[0]
        i0 = max(int(np.searchsorted(x, x0)) - 1, 0)
        i1 = min(int(np.searchsorted(x, x1)) + 1, len(x))
        return slice(i0, i1)

    def _on_x_range(self, *_):
        if self._buf.n > 2 * MAX_BINS and not self._following():
            self._dirty = True
            self.refresh()

    # ---- hover -------------------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos, plot) -> None:
        if plot.sceneBoundingRect().contains(scene_pos):
            self.show_readout(plot.getViewBox().mapSceneToView(scene_pos).x())

    def show_readout(self, x: float) -> str:
        """Describe the batch nearest to epoch position ``x`` in the readout label; returns the text."""
        b = self._buf
        if not b.n or not math.isfinite(x):
            for line in self._cursors:
                line.setVisible(False)
            self.readout.setText(HINT)
            return self.readout.text()
        xs = b.view("x")
        i = int(np.clip(np.searchsorted(xs, x), 0, b.n - 1))
        if i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            i -= 1
        text = (f"epoch {xs[i]:.3f} · step {int(b.view('step')[i])} · "
                f"loss {b.view('loss')[i]:.4g} (smoothed {b.view('sloss')[i]:.4g}) · "
                f"accuracy {b.view('acc')[i]:.3f} (smoothed {b.view('sacc')[i]:.3f})")
        e = int(round(float(xs[i])))
        row = np.flatnonzero(self._ep.view("epoch") == e)
        if len(row):
            parts = [f"{k} {self._ep.view(k)[row[0]]:.4g}" for k in ("val_loss", "val_accuracy")
                     if np.isfinite(self._ep.view(k)[row[0]])]
            if parts:
                text += f" · end of epoch {e}: " + ", ".join(parts)
        for line in self._cursors:
            line.setPos(float(xs[i]))
            line.setVisible(True)
        self.readout.setText(text)
        return text
