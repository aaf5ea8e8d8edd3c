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

from core.analysis.loss.batched import _check_model_xy, _evaluate
from core.engine.validation import check_int, check_number
from core.engine.layers import Dense
from core.engine.model import Sequential
from core.engine.optimizers import Optimizer
from core.engine.training import epoch_order
from core.analysis.loss.planes import flatten, parameter_name

__all__ = ["Slice", "slice_1d", "next_step", "next_batch", "two_weight_model", "two_weight_data"]


# ---- the next step and a 1D slice (fig. 2.11) -------------------------------------------------
def next_step(model, x, y, optimizer=None) -> np.ndarray:
    """The change of weights the optimizer is about to make on batch ``x``, ``y``, as a flat vector.

    Parameters
    ----------
    model : Sequential
        Built and compiled; its weights are the point the step starts from.
    x : ndarray of shape (n, d_in)
        The batch the step is taken on (the trainer's next batch, or any sample).
    y : ndarray of shape (n,) or (n, k)
        Its labels or targets, as for ``model.train_on_batch``.
    optimizer : Optimizer or None
        None: a float64 copy of ``model.optimizer`` (its state included) applies the
        gradient on ``x``, ``y`` without dropout to float64 copies of the weights --
        the rule in full precision (for plain SGD exactly ``-learning_rate * gradient``
        up to float64 rounding), not the float32 arithmetic of training.

        An :class:`~core.engine.optimizers.Optimizer` (for instance one rebuilt from a
        checkpoint with ``set_state``): the step is *exactly* the one
        ``model.train_on_batch(x, y)`` would make with this optimizer in place of the
        model's -- the same gradient (dropout included, drawn from the model's
        generator as training would draw it next), the same float32 operations on a
        copy of the optimizer's state. ``weights + next_step(...)``, in float64, equals
        the weights after that update bit for bit.

    Returns
    -------
    ndarray of shape (P,), float64
        In ``get_weights`` order, flattened (see :func:`core.analysis.loss.landscape.flatten`).

    Notes
    -----
    Nothing the caller can see changes: the weights, ``optimizer`` (its slots and
    iteration count) and the model's random generators are left as they were; only
    the layers' gradient buffers are overwritten, as by ``model.gradients``.
    """
    x, yt = _check_model_xy(model, x, y)
    if optimizer is None:
        if model.optimizer is None:
            raise ValueError("The model has no optimizer: call model.compile(optimizer, loss).")
        return _full_precision_step(model, x, yt)
    if not isinstance(optimizer, Optimizer):
        raise ValueError("Argument `optimizer` must be None or a core.engine.optimizers.Optimizer. "
                         f"Received: optimizer={optimizer!r}")
    return _exact_step(model, x, yt, optimizer)


def _full_precision_step(model, x, yt) -> np.ndarray:
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


def _exact_step(model, x, yt, optimizer) -> np.ndarray:
    """:func:`next_step` with ``optimizer``: training's own arithmetic on copies."""
    params = model.params
    dtype = params[0].dtype
    total = sum(p.size for p in params)
    state = optimizer.get_state()                       # copies: the caller's optimizer is never touched
    slots, k = state["slots"], max(len(optimizer._SLOTS), 1)
    # the slots are laid out as the optimizer was built: one flat (P,) buffer (Sequential._bind_flat)
    # or one array per weight. The copy must be applied to weights laid out the same way, else it
    # would rebuild (zero) its slots. Every update is elementwise, so both layouts give the same bits.
    flat = not slots or (len(slots) == k and slots[0].shape == (total,))
    if not flat and [s.shape for s in slots[::k]] != [p.shape for p in params]:
        raise ValueError(f"Argument `optimizer` holds a state for weights of shapes "
                         f"{[s.shape for s in slots[::k]]}; the model's are {[p.shape for p in params]}.")
    state["slots"] = [s.astype(dtype, copy=False) for s in slots]
    clone = type(optimizer).from_config(optimizer.get_config())
    clone.set_state(state)
    generators = {id(g): g for g in [getattr(model, "rng", None)] + [getattr(l, "_rng", None) for l in model.layers]
                  if g is not None}
    saved = {key: g.bit_generator.state for key, g in generators.items()}
    try:
        with np.errstate(all="ignore"):
            model._loss_and_grads(x, yt, training=True)    # what train_on_batch computes (dropout too)
    finally:
        for key, g in generators.items():                  # the dropout draws happen again in training
            g.bit_generator.state = saved[key]
    grads = [g.copy() for g in model.grads]
    with np.errstate(all="ignore"):
        if flat:
            before = np.concatenate([p.ravel() for p in params]).astype(dtype, copy=False)
            after = [before.copy()]
            clone.apply(after, [np.concatenate([g.ravel() for g in grads])])
        else:
            before = np.concatenate([p.ravel() for p in params])
            after = [p.copy() for p in params]
            clone.apply(after, grads)
        return flatten(after) - before.astype(np.float64)


