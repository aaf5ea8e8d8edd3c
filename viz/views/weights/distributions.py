"""Distributions over time (issue 6): weights and gradients per layer, gradient norms, dead units.

For the layer chosen in the *Layer* box: the kernel's quantiles over epochs drawn as
TensorBoard's distribution bands (filled between symmetric quantile pairs, darker toward the
median, :class:`Bands`), and beside it the same for the kernel's gradient on the epoch's last
batch. Below: every layer's gradient norm over epochs on a log axis (vanishing or exploding
gradients show as lines far apart), the dead relu units per relu layer, and a gradient check of
the current weights on one batch, run on demand (:mod:`viz.views.weights.gradient_check`).
One layer's bands at a time keep every plot readable in the Inside workspace (~620 × 620 px)
whatever the network's depth; the gradient norms compare the layers.

All numbers come from :mod:`core.analysis.weights.stats` (computed by the trainer at the end of every
epoch, ``snap.epochs[i]["stats"]``); this module only draws.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.names import layer_name
from core.analysis.weights.stats import N_QUANTILES, StatsHistory, epoch_stats
from viz import style
from viz.views.common.notice import OverlayNotice
from viz.views.common.view import View
from viz.views.weights.gradient_check import GradientCheckPanel

#: at least this wide (pixels) and wider than tall, the norms and the check go beside the bands
WIDE = 900
WEIGHT_COLOR = style.TRAIN_COLOR
GRAD_COLOR = "#D55E00"
LAYER_COLORS = ("#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#D55E00", "#8c8c8c", "#F0E442")  # grey: any theme
#: epochs drawn per curve at most (an even stride over the history, the newest always kept)
MAX_POINTS = 200
#: fill alpha of the bands from the outer (min..max) to the inner (30.85..69.15 %) pair
BAND_ALPHA = (45, 80, 120, 170)


def stride(n: int, limit: int = MAX_POINTS) -> slice | np.ndarray:
    """Indices of at most ``limit`` of ``n`` epochs, evenly spread, the last one always included."""
    if n <= limit:
        return slice(None)
    idx = np.linspace(0, n - 1, limit).astype(np.int64)
    return np.unique(idx)


def layer_choice(i: int, n: int, units: int, activation: str) -> str:
    """The Layer box's text for layer ``i`` of ``n``: ``"Layer 1 · 8 tanh"``, ``"Layer 3 (output) · 1 sigmoid"``."""
    return f"{layer_name(i, n)} · {units} {activation}"


