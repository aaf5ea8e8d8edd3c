"""The shapes flowing through a network, for the tensor lab: steps, formulas and the rules in words.

>>> flow_line(shape_flow(model, batch_size=128))
'(128, 784) · (784, 512) + (512,) → relu → (128, 512) · (512, 10) + (10,) → softmax → (128, 10)'
>>> broadcast_explanation((32, 10), (10,))      # the book's example
'(32, 10) + (10,) → (32, 10): axes are added to (10,) on the left to give (1, 10); ...'

Derived from any ``Sequential`` of Dense layers (not hard-coded to MNIST). NumPy only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.engine.validation import check_int
from core.engine.layers import Dense

__all__ = ["FlowStep", "shape_flow", "flow_line", "broadcast_explanation", "dot_shape_rule"]


@dataclass(frozen=True)
class FlowStep:
    """One tensor operation of a forward pass, with its shapes.

    Attributes
    ----------
    kind : str
        ``"input"``, ``"dot"``, ``"bias"`` or ``"activation"``.
    layer : int
        0-based Dense layer index (-1 for the input).
    name : str
        The result's name (``"x"``, ``"x·W1"``, ``"x·W1 + b1"``, ``"h1"``).
    operands : tuple of (str, tuple)
        The operands' names and shapes (``(("x", (128, 784)), ("W1", (784, 512)))``).
    shape : tuple
        The result's shape.
    formula : str
        ``"(128, 784) · (784, 512) → (128, 512)"``.
    note : str
        The rule at work, in words.
    """

    kind: str
    layer: int
    name: str
    operands: tuple
    shape: tuple
    formula: str
    note: str


def _s(shape) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"


def dot_shape_rule(a_shape, b_shape) -> str:
    """``"(128, 784) · (784, 512) → (128, 512)"``, or ValueError naming the mismatched axes."""
    a, b = tuple(a_shape), tuple(b_shape)
    if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
        raise ValueError(f"dot needs (n, k) · (k, m): the last axis of the first tensor must equal the first "
                         f"axis of the second. Received: {_s(a)} · {_s(b)}")
    return f"{_s(a)} · {_s(b)} → {_s((a[0], b[1]))}"


def broadcast_explanation(a_shape, b_shape) -> str:
    """NumPy's broadcasting of ``a + b`` in words (the book's ``(32, 10) + (10,)`` example)."""
    a, b = tuple(a_shape), tuple(b_shape)
    try:
        out = np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"Shapes {_s(a)} and {_s(b)} cannot be broadcast together.") from None
    if a == b:
        return f"{_s(a)} + {_s(b)}: same shapes, added element by element."
    lo = b if len(b) <= len(a) else a
    steps = []
    if len(lo) < len(out):
        added = (1,) * (len(out) - len(lo)) + lo
        steps.append(f"axes are added to {_s(lo)} on the left to give {_s(added)}")
        lo = added
    rep = [f"axis {i} repeated {out[i]} times" for i, d in enumerate(lo) if d == 1 and out[i] != 1]
    if rep:
        steps.append(", ".join(rep) + f" to give {_s(out)}")
    return (f"{_s(a)} + {_s(b)} → {_s(out)}: " + "; then ".join(steps)
            + ". The same values are added to every row (no copy is made).")


def shape_flow(model, batch_size=128) -> list[FlowStep]:
    """Every tensor operation of ``model``'s forward pass on a batch of ``batch_size``, with shapes.

    Derived from the model's Dense layers (any Sequential): per layer a dot, a bias
    addition (broadcast) and an activation.
    """
    n = check_int("batch_size", batch_size)
    layers = [l for l in model.layers if isinstance(l, Dense)]
    if not layers or not model.built:
        raise ValueError("Argument `model` must be a built Sequential with at least one Dense layer.")
    cur, shape = "x", (n, model.input_dim)
    steps = [FlowStep("input", -1, "x", (), shape, _s(shape), f"the batch: {n} samples of {shape[1]} values")]
    for i, layer in enumerate(layers, start=1):
        w, b = (layer.kernel.shape[0], layer.units), (layer.units,)
        out = (n, layer.units)
        dot = f"{cur}·W{i}"
        steps.append(FlowStep("dot", i - 1, dot, ((cur, shape), (f"W{i}", w)), out, dot_shape_rule(shape, w),
                              f"dot: the inner sizes ({shape[1]}) must match and disappear; "
                              f"the outer ones ({n} and {w[1]}) remain"))
        steps.append(FlowStep("bias", i - 1, f"{dot} + b{i}", ((dot, out), (f"b{i}", b)), out,
                              f"{_s(out)} + {_s(b)} → {_s(out)}", broadcast_explanation(out, b)))
        act = layer.activation.name
        h = f"h{i}" if i < len(layers) else "y"
        steps.append(FlowStep("activation", i - 1, h, ((f"{dot} + b{i}", out),), out,
                              f"{act}{_s(out)} → {_s(out)}",
                              "softmax applied to each row: exponentials divided by the row's sum, so each "
                              "row of 10 sums to 1; the shape is unchanged" if act == "softmax" else
                              f"{act} applied element-wise: the shape is unchanged"))
        cur, shape = h, out
    return steps


def flow_line(steps) -> str:
    """The one-line summary: ``(128, 784) · (784, 512) + (512,) → relu → (128, 512) · ... → (128, 10)``."""
    parts = []
    for st in steps:
        if st.kind == "input":
            parts.append(_s(st.shape))
        elif st.kind == "dot":
            parts.append(f" · {_s(st.operands[1][1])}")
        elif st.kind == "bias":
            parts.append(f" + {_s(st.operands[1][1])}")
        else:
            parts.append(f" → {st.formula.split('(')[0]} → {_s(st.shape)}")
    return "".join(parts)
