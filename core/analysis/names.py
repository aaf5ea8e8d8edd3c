"""One naming of a network's layers and stages, used by every view (issue 16: the app named the same
layer "layer 1", "dense" and "Dense 1").

A network of ``n`` Dense layers has layers 1…n; the last is the output layer. Within a layer the
stages are ``dot(x, W)``, ``+ b`` and the activation, as in ``output = relu(dot(W, input) + b)``.

Examples
--------
>>> layer_name(0, 3), layer_name(2, 3)
('Layer 1', 'Layer 3 (output)')
>>> stage_name("bias", 1, 3), stage_name("activation", 1, 3, "tanh")
('Layer 2 · + b', 'Layer 2 · tanh')
"""
from __future__ import annotations

#: what each kind of stage computes, in the order they happen inside a layer
STAGE_TEXT = {"dot": "dot(x, W)", "bias": "+ b"}


def layer_name(index: int, n_layers: int) -> str:
    """``"Layer k"`` for the Dense layer at 0-based ``index`` of ``n_layers``; the last one is
    ``"Layer n (output)"``."""
    if not 0 <= index < n_layers:
        raise ValueError(f"Argument `index` must be in [0, {n_layers}). Received: index={index}")
    return f"Layer {index + 1}" + (" (output)" if index == n_layers - 1 else "")


def stage_name(kind: str, index: int, n_layers: int, activation: str = "") -> str:
    """A stage's full name: ``"Input"``, ``"Layer 1 · dot(x, W)"``, ``"Layer 1 · + b"``, ``"Layer 1 · tanh"``.

    Parameters
    ----------
    kind : {"input", "dot", "bias", "activation"}
    index : int
        The layer (0-based); ignored for the input.
    n_layers : int
    activation : str
        The activation's name, for ``kind="activation"``.
    """
    if kind == "input":
        return "Input"
    if kind not in ("dot", "bias", "activation"):
        raise ValueError("Argument `kind` must be one of 'input', 'dot', 'bias', 'activation'. "
                         f"Received: kind={kind!r}")
    short = f"Layer {index + 1}"
    layer_name(index, n_layers)   # checks the index
    return f"{short} · " + STAGE_TEXT.get(kind, activation or "activation")
