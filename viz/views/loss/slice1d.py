"""The loss along one line through the current weights, and the step the optimizer is about to take.

The book's fig. 2.11: :func:`core.analysis.loss.slices.slice_1d` computes the loss along a
direction (the next step's, a random filter-normalised one, or one weight's) and
the optimizer's next step (:func:`core.analysis.loss.slices.next_step`); this view draws the
curve, the current point with its tangent, and where the step lands.

Which step, on which batch, is decided in :mod:`viz.views.loss.slice_job`: exactly the trainer's
next update when the snapshot comes with the trainer's checkpoint (training paused or
stepped), else plain gradient descent. Either is taken on the view's sample of up to
:data:`MAX_POINTS` training points unless the view holds the whole training set.

The curve itself is always the loss on that sample. Everything is computed in a background job
(:func:`viz.views.loss.slice_job.compute_slice` in a :class:`viz.views.common.jobs.JobRunner`: an
image network's slice takes seconds on a busy core), so the GUI thread only draws;
:meth:`SliceView.wait` waits for the result (tests), :meth:`SliceView.finish` only when nothing
is drawn yet (exports), and closing the view or its window joins the thread. While live, the
redraw clock starts a new slice at most every ``min_interval`` seconds: 0.25, or four times what
the last slice took, so the job uses at most a quarter of a core.
"""
from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.loss import planes
from core.run.config import targets_for
from viz import style
from viz.views.common.flow import control_row, ignore_height_hint
from viz.views.common.jobs import JobRunner
from viz.views.common.pictures import export_png, export_svg
from viz.views.common.view import View
from viz.views.loss.compact import compact
from viz.views.loss.slice_job import (
    GD_LABEL,
    RESOLUTION,
    SliceJob,
    compute_slice,
    short_step_label,
    trainer_step,
)

MAX_POINTS = 500           # training points the slice is evaluated on
BUSY_FACTOR = 4            # after a slice that took t seconds, not before 4 t: the worker uses <= 25 % of a core
DIRECTIONS = {"step": "Along the next step", "random": "Along a random line", "weight": "Along one weight"}
#: wider than this many times its height, the plot's legend is beside it (else under it)
LEGEND_BESIDE_RATIO = 1.6
CURVE_COLOR = style.TRAIN_COLOR
STEP_COLOR = "#D55E00"


