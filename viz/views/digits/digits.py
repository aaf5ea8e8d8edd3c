"""The samples grid: the first test digits with their labels and the network's guesses, and the
data tensors' shapes before and after the book's preprocessing.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.datasets import describe_tensor
from viz import style
from viz.views.digits.digits_view import BAD, GOOD, DigitsView, image_plot


class SamplesView(DigitsView):
    """A grid of test digits with their labels (and the network's guess), and the data tensors' shapes.

    The guesses are the digits run's evaluation, at most every ``min_interval`` seconds.

    Public: ``image`` (the mosaic), ``labels`` (TextItems), ``guesses`` (TextItems), ``tensors``
    (QLabel with ``ndim``/``shape``/``dtype`` before and after the book's reshape), ``COLS``/``ROWS``.
    """

    COLS, ROWS = 10, 6
    evaluates = True
    #: seconds between two evaluations of the test digits, at least
    min_interval = 1.0

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(300, 220)
        self.plot, self.image = image_plot(self.graphics, 0, 0)
        self.plot.setMouseEnabled(x=False, y=False)
        style.title(self.plot, "Test digits: label, guess (green right, red wrong)")
        self.graphics.setToolTip("The first test digits as the network sees them: 28×28 pixels, ink in [0, 1]. "
                                 "Top left: the label; top right: the network's guess.")
        self.labels, self.guesses = [], []
        for _ in range(self.COLS * self.ROWS):
            t = pg.TextItem("", color=style.palette().muted, anchor=(0, 0))
            g = pg.TextItem("", color=style.palette().muted, anchor=(1, 0))
            for item in (t, g):
                self.plot.addItem(item)
            self.labels.append(t)
            self.guesses.append(g)
        self.tensors = QtWidgets.QLabel()
        self.tensors.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.tensors.setWordWrap(True)
        self.tensors.setToolTip("The book's three attributes of a tensor (ndim, shape, dtype) before and after "
                                "the preprocessing: reshape to one row of 784 pixels and scale to [0, 1].")
        self._stack(self.graphics, self.tensors, stretch=self.graphics)

    def clear(self) -> None:
        super().clear()
        self.image.clear()
        for t in self.labels + self.guesses:
            t.setText("")
        self.tensors.setText("")

    def build(self, run) -> None:
        """The mosaic of the first test digits with their labels, and the tensors' shapes."""
        super().build(run)
        if not self.digits.ok:
            return
        r, s = self.digits, self.digits.side
        n = min(len(r.x_test), self.COLS * self.ROWS)
        step = s + 2
        mosaic = np.full((self.ROWS * step, self.COLS * step), 0.0, np.float32)
        for i in range(n):
            row, col = divmod(i, self.COLS)
            mosaic[row * step + 2:row * step + 2 + s, col * step + 1:col * step + 1 + s] = \
                r.x_test[i].reshape(s, s)
        self.image.setImage(mosaic, levels=(0.0, 1.0), autoLevels=False)
        for i, t in enumerate(self.labels):
            row, col = divmod(i, self.COLS)
            t.setText(str(r.y_test[i]) if i < n else "")
            t.setPos(col * step, row * step - 1)
            self.guesses[i].setPos(col * step + step, row * step - 1)
        self.plot.setRange(xRange=(0, self.COLS * step), yRange=(0, self.ROWS * step), padding=0.02)
        n_tr = run.n_train                                   # the whole training set's, not the sample sent
        raw = np.broadcast_to(np.uint8(0), (n_tr, s, s))     # the images as loaded (shape and dtype only)
        lab = np.broadcast_to(np.uint8(0), (n_tr,))
        self.tensors.setText(
            f"<b>train_images</b> as loaded: <code>{describe_tensor(raw)}</code><br>"
            f"→ <code>train_images.reshape(({n_tr}, {s * s})).astype(\"float32\") / 255</code> → "
            f"<code>{describe_tensor(np.broadcast_to(np.float32(0), (n_tr, s * s)))}</code><br>"
            f"<b>train_labels</b>: <code>{describe_tensor(lab)}</code> → one-hot "
            f"<code>{describe_tensor(np.broadcast_to(np.float32(0), (n_tr, 10)))}</code>; "
            f"test set: {len(r.x_test):,} digits.")

    def draw(self) -> bool:
        """The network's guesses from the newest evaluation (or start one)."""
        if not self._should_draw():
            return False
        return self._draw_evaluation(self._show_guesses)

    def _show_guesses(self) -> None:
        r = self.digits
        pos = {int(i): k for k, i in enumerate(r.test_idx[:len(self.guesses)])}
        for i, g in enumerate(self.guesses):
            k = pos.get(i)
            if k is None or i >= len(r.y_test):
                g.setText("")
                continue
            guess = int(r.test_probs[k].argmax())
            g.setText(str(guess))
            g.setColor(GOOD if guess == r.y_test[i] else BAD)
