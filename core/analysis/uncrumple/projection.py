"""The uncrumpling view's projections: a fixed map from each stage to the 1-3 coordinates drawn.

A stage no wider than the view's dims is drawn as it is; a wider one on its PCA
(:func:`fit_projection`), or on chosen units (:func:`neuron_projection`).
:class:`ProjectionCache` keeps one projection per stage for a whole run, shared by
a layer's three stages, so the picture does not jump between epochs; :func:`project_stages`
applies them. The stages themselves are :mod:`core.analysis.uncrumple.geometry`'s.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.engine.validation import check_int
from core.analysis.pca import EXACT_PCA_WIDTH, randomized_pca
from core.analysis.uncrumple.geometry import stage_values

__all__ = ["Projection", "fit_projection", "neuron_projection", "ProjectionCache", "project_stages"]


@dataclass(frozen=True, eq=False)
class Projection:
    """A fixed affine map from a stage's width to the 1-3 coordinates a panel draws.

    ``project(v) = (v - mean) @ components.T``, or the chosen columns for ``"units"``.

    Attributes
    ----------
    kind : str
        ``"identity"`` (width <= dims: the raw values, zero-padded to ``dims``),
        ``"pca"`` or ``"units"``.
    width : int or None
        The stage width it applies to (None for a units projection made without one).
    dims : int
        Columns of ``project``'s output.
    mean : ndarray of shape (width,) float32, or None for ``"units"``
    components : ndarray of shape (dims, width) float32, or None for ``"units"``
        Orthonormal rows (PCA, sign-fixed), or rows of the identity.
    explained : ndarray of shape (dims,) float32 or None
        PCA: each component's share of the total variance.
    title : str
        ``"PCA of 8 units (PC1 41%, PC2 22%)"``, ``"units 3 and 5"``, ``"2 units"``.
    labels : tuple of str
        One axis title per output column (``""`` for padding).
    units : tuple of int or None
        The units shown, for ``"units"`` (0-based, as in the arrays).
    """

    kind: str
    width: int | None
    dims: int
    mean: np.ndarray | None
    components: np.ndarray | None
    explained: np.ndarray | None
    title: str
    labels: tuple
    units: tuple | None = None

    def project(self, values) -> np.ndarray:
        """(n, width) values -> (n, dims) float32 coordinates."""
        v = stage_values(values)
        if self.kind == "units":
            if max(self.units) >= v.shape[1]:
                raise ValueError(f"Cannot show units {list(self.units)} of a stage with {v.shape[1]} units.")
            return np.ascontiguousarray(v[:, list(self.units)])
        if v.shape[1] != self.width:
            raise ValueError(f"This projection is for stages of width {self.width}. Received width {v.shape[1]}.")
        return ((v - self.mean) @ self.components.T).astype(np.float32, copy=False)


def _plural(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _axis_name(i, noun):
    return f"x{i + 1}" if noun == "feature" else f"{noun} {i}"


def fit_projection(values, dims=2, *, noun="unit", align_to=None) -> Projection:
    """The projection a panel uses for a stage: identity if it fits, else PCA.

    Parameters
    ----------
    values : Stage or array_like of shape (n, width)
    dims : int
        Coordinates to draw (2 or 3). ``width <= dims`` gives the identity
        (no centring, so translations stay visible), zero-padded to ``dims``.
    noun : str
        ``"unit"`` for layers, ``"feature"`` for the input (titles and labels).
    align_to : Projection, optional
        A previous PCA of the same width and dims: each new component's sign is
        chosen to agree with it (a refit then does not flip the picture).

    Returns
    -------
    Projection
        PCA components come from the covariance's eigenvectors (float64; by randomized
        subspace iteration for widths over ``EXACT_PCA_WIDTH``), largest variance first, each signed so its largest-magnitude entry is positive (or
        as ``align_to``): the same data always gives the identical basis.
    """
    v = stage_values(values)
    dims = check_int("dims", dims)
    n, w = v.shape
    if w <= dims:
        labels = tuple(_axis_name(i, noun) for i in range(w)) + ("",) * (dims - w)
        return Projection("identity", w, dims, np.zeros(w, np.float32), np.eye(dims, w, dtype=np.float32),
                          None, _plural(w, noun), labels)
    x = v.astype(np.float64)
    mean = x.mean(axis=0)
    xc = x - mean
    if w > EXACT_PCA_WIDTH and n >= 3:
        comps, top, total = randomized_pca(xc, dims)
    else:
        evals, evecs = np.linalg.eigh(xc.T @ xc / max(n - 1, 1))
        order = np.argsort(-evals, kind="stable")[:dims]
        comps = evecs[:, order].T.copy()
        top, total = evals[order], float(np.clip(evals, 0, None).sum())
    ref = align_to.components if (align_to is not None and align_to.kind == "pca"
                                  and align_to.width == w and align_to.dims == dims) else None
    if ref is not None:
        signs = np.where(np.sum(comps * ref, axis=1) < 0, -1.0, 1.0)
    else:
        signs = np.sign(comps[np.arange(dims), np.abs(comps).argmax(axis=1)])
    comps *= signs[:, None]
    explained = np.clip(top, 0, None) / max(total, 1e-30)
    shares = [f"PC{i + 1} {e:.0%}" for i, e in enumerate(explained)]
    return Projection("pca", w, dims, mean.astype(np.float32), comps.astype(np.float32),
                      explained.astype(np.float32), f"PCA of {w} {noun}s ({', '.join(shares)})",
                      tuple(f"PC{i + 1} ({e:.0%})" for i, e in enumerate(explained)))


def neuron_projection(indices, width=None) -> Projection:
    """Show chosen units (0-based) as the axes: ``project(v) = v[:, indices]``.

    Parameters
    ----------
    indices : sequence of 1-3 distinct int
    width : int, optional
        The stage width, to check the indices now and to fill ``components``.
    """
    units = tuple(check_int("indices", i, low=0) for i in indices)
    if not 1 <= len(units) <= 3 or len(set(units)) != len(units):
        raise ValueError(f"Argument `indices` must name 1 to 3 distinct units. Received: indices={list(units)}")
    comps = mean = None
    if width is not None:
        width = check_int("width", width)
        if max(units) >= width:
            raise ValueError(f"Units {list(units)} do not exist in a stage of {width} units.")
        comps = np.eye(width, dtype=np.float32)[list(units)]
        mean = np.zeros(width, np.float32)
    names = [str(u) for u in units]
    title = (f"unit {names[0]}" if len(units) == 1
             else f"units {', '.join(names[:-1])} and {names[-1]}")
    return Projection("units", width, len(units), mean, comps, None, title,
                      tuple(f"unit {u}" for u in units), units)


class ProjectionCache:
    """One fixed projection per stage for a whole run, so the picture does not jump.

    A projection is fitted the first time a stage is seen and then kept across
    epochs (and timeline positions) until :meth:`refit` is asked for, or the
    stage's width or kind changes (a new architecture). A refit keeps each
    component's sign (``align_to``), so unchanged data gives the identical basis.

    Parameters
    ----------
    max_dims : int
        3 where the view can draw 3D (OpenGL), else 2. Stages up to this width are
        drawn as they are (1 unit: zero-padded to 2, points on a line).
    wide_dims : int
        PCA components for wider stages (<= max_dims).
    share_layer : bool
        True: a layer's three stages share one projection, fitted on its
        activation (the representation the next layer sees), so ``+ b`` shows as
        a translation and the activation as a squash. False: one fit per stage.
    """

    def __init__(self, max_dims=3, wide_dims=2, share_layer=True):
        self.max_dims = check_int("max_dims", max_dims, low=2, high=3)
        self.wide_dims = check_int("wide_dims", wide_dims, low=1, high=self.max_dims)
        self.share_layer = bool(share_layer)
        self.clear()

    def clear(self) -> None:
        """Forget every projection and unit choice."""
        self._fits: dict = {}      # group -> (signature, Projection)
        self._units: dict = {}     # stage index -> unit indices
        self._stale: set = set()   # stage indices to refit
        self._stale_all = False
        self._last: list = []

    def dims_for(self, width: int) -> int:
        """Coordinates a stage of ``width`` units is drawn with."""
        return max(width, 2) if width <= self.max_dims else self.wide_dims

    def _group(self, stage_list, i):
        st = stage_list[i]
        if self.share_layer and st.kind != "input":
            fit = next((j for j in range(i, len(stage_list)) if stage_list[j].layer == st.layer
                        and stage_list[j].kind == "activation"), i)
            return ("layer", st.layer), fit
        return ("stage", i), i

    def projections(self, stage_list) -> list[Projection]:
        """One Projection per stage (fitting only what is new, changed or marked stale)."""
        groups = {}
        for i in range(len(stage_list)):
            key, fit = self._group(stage_list, i)
            groups.setdefault(key, (fit, []))[1].append(i)
        out = [None] * len(stage_list)
        fits = {}
        for key, (fit, members) in groups.items():
            st = stage_list[fit]
            sig = (st.width, tuple(stage_list[m].kind for m in members))
            units = next((self._units[m] for m in members if m in self._units), None)
            if units is not None and max(units) >= st.width:  # the architecture changed under it
                units = None
                for m in members:
                    self._units.pop(m, None)
            old = self._fits.get(key)
            stale = self._stale_all or any(m in self._stale for m in members)
            if old is not None and old[0] == sig and not stale and (old[1].units == units):
                proj = old[1]
            elif units is not None:
                proj = neuron_projection(units, st.width)
            else:
                proj = fit_projection(st, self.dims_for(st.width), noun="feature" if st.kind == "input" else "unit",
                                      align_to=old[1] if old is not None and old[0] == sig else None)
            fits[key] = (sig, proj)
            for m in members:
                out[m] = proj
        self._fits, self._stale, self._stale_all, self._last = fits, set(), False, out
        return list(out)

    def refit(self, index=None) -> None:
        """Refit stage ``index`` (its layer's group) or every stage at the next :meth:`projections`."""
        if index is None:
            self._stale_all = True
        else:
            self._stale.add(check_int("index", index, low=0))

    def use_units(self, index, units) -> None:
        """Show chosen units (0-based) for stage ``index`` (its whole layer if shared)."""
        self._units[check_int("index", index, low=0)] = neuron_projection(units).units

    def use_pca(self, index) -> None:
        """Back to the automatic projection (identity or PCA) for stage ``index``."""
        self._units.pop(index, None)
        self.refit(index)

    def __getitem__(self, index) -> Projection:
        return self._last[index]


def project_stages(stage_list, projections) -> list[np.ndarray]:
    """Each stage's values on its projection: list of (n, dims_i) float32."""
    if len(stage_list) != len(projections):
        raise ValueError(f"Expected one projection per stage ({len(stage_list)}). Received {len(projections)}.")
    return [p.project(stage_values(st)) for st, p in zip(stage_list, projections)]
