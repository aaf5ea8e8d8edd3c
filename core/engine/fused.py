"""The optimizers' updates fused into one pass per step, compiled with numba (optional).

Installed with ``pip install uncrumple[fast]``; :mod:`core.engine.optimizers` uses it when
numba imports and ``UNCRUMPLE_FUSED`` is not ``0``, else its NumPy path. NumPy runs an
RMSprop step as 9 ufunc passes over every weight (each reads and writes whole arrays,
1.6 MB each for the book's network); here each element is read once, updated in
registers and written once.

Same bits as the NumPy path: each kernel does, element by element, the float operations
of :mod:`core.engine.optimizers` in the same order, in the parameters' dtype, with the
scalars rounded to it as NumPy rounds a Python float against a float32 array; no
fast-math, so no operation is reordered or contracted into a fused multiply-add, and
``sqrt`` and ``/`` are IEEE's, correctly rounded, in both. The decaying slots are flushed
(:func:`core.engine.optimizers.flush_subnormals`) when ``flush`` is set, after the step,
as there. ``tests/core/test_optimizers.py`` checks the bits over steps with and without a
flush for every optimizer.

Every function takes 1-D C-contiguous arrays of one float dtype (the caller passes
``ravel()`` views and falls back to NumPy for anything else) and Python floats.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["sgd", "rmsprop", "adagrad", "adam"]

_TINY = np.finfo(np.float32).tiny
_JIT = dict(nogil=True, cache=True, error_model="numpy", boundscheck=False)


@numba.njit(**_JIT)
def _flush_signed(x, tiny):
    """``x``, or +0 when ``|x| < tiny`` (as NumPy's flush: -0 and subnormals of either sign)."""
    return x if (x >= tiny or x <= -tiny or x != x) else tiny - tiny


@numba.njit(**_JIT)
def _flush_unsigned(x, tiny):
    """``x``, or +0 when ``x < tiny`` (a slot that is never negative)."""
    return x if (x >= tiny or x != x) else tiny - tiny


@numba.njit(**_JIT)
def _sgd(w, g, m, lr, mu, use_momentum, nesterov, flush, tiny):
    for i in range(w.size):
        s = g[i] * lr                                      # s = lr * g
        if not use_momentum:
            w[i] = w[i] - s
            continue
        mi = m[i] * mu
        mi = mi - s                                        # m = mu * m - lr * g
        if nesterov:
            w[i] = (w[i] - s) + mi * mu                    # w += mu * m - lr * g
        else:
            w[i] = w[i] + mi
        m[i] = _flush_signed(mi, tiny) if flush else mi


@numba.njit(**_JIT)
def _rmsprop(w, g, v, m, lr, rho, one_minus_rho, eps, mu, use_momentum, flush, tiny):
    for i in range(w.size):
        gi = g[i]
        s = (gi * gi) * one_minus_rho
        vi = v[i] * rho + s                                # v = rho * v + (1 - rho) * g**2
        s = (gi / np.sqrt(vi + eps)) * lr                  # s = lr * g / sqrt(v + epsilon)
        v[i] = _flush_unsigned(vi, tiny) if flush else vi
        if use_momentum:
            mi = m[i] * mu + s
            w[i] = w[i] - mi
            m[i] = _flush_signed(mi, tiny) if flush else mi
        else:
            w[i] = w[i] - s


@numba.njit(**_JIT)
def _adagrad(w, g, acc, lr, eps):
    for i in range(w.size):
        gi = g[i]
        a = acc[i] + gi * gi
        acc[i] = a
        w[i] = w[i] - (gi / np.sqrt(a + eps)) * lr


@numba.njit(**_JIT)
def _adam(w, g, m, v, alpha, one_minus_b1, one_minus_b2, eps, flush, tiny):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1             # m += (g - m) * (1 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2        # v += (g**2 - v) * (1 - beta_2)
        w[i] = w[i] - (mi / (np.sqrt(vi) + eps)) * alpha
        if flush:
            mi = _flush_signed(mi, tiny)
            vi = _flush_unsigned(vi, tiny)
        m[i] = mi
        v[i] = vi


def sgd(w, g, m, lr, momentum, nesterov, flush):
    """SGD with (Nesterov) momentum; see :class:`core.engine.optimizers.SGD`."""
    t = w.dtype.type
    _sgd(w, g, m, t(lr), t(momentum), momentum != 0, bool(nesterov), flush, t(_TINY))


def rmsprop(w, g, v, m, lr, rho, epsilon, momentum, flush):
    """RMSprop with optional momentum; see :class:`core.engine.optimizers.RMSprop`."""
    t = w.dtype.type
    _rmsprop(w, g, v, m, t(lr), t(rho), t(1.0 - rho), t(epsilon), t(momentum), momentum > 0, flush, t(_TINY))


def adagrad(w, g, acc, lr, epsilon):
    """Adagrad; see :class:`core.engine.optimizers.Adagrad` (its accumulator never decays)."""
    t = w.dtype.type
    _adagrad(w, g, acc, t(lr), t(epsilon))


def adam(w, g, m, v, alpha, beta_1, beta_2, epsilon, flush):
    """Adam with the step's ``alpha`` (bias corrections included); see :class:`core.engine.optimizers.Adam`."""
    t = w.dtype.type
    _adam(w, g, m, v, t(alpha), t(1.0 - beta_1), t(1.0 - beta_2), t(epsilon), flush, t(_TINY))
