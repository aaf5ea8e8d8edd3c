"""Weight space: a model's weights as one flat vector, and planes through it.

Weight space is addressed by flat index in ``get_weights`` order (each array flattened in C
order): :func:`flatten` and :func:`unflatten` convert, :func:`parameter_names` and
:func:`parameter_name` say which kernel or bias entry an index is.

A :class:`Plane` is a centre in weight space (a flat vector) and two directions ``d1``,
``d2``; the point ``(a, b)`` of the plane is the weight vector ``centre + a * d1 + b * d2``.
Three ways to choose one (issue 5):

* :func:`weight_plane` -- two chosen parameters, all others frozen (an exact slice);
* :func:`random_plane` -- two random directions, filter-normalised (Li et al., 2018);
* :func:`pca_plane` -- the top two principal components of a recorded trajectory.

Weight vectors are float64 here (exact for the float32 weights). Used by
:mod:`core.analysis.loss.landscape` (the loss on a plane) and :mod:`core.analysis.loss.slices`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.engine.model import Sequential
from core.engine.validation import check_int

__all__ = ["flatten", "unflatten", "parameter_names", "parameter_name", "require_built",
           "Plane", "plane_through", "weight_plane", "random_plane", "pca_plane", "PlaneChoice", "make_plane",
           "PLANE_KINDS"]


# ---- flat weight vectors ----------------------------------------------------------------------
def flatten(weights) -> np.ndarray:
    """Concatenate weights (a ``get_weights()`` list) into one float64 vector.

    Parameters
    ----------
    weights : list of ndarray, or ndarray of shape (P,)
        In ``get_weights`` order, each flattened in C order; a 1D array is taken as
        already flat.

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
    require_built(model)
    names = []
    for layer in model.layers:
        for p in layer.params:
            kind = "W" if p is getattr(layer, "kernel", None) else "b"
            for idx in np.ndindex(p.shape):
                names.append(f"{layer.name} {kind}[{','.join(map(str, idx))}]")
    return names


def parameter_name(model, index: int) -> str:
    """The name :func:`parameter_names` gives parameter ``index``, without building the whole list
    (784 x 512 names took seconds on the GUI thread)."""
    require_built(model)
    index = int(index)
    for layer in model.layers:
        for p in layer.params:
            if index < p.size:
                kind = "W" if p is getattr(layer, "kernel", None) else "b"
                idx = np.unravel_index(index, p.shape)
                return f"{layer.name} {kind}[{','.join(map(str, idx))}]"
            index -= p.size
    raise ValueError(f"Argument `index` must be < {model.count_params()}. Received: index={index}")


def require_built(model) -> None:
    """Raise ValueError unless ``model`` is a built core ``Sequential`` (weight space needs its weights)."""
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
    if isinstance(weights, np.ndarray) and weights.ndim in (1, 2):
        return None
    return tuple(np.shape(w) for w in weights)


