"""Loss landscapes: the loss evaluated on a grid of a plane through weight space.

:func:`evaluate_grid` computes the loss (and accuracy) on a resolution x resolution
grid of a :class:`Plane`, many grid points per batched matmul, in chunks, with a
``progress`` callback and a ``cancel`` check between chunks. Every value equals
``model.evaluate`` at those weights.

This module is also the landscape API's front door: the planes
(:func:`random_plane`, :func:`pca_plane`, :func:`weight_plane`, ... from
:mod:`core.analysis.loss.planes`), the 1D slice and the two-weight model (:func:`slice_1d`,
:func:`next_step`, :func:`two_weight_model`, ... from :mod:`core.analysis.loss.slices`) are
importable from here.

>>> plane = random_plane(model, seed=0)
>>> a, b, losses = evaluate_grid(model, x, y, plane, resolution=101, span=1.0)
>>> path = plane.project_path(history_of_weights)      # (k, 2), drawn over the heat map

Conventions: grid point ``(i, j)`` (row ``i``, column ``j``) is
``centre + a[j] * d1 + b[i] * d2``, so ``losses[i, j]`` is ready for a row-major
image with ``a`` on the horizontal axis. Weight vectors are float64 (exact for the
float32 weights); the network runs in float32, as ``model.evaluate`` does.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from core.engine.validation import check_int, check_number
from core.analysis.loss.batched import Cancelled, _evaluate
from core.analysis.loss.planes import (Plane, flatten, parameter_name, parameter_names, pca_plane, plane_through,
                                       random_plane, unflatten, weight_plane)
from core.analysis.loss.slices import Slice, next_step, slice_1d, two_weight_data, two_weight_model

__all__ = [
    "Plane", "Grid", "Slice", "Cancelled",
    "random_plane", "pca_plane", "weight_plane", "plane_through",
    "evaluate_grid", "evaluate_points", "slice_1d", "next_step",
    "grid_axes", "extent_for", "covers",
    "flatten", "unflatten", "parameter_name", "parameter_names",
    "two_weight_model", "two_weight_data",
]


# ---- extents ----------------------------------------------------------------------------------
def grid_axes(span=1.0, resolution=101) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates ``a`` (columns) and ``b`` (rows) of a grid.

    Parameters
    ----------
    span : float or (a_min, a_max, b_min, b_max)
        A float ``s`` means ``[-s, s]`` on both axes.
    resolution : int >= 2

    Returns
    -------
    a, b : ndarray of shape (resolution,), float64
    """
    resolution = check_int("resolution", resolution, low=2)
    if isinstance(span, (tuple, list, np.ndarray)):
        if len(span) != 4:
            raise ValueError(f"Argument `span` must be a number or (a_min, a_max, b_min, b_max). "
                             f"Received: span={span!r}")
        a0, a1, b0, b1 = (check_number("span", float(v)) for v in span)
        if not (a0 < a1 and b0 < b1):
            raise ValueError(f"Argument `span` must have a_min < a_max and b_min < b_max. Received: span={span!r}")
    else:
        s = check_number("span", span, low=0)
        a0, a1, b0, b1 = -s, s, -s, s
    return np.linspace(a0, a1, resolution), np.linspace(b0, b1, resolution)


