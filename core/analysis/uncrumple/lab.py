"""The layer lab of the uncrumpling view: one editable layer and its stages (no Qt here).

:func:`layer_lab` gives the stages of ``activation(dot(W, x) + b)`` for chosen ``W``, ``b``
and activation, as :class:`core.analysis.uncrumple.geometry.Stage` objects the stage views
draw; :func:`lab_presets` the named transformations of chapter 2 (rotation, scaling, shear,
reflection, translation, a relu fold, a tanh squash).
"""
from __future__ import annotations

import math

import numpy as np

from core.engine import activations
from core.engine.validation import check_array
from core.analysis.uncrumple.geometry import Stage

__all__ = ["layer_lab", "lab_presets"]


def layer_lab(W, b, activation, points) -> list[Stage]:
    """The layer lab's stages for one editable layer, in the book's ``dot(W, x)`` convention.

    Row ``i`` of ``W`` holds unit ``i``'s incoming weights, so the matrices read as
    in chapter 2: ``W = [[cos θ, -sin θ], [sin θ, cos θ]]`` rotates by θ. (A Dense
    kernel doing the same is ``W.T``.)

    Parameters
    ----------
    W : array_like of shape (units, d)   (2, 2) in the lab
    b : array_like of shape (units,)
    activation : str
    points : array_like of shape (n, d)
        The data and/or ``core.analysis.uncrumple.geometry.input_grid(...).points``.

    Returns
    -------
    list of 4 Stage
        ``"input"``, ``"lab: dot(W, x)"``, ``"lab: + b"``, ``"lab: <activation>"``;
        values float32 of shape (n, d) then (n, units).
    """
    W = check_array("W", W, ndim=2)
    b = check_array("b", b, ndim=1)
    x = check_array("points", points, ndim=2)
    if W.shape[1] != x.shape[1] or b.shape[0] != W.shape[0]:
        raise ValueError(f"Shapes do not fit: W {W.shape}, b {b.shape}, points {x.shape}; "
                         "need W (units, d), b (units,), points (n, d).")
    act = activations.get(activation)
    dot = x @ W.T
    biased = dot + b
    return [Stage("Input", -1, "input", x.copy()),
            Stage("lab: dot(W, x)", 0, "dot", dot, act.name),
            Stage("lab: + b", 0, "bias", biased, act.name),
            Stage(f"lab: {act.name}", 0, "activation", act(biased), act.name)]


def lab_presets(theta=math.pi / 6) -> dict:
    """The layer lab's presets: name -> ``(W (2, 2), b (2,), activation)``, float32.

    ``"rotation"`` is ``[[cos θ, -sin θ], [sin θ, cos θ]]`` (counter-clockwise by
    ``theta`` radians); the others are fixed: ``"identity"``, ``"scaling"`` (x by 1.5,
    y by 0.5), ``"shear"`` (x += 0.8 y), ``"reflection"`` (across the x axis),
    ``"translation"`` (b = (0.5, -0.3)), ``"relu fold"`` (relu flattens the three
    quadrants that are not all-positive onto the axes) and ``"tanh squash"``.
    """
    c, s = math.cos(theta), math.sin(theta)
    z = (0.0, 0.0)
    table = {"identity": ([[1, 0], [0, 1]], z, "linear"),
             "rotation": ([[c, -s], [s, c]], z, "linear"),
             "scaling": ([[1.5, 0], [0, 0.5]], z, "linear"),
             "shear": ([[1, 0.8], [0, 1]], z, "linear"),
             "reflection": ([[1, 0], [0, -1]], z, "linear"),
             "translation": ([[1, 0], [0, 1]], (0.5, -0.3), "linear"),
             "relu fold": ([[1, 0], [0, 1]], z, "relu"),
             "tanh squash": ([[1, 0], [0, 1]], z, "tanh")}
    return {k: (np.array(W, np.float32), np.array(bb, np.float32), a) for k, (W, bb, a) in table.items()}
