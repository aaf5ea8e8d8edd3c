"""Every unit's output over the input plane (or, for data on one input, along it), and one unit's sum
written out with its numbers.

The network diagram draws each unit as a small picture of its output over the plane the decision
boundary is drawn on (TensorFlow Playground's signature): :func:`unit_grids` pushes one coarse grid
of that plane through the network and keeps every layer's activations. :func:`unit_formula` writes
what one unit computes, ``tanh(0.52·x1 − 1.3·x2 + 0.1)``, and the same sum with one sample's
numbers, ``= tanh(1.75) = 0.94``. For data on one input (a 1-D regression run) there is no plane:
:func:`unit_curves` pushes a line of inputs through the network instead, and each unit is drawn as
its output along that line, a curve. Layers count Dense layers from 0 (as ``model.trace`` does); units
are shown counted from 1 (``x1``, ``x2``, unit 1), as the inputs are.

NumPy only.
"""
from __future__ import annotations

import numpy as np

from core.analysis.boundary import Plane
from core.analysis.uncrumple.inspector import worked_sum
from core.engine.validation import check_int, check_number

__all__ = ["unit_grids", "unit_curves", "input_names", "unit_formula"]

#: the grid a picture is made of by default (24 x 24 points: one cheap forward pass)
RESOLUTION = 24
#: inputs along the line a 1-D network's unit curves are drawn from by default
CURVE_POINTS = 64
MINUS = "\u2212"


def unit_grids(model, plane: Plane, extent, resolution: int = RESOLUTION) -> list[np.ndarray]:
    """Every layer's activations over a ``resolution`` x ``resolution`` grid of ``plane``, the input first.

    Parameters
    ----------
    model : core.Sequential
        Built; its current weights are used (Dropout is the identity).
    plane : core.analysis.boundary.Plane
        The plane the boundary view draws (``RunData.plane``): the input plane for 2-D data,
        the principal plane for 3-D data.
    extent : tuple of 4 float
        ``(x0, x1, y0, y1)`` in plane coordinates (``BoundaryGrid.extent``).
    resolution : int
        Grid points along each side.

    Returns
    -------
    list of ndarray of shape (units, resolution, resolution), float32, C-contiguous
        ``[inputs (d, r, r), layer 1 (u1, r, r), ..., output (uL, r, r)]``. In each picture row
        ``i`` is ``b = y0 + i * (y1 - y0) / (resolution - 1)`` and column ``j`` is ``a`` likewise,
        the order of :func:`core.analysis.boundary.decision_grid` (row 0 at the bottom). The
        inputs are the grid's points in input space (for 3-D data, the plane's points lifted).
    """
    r = check_int("resolution", resolution, low=2)
    x0, x1, y0, y1 = (check_number("extent", e) for e in extent)
    a = np.linspace(x0, x1, r, dtype=np.float32)
    b = np.linspace(y0, y1, r, dtype=np.float32)
    aa, bb = np.meshgrid(a, b)
    pts = plane.lift(np.column_stack([aa.ravel(), bb.ravel()]))
    if pts.shape[1] != model.input_dim:
        raise ValueError(f"The plane lies in {pts.shape[1]}-D space; the model takes {model.input_dim} features.")
    with np.errstate(all="ignore"):
        outs = [pts] + [t.output for t in model.trace(pts)]
    return [np.ascontiguousarray(np.asarray(o, np.float32).T.reshape(-1, r, r)) for o in outs]


