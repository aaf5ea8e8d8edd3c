"""Named starting points for a run: the default spiral, the book's MNIST recipe, regression and a few more.

>>> from core.run.presets import PRESETS, get_preset, describe_updates
>>> preset = get_preset("mnist")
>>> preset.title
'Chapter 2: MNIST'
>>> describe_updates(preset.config, 60_000)
'469 updates per epoch, 2,345 in all'

Each :class:`Preset` is a title (for a menu), a one-line description (for a tooltip) and
a validated :class:`~core.run.config.TrainingConfig`. Change a preset's config with
``preset.config.replace(...)``; the presets themselves are frozen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.engine.validation import check_choice, check_int
from core.run.config import TrainingConfig

__all__ = ["Preset", "PRESETS", "get_preset", "updates_per_epoch", "total_updates",
           "describe_updates"]


@dataclass(frozen=True)
class Preset:
    """A named run: ``name`` (the key in :data:`PRESETS`), ``title``, ``description``, ``config``."""

    name: str
    title: str
    description: str
    config: TrainingConfig


#: The book's listing 2.x: 784 -> 512 relu -> 10 softmax, rmsprop (Keras defaults: lr 0.001,
#: rho 0.9), categorical crossentropy, accuracy, 5 epochs of batch 128 on every training image.
_BOOK_MNIST = dict(n_samples=None, hidden=((512, "relu"),), loss="categorical_crossentropy",
                   optimizer="rmsprop", learning_rate=0.001, rho=0.9, momentum=0.0,
                   batch_size=128, epochs=5)

#: the regression presets' recipe: noise 0.05, 16-16 tanh, Adam at 0.005 on batches of 16. Over 600
#: epochs every seed of 0-2 stays at a validation MAE of 0.04-0.08 (the noise alone gives 0.04);
#: Adam at 0.01 learns a little sooner but jumps about more when left running.
_REGRESSION = dict(n_samples=200, noise=0.05, hidden=((16, "tanh"), (16, "tanh")), optimizer="adam",
                   learning_rate=0.005, batch_size=16)

_PRESETS = (
    Preset("spiral", "Two-class spiral",
           "The default: two interleaved spirals, 16-16 tanh, Adam at learning rate 0.01 on batches "
           "of 32; press Play and watch the plane uncrumple. Small steps, each averaged over 32 points, "
           "and 16 units a layer keep it from unlearning when left running: at 0.03 on batches of 10, "
           "8 units a layer spiked and forgot much of what it had learned.",
           TrainingConfig()),
    Preset("mnist", "Chapter 2: MNIST",
           "The book's first network: 784 -> 512 relu -> 10 softmax, RMSprop lr 0.001, "
           "5 epochs of batch 128 on the handwritten digits (the offline sample if MNIST is missing).",
           TrainingConfig(dataset="mnist", **_BOOK_MNIST)),
    Preset("fashion_mnist", "Chapter 2 recipe on Fashion-MNIST",
           "The same network and training on 28x28 pictures of clothes, a harder ten-class problem.",
           TrainingConfig(dataset="fashion_mnist", **_BOOK_MNIST)),
    Preset("paper_ball", "3D paper ball",
           "Two sheets of paper crumpled together in 3D; 16-16 tanh with Adam at lr 0.01 "
           "flattens them apart.",
           TrainingConfig(dataset="paper_ball", n_samples=1000, hidden=((16, "tanh"), (16, "tanh")),
                          learning_rate=0.01, batch_size=16)),
    Preset("two_weight", "Two weights",
           "One sigmoid unit without bias on two Gaussian blobs: exactly two weights, so the "
           "whole loss surface fits in one picture.",
           TrainingConfig(dataset="gaussians", hidden=(), use_bias=False, optimizer="sgd",
                          learning_rate=0.1, batch_size=10)),
    Preset("regression-sine", "Regression: fit a sine wave",
           "Regression: the network learns a number, not a class. 200 noisy points of a sine wave in one "
           "input; 16-16 tanh units and one linear output, Adam at learning rate 0.005 on batches of 16, "
           "mean squared error. The fitted curve bends to follow the wave within a few seconds.",
           TrainingConfig(task="regression", dataset="sine", loss="mse", **_REGRESSION)),
    Preset("regression-step", "Regression: fit a step",
           "Regression on a jump from -1 to +1: smooth tanh units have to add up to a sharp step, so the "
           "fitted curve is steep in the middle and overshoots a little. 16-16 tanh, one linear output, "
           "Adam at learning rate 0.005, mean squared error.",
           TrainingConfig(task="regression", dataset="step", loss="mse", **_REGRESSION)),
    Preset("regression-abs", "Regression: fit |x| with ReLU units",
           "Regression on a V shape, |x|, with one layer of 8 ReLU units: each unit is flat on one side "
           "of its kink and a straight line on the other, so a few of them add up to the V exactly. Watch "
           "the Fitted curve view: the thin lines are the units, their sum the fit. Adam at learning rate "
           "0.005 on batches of 16, mean squared error.",
           TrainingConfig(task="regression", dataset="abs", loss="mse", **{**_REGRESSION, "hidden": ((8, "relu"),)})),
    Preset("regression-poly", "Regression: a noisy cubic with the Huber loss",
           "Regression on a noisy cubic (a hill and a valley) with the Huber loss: squared like mean squared "
           "error for misses under 1, growing only in a straight line beyond, so a point far off the curve "
           "would pull the fit less than with mean squared error. 16-16 tanh, one linear output, Adam at "
           "learning rate 0.01 on batches of 16 (at 0.005 the cubic's ends take twice as long).",
           TrainingConfig(task="regression", dataset="poly", loss="huber", **{**_REGRESSION, "learning_rate": 0.01})),
    Preset("regression-bumps", "Regression: fit a surface of bumps",
           "Regression over two inputs: 400 points on a surface of two hills and two hollows. 16-16 tanh "
           "units and one linear output, Adam at learning rate 0.005 on batches of 16, mean squared error; "
           "the heat map of the output takes the shape of the bumps.",
           TrainingConfig(task="regression", dataset="bumps", loss="mse", **{**_REGRESSION, "n_samples": 400})),
    Preset("regression-saddle", "Regression: fit a saddle",
           "Regression over two inputs on a saddle: the surface rises along x1 and falls along x2. No flat "
           "plane fits it; the hidden layers bend the output into the saddle. 16-16 tanh, "
           "one linear output, Adam at learning rate 0.005 on batches of 16, mean squared error.",
           TrainingConfig(task="regression", dataset="saddle", loss="mse", **{**_REGRESSION, "n_samples": 400})),
    Preset("regression-plane", "Regression: linear regression on a plane",
           "The simplest regression: no hidden layer, one linear unit y = w1·x1 + w2·x2 + b (three weights) "
           "fitted to points on a tilted plane by plain gradient descent (SGD at learning rate 0.02); "
           "the weights settle near the plane's slopes, 0.6 and 0.4.",
           TrainingConfig(task="regression", dataset="plane", loss="mse", hidden=(), optimizer="sgd",
                          learning_rate=0.02, n_samples=200, noise=0.05, batch_size=16)),
)

#: name -> :class:`Preset`, in menu order; ``"spiral"`` is the app's default.
PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` listing the allowed names otherwise."""
    check_choice("preset", name, PRESETS)
    return PRESETS[name]


def updates_per_epoch(config: TrainingConfig, n_train: int) -> int:
    """Optimizer updates in one epoch: ``ceil(n_train / batch_size)`` (60,000 / 128 -> 469)."""
    n_train = check_int("n_train", n_train)
    return math.ceil(n_train / check_int("batch_size", config.batch_size))


def total_updates(config: TrainingConfig, n_train: int) -> int | None:
    """Updates over the whole run (``None`` when ``config.epochs`` is None: train until stopped)."""
    per_epoch = updates_per_epoch(config, n_train)
    return None if config.epochs is None else per_epoch * config.epochs


def describe_updates(config: TrainingConfig, n_train: int) -> str:
    """``"469 updates per epoch, 2,345 in all"`` (or ``"..., until stopped"`` without epochs)."""
    per_epoch = updates_per_epoch(config, n_train)
    total = total_updates(config, n_train)
    word = "update" if per_epoch == 1 else "updates"
    rest = "until stopped" if total is None else f"{total:,} in all"
    return f"{per_epoch:,} {word} per epoch, {rest}"
