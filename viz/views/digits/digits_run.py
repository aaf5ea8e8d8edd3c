"""The state every digits view shares: :class:`DigitsRun` follows a run (MNIST-type data; the test
set is the run's validation data), keeps the newest weights (live or from the timeline), and
computes the network's predictions on a fixed subsample, in chunks of :data:`CHUNK` rows one
event-loop turn apart (each turn stays short) and at most every :data:`MIN_INTERVAL` seconds.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore

from core.run.config import OUTPUT_ACTIVATION
from core.analysis.digits.digits import FASHION_CLASSES, accuracy_and_loss, image_side, model_from_weights, predict_probs
from viz.views.uncrumple.layers import labels_of

NOTICE = "Digits views need the MNIST preset (28×28 images, 10 classes)."
#: rows predicted per event-loop turn (~10-20 ms for 784 -> 512 -> 10 on this 2-core machine)
CHUNK = 250
#: test and training digits evaluated at most (a fixed-seed subsample beyond)
EVAL_TEST, EVAL_TRAIN = 2000, 1000
#: seconds between two evaluations at least
MIN_INTERVAL = 1.0

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

    def finish(self) -> None:
        """Evaluate the newest weights now, all chunks at once (pictures, scripts): the views
        then draw the probabilities of the weights on screen, not of an earlier snapshot."""
        if self._job is None:
            self._last = -1e9            # past the throttle
            self.request()
        while self._job is not None:
            self._work()

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
