"""The curves view's data: growing float32 columns, their decimation for drawing, and smoothing.

NumPy only (no Qt): :func:`envelope` keeps every extreme of the faint every-batch band,
:func:`thin` samples a smooth curve evenly, :func:`ema` is the smoothing slider's
exponential moving average, and :class:`Growing` holds the buffers.
"""
from __future__ import annotations

import math

import numpy as np

#: the smoothing slider's largest value (1 would freeze the smoothed curve)
SMOOTHING_MAX = 0.99
#: a curve is handed to pyqtgraph as at most this many min/max pairs: a pair per two or three
#: pixel columns of a typical dock, which looks the same as every point and paints ~10x faster
MAX_BINS = 300
#: points of a smoothed curve handed to the plot (a smooth line needs one every few pixels)
SMOOTH_POINTS = 240


def envelope(x: np.ndarray, y: np.ndarray, bins: int = MAX_BINS):
    """Peak-decimate a curve to at most ``2 * bins`` points that keep every extreme.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        ``x`` increasing.

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= 2 * bins
        Unchanged when ``n <= 2 * bins``; otherwise per bin of consecutive samples its
        minimum and maximum, in x order, so the drawn band matches the full curve.
    """
    n = len(x)
    if n <= 2 * bins:
        return x, y
    size = -(-n // bins)                      # samples per bin, rounded up
    starts = np.arange(0, n, size)            # the last bin may be shorter
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(y, starts)
        hi = np.fmax.reduceat(y, starts)
    m = len(starts)
    ends = np.append(starts[1:], n) - 1
    xs = np.empty(2 * m, dtype=np.float32)
    ys = np.empty_like(xs)
    xs[0::2] = x[starts]
    xs[1::2] = x[ends]
    ys[0::2] = lo
    ys[1::2] = hi
    return xs, ys


def thin(x: np.ndarray, y: np.ndarray, points: int = SMOOTH_POINTS):
    """At most ``points`` evenly spaced samples of a smooth curve, first and last included.

    A smoothed curve has no spikes to keep, and an antialiased 2-px line costs ~3x as
    much with a min/max pair per pixel as with a point every two or three pixels.

    Parameters
    ----------
    x, y : ndarray of shape (n,)

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= max(points, 2); unchanged when ``n <= points``
    """
    n = len(x)
    if n <= points:
        return x, y
    idx = np.linspace(0, n - 1, max(int(points), 2)).astype(np.intp)
    return x[idx], y[idx]


def ema(values: np.ndarray, alpha: float, start: float | None = None) -> np.ndarray:
    """Exponential moving average ``s[k] = alpha * s[k-1] + (1 - alpha) * values[k]``.

    Parameters
    ----------
    values : ndarray of shape (n,)
    alpha : float in [0, 1)
        0 returns the values unchanged.
    start : float or None
        ``s[-1]``, the smoothed value before ``values[0]``; None starts at ``values[0]``.

    Returns
    -------
    ndarray of shape (n,), float32

    Notes
    -----
    Vectorised in blocks: inside a block of length ``B``, ``s[k] = alpha**(k+1) * s[-1]
    + (1 - alpha) * alpha**k * cumsum(alpha**-j * values[j])[k]``, with ``B`` small
    enough that ``alpha**-B`` stays far from overflow.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.empty(len(x), dtype=np.float32)
    if len(x) == 0:
        return out
    a = min(max(float(alpha), 0.0), SMOOTHING_MAX)
    if a == 0.0:
        out[:] = x
        return out
    prev = float(x[0]) if start is None or not math.isfinite(start) else float(start)
    block = int(min(1024, max(1, 100.0 / -math.log10(a))))
    j = np.arange(block, dtype=np.float64)
    up, down = a ** -j, a ** j
    for i in range(0, len(x), block):
        chunk = x[i:i + block]
        m = len(chunk)
        s = down[:m] * (a * prev + (1.0 - a) * np.cumsum(up[:m] * chunk))
        out[i:i + m] = s
        prev = float(s[-1])
        if not math.isfinite(prev):  # a non-finite value poisons the rest; restart after it
            prev = float(chunk[-1]) if math.isfinite(chunk[-1]) else 0.0
    return out


class Growing:
    """Parallel float32 columns that double their capacity when full."""

    def __init__(self, names, capacity=1024):
        self.names = tuple(names)
        self.n = 0
        self.cols = {k: np.empty(capacity, dtype=np.float32) for k in self.names}

    def append(self, **arrays) -> None:
        m = len(next(iter(arrays.values())))
        need = self.n + m
        cap = len(self.cols[self.names[0]])
        if need > cap:
            while cap < need:
                cap *= 2
            for k in self.names:
                grown = np.empty(cap, dtype=np.float32)
                grown[:self.n] = self.cols[k][:self.n]
                self.cols[k] = grown
        for k, v in arrays.items():
            self.cols[k][self.n:need] = v
        self.n = need

    def view(self, name) -> np.ndarray:
        return self.cols[name][:self.n]

    def clear(self) -> None:
        self.n = 0
