"""What the network gets wrong: the confusion matrix, train vs test (overfitting), misclassified digits.

The maths is :func:`core.analysis.digits.digits.confusion_matrix`, :func:`core.analysis.digits.digits.misclassified`
and :func:`core.analysis.digits.digits.generalization_gap`, on the subsample
:class:`viz.views.digits.digits_run.DigitsRun` evaluates (at most every ``min_interval`` seconds).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.digits.digits import confusion_matrix, generalization_gap, misclassified
from viz import style
from viz.views.common.visibility import behind_tab
from viz.views.digits.digits_view import BAD, GOOD, OTHER, DigitsView, bar_plot, image_plot

#: why the Confusion view's training accuracy differs from the status bar's
TWO_ACCURACIES = (
    "Both accuracies here are measured with the same weights, the ones shown now: on a fixed sample of the "
    "training images and on the test images. When training is clearly better than test, the network is "
    "memorising the training digits (overfitting). The status bar's training accuracy is another figure: the "
    "mean over the epoch's batches, each measured while the weights were still changing.")
#: epochs the accuracy curves keep at most; past it every other older one goes, the newest HISTORY_RECENT stay
MAX_HISTORY, HISTORY_RECENT = 2048, 512
CONFUSION_CMAP = pg.ColorMap([0.0, 0.15, 1.0], ["#ffffff", "#c6dbef", "#08306b"], name="confusion")


class ConfusionView(DigitsView):
    """Confusion matrix of the test digits, and train vs test accuracy and loss with the gap.

    Public: ``image`` (row-normalised matrix), ``counts`` (10×10 TextItems), ``matrix``
    (the newest counts or None), ``gap`` (QLabel with the verdict), ``acc_train``/``acc_test``
    (curves over epochs), ``history`` ({epoch: log}).
    """

    evaluates = True
    #: seconds between two evaluations of the test digits, at least
    min_interval = 1.0

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.matrix = None
        self.history: dict[int, dict] = {}
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(320, 360)
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        self.plot.showGrid(x=False, y=False)
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        style.label(self.plot, "bottom", "predicted")
        style.label(self.plot, "left", "true label")
        ticks = [[(i + 0.5, str(i)) for i in range(10)]]
        for ax in ("bottom", "left"):
            self.plot.getAxis(ax).setTicks(ticks)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(CONFUSION_CMAP.getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.counts = [[pg.TextItem("", anchor=(0.5, 0.5)) for _ in range(10)] for _ in range(10)]
        for i in range(10):
            for j in range(10):
                self.counts[i][j].setPos(j + 0.5, i + 0.5)
                self.plot.addItem(self.counts[i][j])
        self.acc_plot = self.graphics.addPlot(row=1, col=0)
        style.apply_plot_style(self.acc_plot)
        style.label(self.acc_plot, "left", "accuracy")
        style.label(self.acc_plot, "bottom", "epoch")
        self.acc_plot.addLegend(offset=(-8, 8), labelTextColor=style.palette().foreground)
        self.acc_train = self.acc_plot.plot([], [], pen=style.epoch_pen(style.TRAIN_COLOR), name="train",
                                            **style.epoch_symbol_kwargs(style.TRAIN_COLOR, False))
        self.acc_test = self.acc_plot.plot([], [], pen=style.val_epoch_pen(), name="test",
                                           **style.epoch_symbol_kwargs(style.VAL_COLOR, True))
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 1)
        self.graphics.setToolTip("Row i, column j: test digits labelled i that the network called j (colour: "
                                 "share of row i). The diagonal is right; everything else is a mistake. "
                                 "Below: train and test accuracy per epoch.")
        self.gap = QtWidgets.QLabel("")
        self.gap.setWordWrap(True)
        self.gap.setToolTip(TWO_ACCURACIES)
        self._stack(self.graphics, self.gap, stretch=self.graphics)

    def clear(self) -> None:
        super().clear()
        self.matrix = None
        self.history = {}
        self.image.clear()
        for row in self.counts:
            for t in row:
                t.setText("")
        self.acc_train.setData([], [])
        self.acc_test.setData([], [])
        self.gap.setText("")

    def build(self, run) -> None:
        """The axes' ticks: the run's class names (digits, or Fashion-MNIST's clothes)."""
        super().build(run)
        names = self.digits.class_names
        if self.digits.ok:
            ticks = [[(i + 0.5, names[i][:7]) for i in range(10)]]
            self.plot.getAxis("left").setTicks(ticks)
            self.plot.getAxis("bottom").setTicks(ticks)

    def add_snapshot(self, snap) -> None:
        """The weights, and the epochs' accuracies of the live run (not of a timeline epoch)."""
        super().add_snapshot(snap)
        if not snap.scrubbed:
            for log in snap.epochs:
                self.history[int(log.get("epoch", len(self.history) + 1))] = {
                    k: log[k] for k in ("accuracy", "val_accuracy") if k in log}
                self._dirty = True
            if len(self.history) > MAX_HISTORY:      # a run of any length: thin the older epochs
                for e in sorted(self.history)[:-HISTORY_RECENT][1::2]:
                    del self.history[e]

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Drop the accuracies after ``epoch`` (the user branched the run there; ``step`` is unused)."""
        self.history = {e: log for e, log in self.history.items() if e <= epoch}
        self._dirty = True
        self.redraw_wanted.emit()

    def draw(self) -> bool:
        """The accuracy curves, and the matrix and scores of the newest evaluation (or start one)."""
        if not self._should_draw():
            return False
        self._draw_history()
        drew = self._draw_evaluation(self._show_matrix)
        if self.digits.test_probs is None:
            self.message.setText(self.digits.message or "Evaluating the test digits…")
        return drew

    def _show_matrix(self) -> None:
        r = self.digits
        k = r.test_probs.shape[1]
        if k != 10:
            self.message.setText(f"The network has {k} outputs; the confusion matrix needs 10 classes.")
            return
        cm = confusion_matrix(r.y_test[r.test_idx], r.test_probs.argmax(axis=1), 10)
        self.matrix = cm
        share = (cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)).astype(np.float32)
        self.image.setImage(share, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(QtCore.QRectF(0, 0, 10, 10))
        for i in range(10):
            for j in range(10):
                t = self.counts[i][j]
                t.setText(str(cm[i, j]) if cm[i, j] else "")
                t.setColor(style.PAPER if share[i, j] > 0.5 else style.INK)   # on the light-to-dark blue map, any theme
        self.plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0.01)
        sc = r.scores()
        verdict = generalization_gap(sc["train_acc"], sc["test_acc"], sc["train_loss"], sc["test_loss"])
        color = BAD if verdict["overfitting"] else GOOD
        correct = int(np.trace(cm))
        n_train = len(r.train_idx)
        self.gap.setText(
            f"<b>Epoch {r.epoch}</b>: {correct:,} of {int(cm.sum()):,} test digits right. "
            f"With the current weights: accuracy on {n_train:,} training images "
            f"{sc['train_acc']:.1%} (loss {sc['train_loss']:.3f}), on the test images {sc['test_acc']:.1%} "
            f"(loss {sc['test_loss']:.3f}).<br>"
            f"<span style='color:{color}'><b>{verdict['text']}</b></span> "
            f"<span style='color:{style.palette().muted}'>(The status bar's training accuracy is the mean over "
            f"the epoch's batches, while the weights were still changing.)</span>")
        self.message.setText(r.message)

    def _draw_history(self) -> None:
        if not self.history:
            return
        ep = np.array(sorted(self.history), dtype=np.float64)
        logs = [self.history[e] for e in sorted(self.history)]
        tr = np.array([l.get("accuracy", np.nan) for l in logs], dtype=np.float64)
        te = np.array([l.get("val_accuracy", np.nan) for l in logs], dtype=np.float64)
        self.acc_train.setData(ep, tr)
        self.acc_test.setData(ep, te)


class ErrorsView(DigitsView):
    """Misclassified test digits, most confident mistakes first, each with its 10 probabilities.

    Public: ``cells`` (list of (image plot, ImageItem, bar plot, BarGraphItem)), ``start``
    (QSpinBox: first mistake shown, 1-based), ``order`` (mistakes' positions in the
    evaluated subsample), ``summary`` (QLabel).

    The cells (twelve plots, ~0.3 s to make) are made when the view is first drawn, that is when it
    is first on screen with an MNIST-type run: a window builds its hidden views while idle, and the
    cells of a view nobody looks at would hold the event loop for nothing (``cells`` is empty until
    then). The redraw clock has them made one cell a step (:meth:`refresh_parts`), then drawn.
    """

    #: 6 mistakes at a time: each one's probabilities stay a readable plot (~190 × 130 px) in the
    #: Digits workspace (~620 × 590 px)
    ROWS, COLS = 2, 3
    evaluates = True
    #: seconds between two evaluations of the test digits, at least
    min_interval = 1.0

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.order = np.zeros(0, np.int64)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(300, 320)
        self.graphics.setToolTip("Test digits the network gets wrong, the most confident mistakes first: the "
                                 "image, its true label and guess, and the 10 probabilities (green: the true "
                                 "class, red: the guess).")
        self.cells = []
        self._making = False          # the clock's steps making the cells are under way
        self.start = QtWidgets.QSpinBox()
        self.start.setRange(1, 1)
        self.start.setSingleStep(self.ROWS * self.COLS)
        self.start.setPrefix("from mistake ")
        self.start.setToolTip(f"Scroll through the misclassified test digits, {self.ROWS * self.COLS} at a time.")
        self.start.valueChanged.connect(self._start_changed)
        self.summary = QtWidgets.QLabel("")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.start)
        bar.addWidget(self.summary, 1)
        self._stack(bar, self.graphics, stretch=self.graphics)

    def _make_cells(self, n: int | None = None) -> bool:
        """The image and probability plots of the first ``n`` mistakes shown (all by default), those
        not made yet; whether any was made."""
        n = self.ROWS * self.COLS if n is None else min(n, self.ROWS * self.COLS)
        made = False
        for k in range(len(self.cells), n):
            r, c = divmod(k, self.COLS)
            plot, img = image_plot(self.graphics, 2 * r, c)
            bplot, bars = bar_plot(self.graphics, 2 * r + 1, c)
            bplot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
            self.cells.append((plot, img, bplot, bars))
            self.graphics.ci.layout.setRowStretchFactor(2 * r, 1)
            self.graphics.ci.layout.setRowStretchFactor(2 * r + 1, 1)
            made = True
        return made

    def refresh_parts(self) -> tuple:
        """Until the cells are made (an MNIST-type run, the view in front): one step per cell, then
        the refresh; ``()`` after (one refresh)."""
        n = self.ROWS * self.COLS
        if not self._making and (len(self.cells) >= n or not self.digits.ok or behind_tab(self)):
            return ()
        self._making = True
        return tuple(partial(self._make_cells, k + 1) for k in range(n)) + (self._made,)

    def _made(self) -> bool:
        """The last step of :meth:`refresh_parts`: the cells are made, draw."""
        self._making = False
        return self.refresh()

    def clear(self) -> None:
        super().clear()
        self.order = np.zeros(0, np.int64)
        self.summary.setText("")
        for plot, img, _, bars in self.cells:
            img.clear()
            plot.setTitle("")
            bars.setOpts(height=np.zeros(10))

    def _start_changed(self) -> None:
        """Show the chosen mistakes at once (of the evaluation already drawn)."""
        if self._shown_probs is not None and self._shown_probs is self.digits.test_probs:
            self._show_mistakes()

    def draw(self) -> bool:
        """The mistakes of the newest evaluation (or start one)."""
        if not self._should_draw():
            return False
        self._make_cells()
        drew = self._draw_evaluation(self._show_mistakes)
        if self.digits.test_probs is None:
            self.message.setText(self.digits.message or "Evaluating the test digits…")
        return drew

    def _show_mistakes(self) -> None:
        r = self.digits
        y = r.y_test[r.test_idx]
        self.order = misclassified(y, r.test_probs)
        self.start.setRange(1, max(1, len(self.order)))
        first = self.start.value() - 1
        s = r.side
        for k, (plot, img, _, bars) in enumerate(self.cells):
            n = first + k
            if n >= len(self.order):
                img.clear()
                plot.setTitle("")
                bars.setOpts(height=np.zeros(10))
                continue
            pos = self.order[n]
            p = np.nan_to_num(r.test_probs[pos].astype(np.float64))
            true, guess = int(y[pos]), int(p.argmax())
            img.setImage(r.x_test[r.test_idx[pos]].reshape(s, s), levels=(0.0, 1.0), autoLevels=False)
            plot.setTitle(f"true {r.class_names[true]} → {r.class_names[guess]} ({p[guess]:.0%})",
                          color=style.palette().foreground, size="9pt")
            brushes = [GOOD if i == true else BAD if i == guess else OTHER for i in range(len(p))]
            bars.setOpts(x=np.arange(len(p)), height=p, brushes=brushes)
        n_eval = len(r.test_idx)
        self.summary.setText(f"{len(self.order):,} of {n_eval:,} test digits misclassified "
                             f"({len(self.order) / max(n_eval, 1):.1%}) · epoch {r.epoch}")
        self.message.setText(r.message)
