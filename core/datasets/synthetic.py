"""Two-class toy data sets for watching a network "uncrumple" its input.

Every generator has the signature ``f(n=500, noise=0.1, seed=0) -> (x, y)``:

* ``x`` -- float32 array of shape ``(n, d)`` (``d`` is 2 or 3, see
  :data:`DIMENSIONS`), values roughly within ``[-1.5, 1.5]``;
* ``y`` -- int32 array of shape ``(n,)`` holding labels 0 and 1, with
  ``n // 2`` zeros and ``n - n // 2`` ones, rows in shuffled order.

``noise`` is the standard deviation of isotropic Gaussian jitter added to
every point, in the same units as ``x``. The clean points and the jitter come
from one ``np.random.default_rng(seed)`` stream, so for a fixed seed a
noisy data set is exactly the clean one plus jitter.
"""
from __future__ import annotations

import numbers

import numpy as np

from core.engine.validation import check_int, check_non_negative

__all__ = ["moons", "circles", "xor", "spiral", "gaussians",
           "paper_ball", "swiss_roll", "spheres", "GENERATORS", "DIMENSIONS"]


# --------------------------------------------------------------------------- helpers
def _start(n, noise, seed):
    """Validate the common arguments; return ``(n0, n1, noise, rng)``."""
    n = check_int("n", n, low=2)
    noise = check_non_negative("noise", noise)
    rng = np.random.default_rng(_check_seed(seed))
    return n // 2, n - n // 2, noise, rng


def _check_seed(seed):
    """Return ``seed`` as an int >= 0, or ``None`` (fresh entropy)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"Argument `seed` must be an integer >= 0 or None. Received: seed={seed!r}")
    return int(seed)


def _finish(rng, noise, x0, x1):
    """Stack class 0 and class 1 points, add jitter, shuffle rows, cast dtypes."""
    x = np.concatenate([x0, x1]).astype(np.float64)
    y = np.repeat(np.array([0, 1], dtype=np.int32), [len(x0), len(x1)])
    x = x + noise * rng.normal(size=x.shape)
    order = rng.permutation(len(x))
    return np.ascontiguousarray(x[order], dtype=np.float32), y[order]


def _unit_vectors(rng, m, d):
    """``m`` directions uniformly distributed on the unit sphere in R^d, shape (m, d)."""
    v = rng.normal(size=(m, d))
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


# --------------------------------------------------------------------------- 2D
def moons(n=500, noise=0.1, seed=0):
    """Two interleaving half circles (like scikit-learn's ``make_moons``), centred.

    Returns
    -------
    x : ndarray of float32, shape (n, 2)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    x0 = np.column_stack([np.cos(t0), np.sin(t0)])
    x1 = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    shift = np.array([0.5, 0.25])
    return _finish(rng, noise, x0 - shift, x1 - shift)


def circles(n=500, noise=0.1, seed=0):
    """A circle of radius 0.5 (class 1) inside a circle of radius 1 (class 0).

    Returns
    -------
    x : ndarray of float32, shape (n, 2)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    t0 = rng.uniform(0.0, 2 * np.pi, n0)
    t1 = rng.uniform(0.0, 2 * np.pi, n1)
    x0 = np.column_stack([np.cos(t0), np.sin(t0)])
    x1 = 0.5 * np.column_stack([np.cos(t1), np.sin(t1)])
    return _finish(rng, noise, x0, x1)


def xor(n=500, noise=0.1, seed=0):
    """The XOR pattern: class 0 in quadrants I and III, class 1 in II and IV.

    Coordinates have magnitude in ``[0.1, 1]``, leaving a small margin around
    the axes.

    Returns
    -------
    x : ndarray of float32, shape (n, 2)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)

    def quadrants(m, same_sign):
        mag = rng.uniform(0.1, 1.0, size=(m, 2))
        s = rng.choice([-1.0, 1.0], size=m)
        return mag * np.column_stack([s, s if same_sign else -s])

    return _finish(rng, noise, quadrants(n0, True), quadrants(n1, False))


def spiral(n=500, noise=0.1, seed=0):
    """Two interleaved spiral arms of 1.5 turns each (radius 0.15 to 1.3).

    Neighbouring arms are about 0.38 apart, so the default noise keeps the
    problem learnable by a small ``2 -> 8 -> 8 -> 1`` tanh network.

    Returns
    -------
    x : ndarray of float32, shape (n, 2)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    turns, r_in, r_out = 1.5, 0.15, 1.3

    def arm(m, phase):
        t = rng.uniform(0.0, 1.0, m)
        angle = 2 * np.pi * turns * t + phase
        r = r_in + (r_out - r_in) * t
        return np.column_stack([r * np.cos(angle), r * np.sin(angle)])

    return _finish(rng, noise, arm(n0, 0.0), arm(n1, np.pi))


def gaussians(n=500, noise=0.1, seed=0):
    """Two round Gaussian blobs (std 0.3) centred at ``-(0.6, 0.6)`` and ``(0.6, 0.6)``.

    Linearly separable; ``noise`` adds jitter on top of the blobs' own spread.

    Returns
    -------
    x : ndarray of float32, shape (n, 2)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    x0 = rng.normal(-0.6, 0.3, size=(n0, 2))
    x1 = rng.normal(0.6, 0.3, size=(n1, 2))
    return _finish(rng, noise, x0, x1)


