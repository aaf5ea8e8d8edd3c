"""The neuron inspector of the uncrumpling view (no Qt here).

:func:`neuron_map` (one unit's value over the input plane), :func:`worked_sum` /
:class:`WorkedSum` and :func:`format_worked_sum` (one unit's computation for one sample, as
a line of text). Layer indices count Dense layers, as ``model.trace`` does (``Stage.layer``;
-1 is the input). Built on the stages of :mod:`core.analysis.uncrumple.geometry`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.engine import activations
from core.engine.layers import Dense
from core.engine.validation import check_array, check_choice, check_int, check_number
from core.analysis.boundary import Plane
from core.analysis.uncrumple.geometry import KINDS, plane_grid

__all__ = ["neuron_map", "WorkedSum", "worked_sum", "format_worked_sum"]


# ---- neuron inspector -------------------------------------------------------------------------------
def _dense(model, layer):
    dense = [l for l in model.layers if isinstance(l, Dense)]
    if not getattr(model, "built", False):
        raise ValueError("The model is not built yet: call build(d) or fit() first.")
    layer = check_int("layer", layer, low=0, high=len(dense) - 1)
    return dense, layer


def _layer_input(model, layer, x):
    """The input of Dense layer ``layer`` for inputs ``x`` (n, d)."""
    target = _dense(model, layer)[0][layer]
    h = x
    for l in model.layers:
        if l is target:
            return h
        h = l.call(h)
    raise AssertionError("unreachable")


def neuron_map(model, layer, unit, extent, resolution=64, plane=None, kind="activation") -> np.ndarray:
    """One unit's value over a grid of the input plane (TensorFlow Playground style).

    Parameters
    ----------
    model : core.Sequential
    layer, unit : int
        Dense layer index (as ``Stage.layer``) and unit index, 0-based.
    extent : tuple of 4 float
        ``(x0, x1, y0, y1)`` in plane coordinates (``core.analysis.boundary.grid_extent``).
    resolution : int
    plane : core.analysis.boundary.Plane, optional
        Required unless the input is 2D: for 3D data ``core.analysis.boundary.input_plane(x)``.
    kind : str
        ``"activation"`` (default), ``"bias"`` (before the activation) or ``"dot"``.

    Returns
    -------
    ndarray of shape (resolution, resolution), float32
        Row i, column j is the point ``(x0 + j * dx, y0 + i * dy)`` of the plane, the order of
        ``core.analysis.boundary.decision_grid`` (and of ``core.analysis.uncrumple.geometry.input_grid``'s
        points).
    """
    dense, layer = _dense(model, layer)
    unit = check_int("unit", unit, low=0, high=dense[layer].units - 1)
    kind = check_choice("kind", kind, KINDS[1:])
    resolution = check_int("resolution", resolution, low=2)
    if plane is None:
        if model.input_dim != 2:
            raise ValueError(f"The model takes {model.input_dim} features: pass "
                             "plane=core.analysis.boundary.input_plane(x) to choose the plane to map.")
        plane = Plane(np.zeros(2, np.float32), np.eye(2, dtype=np.float32), ("x1", "x2"))
    extent = tuple(check_number("extent", e) for e in extent)
    pts = plane_grid(plane, extent, resolution, 2).points
    t = dense[layer].stages(_layer_input(model, layer, pts))
    vals = {"dot": t.dot, "bias": t.biased, "activation": t.output}[kind][:, unit]
    return np.ascontiguousarray(vals.reshape(resolution, resolution), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class WorkedSum:
    """One unit's computation for one sample: ``activation(dot(inputs, weights) + bias)``.

    Attributes
    ----------
    layer, unit : int
    weights : ndarray of shape (d_in,), float32
        The unit's incoming weights (column ``unit`` of the kernel).
    bias : float
    inputs : ndarray of shape (d_in,), float32
        What the layer receives for this sample (the previous layer's output).
    dot, biased, output : float
    activation : str
    """

    layer: int
    unit: int
    weights: np.ndarray
    bias: float
    inputs: np.ndarray
    dot: float
    biased: float
    activation: str
    output: float

    def text(self, digits=3, max_terms=10) -> str:
        """``"W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 → sigmoid → 0.746"``."""
        return _format_sum(self.weights, self.inputs, self.bias, self.dot, self.biased,
                           self.activation, self.output, digits, max_terms)

    __str__ = text


def worked_sum(model, layer, unit, x_sample) -> WorkedSum:
    """The worked sum of Dense layer ``layer``'s ``unit`` for one input sample.

    Parameters
    ----------
    model : core.Sequential
    layer, unit : int
        0-based, as :func:`neuron_map`.
    x_sample : array_like of shape (d,) or (1, d)
        A network input; earlier layers are applied to get the layer's input.
    """
    dense, layer = _dense(model, layer)
    unit = check_int("unit", unit, low=0, high=dense[layer].units - 1)
    x = check_array("x_sample", x_sample, ndim=(1, 2)).reshape(1, -1)
    if x.shape[1] != model.input_dim:
        raise ValueError(f"The model expects inputs with {model.input_dim} features. Received: x.shape={x.shape}")
    h = _layer_input(model, layer, x)
    t = dense[layer].stages(h)
    return WorkedSum(layer, unit, dense[layer].kernel[:, unit].copy(), float(dense[layer].bias[unit]),
                     np.asarray(h[0], np.float32).copy(), float(t.dot[0, unit]), float(t.biased[0, unit]),
                     t.activation, float(t.output[0, unit]))


def _num(v, digits):
    s = f"{float(v) + 0.0:.{digits}g}"
    return "0" if s == "-0" else s


def _vec(v, digits, max_terms):
    items = [_num(e, digits) for e in v]
    if len(items) > max_terms:
        items = items[:max_terms - 1] + ["…", items[-1]]
    return "(" + ", ".join(items) + ")"


def _format_sum(w, x, b, z, zb, act, a, digits, max_terms):
    head = f"W = {_vec(w, digits, max_terms)}, x = {_vec(x, digits, max_terms)} → {_num(z, digits)}"
    if b != 0:
        head += f" {'-' if b < 0 else '+'} {_num(abs(b), digits)} = {_num(zb, digits)}"
    return f"{head} → {act} → {_num(a, digits)}"


def format_worked_sum(weights, bias, inputs, activation="linear", *, digits=3, max_terms=10) -> str:
    """The neuron inspector's line for ``activation(dot(inputs, weights) + bias)``.

    >>> format_worked_sum((-1, 0.2, 1), 0, (1, 0.4, 2), "sigmoid")
    'W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 → sigmoid → 0.746'

    A nonzero bias shows as ``→ 1.08 + 0.5 = 1.58 →``. Numbers have ``digits``
    significant digits; vectors longer than ``max_terms`` are shortened with ``…``.
    """
    w = check_array("weights", weights, ndim=1).astype(np.float64)
    x = check_array("inputs", inputs, ndim=1).astype(np.float64)
    if w.shape != x.shape:
        raise ValueError(f"Arguments `weights` and `inputs` must have the same length. "
                         f"Received {len(w)} and {len(x)}.")
    b = check_number("bias", bias)
    act = activations.get(activation)
    if act.name == "softmax":
        raise ValueError("A softmax unit depends on every unit of its layer; use worked_sum(model, ...).")
    z = float(w @ x)
    a = float(act(np.array([z + b]))[0])
    return _format_sum(w, x, b, z, z + b, act.name, a, digits, max_terms)
