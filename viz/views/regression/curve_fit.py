"""The fitted curve: a network on one input drawing a line through the data, and the sum it is made of.

Above, the data (training points filled, validation points hollow) and the network's output as a
line, a little wider than the data so a learner sees what it does where there is no data. Below,
what the output adds up: each unit of the last hidden layer times its weight to the output, a thin
line each (the largest :data:`core.analysis.regression.MAX_SHOWN`, "+N more"), the output bias as
a dashed line, and their sum, the same curve as above. Hover a thin line for its unit and weight.
Everything is computed in :mod:`core.analysis.regression` from the newest weights (the timeline's
epoch while one is shown): 241 points through the network, a millisecond or two with the drawing.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.regression import MAX_SHOWN, curve_axis, curve_fit, value_levels
from viz import style
from viz.views.common.notice import message_label
from viz.views.common.view import View

#: the data points: neutral, so that the curve and the units' colours stand out
POINT_COLOR = "#8a8a8a"
#: a contribution's colour by the sign of its unit's weight to the output: the Network view's link
#: colours (the ends of the palette's diverging map: orange positive, blue negative)
PLUS_COLOR, MINUS_COLOR = (style.diverging_colormap(0.8).map(v, mode="qcolor").name() for v in (1.0, 0.0))
#: the share of the plots' height the lower plot (the units, with the x axis) gets at most
PARTS_SHARE = 0.45
#: the height (pixels) the lower plot keeps at least, its x axis included
MIN_PLOT_HEIGHT = 114
#: below this height (pixels) the caption takes one line and the readout none
COMPACT_HEIGHT = 340
#: how near (pixels) the pointer must be to a thin line for its readout
HOVER_PX = 8
IDLE_READOUT = "Hover a thin line: which unit it is and its weight to the output."
CAPTION = ("Black: the network's output, the sum of the thin lines below (each one unit of {layer} times its "
           "weight w to the output) plus the output bias b (dashed).")
NOT_A_CURVE = ("The fitted curve is drawn for regression on one input (Controls: Task Regression and a "
               "data set such as sine, step, abs or poly).")


class CurveFitView(View):
    """The data, the fitted curve and the units' contributions to it.

    Public items (for the app and the tests): ``plot`` (data and curve), ``parts_plot`` (the
    contributions), ``curve`` and ``sum_curve`` (the network's output in each), ``contribution_items``
    (a pool of :data:`MAX_SHOWN` thin lines, the unused ones empty), ``more_label`` ("+N more"),
    ``bias_line``, ``train_points``, ``val_points``, ``caption`` (its whole text in ``caption_text``),
    ``readout``, ``message`` (instead of the plots when the run has no curve to fit), ``fit`` (the
    :class:`core.analysis.regression.CurveFit` drawn, or None) and ``shown_units`` (the unit index of
    each drawn thin line).

    The timeline needs nothing of its own: the epoch it shows comes as a snapshot with that epoch's
    weights (and the live weights stay away while it is shown), so :meth:`draw` draws it.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._weights = None        # the newest weights (a list of arrays) not drawn yet, or drawn
        self._dirty = False
        self._model = None
        self._axis = None
        self.fit = None
        self.shown_units = np.zeros(0, np.int64)
        self._hovered = None
        self._build()

    # ---- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        pal = style.palette()
        self.caption_text = CAPTION.format(layer="the last hidden layer")
        self.caption = QtWidgets.QLabel(self.caption_text)
        self.caption.setWordWrap(True)
        self.caption.setMinimumWidth(1)
        self.caption.setStyleSheet(pal.readout_css)
        self.message = message_label(NOT_A_CURVE)
        self.readout = QtWidgets.QLabel()
        self.readout.setStyleSheet(pal.readout_css)
        self.readout.setMinimumWidth(1)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.layout.setContentsMargins(2, 2, 2, 2)
        self.graphics.ci.layout.setVerticalSpacing(2)

        self.plot = self.graphics.addPlot(row=0, col=0)
        self.parts_plot = self.graphics.addPlot(row=1, col=0)
        for plot in (self.plot, self.parts_plot):
            style.apply_plot_style(plot)
            style.cache_axes(plot)
            plot.setMenuEnabled(False)
            plot.hideButtons()
        self.parts_plot.setXLink(self.plot)
        self.plot.getAxis("bottom").setStyle(showValues=False)     # the lower plot's x axis says it
        style.label(self.plot, "left", "y")
        style.label(self.parts_plot, "left", "each unit adds")
        style.label(self.parts_plot, "bottom", "x")
        self.plot.getAxis("left").setWidth(48)
        self.parts_plot.getAxis("left").setWidth(48)
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.parts_plot.getViewBox().setMouseEnabled(x=False, y=False)
        # "+N more" in the lower plot's top right corner (in the box's pixels, placed on resize)
        self.more_label = pg.TextItem("", color=pal.muted, anchor=(1, 0),
                                      fill=style.with_alpha(pal.background, 225))
        self.more_label.setZValue(20)
        self.more_label.setVisible(False)
        self.more_label.setParentItem(self.parts_plot.getViewBox())
        self.more_label.setToolTip("Units whose lines are smaller than those drawn; they still add to the curve.")
        self.parts_plot.getViewBox().sigResized.connect(self._place_more)

        train_look = dict(symbol=style.TRAIN_SYMBOL, pen=pg.mkPen(pal.foreground, width=style.scaled(0.6)),
                          brush=pg.mkBrush(POINT_COLOR))
        val_look = dict(symbol=style.VAL_SYMBOL, pen=pg.mkPen(POINT_COLOR, width=style.scaled(1.6)),
                        brush=pg.mkBrush(style.with_alpha(pal.background, 200)))
        self.train_points = pg.ScatterPlotItem(size=style.point_size(), pxMode=True, **train_look)
        self.val_points = pg.ScatterPlotItem(size=style.point_size() - 1, pxMode=True, **val_look)
        self.curve = pg.PlotCurveItem(pen=self._curve_pen())
        self.train_points.setZValue(5)
        self.val_points.setZValue(6)
        self.curve.setZValue(10)
        for item in (self.train_points, self.val_points, self.curve):
            self.plot.addItem(item)
        # where there is no data the curve is the network's guess: shaded, on both plots
        self.no_data = []
        for plot in (self.plot, self.parts_plot):
            for _ in range(2):
                region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(style.with_alpha(pal.muted, 28)),
                                             pen=pg.mkPen(None))
                region.setZValue(-10)
                region.setToolTip("No data here: the curve is the network extrapolating.")
                plot.addItem(region, ignoreBounds=True)
                self.no_data.append(region)

        self.bias_line = pg.PlotCurveItem(pen=pg.mkPen(pal.muted, width=style.scaled(1.5),
                                                       style=QtCore.Qt.PenStyle.DashLine))
        self.sum_curve = pg.PlotCurveItem(pen=self._curve_pen())
        self.sum_curve.setZValue(10)
        self.contribution_items = [pg.PlotCurveItem() for _ in range(MAX_SHOWN)]
        for item in (*self.contribution_items, self.bias_line, self.sum_curve):
            self.parts_plot.addItem(item)

        self._legend_entries = [
            (pg.ScatterPlotItem(size=9, **train_look), "training"),
            (pg.ScatterPlotItem(size=9, **val_look), "validation"),
            (pg.PlotDataItem(pen=pg.mkPen(PLUS_COLOR, width=2)), "w &gt; 0"),
            (pg.PlotDataItem(pen=pg.mkPen(MINUS_COLOR, width=2)), "w &lt; 0"),
            (pg.PlotDataItem(pen=self._curve_pen()), "output"),
        ]
        self.legend = style.make_legend(self._legend_entries, len(self._legend_entries))
        self.graphics.addItem(self.legend, row=2, col=0)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.readout)
        lay.addWidget(self.message, 1)
        self._set_readout(IDLE_READOUT)

    @staticmethod
    def _curve_pen() -> QtGui.QPen:
        return pg.mkPen(style.palette().foreground, width=style.scaled(2.5))

    # ---- lifecycle (see viz.views.common.view) -----------------------------------------------------
    def clear(self) -> None:
        """Forget the run: no points, no curves."""
        self._weights = None
        self._dirty = False
        self._model = None
        self._axis = None
        self.fit = None
        self.shown_units = np.zeros(0, np.int64)
        self._hovered = None
        self.train_points.setData([], [])
        self.val_points.setData([], [])
        for region in self.no_data:
            region.setVisible(False)
        for item in (self.curve, self.sum_curve, self.bias_line, *self.contribution_items):
            item.setData([], [])
        self.more_label.setText("")
        self.more_label.setVisible(False)
        self._set_readout(IDLE_READOUT)
        self._show_message(None)
        super().clear()

    def build(self, run) -> None:
        """The run's data and a copy of its network (the weights come with the snapshots)."""
        if not run.is_regression or run.input_dim != 1:
            self._show_message(NOT_A_CURVE if not run.is_regression else
                               f"This run has {run.input_dim} inputs: its fit is a surface "
                               "(View → Fitted surface), not a curve.")
            return
        self._show_message(None)
        self._model = run.model()
        x_tr, x_va = run.x_train[:, 0], run.x_val[:, 0]
        self._axis = curve_axis(np.concatenate([x_tr, x_va]))
        self._set_points(self.train_points, x_tr, run.y_train)
        self._set_points(self.val_points, x_va, run.y_val)
        lo, hi = value_levels(run.y_train, run.y_val, pad=0.12)
        self.plot.setRange(xRange=(float(self._axis[0]), float(self._axis[-1])), yRange=(lo, hi), padding=0)
        both = np.concatenate([x_tr, x_va])
        both = both[np.isfinite(both)]
        if len(both):
            ends = ((float(self._axis[0]), float(both.min())), (float(both.max()), float(self._axis[-1])))
            for k, region in enumerate(self.no_data):
                region.setRegion(ends[k % 2])
                region.setVisible(True)
        self.parts_plot.enableAutoRange(y=True)
        hidden = len(self._model.dense_layers) - 1
        self.caption_text = (CAPTION.format(layer=f"Layer {hidden}") if hidden else
                             "Black: the network's output, w·x1 + b: with no hidden layer it is a straight line.")
        self._fit_size()

    def add_snapshot(self, snap) -> None:
        """Keep the snapshot's weights (the live ones, or the timeline's epoch) for the next draw."""
        if snap.weights:
            self._weights = snap.weights
            self._dirty = True

    def draw(self) -> bool:
        """Draw the fit of the newest weights; whether anything was drawn."""
        if not self._dirty or self._model is None:
            return False
        self._dirty = False
        try:
            self._model.set_weights(self._weights)
        except ValueError:            # weights of another network (a run file edited by hand)
            return False
        fit = curve_fit(self._model, self._axis)
        self.fit = fit
        finite = np.isfinite(fit.fitted)
        x = fit.x
        y = np.where(finite, fit.fitted, np.nan).astype(np.float32)
        self.curve.setData(x, y, connect="finite")
        self.sum_curve.setData(x, y, connect="finite")
        shown, more = fit.shown(MAX_SHOWN)
        self.shown_units = shown
        for k, item in enumerate(self.contribution_items):
            if k < len(shown):
                u = shown[k]
                item.setData(x, fit.contributions[u], connect="finite")
                item.setPen(self._part_pen(fit.weights[u], u == self._hovered))
            else:
                item.setData([], [])
        self.bias_line.setData(np.array([x[0], x[-1]], np.float32), np.full(2, fit.bias, np.float32))
        self.more_label.setText(f"+{more} more, smaller" if more else "")
        self.more_label.setVisible(bool(more))          # an empty label would still draw its backing
        return True

    # ---- hover -------------------------------------------------------------------------------------
    def hover_text(self, x: float, y: float) -> str | None:
        """What the readout says with the pointer at ``(x, y)`` of the lower plot: the thin line
        nearest (within :data:`HOVER_PX` pixels) — its unit, its weight and what it adds at ``x`` — or
        None."""
        unit = self._unit_at(x, y)
        if unit is None:
            return None
        fit = self.fit
        adds = float(np.interp(x, fit.x, fit.contributions[unit]))
        return (f"{fit.names[unit]} · weight to the output w = {fit.weights[unit]:.3g} · "
                f"adds {adds:.3g} at x = {x:.2f}")

    def _unit_at(self, x: float, y: float):
        fit = self.fit
        if fit is None or not len(self.shown_units):
            return None
        values = np.array([np.interp(x, fit.x, fit.contributions[u]) for u in self.shown_units])
        per_px = self.parts_plot.getViewBox().viewPixelSize()[1]
        dist = np.abs(values - y) / max(per_px, 1e-12)
        best = int(np.nanargmin(dist)) if np.isfinite(dist).any() else None
        if best is None or dist[best] > HOVER_PX:
            return None
        return int(self.shown_units[best])

    def _mouse_moved(self, pos) -> None:
        vb = self.parts_plot.getViewBox()
        text, unit = None, None
        if self.fit is not None and vb.sceneBoundingRect().contains(pos):
            p = vb.mapSceneToView(pos)
            unit = self._unit_at(p.x(), p.y())
            text = self.hover_text(p.x(), p.y())
        if unit != self._hovered:
            old, self._hovered = self._hovered, unit
            for k, u in enumerate(self.shown_units):
                if u in (old, unit):
                    self.contribution_items[k].setPen(self._part_pen(self.fit.weights[u], u == unit))
        self._set_readout(text or IDLE_READOUT)
        self.graphics.setToolTip(text or "")

    # ---- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _part_pen(weight, hovered: bool) -> QtGui.QPen:
        color = PLUS_COLOR if weight >= 0 else MINUS_COLOR
        return pg.mkPen(color, width=style.scaled(3.5 if hovered else 1.3))

    def _place_more(self, *_) -> None:
        self.more_label.setPos(self.parts_plot.getViewBox().width() - 4, 2)

    def _set_readout(self, text: str) -> None:
        width = max(self.readout.contentsRect().width() - 10, 40)
        shown = self.readout.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideRight, width)
        self.readout.setText(shown)
        self.readout.setToolTip(text if shown != text else "")

    @staticmethod
    def _set_points(item, x, y) -> None:
        x = np.asarray(x, np.float32).reshape(-1)
        y = np.asarray(y, np.float32).reshape(-1)
        n = min(len(x), len(y))
        keep = np.isfinite(x[:n]) & np.isfinite(y[:n])
        item.setData(x=x[:n][keep], y=y[:n][keep])

    def _show_message(self, text) -> None:
        if text:
            self.message.setText(text)
        self.message.setVisible(bool(text))
        for w in (self.caption, self.graphics):
            w.setVisible(not text)
        self._fit_size()

    def _one_row_fits(self, entries) -> bool:
        """Whether the legend's entries fit in one row (each column as wide as its own name: the
        registry's legends size every column for the widest name)."""
        font = QtGui.QFont()
        font.setPointSizeF(style.scaled(style.LEGEND_FONT_PT))
        fm = QtGui.QFontMetricsF(font)
        need = sum(fm.horizontalAdvance(html.unescape(name)) + 20 + 12 + 16 for _, name in entries)
        return need <= self.graphics.width() - 16

    @property
    def compact(self) -> bool:
        """Whether the view is too short for the whole caption and the readout (a 1024×768 screen)."""
        return self.height() < COMPACT_HEIGHT

    def _fit_size(self) -> None:
        """The caption whole and the readout shown, or, when :attr:`compact`, the caption on one line
        (whole in its tooltip) and the hover text in the plot's tooltip only."""
        compact = self.compact
        why = ("Every unit of the last hidden layer computes its own curve of x; the output unit multiplies "
               "each by its weight w and adds them, then adds its bias b. Training moves the units and the "
               "weights until the sum fits the data.")
        self.caption.setWordWrap(not compact)
        if compact:
            width = max(self.caption.contentsRect().width() - 10, 40)
            self.caption.setText(self.caption.fontMetrics().elidedText(
                self.caption_text, QtCore.Qt.TextElideMode.ElideRight, width))
            self.caption.setToolTip(f"{self.caption_text}\n\n{why}")
        else:
            self.caption.setText(self.caption_text)
            self.caption.setToolTip(why)
        self.readout.setVisible(not compact and not self.message.isVisibleTo(self))
        self.parts_plot.getAxis("bottom").showLabel(not compact)     # "x": the ticks say it

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Wrap the legend onto more rows when the dock is narrow."""
        super().resizeEvent(event)
        QtCore.QTimer.singleShot(0, self, self._fit_legend)

    def _fit_legend(self) -> None:
        self._fit_size()
        # one row if it fits: with "output" where the width allows it, else without (the caption says it)
        entries = next((e for e in (self._legend_entries, self._legend_entries[:-1]) if self._one_row_fits(e)), None)
        if entries is not None:
            if self.legend.columnCount != len(entries) or len(self.legend.items) != len(entries):
                self.graphics.removeItem(self.legend)
                self.legend = style.make_legend(entries, len(entries))
                self.graphics.addItem(self.legend, row=2, col=0)
            self.graphics.ci.layout.setRowMaximumHeight(2, style.scaled(22) + 8)
        else:
            entries = self._legend_entries
            if len(self.legend.items) != len(entries):     # a one-row legend without "output" before
                self.graphics.removeItem(self.legend)
                self.legend = style.make_legend(entries, 1)
                self.graphics.addItem(self.legend, row=2, col=0)
            self.legend = style.refit_legend(self.graphics, self.legend, entries, row=2)
        # the data and the curve get the larger share of the height
        rows = -(-len(entries) // max(self.legend.columnCount, 1))
        plots = self.graphics.height() - (style.scaled(22) * rows + 8)
        least = MIN_PLOT_HEIGHT
        self.parts_plot.setMaximumHeight(max(plots - max(int((1 - PARTS_SHARE) * plots), least), least))
        self._set_readout(self.readout.toolTip() or self.readout.text())
