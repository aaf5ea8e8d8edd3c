"""Losses as a table, with Keras's reductions and its 1e-7 clipping of probabilities.

Every :class:`Loss` has

- ``value(y, p) -> float``: the mean over the batch of the per-sample loss
  (Keras's ``sum_over_batch_size``);
- ``gradient(y, p, out) -> out``: dL/dp for the *unfused* path (any activation), the
  derivative of ``value`` itself: through the clip (zero where a probability is clipped)
  and, for the categorical losses, through Keras's normalisation ``p / sum(p)``, so a
  sigmoid or linear output with ``categorical_crossentropy`` trains as in Keras;
- ``targets(y, units) -> y``: the targets checked and shaped for the output;
- ``correct(y, p) -> bool ndarray of shape (n,)``: per-sample hits of Keras's
  ``"accuracy"`` for this loss.

:data:`FUSED` lists the (activation, loss) pairs whose delta on the output
pre-activation ``z`` is written directly (:func:`fused_delta`): ``(p - y) / n`` for
softmax with a crossentropy (``(p * sum(y) - y) / n`` when a row of targets does not
sum to 1, e.g. multi-hot), ``(p - y) / size`` for sigmoid with binary crossentropy,
``2 (p - y) / size`` for linear with MSE, ``sign(p - y) / size`` for linear with MAE and
``clip(p - y, -1, 1) / size`` for linear with Huber (Keras's ``delta=1.0``).

Regression losses (Keras's formulas, ``e = p - y``): ``mse`` = mean e², ``mae`` = mean |e|,
``huber`` = mean of 0.5 e² where |e| <= 1, |e| - 0.5 beyond.

Saturated outputs: the fused deltas are the derivatives of the crossentropy computed
from the logits, *without* the clip. A confidently wrong sample (a logit beyond about
16, a probability clipped to 1e-7) reports the clipped loss, ``-log(1e-7) = 16.12``, yet
still gets the gradient ``p - y`` (about -1 on its logit) and is learnt from. This is
what Keras's TensorFlow backend does (its losses differentiate the logits behind a
softmax or sigmoid output); its torch and JAX backends differentiate the clip and give
such a sample no gradient at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.engine.validation import check_choice

EPSILON = 1e-7  # Keras's backend epsilon


def _clip(p):
    return np.clip(p, EPSILON, 1.0 - EPSILON)


# ---- values -----------------------------------------------------------------------------------
def _mse(y, p):
    d = p - y
    return float(np.mean(np.mean(d * d, axis=-1)))


def _mae(y, p):
    return float(np.mean(np.mean(np.abs(p - y), axis=-1)))


HUBER_DELTA = 1.0   # Keras's default ``delta``


def _huber(y, p):
    # Keras: 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond, averaged over units
    e = np.abs(p - y)
    per = np.where(e <= HUBER_DELTA, 0.5 * e * e, HUBER_DELTA * (e - 0.5 * HUBER_DELTA))
    return float(np.mean(np.mean(per, axis=-1)))


def _bce(y, p):
    q = _clip(p)
    per = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    return float(np.mean(np.mean(per, axis=-1)))


def _cce(y, p):
    q = _clip(p / p.sum(axis=-1, keepdims=True))
    return float(np.mean(-np.sum(y * np.log(q), axis=-1)))


def _scce(y, p):
    q = _clip(p / p.sum(axis=-1, keepdims=True))
    return float(np.mean(-np.log(q[np.arange(len(y)), y])))


# ---- dL/dp (unfused path) ---------------------------------------------------------------------
def _mse_g(y, p, out):
    np.subtract(p, y, out=out)
    out *= np.float32(2.0 / out.size)
    return out


def _mae_g(y, p, out):
    # d|e|/de = sign(e), 0 at e = 0 (as TensorFlow's abs)
    np.subtract(p, y, out=out)
    np.sign(out, out=out)
    out *= np.float32(1.0 / out.size)
    return out


def _huber_g(y, p, out):
    # e inside [-delta, delta], the slope +-delta beyond
    np.subtract(p, y, out=out)
    np.clip(out, -HUBER_DELTA, HUBER_DELTA, out=out)
    out *= np.float32(1.0 / out.size)
    return out


def _bce_g(y, p, out):
    q = _clip(p)
    inside = (p > EPSILON) & (p < 1 - EPSILON)
    out[...] = (q - y) / (q * (1 - q)) * inside / y.size
    return out


def _cce_g(y, p, out):
    # L = -sum(y log clip(q)) with q = p / s, s = sum(p): dL/dq = -y / q where q is not clipped,
    # and dL/dp = (dL/dq - sum(dL/dq * q)) / s (the normalisation's Jacobian)
    s = p.sum(axis=-1, keepdims=True)
    q = p / s
    inside = (q > EPSILON) & (q < 1 - EPSILON)
    gq = -y / _clip(q) * inside
    out[...] = (gq - np.sum(gq * q, axis=-1, keepdims=True)) / (s * len(y))
    return out


def _scce_g(y, p, out):
    # _cce_g for one-hot targets: only the labelled q_y = p_y / s has dL/dq = -1 / q_y
    rows = np.arange(len(y))
    s = p.sum(axis=-1)
    q = p[rows, y] / s
    inside = (q > EPSILON) & (q < 1 - EPSILON)
    gq = -1.0 / _clip(q) * inside
    scale = 1.0 / (s * len(y))
    out[...] = (-gq * q * scale)[:, None]
    out[rows, y] += gq * scale
    return out


# ---- fused deltas on z -----------------------------------------------------------------------
def fused_delta(loss_name: str, y, p, out):
    """dL/dz for a FUSED (activation, loss) pair, written into ``out``.

    The derivative of the crossentropy of the logits, not of the clipped loss: a saturated,
    confidently wrong output still gets ``p - y`` (see the module's docstring).

    Parameters
    ----------
    y : ndarray of shape (n, k), or (n,) int labels for the sparse loss
    p : ndarray of shape (n, k)
        The network's output.
    out : ndarray of shape (n, k), float32
    """
    n = len(p)
    if loss_name == "sparse_categorical_crossentropy":
        out[...] = p
        out[np.arange(n), y] -= 1
        out *= np.float32(1.0 / n)
    elif loss_name == "categorical_crossentropy":
        # d/dz of -sum(y log softmax(z)) is p * sum(y) - y: p - y for one-hot rows (a sum of
        # exactly 1 leaves p's bits unchanged), not for multi-hot targets
        np.multiply(p, y.sum(axis=-1, keepdims=True), out=out)
        out -= y
        out *= np.float32(1.0 / n)
    elif loss_name == "mse":
        np.subtract(p, y, out=out)
        out *= np.float32(2.0 / p.size)
    elif loss_name in ("mae", "huber"):     # a linear output: dL/dz is dL/dp
        LOSSES[loss_name].gradient(y, p, out)
    else:
        np.subtract(p, y, out=out)
        out *= np.float32(1.0 / p.size)     # binary crossentropy: the mean over samples and units
    return out


FUSED = {
    ("softmax", "categorical_crossentropy"),
    ("softmax", "sparse_categorical_crossentropy"),
    ("sigmoid", "binary_crossentropy"),
    ("linear", "mse"),
    ("linear", "mae"),
    ("linear", "huber"),
}


# ---- targets and accuracy ---------------------------------------------------------------------
def _dense_targets(name):
    def targets(y, units):
        y = np.asarray(y)
        if y.ndim == 1 and units == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != units:
            hint = ""
            if name == "categorical_crossentropy" and y.ndim == 1:
                hint = (" For integer class labels use loss='sparse_categorical_crossentropy', "
                        "or one-hot encode the labels.")
            raise ValueError(f"Targets of shape {y.shape} do not fit loss '{name}' with an output "
                             f"of {units} unit(s): expected shape (n, {units}).{hint}")
        return np.ascontiguousarray(y, dtype=np.float32)
    return targets


def _sparse_targets(y, units):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"Targets of shape {y.shape} do not fit loss 'sparse_categorical_crossentropy': "
                         "expected integer labels of shape (n,). For one-hot targets use "
                         "loss='categorical_crossentropy'.")
    if y.dtype.kind == "f":
        if not np.array_equal(y, np.round(y)):
            raise ValueError("Loss 'sparse_categorical_crossentropy' needs integer class labels. "
                             f"Received non-integer values such as {y[y != np.round(y)][0]!r}.")
    elif y.dtype.kind not in "iub":
        raise ValueError(f"Loss 'sparse_categorical_crossentropy' needs integer labels. Received dtype {y.dtype}.")
    y = y.astype(np.int64)
    if len(y) and (y.min() < 0 or y.max() >= units):
        raise ValueError(f"Labels must be in the range [0, {units - 1}] for an output of {units} units. "
                         f"Received labels from {y.min()} to {y.max()}.")
    return y


def _hits_dense(y, p):
    if p.shape[-1] == 1:
        return (p[:, 0] > 0.5) == (y[:, 0] > 0.5)
    return np.argmax(p, axis=-1) == np.argmax(y, axis=-1)


def _hits_sparse(y, p):
    return np.argmax(p, axis=-1) == y


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable
    gradient: Callable
    targets: Callable
    correct: Callable

    def __call__(self, y_true, y_pred) -> float:
        p = np.asarray(y_pred, dtype=np.float32)
        return self.value(self.targets(y_true, p.shape[-1]), p)


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse, _mse_g, _dense_targets("mse"), _hits_dense),
    "mae": Loss("mae", _mae, _mae_g, _dense_targets("mae"), _hits_dense),
    "huber": Loss("huber", _huber, _huber_g, _dense_targets("huber"), _hits_dense),
    "binary_crossentropy": Loss("binary_crossentropy", _bce, _bce_g,
                                _dense_targets("binary_crossentropy"), _hits_dense),
    "categorical_crossentropy": Loss("categorical_crossentropy", _cce, _cce_g,
                                     _dense_targets("categorical_crossentropy"), _hits_dense),
    "sparse_categorical_crossentropy": Loss("sparse_categorical_crossentropy", _scce, _scce_g,
                                            _sparse_targets, _hits_sparse),
}
ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae"}


def get(name) -> Loss:
    """Look up a loss by name (Keras's names; ``mean_squared_error`` is ``mse``,
    ``mean_absolute_error`` is ``mae``)."""
    if isinstance(name, Loss):
        return name
    if isinstance(name, str):
        name = ALIASES.get(name, name)
    return LOSSES[check_choice("loss", name, LOSSES)]
