"""Following a run through the network for the uncrumpling views.

:class:`Tracer` takes the run's network from :meth:`core.run.messages.RunData.model` once, loads
each heavy snapshot's weights and traces the data and a grid of the input space through every
stage (the maths is :mod:`core.analysis.uncrumple.geometry` and
:mod:`core.analysis.uncrumple.projection`); a trace is a :class:`Traced`, what every uncrumpling
view draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.uncrumple.geometry import input_grid, stages
from core.analysis.uncrumple.projection import ProjectionCache, project_stages

#: points drawn per panel at most (a fixed-seed subsample beyond)
MAX_POINTS = 1500
#: points per grid line (and, for 2D inputs, grid points per side: the input panel's region image)
GRID_RESOLUTION = 41


@dataclass
class Traced:
    """What every uncrumpling view draws, for one set of weights.

    Attributes
    ----------
    stages, grid_stages : list of core.analysis.uncrumple.geometry.Stage
        The data's and the grid's stages.
    projections : list of core.analysis.uncrumple.projection.Projection
    coords, grid_coords : list of ndarray of shape (n, dims) / (m, dims), float32
        Each stage's points and grid points as drawn (``dims`` columns: 2, or 3 for the 3D view).
    predicted : ndarray of shape (m,), int
        The network's class for every grid point (the decision regions).
    """

    stages: list
    grid_stages: list
    projections: list
    coords: list
    grid_coords: list
    predicted: np.ndarray


def plot_coords(c, dims: int = 2) -> np.ndarray:
    """(n, k) projected coordinates as (n, dims) float32 (zero-padded: a 1-unit stage on a line)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] >= dims:
        return np.ascontiguousarray(c[:, :dims])
    out = np.zeros((len(c), dims), np.float32)
    out[:, :c.shape[1]] = c
    return out


