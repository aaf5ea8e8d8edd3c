"""Loss landscapes: planes through weight space and the loss evaluated on them.

A :class:`Plane` is a centre in weight space (a flat vector in ``get_weights``
order) and two directions ``d1``, ``d2``; the point ``(a, b)`` of the plane is the
weight vector ``centre + a * d1 + b * d2``. Three ways to choose one (issue 5):

* :func:`weight_plane` -- two chosen parameters, all others frozen (an exact slice);
* :func:`random_plane` -- two random directions, filter-normalised (Li et al., 2018);
* :func:`pca_plane` -- the top two principal components of a recorded trajectory.

:func:`evaluate_grid` computes the loss (and accuracy) on a resolution x resolution
grid of a plane, many grid points per batched matmul, in chunks, with a
``progress`` callback and a ``cancel`` check between chunks. Every value equals
``model.evaluate`` at those weights. :func:`slice_1d` and :func:`next_step` give the
book's fig. 2.11 (the loss along one direction and the step about to be taken),
and :func:`two_weight_model` a network whose whole weight space *is* a plane
(fig. 2.12).

>>> plane = random_plane(model, seed=0)
>>> a, b, losses = evaluate_grid(model, x, y, plane, resolution=101, span=1.0)
>>> path = plane.project_path(history_of_weights)      # (k, 2), drawn over the heat map

Conventions: grid point ``(i, j)`` (row ``i``, column ``j``) is
``centre + a[j] * d1 + b[i] * d2``, so ``losses[i, j]`` is ready for a row-major
image with ``a`` on the horizontal axis. Weight vectors are float64 here (exact
for the float32 weights); the network runs in float32, as ``model.evaluate`` does.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from . import losses as losses_mod
from ._validation import check_array, check_int, check_number
from .layers import Dense, Dropout
from .model import Sequential

__all__ = [
    "Plane", "Grid", "Slice", "Cancelled",
    "random_plane", "pca_plane", "weight_plane", "plane_through",
    "evaluate_grid", "evaluate_points", "slice_1d", "next_step",
    "grid_axes", "extent_for", "covers",
    "flatten", "unflatten", "parameter_names",
    "DenseNoBias", "two_weight_model", "two_weight_data",
]

CHUNK_ELEMENTS = 1 << 19
"""Floats per activation buffer of one chunk (2 MB in float32): chunks of grid points
small enough for the CPU's cache, large enough to amortise Python's overhead.
Measured on the 2-8-8-1 benchmark: 2**18..2**20 are within 10 % of each other."""


class Cancelled(Exception):
    """Raised by :func:`evaluate_grid` (and friends) when ``cancel()`` returned True.

    Nothing is returned for a cancelled evaluation: the caller (a worker) catches
    this and reports "cancelled" instead of a result.
    """


# ---- flat weight vectors ----------------------------------------------------------------------
def flatten(weights) -> np.ndarray:
    """Concatenate weights (a ``get_weights()`` list) into one float64 vector.

    Parameters
    ----------
    weights : list of ndarray, or ndarray of shape (P,)
        Kernels (d_in, units) and biases (units,) in ``get_weights`` order, each
        flattened in C order; a 1D array is taken as already flat.

    Returns
    -------
    ndarray of shape (P,), float64
    """
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        return weights.astype(np.float64)
    parts = [np.asarray(w, dtype=np.float64).ravel() for w in weights]
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten(vector, shapes, dtype=np.float32) -> list[np.ndarray]:
    """Split a flat vector into arrays of ``shapes`` (the inverse of :func:`flatten`).

    Parameters
    ----------
    vector : ndarray of shape (P,)
    shapes : sequence of tuple
        ``[w.shape for w in model.get_weights()]``; their sizes must sum to P.
    dtype : dtype, default float32 (the model's)

    Returns
    -------
    list of ndarray, ready for ``model.set_weights``
    """
    vector = np.asarray(vector)
    sizes = [int(np.prod(s)) for s in shapes]
    if sum(sizes) != vector.size:
        raise ValueError(f"A vector of {vector.size} values does not fill shapes {list(shapes)} "
                         f"({sum(sizes)} values).")
    out, start = [], 0
    with np.errstate(over="ignore"):                 # beyond float32's range: inf, as on the grid
        for shape, size in zip(shapes, sizes):
            out.append(vector[start:start + size].reshape(shape).astype(dtype))
            start += size
    return out


def parameter_names(model) -> list[str]:
    """A readable name for every scalar parameter, by flat index in ``get_weights`` order.

    ``"dense_1 W[3,0]"`` is row 3 (input 3), column 0 (unit 0) of layer ``dense_1``'s
    kernel; ``"dense_1 b[0]"`` is its bias for unit 0.

    Returns
    -------
    list of str of length ``model.count_params()``
    """
    _require_built(model)
    names = []
    for layer in model.layers:
        for p in layer.params:
            kind = "W" if p is getattr(layer, "kernel", None) else "b"
            for idx in np.ndindex(p.shape):
                names.append(f"{layer.name} {kind}[{','.join(map(str, idx))}]")
    return names


def _require_built(model):
    if not isinstance(model, Sequential):
        raise ValueError(f"Argument `model` must be a core Sequential. Received: {type(model).__name__}")
    if not model.built:
        raise ValueError("The model is not built yet: call build(d) or fit() first.")


def _stack(history) -> np.ndarray:
    """Weight vectors as rows: (k, P) float64 from a list of weight lists or flat vectors."""
    if isinstance(history, np.ndarray):
        if history.ndim == 1:
            return history.astype(np.float64)[None]
        if history.ndim == 2:
            return history.astype(np.float64)
    rows = [flatten(w) for w in history]
    if not rows:
        raise ValueError("Argument `weights_history` is empty; record at least two sets of weights.")
    sizes = {r.size for r in rows}
    if len(sizes) != 1:
        raise ValueError(f"Every recorded set of weights must have the same size. Received sizes {sorted(sizes)}.")
    return np.stack(rows)


def _shapes_of(weights):
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        return None
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        return None
    return tuple(np.shape(w) for w in weights)


# ---- planes -----------------------------------------------------------------------------------
class Plane:
    """A plane through weight space: ``point(a, b) = centre + a * d1 + b * d2``.

    Parameters
    ----------
    centre, d1, d2 : ndarray of shape (P,)
        Flat vectors in ``get_weights`` order (stored as float64). ``d1`` and ``d2``
        need not be orthogonal or of unit length; they must not both be zero.
    shapes : sequence of tuple, optional
        Shapes of the weight arrays, for :meth:`weights_at`; default one flat array.
    labels : (str, str)
        Axis labels for the views.
    kind : str
        ``"weights"``, ``"random"``, ``"pca"`` or ``"custom"``.
    explained : (float, float) or None
        PCA planes: the fraction of the trajectory's variance along ``d1`` and ``d2``.
    indices : (int, int) or None
        Weight planes: the flat indices of the two chosen parameters, so that the
        parameter values on the axes are ``centre[i] + a`` and ``centre[j] + b``.
    """

    def __init__(self, centre, d1, d2, shapes=None, labels=("d1", "d2"), kind="custom",
                 explained=None, indices=None):
        self.centre = np.array(centre, dtype=np.float64).ravel()
        self.d1 = np.array(d1, dtype=np.float64).ravel()
        self.d2 = np.array(d2, dtype=np.float64).ravel()
        if not (self.centre.size == self.d1.size == self.d2.size) or self.centre.size == 0:
            raise ValueError(f"centre, d1 and d2 must be non-empty vectors of one size. Received sizes "
                             f"{self.centre.size}, {self.d1.size}, {self.d2.size}.")
        if not all(np.isfinite(v).all() for v in (self.centre, self.d1, self.d2)):
            raise ValueError("centre, d1 and d2 must be finite.")
        self.shapes = tuple(tuple(s) for s in shapes) if shapes is not None else ((self.centre.size,),)
        if sum(int(np.prod(s)) for s in self.shapes) != self.centre.size:
            raise ValueError(f"shapes {self.shapes} do not hold {self.centre.size} values.")
        self.labels = (str(labels[0]), str(labels[1]))
        self.kind = kind
        self.explained = None if explained is None else (float(explained[0]), float(explained[1]))
        self.indices = None if indices is None else (int(indices[0]), int(indices[1]))
        basis = self.basis
        gram = basis @ basis.T
        if not np.any(gram):
            raise ValueError("The plane's directions d1 and d2 are both zero.")
        # least squares onto span(d1, d2): c = pinv(B B^T) B (w - centre); pinv copes with d1 || d2
        self._solve = np.linalg.pinv(gram)

    @property
    def size(self) -> int:
        """P, the number of scalar parameters."""
        return self.centre.size

    @property
    def basis(self) -> np.ndarray:
        """``[d1, d2]`` as an array of shape (2, P)."""
        return np.stack([self.d1, self.d2])

    def point(self, a, b) -> np.ndarray:
        """The flat weight vector at ``(a, b)``, shape (P,) float64."""
        return self.centre + float(a) * self.d1 + float(b) * self.d2

    def weights_at(self, a, b, shapes=None) -> list[np.ndarray]:
        """The weights at ``(a, b)`` as a ``get_weights``-shaped list of float32 arrays."""
        return unflatten(self.point(a, b), shapes or self.shapes)

    def project(self, weights) -> tuple[float, float]:
        """The plane coordinates ``(a, b)`` of the point of the plane nearest ``weights``.

        Parameters
        ----------
        weights : list of ndarray (``get_weights`` order) or ndarray of shape (P,)

        Returns
        -------
        (float, float)
            Least squares coordinates (exact for a point of the plane, also when
            ``d1`` and ``d2`` are not orthogonal). The centre projects to (0, 0).
        """
        a, b = self.project_path([weights])[0]
        return float(a), float(b)

    def project_path(self, history) -> np.ndarray:
        """Project many weight vectors at once.

        Parameters
        ----------
        history : list of weight lists, list of flat vectors, or ndarray of shape (k, P)

        Returns
        -------
        ndarray of shape (k, 2), float64
            ``(a, b)`` per recorded point; rows with non-finite weights are NaN.
        """
        if isinstance(history, np.ndarray) and history.ndim == 1:
            history = history[None]
        w = _stack(history)
        if w.shape[1] != self.size:
            raise ValueError(f"Weights of {w.shape[1]} values do not fit a plane in {self.size} dimensions.")
        with np.errstate(all="ignore"):
            rhs = (w - self.centre) @ self.basis.T
            out = rhs @ self._solve.T
        out[~np.isfinite(w).all(axis=1)] = np.nan
        return out

    def __repr__(self):
        return f"Plane(kind={self.kind!r}, size={self.size}, labels={self.labels!r})"


def plane_through(model, d1, d2, labels=("d1", "d2")) -> Plane:
    """A plane centred on the model's current weights along given directions.

    Parameters
    ----------
    model : Sequential (built)
    d1, d2 : list of ndarray (``get_weights`` shapes) or ndarray of shape (P,)
    """
    _require_built(model)
    weights = model.get_weights()
    return Plane(flatten(weights), flatten(d1), flatten(d2), shapes=[w.shape for w in weights], labels=labels)


def weight_plane(model, i, j) -> Plane:
    """Two chosen scalar parameters, all others frozen: an exact slice of the loss.

    Parameters
    ----------
    model : Sequential (built)
    i, j : int
        Flat indices in ``get_weights`` order (see :func:`parameter_names`), i != j.

    Returns
    -------
    Plane
        Centred on the current weights, ``d1 = e_i``, ``d2 = e_j``; labels such as
        ``"dense_1 W[3,0]"``; ``indices = (i, j)``. The coordinate ``a`` is the change
        of parameter ``i`` (its value is ``centre[i] + a``).
    """
    _require_built(model)
    total = model.count_params()
    i = check_int("i", i, low=0, high=total - 1)
    j = check_int("j", j, low=0, high=total - 1)
    if i == j:
        raise ValueError(f"Arguments `i` and `j` must be two different parameters. Received: i=j={i}")
    weights = model.get_weights()
    names = parameter_names(model)
    d1, d2 = np.zeros(total), np.zeros(total)
    d1[i] = d2[j] = 1.0
    return Plane(flatten(weights), d1, d2, shapes=[w.shape for w in weights],
                 labels=(names[i], names[j]), kind="weights", indices=(i, j))


def _filter_normalised(model, rng) -> np.ndarray:
    parts = []
    for layer in model.layers:
        for p in layer.params:
            if p is getattr(layer, "kernel", None):
                d = rng.standard_normal(p.shape)
                w_norm = np.linalg.norm(p.astype(np.float64), axis=0)        # per unit (column)
                d_norm = np.linalg.norm(d, axis=0)
                scale = np.divide(w_norm, d_norm, out=np.zeros_like(w_norm), where=d_norm > 0)
                parts.append((d * scale).ravel())
            else:                                                            # biases: zeroed
                parts.append(np.zeros(p.size))
    return np.concatenate(parts)


def random_plane(model, seed=0) -> Plane:
    """Two random directions, filter-normalised (Li et al., 2018), through the current weights.

    For every layer's kernel (d_in, units), each unit's column of a Gaussian random
    direction is rescaled to the norm of that unit's weights (the same column of the
    kernel); bias directions are zero. So ``a = 1`` moves every unit by as much as
    its own weights' size, whatever the layer's scale.

    Parameters
    ----------
    model : Sequential (built)
    seed : int or None
        Seeds ``np.random.default_rng``: the same seed gives the same plane.

    Returns
    -------
    Plane
        ``kind="random"``, centred on ``model.get_weights()``. ``d1`` and ``d2`` are
        nearly but not exactly orthogonal; :meth:`Plane.project` accounts for that.
    """
    _require_built(model)
    rng = np.random.default_rng(seed)
    weights = model.get_weights()
    d1 = _filter_normalised(model, rng)
    d2 = _filter_normalised(model, rng)
    return Plane(flatten(weights), d1, d2, shapes=[w.shape for w in weights],
                 labels=("random direction 1", "random direction 2"), kind="random")


def pca_plane(weights_history, centre=None, mean_centre=False, shapes=None) -> Plane:
    """The plane of the top two principal components of a recorded trajectory.

    Parameters
    ----------
    weights_history : list of weight lists, list of flat vectors, or ndarray of shape (k, P)
        The weights recorded while training (e.g. ``Snapshot.weights`` per epoch),
        oldest first.
    centre : None, int, or weights
        The plane's centre: None for the last recorded weights (the current point),
        an int for that recorded index, or a weight list / flat vector.
    mean_centre : bool, default False
        False: the components of ``W - centre`` themselves (an SVD without removing
        the mean), i.e. the plane through the centre that best fits the whole
        trajectory, so the drawn path is as faithful as possible. True: ordinary PCA
        (the mean of ``W - centre`` removed first), as Li et al.'s code does.
    shapes : sequence of tuple, optional
        Weight shapes, when the history holds flat vectors.

    Returns
    -------
    Plane
        ``kind="pca"``; ``d1``, ``d2`` orthonormal; ``explained`` the fraction of
        the (uncentred or centred) variance along each, used in the labels
        ``"PC1 (83.1 %)"``. Signs are chosen so that the oldest recorded point has
        coordinates <= 0: the path runs from the lower left towards (0, 0).
        When the trajectory spans a single direction, ``d2`` is a fixed (seed 0)
        random unit vector orthogonal to ``d1`` and explains 0 %.

    Raises
    ------
    ValueError
        Fewer than two distinct recorded points.
    """
    w = _stack(weights_history)
    if shapes is None and not isinstance(weights_history, np.ndarray):
        shapes = _shapes_of(weights_history[0])
    if centre is None:
        c = w[-1].copy()
    elif isinstance(centre, (int, np.integer)) and not isinstance(centre, bool):
        c = w[check_int("centre", int(centre), low=-len(w), high=len(w) - 1)].copy()
    else:
        c = flatten(centre)
    if c.size != w.shape[1]:
        raise ValueError(f"Argument `centre` has {c.size} values; the history has {w.shape[1]} per row.")
    if not np.isfinite(w).all():
        w = w[np.isfinite(w).all(axis=1)]
    m = w - c
    if mean_centre:
        m = m - m.mean(axis=0)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    if s.size == 0 or s[0] <= 0 or not np.isfinite(s[0]):
        raise ValueError("PCA needs at least two distinct recorded sets of weights; the trajectory "
                         "has not moved yet.")
    var = s ** 2
    explained = var / var.sum()
    d1 = vt[0]
    tol = s[0] * max(m.shape) * np.finfo(np.float64).eps
    if s.size > 1 and s[1] > tol:
        d2, e2 = vt[1], explained[1]
    else:
        r = np.random.default_rng(0).standard_normal(d1.size)
        r -= (r @ d1) * d1
        if d1.size == 1 or np.linalg.norm(r) == 0:
            raise ValueError("PCA needs at least two parameters to make a plane.")
        d2, e2 = r / np.linalg.norm(r), 0.0
    first = w[0] - c
    dirs = []
    for d in (d1, d2):
        proj = first @ d
        if abs(proj) > 1e-12 * (np.linalg.norm(first) + 1e-300):
            sign = -1.0 if proj > 0 else 1.0
        else:
            sign = 1.0 if d[np.argmax(np.abs(d))] >= 0 else -1.0
        dirs.append(d * sign)
    e1 = explained[0]
    return Plane(c, dirs[0], dirs[1], shapes=shapes,
                 labels=(f"PC1 ({100 * e1:.1f} %)", f"PC2 ({100 * e2:.1f} %)"),
                 kind="pca", explained=(e1, e2))


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


# ---- the vectorised evaluation ----------------------------------------------------------------
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
    """Any other :class:`core.losses.Loss`: its own ``value`` and ``correct``, one point at a time."""
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
:mod:`core.losses` (mean over samples, Keras's ``sum_over_batch_size``, the same 1e-7
clipping) and Keras's "accuracy" (the rules of ``Loss.correct``) for G outputs at once,
laid out feature-major: ``p`` of shape (G, k, n) and ``y`` the transposed targets (k, n),
or (n,) int labels for the sparse loss. ``f`` may overwrite ``p``."""


