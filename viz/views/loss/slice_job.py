"""What one 1D slice computes, in any thread: the optimizer's next step, the line through it, the loss along it.

:func:`compute_slice` does one whole :class:`SliceJob` on a network of its own (the view runs it
in a :class:`viz.views.common.jobs.JobRunner`, off the GUI thread): the step the arrow shows
(:func:`trainer_step`), the direction, the span, and :func:`core.analysis.loss.slices.slice_1d`.

Which step, on which batch:

- When the snapshot's weights come with the trainer's :class:`core.engine.checkpoint.Checkpoint`
  (``snap.checkpoint``, or one of ``snap.checkpoints``, of the same step: the trainer sends one
  whenever training is paused or stepped), the optimizer is rebuilt from the config with
  ``make_optimizer``, given the checkpoint's hyperparameters and state (momentum, Adam's
  moments, the iteration count), and the arrow is *exactly* the update the trainer makes next
  (:func:`core.analysis.loss.slices.next_step` with that optimizer). Its batch is the trainer's
  next batch, redrawn from the checkpoint (:func:`core.analysis.loss.slices.next_batch`) when the
  view holds the whole training set; when it holds only a part (the trainer sends at most 10,000
  training samples), the step is taken on the view's sample of training points instead.
- Otherwise (while training runs, no state is sent) the arrow is plain gradient descent,
  ``-learning_rate * gradient`` on the view's sample, and says so.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.analysis.loss import planes, slices
from core.engine.optimizers import SGD
from core.run.config import make_optimizer
from core.run.messages import RunData

RESOLUTION = 201           # points along the line
GD_LABEL = "next step (gradient descent)"


def step_label(optimizer) -> str:
    """The arrow's legend text for a step taken by ``optimizer`` with its state (None: plain gradient descent)."""
    if optimizer is None:
        return GD_LABEL
    name, mu = optimizer.name, getattr(optimizer, "momentum", 0.0)
    if name == "sgd":
        if not mu:
            return GD_LABEL
        kind = "Nesterov momentum" if optimizer.nesterov else "SGD with momentum"
        return f"next step ({kind} {mu:g}, with its velocity)"
    if name == "rmsprop":
        extra = f" and momentum {mu:g}" if mu else ""
        return f"next step (RMSprop, with its running mean of squared gradients{extra})"
    if name == "adagrad":
        return "next step (Adagrad, with its accumulated squared gradients)"
    if name == "adam":
        return "next step (Adam, with its momentum and step sizes)"
    return f"next step ({type(optimizer).__name__}, with its state)"


def short_step_label(text: str) -> str:
    """The legend's short form of a :func:`step_label`: ``"next step (Adam)"`` (the readout has it all)."""
    head, sep, _ = text.partition(", with ")
    return f"{head})" if sep else text


