"""Loss and accuracy curves: every batch (faint), smoothed (bold), every epoch (train and validation).

The view only buffers and draws. :meth:`CurvesView.add_snapshot` appends a
snapshot's batch values to float32 buffers that double when full and marks the
view dirty; :meth:`CurvesView.refresh`, called by the app's redraw timer, hands the
filled part of the buffers to the curves with ``setData`` only when something
changed. Auto-downsampling (``peak``) and clipping to the visible range keep it
smooth at 100,000 points and more.

The x axis is the epoch as a float: a batch ``s`` trained when the snapshot was
taken at ``(epoch, batch)`` sits at ``epoch + batch / batches_per_epoch - (step - s) /
batches_per_epoch``, which is ``s / batches_per_epoch`` while the batch size stays
the same, and the end of epoch ``e`` sits exactly at ``e``, where its per-epoch point is.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from viz import style
from viz.views.training.curve_data import (MAX_BINS, SMOOTH_POINTS, SMOOTHING_MAX, Growing, ema,  # noqa: F401 - tests
                                  envelope, thin)
from viz.views.training.curve_navigation import HINT as _HINT
from viz.views.training.curve_navigation import CurveNavigation

SMOOTHING_DEFAULT = 0.9
MAX_EPOCH_SYMBOLS = 300
_EPOCH_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")


class CurvesView(CurveNavigation, QtWidgets.QWidget):
    """Stacked loss and accuracy plots sharing an "epoch" x axis.

    Public items (for the app and the tests): ``loss_plot``, ``accuracy_plot``,
    ``raw_loss_curve``, ``smooth_loss_curve``, ``epoch_loss_curve``, ``epoch_val_loss_curve``,
    ``raw_accuracy_curve``, ``smooth_accuracy_curve``, ``epoch_accuracy_curve``,
    ``epoch_val_accuracy_curve``, ``smoothing_slider``, ``log_checkbox``, ``readout``.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._buf = Growing(("x", "step", "loss", "acc", "sloss", "sacc"))
        self._ep = Growing(_EPOCH_KEYS, capacity=64)   # per-epoch logs, NaN where missing
        self._dirty = self._dirty_epochs = False
        self._pending_accuracy = (False, False)   # (batches, epochs) the accuracy plot has still to draw
        self._last_step = 0
        self._alpha = SMOOTHING_DEFAULT
        self._user_range = False   # True once the user zooms or pans (see _following)
        self._build_controls()
        self._build_plots()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 2)
        lay.setSpacing(2)
        lay.addLayout(self._controls)
        lay.addWidget(self.graphics, 4)
        lay.addWidget(self.graphics_accuracy, 3)
        lay.addWidget(self.readout)

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
        self._smoothing_value.setText(f"{self._alpha:.2f}")
        self.readout = QtWidgets.QLabel(_HINT)
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
        self.graphics = pg.GraphicsLayoutWidget()             # the legend and the loss
        self.graphics.ci.layout.setSpacing(4)
        self.graphics_accuracy = pg.GraphicsLayoutWidget()    # the accuracy, same epochs
        for g in (self.graphics, self.graphics_accuracy):
            g.setMinimumHeight(90)
        self.loss_plot = self.graphics.addPlot(row=1, col=0)
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
        self.accuracy_plot.setLimits(yMin=-0.05, yMax=1.05)
        self.raw_loss_curve, self.smooth_loss_curve, self.epoch_loss_curve, self.epoch_val_loss_curve = \
            self._curves(self.loss_plot)
        self._legend_entries = [(self.raw_loss_curve, "every batch"), (self.smooth_loss_curve, "batches, smoothed"),
                                (self.epoch_loss_curve, "training (per epoch)"),
                                (self.epoch_val_loss_curve, "validation (per epoch)")]
        self.legend = style.make_legend(self._legend_entries, len(self._legend_entries))
        self.graphics.addItem(self.legend, row=0, col=0)
        (self.raw_accuracy_curve, self.smooth_accuracy_curve, self.epoch_accuracy_curve,
         self.epoch_val_accuracy_curve) = self._curves(self.accuracy_plot)
        self._loss_epoch_curves = ((self.epoch_loss_curve, "loss", False), (self.epoch_val_loss_curve, "val_loss", True))
        self._accuracy_epoch_curves = ((self.epoch_accuracy_curve, "accuracy", False),
                                       (self.epoch_val_accuracy_curve, "val_accuracy", True))
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

    # ---- public interface --------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every batch and epoch and empty the plots."""
        self._buf.clear()
        self._ep.clear()
        self._last_step = 0
        for c in self._all_curves():
            c.setData([], [])
        for line in self._cursors + self._epoch_marks:
            line.setVisible(False)
        self.readout.setText(_HINT)
        self._dirty = self._dirty_epochs = False
        self._pending_accuracy = (False, False)
        self._user_range = False
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.enableAutoRange()

    def add_snapshot(self, snap) -> None:
        """Buffer a snapshot's batch values and epoch logs; draws nothing (see :meth:`refresh`).

        A snapshot whose step is below the last one seen starts a new run: the view
        clears itself first. A timeline snapshot (``extras["scrub"]``) only moves the
        epoch marker; training again hides it.
        """
        if snap.extras.get("scrub"):
            self.show_epoch(snap.epoch)
            return
        if snap.state == "training" and self._epoch_marks[0].isVisible():
            self.show_epoch(None)
        if snap.step < self._last_step:
            self.clear()
        self._last_step = snap.step
        steps = np.asarray(snap.batch_steps)
        if len(steps):
            bpe = max(int(snap.batches_per_epoch), 1)
            now = snap.epoch + snap.batch / bpe
            x = now - (snap.step - steps.astype(np.float64)) / bpe
            if self._buf.n:  # keep x increasing even if the batch size changed mid-run
                x = np.maximum(x, float(self._buf.view("x")[-1]))
            x = np.maximum.accumulate(x)
            loss = np.asarray(snap.batch_losses, dtype=np.float32)
            acc = np.asarray(snap.batch_accuracies, dtype=np.float32)
            prev_l = float(self._buf.view("sloss")[-1]) if self._buf.n else None
            prev_a = float(self._buf.view("sacc")[-1]) if self._buf.n else None
            self._buf.append(x=x, step=steps, loss=loss, acc=acc,
                             sloss=ema(loss, self._alpha, prev_l), sacc=ema(acc, self._alpha, prev_a))
            self._dirty = True
        if snap.epochs:
            self._ep.append(**{k: np.array([e.get(k, np.nan) for e in snap.epochs], dtype=np.float32)
                               for k in _EPOCH_KEYS})
            self._dirty_epochs = True

    def show_epoch(self, epoch: float | None) -> None:
        """Mark ``epoch`` on both plots (the timeline's position), or hide the mark."""
        for mark in self._epoch_marks:
            mark.setVisible(epoch is not None)
            if epoch is not None:
                mark.setValue(float(epoch))

    def truncate(self, epoch: int, step: int) -> None:
        """Forget every batch after ``step`` and every epoch after ``epoch`` (a new branch starts there)."""
        b = self._buf
        b.n = int(np.searchsorted(b.view("step"), step, side="right"))
        self._ep.n = int(np.searchsorted(self._ep.view("epoch"), epoch, side="right"))
        self._last_step = step
        self.show_epoch(None)
        self._dirty = self._dirty_epochs = True

    def history(self) -> dict:
        """The batch curves as saved in a run file: ``batch_steps``, ``batch_x``, ``batch_losses``,
        ``batch_accuracies``."""
        b = self._buf
        return {"batch_steps": b.view("step").astype(np.int64), "batch_x": b.view("x").astype(np.float64),
                "batch_losses": b.view("loss").copy(), "batch_accuracies": b.view("acc").copy()}

    def load_history(self, curves: dict, epoch_logs=()) -> None:
        """Show a saved run's curves (see :meth:`history`) and epoch logs, replacing what is shown."""
        self.clear()
        loss = np.asarray(curves.get("batch_losses", ()), dtype=np.float32)
        if len(loss):
            acc = np.asarray(curves.get("batch_accuracies", np.full(len(loss), np.nan)), dtype=np.float32)
            self._buf.append(x=np.asarray(curves["batch_x"]), step=np.asarray(curves["batch_steps"]),
                             loss=loss, acc=acc, sloss=ema(loss, self._alpha), sacc=ema(acc, self._alpha))
            self._last_step = int(curves["batch_steps"][-1])
            self._dirty = True
        if epoch_logs:
            self._ep.append(**{k: np.array([e.get(k, np.nan) for e in epoch_logs], dtype=np.float32)
                               for k in _EPOCH_KEYS})
            self._dirty_epochs = True

    def refresh(self) -> bool:
        """Hand the buffered data to the curves if anything changed; returns whether it did."""
        drew = self._refresh_loss()
        self._refresh_accuracy()
        return drew

    def refresh_parts(self) -> tuple:
        """:meth:`refresh` as two steps, the loss plot then the accuracy plot: the app's redraws run
        them in separate event-loop turns, so each plot's paint is a short piece of its own."""
        return (self._refresh_loss, self._refresh_accuracy)

    def part_widgets(self) -> tuple:
        """The widget each of :meth:`refresh_parts` draws in (the redraws paint it in a step of its own)."""
        return (self.graphics, self.graphics_accuracy)

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
        b = self._buf
        x = b.view("x")
        sl = self._visible(x)
        x = x[sl]
        for curve, key in raw:
            curve.setData(*envelope(x, b.view(key)[sl]))
        for curve, key in smooth:
            curve.setData(*thin(x, b.view(key)[sl]))

    def _draw_epochs(self, curves) -> None:
        """``curves``: ``(curve, log key, validation?)`` triples of one plot."""
        ex = self._ep.view("epoch")
        # past a few hundred epochs the markers merge into a band and only cost time: lines alone
        symbols = len(ex) <= MAX_EPOCH_SYMBOLS
        for curve, key, val in curves:
            if (curve.opts["symbol"] is not None) != symbols:
                curve.setSymbol((style.VAL_SYMBOL if val else style.TRAIN_SYMBOL) if symbols else None)
            y = self._ep.view(key)
            keep = np.isfinite(y) & np.isfinite(ex)
            curve.setData(*envelope(ex[keep], y[keep]))

    # ---- smoothing / log scale ---------------------------------------------------------------------
    @property
    def smoothing(self) -> float:
        """The EMA factor in ``[0, 0.99]``."""
        return self._alpha

    def set_smoothing(self, alpha: float) -> None:
        """Set the EMA factor (clipped to ``[0, 0.99]``), recompute and redraw the smoothed curves."""
        self.smoothing_slider.setValue(round(min(max(float(alpha), 0.0), SMOOTHING_MAX) * 100))

    def _on_smoothing(self, value: int) -> None:
        self._alpha = min(max(value / 100.0, 0.0), SMOOTHING_MAX)
        self._smoothing_value.setText(f"{self._alpha:.2f}")
        b = self._buf
        if b.n:
            b.cols["sloss"][:b.n] = ema(b.view("loss"), self._alpha)
            b.cols["sacc"][:b.n] = ema(b.view("acc"), self._alpha)
            self._dirty = True
            self.refresh()

    def set_log_scale(self, on: bool) -> None:
        """Show the loss on a log10 axis (``on``) or a linear one."""
        on = bool(on)
        if self.log_checkbox.isChecked() != on:
            self.log_checkbox.setChecked(on)  # comes back here through toggled
            return
        self.loss_plot.setLogMode(x=False, y=on)
        self.loss_plot.enableAutoRange(axis="y")
        self._dirty = True
        self.refresh()

    # ---- helpers -----------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Wrap the legend onto more rows when the dock is narrow."""
        super().resizeEvent(event)
        # once the layout has given the plot area its new width
        QtCore.QTimer.singleShot(0, self, self._fit_legend)

    def _fit_legend(self) -> None:
        self.legend = style.refit_legend(self.graphics, self.legend, self._legend_entries, row=0)

    def _all_curves(self):
        return (self.raw_loss_curve, self.smooth_loss_curve, self.epoch_loss_curve, self.epoch_val_loss_curve,
                self.raw_accuracy_curve, self.smooth_accuracy_curve, self.epoch_accuracy_curve,
                self.epoch_val_accuracy_curve)

    @property
    def n_points(self) -> int:
        """Batches buffered so far."""
        return self._buf.n
