"""Regression data sets: a real number to fit at every point, in one or two inputs.

Every generator has the signature ``f(n=200, noise=0.1, seed=0) -> (x, y)``:

* ``x`` -- float32 array of shape ``(n, d)`` (``d`` is 1 or 2, see
  :data:`REGRESSION_DIMENSIONS`), uniform in ``[-1.5, 1.5]`` like the classification sets;
* ``y`` -- float32 array of shape ``(n,)``: the target function at ``x`` plus Gaussian
  noise of standard deviation ``noise``, roughly within ``[-1.5, 1.5]``.

The points and the noise come from one ``np.random.default_rng(seed)`` stream: first
``x = rng.uniform(-1.5, 1.5, size=(n, d))``, then ``noise * rng.normal(size=n)``; so for a
fixed seed a noisy data set is exactly the clean one plus noise. Each target function is
:data:`TARGETS` (float64 in, float64 out), which the views and the generated code share.

1-D curves: ``"sine"``, ``"step"``, ``"abs"``, ``"poly"`` (a cubic); 2-D surfaces:
``"plane"``, ``"bumps"`` (a sum of Gaussians), ``"saddle"``.
"""
from __future__ import annotations

import numpy as np

from core.datasets.synthetic import _check_seed
from core.engine.validation import check_int, check_non_negative

__all__ = ["sine", "step", "abs_value", "poly", "plane", "bumps", "saddle",
           "REGRESSION_GENERATORS", "REGRESSION_DIMENSIONS", "TARGETS", "make_regression"]

LOW, HIGH = -1.5, 1.5
#: The bumps of ``"bumps"``: (centre x1, centre x2, height); each a Gaussian of width BUMP_WIDTH.
BUMPS = ((-0.7, -0.7, 1.0), (0.7, 0.7, 1.0), (-0.7, 0.7, -1.0), (0.7, -0.7, -1.0))
BUMP_WIDTH = 0.45


# --------------------------------------------------------------------------- target functions
def _sine(x):
    return np.sin(3.0 * x[:, 0])


def _step(x):
    return np.where(x[:, 0] >= 0.0, 1.0, -1.0)


def _abs(x):
    return np.abs(x[:, 0]) - 0.75


def _poly(x):
    t = x[:, 0]
    return t ** 3 - 1.5 * t


def _plane(x):
    return 0.6 * x[:, 0] + 0.4 * x[:, 1]


def _bumps(x):
    y = np.zeros(len(x))
    for cx, cy, h in BUMPS:
        y += h * np.exp(-((x[:, 0] - cx) ** 2 + (x[:, 1] - cy) ** 2) / (2 * BUMP_WIDTH ** 2))
    return y


def _saddle(x):
    return (x[:, 0] ** 2 - x[:, 1] ** 2) / 1.5


TARGETS = {"sine": _sine, "step": _step, "abs": _abs, "poly": _poly,
           "plane": _plane, "bumps": _bumps, "saddle": _saddle}
"""Name -> the noise-free target function ``f(x)``: x float64 (m, d) -> float64 (m,)."""

REGRESSION_DIMENSIONS = {"sine": 1, "step": 1, "abs": 1, "poly": 1, "plane": 2, "bumps": 2, "saddle": 2}
"""Name -> number of input features ``d`` (columns of ``x``)."""

DESCRIPTIONS = {
    "sine": "y = sin(3x): one and a half waves",
    "step": "y = -1 left of 0, +1 right of it: a jump",
    "abs": "y = |x| - 0.75: a V with a sharp corner",
    "poly": "y = x³ - 1.5x: a cubic with a hill and a valley",
    "plane": "y = 0.6·x1 + 0.4·x2: a tilted flat plane",
    "bumps": "two hills and two hollows (a sum of four Gaussians)",
    "saddle": "y = (x1² - x2²) / 1.5: a saddle, up along x1 and down along x2",
}
"""Name -> what the target is, in plain words (for menus and docs)."""


def _generate(name, n, noise, seed):
    n = check_int("n", n, low=2)
    noise = check_non_negative("noise", noise)
    rng = np.random.default_rng(_check_seed(seed))
    x = rng.uniform(LOW, HIGH, size=(n, REGRESSION_DIMENSIONS[name]))
    y = TARGETS[name](x) + noise * rng.normal(size=n)
    return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.float32)


def _generator(name):
    def generate(n=200, noise=0.1, seed=0):
        return _generate(name, n, noise, seed)
    generate.__name__ = generate.__qualname__ = "abs_value" if name == "abs" else name
    generate.__doc__ = f"""Regression data: {DESCRIPTIONS[name]}, plus noise.

    Parameters
    ----------
    n : int >= 2
        Number of points.
    noise : float >= 0
        Standard deviation of the Gaussian noise added to ``y``.
    seed : int >= 0 or None
        Seed of the one random stream (None: fresh entropy).

    Returns
    -------
    x : ndarray of float32, shape (n, {REGRESSION_DIMENSIONS[name]})
        Uniform in [-1.5, 1.5].
    y : ndarray of float32, shape (n,)
    """
    return generate


sine = _generator("sine")
step = _generator("step")
abs_value = _generator("abs")
poly = _generator("poly")
plane = _generator("plane")
bumps = _generator("bumps")
saddle = _generator("saddle")

REGRESSION_GENERATORS = {"sine": sine, "step": step, "abs": abs_value, "poly": poly,
                         "plane": plane, "bumps": bumps, "saddle": saddle}
"""Name -> generator function, every one ``f(n=200, noise=0.1, seed=0) -> (x, y)``."""


def make_regression(name, n=200, noise=0.1, seed=0):
    """Generate the named regression data set, e.g. ``make_regression("sine", n=300)``.

    Parameters
    ----------
    name : str
        A key of :data:`REGRESSION_GENERATORS`.
    n, noise, seed
        Passed to the generator.

    Returns
    -------
    x : ndarray of float32, shape (n, REGRESSION_DIMENSIONS[name])
    y : ndarray of float32, shape (n,)
    """
    if not isinstance(name, str) or name not in REGRESSION_GENERATORS:
        raise ValueError("Argument `name` must be one of "
                         f"{', '.join(repr(k) for k in REGRESSION_GENERATORS)}. Received: name={name!r}")
    return REGRESSION_GENERATORS[name](n=n, noise=noise, seed=seed)
