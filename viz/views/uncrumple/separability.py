"""How uncrumpled is each stage: the accuracy of the best linear separator, now and over epochs.

:func:`core.analysis.uncrumple.separability.stages_separability` costs 20–50 ms a stage (for an
image run ~0.2 s, seconds on a busy core), so it runs at most once per epoch (on the first heavy
snapshot of a new epoch) and, while the view is seen, in a background job (a
:class:`viz.views.common.jobs.JobRunner`, joined when the view or its window closes); the
GUI thread only runs the forward pass that makes the stages, and draws. The top
plot shows every stage's value as a bar for the newest epoch; the bottom one
follows the input and each layer's output (the representations the next layer
sees) over the epochs: later layers should climb to 1.0 as training goes on.

A regression run has no classes to separate: the view shows the regression analogue instead, the R²
of a straight (flat) fit of the target from each stage
(:func:`core.analysis.uncrumple.linearity.stages_linearity`: 0 is no better than the mean, 1 a
perfect fit), which climbs towards 1 layer by layer as the network makes the target linear in its
last hidden layer; the baseline line sits at 0 instead of chance.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.loss.landscape import Cancelled
from core.analysis.uncrumple.geometry import stages
from core.analysis.uncrumple.linearity import stages_linearity
from core.analysis.uncrumple.separability import stages_separability
from viz import style
from viz.views.common.jobs import JobRunner
from viz.views.common.view import View
from viz.views.common.visibility import in_shown_window, unseen
from viz.views.uncrumple.stage_names import long_name, short_tick, thin_ticks
from viz.views.uncrumple.tracer import Tracer

SEP_SAMPLES, SEP_FEATURES = 1500, 32
#: a round costing more than this (seconds) holds the next one back by ``BUSY_FACTOR`` times its cost
BUSY_COST, BUSY_FACTOR = 0.02, 10

_KIND_TINT = {"input": 0.0, "dot": 0.6, "bias": 0.45, "activation": 0.0}
EMPTY_HISTORY = "One point per epoch\n(at most one a second),\nalso while this tab is hidden."
#: epochs the "over epochs" plot keeps at most (one a second: ~17 minutes in full); past it, every
#: other one of the older epochs goes, the newest HISTORY_RECENT always stay
MAX_HISTORY, HISTORY_RECENT = 1024, 256


def chance_level(n_classes: int) -> float:
    """The separability of guessing: 1 / n_classes (0.5 for two classes, 0.1 for ten)."""
    return 1.0 / max(int(n_classes), 1)


#: what the view measures, for classification and for regression: (axis label, title, tooltip)
SEPARABILITY_TEXT = ("linear separability", "Separability per stage",
                     "Training accuracy of the best straight cut (logistic regression / LDA) between "
                     "the classes at each stage: the dotted line is chance (1 / the number of "
                     "classes), 1.0 means a plane "
                     f"separates them. Computed on at most {SEP_SAMPLES:,} samples; a stage wider than "
                     f"{SEP_FEATURES} units on its top {SEP_FEATURES} principal components (fitted on a "
                     "fixed subsample of rows for very wide ones).")
LINEARITY_TEXT = ("R² of a straight fit", "Straight fit per stage (R²)",
                  "Regression has no classes to separate: this is how well a straight (flat) fit gives the "
                  "target from each stage, as R² (0: no better than the mean, the dotted line; 1: a perfect "
                  "fit). A network ending in one linear unit needs its last hidden layer near 1. Computed on "
                  f"at most {SEP_SAMPLES:,} samples; a stage wider than {SEP_FEATURES} units on its top "
                  f"{SEP_FEATURES} principal components.")


def measure(stage_list, y) -> np.ndarray:
    """Each stage's value: separability of the classes ``y`` (integer labels), or for a regression run
    (float targets ``y``, as :class:`viz.views.uncrumple.tracer.Tracer` keeps them) R² of a straight fit."""
    if np.asarray(y).dtype.kind == "f":
        return stages_linearity(stage_list, y, max_samples=SEP_SAMPLES, max_features=SEP_FEATURES)
    return stages_separability(stage_list, y, max_samples=SEP_SAMPLES, max_features=SEP_FEATURES)


def _line_color(i: int, n: int):
    """Light to dark along the network: a sequential blue."""
    cmap = pg.colormap.get("CET-L12") if n > 1 else None
    if cmap is None:
        return pg.mkColor(style.TRAIN_COLOR)
    return cmap.map(0.3 + 0.7 * i / max(n - 1, 1), mode="qcolor")


class SeparabilityView(View):
    """Bars per stage (newest epoch) and lines over epochs of linear separability.

    Public: ``bars`` (BarGraphItem), ``curves`` (one PlotDataItem per
    representation), ``values`` (the newest array, or None), ``history``
    (``{epoch: array}``), ``tracer``, ``runner`` (the background job of a round).

    The run's network is taken at once for small inputs (not ``deferred``: the curves over epochs
    record from the first epoch, whether or not the tab is in front), on the first refresh on screen
    for image runs (``deferred``: a 784-pixel network and its rounds cost more; from then on they
    record while hidden too); the first round starts on the first refresh on screen or, while the
    view is hidden, with the next snapshot. A round (every stage's value for
    one set of weights) starts at most every ``min_interval`` seconds: 1 s, or ``BUSY_FACTOR``
    times the last round's cost when that was above ``BUSY_COST`` (at most ~10 % of a core). A
    hidden view computes its rounds in the background job and draws them when it is shown.
    The dotted line is chance: 1 / the number of classes.
    """

    deferred = False            # True for image runs (see set_run)
    #: seconds between two rounds at least (besides: at most once per epoch)
    min_interval = 1.0

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer(max_points=1000, project=False)
        self._last_start = -1e9                # when the last round started (time.monotonic())
        self._undrawn = False                  # a round finished while hidden: draw when seen
        self._traced = (0, 0.0)                # the round's weights' epoch, its cost so far (seconds)
        self._todo: list[int] = []            # stages whose separability is still to compute
        self._sofar = np.zeros(0, np.float32)
        self.values = None
        self.history: dict[int, np.ndarray] = {}
        self._pending = False
        self._ticks = self._shown_ticks = None
        self._names, self._kinds = [], []
        self._stages = None
        # the drawing runs one event-loop turn after the computing, so each turn stays short
        self._draw_soon = QtCore.QTimer(self, singleShot=True, interval=0)
        self._draw_soon.timeout.connect(lambda: self._draw(self._stages))
        self.runner = JobRunner(self)          # the stages' values of a round, off the GUI thread
        self.runner.finished.connect(self._on_values)
        self.runner.failed.connect(self._on_failed)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(320, 180)
        self._texts = None
        self.graphics.setToolTip(SEPARABILITY_TEXT[2])
        self.bar_plot = self.graphics.addPlot(row=0, col=0)
        self.line_plot = self.graphics.addPlot(row=0, col=1)   # side by side in a low tab, stacked in a tall one
        self._side_by_side = True
        for p in (self.bar_plot, self.line_plot):
            style.apply_plot_style(p)
            p.setYRange(0.4, 1.02, padding=0)             # from 0.4 for two classes (chance_level - 0.1)
            p.setMenuEnabled(False)
            p.hideButtons()
        style.label(self.bar_plot, "left", SEPARABILITY_TEXT[0])
        self.line_plot.setYLink(self.bar_plot)
        self.graphics.ci.layout.setColumnStretchFactor(0, 1)
        self.graphics.ci.layout.setColumnStretchFactor(1, 1)
        self.bar_plot.setMouseEnabled(x=False, y=False)
        style.title(self.bar_plot, "Separability per stage")
        self.bar_plot.titleLabel.setToolTip("Linear separability at every stage: in = the input, W₁ = layer 1's "
                                            "dot(x, W), +b₁ = after its bias, σ₁ = after its activation, …")
        style.title(self.line_plot, "Over epochs")
        self.line_plot.titleLabel.setToolTip("The input and each layer's output (what the next layer sees), one "
                                             "point per epoch (at most one a second), also while this tab is "
                                             "hidden.")
        style.label(self.line_plot, "bottom", "epoch")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=style.TRAIN_COLOR)
        self.bar_plot.addItem(self.bars)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self.bar_plot.getViewBox().sigResized.connect(lambda *_: self._set_ticks())
        self.empty = pg.TextItem(EMPTY_HISTORY, color=style.palette().muted, anchor=(0.5, 0.5))
        self.empty.setParentItem(self.line_plot.getViewBox())   # in the box's pixels, centred on resize
        self.line_plot.getViewBox().sigResized.connect(self._centre_empty)
        self.chance = pg.InfiniteLine(0.5, angle=0, pen=style.cursor_pen())
        self.bar_plot.addItem(self.chance)
        self.legend = self.line_plot.addLegend(offset=(-8, -4), colCount=2, labelTextColor=style.palette().foreground,
                                               labelTextSize=f"{style.LEGEND_FONT_PT}pt")
        self.curves: list[pg.PlotDataItem] = []
        self.message = QtWidgets.QLabel("No run yet.")
        self.message.setStyleSheet(style.palette().readout_css)
        self.message.setWordWrap(True)
        # two lines at most: a long summary must not make the view taller than its dock (a scroll bar)
        self.message.setMaximumHeight(2 * self.message.fontMetrics().lineSpacing() + 6)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.message)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Side by side when the view is wide (a 500×260 tab), one above the other when it is tall."""
        super().resizeEvent(event)
        side = self.width() >= 1.4 * self.height()
        if side != self._side_by_side:
            self._side_by_side = side
            ci = self.graphics.ci
            ci.removeItem(self.line_plot)
            ci.addItem(self.line_plot, row=0 if side else 1, col=1 if side else 0)
            ci.layout.setColumnStretchFactor(1, 1 if side else 0)

    # ---- lifecycle -----------------------------------------------------------------------------------
    def clear(self) -> None:
        self._draw_soon.stop()
        self.runner.cancel()                   # dropped, not waited for
        self._todo = []
        self._ticks = self._shown_ticks = None
        self._names, self._kinds = [], []
        self.tracer.clear()
        self.values = None
        self.history = {}
        self._pending = False
        self._undrawn = False
        self._last_start = -1e9
        self.min_interval = type(self).min_interval
        self.bars.setOpts(x=[], height=[])
        for c in self.curves:
            self.line_plot.removeItem(c)
        self.curves = []
        self.legend.clear()
        self.empty.setVisible(True)
        self.message.setText("No run yet.")
        super().clear()

    def set_run(self, run) -> None:
        """Build now for a small network (recording starts with the run), on the first refresh on
        screen for an image run."""
        self.deferred = bool(getattr(run, "is_images", False))
        super().set_run(run)

    def build(self, run) -> None:
        """Take the run's network (a copy from ``run.model()``, made in a few ms); the first round
        waits for the first refresh on screen or the next snapshot (a window's first turn stays short)."""
        regression = bool(run.is_regression)
        chance = 0.0 if regression else chance_level(run.n_classes)
        self.chance.setValue(chance)
        for p in (self.bar_plot, self.line_plot):
            p.setYRange(max(chance - 0.1, 0.0), 1.02, padding=0)
        self._set_texts(LINEARITY_TEXT if regression else SEPARABILITY_TEXT)
        if not self.tracer.set_run(run):
            self.message.setText(self.tracer.message)
            return
        self._pending = True
        if not in_shown_window(self):          # a view on its own (a test, an export): now
            self._start_round(spread=False)

    def _set_texts(self, texts) -> None:
        """The axis label, title and tooltip of what is measured (changed only when they change)."""
        if texts == self._texts:
            return
        self._texts = texts
        style.label(self.bar_plot, "left", texts[0])
        style.title(self.bar_plot, texts[1])
        self.graphics.setToolTip(texts[2])

    def add_snapshot(self, snap) -> None:
        """Keep the weights of the first heavy snapshot of a new epoch (or of a new run); while the view
        is hidden, start a round in the background job when one is due (the curves go on recording)."""
        if snap.weights and (snap.epoch not in self.history or snap.run is not None):
            self.tracer.add_snapshot(snap)
            self._pending = True
        if self._pending and unseen(self) and self._due():
            self._start_round(spread=True)

    def _due(self) -> bool:
        """A round may start: a network, no round going, ``min_interval`` since the last one."""
        return (self.tracer.ready and not self._todo and not self.runner.busy
                and time.monotonic() - self._last_start >= self.min_interval)

    def draw(self) -> bool:
        """Draw a round that finished while hidden; start a round for the newest epoch's weights;
        whether it did either.

        Nothing while the view cannot be seen (a closed dock, a tab behind another:
        :func:`viz.views.common.visibility.unseen`) or while a round is still going (its end asks
        for a redraw).
        """
        if unseen(self):
            return False
        drew = False
        if self._undrawn and self._stages is not None and self.values is not None:
            self._undrawn = False
            self._draw(self._stages)
            drew = True
        if not self._pending or not self.tracer.ready or self._todo:
            return drew
        return self._start_round(spread=self.isVisible()) or drew

    def finish(self) -> None:
        """Do now what waits for the next turns (before an image is taken, say): the rest of the stages, the drawing."""
        super().finish()
        if self._pending and self.tracer.ready and not self._todo:
            self._start_round(spread=False)
        if self.runner.busy and self.values is None:   # nothing drawn yet: wait for the worker
            done = self.runner.wait()
            if done is not None and done[0] is not None:
                self._on_values(done[0])
        if not self.runner.busy:
            while self._todo:
                self._compute()
        if self._draw_soon.isActive() or self._undrawn and self.values is not None:
            self._draw_soon.stop()
            self._undrawn = False
            self._draw(self._stages)

    def closeEvent(self, event):  # noqa: N802 - Qt override
        """Cancel and join the worker thread."""
        self.runner.shutdown()
        super().closeEvent(event)

    # ---- a round ---------------------------------------------------------------------------------
    def _start_round(self, spread: bool) -> bool:
        """Load the newest weights and compute every stage's value: in the background job (``spread``) or now."""
        start = self._last_start = time.monotonic()
        self._pending = False
        tr = self.tracer
        tr.load()                      # the newest finite weights (or says why not); no 2D projections needed
        self.message.setText(tr.message)
        with np.errstate(all="ignore"):
            self._stages = stages(tr.model, tr.x)                 # one forward pass of <= 1,000 samples
        self._todo = list(range(len(self._stages)))
        self._sofar = np.full(len(self._stages), np.nan, np.float32)
        self._traced = (tr.epoch, time.monotonic() - start)      # the weights' epoch, the cost so far
        if spread:                             # in the worker; the drawing on the turn after its result
            todo, st, y = list(self._todo), self._stages, tr.y
            self.runner.watch(self)
            self.runner.start(lambda cancel, _progress: _values(st, y, todo, cancel), "uncrumple-separability")
        else:
            while self._todo:
                self._compute()
        return True

    def _compute(self) -> None:
        """The separability of the next stage (bounded: 1,500 samples, 32 principal components);
        after the last stage, the values are kept and drawn. A ``+ b`` stage takes the value of
        the ``dot`` stage before it (a translation: :func:`core.analysis.uncrumple.separability.stages_separability`)."""
        if not self._todo:
            return
        start = time.monotonic()
        i = self._todo.pop(0)
        st, prev = self._stages[i], self._stages[i - 1] if i else None
        if st.kind == "bias" and prev is not None and prev.kind == "dot" and prev.layer == st.layer:
            self._sofar[i] = self._sofar[i - 1]
        else:
            with np.errstate(all="ignore"):
                self._sofar[i] = measure([st], self.tracer.y)[0]
        epoch, cost = self._traced
        self._traced = (epoch, cost + time.monotonic() - start)
        if not self._todo:
            self._round_done()

    def _on_values(self, result) -> None:
        """The worker's values of the round's stages (and the seconds they took)."""
        values, seconds = result
        self._sofar[:] = values
        self._todo = []
        epoch, cost = self._traced
        self._traced = (epoch, cost + seconds)
        self._round_done()

    def _on_failed(self, message: str) -> None:
        self._todo = []
        self.message.setText(f"Separability could not be computed: {message}")

    def _round_done(self) -> None:
        epoch, cost = self._traced
        # an expensive round (> BUSY_COST) holds the next one back by BUSY_FACTOR x its cost
        self.min_interval = max(type(self).min_interval, BUSY_FACTOR * cost if cost > BUSY_COST else 0.0)
        self.values = vals = self._sofar
        self.history[epoch] = vals
        if len(self.history) > MAX_HISTORY:    # bounded for a run of any length: thin the older epochs
            epochs = sorted(self.history)
            for e in epochs[:-HISTORY_RECENT][1::2]:
                del self.history[e]
        if unseen(self) and in_shown_window(self):
            self._undrawn = True               # drawn when the view is shown
        elif self.isVisible():
            self._draw_soon.start()
        else:
            self._draw(self._stages)
        if self._pending:
            self.redraw_wanted.emit()          # weights that came during the round

    # ---- drawing -----------------------------------------------------------------------------------
    def _draw(self, st) -> None:
        vals = self.values
        x = np.arange(len(vals), dtype=np.float64)
        brushes = [style.tint(style.TRAIN_COLOR, _KIND_TINT[s.kind]) for s in st]
        self.bars.setOpts(x=x, height=np.nan_to_num(vals.astype(np.float64)), width=0.7, brushes=brushes)
        ticks = [(i, short_tick(s)) for i, s in enumerate(st)]
        if ticks != self._ticks:   # new ticks regenerate the axis: only for a new network
            self._ticks, self._names, self._kinds = ticks, [long_name(s) for s in st], [s.kind for s in st]
            self._shown_ticks = None
            self.bar_plot.setXRange(-0.6, len(vals) - 0.4, padding=0)
            self._set_ticks()
        reps = [i for i, s in enumerate(st) if s.kind in ("input", "activation")]
        if len(self.curves) != len(reps):
            for c in self.curves:
                self.line_plot.removeItem(c)
            self.legend.clear()
            self.curves = []
            for k, i in enumerate(reps):
                name = "Input" if i == 0 else f"Layer {st[i].layer + 1}"
                color = _line_color(k, len(reps))
                self.curves.append(self.line_plot.plot([], [], pen=pg.mkPen(color, width=2), name=name,
                                                       symbol="o", symbolSize=4, symbolBrush=color,
                                                       symbolPen=None))
        epochs = np.array(sorted(self.history), dtype=np.float64)
        table = np.array([self.history[e] for e in sorted(self.history)], dtype=np.float64)
        for c, i in zip(self.curves, reps):
            c.setData(epochs, table[:, i])
        # pyqtgraph finds the new x range and moves the items at the next paint, which then asks
        # for a second paint; do it now so one paint draws the frame
        self.line_plot.getViewBox().prepareForPaint()
        self.empty.setVisible(len(epochs) < 2)
        parts = [f"{'Input' if i == 0 else 'Layer ' + str(st[i].layer + 1)} {vals[i]:.2f}" for i in reps]
        self.message.setText(f"Epoch {self._traced[0]}: " + " · ".join(parts))

    def _set_ticks(self) -> None:
        """The bars' labels, thinned so none overlap at the plot's width (changes only when that does)."""
        if not self._ticks:
            return
        axis = self.bar_plot.getAxis("bottom")
        metrics = QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font())
        widths = [metrics.horizontalAdvance(t) for _, t in self._ticks]
        spacing = self.bar_plot.getViewBox().width() / max(len(self._ticks) + 0.2, 1)
        shown = thin_ticks(self._ticks, self._kinds, widths, spacing)
        if shown != self._shown_ticks:
            self._shown_ticks = shown
            axis.setTicks([shown])

    def _hover(self, pos) -> None:
        """The tooltip over the bars names the stage under the mouse and its value."""
        vb = self.bar_plot.getViewBox()
        if self.values is None or not self._names or not vb.sceneBoundingRect().contains(pos):
            return
        i = int(round(vb.mapSceneToView(pos).x()))
        if 0 <= i < min(len(self._names), len(self.values)):
            tip = f"{self._names[i]} ({self._ticks[i][1]}): {self.values[i]:.3f}"
            if tip != self.bars.toolTip():
                self.bars.setToolTip(tip)

    def _centre_empty(self, *_) -> None:
        rect = self.line_plot.getViewBox().boundingRect()   # above the legend (bottom right)
        self.empty.setPos(QtCore.QPointF(rect.center().x(), rect.top() + 0.3 * rect.height()))


def _values(stage_list, y, todo, cancel) -> tuple:
    """The separability (a regression run: R² of a straight fit, :func:`measure`) of the stages ``todo``
    (a worker's job; ``cancel()`` is asked between stages).

    Returns ``(values, seconds)``: values of shape (len(stage_list),), float32, NaN where not in
    ``todo``; a ``+ b`` stage takes its ``dot`` stage's value (a translation)."""
    start = time.monotonic()
    out = np.full(len(stage_list), np.nan, np.float32)
    for i in todo:
        if cancel():
            raise Cancelled("separability cancelled")
        st, prev = stage_list[i], stage_list[i - 1] if i else None
        if st.kind == "bias" and prev is not None and prev.kind == "dot" and prev.layer == st.layer:
            out[i] = out[i - 1]
            continue
        with np.errstate(all="ignore"):
            out[i] = measure([st], y)[0]
    return out, time.monotonic() - start
