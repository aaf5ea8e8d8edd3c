"""Labels of a network's stages (input, ``dot(x, W)``, ``+ b``, activation) on a bar chart's axis:
the short tick text, the full name for a tooltip (:func:`core.analysis.names.stage_name`, the one
naming of every view), and which ticks to blank when they would overlap."""
from __future__ import annotations

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def short_tick(stage) -> str:
    """A bar's axis label: ``"in"``, ``"W₁"``, ``"+b₁"``, ``"σ₁"`` (layer numbers from 1 as subscripts)."""
    if stage.kind == "input":
        return "in"
    n = str(stage.layer + 1).translate(_SUB)
    return {"dot": "W", "bias": "+b", "activation": "σ"}[stage.kind] + n


def long_name(stage) -> str:
    """A bar's full name for its tooltip: the stage's name, ``"Layer 1 · dot(x, W)"``, ``"Layer 2 · tanh"``
    (:class:`core.analysis.uncrumple.geometry.Stage` names come from :mod:`core.analysis.names`)."""
    return stage.name


def thin_ticks(ticks, kinds, widths, spacing: float) -> list:
    """``ticks`` ((x, text) per bar, ``spacing`` px apart) with texts blanked so none overlap: all if
    they fit, else only the input's and the activations', else every k-th of those."""
    gap = 6.0
    if max(widths, default=0.0) + gap <= spacing:
        return list(ticks)
    keep = [i for i, k in enumerate(kinds) if k in ("input", "activation")]
    step = 1
    while True:
        shown = keep[::step]
        dist = min((b - a for a, b in zip(shown, shown[1:])), default=len(ticks))
        if max((widths[i] for i in shown), default=0.0) + gap <= dist * spacing or len(shown) <= 1:
            break
        step += 1
    return [(x, t if i in shown else "") for i, (x, t) in enumerate(ticks)]
