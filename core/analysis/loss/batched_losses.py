"""The losses of :mod:`core.engine.losses` for G outputs at once, behind :mod:`core.analysis.loss.batched`'s evaluation of
many weight vectors (the loss surface and the 1D slice)."""
from __future__ import annotations

import numpy as np

from core.engine import losses as losses_mod


def _mean_rows(t):
    """Mean of each row of a (G, ...) float32 array (float32 pairwise sums), as float64."""
    t = t.reshape(len(t), -1)
    return np.add.reduce(t, axis=-1).astype(np.float64) / t.shape[1]


def _dense_accuracy(y):
    """Keras's "accuracy" for dense targets (k, n): f(p of shape (G, k, n)) -> (G,)."""
    if y.shape[0] == 1:
        truth = y[0] > 0.5
        return lambda p: np.count_nonzero((p[:, 0] > 0.5) == truth, axis=-1) / p.shape[-1]
    truth = np.argmax(y, axis=0)
    return lambda p: np.count_nonzero(np.argmax(p, axis=1) == truth, axis=-1) / p.shape[-1]


def _bce_batched(y):
    """Binary crossentropy and accuracy: y (k, n) -> f(p (G, k, n)) -> ((G,), (G,))."""
    lo, hi = losses_mod.EPSILON, 1.0 - losses_mod.EPSILON
    accuracy = _dense_accuracy(y)
    if y.shape[0] == 1 and np.all((y == 0) | (y == 1)):
        # y log q + (1 - y) log(1 - q) is log(t), t = y q + (1 - y)(1 - q) the probability given
        # to the true class, and q (2y - 1) + (1 - y) is exactly q or 1 - q: one log per value.
        # Keras counts a hit when (p > 0.5) == (y > 0.5): t > 0.5 for y = 1, t >= 0.5 for y = 0.
        sign, offset = (2 * y - 1).astype(np.float32), (1 - y).astype(np.float32)
        below_half = np.nextafter(np.float32(0.5), np.float32(0))
        threshold = np.where(y > 0.5, np.float32(0.5), below_half).astype(np.float32)

        def f(p):
            np.clip(p, lo, hi, out=p)
            p *= sign
            p += offset
            hits = np.count_nonzero(p > threshold, axis=-1)[:, 0] / p.shape[-1]
            np.log(p, out=p)
            return -_mean_rows(p), hits
    else:
        def f(p):
            hits = accuracy(p)
            np.clip(p, lo, hi, out=p)
            t = y * np.log(p) + (1 - y) * np.log(1 - p)
            return -_mean_rows(t), hits
    return f


def _mse_batched(y):
    accuracy = _dense_accuracy(y)

    def f(p):
        hits = accuracy(p)
        p -= y
        np.square(p, out=p)
        return _mean_rows(p), hits
    return f


def _cce_batched(y):
    accuracy = _dense_accuracy(y)

    def f(p):
        q = np.clip(p / p.sum(axis=1, keepdims=True), losses_mod.EPSILON, 1.0 - losses_mod.EPSILON)
        return np.mean(-np.sum(y * np.log(q), axis=1), axis=-1, dtype=np.float64), accuracy(p)
    return f


def _scce_batched(y):
    idx = y[None, None, :]

    def f(p):
        hits = np.count_nonzero(np.argmax(p, axis=1) == y, axis=-1) / p.shape[-1]
        q = np.take_along_axis(p, idx, axis=1)[:, 0] / p.sum(axis=1)
        q = np.clip(q, losses_mod.EPSILON, 1.0 - losses_mod.EPSILON)
        return -np.mean(np.log(q), axis=-1, dtype=np.float64), hits
    return f


def _generic_batched(loss, y_rows):
    """Any other :class:`core.engine.losses.Loss`: its own ``value`` and ``correct``, one point at a time."""
    def f(p):
        values = np.array([loss.value(y_rows, p[g].T) for g in range(len(p))])
        hits = np.array([np.mean(loss.correct(y_rows, p[g].T)) for g in range(len(p))])
        return values, hits
    return f


BATCHED_LOSSES = {
    "binary_crossentropy": _bce_batched,
    "mse": _mse_batched,
    "categorical_crossentropy": _cce_batched,
    "sparse_categorical_crossentropy": _scce_batched,
}
"""Loss name -> ``make(y) -> f(p) -> (losses, accuracy)``, each of shape (G,): the losses of
:mod:`core.engine.losses` (mean over samples, Keras's ``sum_over_batch_size``, the same 1e-7
clipping) and Keras's "accuracy" (the rules of ``Loss.correct``) for G outputs at once,
laid out feature-major: ``p`` of shape (G, k, n) and ``y`` the transposed targets (k, n),
or (n,) int labels for the sparse loss. ``f`` may overwrite ``p``."""
