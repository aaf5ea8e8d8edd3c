"""What the weights view and the network diagram draw: display matrices, colour levels, a diagram.

The weights view shows every Dense layer's kernel ``W`` (inputs x units) and bias
as heat maps. Matrices larger than a screen can show cell by cell are reduced by
:func:`display_matrix` to at most ``max_cells`` cells, keeping the map from each
display cell back to the original index range (so a hover can still name the
exact weight). :func:`symmetric_levels` picks colour levels centred at zero that
survive NaN, inf, constant and empty arrays; :func:`sticky_level` keeps them fixed
until the values leave them by a lot, so colours stay comparable over time.
:func:`log_ratio` is the relative size of the last update, ``log10(|dW| / |W|)``.

The network diagram (:func:`diagram_layout`) draws units as nodes in one column
per layer and weights as links; layers wider than ``max_units`` show their units
with the largest outgoing weights and a "+N more" marker. :func:`unit_activations`
gives every layer's activation for a sample, for the node colours.

NumPy only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core.engine.validation import check_array, check_int, check_number

#: ``log_ratio`` results are clipped to this range: a zero update gives the floor, a zero weight
#: with a non-zero update the ceiling (log10 of ratios beyond float32's range are meaningless here).
LOG_RATIO_RANGE = (-12.0, 12.0)

#: how display_matrix reduces a block of cells to one: a name -> (what it keeps)
REDUCTIONS = ("maxabs", "mean", "max")


class DisplayMatrix(NamedTuple):
    """A matrix reduced for display, and where each display cell comes from.

    Attributes
    ----------
    values : ndarray of shape (R, C), float32, C-contiguous
    row_edges : ndarray of shape (R + 1,), int64
        Display row ``i`` covers original rows ``row_edges[i]:row_edges[i + 1]``.
    col_edges : ndarray of shape (C + 1,), int64
        Display column ``j`` covers original columns ``col_edges[j]:col_edges[j + 1]``.
    """

    values: np.ndarray
    row_edges: np.ndarray
    col_edges: np.ndarray

    @property
    def downsampled(self) -> bool:
        """True if some display cell covers more than one original cell."""
        return bool(len(self.row_edges) - 1 < self.row_edges[-1] or len(self.col_edges) - 1 < self.col_edges[-1])

    def source(self, i: int, j: int) -> tuple[int, int, int, int]:
        """``(r0, r1, c0, c1)``: display cell ``(i, j)`` shows ``a[r0:r1, c0:c1]``."""
        return (int(self.row_edges[i]), int(self.row_edges[i + 1]),
                int(self.col_edges[j]), int(self.col_edges[j + 1]))


def _edges(n: int, factor: int) -> np.ndarray:
    return np.minimum(np.arange(0, n + factor, factor, dtype=np.int64)[: -(-n // factor) + 1], n)


def _signed_maxabs(x, axis):
    """The value of largest magnitude along ``axis``, with its sign; NaN wins."""
    mag = np.abs(x)
    mag[np.isnan(mag)] = np.inf
    pick = np.expand_dims(np.argmax(mag, axis=axis), axis)
    return np.take_along_axis(x, pick, axis=axis).squeeze(axis)


def display_matrix(a, max_cells=(256, 256), reduce="maxabs") -> DisplayMatrix:
    """``a`` reduced to at most ``max_cells`` cells by blocks of equal size (the last may be smaller).

    Parameters
    ----------
    a : array_like of shape (rows, cols), or (n,) for a bias (shown as one row)
    max_cells : (int, int)
        The most display rows and columns.
    reduce : {"maxabs", "mean", "max"}
        How a block becomes one cell. ``"maxabs"`` (the default, for weights,
        gradients and updates) keeps the block's value of largest magnitude *with its
        sign*: a single large weight stays visible instead of being averaged away,
        and a block holding a NaN shows NaN (a diverged weight is never hidden).
        ``"mean"`` is the block mean; ``"max"`` the largest value (for
        :func:`log_ratio`: the fastest-changing weight of the block). ``"mean"``
        and ``"max"`` also propagate NaN.

    Returns
    -------
    DisplayMatrix
        The values (float32) and the cell -> original index ranges. An array that
        fits is returned as is (a float32 copy), one display cell per value.
    """
    arr = np.asarray(a)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError(f"Argument `a` must have 1 or 2 dimensions. Received: a.shape={arr.shape}")
    if reduce not in REDUCTIONS:
        raise ValueError(f"Argument `reduce` must be one of {REDUCTIONS}. Received: reduce={reduce!r}")
    try:
        max_r, max_c = (check_int(f"max_cells[{k}]", int(v), low=1) for k, v in enumerate(max_cells))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Argument `max_cells` must be two integers >= 1. Received: max_cells={max_cells!r}"
                         ) from exc
    arr = arr.astype(np.float32, copy=False)
    rows, cols = arr.shape
    fr, fc = max(1, -(-rows // max_r)), max(1, -(-cols // max_c))
    re, ce = _edges(rows, fr), _edges(cols, fc)
    if fr == 1 and fc == 1 or arr.size == 0:
        return DisplayMatrix(np.ascontiguousarray(arr, dtype=np.float32).copy(), re, ce)
    nr, nc = len(re) - 1, len(ce) - 1
    fill = 0.0 if reduce == "maxabs" else np.nan
    if (nr * fr, nc * fc) == (rows, cols):
        padded = arr
    else:
        padded = np.full((nr * fr, nc * fc), fill, np.float32)
        padded[:rows, :cols] = arr
    blocks = padded.reshape(nr, fr, nc, fc).transpose(0, 2, 1, 3).reshape(nr, nc, fr * fc)
    with np.errstate(all="ignore"):
        if reduce == "maxabs":
            out = _signed_maxabs(blocks, axis=2)
        else:
            real = np.zeros((nr * fr, nc * fc), bool)
            real[:rows, :cols] = True
            real = real.reshape(nr, fr, nc, fc).transpose(0, 2, 1, 3).reshape(nr, nc, fr * fc)
            nan = np.isnan(blocks) & real
            if reduce == "mean":
                out = np.where(real, blocks, 0.0).sum(axis=2, dtype=np.float64) / real.sum(axis=2)
            else:
                out = np.where(real, blocks, -np.inf).max(axis=2)
            out = np.where(nan.any(axis=2), np.nan, out)
    return DisplayMatrix(np.ascontiguousarray(out, dtype=np.float32), re, ce)


def symmetric_levels(arrays, percentile=99.5, max_samples=65536) -> tuple[float, float]:
    """Colour levels ``(-L, L)`` centred at zero, ``L`` the ``percentile`` of ``|values|``.

    Parameters
    ----------
    arrays : array_like or sequence of array_like
        Pooled together (NaN and +-inf ignored).
    percentile : float in (0, 100]
    max_samples : int
        Arrays with more values are read at an even stride (cheap and
        deterministic for a 784 x 512 kernel).

    Returns
    -------
    (float, float)
        Finite, ``-L < 0 < L``. When the percentile is 0 (mostly zeros) the largest
        finite magnitude is used; with no non-zero finite value at all (empty,
        all-NaN, all-zero) the levels are ``(-1, 1)``.
    """
    p = check_number("percentile", percentile, low=0, high=100)
    if isinstance(arrays, np.ndarray) or np.isscalar(arrays):
        arrays = [arrays]
    parts = []
    for a in arrays:
        v = np.asarray(a).ravel()
        if len(v) > max_samples:
            v = v[:: -(-len(v) // max_samples)]
        v = np.abs(v.astype(np.float64))
        parts.append(v[np.isfinite(v)])
    v = np.concatenate(parts) if parts else np.zeros(0)
    if len(v) == 0:
        return (-1.0, 1.0)
    level = float(np.percentile(v, p))
    if not level > 0:
        level = float(v.max())
    if not (level > 0 and np.isfinite(level)):
        return (-1.0, 1.0)
    level = min(level, float(np.finfo(np.float64).max) / 4)
    return (-level, level)


def sticky_level(current, candidate, grow=1.5, shrink=3.0) -> float:
    """Keep the level ``current`` unless ``candidate`` leaves it by a lot.

    The new level is ``candidate`` when there is no current level, when the values
    outgrew it (``candidate > grow * current``: many cells would saturate) or when
    they shrank well below it (``candidate < current / shrink``: everything would
    fade to white); otherwise ``current`` stays, so colours mean the same from one
    frame to the next.
    """
    cand = float(candidate)
    if current is None or not np.isfinite(current) or current <= 0:
        return cand
    if cand > grow * current or cand < current / shrink:
        return cand
    return float(current)


def log_ratio(update, weights) -> np.ndarray:
    """``log10(|update| / |weights|)``: how big the last step was next to each weight.

    Parameters
    ----------
    update, weights : array_like of the same shape
        The last update ``dW`` and the weights ``W``.

    Returns
    -------
    ndarray of the same shape, float32
        Clipped to :data:`LOG_RATIO_RANGE`: a zero update gives the floor (-12),
        a zero weight with a non-zero update the ceiling (12); NaN where either
        input is NaN. A healthy rate is often quoted near -3.
    """
    u = np.abs(np.asarray(update, dtype=np.float64))
    w = np.abs(np.asarray(weights, dtype=np.float64))
    if u.shape != w.shape:
        raise ValueError(f"Arguments `update` and `weights` must have the same shape. "
                         f"Received: update.shape={u.shape}, weights.shape={w.shape}")
    lo, hi = LOG_RATIO_RANGE
    with np.errstate(all="ignore"):
        r = np.log10(u) - np.log10(w)          # -inf for u == 0, +inf for w == 0, NaN for 0/0 or inf/inf
    r = np.where(u == 0, lo, r)                # no update at all: the floor (also when w == 0)
    r = np.where(np.isnan(u) | np.isnan(w), np.nan, np.clip(r, lo, hi))
    return r.astype(np.float32)


# ---- the network diagram -------------------------------------------------------------------------
@dataclass
class Diagram:
    """Node positions and links of a network diagram.

    Attributes
    ----------
    units : list of ndarray of int
        Per layer (the input first), the original indices of the units shown, ascending.
    hidden : list of int
        Per layer, how many units are not shown ("+N more").
    positions : ndarray of shape (n_nodes, 2), float32
        ``x`` = layer index, ``y`` = the unit's place in its column (top = highest).
    node_layer, node_unit : ndarray of shape (n_nodes,), int
    edges : ndarray of shape (n_edges, 2), int
        Node indices ``(from, to)`` of each link between consecutive layers.
    edge_layer : ndarray of shape (n_edges,), int
        The kernel each link belongs to (0 = the first Dense layer).
    edge_index : ndarray of shape (n_edges, 2), int
        ``(row, col)`` of the link's weight in that kernel.
    weights : ndarray of shape (n_edges,), float32
        The link weights (zeros when no kernels were given).
    more : list of (layer, n_hidden, (x, y))
        Where to write "+N more" under a column.
    """

    units: list
    hidden: list
    positions: np.ndarray
    node_layer: np.ndarray
    node_unit: np.ndarray
    edges: np.ndarray
    edge_layer: np.ndarray
    edge_index: np.ndarray
    weights: np.ndarray
    more: list

    def link_weights(self, kernels) -> np.ndarray:
        """The links' weights read from ``kernels`` (one (in, out) array per Dense layer), float32."""
        out = np.zeros(len(self.edges), np.float32)
        for k, w in enumerate(kernels):
            sel = self.edge_layer == k
            if sel.any():
                rc = self.edge_index[sel]
                out[sel] = np.asarray(w, np.float32)[rc[:, 0], rc[:, 1]]
        return out