def unit_curves(model, span, points: int = CURVE_POINTS) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every layer's activations along a line of inputs, the input first: for a network on one input.

    Parameters
    ----------
    model : core.Sequential
        Built, with ``input_dim == 1``; its current weights are used (Dropout is the identity).
    span : tuple of 2 float
        ``(x0, x1)``, the line's ends, ``x0 < x1``.
    points : int
        Inputs along the line.

    Returns
    -------
    x : ndarray of shape (points,), float32
        The inputs, increasing from ``x0`` to ``x1``.
    curves : list of ndarray of shape (units, points), float32, C-contiguous
        ``[input (1, points), layer 1 (u1, points), ..., output (uL, points)]``: row ``k`` of a
        layer is unit ``k``'s output at each input.
    """
    points = check_int("points", points, low=2)
    x0, x1 = (check_number("span", e) for e in span)
    if not x0 < x1:
        raise ValueError(f"Argument `span` must be (x0, x1) with x0 < x1. Received: span={tuple(span)}")
    if model.input_dim != 1:
        raise ValueError(f"Unit curves are for a network on one input; this one takes {model.input_dim} features.")
    x = np.linspace(x0, x1, points, dtype=np.float32)
    with np.errstate(all="ignore"):
        outs = [x[:, None]] + [t.output for t in model.trace(x[:, None])]
    return x, [np.ascontiguousarray(np.asarray(o, np.float32).T) for o in outs]


def input_names(layer: int, n_inputs: int) -> list[str]:
    """What the inputs of Dense layer ``layer`` are called in a formula: ``x1, x2, ...`` for the
    network's inputs, ``a1, a2, ...`` (the previous layer's outputs) after that."""
    letter = "x" if layer == 0 else "a"
    return [f"{letter}{k + 1}" for k in range(n_inputs)]


def _num(v: float, digits: int) -> str:
    s = f"{float(v) + 0.0:.{digits}g}"
    return "0" if s == "-0" else s.replace("-", MINUS)


def _terms(weights, values, bias, digits, max_terms, per_line) -> str:
    """``0.52·x1 − 1.3·x2 + 0.1``; ``values`` are names (str) or numbers (negative ones in brackets)."""
    parts = []
    n = len(weights)
    shown = range(n) if n <= max_terms else list(range(max_terms - 1)) + [n - 1]
    for i, k in enumerate(shown):
        w = float(weights[k])
        v = values[k] if isinstance(values[k], str) else _num(values[k], digits)
        if not isinstance(values[k], str) and float(values[k]) < 0:
            v = f"({v})"
        mag = f"{_num(abs(w), digits)}·{v}"
        if i == 0:
            parts.append(mag if w >= 0 else MINUS + mag)
        else:
            parts.append(f"{'+' if w >= 0 else MINUS} {mag}")
        if n > max_terms and i == max_terms - 2:
            parts.append(f"+ … ({n - max_terms} more)")
    parts.append(f"{'+' if bias >= 0 else MINUS} {_num(abs(bias), digits)}")
    lines = [" ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
    return "\n    ".join(lines)


def unit_formula(model, layer: int, unit: int, x_sample, *, digits: int = 2, max_terms: int = 8,
                 per_line: int = 4) -> str:
    """What unit ``unit`` of Dense layer ``layer`` computes, in symbols and with one sample's numbers.

    Parameters
    ----------
    model : core.Sequential
    layer, unit : int
        0-based (``unit_formula(model, 0, 2, x)`` is "unit 3" of Layer 1).
    x_sample : array_like of shape (d,)
        A network input; the earlier layers give the unit's inputs.
    digits : int
        Significant digits of the weights, the inputs and the bias (the results get one more).
    max_terms : int
        Longer sums show their first ``max_terms - 1`` terms, "…" and the last one.
    per_line : int
        Terms per line (a sum of eight terms spans two lines).

    Returns
    -------
    str
        Two lines (more for long sums), e.g.::

            tanh(0.52·x1 − 1.3·x2 + 0.1)
            = tanh(0.52·0.4 − 1.3·(−1.1) + 0.1) = tanh(1.7) = 0.94

        Layers after the first name their inputs ``a1, a2, ...`` (the previous layer's outputs).
        A linear unit has no wrapper; a softmax unit shows its ``z`` and its softmax over the layer.
    """
    ws = worked_sum(model, layer, unit, x_sample)
    names = input_names(int(layer), len(ws.weights))
    symbolic = _terms(ws.weights, names, ws.bias, digits, max_terms, per_line)
    numeric = _terms(ws.weights, ws.inputs, ws.bias, digits, max_terms, per_line)
    z, out = _num(ws.biased, digits + 1), _num(ws.output, digits + 1)
    act = ws.activation
    if act == "linear":
        return f"{symbolic}\n= {numeric} = {out}"
    if act == "softmax":
        return (f"z = {symbolic}\n= {numeric} = {z}\n"
                f"softmax of the layer's z: {out}")
    return f"{act}({symbolic})\n= {act}({numeric}) = {act}({z}) = {out}"