def trainer_step(model, x, y, config, hyperparameters: dict, ckpt=None, train=None) -> tuple:
    """The step the arrow shows at ``model``'s current weights, with its legend text and batch text.

    Parameters
    ----------
    model : Sequential
        Holds the shown weights; with ``ckpt`` its weights and dropout generator are set from it.
    x : ndarray of shape (n, d)
    y : ndarray of shape (n, k)
        The view's sample of training points and their targets.
    config : TrainingConfig
    hyperparameters : dict
        The snapshot's hyperparameters (its ``learning_rate`` is used without a checkpoint).
    ckpt : core.engine.checkpoint.Checkpoint, optional
        The trainer's checkpoint at the shown weights.
    train : (ndarray, ndarray), optional
        The whole training set (inputs, targets), when the view has it: the trainer's next
        batch is redrawn from it.

    Returns
    -------
    step : ndarray of shape (n_params,)
    step_text : str
        :func:`step_label` of the optimizer used.
    batch_text : str
        Which batch the step is taken on.
    """
    m, cfg = model, config
    sample = f"the view's sample of {len(x):,} training points"
    if ckpt is None:
        opt = SGD(learning_rate=hyperparameters.get("learning_rate", cfg.learning_rate))
        batch_text = (f"Taken on {sample}; the optimizer's state is known only when training is "
                      "paused or stepped.")
        return slices.next_step(m, x, y, opt), GD_LABEL, batch_text
    opt = make_optimizer(cfg)
    for name, value in ckpt.hyperparameters.items():
        if name != "batch_size":
            try:
                opt.set_hyperparameter(name, value)
            except (ValueError, KeyError, AttributeError):
                pass
    opt.set_state(ckpt.optimizer)
    m.set_weights(ckpt.weight_list())
    m.rng.bit_generator.state = ckpt.rng["model"]        # dropout draws the masks training will draw
    batch_text = f"Taken on {sample} (the trainer's next batch is not in the view)."
    if train is not None:
        try:
            idx = slices.next_batch(ckpt, len(train[0]))
        except ValueError:
            idx = None
        if idx is not None:
            x, y = train[0][idx], train[1][idx]
            batch_text = (f"This is exactly the trainer's next update: batch {ckpt.batch + 1} of "
                          f"epoch {ckpt.epoch + 1}, {len(idx)} samples.")
    return slices.next_step(m, x, y, opt), step_label(opt), batch_text


@dataclass(frozen=True)
class SliceJob:
    """Everything one slice needs, copied from the view (the GUI thread may change its own meanwhile).

    ``run`` makes the network (:meth:`core.run.messages.RunData.model`) and has the config.
    ``kind`` is ``"step"``, ``"random"`` or ``"weight"`` (then ``weight`` is the flat index);
    ``auto`` chooses the span so the step fills about a third of the plot, else ``span`` is used.
    ``x``, ``y`` are the view's sample and its targets; ``train``, ``ckpt`` and ``hyper`` are as
    for :func:`trainer_step`. ``model``, if given, is a network of the same
    run built earlier (by a finished job: building a 4096 x 4096 one takes ~1 s); the job owns it.
    """

    run: RunData
    weights: list
    x: np.ndarray
    y: np.ndarray
    kind: str = "step"
    weight: int = 0
    span: float = 1.0
    auto: bool = True
    hyper: dict | None = None
    ckpt: object = None
    train: tuple | None = None
    resolution: int = RESOLUTION
    model: object = None


@dataclass(frozen=True)
class SliceResult:
    """A computed slice (:class:`core.analysis.loss.slices.Slice`), the arrow's texts, the seconds it took
    and the model it used (for the next job)."""

    slice: object
    step: np.ndarray
    step_text: str
    batch_text: str
    seconds: float
    model: object = None


def compute_slice(job: SliceJob, cancel=None) -> SliceResult:
    """The slice of ``job`` (any thread).

    Raises
    ------
    core.analysis.loss.batched.Cancelled
        When ``cancel()`` returns True (checked between chunks of the line).
    """
    start = time.perf_counter()
    m = job.model if job.model is not None else job.run.model()
    m.set_weights(job.weights)
    direction = {"step": None, "weight": int(job.weight)}.get(job.kind)
    if job.kind == "random":
        direction = planes.random_plane(m, seed=0).d1
    step, step_text, batch_text = trainer_step(m, job.x, job.y, job.run.config, job.hyper or {}, job.ckpt, job.train)
    span = float(job.span)
    if job.auto:
        if job.kind == "step":
            length = float(np.linalg.norm(step))
        elif job.kind == "weight":
            length = abs(float(step[direction]))
        else:
            length = abs(float(step @ direction)) / float(direction @ direction)
        span = float(np.clip(3.0 * length, 1e-3, 10.0)) if np.isfinite(length) and length > 0 else span
    s = slices.slice_1d(m, job.x, job.y, direction=direction, span=span, resolution=job.resolution,
                           step=step, cancel=cancel)
    return SliceResult(s, step, step_text, batch_text, time.perf_counter() - start, m)