def top_units(layer_sizes, kernels=None, max_units=16) -> list[np.ndarray]:
    """Per layer, the (ascending) indices of at most ``max_units`` units to draw.

    A wide layer keeps the units of largest summed ``|outgoing weight|`` (the output
    layer, having none, by ``|incoming weight|``); NaN counts as 0; ties go to the
    lower index. Without kernels the first ``max_units`` units are kept.
    """
    sizes = [check_int(f"layer_sizes[{i}]", int(s), low=1) for i, s in enumerate(layer_sizes)]
    m = check_int("max_units", int(max_units), low=1)
    out = []
    for l, n in enumerate(sizes):
        if n <= m:
            out.append(np.arange(n))
            continue
        if kernels is None:
            out.append(np.arange(m))
            continue
        with np.errstate(all="ignore"):
            if l < len(kernels):
                score = np.nansum(np.abs(np.asarray(kernels[l], np.float64)), axis=1)
            else:
                score = np.nansum(np.abs(np.asarray(kernels[l - 1], np.float64)), axis=0)
        score = np.nan_to_num(score, nan=0.0, posinf=np.finfo(np.float64).max)
        order = np.argsort(-score, kind="stable")[:m]
        out.append(np.sort(order))
    return out


def diagram_layout(layer_sizes, max_units=16, kernels=None) -> Diagram:
    """Nodes in one column per layer and links between consecutive columns.

    Parameters
    ----------
    layer_sizes : sequence of int
        The input width, then every Dense layer's units, e.g. ``(2, 8, 8, 1)``.
    max_units : int
        Columns show at most this many units (see :func:`top_units`).
    kernels : sequence of ndarray of shape (layer_sizes[l], layer_sizes[l + 1]), optional
        Pick the units of wide layers and fill ``Diagram.weights``.

    Returns
    -------
    Diagram
        Column ``l`` is at ``x = l``; its ``n`` shown units at ``y = (n - 1) / 2 - k``
        (``k = 0..n-1``): centred on ``y = 0``, unit spacing, lowest index on top.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2:
        raise ValueError(f"Argument `layer_sizes` must hold the input and at least one layer. "
                         f"Received: layer_sizes={layer_sizes!r}")
    if kernels is not None:
        kernels = list(kernels)
        for l, w in enumerate(kernels):
            if np.shape(w) != (sizes[l], sizes[l + 1]):
                raise ValueError(f"Argument `kernels[{l}]` must have shape {(sizes[l], sizes[l + 1])}. "
                                 f"Received: kernels[{l}].shape={np.shape(w)}")
    units = top_units(sizes, kernels, max_units)
    pos, node_layer, node_unit, first, more = [], [], [], [], []
    for l, u in enumerate(units):
        first.append(len(node_unit))
        ys = (len(u) - 1) / 2.0 - np.arange(len(u))
        pos.extend((float(l), float(y)) for y in ys)
        node_layer.extend([l] * len(u))
        node_unit.extend(u.tolist())
        if sizes[l] > len(u):
            more.append((l, sizes[l] - len(u), (float(l), float(ys[-1] - 1.0))))
    edges, edge_layer, edge_index = [], [], []
    for l in range(len(sizes) - 1):
        a, b = units[l], units[l + 1]
        ia, ib = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
        edges.append(np.column_stack([first[l] + ia.ravel(), first[l + 1] + ib.ravel()]))
        edge_index.append(np.column_stack([a[ia.ravel()], b[ib.ravel()]]))
        edge_layer.append(np.full(ia.size, l))
    d = Diagram(units=units, hidden=[s - len(u) for s, u in zip(sizes, units)],
                positions=np.asarray(pos, np.float32).reshape(-1, 2),
                node_layer=np.asarray(node_layer, np.int64), node_unit=np.asarray(node_unit, np.int64),
                edges=np.concatenate(edges).astype(np.int64), edge_layer=np.concatenate(edge_layer).astype(np.int64),
                edge_index=np.concatenate(edge_index).astype(np.int64), weights=np.zeros(0, np.float32), more=more)
    d.weights = d.link_weights(kernels) if kernels is not None else np.zeros(len(d.edges), np.float32)
    return d


def link_bins(weights, scale, n_bins=6) -> np.ndarray:
    """Width classes of links: ``min(floor(|w| / scale * n_bins), n_bins - 1)``, so width ∝ |w|.

    Parameters
    ----------
    weights : array_like of shape (m,)
    scale : float > 0
        The magnitude drawn at the widest class (larger ones saturate).

    Returns
    -------
    ndarray of shape (m,), int64 in ``0..n_bins-1``; NaN and inf fall in the widest class.
    """
    s = check_number("scale", scale, low=0)
    n = check_int("n_bins", int(n_bins), low=1)
    with np.errstate(all="ignore"):
        f = np.abs(np.asarray(weights, np.float64)) / s * n
    f = np.where(np.isfinite(f), f, n)
    return np.minimum(np.floor(f), n - 1).astype(np.int64)


def unit_activations(model, x) -> list[np.ndarray]:
    """Every layer's activation for a sample (or a batch), the input first.

    Parameters
    ----------
    model : core.engine.model.Sequential
        Built; its current weights are used (Dropout is the identity here).
    x : array_like of shape (d_in,) or (n, d_in)

    Returns
    -------
    list of ndarray, float32
        ``[x, a_1, ..., a_L]``, each of shape (units,) for one sample or (n, units).
    """
    arr = check_array("x", x, ndim=(1, 2))
    batch = arr.reshape(1, -1) if arr.ndim == 1 else arr
    with np.errstate(all="ignore"):
        outs = [t.output for t in model.trace(batch)]
    acts = [batch] + [np.asarray(o, np.float32) for o in outs]
    return [a[0].copy() for a in acts] if arr.ndim == 1 else acts
