"""The state every digits view shares: :class:`DigitsRun` follows a run (MNIST-type data; the test
set is the run's validation data), keeps the newest weights (live or from the timeline), and
computes the network's predictions on a fixed subsample, in chunks of :data:`CHUNK` rows one
event-loop turn apart (each turn stays short).

It is a plain object the digits views hold, not a view: it draws nothing and starts an evaluation
only when a view asks (:meth:`DigitsRun.request`, from a view's draw). The views that draw the
predictions redraw no more often than their ``min_interval`` and ask for the next evaluation only
in a draw that did not show a new one, so the redraw clock paces the evaluations too.
"""
from __future__ import annotations

import copy

import numpy as np
from PySide6 import QtCore

from core.analysis.digits.digits import FASHION_CLASSES, accuracy_and_loss, image_side, predict_probs

NOTICE = "Digits views need the MNIST preset (28×28 images, 10 classes)."
#: rows predicted per event-loop turn (~10-20 ms for 784 -> 512 -> 10 on this 2-core machine)
CHUNK = 250
#: test and training digits evaluated at most (a fixed-seed subsample beyond)
EVAL_TEST, EVAL_TRAIN = 2000, 1000


def _subsample(n: int, limit: int, seed: int, keep: int = 0) -> np.ndarray:
    """``limit`` sorted indices of ``n``: the first ``keep`` and a fixed-seed random choice of the rest."""
    if n <= limit:
        return np.arange(n)
    keep = min(keep, limit)
    rest = np.random.default_rng(seed).choice(np.arange(keep, n), limit - keep, replace=False)
    return np.sort(np.concatenate([np.arange(keep), rest]))


class DigitsRun(QtCore.QObject):
    """One run's digits, weights and (chunked) predictions, shared by the digits views.

    Public: ``run`` (the :class:`core.run.messages.RunData`, or None), ``ok`` (an MNIST-type run),
    ``message``, ``side``, ``x_train``, ``y_train``, ``x_test``, ``y_test`` (int labels),
    ``class_names``, ``epoch``, ``version`` (bumps with new weights), ``model()`` (the network
    with the newest weights, or None), ``test_idx``/``train_idx`` (the evaluated subsample),
    ``test_probs``/``train_probs`` (or None; a new array with each evaluation),
    ``needs_evaluation``, ``batch_size``, ``initial`` (the run's first weights, or None).

    Signals
    -------
    evaluated()
        The predictions of an evaluation are in ``test_probs`` and ``train_probs``.
    """

    evaluated = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=0)   # the next chunk, a turn later
        self._timer.timeout.connect(self._work)
        self._snap = None       # the last snapshot taken (held, so the views sharing this run skip it)
        self.clear()

    def clear(self) -> None:
        """Forget the run."""
        self._timer.stop()
        self.run = None
        self.ok, self.message = False, "No run yet."
        self.side, self.class_names = 28, tuple(str(i) for i in range(10))
        self.x_train = self.x_test = np.zeros((0, 784), np.float32)
        self.y_train = self.y_test = np.zeros(0, np.int64)
        self.test_idx = self.train_idx = np.zeros(0, np.int64)
        self.test_probs = self.train_probs = None
        self.epoch, self.version, self.batch_size = 0, 0, 128
        self._weights = self.initial = None
        self._network = None     # run.model(), built once per run: the networks of new weights are copies
        self._model = None
        self._model_version = -1
        self._job = None
        self._eval_version = -1

    def set_run(self, run) -> bool:
        """Take a new run (a :class:`core.run.messages.RunData`; the same one again changes nothing);
        whether it is an MNIST-type run (else ``message`` says why not)."""
        if run is not None and run is self.run:
            return self.ok
        self.clear()
        self.run = run
        if run is None:
            return False
        if not run.is_images or len(run.x_train) == 0:
            self.message = NOTICE
            return False
        self.side = image_side(run.input_dim)
        self.batch_size = int(run.config.batch_size)
        if "fashion" in run.config.dataset:
            self.class_names = FASHION_CLASSES
        self.x_train, self.y_train = np.asarray(run.x_train, np.float32), run.labels_train
        self.x_test, self.y_test = np.asarray(run.x_val, np.float32), run.labels_val
        self.train_idx = _subsample(len(self.x_train), EVAL_TRAIN, 1)
        self.test_idx = _subsample(len(self.x_test), EVAL_TEST, 2, keep=100)   # the samples grid's digits too
        self.ok, self.message = True, ""
        return True

    def add_snapshot(self, snap) -> bool:
        """Keep a heavy snapshot's weights (live or timeline); True if new weights arrived."""
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

    def model(self):
        """The network with the newest finite weights, or None (message says why).

        A new network for each new weights (an evaluation under way keeps its own): a copy of the
        run's (``run.model()``, built once: ~13 ms for 784 -> 512 -> 10, a copy ~1.5 ms).
        """
        if self._weights is None:
            if self._model is None:
                self.message = "Waiting for the network's weights."
            return self._model
        if self._model_version != self.version:
            w = self._weights
            if all(np.isfinite(np.asarray(a)).all() for a in w):
                try:
                    if self._network is None:
                        self._network = self.run.model()
                    model = copy.deepcopy(self._network)
                    model.set_weights(w)
                    self._model = model
                    self.message = ""
                except ValueError as exc:
                    self.message = f"These weights do not fit: {exc}"
            else:
                self.message = "The weights are not finite (training diverged): showing the last finite ones."
            self._model_version = self.version
        return self._model

    # ---- chunked evaluation ------------------------------------------------------------------------
    @property
    def needs_evaluation(self) -> bool:
        """Whether the newest weights have not been evaluated (nor are being)."""
        return self.ok and self._weights is not None and self._eval_version != self.version and self._job is None

    def request(self) -> None:
        """Start evaluating the newest weights, one chunk per event-loop turn (no-op if they are
        evaluated or being evaluated)."""
        if not self.needs_evaluation:
            return
        model = self.model()
        if model is None:
            return
        rows = [("test", i) for i in range(0, len(self.test_idx), CHUNK)]
        rows += [("train", i) for i in range(0, len(self.train_idx), CHUNK)]
        self._job = {"model": model, "version": self.version, "rows": rows, "test": [], "train": []}
        self._timer.start(0)

    def finish(self) -> None:
        """Evaluate the newest weights now, all chunks at once (pictures, scripts): the views
        then draw the probabilities of the weights on screen, not of an earlier snapshot."""
        while True:
            self.request()
            if self._job is None:
                return
            while self._job is not None:
                self._work()

    def _work(self) -> None:
        job = self._job
        if job is None:
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

    def scores(self) -> dict:
        """Train and test accuracy and loss of the shown weights, on the evaluated subsample
        (so they follow the timeline); ``{}`` before the first evaluation."""
        out = {}
        if self.test_probs is not None:
            out["test_acc"], out["test_loss"] = accuracy_and_loss(self.y_test[self.test_idx], self.test_probs)
            out["train_acc"], out["train_loss"] = accuracy_and_loss(self.y_train[self.train_idx], self.train_probs)
            out["source"] = f"on {len(self.test_idx):,} test and {len(self.train_idx):,} training digits"
        return out
