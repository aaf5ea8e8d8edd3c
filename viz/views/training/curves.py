"""Loss and accuracy curves: every batch (faint), smoothed (bold), every epoch (train and validation).

The second plot shows the run's metric (:attr:`core.run.messages.RunData.metric`): the accuracy of a
classification, on a fixed 0–1 axis with a dashed line at chance; the mean absolute error of a
regression, on an axis from 0 that follows the data, without a chance line. Its axis and the legend's
tooltip say which (``run.metric_title``).

The view only draws what its :class:`viz.views.training.curve_data.CurveHistory` holds (that module
also says where a batch sits on the "epoch" x axis). :meth:`CurvesView.add_snapshot` appends a
snapshot's batch values and epoch logs and marks the view dirty; :meth:`CurvesView.draw`, from the
redraw clock, hands the curves what they show with ``setData`` only when something changed:
peak-decimated (:func:`viz.views.training.curve_data.envelope`) and clipped to the zoomed range.
The history keeps a run of any length in bounded memory (its older batches as min / max / mean
buckets), so a frame costs the same after an hour flat out as after a minute.

Finding one's way lives here too: the view follows the run with ranges that change in steps, stops
following when the user zooms or pans, and the readout names the batch under the mouse.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from viz import style
from viz.views.common.view import View
from viz.views.training.curve_data import MAX_BINS, SMOOTHING_DEFAULT, SMOOTHING_MAX, CurveHistory

MAX_EPOCH_SYMBOLS = 300
#: the readout's text when no batch is under the mouse
HINT = "Hover over the curves to read exact values."
#: the plots go side by side when the view is at least this wide and its plots would be shorter
#: than SIDE_BY_SIDE_HEIGHT stacked (the Learn workspace gives the curves ~540 × 230 px)
SIDE_BY_SIDE_WIDTH, SIDE_BY_SIDE_HEIGHT = 340, 360   # two plots of 170 px: the Learn workspace at 1024×768
#: the accuracy axis's range: 0 to 1 with room for the labels "0" and "1.0" (pyqtgraph drops a label
#: that would reach past the end of its axis)
ACCURACY_RANGE = (-0.1, 1.1)
#: the height of one row of the legend, in pixels
LEGEND_ROW = 22
#: the accuracy axis's ticks: labelled at 0, 0.5 and 1.0, and at the quarters between (room permitting)
ACCURACY_TICKS = [[(0.0, "0"), (0.5, "0.5"), (1.0, "1.0")], [(0.25, "0.25"), (0.75, "0.75")]]
#: the metric axis's title when its full title (``run.metric_title``) is taller than the plot
SHORT_TITLES = {"mae": "MAE"}
#: the legend's tooltip; {metric} is the metric's name in words
LEGEND_TIP = ("Faint: the loss or {metric} of every mini-batch; bold: the same, smoothed (slider). Markers: the "
              "mean over each epoch, on the training data (filled) and on the validation data (hollow).")


class CurvesView(View):
    """Loss and accuracy plots sharing an "epoch" x axis: side by side in a wide, short dock, one
    above the other otherwise; their legend above them.

    Public items (for the app and the tests): ``loss_plot``, ``accuracy_plot``, ``chance_line``
    (the accuracy of guessing, 1 / classes), ``legend`` (in ``legend_graphics``), ``side_by_side``,
    ``raw_loss_curve``, ``smooth_loss_curve``, ``epoch_loss_curve``, ``epoch_val_loss_curve``,
    ``raw_accuracy_curve``, ``smooth_accuracy_curve``, ``epoch_accuracy_curve``,
    ``epoch_val_accuracy_curve``, ``smoothing_slider``, ``log_checkbox``, ``readout``, and
    ``data``, the :class:`CurveHistory` drawn. The "accuracy" items show the run's metric: the mean
    absolute error in a regression run (``metric``, ``metric_title``).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.data = CurveHistory(SMOOTHING_DEFAULT)
        self._metric_title = "Accuracy"            # of the metric the second plot shows (run.metric_title)
        self._dirty = self._dirty_epochs = False
        self._pending_accuracy = (False, False)   # (batches, epochs) the accuracy plot has still to draw
        self._user_range = False   # True once the user zooms or pans (see _following)
        self._fresh = True         # no range set from this run's data yet (see _follow)
        self._build_controls()
        self._build_plots()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 2)
        lay.setSpacing(2)
        lay.addLayout(self._controls)
        lay.addWidget(self.legend_graphics)
        self._plots_box = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.TopToBottom)
        self._plots_box.setSpacing(2)
        self._plots_box.addWidget(self.graphics, 1)
        self._plots_box.addWidget(self.graphics_accuracy, 1)
        lay.addLayout(self._plots_box, 1)
        lay.addWidget(self.readout)
        self.side_by_side = False

    # ---- construction -----------------------------------------------------------------------------
    def _build_controls(self):
        self.smoothing_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, round(SMOOTHING_MAX * 100))
        self.smoothing_slider.setValue(round(SMOOTHING_DEFAULT * 100))
        self.smoothing_slider.setMaximumWidth(180)
        self.smoothing_slider.setToolTip(
            "How much the bold batch curve is smoothed (exponential moving average, 0 = none, 0.99 = most). "
            "The faint curve behind it always shows every batch's raw value.")
        self._smoothing_value = QtWidgets.QLabel()
        self._smoothing_value.setMinimumWidth(self._smoothing_value.fontMetrics().horizontalAdvance("0.00") + 6)
        self._smoothing_value.setToolTip(self.smoothing_slider.toolTip())
        smoothing_label = QtWidgets.QLabel("Smoothing")
        smoothing_label.setToolTip(self.smoothing_slider.toolTip())
        self.log_checkbox = QtWidgets.QCheckBox("Log-scale loss")
        self.log_checkbox.setToolTip(
            "Show the loss on a logarithmic axis, which makes late, small improvements visible.")
        self.smoothing_slider.valueChanged.connect(self._on_smoothing)
        self.log_checkbox.toggled.connect(self.set_log_scale)
        self._controls = QtWidgets.QHBoxLayout()
        self._controls.setContentsMargins(4, 0, 4, 0)
        self._controls.addWidget(smoothing_label)
        self._controls.addWidget(self.smoothing_slider)
        self._controls.addWidget(self._smoothing_value)
        self._controls.addSpacing(16)
        self._controls.addWidget(self.log_checkbox)
        self._controls.addStretch(1)
        self._smoothing_value.setText(f"{self.data.alpha:.2f}")
        self.readout = QtWidgets.QLabel(HINT)
        self.readout.setStyleSheet(style.palette().readout_css)
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setToolTip("The values of the batch nearest the mouse pointer.")
        self.readout.setWordWrap(True)
        self.readout.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.readout.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.readout.setFixedHeight(2 * self.readout.fontMetrics().lineSpacing() + 4)

    def _build_plots(self):
        # two views, not one: each is painted in its own event (~3 ms, not ~6 ms in one piece), so a
        # frame never holds the GUI thread long enough to make a 5 ms timer late by more than that
        self.graphics = pg.GraphicsLayoutWidget()             # the loss
        self.graphics_accuracy = pg.GraphicsLayoutWidget()    # the accuracy, same epochs
        # the legend, above both plots (side by side, it would squeeze the loss plot alone)
        self.legend_graphics = pg.GraphicsLayoutWidget()
        self.legend_graphics.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                           QtWidgets.QSizePolicy.Policy.Fixed)
        self.legend_graphics.ci.setContentsMargins(0, 0, 0, 0)   # the row's height is the legend's
        self.legend_graphics.setToolTip(LEGEND_TIP.format(metric="accuracy"))
        for g in (self.graphics, self.graphics_accuracy):
            g.setMinimumSize(60, 60)
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        self.accuracy_plot = self.graphics_accuracy.addPlot(row=0, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.accuracy_plot):
            style.apply_plot_style(plot)
            style.cache_axes(plot)
            plot.setLimits(xMin=0)
            # the view decimates what it hands over (see envelope()); recompute when the user zooms
            plot.getViewBox().sigXRangeChanged.connect(self._on_x_range)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_user_range)
            plot.getAxis("left").setWidth(52)
        style.label(self.loss_plot, "left", "loss")
        style.label(self.accuracy_plot, "left", "accuracy")
        style.label(self.accuracy_plot, "bottom", "epoch")
        self.accuracy_plot.setLimits(yMin=-0.12, yMax=1.12)
        self.accuracy_plot.getAxis("left").setTicks(ACCURACY_TICKS)
        # the "1.0" label reaches above the axis's top end: shown all the same
        self.accuracy_plot.getAxis("left").setStyle(hideOverlappingLabels=False)
        self.accuracy_plot.getViewBox().setRange(yRange=ACCURACY_RANGE, padding=0)
        # guessing at random among n classes is right 1 / n of the time
        self.chance_line = pg.InfiniteLine(0.5, angle=0, movable=False, pen=pg.mkPen(
            style.palette().subtle, width=1, style=QtCore.Qt.PenStyle.DashLine),
            label="chance", labelOpts={"position": 0.97, "color": style.palette().muted, "anchors": [(1, 1), (1, 1)]})
        self.chance_line.setVisible(False)
        self.accuracy_plot.addItem(self.chance_line, ignoreBounds=True)
        self.raw_loss_curve, self.smooth_loss_curve, self.epoch_loss_curve, self.epoch_val_loss_curve = \
            self._curves(self.loss_plot)
        self._legend_entries = [(self.raw_loss_curve, "every batch"), (self.smooth_loss_curve, "smoothed"),
                                (self.epoch_loss_curve, "training"), (self.epoch_val_loss_curve, "validation")]
        self.legend = style.make_legend(self._legend_entries, len(self._legend_entries))
        self.legend_graphics.addItem(self.legend, row=0, col=0)
        self.legend_graphics.setFixedHeight(LEGEND_ROW + 12)
        (self.raw_accuracy_curve, self.smooth_accuracy_curve, self.epoch_accuracy_curve,
         self.epoch_val_accuracy_curve) = self._curves(self.accuracy_plot)
        self._loss_epoch_curves = ((self.epoch_loss_curve, "loss", False), (self.epoch_val_loss_curve, "val_loss", True))
        self._accuracy_epoch_curves = ((self.epoch_accuracy_curve, "metric", False),
                                       (self.epoch_val_accuracy_curve, "val_metric", True))
        self._cursors = []
        for plot in (self.loss_plot, self.accuracy_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=style.cursor_pen())
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._cursors.append(line)
        # the timeline's epoch: a labelled line where the other views are showing
        self._epoch_marks = []
        for plot in (self.loss_plot, self.accuracy_plot):
            mark = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(style.palette().timeline_color, width=2),
                                   label="epoch {value:.0f}" if plot is self.loss_plot else None,
                                   labelOpts={"position": 0.92, "color": style.palette().timeline_color})
            mark.setVisible(False)
            plot.addItem(mark, ignoreBounds=True)
            self._epoch_marks.append(mark)
        for g, plot in ((self.graphics, self.loss_plot), (self.graphics_accuracy, self.accuracy_plot)):
            g.scene().sigMouseMoved.connect(lambda pos, plot=plot: self._on_mouse_moved(pos, plot))

    @staticmethod
    def _curves(plot):
        # no dynamic range limiting: it re-renders every curve after each range change, i.e. a
        # second paint per frame (the view decimates its data itself, see envelope())
        kw = dict(skipFiniteCheck=False, dynamicRangeLimit=None)
        # the faint every-batch band is a zigzag of min/max pairs: antialiasing it costs most of a
        # frame and shows nothing a one-pixel aliased line does not
        raw = plot.plot(pen=style.raw_pen(), antialias=False, **kw)
        smooth = plot.plot(pen=style.smooth_pen(), **kw)
        ep_kw = style.epoch_symbol_kwargs(style.TRAIN_COLOR, validation=False)
        val_kw = style.epoch_symbol_kwargs(style.VAL_COLOR, validation=True)
        ep = plot.plot(pen=style.epoch_pen(style.TRAIN_COLOR), connect="finite", **ep_kw)
        val = plot.plot(pen=style.val_epoch_pen(), connect="finite", **val_kw)
        for c, kw in ((ep, ep_kw), (val, val_kw)):  # the legend draws the scatter's look, set only with data
            c.scatter.setPen(kw["symbolPen"])
            c.scatter.setBrush(kw["symbolBrush"])
        for c in (ep, val):
            c.setZValue(2)
        smooth.setZValue(1)
        return raw, smooth, ep, val

    # ---- lifecycle (see viz.views.common.view) -----------------------------------------------------
    def clear(self) -> None:
        """Forget every batch and epoch and empty the plots."""
        self._forget()
        self.chance_line.setVisible(False)
        super().clear()

    @property
    def metric(self) -> str:
        """The metric the second plot shows: ``"accuracy"`` or ``"mae"``."""
        return self.data.metric

    @property
    def metric_title(self) -> str:
        """The second plot's title: ``"Accuracy"`` or ``"Mean absolute error"``."""
        return self._metric_title

    def set_run(self, run) -> None:
        """Show ``run``'s metric (before its first snapshot is kept), then build (:meth:`build`)."""
        self._show_metric(getattr(run, "metric", "accuracy"), getattr(run, "metric_title", "Accuracy"))
        super().set_run(run)

    def _show_metric(self, metric: str, title: str) -> None:
        """The second plot for ``metric``: a fixed 0–1 axis for the accuracy, an axis from 0 that follows
        the data for an error (``"mae"``)."""
        if metric == self.data.metric and title == self._metric_title:
            return
        self.data.set_metric(metric)
        self._metric_title = title
        plot, axis = self.accuracy_plot, self.accuracy_plot.getAxis("left")
        self._fit_metric_label()
        self.legend_graphics.setToolTip(LEGEND_TIP.format(metric=title.lower()))
        self.graphics_accuracy.setToolTip("" if metric == "accuracy" else
                                          f"{title}: the average distance between the network's output and "
                                          "the target (0 is a perfect fit), for every batch and every epoch.")
        if metric == "accuracy":
            plot.setLimits(yMin=-0.12, yMax=1.12)
            axis.setTicks(ACCURACY_TICKS)
            axis.setStyle(hideOverlappingLabels=False)
        else:
            plot.setLimits(yMin=0.0, yMax=None)
            axis.setTicks(None)
            axis.setStyle(hideOverlappingLabels=True)
            self.chance_line.setVisible(False)
        plot.getViewBox().setRange(yRange=self._metric_range(), padding=0)

    def _metric_range(self) -> tuple:
        """The second plot's y range: 0–1 with room for the labels for the accuracy; from 0 to a little
        above the highest error (1 before there is any) for an error."""
        if self.data.metric == "accuracy":
            return ACCURACY_RANGE
        high = self.data.metric_high()
        return (0.0, 1.05 * high if high is not None and high > 0 else 1.0)

    def build(self, run) -> None:
        """The chance line at 1 / ``run.n_classes`` (the accuracy of guessing at random); none for a
        regression run."""
        if self.data.metric != "accuracy":
            self.chance_line.setVisible(False)
            return
        chance = 1.0 / max(int(run.n_classes), 2)
        self.chance_line.setValue(chance)
        self.chance_line.label.setFormat(f"chance (1/{max(int(run.n_classes), 2)})")
        self.chance_line.setToolTip(f"Guessing at random among {run.n_classes} classes is right "
                                    f"{chance:.0%} of the time.")
        self.chance_line.setVisible(True)

    def add_snapshot(self, snap) -> None:
        """Keep a snapshot's batch values and epoch logs; draws nothing (see :meth:`draw`).

        A snapshot whose step is below the last one seen starts over (a new run, a run reset to
        an earlier point): the curves are emptied first. A timeline snapshot (``snap.scrubbed``)
        only moves the epoch marker; training again hides it.
        """
        if snap.scrubbed:
            self.show_epoch(snap.epoch)
            return
        if snap.state == "training" and self._epoch_marks[0].isVisible():
            self.show_epoch(None)
        if snap.step < self.data.last_step:
            self._forget()
        batches, epochs = self.data.add(snap)
        self._dirty |= batches
        self._dirty_epochs |= epochs

    def show_history(self, snap, curves: dict) -> None:
        """Show a reopened run's batch curves (as :meth:`history` gives them) and its epoch logs
        (``snap.epochs``), replacing what is shown."""
        self._forget()
        self._dirty, self._dirty_epochs = self.data.load(curves, snap.epochs)

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Forget every batch after ``step`` (None: after the end of ``epoch``) and every epoch after
        ``epoch`` (a new branch starts there)."""
        self.data.truncate(epoch, step)
        self.show_epoch(None)
        self._dirty = self._dirty_epochs = True

    def draw(self) -> bool:
        """Hand the curves what changed, loss then accuracy; whether anything was drawn."""
        drew = self._refresh_loss()
        self._refresh_accuracy()
        return drew

    def refresh_parts(self) -> tuple:
        """:meth:`draw` as two steps, the loss plot then the accuracy plot: the redraw clock runs
        them in separate event-loop turns, so each plot's paint is a short piece of its own."""
        return (self._refresh_loss, self._refresh_accuracy)

    def part_widgets(self) -> tuple:
        """The widget each of :meth:`refresh_parts` draws in (the clock paints it in a step of its own)."""
        return (self.graphics, self.graphics_accuracy)

    # ---- the timeline and run files ----------------------------------------------------------------
    def show_epoch(self, epoch: float | None) -> None:
        """Mark ``epoch`` on both plots (the timeline's position), or hide the mark."""
        for mark in self._epoch_marks:
            mark.setVisible(epoch is not None)
            if epoch is not None:
                mark.setValue(float(epoch))

    def history(self) -> dict:
        """The batch curves as saved in a run file: ``batch_steps``, ``batch_x``, ``batch_losses``,
        ``batch_accuracies``."""
        return self.data.saved()

    @property
    def n_points(self) -> int:
        """Batches the curves cover so far (the newest exactly, older ones in buckets)."""
        return self.data.n_batches

    # ---- drawing -----------------------------------------------------------------------------------
    def _forget(self) -> None:
        """Empty the history and the plots (a new run, or a run that went back to an earlier step)."""
        self.data.clear()
        for c in self._all_curves():
            c.setData([], [])
        for line in self._cursors + self._epoch_marks:
            line.setVisible(False)
        self.readout.setText(HINT)
        self._dirty = self._dirty_epochs = False
        self._pending_accuracy = (False, False)
        self._user_range = False
        self._fresh = True
        # the old run's ranges go now, not when the new run's first batch comes
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.enableAutoRange()
            plot.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self.accuracy_plot.getViewBox().setRange(yRange=self._metric_range(), padding=0)

    def _refresh_loss(self) -> bool:
        if not (self._dirty or self._dirty_epochs):
            return False
        batches, epochs = self._pending_accuracy
        self._pending_accuracy = (batches or self._dirty, epochs or self._dirty_epochs)
        if self._dirty:
            self._draw_batches(((self.raw_loss_curve, "loss"),), ((self.smooth_loss_curve, "sloss"),))
        if self._dirty_epochs:
            self._draw_epochs(self._loss_epoch_curves)
        self._dirty = self._dirty_epochs = False
        self._follow()
        return True

    def _refresh_accuracy(self) -> bool:
        batches, epochs = self._pending_accuracy
        if not (batches or epochs):
            return False
        self._pending_accuracy = (False, False)
        if batches:
            self._draw_batches(((self.raw_accuracy_curve, "acc"),), ((self.smooth_accuracy_curve, "sacc"),))
        if epochs:
            self._draw_epochs(self._accuracy_epoch_curves)
        return True

    def _draw_batches(self, raw, smooth) -> None:
        sl = self._visible()
        for curve, key in raw:
            curve.setData(*self.data.raw_band(key, sl.start, sl.stop))
        for curve, key in smooth:
            curve.setData(*self.data.smooth_line(key, sl.start, sl.stop))

    def _draw_epochs(self, curves) -> None:
        """``curves``: ``(curve, log key, validation?)`` triples of one plot."""
        # past a few hundred epochs the markers merge into a band and only cost time: lines alone
        symbols = self.data.n_epochs <= MAX_EPOCH_SYMBOLS
        for curve, key, val in curves:
            if (curve.opts["symbol"] is not None) != symbols:
                curve.setSymbol((style.VAL_SYMBOL if val else style.TRAIN_SYMBOL) if symbols else None)
            curve.setData(*self.data.epoch_line(key))

    def _all_curves(self):
        return (self.raw_loss_curve, self.smooth_loss_curve, self.epoch_loss_curve, self.epoch_val_loss_curve,
                self.raw_accuracy_curve, self.smooth_accuracy_curve, self.epoch_accuracy_curve,
                self.epoch_val_accuracy_curve)

    # ---- following the run, zooming ----------------------------------------------------------------
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
        if following and self.data.n_batches:
            vb = self.loss_plot.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            xmax = self.data.x_at(-1)
            new_x1 = x1
            fresh, self._fresh = self._fresh, False     # a new run: ranges from its data alone
            if fresh or xmax > x1 or x1 > 2 * xmax + 1 or x0 != 0:
                new_x1 = max(xmax * 1.25, 1.0)
            lo, hi = self.data.loss_bounds(self.log_checkbox.isChecked())
            new_y = (y0, y1)
            if lo is not None and (fresh or lo < y0 or hi > y1 or (hi - lo) < 0.5 * (y1 - y0)):
                pad = 0.05 * max(hi - lo, 1e-6)
                new_y = (lo - pad, hi + pad)
            if (new_x1, new_y) != (x1, (y0, y1)):
                vb.setRange(xRange=(0, new_x1), yRange=new_y, padding=0)
            self._follow_metric(fresh)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getViewBox().updateMatrix()

    def _follow_metric(self, fresh: bool) -> None:
        """The second plot's y range: fixed for the accuracy; for an error from 0, changed only when the
        data leaves it or fills less than half of it (as the loss's)."""
        vb = self.accuracy_plot.getViewBox()
        target = self._metric_range()
        if self.data.metric == "accuracy" or fresh:
            vb.setRange(yRange=target, padding=0)
            return
        top = vb.viewRange()[1][1]
        if target[1] > top or target[1] < 0.5 * top:
            vb.setRange(yRange=target, padding=0)

    def _on_user_range(self, *_):
        """The user zoomed or panned (mouse, wheel, menu): stop following the run."""
        self._user_range = True

    def zoom_x(self, x0: float, x1: float) -> None:
        """Show epochs ``x0``..``x1`` as a user zoom would (the view stops following the run)."""
        self._user_range = True
        self.loss_plot.setXRange(x0, x1, padding=0)

    def _visible(self) -> slice:
        """The rows of batches inside the zoomed x range (all of them when following the run)."""
        n = len(self.data.batch_rows)
        if self._following() or n == 0:
            return slice(0, n)
        return self.data.between(*self.loss_plot.getViewBox().viewRange()[0])

    def _on_x_range(self, *_):
        """A zoom shows the batches in range at full resolution: drawn at once."""
        if len(self.data.batch_rows) > 2 * MAX_BINS and not self._following():
            self._dirty = True
            self.draw()

    # ---- smoothing, log scale ----------------------------------------------------------------------
    @property
    def smoothing(self) -> float:
        """The EMA factor in ``[0, 0.99]``."""
        return self.data.alpha

    def set_smoothing(self, alpha: float) -> None:
        """Set the EMA factor (clipped to ``[0, 0.99]``), recompute and redraw the smoothed curves."""
        self.smoothing_slider.setValue(round(min(max(float(alpha), 0.0), SMOOTHING_MAX) * 100))

    def _on_smoothing(self, value: int) -> None:
        """The slider moved: smooth anew and draw at once (the user is watching)."""
        smoothed_anew = self.data.set_alpha(value / 100.0)
        self._smoothing_value.setText(f"{self.data.alpha:.2f}")
        if smoothed_anew:
            self._dirty = True
            self.draw()

    def set_log_scale(self, on: bool) -> None:
        """Show the loss on a log10 axis (``on``) or a linear one, drawn at once."""
        on = bool(on)
        if self.log_checkbox.isChecked() != on:
            self.log_checkbox.setChecked(on)  # comes back here through toggled
            return
        self.loss_plot.setLogMode(x=False, y=on)
        self.loss_plot.enableAutoRange(axis="y")
        self._dirty = True
        self.draw()

    # ---- hover, legend -----------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos, plot) -> None:
        if plot.sceneBoundingRect().contains(scene_pos):
            self.show_readout(plot.getViewBox().mapSceneToView(scene_pos).x())

    def show_readout(self, x: float) -> str:
        """Describe the batch nearest to epoch position ``x`` in the readout label; returns the text."""
        i = self.data.nearest(x)
        if i is None:
            for line in self._cursors:
                line.setVisible(False)
            self.readout.setText(HINT)
            return self.readout.text()
        text = self.data.describe(i)
        for line in self._cursors:
            line.setPos(self.data.x_at(i))
            line.setVisible(True)
        self.readout.setText(text)
        return text

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Side by side in a wide, short dock; wrap the legend onto more rows when the dock is narrow."""
        super().resizeEvent(event)
        self._arrange(self.width(), self.height())
        # once the layout has given the legend its new width
        QtCore.QTimer.singleShot(0, self, self._fit_legend)

    def _arrange(self, width: int, height: int) -> None:
        """Loss beside accuracy when ``width`` is at least :data:`SIDE_BY_SIDE_WIDTH` and stacked plots
        would be shorter than :data:`SIDE_BY_SIDE_HEIGHT`; one above the other otherwise."""
        side = width >= SIDE_BY_SIDE_WIDTH and (height < SIDE_BY_SIDE_HEIGHT or width > 2 * height)
        if side == self.side_by_side:
            return
        self.side_by_side = side
        Direction = QtWidgets.QBoxLayout.Direction
        self._plots_box.setDirection(Direction.LeftToRight if side else Direction.TopToBottom)
        # side by side each plot says "epoch"; stacked only the lower one does
        style.label(self.loss_plot, "bottom", "epoch" if side else "")
        self.loss_plot.showLabel("bottom", side)

    def _fit_metric_label(self) -> None:
        """The metric axis's title in full (``"mean absolute error"``) where the plot is tall enough,
        else its short form (``"MAE"``)."""
        axis = self.accuracy_plot.getAxis("left")
        full = self._metric_title[:1].lower() + self._metric_title[1:]
        text = full
        if self.data.metric in SHORT_TITLES:
            style.label(self.accuracy_plot, "left", full)
            if axis.label.boundingRect().width() > axis.height() - 4:
                text = SHORT_TITLES[self.data.metric]
        if axis.labelText != text:
            style.label(self.accuracy_plot, "left", text)

    def _fit_legend(self) -> None:
        self._fit_metric_label()
        self.legend = style.refit_legend(self.legend_graphics, self.legend, self._legend_entries, row=0)
        rows = -(-len(self._legend_entries) // max(self.legend.columnCount, 1))
        self.legend_graphics.setFixedHeight(12 + LEGEND_ROW * rows)
