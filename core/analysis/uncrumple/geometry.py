"""The stages of the uncrumpling view (issue 4): data and a grid pushed through every stage.

A network's *stages* are its input, then for every Dense layer ``dot(x, W)``,
``+ b`` and the activation (:func:`stages`, in ``model.trace`` order). This module
holds the stages, the grid of the input space and the moves between stages; what
is built on them lives beside it, each name in one module:

* :mod:`core.analysis.uncrumple.projection` -- the fixed map from each stage to the 1-3
  coordinates drawn (:class:`~core.analysis.uncrumple.projection.ProjectionCache`,
  :func:`~core.analysis.uncrumple.projection.project_stages`);
* :mod:`core.analysis.uncrumple.separability` -- how uncrumpled each stage is;
* :mod:`core.analysis.uncrumple.inspector` -- the neuron inspector;
* :mod:`core.analysis.uncrumple.lab` -- the layer lab.

A view (with names from those modules too):

>>> data = stages(model, x)                       # one Stage per panel
>>> grid = input_grid(x)                          # points (m, d) + polylines
>>> grid_st = stages(model, grid.points)          # the grid, deformed by each stage
>>> cache = ProjectionCache(max_dims=3)           # kept for the whole run
>>> proj = cache.projections(data)                # fixed across epochs; proj[i].title
>>> xy = project_stages(data, proj)               # (n, dims) per stage
>>> lines = grid.polylines(project_stages(grid_st, proj)[i])   # (n_lines, per_line, dims)
>>> frame = path_frame(xy, s)                     # the animation at slider s
>>> separability(model, x, y)                     # how uncrumpled, per stage

Projections are fitted on the data's stages and applied unchanged to the grid's.
The animation interpolates *projected* coordinates, each stage on its own
projection (:func:`path_frame`); where two stages share one projection this is
exactly the projection of :func:`interpolate`, and it is continuous and exact at
every stage even where the projection changes. Within a layer the three stages
share one projection (see :class:`~core.analysis.uncrumple.projection.ProjectionCache`),
so the translation by ``b`` and the squashing by the activation show; separately
centred PCAs would hide ``b``. No Qt here. Layer indices count Dense layers, as
``model.trace`` does (``Stage.layer``; -1 is the input).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core.engine.validation import check_array, check_int, check_number
from core.analysis.boundary import Plane, grid_extent, input_plane
from core.analysis.names import stage_name

__all__ = ["KINDS", "Stage", "stages", "stages_from_traces", "stage_values", "Grid", "input_grid", "plane_grid",
           "sheet_mesh", "interpolate", "path_position", "path_values", "path_frame"]

#: the kinds of stage, in the order of a layer's stages (the input first)
KINDS = ("input", "dot", "bias", "activation")


# ---- stages ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Stage:
    """One panel of the uncrumpling view.

    Attributes
    ----------
    name : str
        ``"Input"``, ``"Layer 1 · dot(x, W)"``, ``"Layer 1 · + b"``, ``"Layer 1 · tanh"``
        (:func:`core.analysis.names.stage_name`: one naming in every view).
    layer : int
        Index of the Dense layer (as in ``model.trace``); -1 for the input.
    kind : str
        ``"input"``, ``"dot"``, ``"bias"`` or ``"activation"``.
    values : ndarray of shape (n, width), float32
    activation : str
        The layer's activation name (``""`` for the input).
    """

    name: str
    layer: int
    kind: str
    values: np.ndarray
    activation: str = ""

    @property
    def width(self) -> int:
        return int(self.values.shape[1])


def stages_from_traces(x, traces) -> list[Stage]:
    """Stages from an input ``x`` (n, d) and its ``model.trace(x)`` (arrays are not copied)."""
    out = [Stage(stage_name("input", -1, len(traces)), -1, "input", np.array(x, dtype=np.float32))]
    for i, t in enumerate(traces):
        for kind, v in (("dot", t.dot), ("bias", t.biased), ("activation", t.output)):
            out.append(Stage(stage_name(kind, i, len(traces), t.activation), i, kind, np.asarray(v, np.float32),
                             t.activation))
    return out


def stages(model, x) -> list[Stage]:
    """The input and every Dense layer's three stages, in ``model.trace`` order.

    Parameters
    ----------
    model : core.Sequential
        Built (or buildable from ``x``).
    x : array_like of shape (n, d)

    Returns
    -------
    list of Stage
        ``1 + 3 * n_dense`` stages: input, dot, + b, activation, dot, ... The
        layers' arrays are ``model.trace(x)``'s; the input is a float32 copy.
    """
    x = check_array("x", x, ndim=2)
    return stages_from_traces(x, model.trace(x))


# ---- the input grid ---------------------------------------------------------------------------------
class Grid(NamedTuple):
    """A grid of the input space as polylines; unpacks as ``points, lines = grid``.

    Attributes
    ----------
    points : ndarray of shape (m, d), float32
        Push through the network with ``stages(model, grid.points)``.
    lines : ndarray of shape (n_lines, points_per_line), intp
        Indices into ``points`` (and into any stage's rows) of each polyline.
    """

    points: np.ndarray
    lines: np.ndarray

    def polylines(self, values) -> np.ndarray:
        """``values`` (m, k) of the grid points -> (n_lines, points_per_line, k)."""
        return np.asarray(values)[self.lines]

    def connect(self) -> np.ndarray:
        """For one curve through ``values[grid.lines.ravel()]``: shape (n_lines * per_line,)
        bool, False at each line's last point (pyqtgraph's ``connect=`` array)."""
        c = np.ones(self.lines.shape, dtype=bool)
        c[:, -1] = False
        return c.ravel()


def plane_grid(plane: Plane | None, extent, resolution=41, lines_per_axis=11) -> Grid:
    """A grid of a plane of the input space over ``extent``, as :func:`input_grid` draws it in 2D.

    Parameters
    ----------
    plane : core.analysis.boundary.Plane or None
        The plane, lifted to the input's d dimensions; None for 2D inputs (the input plane).
    extent : tuple of 4 float
        ``(x0, x1, y0, y1)`` in plane coordinates (``core.analysis.boundary.grid_extent``).
    resolution : int
        Points per side: ``points`` has shape (resolution**2, d), in row-major image order
        (row i is the i-th ``y`` value, as ``core.analysis.boundary.decision_grid``).
    lines_per_axis : int
        Polylines per direction, evenly picked among the rows and columns.
    """
    x0, x1, y0, y1 = extent
    aa, bb = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    ab = np.column_stack([aa.ravel(), bb.ravel()]).astype(np.float32)
    points = ab if plane is None else plane.lift(ab)
    idx = np.arange(resolution * resolution).reshape(resolution, resolution)
    sel = np.unique(np.round(np.linspace(0, resolution - 1, lines_per_axis)).astype(int))
    return Grid(np.ascontiguousarray(points, np.float32), np.concatenate([idx[sel, :], idx[:, sel].T]))


def input_grid(x, resolution=41, margin=0.15, *, lines_per_axis=11, lattice=5, plane=None) -> Grid:
    """A regular grid around the data, to push through the network and draw deformed.

    Parameters
    ----------
    x : array_like of shape (n, d)
        The data the grid covers (with ``margin``, as ``core.analysis.boundary.grid_extent``).
    resolution : int
        Points per grid line (and, in 2D, grid points per side).
    margin : float
        Extra extent on each side, as a fraction of the data's range.
    lines_per_axis : int
        2D: polylines drawn per direction, evenly picked among the ``resolution``
        rows and columns (41 and 11: every 4th).
    lattice : int
        3D: lines per side of the lattice.
    plane : core.analysis.boundary.Plane, optional
        Grid this plane (lifted to d dimensions) instead, e.g. ``input_plane(x)``.

    Returns
    -------
    Grid
        * d == 2: ``points`` (resolution**2, 2) in row-major image order (row i is
          the i-th ``x2`` value, as ``core.analysis.boundary.decision_grid``, so a stage's
          values reshape to an image), and ``2 * lines_per_axis`` lines.
        * d == 3: a lattice of ``3 * lattice**2`` straight lines parallel to the axes
          through the data's bounding box, ``resolution`` points each (points at
          crossings are repeated). A lattice rather than the PCA plane: the paper
          ball and swiss roll are volumes, and a lattice shows how a layer bends
          space in 3D; 5 per side gives 3,075 points. Pass ``plane`` for a plane.
        * d == 1: one line; d > 3: the grid of the data's PCA plane.
    """
    x = check_array("x", x, ndim=2)
    resolution = check_int("resolution", resolution, low=2)
    margin = check_number("margin", margin, low=0, low_inclusive=True)
    lines_per_axis = min(check_int("lines_per_axis", lines_per_axis, low=2), resolution)
    lattice = check_int("lattice", lattice, low=2)
    d = x.shape[1]
    if plane is not None or d > 3:
        plane = plane if plane is not None else input_plane(x)
        extent = grid_extent(plane.project(x), margin)
        return plane_grid(plane, extent, resolution, lines_per_axis)
    if d == 2:
        return plane_grid(None, grid_extent(x, margin), resolution, lines_per_axis)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * margin + 1e-6
    lo, hi = lo - pad, hi + pad
    if d == 1:
        pts = np.linspace(lo[0], hi[0], resolution, dtype=np.float32)[:, None]
        return Grid(pts, np.arange(resolution)[None, :])
    blocks = []
    for axis in range(3):
        o1, o2 = [a for a in range(3) if a != axis]
        u = np.linspace(lo[o1], hi[o1], lattice)
        v = np.linspace(lo[o2], hi[o2], lattice)
        t = np.linspace(lo[axis], hi[axis], resolution)
        block = np.empty((lattice, lattice, resolution, 3), np.float32)
        block[..., axis] = t
        block[..., o1] = u[:, None, None]
        block[..., o2] = v[None, :, None]
        blocks.append(block.reshape(-1, 3))
    points = np.ascontiguousarray(np.concatenate(blocks))
    return Grid(points, np.arange(len(points)).reshape(-1, resolution))


def sheet_mesh(x, labels, k=4) -> np.ndarray:
    """A light mesh over each class's points: every point joined to its ``k`` nearest neighbours
    of the same class, in the input space.

    Drawn through any stage (the same index pairs on the stage's coordinates) it shows each class
    as a sheet (the paper ball's two crumpled sheets) and how a layer stretches and flattens it.

    Parameters
    ----------
    x : array_like of shape (n, d)
    labels : array_like of shape (n,), int
    k : int
        Neighbours per point.

    Returns
    -------
    ndarray of shape (m, 2), intp
        Index pairs ``(i, j)``, ``i < j``, each edge once, sorted (deterministic).
    """
    x = check_array("x", x, ndim=2).astype(np.float64)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(x):
        raise ValueError(f"Arguments `x` and `labels` must have as many rows. Received {len(x)} and {len(labels)}.")
    k = check_int("k", k, low=1)
    finite = np.isfinite(x).all(axis=1)
    pairs = []
    for c in np.unique(labels):
        idx = np.flatnonzero((labels == c) & finite)
        if len(idx) < 2:
            continue
        pts = x[idx]
        sq = (pts * pts).sum(axis=1)
        d2 = sq[:, None] + sq[None, :] - 2.0 * pts @ pts.T
        np.fill_diagonal(d2, np.inf)
        kk = min(k, len(idx) - 1)
        near = np.argpartition(d2, kk - 1, axis=1)[:, :kk]     # the kk nearest, in any order
        a = np.repeat(idx, kk)
        b = idx[near.ravel()]
        pairs.append(np.column_stack([np.minimum(a, b), np.maximum(a, b)]))
    if not pairs:
        return np.zeros((0, 2), np.intp)
    both = np.concatenate(pairs).astype(np.int64)
    keys = np.unique(both[:, 0] * len(x) + both[:, 1])         # each edge once, sorted
    return np.column_stack([keys // len(x), keys % len(x)]).astype(np.intp)


# ---- moving between stages --------------------------------------------------------------------------
def stage_values(a) -> np.ndarray:
    """A stage's values, or an array's, as a float32 array of shape (n, width) (ValueError otherwise)."""
    v = a.values if isinstance(a, Stage) else a
    v = np.asarray(v, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"Stage values must have shape (n, width). Received shape {v.shape}.")
    return v


def _pad(v: np.ndarray, width: int) -> np.ndarray:
    if v.shape[1] == width:
        return v
    out = np.zeros((v.shape[0], width), np.float32)
    out[:, :v.shape[1]] = v
    return out


def interpolate(a, b, t) -> np.ndarray:
    """Values moving in a straight line from stage ``a`` to stage ``b``.

    Parameters
    ----------
    a, b : Stage or array_like of shape (n, width_a) and (n, width_b)
        The narrower one is embedded in the wider width by padding zeros.
    t : float
        In [0, 1] (clipped): 0 gives ``a`` exactly, 1 gives ``b`` exactly.

    Returns
    -------
    ndarray of shape (n, max(width_a, width_b)), float32
        ``(1 - t) * a + t * b``, a new array; continuous in ``t``.
    """
    a, b = stage_values(a), stage_values(b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"Both stages must hold the same points. Received {a.shape[0]} and {b.shape[0]} rows.")
    t = min(max(check_number("t", t), 0.0), 1.0)
    w = max(a.shape[1], b.shape[1])
    a, b = _pad(a, w), _pad(b, w)
    if t == 0.0:
        return a.copy()
    if t == 1.0:
        return b.copy()
    out = np.multiply(a, np.float32(1.0 - t))
    out += np.float32(t) * b
    return out


def path_position(stages_or_count, s) -> tuple[int, float]:
    """Where slider value ``s`` in [0, n_stages - 1] falls: ``(i, t)`` between stages i and i+1.

    ``s`` is clipped; ``s = k`` gives ``(k, 0.0)``, and the last stage ``(n - 2, 1.0)``,
    so ``interpolate(stages[i], stages[i + 1], t)`` is the stage itself. With one stage,
    ``(0, 0.0)``.
    """
    n = stages_or_count if isinstance(stages_or_count, int) else len(stages_or_count)
    n = check_int("n_stages", n)
    s = min(max(check_number("s", s), 0.0), float(n - 1))
    if n == 1:
        return 0, 0.0
    i = min(int(math.floor(s)), n - 2)
    return i, s - i


def path_values(stage_list, s) -> np.ndarray:
    """The stages' values at slider ``s`` (:func:`path_position` + :func:`interpolate`)."""
    i, t = path_position(stage_list, s)
    if len(stage_list) == 1:
        return stage_values(stage_list[0]).copy()
    return interpolate(stage_list[i], stage_list[i + 1], t)


def path_frame(coords, s, dims=None) -> np.ndarray:
    """The animation's frame at slider ``s`` from per-stage *projected* coordinates.

    Parameters
    ----------
    coords : list of ndarray of shape (n, dims_i)
        :func:`core.analysis.uncrumple.projection.project_stages` of the stages (each on its own projection).
    s : float
        In [0, len(coords) - 1].
    dims : int, optional
        Pad the frame to this many columns (e.g. 3 for a 3D view throughout).

    Returns
    -------
    ndarray of shape (n, max(dims_i, dims_i+1, dims)), float32
    """
    i, t = path_position(len(coords), s)
    a = stage_values(coords[i])
    b = stage_values(coords[i + 1]) if len(coords) > 1 else a
    out = interpolate(a, b, t)
    return _pad(out, max(out.shape[1], dims or 0))
