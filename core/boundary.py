"""The decision boundary view's maths: a fixed 2D plane through the input space and
the network's prediction on a grid over it.

For 2D data the plane is the input plane itself; for 3D data it is the plane of
the data's first two principal components (fixed for a data set, so the picture
does not jump between frames).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Plane:
    """``point(a, b) = origin + a * axes[0] + b * axes[1]``.

    Attributes
    ----------
    origin : ndarray of shape (d,)
    axes : ndarray of shape (2, d), orthonormal rows
    labels : tuple of str
        Axis titles for the view (``"x1"``, ``"x2"`` or ``"PC1"``, ``"PC2"``).
    """

    origin: np.ndarray
    axes: np.ndarray
    labels: tuple

    def project(self, x: np.ndarray) -> np.ndarray:
        """(n, d) points -> (n, 2) plane coordinates."""
        return ((np.asarray(x, np.float32) - self.origin) @ self.axes.T).astype(np.float32)

    def lift(self, ab: np.ndarray) -> np.ndarray:
        """(n, 2) plane coordinates -> (n, d) points."""
        return (self.origin + np.asarray(ab, np.float32) @ self.axes).astype(np.float32)


def input_plane(x: np.ndarray) -> Plane:
    """The plane the boundary view draws for data ``x`` of shape (n, d)."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[1]
    if d == 2:
        return Plane(np.zeros(2, np.float32), np.eye(2, dtype=np.float32), ("x1", "x2"))
    if d == 1:
        raise ValueError("The decision boundary view needs at least two input features.")
    origin = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - origin, full_matrices=False)
    axes = vt[:2]
    # a sign convention so the basis is the same for the same data
    axes *= np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])[:, None]
    var = s ** 2 / max((s ** 2).sum(), 1e-12)
    labels = (f"PC1 ({var[0]:.0%})", f"PC2 ({var[1]:.0%})")
    return Plane(origin.astype(np.float32), axes.astype(np.float32), labels)


def grid_extent(points2d: np.ndarray, margin: float = 0.15) -> tuple:
    """A square-ish extent ``(x0, x1, y0, y1)`` around 2D points with a margin."""
    lo = points2d.min(axis=0)
    hi = points2d.max(axis=0)
    pad = (hi - lo) * margin + 1e-6
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def decision_grid(model, plane: Plane, extent, resolution: int = 64) -> np.ndarray:
    """The network's probability of class 1 over a grid of the plane.

    Returns
    -------
    ndarray of shape (resolution, resolution), float32
        Row ``i`` is ``b = y0 + i * (y1 - y0) / (resolution - 1)``, column ``j``
        is ``a`` likewise (row-major image order). For more than two classes, the
        predicted class index.
    """
    x0, x1, y0, y1 = extent
    a = np.linspace(x0, x1, resolution, dtype=np.float32)
    b = np.linspace(y0, y1, resolution, dtype=np.float32)
    aa, bb = np.meshgrid(a, b)
    pts = plane.lift(np.column_stack([aa.ravel(), bb.ravel()]))
    p = model.predict(pts)
    if p.shape[1] == 1:
        out = p[:, 0]
    elif p.shape[1] == 2:
        out = p[:, 1]
    else:
        out = p.argmax(axis=1).astype(np.float32)
    return np.ascontiguousarray(out.reshape(resolution, resolution), dtype=np.float32)
