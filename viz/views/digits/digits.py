"""The digits views (MNIST-type runs): the samples grid with the data tensors' shapes, and their base class.

Every digits view shares one :class:`viz.views.digits.digits_run.DigitsRun` (re-exported here),
which follows the run and computes the network's predictions; views redraw on its
``evaluated`` signal. The other views live in
:mod:`viz.views.digits.digit_tiles`, :mod:`viz.views.digits.digits_errors`, :mod:`viz.views.digits.digits_map`,
:mod:`viz.views.digits.digit_canvas` and :mod:`viz.views.digits.tensor_lab`.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.datasets import describe_tensor
from viz import style
from viz.views.digits.digits_run import MIN_INTERVAL, NOTICE, DigitsRun
from viz.views.uncrumple.layers import behind_tab

#: ten distinguishable class colours (Tableau 10)
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
GRAY = pg.ColorMap([0.0, 1.0], ["#ffffff", "#000000"], name="ink")  # ink black on white paper


def notice_label() -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(NOTICE)
    lab.setStyleSheet(style.palette().readout_css)
    lab.setWordWrap(True)
    return lab


class _RunView(QtWidgets.QWidget):
    """Base: holds a (shared) DigitsRun and a message label; subclasses draw."""

    def __init__(self, run: DigitsRun | None = None, parent=None):
        super().__init__(parent)
        self.run = run if run is not None else DigitsRun(self)
        self.run.evaluated.connect(self._on_evaluated)
        self.message = notice_label()
        self.message.setText("No run yet.")
        self._dirty = False
        self._last_draw = -1e9
        self._later = QtCore.QTimer(self, singleShot=True)   # a draw put off by the pacing
        self._later.timeout.connect(self.refresh)

    def _stack(self, *rows, stretch=None) -> None:
        """Lay out ``rows`` (widgets or layouts) top to bottom, then the message; ``stretch`` grows."""
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        for row in rows:
            add = lay.addLayout if isinstance(row, QtWidgets.QLayout) else lay.addWidget
            add(row, 1 if row is stretch else 0)
        lay.addWidget(self.message)

    def _paced_model(self):
        """The network to draw now, or None: drawn less than MIN_INTERVAL ago (a draw is put off
        until then) or no weights yet (the message says why)."""
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            self._dirty = True
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return None
        model = self.run.model()
        if model is None:
            self.message.setText(self.run.message)
            return None
        self._last_draw = time.monotonic()
        return model

    def clear(self) -> None:
        self._dirty = False
        self.message.setText("No run yet.")

    def set_data(self, extras) -> None:
        ok = self.run.set_data(extras)
        self.message.setText("" if ok else self.run.message)
        self._dirty = ok
        self.refresh()

    def add_snapshot(self, snap) -> None:
        self.run.add_snapshot(snap)
        if snap.weights:
            self._dirty = True

    def _on_evaluated(self) -> None:
        pass

    def refresh(self) -> bool:
        if not self._dirty or not self.run.ok or behind_tab(self):
            if not self.run.ok:
                self.message.setText(self.run.message)
            return False
        self._dirty = False
        return self.draw()

    def finish(self) -> None:
        """Draw the newest weights now, their evaluation included (an exported picture, the
        ``--screenshot``): no pacing, no evaluation left for later turns."""
        if not self.run.ok:
            return
        self.run.finish()
        self._last_draw = -1e9
        self._dirty = True
        self.refresh()

    def draw(self) -> bool:  # pragma: no cover - overridden
        return False


def image_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int, **kw) -> tuple[pg.PlotItem, pg.ImageItem]:
    """A square-pixel plot with y down and one ImageItem (grayscale ink)."""
    plot = graphics.addPlot(row=row, col=col, **kw)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.hideButtons()
    img = pg.ImageItem(axisOrder="row-major")
    img.setLookupTable(GRAY.getLookupTable(nPts=256))
    plot.addItem(img)
    return plot, img


class SamplesView(_RunView):
    """A grid of test digits with their labels (and the network's guess), and the data tensors' shapes.

    Public: ``image`` (the mosaic), ``labels`` (TextItems), ``tensors`` (QLabel with
    ``ndim``/``shape``/``dtype`` before and after the book's reshape), ``COLS``/``ROWS``.
    """

    COLS, ROWS = 10, 6

    def __init__(self, run=None, parent=None):
        super().__init__(run, parent)
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

    def set_data(self, extras) -> None:
        super().set_data(extras)
        if not self.run.ok:
            return
        r, s = self.run, self.run.side
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
        n_tr = getattr(r, "n_train_total", len(r.x_train))
        raw = np.broadcast_to(np.uint8(0), (n_tr, s, s))     # the images as loaded (shape and dtype only)
        lab = np.broadcast_to(np.uint8(0), (n_tr,))
        self.tensors.setText(
            f"<b>train_images</b> as loaded: <code>{describe_tensor(raw)}</code><br>"
            f"→ <code>train_images.reshape(({n_tr}, {s * s})).astype(\"float32\") / 255</code> → "
            f"<code>{describe_tensor(np.broadcast_to(np.float32(0), (n_tr, s * s)))}</code><br>"
            f"<b>train_labels</b>: <code>{describe_tensor(lab)}</code> → one-hot "
            f"<code>{describe_tensor(np.broadcast_to(np.float32(0), (n_tr, 10)))}</code>; "
            f"test set: {len(r.x_test):,} digits.")

    def _on_evaluated(self) -> None:
        self._dirty = True
        self.refresh()

    def draw(self) -> bool:
        r = self.run
        r.request()
        if r.test_probs is None:
            return False
        pos = {int(i): k for k, i in enumerate(r.test_idx[:len(self.guesses)])}
        for i, g in enumerate(self.guesses):
            k = pos.get(i)
            if k is None or i >= len(r.y_test):
                g.setText("")
                continue
            guess = int(r.test_probs[k].argmax())
            g.setText(str(guess))
            g.setColor("#1a9641" if guess == r.y_test[i] else "#d7191c")
        return True
