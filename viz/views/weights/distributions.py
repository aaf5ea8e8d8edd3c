"""Distributions over time (issue 6): weights and gradients per layer, gradient norms, dead units.

Per Dense layer one row: the kernel's quantiles over epochs drawn as TensorBoard's
distribution bands (filled between symmetric quantile pairs, darker toward the
median), and the same for the kernel's gradient on the epoch's last batch. Beside
them: every layer's gradient norm over epochs on a log axis (vanishing or exploding
gradients show as lines far apart), the dead relu units per relu layer, and a
gradient check (:func:`core.analysis.weights.gradcheck.gradient_check`) of the current weights on one
batch, run on demand.

All numbers come from :mod:`core.analysis.weights.stats` (computed by the trainer at the end of every
epoch, ``snap.epochs[i]["stats"]``) and :mod:`core.analysis.weights.gradcheck`; this module only draws
(the bands, the log axis and the check's table are in :mod:`viz.views.weights.distributions_parts`, the
check's network and batch in :mod:`viz.views.weights.gradient_check_run`).
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.weights.stats import StatsHistory, epoch_stats
from core.run.config import TrainingConfig, build_model
from viz import style
from viz.views.common.notice import OverlayNotice
from viz.views.weights.distributions_parts import (Bands, SparseLogAxis, fill_check_table, layer_label,  # noqa: F401
                                          link_x_by_value, stride)
from viz.views.weights.gradient_check_run import check_one_batch, rebuild
from viz.views.uncrumple.layers import labels_of
from viz.views.common.visibility import in_shown_window, unseen

#: redraw at most this often (seconds): new epochs can arrive hundreds of times a second
MIN_INTERVAL = 0.5
#: narrower than this (pixels), the side panel goes below the bands
WIDE = 820
WEIGHT_COLOR = style.TRAIN_COLOR
GRAD_COLOR = "#D55E00"
ROW_HEIGHT = 150
LAYER_COLORS = ("#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#D55E00", "#8c8c8c", "#F0E442")  # grey: any theme


class DistributionsView(QtWidgets.QWidget):
    """Weight and gradient distributions per layer over epochs, gradient norms, dead units, gradient check."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history = StatsHistory()
        self._unlink_norms = lambda: None     # the norms' x range follows the first band plot's
        self._later = QtCore.QTimer(self, singleShot=True, timeout=self.refresh)
        self._build_ui()
        self.clear()

    # ---- widgets ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.split = split
        layout.addWidget(split, 1)
        self.bands_graphics = pg.GraphicsLayoutWidget()
        self.bands_graphics.setAntialiasing(False)
        self.bands_graphics.setToolTip(
            "Per layer, the quantiles of the kernel (left) and of its gradient on the epoch's last batch (right) "
            "over epochs: bands between 0-100, 7-93, 16-84 and 31-69 %, the median as a line.")
        self.notice = OverlayNotice(self)              # over the plots: showing it moves nothing
        self.scroll = QtWidgets.QScrollArea(widgetResizable=True)
        self.scroll.setWidget(self.bands_graphics)
        self.scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        split.addWidget(self.scroll)
        side = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.side_split = side
        split.addWidget(side)
        split.setSizes([620, 420])
        self.side_graphics = pg.GraphicsLayoutWidget()
        side.addWidget(self.side_graphics)
        self.norm_plot = self.side_graphics.addPlot(row=0, col=0, axisItems={"left": SparseLogAxis("left")})
        self.dead_plot = self.side_graphics.addPlot(row=2, col=0)
        for p in (self.norm_plot, self.dead_plot):
            style.apply_plot_style(p)
            style.label(p, "bottom", "epoch")
        self.norm_plot.setLogMode(y=True)
        style.title(self.norm_plot, "gradient norm ‖dL/dW‖ per layer")
        style.label(self.norm_plot, "left", "L2 norm (log)")
        style.title(self.dead_plot, "dead relu units (colours as above)")
        style.label(self.dead_plot, "left", "units")
        self.dead_plot.setXLink(self.norm_plot)
        self.side_markers = [self._marker(p) for p in (self.norm_plot, self.dead_plot)]
        self.norm_legend = style.make_legend([], 3)             # below the plot: the lines stay uncovered
        self.side_graphics.addItem(self.norm_legend, row=1, col=0)
        self.side_graphics.ci.layout.setRowStretchFactor(0, 3)
        self.side_graphics.ci.layout.setRowStretchFactor(2, 2)
        self.side_graphics.setToolTip(
            "Top: each layer's gradient norm over epochs (log scale); lines far apart mean the signal shrinks "
            "or grows as it goes backwards. Bottom: relu units that output 0 for every probe sample (up to 512 "
            "training samples), one line per relu layer.")
        check = QtWidgets.QWidget()
        side.addWidget(check)
        side.setSizes([420, 260])
        box = QtWidgets.QVBoxLayout(check)
        box.setContentsMargins(2, 2, 2, 2)
        row = QtWidgets.QHBoxLayout()
        self.check_button = QtWidgets.QPushButton("Check gradients")
        self.check_button.setToolTip(
            "Compare backprop's gradient with a central finite difference (float64) for a few weights per "
            "layer, on one batch of training data with the weights shown now.")
        self.check_button.clicked.connect(self.run_check)
        row.addWidget(self.check_button)
        self.verdict = QtWidgets.QLabel("Backprop against finite differences, on demand.", wordWrap=True)
        self.verdict.setToolTip("The largest relative error |backprop − numerical| / max(|backprop|, |numerical|).")
        row.addWidget(self.verdict, 1)
        box.addLayout(row)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["layer", "parameter", "backprop", "numerical", "relative error"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        for c in (0, 1, 4):
            header.setSectionResizeMode(c, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Sampled weights: backprop's dL/dw, the finite difference (L(w+ε) − L(w−ε)) / 2ε "
                              "(hover it for its own error: rounding, and truncation estimated from a second step "
                              "of 2ε) and the relative error beyond that error. Grey '(kink)' rows straddle a relu kink and are "
                              "not judged; '(tiny)' gradients are below what the difference resolves.")
        box.addWidget(self.table, 1)

    # ---- protocol ----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run: history, rows, weights, check results."""
        self.history.clear()
        self._config = self._data = self._weights = self._model = None
        self._weights_epoch = 0
        self._arch = None
        self._unbuilt = False          # a run is kept but its plots are not made yet
        self._dirty = False
        self._last_draw = 0.0
        self.scrub_epoch = None
        self._clear_bands()
        self.bands_graphics.setMinimumHeight(0)
        self.rows = []          # per layer: (weight plot, grad plot, weight Bands, grad Bands)
        self.markers = list(self.side_markers)
        self._clear_side()
        for m in self.markers:
            m.setVisible(False)
        self._show_dead(False)
        self.table.setRowCount(0)
        self.check_result = None
        self.verdict.setText("Backprop against finite differences, on demand.")
        self._set_notice("Distributions appear at the end of the first epoch.")

    def set_data(self, extras: dict) -> None:
        """Keep the run's config and training data (for the gradient check)."""
        self.clear()
        extras = extras or {}
        self._config = extras.get("config")
        self._data = extras.get("data")
        self._unbuilt = True
        if not in_shown_window(self):
            self._prebuild()

    def _prebuild(self) -> None:
        """Make the plots for this architecture before the first epoch's statistics come, not mid-training
        (~0.2 s): at once in no shown window, else on the first :meth:`refresh` while the view can be seen
        (not in the turn where every view takes a new run, and not at all behind a tab or in a closed dock)."""
        self._unbuilt = False
        try:
            config = TrainingConfig.from_dict(self._config)
            x = np.asarray(self._data["x_train"][:4], np.float32)
            y = labels_of(self._data["y_train"])
            model = build_model(config, x.shape[1], max(2, int(y.max(initial=0)) + 1))
        except (KeyError, ValueError, TypeError):
            return
        self.history.append(0, epoch_stats(model, x))
        self.history.truncate(-1)                  # the layers are known, no epoch is kept
        self._build_rows()

    def add_snapshot(self, snap) -> None:
        """Store the epochs' stats and the newest weights; no drawing."""
        extras = snap.extras or {}
        if "data" in extras and extras["data"] is not self._data:
            self.set_data(extras)
        if snap.weights:
            self._weights, self._weights_epoch = snap.weights, snap.epoch
        if extras.get("scrub"):
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
            except ValueError:            # another architecture without a set_data in between
                self.clear()
                self.history.append(e.get("epoch", snap.epoch), stats)
            self._dirty = True

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Drop the statistics after ``epoch`` (the user branched the run there; ``step`` is unused)."""
        self.history.truncate(epoch)
        self._dirty = True
        self.refresh()

    def refresh(self) -> bool:
        """Draw what arrived since the last draw, at most every ``MIN_INTERVAL`` s."""
        if unseen(self):
            return False
        if self._unbuilt and not len(self.history):
            self._prebuild()
            return True
        if not self._dirty:
            return False
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return False
        self._dirty = False
        self._last_draw = time.monotonic()
        self._draw()
        return True

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Side by side when wide, the norms and the check below the bands in a narrow dock."""
        super().resizeEvent(event)
        wide = self.width() >= WIDE
        orientation = QtCore.Qt.Orientation.Horizontal if wide else QtCore.Qt.Orientation.Vertical
        if self.split.orientation() != orientation:
            self.split.setOrientation(orientation)
            h = max(self.height(), 500)
            self.split.setSizes([620, 420] if wide else [h * 9 // 20, h * 11 // 20])
            self.side_split.setSizes([420, 260] if wide else [h * 7 // 20, h * 4 // 20])

    # ---- drawing -----------------------------------------------------------------------------------
    def _marker(self, plot) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(style.palette().subtle, width=1.5,
                                                                      style=QtCore.Qt.PenStyle.DashLine))
        line.setVisible(False)
        line.setZValue(20)
        plot.addItem(line, ignoreBounds=True)
        return line

    def _clear_bands(self) -> None:
        """Remove the band plots; first the norms let go of them (a link kept the first one alive)."""
        self._unlink_norms()
        self._unlink_norms = lambda: None
        self.bands_graphics.clear()

    def _clear_side(self) -> None:
        for p in (self.norm_plot, self.dead_plot):
            for item in list(p.listDataItems()):
                p.removeItem(item)
        self.norm_legend.clear()
        self.side_graphics.ci.layout.setRowMaximumHeight(1, 4)
        self.norm_curves, self.dead_curves = [], {}

    def _show_dead(self, show: bool) -> None:
        """The dead-units plot below the norms only when the network has relu layers."""
        shown = self.dead_plot.scene() is not None
        if show and not shown:
            self.side_graphics.addItem(self.dead_plot, row=2, col=0)
        elif not show and shown:
            self.side_graphics.removeItem(self.dead_plot)

    def _set_notice(self, text) -> None:
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))

    def _build_rows(self) -> None:
        self._unbuilt = False
        h = self.history
        self._arch = (tuple(h.activations), tuple(h.units))
        g = self.bands_graphics
        self._clear_bands()
        self.rows = []
        self.markers = list(self.side_markers)
        self._clear_side()
        n = h.n_layers
        first = None
        for col, what in enumerate(("weights W over epochs", "gradient dL/dW (last batch)")):
            style.elide(g.addLabel(what, row=0, col=col, color=style.palette().foreground, size=style.TITLE_SIZE))
        for i in range(n):
            pair = []
            for col, color in enumerate((WEIGHT_COLOR, GRAD_COLOR)):
                p = g.addPlot(row=i + 1, col=col)
                style.apply_plot_style(p)
                style.label(p, "left", f"layer {i + 1} · {h.units[i]} {h.activations[i]}")
                p.getAxis("left").setWidth(62)
                if i == n - 1:
                    style.label(p, "bottom", "epoch")
                first = first or p
                if p is not first:
                    p.setXLink(first)
                pair.append((p, Bands(p, color)))
                self.markers.append(self._marker(p))
            self.rows.append((pair[0][0], pair[1][0], pair[0][1], pair[1][1]))
        self._unlink_norms = link_x_by_value(first, self.norm_plot)
        g.setMinimumHeight(ROW_HEIGHT * n + 30)
        names = [layer_label(i, n) for i in range(n)]
        for i in range(n):
            pen = pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2)
            self.norm_curves.append(self.norm_plot.plot([], [], pen=pen))
        cols = max(1, min(3, style.legend_columns(names, max(self.side_graphics.width(), 300) - 16)))
        self.side_graphics.removeItem(self.norm_legend)
        self.norm_legend = style.make_legend(list(zip(self.norm_curves, names)), cols)
        self.side_graphics.addItem(self.norm_legend, row=1, col=0)
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

    def _draw(self) -> None:
        h = self.history
        if not h.n_layers:
            return
        if self._arch != (tuple(h.activations), tuple(h.units)):
            self._build_rows()
        self._set_notice(None if len(h) else "No epochs on this branch yet.")
        sel = stride(len(h))
        x = h.epochs[sel].astype(np.float32)
        wq, gq = h.weight_quantiles[sel], h.grad_quantiles[sel]
        norms, dead = h.grad_norms[sel], h.dead[sel]
        for i, (_, _, wb, gb) in enumerate(self.rows):
            wb.set_data(x, wq[:, i])
            gb.set_data(x, gq[:, i])
            y = norms[:, i]
            ok = np.isfinite(y) & (y > 0)       # log axis: zero and non-finite norms cannot be drawn
            self.norm_curves[i].setData(x[ok], np.ascontiguousarray(y[ok]))
            if i in self.dead_curves:
                ok = np.isfinite(dead[:, i])
                self.dead_curves[i].setData(x[ok], np.ascontiguousarray(dead[ok, i]))
        if self.dead_curves:
            top = max((float(h.units[i]) for i in self.dead_curves), default=1.0)
            self.dead_plot.setYRange(0, top, padding=0.05)
        for m in self.markers:
            if self.scrub_epoch is not None:
                m.setValue(float(self.scrub_epoch))
            m.setVisible(self.scrub_epoch is not None)

    # ---- gradient check (viz.views.weights.gradient_check_run) ---------------------------------------------
    def _check_model(self):
        """The run's network with the weights shown now (kept for the next check), or a message why not."""
        built, why = rebuild(self._config, self._data, self._weights, self._model)
        if built is not None:
            self._model = built
        return built, why

    def run_check(self) -> dict | None:
        """Run the gradient check on one batch of training data; fill the table and the verdict."""
        built, why = self._check_model()
        if built is None:
            self.verdict.setText(why)
            self.table.setRowCount(0)
            return None
        try:
            result, n, ms = check_one_batch(built, self._weights_epoch)
        except ValueError as exc:
            self.verdict.setText(f"Gradient check failed: {exc}")
            return None
        self.check_result = result
        fill_check_table(self.table, result)
        self.verdict.setText(f"<b>{result['verdict']}</b><br>epoch {self._weights_epoch}, {len(result['rows'])} "
                             f"weights, a batch of {n} samples, float64, ε = {result['eps']:g} ({ms:.0f} ms)")
        return result
