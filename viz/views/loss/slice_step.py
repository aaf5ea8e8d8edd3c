"""Which step the 1D slice's arrow shows, on which batch, and its legend text.

- When the snapshot's weights come with the trainer's :class:`core.engine.checkpoint.Checkpoint`
  (``extras["checkpoint"]``, or one of ``snap.checkpoints``, of the same step: the
  trainer sends one whenever training is paused or stepped), the optimizer is rebuilt
  from the config with ``make_optimizer``, given the checkpoint's hyperparameters and
  state (momentum, Adam's moments, the iteration count), and the arrow is *exactly*
  the update the trainer makes next (:func:`core.analysis.loss.landscape.next_step` with that
  optimizer). Its batch is the trainer's next batch, redrawn from the checkpoint
  (:func:`core.analysis.loss.slices.next_batch`) when the view holds the whole training set; when
  it holds only a part (the trainer sends at most 10,000 training samples), the step
  is taken on the view's sample of training points instead.
- Otherwise (while training runs, no state is sent) the arrow is plain gradient
  descent, ``-learning_rate * gradient`` on the view's sample, and says so.
"""
from __future__ import annotations

from core.analysis.loss import landscape
from core.run.config import make_optimizer
from core.engine.optimizers import SGD
from core.analysis.loss.slices import next_batch

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
        return landscape.next_step(m, x, y, opt), GD_LABEL, batch_text
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
            idx = next_batch(ckpt, len(train[0]))
        except ValueError:
            idx = None
        if idx is not None:
            x, y = train[0][idx], train[1][idx]
            batch_text = (f"This is exactly the trainer's next update: batch {ckpt.batch + 1} of "
                          f"epoch {ckpt.epoch + 1}, {len(idx)} samples.")
    return landscape.next_step(m, x, y, opt), step_label(opt), batch_text