# ---- planes -----------------------------------------------------------------------------------
#: :meth:`Plane.project_path` converts at most this many weights to float64 at a time
PROJECT_CHUNK = 1 << 20


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
        basis = self._basis = np.stack([self.d1, self.d2])
        basis.flags.writeable = False
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
        """``[d1, d2]`` as a read-only array of shape (2, P) (made once: an MNIST network's is 6.5 MB)."""
        return self._basis

    def point(self, a, b) -> np.ndarray:
        """The flat weight vector at ``(a, b)``, shape (P,) float64."""
        return self.centre + float(a) * self.d1 + float(b) * self.d2

    def weights_at(self, a, b, shapes=None) -> list[np.ndarray]:
        """The weights at ``(a, b)`` as a ``get_weights``-shaped list of float32 arrays."""
        return unflatten(self.point(a, b), shapes or self.shapes)

    def project(self, weights) -> tuple[float, float]:
        """The coordinates ``(a, b)`` of the point of the plane nearest ``weights``.

        Parameters
        ----------
        weights : list of ndarray (``get_weights`` order) or ndarray of shape (P,)

        Returns
        -------
        (float, float)
            Least squares coordinates, exact for a point of the plane even when
            ``d1`` and ``d2`` are not orthogonal. The centre projects to (0, 0).
        """
        a, b = self.project_path([weights])[0]
        return float(a), float(b)

    def project_path(self, history) -> np.ndarray:
        """:meth:`project` for many weight vectors at once.

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
        w = history if isinstance(history, np.ndarray) and history.ndim == 2 else _stack(history)
        if w.shape[1] != self.size:
            raise ValueError(f"Weights of {w.shape[1]} values do not fit a plane in {self.size} dimensions.")
        # a few rows at a time in float64: the whole record of an MNIST run (up to 64 MB of float32)
        # was copied twice over in float64 at once
        out = np.empty((len(w), 2))
        rows = max(1, PROJECT_CHUNK // max(self.size, 1))
        basis_t = self._basis.T
        with np.errstate(all="ignore"):
            for start in range(0, len(w), rows):
                part = np.asarray(w[start:start + rows], dtype=np.float64)
                out[start:start + rows] = ((part - self.centre) @ basis_t) @ self._solve.T
                out[start:start + rows][~np.isfinite(part).all(axis=1)] = np.nan
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
    require_built(model)
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
        ``"dense_1 W[3,0]"``; ``indices = (i, j)``. So ``a`` is the change of
        parameter ``i`` (its value is ``centre[i] + a``).
    """
    require_built(model)
    total = model.count_params()
    i = check_int("i", i, low=0, high=total - 1)
    j = check_int("j", j, low=0, high=total - 1)
    if i == j:
        raise ValueError(f"Arguments `i` and `j` must be two different parameters. Received: i=j={i}")
    weights = model.get_weights()
    d1, d2 = np.zeros(total), np.zeros(total)
    d1[i] = d2[j] = 1.0
    # the two names only: every name of an MNIST network is 407,050 strings (a second of Python)
    return Plane(flatten(weights), d1, d2, shapes=[w.shape for w in weights],
                 labels=(parameter_name(model, i), parameter_name(model, j)), kind="weights", indices=(i, j))


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

    Each unit's column of a Gaussian direction for a kernel (d_in, units) is rescaled
    to the norm of that unit's weights; bias directions are zero. So ``a = 1`` moves
    every unit by as much as its own weights' size, whatever the layer's scale.

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
    require_built(model)
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
        the (uncentred or centred) variance along each, shown in the labels
        ``"PC1 (83.1 %)"``. Signs make the oldest point's coordinates <= 0, so the
        path runs from the lower left towards (0, 0). When the trajectory spans a
        single direction, ``d2`` is a fixed (seed 0) random unit vector orthogonal
        to ``d1`` and explains 0 %.

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


# ---- the plane a view asks for ----------------------------------------------------------------
PLANE_KINDS = ("pca", "random", "weights")


@dataclass(frozen=True)
class PlaneChoice:
    """Which plane to make: what a view hands to its background job (see :func:`make_plane`).

    Attributes
    ----------
    kind : str
        One of :data:`PLANE_KINDS`: ``"pca"`` (:func:`pca_plane` of the history), ``"random"``
        (:func:`random_plane`) or ``"weights"`` (:func:`weight_plane`).
    seed : int
        The random plane's seed.
    i, j : int
        The two weights of a weight plane (flat indices).
    """

    kind: str = "pca"
    seed: int = 0
    i: int = 0
    j: int = 1

    def __post_init__(self):
        if self.kind not in PLANE_KINDS:
            raise ValueError(f"Argument `kind` must be one of {PLANE_KINDS}. Received: kind={self.kind!r}")


def make_plane(choice: PlaneChoice, model, history) -> Plane:
    """The plane ``choice`` names, centred on the newest finite weights of ``history``.

    Meant for a background thread: everything it needs is handed over (a view's recorded rows
    are read-only) and the one network it changes is ``model``.

    Parameters
    ----------
    choice : PlaneChoice
    model : Sequential (built)
        A network of the run's architecture; its weights are set to the centre (random and
        weight planes are made from it).
    history : ndarray of shape (k, P)
        The recorded weights, oldest first; rows with a NaN or infinite value are skipped
        (a diverged run's plane is centred on its last finite weights).

    Returns
    -------
    Plane

    Raises
    ------
    ValueError
        Every row is NaN or infinite, or the plane cannot be made (see the three makers).
    """
    require_built(model)
    history = np.asarray(history)
    finite = np.isfinite(history).all(axis=1)
    if not finite.any():
        raise ValueError("Every recorded set of weights is NaN or infinite: reset the run.")
    if not finite.all():
        history = history[finite]
    shapes = [w.shape for w in model.get_weights()]
    if choice.kind == "pca":
        return pca_plane(history, shapes=shapes)
    model.set_weights(unflatten(history[-1], shapes))
    if choice.kind == "random":
        return random_plane(model, seed=choice.seed)
    return weight_plane(model, choice.i, choice.j)
