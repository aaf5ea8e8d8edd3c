"""Activation functions as a table of (function, derivative-from-output).

Each entry of :data:`ACTIVATIONS` is an :class:`Activation` whose ``forward(z, out)``
writes ``f(z)`` into ``out`` (which may be ``z`` itself) and whose
``backward(a, delta)`` multiplies ``delta`` in place by ``f'(z)`` written from the
*output* ``a = f(z)`` (scikit-learn's trick: no need to keep ``z``).

Softmax has no element-wise derivative; it is only used fused with a
crossentropy loss (see :mod:`core.engine.losses`), or through its full Jacobian in
:func:`softmax_backward`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.engine.validation import check_choice

LEAKY_SLOPE = np.float32(0.2)  # Keras's LeakyReLU default negative_slope


def _linear(z, out):
    if out is not z:
        out[...] = z
    return out


def _linear_d(a, delta):
    return delta


#: read-only zero arrays by (shape, dtype) for relu: numpy's maximum with a scalar (or a broadcast
#: operand) runs an unvectorised loop, 4x slower than with a same-shape array (25 vs 6 us on a
#: (128, 512) batch); the results are the same bits
_ZEROS: dict = {}


def _zeros_like(z):
    key = (z.shape, z.dtype)
    zeros = _ZEROS.get(key)
    if zeros is None:
        if len(_ZEROS) >= 16:            # shapes come and go (batch sizes, traces): keep a few
            _ZEROS.clear()
        zeros = _ZEROS[key] = np.zeros(z.shape, z.dtype)
        zeros.flags.writeable = False
    return zeros


def _relu(z, out):
    return np.maximum(z, _zeros_like(z), out=out)


def _relu_d(a, delta):
    # delta[a <= 0] = 0, without allocating a mask
    np.multiply(delta, a > 0, out=delta)
    return delta


def _leaky_relu(z, out):
    # max(z, 0.2 z) is leaky relu for a slope in (0, 1)
    return np.maximum(z, z * LEAKY_SLOPE, out=out)


def _leaky_relu_d(a, delta):
    np.multiply(delta, np.where(a > 0, np.float32(1), LEAKY_SLOPE), out=delta)
    return delta


def _sigmoid(z, out):
    # 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0, with e = exp(-|z|) in (0, 1]: nothing
    # overflows and a tiny output keeps its full relative precision (float32: <= 1e-6 down to
    # z = -80, as torch's sigmoid). 0.5 * (1 + tanh(z / 2)) cancels for negative z: 1e-4 off at
    # z = -9, 6 % at -16 and exactly 0 below -16.6.
    positive = z >= 0
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    denominator = out + 1
    np.maximum(out, positive, out=out)   # the numerator: 1 where z >= 0 (e <= 1), e where z < 0
    out /= denominator
    return out


def _sigmoid_d(a, delta):
    delta *= a
    delta *= 1 - a
    return delta


def _tanh(z, out):
    return np.tanh(z, out=out)


def _tanh_d(a, delta):
    delta *= 1 - a * a
    return delta


def _softmax(z, out):
    if out is not z:
        out[...] = z
    out -= out.max(axis=-1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softmax_backward(a, delta):
    """Apply the softmax Jacobian to ``delta`` in place.

    Parameters
    ----------
    a : ndarray of shape (n, k)
        Softmax outputs.
    delta : ndarray of shape (n, k)
        dL/da; overwritten with dL/dz = a * (delta - sum(delta * a, axis=1)).
    """
    s = np.sum(delta * a, axis=-1, keepdims=True)
    delta -= s
    delta *= a
    return delta


@dataclass(frozen=True)
class Activation:
    """An activation: ``forward(z, out) -> out`` and ``backward(a, delta) -> delta``."""

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def __call__(self, z):
        """Apply out of place (for scripts and tests)."""
        z = np.asarray(z, dtype=np.float32)
        return self.forward(z, np.empty_like(z))


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", _linear, _linear_d),
    "relu": Activation("relu", _relu, _relu_d),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_d),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_d),
    "tanh": Activation("tanh", _tanh, _tanh_d),
    "softmax": Activation("softmax", _softmax, softmax_backward),
}


def get(name) -> Activation:
    """Look up an activation by name; ``None`` means ``"linear"`` (as in Keras)."""
    if name is None:
        name = "linear"
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]
