"""The digits views (MNIST-type runs): the samples grid with the data tensors' shapes, and the shared run state.

:class:`DigitsRun` follows a run for every digits view: the data (the test set is
the run's validation data), the newest weights (live or from the timeline), and the
network's predictions on a fixed subsample, computed in chunks of
:data:`CHUNK` rows one event-loop turn apart (each turn stays short) and at most
every :data:`MIN_INTERVAL` seconds. Views redraw on its ``evaluated`` signal.
:func:`make_docks` builds the docks; the other views live in
:mod:`viz.views.digit_tiles`, :mod:`viz.views.digits_errors`, :mod:`viz.views.digits_map`,
:mod:`viz.views.digit_canvas` and :mod:`viz.views.tensor_lab`.
"""
from __future__ import annotations

import functools
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.config import OUTPUT_ACTIVATION
from core.datasets import describe_tensor
from core.digits import FASHION_CLASSES, accuracy_and_loss, image_side, model_from_weights, predict_probs
from viz import style
from viz.views.factory import later
from viz.views.layers import behind_tab, labels_of

#: rows predicted per event-loop turn (~10-20 ms for 784 -> 512 -> 10 on this 2-core machine)
CHUNK = 250
#: test and training digits evaluated at most (a fixed-seed subsample beyond)
EVAL_TEST, EVAL_TRAIN = 2000, 1000
#: seconds between two evaluations at least
MIN_INTERVAL = 1.0
#: ten distinguishable class colours (Tableau 10)
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
NOTICE = "Digits views need the MNIST preset (28×28 images, 10 classes)."
GRAY = pg.ColorMap([0.0, 1.0], ["#ffffff", "#000000"], name="ink")  # ink black on white paper


def notice_label() -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(NOTICE)
    lab.setStyleSheet(style.READOUT_CSS)
    lab.setWordWrap(True)
    return lab


def _subsample(n: int, limit: int, seed: int, keep: int = 0) -> np.ndarray:
    """``limit`` sorted indices of ``n``: the first ``keep`` and a fixed-seed random choice of the rest."""
    if n <= limit:
        return np.arange(n)
    keep = min(keep, limit)
    rest = np.random.default_rng(seed).choice(np.arange(keep, n), limit - keep, replace=False)
    return np.sort(np.concatenate([np.arange(keep), rest]))