class Tracer:
    """Follows a run for a view: the run's network, the newest weights, the stages.

    :meth:`set_run` takes the network from the run (once); :meth:`add_snapshot` only keeps a heavy
    snapshot's weights (also before :meth:`set_run`: they wait for the network); :meth:`trace`
    loads them (if new and finite) and returns a :class:`Traced`, or None. ``message`` says why
    nothing can be shown.

    Parameters
    ----------
    max_points : int
        Training samples traced at most (a fixed-seed subsample of the run's).
    dims : int
        Coordinates per point: 2, or 3 for the 3D view (3-unit stages as they are, wider ones
        on 3 principal components).
    project : bool
        Whether :meth:`trace` projects the stages (a view that only needs the network, such as
        separability, passes False). The projections are fitted once per run on the run's
        untrained network (its seeded starting weights, on a fixed-seed sample of its data), so
        they do not depend on when a view was first shown: two views of one run, or two runs of
        the same configuration, use the same axes.

    Attributes
    ----------
    model : Sequential or None
        The run's network with the newest finite weights loaded.
    x : ndarray of shape (n, d) float32, or None
    y : ndarray of shape (n,) int64, or None
        The traced samples and their class labels.
    n_classes : int
        The run's class count.
    version : int
        Bumps when a run or new weights arrive (a view redraws when it differs from the one drawn).
    epoch : int
        The epoch of the newest weights.
    cache : ProjectionCache
        The run's fixed projections, one per stage.
    """

    def __init__(self, max_points: int = MAX_POINTS, dims: int = 2, project: bool = True):
        self.max_points = int(max_points)
        self.dims = int(dims)
        self.project = bool(project)
        self._fit_due = False
        self.cache = ProjectionCache(max_dims=self.dims, wide_dims=self.dims)
        self.clear()

    def clear(self) -> None:
        """Forget the run and its weights."""
        self.model = None
        self.x = self.y = None
        self.n_classes = 2
        self._grid = None
        self._weights = None
        self._fit_due = False
        self.version = 0
        self.epoch = 0
        self.message = ""
        self.cache.clear()

    @property
    def ready(self) -> bool:
        """Whether a run's network is there to trace."""
        return self.model is not None

    def set_run(self, run) -> bool:
        """Take the network of ``run`` (a :class:`core.run.messages.RunData`) and a sample of its
        training data; False (and ``message``) if there is nothing to trace."""
        self.model = None
        self.x = self.y = None
        self._grid = None
        self.cache.clear()
        self.message = ""
        if run is None:
            self.message = "No run to show yet."
            return False
        x, y = np.asarray(run.x_train, np.float32), run.labels_train
        if x.ndim != 2 or len(x) == 0 or len(x) != len(y):
            self.message = "The run has no training data."
            return False
        if len(x) > self.max_points:
            keep = np.sort(np.random.default_rng(0).choice(len(x), self.max_points, replace=False))
            x, y = x[keep], y[keep]
        try:
            self.model = run.model()
        except ValueError as exc:
            self.message = str(exc)
            return False
        self.x, self.y, self.n_classes = x, y, int(run.n_classes)
        self._fit_due = self.project
        self.version += 1
        return True

    def _fit_axes(self) -> None:
        """The run's projections, fitted on its untrained network (the model as ``run.model()``
        made it: seeded weights), before any snapshot's weights are loaded."""
        self._fit_due = False
        with np.errstate(all="ignore"):
            try:
                self.cache.projections(stages(self.model, self.x))
            except (np.linalg.LinAlgError, ValueError):
                self.cache.clear()         # fitted on the first trace's weights instead

    @property
    def grid(self):
        """The :class:`core.analysis.uncrumple.geometry.Grid` of the input space, made on first use
        (None before a run).

        Made lazily: for 784-pixel images it is a PCA plane of the data (~0.1 s), which a
        view that is never shown (the digits tabs replace it) should not pay at a run's start.
        """
        if self._grid is None and self.x is not None:
            x = self.x
            finite = np.isfinite(x).all(axis=1)
            self._grid = input_grid(x[finite] if finite.any() else np.zeros((2, x.shape[1]), np.float32),
                                    resolution=GRID_RESOLUTION, lines_per_axis=21)
        return self._grid

    def add_snapshot(self, snap) -> bool:
        """Keep a heavy snapshot's weights (loaded by the next :meth:`load`); True if it had any."""
        if not snap.weights:
            return False
        self._weights = snap.weights
        self.epoch = snap.epoch
        self.version += 1
        return True

    def load(self) -> None:
        """Load the weights kept since the last load into the network, if they are finite and fit
        (else ``message`` says why the last ones stay)."""
        if self.model is None:
            return
        if self._fit_due:
            self._fit_axes()
        w, self._weights = self._weights, None
        if w is None:
            return
        if not all(np.isfinite(np.asarray(a, np.float64)).all() for a in w):
            self.message = "The weights are not finite (training diverged): showing the last finite ones."
            return
        try:
            self.model.set_weights(w)
            self.message = ""
        except ValueError as exc:
            self.message = f"These weights do not fit the network: {exc}"

    def trace(self) -> Traced | None:
        """Load the newest weights and push the data and the grid through every stage."""
        self.load()
        if self.model is None:
            return None
        with np.errstate(all="ignore"):
            data = stages(self.model, self.x)
            grid = stages(self.model, self.grid.points)
            try:
                proj = self.cache.projections(data)
                coords = project_stages(data, proj)
                gcoords = project_stages(grid, proj)
            except (np.linalg.LinAlgError, ValueError) as exc:
                self.message = f"Cannot project these stages: {exc}"
                return None
            out = grid[-1].values
            if out.shape[1] == 1:
                thr = 0.5 if grid[-1].activation in ("sigmoid", "softmax") else 0.0
                predicted = (out[:, 0] > thr).astype(np.int64)
            else:
                predicted = np.nan_to_num(out, nan=-np.inf).argmax(axis=1)
        d = self.dims
        return Traced(data, grid, proj, [plot_coords(c, d) for c in coords], [plot_coords(c, d) for c in gcoords],
                      predicted)