class SparseLogAxis(pg.AxisItem):
    """A log axis that labels only 1, 2 and 5 times a power of ten (pyqtgraph labels every minor tick)."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        out = []
        for v, text in zip(values, strings):
            mantissa = 10 ** (v - np.floor(v + 1e-9))
            out.append(text if np.isfinite(v) and min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-6 else "")
        return out


class Bands:
    """TensorBoard's distribution bands on a plot: 4 fills between symmetric quantiles and the median.

    Each band is one closed polygon (lower quantile forwards, upper backwards) built with
    ``pg.arrayToQPath`` in one vectorised call: ``FillBetweenItem`` walks its curves' paths
    point by point in Python and took ~200 ms a redraw for a few hundred epochs.
    """

    def __init__(self, plot: pg.PlotItem, color):
        # no antialiasing: smooth filled bands cost ~50 ms a paint, and bands need no smooth edges
        self.curves = [pg.PlotCurveItem(pen=pg.mkPen(None), antialias=False) for _ in range(N_QUANTILES)]
        mid = N_QUANTILES // 2
        self.curves[mid].setPen(pg.mkPen(color, width=1.5))
        self.fills = []
        for k in range(mid):
            fill = QtWidgets.QGraphicsPathItem()
            fill.setPen(pg.mkPen(None))
            fill.setBrush(pg.mkBrush(style.with_alpha(color, BAND_ALPHA[k])))
            plot.addItem(fill)
            self.fills.append(fill)
        # only the median is drawn: the other quantiles live in the bands' polygons (48 invisible
        # curves per view cost their paths at every paint); they keep the data for the tests and hover
        plot.addItem(self.curves[mid])

    def set_data(self, x, q) -> None:
        """``x`` (n,) epochs and ``q`` (n, 9) quantiles; epochs with a non-finite quantile are left out."""
        q = np.asarray(q, np.float32)
        keep = np.isfinite(q).all(axis=1) if len(q) else np.zeros(0, bool)
        x, q = np.asarray(x, np.float32)[keep], q[keep]
        for j, c in enumerate(self.curves):
            c.setData(x, np.ascontiguousarray(q[:, j]))
        for k, fill in enumerate(self.fills):
            if len(x) < 2:
                fill.setPath(QtGui.QPainterPath())
                continue
            px = np.concatenate([x, x[::-1]])
            py = np.concatenate([q[:, k], q[::-1, N_QUANTILES - 1 - k]])
            path = pg.arrayToQPath(px, py, connect="all")
            path.closeSubpath()
            fill.setPath(path)

    def set_visible(self, shown: bool) -> None:
        """Show or hide the bands and the median (hidden ones leave the plot's auto range alone)."""
        for item in (*self.fills, self.curves[N_QUANTILES // 2]):
            item.setVisible(shown)

    @property
    def visible(self) -> bool:
        """Whether the bands are shown."""
        return self.curves[N_QUANTILES // 2].isVisible()

    def data(self) -> np.ndarray:
        """The quantiles drawn now, shape (n, 9) (for tests)."""
        cols = [c.getData()[1] for c in self.curves]
        if cols[0] is None:
            return np.zeros((0, N_QUANTILES), np.float32)
        return np.stack(cols, axis=1)


def link_x_by_value(a: pg.PlotItem, b: pg.PlotItem):
    """Keep the x ranges of plots ``a`` and ``b`` equal, both ways; returns a function that unlinks them.

    pyqtgraph's ``setXLink`` lines linked plots up by screen position when they overlap on screen
    by a third or more: a plot twice as wide as its partner then shows twice the range (the norms
    below the bands in a narrow dock ran on to epoch 2,800 when the run was at 1,041).
    """
    busy = [False]
    links = []

    def follow(src, dst):
        def on_change(_view, x_range):
            if busy[0]:
                return
            busy[0] = True
            try:
                dst.setXRange(*x_range, padding=0)
            finally:
                busy[0] = False
        signal = src.getViewBox().sigXRangeChanged
        signal.connect(on_change)
        links.append((signal, on_change))
    follow(a, b)
    follow(b, a)

    def unlink():
        while links:
            signal, slot = links.pop()
            try:
                signal.disconnect(slot)
            except RuntimeError:      # the plot is already deleted, and its connections with it
                pass
    return unlink


class DistributionsView(View):
    """Weight and gradient distributions per layer over epochs, gradient norms, dead units, gradient check.

    Its build (the band plots of the run's architecture, ~0.2 s) waits for the first refresh on
    screen (``deferred``); it redraws at most every ``min_interval`` seconds.

    Public: ``history`` (:class:`core.analysis.weights.stats.StatsHistory`), ``layer`` (the Layer
    box), ``weight_plot``, ``grad_plot``, ``rows`` (per layer: weight plot, gradient plot, weight
    :class:`Bands`, gradient :class:`Bands`; every layer's bands live in the same two plots, only
    the chosen layer's shown), :meth:`show_layer`, ``norm_plot``,
    ``norm_curves``, ``norm_legend``, ``dead_plot``, ``dead_curves`` (relu layer -> curve),
    ``markers`` (the scrubbed epoch's lines), ``notice``, ``check``
    (:class:`viz.views.weights.gradient_check.GradientCheckPanel`), :meth:`run_check`.
    """

    deferred = True
    #: new epochs can arrive hundreds of times a second
    min_interval = 0.5

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history = StatsHistory()
        self._unlink_norms = lambda: None     # the norms' x range follows the first band plot's
        self._build_ui()
        self.clear()

    # ---- widgets ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        top = QtWidgets.QHBoxLayout()
        pick = QtWidgets.QLabel("Layer")
        self.layer = QtWidgets.QComboBox()
        self.layer.setToolTip("The layer whose weights and gradients are drawn as bands. The gradient norms "
                              "below show every layer at once.")
        pick.setToolTip(self.layer.toolTip())
        self.layer.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer.currentIndexChanged.connect(self.show_layer)
        top.addWidget(pick)
        top.addWidget(self.layer)
        top.addStretch(1)
        layout.addLayout(top)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.split = split
        layout.addWidget(split, 1)
        self.bands_graphics = pg.GraphicsLayoutWidget()
        self.bands_graphics.setAntialiasing(False)
        self.bands_graphics.setToolTip(
            "The chosen layer's kernel (left) and its gradient on the epoch's last batch (right) over epochs: "
            "bands between the quantiles 0-100, 7-93, 16-84 and 31-69 %, the median as a line.")
        self.notice = OverlayNotice(self)              # over the plots: showing it moves nothing
        self.weight_plot = self.bands_graphics.addPlot(row=0, col=0)
        self.grad_plot = self.bands_graphics.addPlot(row=0, col=1)
        for p in (self.weight_plot, self.grad_plot):
            style.apply_plot_style(p)
            style.label(p, "bottom", "epoch")
            p.getAxis("left").setWidth(48)
        self.grad_plot.setXLink(self.weight_plot)
        style.title(self.weight_plot, "weights W")
        style.title(self.grad_plot, "gradient dL/dW (last batch)")
        self.band_markers = [self._marker(p) for p in (self.weight_plot, self.grad_plot)]
        split.addWidget(self.bands_graphics)
        side = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        side.setChildrenCollapsible(False)
        self.side_split = side
        split.addWidget(side)
        self.side_graphics = pg.GraphicsLayoutWidget()
        side.addWidget(self.side_graphics)
        self.norm_plot = self.side_graphics.addPlot(row=0, col=0, axisItems={"left": SparseLogAxis("left")})
        self.dead_plot = self.side_graphics.addPlot(row=0, col=1)
        for p in (self.norm_plot, self.dead_plot):
            style.apply_plot_style(p)
            style.label(p, "bottom", "epoch")
        self.norm_plot.setLogMode(y=True)
        style.title(self.norm_plot, "gradient norm per layer")
        style.label(self.norm_plot, "left", "‖dL/dW‖ (log)")
        style.title(self.dead_plot, "dead relu units")
        style.label(self.dead_plot, "left", "units")
        self.dead_plot.setXLink(self.norm_plot)
        self.side_markers = [self._marker(p) for p in (self.norm_plot, self.dead_plot)]
        self.norm_legend = style.make_legend([], 3)             # below the plots: the lines stay uncovered
        self.side_graphics.addItem(self.norm_legend, row=1, col=0, colspan=2)
        self.side_graphics.setToolTip(
            "Left: each layer's gradient norm over epochs (log scale); lines far apart mean the signal shrinks "
            "or grows as it goes backwards. Right: relu units that output 0 for every probe sample (up to 512 "
            "training samples), one line per relu layer, in the layer's colour.")
        self.check = GradientCheckPanel()
        self.check.button.clicked.connect(self.run_check)
        side.addWidget(self.check)

    # ---- lifecycle ---------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run: history, rows, weights, check results."""
        self.history.clear()
        self._weights = ()
        self._weights_epoch = 0
        self._arch = None
        self._dirty = self._side_due = False
        self.scrub_epoch = None
        self._clear_bands()
        self.rows = []          # per layer: (weight plot, grad plot, weight Bands, grad Bands)
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.blockSignals(False)
        self.markers = self.band_markers + self.side_markers
        self._clear_side()
        for m in self.markers:
            m.setVisible(False)
        self._show_dead(False)
        self.check.clear()
        self._set_notice("Distributions appear at the end of the first epoch.")
        super().clear()

    def build(self, run) -> None:
        """Make the plots for ``run``'s architecture (~0.2 s) before the first epoch's statistics come,
        not mid-training; epochs that came before the build (a reopened run's) are drawn right after
        it, in the same refresh (the base's)."""
        if not len(self.history):
            try:
                model = run.model()
            except ValueError:
                return
            self.history.clear()            # no epoch kept: forget the layers of a run built before
            self.history.append(0, epoch_stats(model, run.x_train[:4]))
            self.history.truncate(-1)                  # the layers are known, no epoch is kept
        self._build_rows()

    def add_snapshot(self, snap) -> None:
        """Store the epochs' stats and the newest weights; no drawing."""
        if snap.weights:
            self._weights, self._weights_epoch = snap.weights, snap.epoch
        if snap.scrubbed:
            self.scrub_epoch = snap.epoch
            self._dirty = True
            return
        if self.scrub_epoch is not None:
            self.scrub_epoch = None
            self._dirty = True
        for e in snap.epochs:
            stats = e.get("stats") if isinstance(e, dict) else None
            if stats is None:
                continue
            try:
                self.history.append(e.get("epoch", snap.epoch), stats)
            except ValueError:            # another architecture without a new run in between: start over
                self.history.clear()
                self.history.append(e.get("epoch", snap.epoch), stats)
            self._dirty = True

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Drop the statistics after ``epoch`` (the user branched the run there; ``step`` is unused)."""
        self.history.truncate(epoch)
        self._dirty = True
        self.redraw_wanted.emit()

    def draw(self) -> bool:
        """Draw what arrived since the last draw."""
        drew = self._refresh_bands()
        return self._refresh_side() or drew

    def refresh_parts(self) -> tuple:
        """Two steps once built: the chosen layer's bands, then the norms and dead units (each plot
        widget then paints in a turn of its own, ~half the view's paint each)."""
        return () if self._unbuilt else (self._refresh_bands, self._refresh_side)

    def part_widgets(self) -> tuple:
        """The bands' plots, then the norms' and dead units'."""
        return (self.bands_graphics, self.side_graphics)

    def _refresh_bands(self) -> bool:
        """Step 1: the bands of what arrived since the last draw (the norms follow in step 2)."""
        if not self._dirty:
            return False
        self._dirty = False
        self._side_due = self._draw_bands()
        return True

    def _refresh_side(self) -> bool:
        """Step 2: the norms and dead units of the epochs step 1 drew."""
        if not self._side_due:
            return False
        self._side_due = False
        self._draw_side()
        return True

    def finish(self) -> None:
        """Build if due and draw what is still to draw, now (a picture is taken next)."""
        super().finish()
        self.draw()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """The norms and the check beside the bands in a wide, low dock; below them otherwise."""
        super().resizeEvent(event)
        wide = self.width() >= WIDE and self.width() > 1.4 * self.height()
        orientation = QtCore.Qt.Orientation.Horizontal if wide else QtCore.Qt.Orientation.Vertical
        if self.split.orientation() != orientation:
            self.split.setOrientation(orientation)
        # the space shared out anew at each resize: bands, then the norms over the check
        h = max(self.height() - 34, 200)
        if wide:
            self.split.setSizes([self.width() * 5 // 9, self.width() * 4 // 9])
            self.side_split.setSizes([h * 3 // 5, h * 2 // 5])
        else:
            check = max(96, h * 24 // 100)
            bands = (h - check) // 2
            self.split.setSizes([bands, h - bands])
            self.side_split.setSizes([h - bands - check, check])

    # ---- gradient check ------------------------------------------------------------------------------
    def run_check(self) -> dict | None:
        """Run the gradient check on one batch of training data with the weights shown now; fill the
        table and the verdict (see :class:`viz.views.weights.gradient_check.GradientCheckPanel`)."""
        return self.check.run_check(self.run, self._weights, self._weights_epoch)

    # ---- drawing -----------------------------------------------------------------------------------
    def _marker(self, plot) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(style.palette().subtle, width=1.5,
                                                                      style=QtCore.Qt.PenStyle.DashLine))
        line.setVisible(False)
        line.setZValue(20)
        plot.addItem(line, ignoreBounds=True)
        return line

    def _clear_bands(self) -> None:
        """Remove every layer's bands from the two band plots; the norms let go of their x range."""
        self._unlink_norms()
        self._unlink_norms = lambda: None
        for plot in (self.weight_plot, self.grad_plot):
            for item in list(plot.items):
                if not isinstance(item, pg.InfiniteLine):
                    plot.removeItem(item)

    def show_layer(self, index: int) -> None:
        """Draw layer ``index``'s bands (0-based; the Layer box's choice), hide the others'."""
        if not 0 <= index < len(self.rows):
            return
        if self.layer.currentIndex() != index:
            self.layer.setCurrentIndex(index)            # comes back here
            return
        for i, (_, _, wb, gb) in enumerate(self.rows):
            wb.set_visible(i == index)
            gb.set_visible(i == index)
        for plot in (self.weight_plot, self.grad_plot):
            plot.enableAutoRange(y=True)

    def _clear_side(self) -> None:
        for p in (self.norm_plot, self.dead_plot):
            for item in list(p.listDataItems()):
                p.removeItem(item)
        self.norm_legend.clear()
        self.side_graphics.ci.layout.setRowMaximumHeight(1, 4)
        self.norm_curves, self.dead_curves = [], {}

    def _show_dead(self, show: bool) -> None:
        """The dead-units plot beside the norms only when the network has relu layers."""
        shown = self.dead_plot.scene() is not None
        if show and not shown:
            self.side_graphics.addItem(self.dead_plot, row=0, col=1)
        elif not show and shown:
            self.side_graphics.removeItem(self.dead_plot)

    def _set_notice(self, text) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))

    def _build_rows(self) -> None:
        h = self.history
        self._arch = (tuple(h.activations), tuple(h.units))
        self._clear_bands()
        self.rows = []
        self.markers = self.band_markers + self.side_markers
        self._clear_side()
        n = h.n_layers
        for i in range(n):
            wb, gb = Bands(self.weight_plot, WEIGHT_COLOR), Bands(self.grad_plot, GRAD_COLOR)
            self.rows.append((self.weight_plot, self.grad_plot, wb, gb))
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems([layer_choice(i, n, h.units[i], h.activations[i]) for i in range(n)])
        self.layer.setCurrentIndex(0)
        self.layer.blockSignals(False)
        self.show_layer(0)
        self._unlink_norms = link_x_by_value(self.weight_plot, self.norm_plot)
        # the norms' epochs follow the bands' only: fitted to their own data too, they would move the
        # bands' range back in the norms' refresh step, a second paint of the bands
        self.norm_plot.enableAutoRange(x=False)
        names = [layer_name(i, n) for i in range(n)]
        for i in range(n):
            pen = pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2)
            self.norm_curves.append(self.norm_plot.plot([], [], pen=pen))
        cols = max(1, min(4, style.legend_columns(names, max(self.side_graphics.width(), 300) - 16)))
        self.side_graphics.removeItem(self.norm_legend)
        self.norm_legend = style.make_legend(list(zip(self.norm_curves, names)), cols)
        self.side_graphics.addItem(self.norm_legend, row=1, col=0, colspan=2)
        self.side_graphics.ci.layout.setRowMaximumHeight(1, 22 * -(-n // cols) + 8)
        relu = [i for i, a in enumerate(h.activations) if a == "relu"]
        for i in relu:
            color = LAYER_COLORS[i % len(LAYER_COLORS)]
            self.dead_curves[i] = self.dead_plot.plot(
                [], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=4, symbolBrush=color,
                symbolPen=None)
        sizes = sorted({h.units[i] for i in relu})
        style.label(self.dead_plot, "left", f"units (of {sizes[0]})" if len(sizes) == 1 else "units")
        self._show_dead(bool(relu))

    def _marks(self, markers) -> None:
        for m in markers:
            if self.scrub_epoch is not None:
                m.setValue(float(self.scrub_epoch))
            m.setVisible(self.scrub_epoch is not None)

    def _draw_bands(self) -> bool:
        """Every layer's bands (the chosen one's shown) and their marks; whether there are layers."""
        h = self.history
        if not h.n_layers:
            return False
        if self._arch != (tuple(h.activations), tuple(h.units)):
            self._build_rows()
        self._set_notice(None if len(h) else "No epochs on this branch yet.")
        sel = stride(len(h))
        x = h.epochs[sel].astype(np.float32)
        wq, gq = h.weight_quantiles[sel], h.grad_quantiles[sel]
        for i, (_, _, wb, gb) in enumerate(self.rows):
            wb.set_data(x, wq[:, i])
            gb.set_data(x, gq[:, i])
        self._marks(self.band_markers)
        return True

    def _draw_side(self) -> None:
        """Every layer's gradient norm, the dead units of relu layers, their marks."""
        h = self.history
        sel = stride(len(h))
        x = h.epochs[sel].astype(np.float32)
        norms, dead = h.grad_norms[sel], h.dead[sel]
        for i in range(len(self.rows)):
            y = norms[:, i]
            ok = np.isfinite(y) & (y > 0)       # log axis: zero and non-finite norms cannot be drawn
            self.norm_curves[i].setData(x[ok], np.ascontiguousarray(y[ok]))
            if i in self.dead_curves:
                ok = np.isfinite(dead[:, i])
                self.dead_curves[i].setData(x[ok], np.ascontiguousarray(dead[ok, i]))
        if self.dead_curves:
            top = max((float(h.units[i]) for i in self.dead_curves), default=1.0)
            self.dead_plot.setYRange(0, top, padding=0.05)
        self._marks(self.side_markers)