class _Net:
    """A model's Dense stack with every weight affine in m coefficients: for a chunk of
    coefficient rows ``c`` (G, m), the flat weights are ``centre + c @ dirs``.

    Layout and tricks (measured on the 2-8-8-1 benchmark, see bench/landscape.py):

    - activations are feature-major, (G, units, n), so softmax aside every operation
      runs along the long contiguous sample axis;
    - each hidden buffer has an extra row of ones, (G, units + 1, n), and each later
      kernel an extra column holding the bias, so ``W h + b`` is one stacked matmul
      (G, units, d_in + 1) @ (G, d_in + 1, n) (a separate broadcast add cost 50 % more);
    - the first layer is linear in ``c``: its pre-activation is
      ``A[0] + sum_d c_d A[d + 1]`` (:meth:`first_products`), one small matmul per chunk
      however wide x is; on a grid row (``b`` fixed) it is ``(A[0] + b A[2]) + a_j A[1]``
      with ``a_j A[1]`` precomputed for every column: a single add.
    """

    def __init__(self, model, centre, dirs):
        offsets, start = {}, 0
        for p in model.params:
            offsets[id(p)] = (start, start + p.size)
            start += p.size
        if start != centre.size:
            raise ValueError(f"The plane has {centre.size} values; the model has {start} parameters.")
        self.centre, self.dirs, self.m = centre, np.stack(dirs), len(dirs)
        self.layers = []
        for layer in model.layers:
            if isinstance(layer, Dropout):
                continue                                   # the identity at inference
            if not isinstance(layer, Dense):
                raise ValueError(f"Loss landscapes support Dense and Dropout layers. Received: "
                                 f"{type(layer).__name__}")
            reg = layer.kernel_regularizer
            self.layers.append(dict(
                kernel=offsets.get(id(layer.kernel)), bias=offsets.get(id(layer.bias)),
                kernel_const=layer.kernel.copy(), bias_const=layer.bias.copy(),   # if frozen
                shape=layer.kernel.shape, units=layer.units, act=layer.activation,
                l2=getattr(reg, "l2", None) if reg is not None else None))
        self.width = max(l["units"] + 1 for l in self.layers)

    def _kernel(self, flat, layer, g):
        """(G, units, d_in) float32 view: the transposed kernels of a chunk."""
        if layer["kernel"] is None:
            return np.broadcast_to(layer["kernel_const"].T, (g,) + layer["shape"][::-1])
        s, e = layer["kernel"]
        return flat[:, s:e].reshape((g,) + layer["shape"]).transpose(0, 2, 1)

    def _bias(self, flat, layer, g):
        if layer["bias"] is None:
            return np.broadcast_to(layer["bias_const"], (g, layer["units"]))
        s, e = layer["bias"]
        return flat[:, s:e]

    def buffers(self, chunk, n):
        """Per layer a (chunk, units + 1, n) float32 buffer whose last row is ones
        (the last layer's has no such row)."""
        bufs = []
        for k, layer in enumerate(self.layers):
            last = k == len(self.layers) - 1
            b = np.empty((chunk, layer["units"] + (0 if last else 1), n), dtype=np.float32)
            if not last:
                b[:, -1] = 1.0
            bufs.append(b)
        return bufs

    def first_products(self, x):
        """A[0] = (x @ Wc + bc).T and A[d + 1] = (x @ Wd + bd).T, each (units, n), so that
        the first layer's pre-activation at c is A[0] + sum_d c_d A[d + 1].

        Returns
        -------
        ndarray of shape (m + 1, units * n), float32
        """
        l0 = self.layers[0]
        vectors = [self.centre] + list(self.dirs)
        rows = []
        for k, v in enumerate(vectors):
            if l0["kernel"] is None:
                kern = l0["kernel_const"] if k == 0 else np.zeros(l0["shape"], np.float32)
            else:
                kern = v[l0["kernel"][0]:l0["kernel"][1]].reshape(l0["shape"]).astype(np.float32)
            if l0["bias"] is None:
                bias = l0["bias_const"] if k == 0 else np.zeros(l0["units"], np.float32)
            else:
                bias = v[l0["bias"][0]:l0["bias"][1]].astype(np.float32)
            rows.append(kern.T @ x.T + bias[:, None])
        return np.stack(rows).reshape(self.m + 1, -1)

    @staticmethod
    def _activate(layer, z):
        v = z.transpose(0, 2, 1)                 # (G, n, units): the axis softmax expects last
        layer["act"].forward(v, v)

    def weights(self, c):
        """The later layers' weights at coefficient rows ``c`` (K, m), ready for :meth:`forward`.

        Returns
        -------
        waugs : list of ndarray
            Per layer (None for the first) the transposed kernels with the bias as an
            extra column, (K, units, d_in + 1) float32 -- built from ``centre + c @ dirs``
            cast to float32, exactly the weights ``set_weights`` would store.
        regs : ndarray of shape (K,)
            The L2 penalty at each row.
        """
        k_rows = len(c)
        flat = np.empty((k_rows, self.centre.size))
        flat[:] = self.centre
        for d in range(self.m):                  # no BLAS: small, and safe from its threads
            flat += c[:, d:d + 1] * self.dirs[d]
        flat = flat.astype(np.float32)
        waugs = [None]
        for layer in self.layers[1:]:
            d_in = layer["shape"][0]
            waug = np.empty((k_rows, layer["units"], d_in + 1), dtype=np.float32)
            waug[:, :, :d_in] = self._kernel(flat, layer, k_rows)
            waug[:, :, d_in] = self._bias(flat, layer, k_rows)
            waugs.append(waug)
        regs = np.zeros(k_rows)
        for layer in self.layers:
            if layer["l2"]:
                w = self._kernel(flat, layer, k_rows).reshape(k_rows, -1).astype(np.float64)
                regs += layer["l2"] * np.einsum("gi,gi->g", w, w)
        return waugs, regs

    def weights_bytes(self, rows) -> int:
        """Memory :meth:`weights` takes for ``rows`` coefficient rows."""
        per_row = self.centre.size * 12 + sum(l["units"] * (l["shape"][0] + 1) * 4 for l in self.layers[1:])
        return rows * per_row

    def forward(self, g, fill_first, waugs, n, bufs):
        """Outputs for a chunk of G points.

        Parameters
        ----------
        g : int, the number of points
        fill_first : callable(z)
            Writes the first layer's pre-activations into ``z`` of shape (G, 1, units * n)
            (a view into ``bufs[0]``).
        waugs : the chunk's rows of :meth:`weights`
        n : int, the number of samples
        bufs : the output of :meth:`buffers` (for at least G points)

        Returns
        -------
        ndarray of shape (G, units_out, n), float32 (a view of ``bufs[-1]``)
        """
        l0 = self.layers[0]
        u0 = l0["units"]
        buf = bufs[0]
        fill_first(buf.reshape(len(buf), 1, -1)[:g, :, :u0 * n])
        h = buf[:g]                                                # (G, units + 1, n), ones last
        self._activate(l0, h[:, :u0])
        for k, layer in enumerate(self.layers[1:], start=1):
            out = bufs[k][:g]
            z = out[:, :layer["units"]]
            np.matmul(waugs[k], h, out=z)                          # W h + b: (G, units, n)
            self._activate(layer, z)
            h = out
        return h


