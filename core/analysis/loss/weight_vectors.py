"""Flat weight vectors: a model's weights as one vector, back again, and a name per parameter.

Weight space is addressed by flat index in ``get_weights`` order (each array flattened in C
order): :func:`flatten` and :func:`unflatten` convert, :func:`parameter_names` and
:func:`parameter_name` say which kernel or bias entry an index is. Used by :mod:`core.analysis.loss.planes`,
:mod:`core.analysis.loss.landscape` and :mod:`core.analysis.loss.slices`.

Weight vectors are float64 here (exact for the float32 weights).
"""
from __future__ import annotations

import numpy as np

from core.engine.model import Sequential

__all__ = ["flatten", "unflatten", "parameter_names", "parameter_name"]


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
    _require_built(model)
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
    _require_built(model)
    index = int(index)
    for layer in model.layers:
        for p in layer.params:
            if index < p.size:
                kind = "W" if p is getattr(layer, "kernel", None) else "b"
                idx = np.unravel_index(index, p.shape)
                return f"{layer.name} {kind}[{','.join(map(str, idx))}]"
            index -= p.size
    raise ValueError(f"Argument `index` must be < {model.count_params()}. Received: index={index}")


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
    if isinstance(weights, np.ndarray) and weights.ndim in (1, 2):
        return None
    return tuple(np.shape(w) for w in weights)
