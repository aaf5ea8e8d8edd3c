"""The decision boundary view's maths: a fixed 2D plane through the input space and
the network's prediction on a grid over it.

For 2D data the plane is the input plane itself; for 3D data it is the plane of
the data's first two principal components (fixed for a data set, so the picture
does not jump between frames).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.pca import EXACT_PCA_WIDTH, randomized_pca


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


#: samples the input plane is fitted on at most (a fixed-seed subsample beyond)
PLANE_SAMPLES = 5000


def input_plane(x: np.ndarray) -> Plane:
    """The plane the boundary view draws for data ``x`` of shape (n, d)."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[1]
    if d == 2:
        return Plane(np.zeros(2, np.float32), np.eye(2, dtype=np.float32), ("x1", "x2"))
    if d == 1:
        raise ValueError("The decision boundary view needs at least two input features.")
    if len(x) > PLANE_SAMPLES:   # a fixed subsample: an SVD of 60,000 x 784 took seconds on the GUI thread
        x = x[np.sort(np.random.default_rng(0).choice(len(x), PLANE_SAMPLES, replace=False))]
    origin = x.mean(axis=0)
    if d > EXACT_PCA_WIDTH:
        axes, top, total = randomized_pca(x - origin, 2)
        var = top / max(total, 1e-12)
    else:
        _, s, vt = np.linalg.svd(x - origin, full_matrices=False)
        axes = vt[:2]
        var = s ** 2 / max((s ** 2).sum(), 1e-12)
    # a sign convention so the basis is the same for the same data
    axes *= np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])[:, None]
    labels = (f"PC1 ({var[0]:.0%})", f"PC2 ({var[1]:.0%})")
    return Plane(origin.astype(np.float32), axes.astype(np.float32), labels)


def grid_extent(points2d: np.ndarray, margin: float = 0.15) -> tuple:
    """A square-ish extent ``(x0, x1, y0, y1)`` around 2D points with a margin."""
    lo = points2d.min(axis=0)
    hi = points2d.max(axis=0)
    centre = (lo + hi) / 2
    half = (hi - lo).max() / 2 * (1 + 2 * margin) + 1e-6   # square: both axes get the same span
    return (float(centre[0] - half), float(centre[0] + half), float(centre[1] - half), float(centre[1] + half))


def decision_grid(model, plane: Plane, extent, resolution: int = 64) -> np.ndarray:
    """The network's probability of class 1 over a grid of the plane (a regression network's one
    linear output: the fitted value).

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


# ---- the 0.5 contour: vectorised marching squares ----------------------------------------------
# corners of a cell: bit 0 = (i, j), bit 1 = (i, j+1), bit 2 = (i+1, j+1), bit 3 = (i+1, j)
# edges: 0 = bottom (i, j..j+1), 1 = right (i..i+1, j+1), 2 = top (i+1, j..j+1), 3 = left (i..i+1, j)
_SEGMENTS = np.array([  # per case, up to two segments as (edge, edge); -1 = none
    [[-1, -1], [-1, -1]], [[3, 0], [-1, -1]], [[0, 1], [-1, -1]], [[3, 1], [-1, -1]],
    [[1, 2], [-1, -1]], [[3, 0], [1, 2]], [[0, 2], [-1, -1]], [[3, 2], [-1, -1]],
    [[2, 3], [-1, -1]], [[2, 0], [-1, -1]], [[0, 1], [2, 3]], [[2, 1], [-1, -1]],
    [[1, 3], [-1, -1]], [[1, 0], [-1, -1]], [[0, 3], [-1, -1]], [[-1, -1], [-1, -1]],
])


def contour_segments(grid: np.ndarray, level: float = 0.5, extent=None) -> np.ndarray:
    """Line segments of the ``level`` contour of a grid (marching squares, vectorised).

    Parameters
    ----------
    grid : ndarray of shape (rows, cols)
        Row ``i`` is y, column ``j`` is x (as :func:`decision_grid` returns). Cells
        with a NaN corner produce no segment.
    level : float
    extent : (x0, x1, y0, y1) or None
        Maps sample ``(i, j)`` to ``x0 + j * (x1 - x0) / (cols - 1)``, likewise y;
        None keeps grid coordinates (x = j, y = i).

    Returns
    -------
    ndarray of shape (2 * m, 2), float32
        Consecutive rows are the two ends of one segment (``connect="pairs"``).
    """
    g = np.asarray(grid, dtype=np.float64)
    if g.ndim != 2 or g.shape[0] < 2 or g.shape[1] < 2:
        return np.zeros((0, 2), np.float32)
    v00, v01 = g[:-1, :-1], g[:-1, 1:]
    v11, v10 = g[1:, 1:], g[1:, :-1]
    case = ((v00 > level) * 1 + (v01 > level) * 2 + (v11 > level) * 4 + (v10 > level) * 8)
    valid = np.isfinite(v00) & np.isfinite(v01) & np.isfinite(v11) & np.isfinite(v10)
    case = np.where(valid, case, 0)
    ii, jj = np.nonzero((case != 0) & (case != 15))
    if len(ii) == 0:
        return np.zeros((0, 2), np.float32)
    c = case[ii, jj]
    a, b, cc, d = v00[ii, jj], v01[ii, jj], v11[ii, jj], v10[ii, jj]

    def frac(lo, hi):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (level - lo) / (hi - lo)
        return np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0)

    # (x, y) of the crossing on each edge, in grid coordinates; shape (k, 4, 2)
    pts = np.empty((len(ii), 4, 2))
    pts[:, 0] = np.column_stack([jj + frac(a, b), ii])
    pts[:, 1] = np.column_stack([jj + 1, ii + frac(b, cc)])
    pts[:, 2] = np.column_stack([jj + frac(d, cc), ii + 1])
    pts[:, 3] = np.column_stack([jj, ii + frac(a, d)])
    out = []
    for s in range(2):
        edges = _SEGMENTS[c, s]
        keep = edges[:, 0] >= 0
        rows = np.flatnonzero(keep)
        if len(rows):
            seg = np.stack([pts[rows, edges[keep, 0]], pts[rows, edges[keep, 1]]], axis=1)
            out.append(seg.reshape(-1, 2))
    xy = np.concatenate(out) if out else np.zeros((0, 2))
    if extent is not None:
        x0, x1, y0, y1 = extent
        xy[:, 0] = x0 + xy[:, 0] * (x1 - x0) / (g.shape[1] - 1)
        xy[:, 1] = y0 + xy[:, 1] * (y1 - y0) / (g.shape[0] - 1)
    return xy.astype(np.float32)
