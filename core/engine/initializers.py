"""Weight initializers with Keras's names, each drawing from a ``np.random.Generator``.

Every initializer is ``f(shape, rng) -> float32 ndarray`` where ``shape`` is
``(fan_in, fan_out)`` for a kernel or ``(units,)`` for a bias (both fans are then
``units``, as in Keras). Keras's rules:

=================  ===============================================================
glorot_uniform     uniform in ``±sqrt(6 / (fan_in + fan_out))`` (Dense's default)
glorot_normal      truncated normal, std ``sqrt(2 / (fan_in + fan_out))``
he_uniform         uniform in ``±sqrt(6 / fan_in)``
he_normal          truncated normal, std ``sqrt(2 / fan_in)``
lecun_uniform      uniform in ``±sqrt(3 / fan_in)``
lecun_normal       truncated normal, std ``sqrt(1 / fan_in)``
random_uniform     uniform in ``±0.05``
random_normal      normal, std 0.05
zeros, ones        constants
=================  ===============================================================

A truncated normal redraws values beyond two of its standard deviations and is
scaled so that what remains has the std given.
"""
from __future__ import annotations

import numpy as np

from core.engine.validation import check_choice


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def _truncated_normal(shape, stddev, rng):
    # Keras's TruncatedNormal: redraw values beyond two standard deviations
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    # 0.8796... is the std of a standard normal truncated to [-2, 2]
    return (out * (stddev / 0.87962566103423978)).astype(np.float32)


def zeros(shape, rng=None):
    return np.zeros(shape, dtype=np.float32)


def ones(shape, rng=None):
    return np.ones(shape, dtype=np.float32)


def glorot_uniform(shape, rng):
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def glorot_normal(shape, rng):
    fan_in, fan_out = _fans(shape)
    return _truncated_normal(shape, np.sqrt(2.0 / (fan_in + fan_out)), rng)


def he_uniform(shape, rng):
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def he_normal(shape, rng):
    fan_in, _ = _fans(shape)
    return _truncated_normal(shape, np.sqrt(2.0 / fan_in), rng)


def lecun_uniform(shape, rng):
    fan_in, _ = _fans(shape)
    limit = np.sqrt(3.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def lecun_normal(shape, rng):
    fan_in, _ = _fans(shape)
    return _truncated_normal(shape, np.sqrt(1.0 / fan_in), rng)


def random_normal(shape, rng):
    return (rng.standard_normal(shape) * 0.05).astype(np.float32)


def random_uniform(shape, rng):
    return rng.uniform(-0.05, 0.05, size=shape).astype(np.float32)


INITIALIZERS = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "random_normal": random_normal,
    "random_uniform": random_uniform,
}


def get(name, argument="kernel_initializer"):
    """Look up an initializer by name (or return a callable unchanged)."""
    if callable(name):
        return name
    return INITIALIZERS[check_choice(argument, name, INITIALIZERS)]
