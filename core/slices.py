"""The loss along one line through weight space, the step about to be taken, and a
network whose whole weight space is a plane.

:func:`slice_1d` and :func:`next_step` give the book's fig. 2.11 (the loss along
one direction and the optimizer's next step); :func:`two_weight_model` and
:func:`two_weight_data` its fig. 2.12, where ``weight_plane(model, 0, 1)`` is the
true loss surface.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._batched import _check_model_xy, _evaluate
from ._validation import check_int, check_number
from .layers import Dense
from .model import Sequential
from .planes import flatten, parameter_names

__all__ = ["Slice", "slice_1d", "next_step", "two_weight_model", "two_weight_data"]


# ---- the next step and a 1D slice (fig. 2.11) -------------------------------------------------
def next_step(model, x, y) -> np.ndarray:
    """The change of weights the optimizer is about to make, as a flat vector.

    A *copy* of ``model.optimizer``, with a float64 copy of its state (momentum,
    velocities, iteration count), applies the full-batch gradient on ``x``, ``y``
    (no dropout) to float64 copies of the weights: for plain SGD that is exactly
    ``-learning_rate * gradient``, for the others exactly their rule with this
    gradient and state. Training would differ only in using a mini-batch's
    gradient. The model's weights and optimizer are left untouched (the layers'
    gradient buffers are overwritten, as by ``model.gradients``).

    Returns
    -------
    ndarray of shape (P,), float64
    """
    x, yt = _check_model_xy(model, x, y)
    if model.optimizer is None:
        raise ValueError("The model has no optimizer: call model.compile(optimizer, loss).")
    with np.errstate(all="ignore"):
        grads = [g.astype(np.float64) for g in model.gradients(x, yt)]
        opt = model.optimizer
        clone = type(opt).from_config(opt.get_config())
        state = opt.get_state()
        state["slots"] = [s.astype(np.float64) for s in state["slots"]]
        clone.set_state(state)
        params = [w.astype(np.float64) for w in model.get_weights()]
        before = flatten(params)
        if len(state["slots"]) and state["slots"][0].ndim == 1 and state["slots"][0].size == before.size:
            # the model updates one flat buffer (Sequential._bind_flat): so does the clone
            flat = before.copy()
            clone.apply([flat], [flatten(grads)])
            return flat - before
        clone.apply(params, grads)
        return flatten(params) - before


@dataclass(frozen=True)
class Slice:
    """The loss along one direction through the current weights (the book's fig. 2.11).

    Attributes
    ----------
    t : ndarray of shape (resolution,)
        Coordinates along ``direction``; the current weights are at t = 0.
    losses, accuracy : ndarray of shape (resolution,), float32
    direction : ndarray of shape (P,), float64
        The weights at ``t`` are ``centre + t * direction``.
    centre : ndarray of shape (P,), float64
    loss : float
        The loss at t = 0.
    slope : float
        dLoss/dt at t = 0 (gradient . direction), for the tangent line.
    step : float
        Where the optimizer's next step lands, projected on the line (t units).
    label : str
        Axis label.
    """

    t: np.ndarray
    losses: np.ndarray
    accuracy: np.ndarray
    direction: np.ndarray
    centre: np.ndarray
    loss: float
    slope: float
    step: float
    label: str


def slice_1d(model, x, y, direction=None, span=1.0, resolution=101, progress=None, cancel=None) -> Slice:
    """The loss along a line through the current weights, with the step about to be taken.

    Parameters
    ----------
    model, x, y : as for :func:`core.landscape.evaluate_grid`
    direction : None, int, list of ndarray or ndarray of shape (P,)
        None: the unit vector along :func:`next_step` (along minus the gradient for
        SGD), so ``t`` is a distance in weight space. An int: that parameter alone
        (flat index, see :func:`parameter_names`), so ``t`` is its change -- the
        book's one-parameter curve. Otherwise the given vector, unnormalised.
    span : float
        ``t`` runs over ``[-span, span]``.
    resolution : int >= 2
    progress, cancel : as for :func:`core.landscape.evaluate_grid`

    Returns
    -------
    Slice
    """
    x, yt = _check_model_xy(model, x, y)
    resolution = check_int("resolution", resolution, low=2)
    span = check_number("span", span, low=0)
    weights = model.get_weights()
    centre = flatten(weights)
    step_vec = next_step(model, x, yt)
    with np.errstate(all="ignore"):
        grads = flatten(model.gradients(x, yt))
    if direction is None:
        norm = np.linalg.norm(step_vec)
        if norm > 0 and np.isfinite(norm):
            d, label = step_vec / norm, "distance along the next step"
        else:                                   # at a stationary point: any fixed direction
            d = np.random.default_rng(0).standard_normal(centre.size)
            d, label = d / np.linalg.norm(d), "distance along a random direction"
    elif isinstance(direction, (int, np.integer)) and not isinstance(direction, bool):
        i = check_int("direction", int(direction), low=0, high=centre.size - 1)
        d = np.zeros(centre.size)
        d[i] = 1.0
        label = parameter_names(model)[i]
    else:
        d = flatten(direction)
        if d.size != centre.size or not np.any(d):
            raise ValueError(f"Argument `direction` must be a non-zero vector of {centre.size} values.")
        label = "t"
    t = np.linspace(-span, span, resolution)
    losses, acc = _evaluate(model, x, yt, centre, (d,), t[:, None], progress, cancel)
    with np.errstate(all="ignore"):
        loss = float(_evaluate(model, x, yt, centre, (d,), np.zeros((1, 1)))[0][0])
        dd = float(d @ d)
        return Slice(t=t, losses=losses, accuracy=acc, direction=d, centre=centre, loss=loss,
                     slope=float(grads @ d), step=float(step_vec @ d) / dd, label=label)


# ---- the two-parameter model (fig. 2.12) ------------------------------------------------------
def two_weight_model(seed=0, learning_rate=0.5, optimizer="sgd") -> Sequential:
    """A compiled network with exactly two weights: one sigmoid unit, no bias, 2D inputs.

    Its whole weight space is a plane, so ``weight_plane(model, 0, 1)`` is the true
    loss surface and the recorded path is exact (the book's fig. 2.12). Pair it
    with :func:`two_weight_data`.

    Parameters
    ----------
    seed : int
        Seeds the initial weights.
    learning_rate : float
    optimizer : str
        A name of :data:`core.optimizers.OPTIMIZERS`.

    Returns
    -------
    Sequential
        ``Dense(1, "sigmoid", use_bias=False)``; ``binary_crossentropy``, metrics
        ``["accuracy"]``, ``count_params() == 2``. ``model.save`` and
        ``core.load_model`` round-trip it.
    """
    from . import optimizers
    model = Sequential([Dense(1, "sigmoid", input_shape=(2,), use_bias=False, name="dense")],
                       name="two_weights", seed=seed)
    opt = optimizers.get(optimizer)
    opt.learning_rate = learning_rate
    model.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def two_weight_data(n=200, noise=0.5, seed=0):
    """Data for :func:`two_weight_model`: ``core.datasets.gaussians``.

    Two blobs centred at -(0.6, 0.6) and (0.6, 0.6), on either side of a line
    through the origin, so a unit without bias can separate them. With no extra
    noise they are (almost) linearly separable, and then the loss has no minimum
    at finite weights: it keeps falling as the weights grow along the separating
    direction, and so does the path. The default ``noise=0.5`` makes them overlap
    a little (the best line gets about 93 % right), which puts the bottom of the
    bowl at finite weights, about (3.5, 2.8) for seed 0, in view of the start.

    Returns
    -------
    x : ndarray of shape (n, 2), float32
    y : ndarray of shape (n,), int32
    """
    from .datasets import gaussians
    return gaussians(n=n, noise=noise, seed=seed)