def _check_model_xy(model, x, y):
    _require_built(model)
    if model.loss is None:
        raise ValueError("The model must be compiled (it needs a loss): call model.compile(optimizer, loss).")
    x = check_array("x", x, ndim=2)
    if x.shape[1] != model.input_dim:
        raise ValueError(f"The model expects inputs with {model.input_dim} features. Received: x.shape={x.shape}")
    if y is None:
        raise ValueError("Argument `y` must be given.")
    y_arr = check_array("y", y, dtype=None, ndim=(1, 2))
    if len(y_arr) != len(x):
        raise ValueError(f"Arguments `x` and `y` must have the same number of samples. "
                         f"Received: x.shape={x.shape}, y.shape={y_arr.shape}")
    return np.ascontiguousarray(x), model.loss.targets(y_arr, model.output_dim)


ROW_TABLE_BYTES = 64 << 20
"""Largest tables of ``a_j * A[1]`` and ``A[0] + b_i * A[2]`` (resolution x first-layer
units x n floats each) for the grid's single-add first layer; beyond it the first layer
is a small matmul per chunk."""

PRECOMPUTE_BYTES = 64 << 20
"""Largest size of every point's weights computed at once before the chunks (the
2-8-8-1 grid of 101 x 101 needs 17 MB); beyond it they are computed per chunk."""


