"""Analytic loss surfaces for optimizer intuition, and the optimizer race (issue 5).

:data:`SURFACES` is a table name -> :class:`Surface`: ``f(w)`` and its gradient for
points ``w`` of shape (..., 2), a default start, the extent to draw and the minima:

- ``bowl``: a round quadratic, where every optimizer should converge;
- ``ravine``: an ill-conditioned quadratic (curvatures 0.1 and 4), where plain
  gradient descent zigzags across the valley and crawls along it;
- ``rosenbrock``: the classic curved banana valley;
- ``saddle``: a saddle point between two minima, where descent dawdles;
- ``local_minimum``: a curve with a shallow local minimum beside the global one
  (the book's fig. 2.13): from the default start plain SGD stops in the local
  minimum and SGD with momentum 0.9 rolls over the hump into the global one.

>>> paths = race("local_minimum", default_racers("local_minimum"), steps=200)
>>> paths["SGD"].path[-1], paths["SGD + momentum"].path[-1]     # (-1, 0) and (1.5, 0)

:func:`race` runs real :mod:`core.engine.optimizers` objects in lockstep on a surface;
:func:`surface_grid` evaluates a surface on a grid for the heat map, with the same
orientation as :func:`core.analysis.loss.landscape.evaluate_grid` (rows are the second coordinate).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from core.engine import optimizers as optimizers_mod
from core.engine.validation import check_choice, check_int

__all__ = ["Surface", "SURFACES", "get", "surface_grid", "race", "RacePath", "default_racers", "DIVERGED"]


@dataclass(frozen=True)
class Surface:
    """An analytic surface ``f : R^2 -> R``.

    Attributes
    ----------
    name, title, description : str
    f : callable
        ``f(w)`` for ``w`` of shape (..., 2) -> ndarray of shape (...).
    grad : callable
        ``grad(w)`` for ``w`` of shape (..., 2) -> ndarray of shape (..., 2).
    start : (float, float)
        The default start of a race.
    extent : (x_min, x_max, y_min, y_max)
        The area to draw.
    minima : tuple of (float, float)
        The minima, the global one first (for markers and tests).
    learning_rate : float
        A learning rate for SGD (and momentum, Nesterov) that shows the surface's point.
    adaptive_rate : float
        A learning rate for RMSprop and Adam (about a step size, in w's units).
    steps : int
        A race length that shows the outcome.
    log_scale : bool
        Whether the heat map reads better with logarithmic colours (f >= 0 and a wide range).
    """

    name: str
    title: str
    f: Callable
    grad: Callable
    start: tuple
    extent: tuple
    minima: tuple
    learning_rate: float
    adaptive_rate: float
    steps: int = 200
    log_scale: bool = False
    description: str = field(default="", compare=False)

    def __call__(self, w):
        return self.f(w)


def _xy(w):
    w = np.asarray(w, dtype=np.float64)
    if w.shape[-1:] != (2,):
        raise ValueError(f"Points must have shape (..., 2). Received shape {w.shape}.")
    return w[..., 0], w[..., 1]


def _stack(gx, gy):
    return np.stack(np.broadcast_arrays(gx, gy), axis=-1)


# ---- the surfaces -----------------------------------------------------------------------------
def _bowl(w):
    x, y = _xy(w)
    return x * x + y * y


def _bowl_grad(w):
    x, y = _xy(w)
    return _stack(2 * x, 2 * y)


RAVINE_A, RAVINE_B = 0.05, 2.0  # f = a x^2 + b y^2: curvatures 0.1 and 4, condition number 40


def _ravine(w):
    x, y = _xy(w)
    return RAVINE_A * x * x + RAVINE_B * y * y


def _ravine_grad(w):
    x, y = _xy(w)
    return _stack(2 * RAVINE_A * x, 2 * RAVINE_B * y)


def _rosenbrock(w):
    x, y = _xy(w)
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(w):
    x, y = _xy(w)
    inner = y - x * x
    return _stack(-2 * (1 - x) - 400 * x * inner, 200 * inner)


def _saddle(w):
    x, y = _xy(w)
    return x * x - y * y + 0.5 * y ** 4


def _saddle_grad(w):
    x, y = _xy(w)
    return _stack(2 * x, -2 * y + 2 * y ** 3)


# g(x) = x^4/4 - x^3/6 - 3x^2/4, g'(x) = x (x + 1)(x - 1.5): a local minimum at x = -1
# (g = -1/3), a hump at 0 (g = 0) and the global minimum at x = 1.5 (g = -63/64), plus a
# gentle valley y^2 / 2 across it.
def _local(w):
    x, y = _xy(w)
    return x ** 4 / 4 - x ** 3 / 6 - 0.75 * x * x + 0.5 * y * y


def _local_grad(w):
    x, y = _xy(w)
    return _stack(x ** 3 - 0.5 * x * x - 1.5 * x, y)


SURFACES: dict[str, Surface] = {
    "bowl": Surface(
        "bowl", "Bowl", _bowl, _bowl_grad, start=(-1.5, 1.2), extent=(-2.0, 2.0, -2.0, 2.0),
        minima=((0.0, 0.0),), learning_rate=0.1, adaptive_rate=0.05, steps=100,
        description="x^2 + y^2: a round bowl; every optimizer should reach the bottom."),
    "ravine": Surface(
        "ravine", "Ravine", _ravine, _ravine_grad, start=(-4.5, 1.5), extent=(-5.0, 5.0, -2.5, 2.5),
        minima=((0.0, 0.0),), learning_rate=0.3, adaptive_rate=0.1, steps=200,
        description="0.05 x^2 + 2 y^2: an ill-conditioned valley (curvatures 0.1 and 4); plain SGD "
                    "zigzags across it and crawls along it, momentum and adaptive rates do better."),
    "rosenbrock": Surface(
        "rosenbrock", "Rosenbrock", _rosenbrock, _rosenbrock_grad, start=(-1.2, 1.0),
        extent=(-2.0, 2.0, -1.0, 3.0), minima=((1.0, 1.0),), learning_rate=0.001, adaptive_rate=0.05,
        steps=2000, log_scale=True,
        description="(1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed valley with the minimum at (1, 1)."),
    "saddle": Surface(
        "saddle", "Saddle", _saddle, _saddle_grad, start=(-1.8, 0.02), extent=(-2.0, 2.0, -2.0, 2.0),
        minima=((0.0, 1.0), (0.0, -1.0)), learning_rate=0.05, adaptive_rate=0.05, steps=150,
        description="x^2 - y^2 + y^4 / 2: a saddle point at the origin between two minima at (0, +-1); "
                    "started just off the ridge, gradient descent dawdles near the saddle before escaping."),
    "local_minimum": Surface(
        "local_minimum", "Local minimum", _local, _local_grad, start=(-2.0, 0.8),
        extent=(-2.5, 2.5, -1.5, 1.5), minima=((1.5, 0.0), (-1.0, 0.0)), learning_rate=0.05,
        adaptive_rate=0.05, steps=200,
        description="x^4/4 - x^3/6 - 3x^2/4 + y^2/2: a local minimum at x = -1 beside the global one at "
                    "x = 1.5 (the book's fig. 2.13); plain SGD stops in the local one, momentum rolls "
                    "over the hump."),
}


def get(surface) -> Surface:
    """A :class:`Surface` from its name (a key of :data:`SURFACES`) or itself."""
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check_choice("surface", surface, SURFACES)]


def surface_grid(name, resolution=101, extent=None):
    """A surface on a resolution x resolution grid, for the heat map.

    Parameters
    ----------
    name : str or Surface
    resolution : int >= 2
    extent : (x_min, x_max, y_min, y_max), optional
        Default: the surface's own.

    Returns
    -------
    xs, ys : ndarray of shape (resolution,), float64
    values : ndarray of shape (resolution, resolution), float32
        ``values[i, j] = f(xs[j], ys[i])`` (row-major image, x horizontal).
    """
    s = get(name)
    resolution = check_int("resolution", resolution, low=2)
    x0, x1, y0, y1 = s.extent if extent is None else (float(v) for v in extent)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    w = np.stack(np.meshgrid(xs, ys), axis=-1)                  # (resolution, resolution, 2)
    with np.errstate(all="ignore"):
        return xs, ys, s.f(w).astype(np.float32)


@dataclass(frozen=True)
class RacePath:
    """One optimizer's run in a race.

    Attributes
    ----------
    path : ndarray of shape (steps + 1, 2), float64
        The start, then the point after every step. From the step that diverged
        (a non-finite point, or one beyond :data:`DIVERGED`) on, NaN.
    losses : ndarray of shape (steps + 1,), float64
        ``f`` at every point of ``path``.
    diverged_at : int or None
        The step that diverged, if any.
    """

    path: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None


DIVERGED = 1e6
"""A racer whose point leaves the box |x|, |y| <= DIVERGED (far outside any extent) has
diverged: its path stops there (NaN afterwards)."""


def _fresh(opt):
    """A new optimizer with the same hyperparameters and no state."""
    opt = optimizers_mod.get(opt)
    return type(opt).from_config(opt.get_config())


def race(surface, optimizers, start=None, steps=None) -> dict[str, RacePath]:
    """Run several optimizers in lockstep on an analytic surface.

    Parameters
    ----------
    surface : str or Surface
    optimizers : dict name -> core.engine.optimizers.Optimizer (or a name or config dict)
        Used as templates: each is rebuilt from its config, so its state (and the
        caller's object) is untouched and every racer starts afresh.
    start : (float, float), optional
        Default: the surface's own start.
    steps : int >= 1, optional
        Default: the surface's ``steps``.

    Returns
    -------
    dict name -> RacePath
        In the order of ``optimizers``.
    """
    s = get(surface)
    steps = check_int("steps", s.steps if steps is None else steps, low=1)
    start = np.array(s.start if start is None else start, dtype=np.float64)
    if start.shape != (2,) or not np.isfinite(start).all():
        raise ValueError(f"Argument `start` must be two finite numbers. Received: start={start!r}")
    if not optimizers:
        raise ValueError("Argument `optimizers` must name at least one optimizer.")
    racers = {name: _fresh(opt) for name, opt in optimizers.items()}
    k = len(racers)
    points = {name: start.copy() for name in racers}
    paths = np.full((k, steps + 1, 2), np.nan)
    paths[:, 0] = start
    alive = np.ones(k, dtype=bool)
    diverged = [None] * k
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            for r, (name, opt) in enumerate(racers.items()):
                if not alive[r]:
                    continue
                w = points[name]
                opt.apply([w], [s.grad(w)])
                if np.isfinite(w).all() and np.abs(w).max() <= DIVERGED:
                    paths[r, t] = w
                else:
                    alive[r], diverged[r] = False, t
        losses = s.f(paths)
    losses[~np.isfinite(paths).all(axis=-1)] = np.nan
    return {name: RacePath(paths[r], losses[r], diverged[r]) for r, name in enumerate(racers)}


def default_racers(surface="bowl") -> dict:
    """The six racers of the issue with learning rates suited to ``surface``.

    Returns
    -------
    dict name -> Optimizer
        ``"SGD"``, ``"SGD + momentum"`` (0.9), ``"Nesterov"`` (0.9) at the surface's
        ``learning_rate``; ``"RMSprop"`` and ``"Adam"`` at its ``adaptive_rate``;
        ``"Adagrad"`` at 10x that (its steps shrink as it accumulates).
    """
    s = get(surface)
    lr, ar = s.learning_rate, s.adaptive_rate
    return {
        "SGD": optimizers_mod.SGD(lr),
        "SGD + momentum": optimizers_mod.SGD(lr, momentum=0.9),
        "Nesterov": optimizers_mod.SGD(lr, momentum=0.9, nesterov=True),
        "RMSprop": optimizers_mod.RMSprop(ar),
        "Adagrad": optimizers_mod.Adagrad(10 * ar),
        "Adam": optimizers_mod.Adam(ar),
    }