class DigitsRun(QtCore.QObject):
    """One run's digits, weights and (throttled, chunked) predictions, shared by the digits views.

    Public: ``ok`` (an MNIST-type run), ``message``, ``side``, ``x_train``, ``y_train``,
    ``x_test``, ``y_test`` (int labels), ``class_names``, ``config``, ``epoch``, ``version``
    (bumps with new weights), ``model()`` (the network with the newest weights, or None),
    ``test_idx``/``train_idx`` (the evaluated subsample), ``test_probs``/``train_probs``
    (or None), ``logs`` (the newest epoch log), ``batch_size``, ``initial`` (the run's first
    weights, or None).
    """

    evaluated = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._work)
        self._data_src = None   # the x_train object of the current run (held, compared with `is`)
        self._snap = None       # the last snapshot taken (held, so the views sharing this run skip it)
        self.clear()

    def clear(self) -> None:
        self._timer.stop()
        self.ok, self.message = False, "No run yet."
        self.side, self.config, self.class_names = 28, {}, tuple(str(i) for i in range(10))
        self.x_train = self.x_test = np.zeros((0, 784), np.float32)
        self.y_train = self.y_test = np.zeros(0, np.int64)
        self.test_idx = self.train_idx = np.zeros(0, np.int64)
        self.test_probs = self.train_probs = None
        self.epoch, self.version, self.logs, self.batch_size = 0, 0, {}, 128
        self._weights = self.initial = None
        self._model = None
        self._model_version = -1
        self._job = None
        self._eval_version = -1
        self._last = -1e9

    def set_data(self, extras) -> bool:
        """Take a new run's data and config (idempotent for the same data dict); False if not MNIST-type."""
        extras = extras or {}
        data = extras.get("data") or {}
        if self.ok and data.get("x_train") is self._data_src:
            return True
        self.clear()
        self._data_src = data.get("x_train")
        try:
            x, y = np.asarray(data["x_train"], np.float32), labels_of(data["y_train"])
            xt, yt = np.asarray(data["x_val"], np.float32), labels_of(data["y_val"])
            self.side = image_side(x.shape[1]) if x.ndim == 2 else 0
        except (KeyError, ValueError, TypeError, IndexError):
            self.message = NOTICE if data else "No run yet."
            return False
        if len(x) == 0 or len(x) != len(y):
            self.message = NOTICE
            return False
        self.config = dict(extras.get("config") or {})
        self.batch_size = int(self.config.get("batch_size", 128) or 128)
        if "fashion" in str(self.config.get("dataset", "")):
            self.class_names = FASHION_CLASSES
        self.x_train, self.y_train, self.x_test, self.y_test = x, y, xt, yt
        # the trainer sends a part of a big training set; the shapes shown are the whole set's
        self.n_train_total = int((extras.get("data_info") or {}).get("n_train", len(x)))
        self.train_idx = _subsample(len(x), EVAL_TRAIN, 1)
        self.test_idx = _subsample(len(xt), EVAL_TEST, 2, keep=100)   # the samples grid's digits too
        self.ok, self.message = True, ""
        return True

    def add_snapshot(self, snap) -> bool:
        """Keep a heavy snapshot's weights (live or timeline); True if new weights arrived."""
        extras = snap.extras or {}
        if "data" in extras and not self.ok:
            self.set_data(extras)
        if snap.epochs and not extras.get("scrub"):
            self.logs = dict(snap.epochs[-1])
        bs = (snap.hyperparameters or {}).get("batch_size")
        if bs:
            self.batch_size = int(bs)
        if not snap.weights or snap is self._snap:
            return False
        self._snap = snap
        self._weights, self.epoch = snap.weights, snap.epoch
        if self.initial is None:   # the run's first weights (step 0 after a start or reset)
            self.initial = snap.weights
        self.version += 1
        return True

    def activations(self, n_layers: int) -> list[str]:
        hidden = [str(h[1]) for h in self.config.get("hidden", [])]
        out = OUTPUT_ACTIVATION.get(self.config.get("loss", ""), "softmax")
        acts = hidden + [out]
        return acts if len(acts) == n_layers else ["relu"] * (n_layers - 1) + ["softmax"]

    def model(self):
        """The network with the newest finite weights, or None (message says why)."""
        if self._weights is None:
            if self._model is None:
                self.message = "Waiting for the network's weights."
            return self._model
        if self._model_version != self.version:
            w = self._weights
            if all(np.isfinite(np.asarray(a)).all() for a in w):
                try:
                    self._model = model_from_weights(w, self.activations(len(w) // 2))
                    self.message = ""
                except ValueError as exc:
                    self.message = f"These weights do not fit: {exc}"
            else:
                self.message = "The weights are not finite (training diverged): showing the last finite ones."
            self._model_version = self.version
        return self._model

    # ---- chunked evaluation ------------------------------------------------------------------------
    def request(self) -> None:
        """Evaluate the newest weights soon (no-op if done or running; throttled to MIN_INTERVAL)."""
        if not self.ok or self._weights is None or self._eval_version == self.version or self._job is not None:
            return
        wait = MIN_INTERVAL - (time.monotonic() - self._last)
        if wait > 0:
            self._timer.start(int(wait * 1000) + 1)
            return
        model = self.model()
        if model is None:
            return
        self._last = time.monotonic()
        rows = [("test", i) for i in range(0, len(self.test_idx), CHUNK)]
        rows += [("train", i) for i in range(0, len(self.train_idx), CHUNK)]
        self._job = {"model": model, "version": self.version, "rows": rows, "test": [], "train": []}
        self._timer.start(0)

    def _work(self) -> None:
        job = self._job
        if job is None:
            self.request()
            return
        which, start = job["rows"].pop(0)
        idx = (self.test_idx if which == "test" else self.train_idx)[start:start + CHUNK]
        x = (self.x_test if which == "test" else self.x_train)[idx]
        with np.errstate(all="ignore"):
            job[which].append(predict_probs(job["model"], x))
        if job["rows"]:
            self._timer.start(0)
            return
        self._job = None
        k = job["model"].output_dim
        self.test_probs = np.concatenate(job["test"]) if job["test"] else np.zeros((0, k), np.float32)
        self.train_probs = np.concatenate(job["train"]) if job["train"] else np.zeros((0, k), np.float32)
        self._eval_version = job["version"]
        self.evaluated.emit()
        if self._eval_version != self.version:
            self.request()

    def scores(self) -> dict:
        """Train and test accuracy and loss of the shown weights, on the evaluated subsample
        (so they follow the timeline); ``{}`` before the first evaluation."""
        out = {}
        if self.test_probs is not None:
            out["test_acc"], out["test_loss"] = accuracy_and_loss(self.y_test[self.test_idx], self.test_probs)
            out["train_acc"], out["train_loss"] = accuracy_and_loss(self.y_train[self.train_idx], self.train_probs)
            out["source"] = f"on {len(self.test_idx):,} test and {len(self.train_idx):,} training digits"
        return out


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
        style.title(self.plot, "Test digits: label, and the network's guess (green right, red wrong)")
        self.graphics.setToolTip("The first test digits as the network sees them: 28×28 pixels, ink in [0, 1]. "
                                 "Top left: the label; top right: the network's guess.")
        self.labels, self.guesses = [], []
        for _ in range(self.COLS * self.ROWS):
            t = pg.TextItem("", color=style.MUTED, anchor=(0, 0))
            g = pg.TextItem("", color=style.MUTED, anchor=(1, 0))
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


def dock_factories(window=None, run: DigitsRun | None = None) -> list[tuple[str, str, object]]:
    """The digits docks as ``(title, objectName, factory)``: each factory builds one view, all
    sharing one :class:`DigitsRun` (the window builds them when first needed)."""
    run = run if run is not None else DigitsRun(window if isinstance(window, QtCore.QObject) else None)
    return [("Digits", "dock_digits", functools.partial(SamplesView, run)),
            ("Tiles", "dock_digit_tiles", later("viz.views.digit_tiles", "TilesView", run)),
            ("Confusion", "dock_confusion", later("viz.views.digits_errors", "ConfusionView", run)),
            ("Errors", "dock_digit_errors", later("viz.views.digits_errors", "ErrorsView", run)),
            ("Digit map", "dock_digit_map", later("viz.views.digits_map", "DigitMapView", run)),
            ("Draw", "dock_draw", later("viz.views.digit_canvas", "DrawView", run)),
            ("Tensor lab", "dock_tensor_lab", later("viz.views.tensor_lab", "TensorLab", run))]


def make_docks(window=None, run: DigitsRun | None = None) -> list[tuple[str, str, QtWidgets.QWidget]]:
    """The digits docks ``(title, objectName, widget)``; all share one :class:`DigitsRun`.

    Register every widget with ``window.session.add_view`` (each has ``clear``,
    ``set_data``, ``add_snapshot`` and ``refresh``; the shared run makes the repeated
    calls cheap).
    """
    return [(title, name, make()) for title, name, make in dock_factories(window, run)]