def extent_for(points, margin=0.25, minimum=1e-3) -> tuple[float, float, float, float]:
    """A grid extent ``(a_min, a_max, b_min, b_max)`` holding a projected path and (0, 0).

    Parameters
    ----------
    points : ndarray of shape (k, 2)
        E.g. ``plane.project_path(history)``; non-finite rows are ignored.
    margin : float
        Padding on each side, as a fraction of the larger of the two ranges.
    minimum : float
        Smallest half width, so a path that has not moved still gets a grid.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = np.vstack([p[np.isfinite(p).all(axis=1)], [[0.0, 0.0]]])
    lo, hi = p.min(axis=0), p.max(axis=0)
    pad = max(float(margin) * float((hi - lo).max()), float(minimum))
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


def covers(extent, points) -> bool:
    """True when every finite point of ``points`` (k, 2) lies inside ``extent``;
    False means the path has left the plotted area and the grid should be recomputed."""
    a0, a1, b0, b1 = extent
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    return bool(np.all((p[:, 0] >= a0) & (p[:, 0] <= a1) & (p[:, 1] >= b0) & (p[:, 1] <= b1)))


# ---- the grid ---------------------------------------------------------------------------------
class Grid(namedtuple("Grid", "a b losses")):
    """The result of :func:`evaluate_grid`: a tuple ``(a, b, losses)`` with more attributes.

    Attributes
    ----------
    a : ndarray of shape (resolution,), float64
        Coordinates along ``d1`` (the columns).
    b : ndarray of shape (resolution,), float64
        Coordinates along ``d2`` (the rows).
    losses : ndarray of shape (resolution, resolution), float32
        ``losses[i, j]`` = loss at ``centre + a[j] * d1 + b[i] * d2``, with
        regularization, as ``model.evaluate``; NaN/inf where the network overflows.
    accuracy : ndarray of shape (resolution, resolution), float32
        Keras's "accuracy" at the same points (computed even if the model was
        compiled without metrics).
    extent : (a_min, a_max, b_min, b_max)
    """

    def __new__(cls, a, b, losses, accuracy=None, extent=None):
        self = super().__new__(cls, a, b, losses)
        self.accuracy = accuracy
        self.extent = extent
        return self

    def __getnewargs__(self):                   # pickles (across the trainer's pipe) with its extras
        return (self.a, self.b, self.losses, self.accuracy, self.extent)


def evaluate_grid(model, x, y, plane, resolution=101, span=1.0, progress=None, cancel=None,
                  chunk_elements=None, workers=1) -> Grid:
    """The loss (and accuracy) on a resolution x resolution grid of a plane.

    Grid points are evaluated many at a time, not one forward pass each: for a chunk
    of G points of a grid row the weights are ``centre + a * d1 + b * d2`` (float64,
    then float32 as ``set_weights`` stores them), and every later layer is one stacked
    ``np.matmul`` (G, units, d_in + 1) @ (G, d_in + 1, n) with the bias folded in; the
    first layer, linear in (a, b), is a single add of precomputed products (see
    ``core.analysis.loss.batched._Net``). Chunks hold about ``core.analysis.loss.batched.CHUNK_ELEMENTS``
    activations, so memory stays bounded (a few MB) for any resolution. The loss of every point is reduced
    as ``model.evaluate`` does it: the mean over samples of the per-sample loss, with
    the same clipping, plus the L2 penalty of any ``kernel_regularizer``.

    Parameters
    ----------
    model : Sequential
        Built and compiled, Dense and Dropout layers; its weights are not changed.
    x : ndarray of shape (n, d_in)
    y : ndarray of shape (n,) or (n, units)
        As for ``model.evaluate``. For large data sets pass a subsample: the cost is
        about resolution**2 forward passes (some 10 us each for 1,000 points through
        2-8-8-1 on one core).
    plane : Plane
    resolution : int >= 2
    span : float or (a_min, a_max, b_min, b_max)
        The grid covers ``[-span, span]`` on both axes, or the given extent (see
        :func:`extent_for` to fit a projected path).
    progress : callable(float) or None
        Called after every chunk (or every ``workers`` chunks) with the fraction
        done, in (0, 1], increasing; the last call is 1.0. Always called from the
        calling thread.
    cancel : callable() -> bool, or None
        Checked before every chunk (or every ``workers`` chunks), from the calling
        thread; when it returns True, :class:`Cancelled` is raised and nothing is
        returned. A chunk takes a few milliseconds, so cancelling is prompt.
    chunk_elements : int, optional
        Override ``core.analysis.loss.batched.CHUNK_ELEMENTS``.
    workers : int, default 1
        Threads evaluating chunks at once (NumPy releases the GIL). 2 nearly halves
        the time on an idle 2-core machine; keep 1 where the cores are busy
        (training, the GUI) -- then it gains nothing.

    Returns
    -------
    Grid
        Unpacks as ``a, b, losses``; also ``.accuracy`` and ``.extent``.

    Raises
    ------
    Cancelled
        When ``cancel()`` returned True.
    ValueError
        A plane of another size than the model, bad data, resolution or span.

    Notes
    -----
    Overflow is not an error: huge spans give +inf (an overflowing MSE or L2
    penalty, exactly where ``model.evaluate`` gives inf) or NaN, with numpy's
    warnings silenced; the crossentropies stay finite (their 1e-7 clipping) or NaN.
    """
    if not isinstance(plane, Plane):
        raise ValueError(f"Argument `plane` must be a core.analysis.loss.landscape.Plane. Received: {type(plane).__name__}")
    a, b = grid_axes(span, resolution)
    r = len(a)
    losses, acc = _evaluate(model, x, y, plane.centre, (plane.d1, plane.d2), None, progress, cancel,
                            chunk_elements, workers, axes=(a, b))
    return Grid(a, b, losses.reshape(r, r), acc.reshape(r, r), (a[0], a[-1], b[0], b[-1]))


def evaluate_points(model, x, y, plane, points, progress=None, cancel=None):
    """Loss and accuracy at arbitrary plane coordinates (e.g. a projected path).

    Parameters
    ----------
    model, x, y : as for :func:`evaluate_grid`
    plane : Plane
    points : ndarray of shape (k, 2)
        ``(a, b)`` per point.

    Returns
    -------
    losses, accuracy : ndarray of shape (k,), float32
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return _evaluate(model, x, y, plane.centre, (plane.d1, plane.d2), pts, progress, cancel)