# --------------------------------------------------------------------------- 3D
# The paper ball crumples the plane z = 0 with a few "twists": each rotates
# every point about an axis through the origin by an angle depending only on
# the point's position along the axis and its distance from it. Both are
# unchanged by the rotation, so each twist is a smooth invertible map and the
# crumpled sheet never passes through itself. Rotations about the origin also
# keep every point's distance to the origin, so the crumpled sheet stays within
# the square's circumradius sqrt(2). Entries: (axis, along-axis rate, radial rate).
_CRUMPLE = (((1.0, 0.0, 0.0), 2.0, 0.0),   # twist about x, angle grows along x
            ((0.0, 0.0, 1.0), 0.0, 2.0),   # swirl about z, angle grows with radius
            ((0.0, 1.0, 0.0), 1.5, 0.0))   # twist about y
_SHEET_GAP = 0.4  # distance between the two sheets, measured along the surface normal


def _crumple(p):
    """Apply the fixed sequence of twists to points ``p`` of shape (m, 3)."""
    for axis, along_rate, radial_rate in _CRUMPLE:
        k = np.asarray(axis) / np.linalg.norm(axis)
        along = p @ k
        radial = np.linalg.norm(p - np.outer(along, k), axis=1)
        theta = along_rate * along + radial_rate * radial
        c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
        p = p * c + np.cross(k, p) * s + np.outer(along, k) * (1.0 - c)  # Rodrigues
    return p


def paper_ball(n=500, noise=0.1, seed=0):
    """Two sheets of paper, one per class, crumpled together into a ball.

    A square sheet ``[-1, 1]^2`` is deformed by a smooth invertible map (a
    few composed twists), and the two class sheets are laid on either side of
    it at distance ``0.2`` along the crumpled surface's normal. The sheets
    interleave in 3D, so no plane separates them, yet they never touch: they
    are 0.4 apart across the surface, and where it folds back on itself the
    clean sheets still stay about 0.2 apart. Every point lies within distance
    1.6 of the origin (before noise). ``noise`` jitters points off the sheets.

    Returns
    -------
    x : ndarray of float32, shape (n, 3)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    flat = np.column_stack([rng.uniform(-1.0, 1.0, size=(n0 + n1, 2)), np.zeros(n0 + n1)])
    surface = _crumple(flat)
    eps = 1e-5  # central differences for the two tangent vectors
    du = (_crumple(flat + [eps, 0, 0]) - _crumple(flat - [eps, 0, 0])) / (2 * eps)
    dv = (_crumple(flat + [0, eps, 0]) - _crumple(flat - [0, eps, 0])) / (2 * eps)
    normal = np.cross(du, dv)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    side = np.repeat([-0.5 * _SHEET_GAP, 0.5 * _SHEET_GAP], [n0, n1])[:, None]
    x = surface + side * normal
    return _finish(rng, noise, x[:n0], x[n0:])


def swiss_roll(n=500, noise=0.1, seed=0):
    """Two sheets rolled up together into a swiss roll (1.25 turns, axis along y).

    Seen along the roll's axis each sheet is a spiral from radius 0.35 to
    1.35; the sheets alternate, about 0.4 apart. Height ``y`` is in ``[-1, 1]``.

    Returns
    -------
    x : ndarray of float32, shape (n, 3)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    turns, r_in, r_out = 1.25, 0.35, 1.35

    def sheet(m, phase):
        t = rng.uniform(0.0, 1.0, m)
        angle = 2 * np.pi * turns * t + phase
        r = r_in + (r_out - r_in) * t
        height = rng.uniform(-1.0, 1.0, m)
        return np.column_stack([r * np.cos(angle), height, r * np.sin(angle)])

    return _finish(rng, noise, sheet(n0, 0.0), sheet(n1, np.pi))


def spheres(n=500, noise=0.1, seed=0):
    """A solid ball of radius 0.5 (class 1) inside a spherical shell of radius 1 (class 0).

    Returns
    -------
    x : ndarray of float32, shape (n, 3)
    y : ndarray of int32, shape (n,)
    """
    n0, n1, noise, rng = _start(n, noise, seed)
    x0 = _unit_vectors(rng, n0, 3)
    radius = 0.5 * rng.uniform(0.0, 1.0, n1) ** (1.0 / 3.0)  # uniform in volume
    x1 = _unit_vectors(rng, n1, 3) * radius[:, None]
    return _finish(rng, noise, x0, x1)


# --------------------------------------------------------------------------- tables
GENERATORS = {
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "spiral": spiral,
    "gaussians": gaussians,
    "paper_ball": paper_ball,
    "swiss_roll": swiss_roll,
    "spheres": spheres,
}
"""Name -> generator function, every one ``f(n=500, noise=0.1, seed=0) -> (x, y)``."""

DIMENSIONS = {
    "moons": 2, "circles": 2, "xor": 2, "spiral": 2, "gaussians": 2,
    "paper_ball": 3, "swiss_roll": 3, "spheres": 3,
}
"""Name -> number of input features ``d`` (columns of ``x``)."""


def make(name, n=500, noise=0.1, seed=0):
    """Generate the named data set, e.g. ``make("spiral", n=1000)``.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATORS`.
    n, noise, seed
        Passed to the generator.

    Returns
    -------
    x : ndarray of float32, shape (n, DIMENSIONS[name])
    y : ndarray of int32, shape (n,)
    """
    if not isinstance(name, str) or name not in GENERATORS:
        raise ValueError(f"Argument `name` must be one of {', '.join(repr(k) for k in GENERATORS)}. "
                         f"Received: name={name!r}")
    return GENERATORS[name](n=n, noise=noise, seed=seed)