def _evaluate(model, x, y, centre, dirs, coefs=None, progress=None, cancel=None, chunk_elements=None,
              workers=1, axes=None):
    """Loss and accuracy at ``centre + coefs @ dirs`` for every row of coefs (G, m), or,
    with ``axes=(a, b)`` (m = 2), at every point of the grid, row-major (b outer)."""
    x, yt = _check_model_xy(model, x, y)
    workers = check_int("workers", workers, low=1)
    y_fm = yt if yt.ndim == 1 else np.ascontiguousarray(yt.T)     # feature-major targets (k, n)
    n = len(x)
    if axes is not None:
        a_ax, b_ax = (np.asarray(v, dtype=np.float64) for v in axes)
        r = len(a_ax)
        coefs = np.column_stack([np.tile(a_ax, len(b_ax)), np.repeat(b_ax, r)])   # g = i r + j
    coefs = np.asarray(coefs, dtype=np.float64).reshape(-1, len(dirs))
    total = len(coefs)
    losses = np.empty(total, dtype=np.float32)
    accuracy = np.empty(total, dtype=np.float32)
    if total == 0:
        return losses, accuracy
    with np.errstate(all="ignore"):
        net = _Net(model, centre, dirs)
        first = net.first_products(x)
        make = BATCHED_LOSSES.get(model.loss.name)
        loss_of = make(y_fm) if make is not None else _generic_batched(model.loss, yt)
        budget = CHUNK_ELEMENTS if chunk_elements is None else check_int("chunk_elements", chunk_elements)
        chunk = max(1, budget // (n * net.width))
        table = bases = None
        if axes is not None:                     # chunks never cross a grid row: b is fixed in each
            pieces = -(-r // min(chunk, r))
            chunk = -(-r // pieces)
            tasks = [(i * r + j, i * r + min(j + chunk, r)) for i in range(len(b_ax)) for j in range(0, r, chunk)]
            if 2 * max(r, len(b_ax)) * first.shape[1] * 4 <= ROW_TABLE_BYTES:
                table = np.multiply(a_ax.astype(np.float32)[:, None], first[1])            # (r, units n)
                bases = first[0] + b_ax.astype(np.float32)[:, None] * first[2]            # (rows, units n)
        else:
            chunk = min(chunk, total)
            tasks = [(s, min(s + chunk, total)) for s in range(0, total, chunk)]
        pre = net.weights(coefs) if net.weights_bytes(total) <= PRECOMPUTE_BYTES else None
        workers = min(workers, len(tasks))
        buffers = [net.buffers(chunk, n) for _ in range(workers)]

        def run(task, bufs):
            with np.errstate(all="ignore"):         # errstate is per thread
                s, e = task
                if pre is not None:
                    waugs, regs = [w if w is None else w[s:e] for w in pre[0]], pre[1][s:e]
                else:
                    waugs, regs = net.weights(coefs[s:e])
                if table is not None:
                    i, j = divmod(s, r)
                    fill = lambda z: np.add(table[j:j + e - s, None, :], bases[i], out=z)      # noqa: E731
                else:
                    caug = np.empty((e - s, 1, net.m + 1), dtype=np.float32)
                    caug[:, 0, 0] = 1.0
                    caug[:, 0, 1:] = coefs[s:e]
                    fill = lambda z: np.matmul(caug, first, out=z)                         # noqa: E731
                p = net.forward(e - s, fill, waugs, n, bufs)
                values, accuracy[s:e] = loss_of(p)
                losses[s:e] = values + regs

        pool = None
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor
            pool = ThreadPoolExecutor(workers - 1, thread_name_prefix="landscape")
        try:
            # waves of `workers` chunks: this thread runs one, the pool the others; progress and
            # cancel are only ever called from this (the caller's) thread, between waves
            for w0 in range(0, len(tasks), workers):
                if cancel is not None and cancel():
                    raise Cancelled("loss landscape evaluation cancelled")
                wave = tasks[w0:w0 + workers]
                futures = [pool.submit(run, t, buffers[k + 1]) for k, t in enumerate(wave[1:])] if pool else []
                run(wave[0], buffers[0])
                for f in futures:
                    f.result()
                if progress is not None:
                    progress(wave[-1][1] / total)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    return losses, accuracy


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
    :class:`_Net`). Chunks hold about :data:`CHUNK_ELEMENTS` activations, so memory
    stays bounded (a few MB) for any resolution. The loss of every point is reduced
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
        Override :data:`CHUNK_ELEMENTS`.
    workers : int, default 1
        Threads evaluating chunks at once (NumPy releases the GIL). 2 nearly halves
        the time on an idle 2-core machine; keep 1 where the cores are busy
        (training, the GUI) -- then it gains nothing.

    Returns
    -------
    Grid
        Unpacks as ``a, b, losses``; also ``.accuracy`` and ``.extent``. Grid point
        ``(i, j)`` is ``centre + a[j] * d1 + b[i] * d2``.

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
        raise ValueError(f"Argument `plane` must be a core.landscape.Plane. Received: {type(plane).__name__}")
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


# ---- the next step and a 1D slice (fig. 2.11) -------------------------------------------------
def next_step(model, x, y) -> np.ndarray:
    """The change of weights the optimizer is about to make, as a flat vector.

    The gradient is the full-batch gradient of the loss on ``x``, ``y`` at the
    current weights (no dropout). The step is computed by a *copy* of
    ``model.optimizer`` with a float64 copy of its state (momentum, velocities,
    iteration count), applied to float64 copies of the weights: for plain SGD that
    is exactly ``-learning_rate * gradient``; for momentum, Nesterov, RMSprop,
    Adagrad and Adam it is exactly what the optimizer's rule does with this
    gradient and its current state. It is an approximation of the step training
    will actually take only in that training uses a mini-batch's gradient. The
    model's weights and optimizer are left untouched (the layers' gradient buffers
    are overwritten, as by ``model.gradients``).

    Returns
    -------
    ndarray of shape (P,), float64
    """
    x, yt = _check_model_xy(model, x, y)
    if model.optimizer is None:
        raise ValueError("The model has no optimizer: call model.compile(optimizer, loss).")
    with np.errstate(all="ignore"):
        grads = [g.astype(np.float64) for g in model.gradients(x, yt)]
        opt = model.optimizer
        clone = type(opt).from_config(opt.get_config())
        state = opt.get_state()
        state["slots"] = [s.astype(np.float64) for s in state["slots"]]
        clone.set_state(state)
        params = [w.astype(np.float64) for w in model.get_weights()]
        before = flatten(params)
        clone.apply(params, grads)
        return flatten(params) - before


@dataclass(frozen=True)
class Slice:
    """The loss along one direction through the current weights (the book's fig. 2.11).

    Attributes
    ----------
    t : ndarray of shape (resolution,)
        Coordinates along ``direction``; the current weights are at t = 0.
    losses, accuracy : ndarray of shape (resolution,), float32
    direction : ndarray of shape (P,), float64
        The weights at ``t`` are ``centre + t * direction``.
    centre : ndarray of shape (P,), float64
    loss : float
        The loss at t = 0.
    slope : float
        dLoss/dt at t = 0 (gradient . direction), for the tangent line.
    step : float
        Where the optimizer's next step lands, projected on the line (t units).
    label : str
        Axis label.
    """

    t: np.ndarray
    losses: np.ndarray
    accuracy: np.ndarray
    direction: np.ndarray
    centre: np.ndarray
    loss: float
    slope: float
    step: float
    label: str


def slice_1d(model, x, y, direction=None, span=1.0, resolution=101, progress=None, cancel=None) -> Slice:
    """The loss along a line through the current weights, with the step about to be taken.

    Parameters
    ----------
    model, x, y : as for :func:`evaluate_grid`
    direction : None, int, list of ndarray or ndarray of shape (P,)
        None: the unit vector along :func:`next_step` (along minus the gradient for
        SGD), so ``t`` is a distance in weight space. An int: that parameter alone
        (flat index, see :func:`parameter_names`), so ``t`` is its change -- the
        book's one-parameter curve. Otherwise the given vector, unnormalised.
    span : float
        ``t`` runs over ``[-span, span]``.
    resolution : int >= 2
    progress, cancel : as for :func:`evaluate_grid`

    Returns
    -------
    Slice
    """
    x, yt = _check_model_xy(model, x, y)
    resolution = check_int("resolution", resolution, low=2)
    span = check_number("span", span, low=0)
    weights = model.get_weights()
    centre = flatten(weights)
    step_vec = next_step(model, x, yt)
    with np.errstate(all="ignore"):
        grads = flatten(model.gradients(x, yt))
    if direction is None:
        norm = np.linalg.norm(step_vec)
        if norm > 0 and np.isfinite(norm):
            d, label = step_vec / norm, "distance along the next step"
        else:                                   # at a stationary point: any fixed direction
            d = np.random.default_rng(0).standard_normal(centre.size)
            d, label = d / np.linalg.norm(d), "distance along a random direction"
    elif isinstance(direction, (int, np.integer)) and not isinstance(direction, bool):
        i = check_int("direction", int(direction), low=0, high=centre.size - 1)
        d = np.zeros(centre.size)
        d[i] = 1.0
        label = parameter_names(model)[i]
    else:
        d = flatten(direction)
        if d.size != centre.size or not np.any(d):
            raise ValueError(f"Argument `direction` must be a non-zero vector of {centre.size} values.")
        label = "t"
    t = np.linspace(-span, span, resolution)
    losses, acc = _evaluate(model, x, yt, centre, (d,), t[:, None], progress, cancel)
    with np.errstate(all="ignore"):
        loss = float(_evaluate(model, x, yt, centre, (d,), np.zeros((1, 1)))[0][0])
        dd = float(d @ d)
        return Slice(t=t, losses=losses, accuracy=acc, direction=d, centre=centre, loss=loss,
                     slope=float(grads @ d), step=float(step_vec @ d) / dd, label=label)


# ---- the two-parameter model (fig. 2.12) ------------------------------------------------------
class DenseNoBias(Dense):
    """A Dense layer whose bias is frozen at 0 and is not a parameter.

    ``params`` is just the kernel, so a ``DenseNoBias(1, "sigmoid")`` on 2D inputs has
    exactly two weights. Stand-in for Keras's ``Dense(..., use_bias=False)``, which
    :class:`core.layers.Dense` does not offer yet; its config is written as a Dense
    with ``use_bias=False``.
    """

    @property
    def params(self):
        return [self.kernel]

    @property
    def grads(self):
        return [self.dkernel]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["class_name"] = "Dense"
        cfg["use_bias"] = False
        return cfg


def two_weight_model(seed=0, learning_rate=0.5, optimizer="sgd") -> Sequential:
    """A compiled network with exactly two weights: one sigmoid unit, no bias, 2D inputs.

    Its whole weight space is a plane, so ``weight_plane(model, 0, 1)`` is the true
    loss surface and the recorded path is exact (the book's fig. 2.12). Pair it
    with :func:`two_weight_data` (two blobs on either side of a line through the
    origin, which a unit without bias can separate).

    Parameters
    ----------
    seed : int
        Seeds the initial weights.
    learning_rate : float
    optimizer : str
        A name of :data:`core.optimizers.OPTIMIZERS`.

    Returns
    -------
    Sequential
        ``binary_crossentropy``, metrics ``["accuracy"]``, ``count_params() == 2``.
    """
    from . import optimizers
    model = Sequential([DenseNoBias(1, "sigmoid", input_shape=(2,), name="dense")], name="two_weights",
                       seed=seed)
    opt = optimizers.get(optimizer)
    opt.learning_rate = learning_rate
    model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def two_weight_data(n=200, noise=0.5, seed=0):
    """Data for :func:`two_weight_model`: ``core.datasets.gaussians``.

    Two blobs centred at -(0.6, 0.6) and (0.6, 0.6), on either side of a line
    through the origin, so a unit without bias can separate them. With no extra
    noise they are (almost) linearly separable, and then the loss has no minimum
    at finite weights: it keeps falling as the weights grow along the separating
    direction, and so does the path. The default ``noise=0.5`` makes them overlap
    a little (the best line gets about 93 % right), which puts the bottom of the
    bowl at finite weights, about (3.5, 2.8) for seed 0, in view of the start.

    Returns
    -------
    x : ndarray of shape (n, 2), float32
    y : ndarray of shape (n,), int32
    """
    from .datasets import gaussians
    return gaussians(n=n, noise=noise, seed=seed)
