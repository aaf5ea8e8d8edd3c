"""What the regression views compute: a fitted curve as the sum of its units, a fitted surface.

A regression network ends in one linear unit, ``y = w1·a1 + w2·a2 + … + wk·ak + b``: its output is
the sum of what each unit ``ai`` of the last hidden layer adds, times its outgoing weight ``wi``, plus
the output bias. For data on one input, :func:`curve_fit` draws that sum on a line a little wider
than the data (so extrapolation is visible) and keeps every term: the views draw the terms under
the curve. For data on two inputs, :func:`surface_grid` is the network's output over a grid of the
input plane (what a regression run's ``BoundaryGrid`` holds), :func:`value_levels` the colour
scale from the targets and :func:`contour_levels` round contour values on it.

NumPy only.

Examples
--------
>>> fit = curve_fit(model, curve_axis(run.x_train[:, 0]))
>>> np.allclose(fit.contributions.sum(axis=0) + fit.bias, fit.fitted, atol=1e-5)
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.boundary import Plane, decision_grid
from core.analysis.names import layer_name
from core.engine.layers import Dense
from core.engine.validation import check_int, check_number

__all__ = ["CurveFit", "curve_axis", "curve_fit", "surface_grid", "value_levels", "contour_levels"]

#: the fitted curve reaches this fraction of the data's span beyond each end of it
EXTRAPOLATE = 0.25
#: points along the fitted curve
CURVE_POINTS = 241
#: contributions drawn at most (the largest); the others are counted ("+N more")
MAX_SHOWN = 16


@dataclass(frozen=True, eq=False)
class CurveFit:
    """A network on one input, written as the sum it computes along a line of inputs.

    Attributes
    ----------
    x : ndarray of shape (m,), float32
        The inputs, increasing.
    fitted : ndarray of shape (m,), float32
        The network's output at ``x`` (what ``model.predict`` gives).
    contributions : ndarray of shape (k, m), float32
        Row ``i``: unit ``i`` of the last hidden layer's activation times its outgoing weight (for
        a network without a hidden layer, the input times its weight).
    bias : float
        The output unit's bias: ``contributions.sum(axis=0) + bias == fitted``.
    weights : ndarray of shape (k,), float32
        Each unit's outgoing weight.
    names : tuple of str
        Each unit's name, ``"Layer 2 · unit 5"`` (``"x1"`` without a hidden layer).
    order : ndarray of shape (k,), int64
        The units by size (the largest ``|contribution|`` over ``x``), largest first.
    """

    x: np.ndarray
    fitted: np.ndarray
    contributions: np.ndarray
    bias: float
    weights: np.ndarray
    names: tuple
    order: np.ndarray

    def shown(self, limit: int = MAX_SHOWN) -> tuple[np.ndarray, int]:
        """The ``limit`` largest units (indices, in unit order) and how many more there are."""
        limit = check_int("limit", limit, low=0)
        keep = np.sort(self.order[:limit])
        return keep, len(self.order) - len(keep)


def curve_axis(x, n: int = CURVE_POINTS, margin: float = EXTRAPOLATE) -> np.ndarray:
    """``n`` inputs from a little before the data to a little after it.

    Parameters
    ----------
    x : array_like of shape (s,) or (s, 1)
        The data's inputs (non-finite values are ignored).
    n : int
        Points (at least 2).
    margin : float
        How far beyond the data, as a fraction of its span, on each side.

    Returns
    -------
    ndarray of shape (n,), float32
        Increasing; ``[-1, 1]`` widened by ``margin`` when ``x`` has no finite value, and a span of 1
        around a single value.
    """
    n = check_int("n", n, low=2)
    margin = check_number("margin", margin, low=0.0, low_inclusive=True)
    v = np.asarray(x, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (-1.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = margin * (hi - lo)
    return np.linspace(lo - pad, hi + pad, n, dtype=np.float32)


def _output_layer(model) -> Dense:
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    if not dense:
        raise ValueError("The model has no Dense layer.")
    out = dense[-1]
    if out.units != 1 or out.activation.name != "linear":
        raise ValueError("A fitted curve is the sum of a network ending in one linear unit. Received an output "
                         f"layer of {out.units} unit(s) with activation {out.activation.name!r}.")
    return out


def curve_fit(model, x) -> CurveFit:
    """The network's output along ``x`` and each unit's part of it.

    Parameters
    ----------
    model : core.Sequential
        Built, on one input, ending in one linear unit (a regression network); Dropout is the identity.
    x : array_like of shape (m,)
        The inputs (e.g. :func:`curve_axis`).

    Returns
    -------
    CurveFit

    Raises
    ------
    ValueError
        If the model does not take one input or does not end in one linear unit.
    """
    out = _output_layer(model)
    x = np.asarray(x, np.float32).reshape(-1)
    if model.input_dim != 1:
        raise ValueError(f"A fitted curve needs a network on one input. Received a network on {model.input_dim}.")
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    h = x[:, None]
    with np.errstate(all="ignore"):
        for layer in model.layers:
            if layer is out:
                break
            h = layer.call(h)
        w = np.asarray(out.kernel[:, 0], np.float32)
        contributions = np.ascontiguousarray((h * w).T, dtype=np.float32)
        fitted = np.asarray(out.call(h)[:, 0], np.float32)
        size = np.nan_to_num(np.abs(contributions), nan=np.inf).max(axis=1) if len(x) else np.zeros(len(w))
    bias = float(out.bias[0]) if out.use_bias else 0.0
    n = len(dense)
    if n == 1:
        names = ("x1",)
    else:
        names = tuple(f"{layer_name(n - 2, n)} · unit {u + 1}" for u in range(len(w)))
    order = np.argsort(-size, kind="stable").astype(np.int64)
    return CurveFit(x=x, fitted=np.ascontiguousarray(fitted), contributions=contributions, bias=bias,
                    weights=w.copy(), names=names, order=order)


def surface_grid(model, plane: Plane, extent, resolution: int = 64) -> np.ndarray:
    """The network's output over a ``resolution`` × ``resolution`` grid of ``plane`` (row ``i`` is the
    i-th ``y`` value, column ``j`` the j-th ``x``, as :func:`core.analysis.boundary.decision_grid`).

    Returns
    -------
    ndarray of shape (resolution, resolution), float32
    """
    _output_layer(model)
    resolution = check_int("resolution", resolution, low=2)
    return decision_grid(model, plane, extent, resolution)


def value_levels(*values, pad: float = 0.05, symmetric: bool = False) -> tuple[float, float]:
    """The colour scale of a fitted surface: the finite range of the targets ``values``, widened by
    ``pad`` of it on each side; ``(-1, 1)`` without a finite value, a span of 1 around one value.
    ``symmetric``: ``(-m, m)`` with ``m`` the largest ``|value|`` widened by ``pad`` (0 in the middle,
    for a diverging colour map)."""
    finite = [np.asarray(v, np.float64).reshape(-1) for v in values if v is not None]
    v = np.concatenate(finite) if finite else np.zeros(0)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return (-1.0, 1.0)
    if symmetric:
        top = float(np.abs(v).max()) * (1 + pad)
        return (-top, top) if top > 1e-9 else (-1.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-9:
        return (lo - 0.5, hi + 0.5)
    d = pad * (hi - lo)
    return (lo - d, hi + d)


def contour_levels(lo: float, hi: float, target: int = 8) -> np.ndarray:
    """Round values strictly between ``lo`` and ``hi`` (a step of 1, 2, 2.5 or 5 × 10^k, the nearest to
    an even split into ``target + 1``), about ``target`` of them, for contour lines a learner can read
    off the colour bar.

    Returns
    -------
    ndarray of shape (k,), float32
        Increasing; empty when ``hi <= lo``.
    """
    lo, hi = check_number("lo", lo), check_number("hi", hi)
    target = check_int("target", target, low=1)
    if hi <= lo:
        return np.zeros(0, np.float32)
    raw = (hi - lo) / (target + 1)
    scale = 10.0 ** np.floor(np.log10(raw))
    step = min((m * scale for m in (1, 2, 2.5, 5, 10)), key=lambda s: abs(np.log(s / raw)))
    first = np.ceil(lo / step) * step
    levels = np.arange(first, hi, step)
    levels = levels[(levels > lo) & (levels < hi)]
    return (np.round(levels, 10) + 0.0).astype(np.float32)      # + 0.0: no "-0" on the colour bar