class SliceView(View):
    """Loss along a line through the current weights, with the current point and the next step.

    Public items: ``direction_combo``, ``weight_spin``, ``span_spin``, ``auto_span``,
    ``live_check``, ``update_button``, ``plot``, ``curve``, ``point``, ``tangent``,
    ``step_mark``, ``step_arrow``, ``slice`` (the newest :class:`core.analysis.loss.slices.Slice`),
    ``runner`` (the :class:`~viz.views.common.jobs.JobRunner` computing it); signal
    ``computed()`` after each slice is drawn.
    """

    computed = QtCore.Signal()
    #: live slices at most this often; after a slice, ``BUSY_FACTOR`` times what it took, if more
    min_interval = 0.25

    def __init__(self, parent=None):
        super().__init__(parent)
        self._built = None            # this thread's model, built when first needed (next_step, a weight's name)
        self._spare = None            # the model the last finished job built (a 4096 x 4096 one takes ~1 s)
        self._x = self._y = None
        self._names = 0
        self._weights = None
        self._hyper = {}
        self._epoch = 0
        self._train = None            # (x, targets) of the whole training set, when the view has it all
        self._ckpt = None             # the trainer's checkpoint at the shown weights, if it sent one
        self.step_text = GD_LABEL     # what the arrow shows
        self.batch_text = ""          # which batch the step is taken on
        self._dirty = False
        self.slice = None
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_result)
        self.runner.failed.connect(self._on_failed)
        self._build_widgets()

    def _build_widgets(self) -> None:
        self.direction_combo = QtWidgets.QComboBox()
        for key, text in DIRECTIONS.items():
            self.direction_combo.addItem(text, key)
        self.direction_combo.setToolTip("The line through the current weights the loss is drawn along: the "
                                        "optimizer's next step, a fixed random direction (filter-normalised), or "
                                        "one weight alone with the others frozen.")
        self.direction_combo.currentIndexChanged.connect(self._on_option)
        self.weight_spin = QtWidgets.QSpinBox()
        self.weight_spin.setPrefix("weight ")
        self.weight_spin.setToolTip("Flat index (get_weights order) of the weight to vary.")
        self.weight_spin.valueChanged.connect(self._on_option)
        self.weight_name = QtWidgets.QLabel()
        self.weight_name.setStyleSheet(style.palette().readout_css)
        self.span_spin = QtWidgets.QDoubleSpinBox()
        self.span_spin.setRange(1e-4, 100.0)
        self.span_spin.setDecimals(4)
        self.span_spin.setValue(1.0)
        self.span_spin.setPrefix("span ±")
        self.span_spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.span_spin.setToolTip("How far along the line to look on either side of the current weights.")
        self.span_spin.valueChanged.connect(self._on_option)
        self.auto_span = QtWidgets.QCheckBox("Fit the step")
        self.auto_span.setChecked(True)
        self.auto_span.setToolTip("Choose the span so the next step fills about a third of the plot.")
        self.auto_span.toggled.connect(self._on_option)
        self.live_check = QtWidgets.QCheckBox("Live")
        self.live_check.setChecked(True)
        self.live_check.setToolTip("Recompute the slice as training moves the weights (a few times a second).")
        self.update_button = QtWidgets.QPushButton("Update")
        self.update_button.setToolTip("Recompute the slice at the current weights now.")
        self.update_button.clicked.connect(self.compute)
        top = compact(control_row(self, (self.direction_combo, self.weight_spin, self.weight_name,
                                         self.span_spin, self.auto_span, self.live_check, self.update_button),
                                  "slice", "Export slice", "Save the slice (t, loss, accuracy) as CSV.",
                                  lambda p: self.export_csv(p)))

        self.graphics = ignore_height_hint(pg.GraphicsLayoutWidget())
        self.graphics.setMinimumHeight(150)   # a dock never squeezes the plot flat
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        style.title(self.plot, "Loss along a line")
        for side in ("left", "bottom"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        style.label(self.plot, "left", "training loss")
        style.label(self.plot, "bottom", "t")
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(CURVE_COLOR, width=2), connect="finite")
        self.tangent = pg.PlotCurveItem(pen=pg.mkPen(style.palette().muted, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        self.step_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(STEP_COLOR, width=1,
                                                                style=QtCore.Qt.PenStyle.DotLine))
        self.step_arrow = pg.PlotCurveItem(pen=pg.mkPen(STEP_COLOR, width=2.5))
        self.point = pg.ScatterPlotItem(size=12, pen=pg.mkPen(style.palette().foreground, width=1),
                                        brush=pg.mkBrush("#ffdd33"))
        self.step_mark = pg.ScatterPlotItem(symbol="t2", size=13, pen=pg.mkPen("#ffffff", width=1),
                                            brush=pg.mkBrush(STEP_COLOR))
        for z, item in enumerate((self.curve, self.tangent, self.step_line, self.step_arrow, self.point,
                                  self.step_mark)):
            item.setZValue(z)
            self.plot.addItem(item, ignoreBounds=item is self.step_line)
        self.step_line.setVisible(False)
        entries = [(pg.PlotDataItem(pen=pg.mkPen(CURVE_COLOR, width=2)), "loss along the line"),
                   (pg.ScatterPlotItem(size=10, brush=pg.mkBrush("#ffdd33"), pen=pg.mkPen(style.palette().foreground)),
                    "current weights"),
                   (pg.PlotDataItem(pen=pg.mkPen(style.palette().muted, width=1.5, style=QtCore.Qt.PenStyle.DashLine)),
                    "slope"),
                   (pg.PlotDataItem(pen=pg.mkPen(STEP_COLOR, width=2.5), symbol="t2", symbolSize=11,
                                    symbolBrush=STEP_COLOR, symbolPen="#ffffff"), GD_LABEL)]
        self.legend = style.make_legend(entries, 1)
        self._beside = None
        self._place_legend(True)
        self.readout = QtWidgets.QLabel("Waiting for weights from training.")
        self.readout.setStyleSheet(style.palette().readout_css)
        self.readout.setWordWrap(True)
        self.readout.setToolTip("The loss at the current weights, the slope along the line and the size of the "
                                "next step.")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(top)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.readout)
        self._on_option()

    # ---- the view's lifecycle --------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run, the weights and the drawn slice (a computation still running is dropped, not
        waited for)."""
        self.runner.cancel()
        self._weights, self.slice, self._dirty = None, None, False
        self._train = self._ckpt = self._built = self._spare = None
        self._names = 0
        for item in (self.curve, self.tangent, self.step_arrow, self.point, self.step_mark):
            item.setData([], [])
        self.step_line.setVisible(False)
        self.readout.setText("Waiting for weights from training.")
        super().clear()

    def build(self, run) -> None:
        """The sample of up to ``MAX_POINTS`` training points the slice is evaluated on, and the whole
        training set when the view has it all (the network is built by the first job, not in this turn)."""
        self._train = self._ckpt = self._built = self._spare = None
        self._names = 0
        x, labels = np.asarray(run.x_train, np.float32), run.targets_train
        if run.n_train == len(x):      # the whole training set: the trainer's next batch can be redrawn
            self._train = (x, targets_for(run.config, labels, run.n_classes))
        if len(x) > MAX_POINTS:
            pick = np.sort(np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False))
            x, labels = x[pick], labels[pick]
        self._x, self._y = x, targets_for(run.config, labels, run.n_classes)
        self._show_name()

    @property
    def _model(self):
        """The run's network in the GUI thread (for :meth:`next_step` and a weight's name), built on first use."""
        if self._built is None and self.run is not None:
            self._built = self.run.model()
        return self._built

    def add_snapshot(self, snap) -> None:
        """Keep the newest weights and hyperparameters (heavy snapshots); marks dirty."""
        if snap.weights and self.built:
            self._weights = [np.array(w) for w in snap.weights]
            if self._names != sum(w.size for w in self._weights):
                self._names = sum(w.size for w in self._weights)   # names made one at a time (407,000 for MNIST)
                self.weight_spin.setRange(0, self._names - 1)
            self._hyper = dict(snap.hyperparameters or {})
            self._epoch = snap.epoch
            found = [snap.checkpoint, *(snap.checkpoints or ())]
            self._ckpt = next((c for c in found if c is not None and c.step == snap.step
                               and c.weights.size == sum(w.size for w in self._weights)), None)
            self._dirty = True

    def draw(self) -> bool:
        """Start a slice at the newest weights when they came and the view is live (the redraw clock
        calls it at most every ``min_interval`` seconds); whether one was started."""
        if not self._dirty or not self.live_check.isChecked() or self.runner.busy:
            return False               # busy: its result asks for a redraw
        return self.compute()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        """Cancel and join the worker thread."""
        self.runner.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel and join the worker thread (the view's window closing does it too)."""
        self.runner.shutdown()

    def finish(self) -> None:
        """Before a picture is taken: when no slice is drawn yet, start one (if live and due) and wait
        for it. A drawn slice is kept as it is: waiting for the running one would block the GUI for
        as long as it takes (seconds for an image network on a busy core); its result comes later."""
        super().finish()
        if self.slice is not None:
            return
        if self._dirty and self.live_check.isChecked() and not self.runner.busy:
            self.compute()
        self.wait()

    def wait(self) -> None:
        """Block until the running slice, if any, is computed, and draw it (tests, scripts)."""
        done = self.runner.wait()
        if done is not None and done[1] is not None:
            self._on_failed(done[1])
        elif done is not None and done[0] is not None:
            self._on_result(done[0])

    # ---- computing and drawing -----------------------------------------------------------------
    def compute(self) -> bool:
        """Start computing the slice at the newest weights in the worker thread (one running is
        dropped); returns False when there are no weights yet. The result is drawn when it comes
        (``computed`` is emitted), or at once by :meth:`finish`."""
        if self.run is None or self._weights is None:
            return False
        self._dirty = False
        job = SliceJob(run=self.run, weights=self._weights, model=self._spare,
                       x=self._x, y=self._y, kind=self.direction_combo.currentData(),
                       weight=self.weight_spin.value(), span=self.span_spin.value(),
                       auto=self.auto_span.isChecked(), hyper=dict(self._hyper), ckpt=self._ckpt,
                       train=self._train, resolution=RESOLUTION)
        self._spare = None             # a job's model is its own
        self.runner.watch(self)
        self.runner.start(lambda cancel, progress: compute_slice(job, cancel=cancel), "uncrumple-slice")
        if self.slice is None:
            self.readout.setText(f"Computing the loss along the line on {len(self._x):,} training points…")
        return True

    def _on_result(self, result) -> None:
        """The job's slice: drawn; live updates wait ``BUSY_FACTOR`` times what it cost."""
        self.slice, self.step_text, self.batch_text = result.slice, result.step_text, result.batch_text
        self._spare = result.model
        self._draw(result.slice)
        self.min_interval = max(type(self).min_interval, BUSY_FACTOR * result.seconds)
        self.computed.emit()
        if self._dirty:
            self.redraw_wanted.emit()  # weights that came meanwhile: the clock starts their slice when due

    def _on_failed(self, message: str) -> None:
        self.readout.setText(f"The slice could not be computed: {message}")

    def next_step(self) -> np.ndarray:
        """The step the arrow shows at the model's current weights; sets ``step_text`` and ``batch_text``.

        With the trainer's checkpoint: its optimizer, state and hyperparameters, on the
        trainer's next batch when the view has the whole training set. Without: plain
        gradient descent at the current learning rate. See :func:`viz.views.loss.slice_job.trainer_step`.
        """
        step, self.step_text, self.batch_text = trainer_step(self._model, self._x, self._y, self.run.config,
                                                             self._hyper, self._ckpt, self._train)
        return step

    def _draw(self, s) -> None:
        t = np.asarray(s.t, dtype=np.float64)
        losses = np.asarray(s.losses, dtype=np.float64)
        self.curve.setData(t, losses, connect="finite")
        half = 0.25 * (t[-1] - t[0])
        if np.isfinite([s.loss, s.slope]).all():
            self.point.setData([0.0], [s.loss])
            self.tangent.setData([-half, half], [s.loss - s.slope * half, s.loss + s.slope * half])
        else:                          # diverged weights: nothing honest to mark
            self.point.setData([], [])
            self.tangent.setData([], [])
        with np.errstate(all="ignore"):
            landed = float(np.interp(s.step, t, losses)) if np.isfinite(s.step) else np.nan
        if np.isfinite([landed, s.loss]).all():
            self.step_mark.setData([s.step], [landed])
            self.step_arrow.setData([0.0, s.step], [s.loss, landed])
            self.step_line.setPos(s.step)
            self.step_line.setVisible(True)
        else:
            self.step_mark.setData([], [])
            self.step_arrow.setData([], [])
            self.step_line.setVisible(False)
        finite = losses[np.isfinite(losses)]
        if len(finite):
            lo, hi = float(finite.min()), float(np.percentile(finite, 98))
            pad = 0.05 * max(hi - lo, 1e-6)
            self.plot.setRange(xRange=(t[0], t[-1]), yRange=(lo - pad, hi + pad), padding=0)
        style.label(self.plot, "bottom", s.label)
        # pyqtgraph 0.14's enableAutoSIPrefix(False) still scales by the range it sees (±0.05 read as ±50)
        bottom = self.plot.getAxis("bottom")
        bottom.setSIPrefixEnableRanges(())
        bottom.updateAutoSIPrefix()
        style.title(self.plot, f"Loss along a line · epoch {self._epoch}")
        self.plot.titleLabel.setToolTip(f"The loss along a line through the weights of epoch {self._epoch}.")
        self._set_step_legend(self.step_text)
        self.step_mark.setToolTip(f"{self.step_text}. {self.batch_text}")
        points = self.points_text()
        self.readout.setText(f"Training loss here {s.loss:.4g} (on {points}) · slope {s.slope:.3g} · "
                             f"{self.step_text}: t = {s.step:.3g}"
                             + (f" → loss {landed:.4g}" if np.isfinite(landed) else "")
                             + f"\n{self.batch_text}")
        why = (f"The curve is the loss of the network on {points}, at every point of the line. The status bar "
               "shows the epoch's training loss instead: the mean of the losses of the epoch's batches, each "
               "taken before its update while the weights were still moving, so the two differ a little.")
        self.readout.setToolTip(why)
        self.plot.getAxis("left").setToolTip(why)

    def points_text(self) -> str:
        """Which points the curve's loss is taken on: "all 160 training points" or "a sample of 500 of the
        48,000 training points"."""
        n, total = len(self._x), self.run.n_train if self.run is not None else len(self._x)
        return f"all {n:,} training points" if n >= total else f"a sample of {n:,} of the {total:,} training points"

    def _set_step_legend(self, text: str) -> None:
        """The arrow's legend entry shows the short label; like an elided title, ``.text`` and the
        tooltip keep the whole ``text`` (the readout under the plot says it too)."""
        label = self.legend.items[-1][1]
        if label.text != text:
            pg.LabelItem.setText(label, short_step_label(text))
            label.text = text
            label.setToolTip(text)

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._place_legend(self.width() > LEGEND_BESIDE_RATIO * self.height())

    def _place_legend(self, beside: bool) -> None:
        """The legend in one column beside the plot (a wide, short dock) or in two under it."""
        if beside == self._beside:
            return
        self._beside = beside
        ci = self.graphics.ci
        entries = [(item, label.text) for item, label in self.legend.items]
        entries[-1] = (entries[-1][0], short_step_label(self.step_text))
        if self.legend.scene() is not None:
            ci.removeItem(self.legend)
        self.legend = style.make_legend(entries, 1 if beside else 2)
        self.legend.layout.setContentsMargins(4, 0, 4, 0)
        self.legend.setMaximumHeight(22 * len(entries) + 4 if beside else 44)   # not stretched to the plot's height
        ci.addItem(self.legend, *((0, 1) if beside else (1, 0)))
        lay = ci.layout
        lay.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignLeft)
        lay.setRowMaximumHeight(1, 1e6 if beside else 44)
        self._set_step_legend(self.step_text)

    def _on_option(self, *_):
        self.weight_spin.setVisible(self.direction_combo.currentData() == "weight")
        self.weight_name.setVisible(self.direction_combo.currentData() == "weight")
        self.span_spin.setVisible(not self.auto_span.isChecked())
        self._show_name()
        if self._weights is not None:
            self.compute()

    def _show_name(self):
        i = self.weight_spin.value()
        shown = self.direction_combo.currentData() == "weight" and self.run is not None and i < self._names
        self.weight_name.setText(planes.parameter_name(self._model, i) if shown else "")

    # ---- export --------------------------------------------------------------------------------
    def export_png(self, path: str) -> bool:
        """Save the plot as a PNG image."""
        return export_png(self.graphics, path)

    def export_svg(self, path: str) -> bool:
        """Save the plots as an SVG drawing."""
        return export_svg(self.graphics, path)

    def export_csv(self, path: str) -> None:
        """Write the slice as rows ``t, loss, accuracy``."""
        if self.slice is None:
            raise ValueError("No slice computed yet.")
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["t", "loss", "accuracy"])
            for row in zip(self.slice.t, self.slice.losses, self.slice.accuracy):
                w.writerow([repr(float(v)) for v in row])