def next_batch(checkpoint, n_train: int) -> np.ndarray:
    """The training-set indices of the batch the trainer will train on next, from its checkpoint.

    The trainer draws each epoch's order with :func:`core.engine.training.epoch_order` and
    takes the batch ``order[position:position + batch_size]``; a
    :class:`core.engine.checkpoint.Checkpoint` keeps the generator's state from before that draw
    (``rng["order"]``), the position and the batch size (``hyperparameters``), so the
    same order, and the same batch, can be drawn again here.

    Parameters
    ----------
    checkpoint : core.engine.checkpoint.Checkpoint
        Of a trainer that shuffles (the app's always do).
    n_train : int
        The size of the *whole* training set the trainer runs on.

    Returns
    -------
    ndarray of shape (b,), int
        ``b = min(batch_size, n_train - position)``.
    """
    n_train = check_int("n_train", n_train, low=1)
    batch_size = check_int("checkpoint.hyperparameters['batch_size']",
                           checkpoint.hyperparameters.get("batch_size"), low=1)
    if not 0 <= checkpoint.position < n_train:
        raise ValueError(f"Argument `checkpoint` is {checkpoint.position} samples into an epoch of "
                         f"{n_train}: it is not a checkpoint of this training set.")
    rng = np.random.default_rng()
    rng.bit_generator.state = checkpoint.rng["order"]
    return epoch_order(rng, n_train)[checkpoint.position:checkpoint.position + batch_size]


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


def slice_1d(model, x, y, direction=None, span=1.0, resolution=101, progress=None, cancel=None,
             step=None, optimizer=None) -> Slice:
    """The loss along a line through the current weights, with the step about to be taken.

    Parameters
    ----------
    model, x, y : as for :func:`core.analysis.loss.landscape.evaluate_grid`
    direction : None, int, list of ndarray or ndarray of shape (P,)
        None: the unit vector along :func:`next_step` (along minus the gradient for
        SGD), so ``t`` is a distance in weight space. An int: that parameter alone
        (flat index, see :func:`parameter_names`), so ``t`` is its change -- the
        book's one-parameter curve. Otherwise the given vector, unnormalised.
    span : float
        ``t`` runs over ``[-span, span]``.
    resolution : int >= 2
    progress, cancel : as for :func:`core.analysis.loss.landscape.evaluate_grid`
    step : None or ndarray of shape (P,)
        The optimizer's next step, when the caller computed it (for instance with
        :func:`next_step` on the trainer's next batch rather than on ``x``); None:
        ``next_step(model, x, y, optimizer)``.
    optimizer : None or Optimizer
        Passed to :func:`next_step` when ``step`` is None.

    Returns
    -------
    Slice
    """
    x, yt = _check_model_xy(model, x, y)
    resolution = check_int("resolution", resolution, low=2)
    span = check_number("span", span, low=0)
    weights = model.get_weights()
    centre = flatten(weights)
    if step is None:
        step_vec = next_step(model, x, yt, optimizer)
    else:
        step_vec = flatten(step)
        if step_vec.size != centre.size:
            raise ValueError(f"Argument `step` must hold {centre.size} values. Received: {step_vec.size}")
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
        label = parameter_name(model, i)
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
        A name of :data:`core.engine.optimizers.OPTIMIZERS`.

    Returns
    -------
    Sequential
        ``Dense(1, "sigmoid", use_bias=False)``; ``binary_crossentropy``, metrics
        ``["accuracy"]``, ``count_params() == 2``. ``model.save`` and
        ``core.load_model`` round-trip it.
    """
    from core.engine import optimizers
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
    from core.datasets import gaussians
    return gaussians(n=n, noise=noise, seed=seed)
