"""Following a run through the network for the uncrumpling views.

:class:`Tracer` takes the run's network from :meth:`core.run.messages.RunData.model` once, loads
each heavy snapshot's weights and traces the data and a grid of the input space through every
stage (the maths is :mod:`core.analysis.uncrumple.geometry` and
:mod:`core.analysis.uncrumple.projection`); a trace is a :class:`Traced`, what every uncrumpling
view draws.

A trace is three steps, so that a view can run the middle one in a worker thread
(:mod:`viz.views.common.jobs`) when it is heavy (:attr:`Tracer.heavy`: an MNIST network, ~1 s on
this machine for its first trace): :meth:`Tracer.take` (GUI thread: what the trace needs, a
:class:`TraceWork`), :func:`compute` (anywhere: the maths, a :class:`TraceResult`) and
:meth:`Tracer.accept` (GUI thread). :meth:`Tracer.trace` does the three at once.
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
#: multiply-adds of one trace (data and grid through every layer) from which a view traces in a
#: worker thread: the spiral's networks take ~1 M (a few ms, drawn at once), MNIST's ~1.3 G
HEAVY_WORK = 20_000_000


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
        The network's class for every grid point (the decision regions); -1 for a regression run.
    fitted : ndarray of shape (m,) float32, or None
        A regression run's output (the fitted value) at every grid point; None for classification.
    """

    stages: list
    grid_stages: list
    projections: list
    coords: list
    grid_coords: list
    predicted: np.ndarray
    fitted: np.ndarray | None = None


@dataclass(frozen=True)
class TraceWork:
    """What one trace needs, taken from a :class:`Tracer` on the GUI thread (:meth:`Tracer.take`).

    The network and the projection cache are the tracer's own objects: :func:`compute` loads the
    weights into the one and fits the other, so one trace at a time may run for a tracer (a new run
    gives the tracer new ones, and a trace of the old run then touches only the old).

    Attributes
    ----------
    model : Sequential
    x : ndarray of shape (n, d), float32
    grid : Grid or None
        The input space's grid, or None: made by :func:`compute`.
    cache : ProjectionCache
    weights : tuple of ndarray or None
        New weights to load first, or None (the loaded ones stay).
    fit_due : bool
        Fit the run's projections on the untrained network first.
    dims : int
    version : int
        The tracer's version these weights are.
    regression : bool
        A regression run: the output is a fitted value, not a class.
    """

    model: object
    x: np.ndarray
    grid: object
    cache: ProjectionCache
    weights: tuple | None
    fit_due: bool
    dims: int
    version: int
    regression: bool = False


@dataclass(frozen=True)
class TraceResult:
    """What :func:`compute` found, for :meth:`Tracer.accept`.

    Attributes
    ----------
    traced : Traced or None
        None when the stages could not be projected (``message`` says why).
    grid : Grid
    message : str or None
        What the tracer's ``message`` becomes (None: it stays).
    version : int
        The version of the weights traced.
    cache : ProjectionCache
        The cache it used (a result whose cache is no longer the tracer's belongs to an old run).
    """

    traced: Traced | None
    grid: object
    message: str | None
    version: int
    cache: ProjectionCache


def make_grid(x: np.ndarray):
    """The :class:`core.analysis.uncrumple.geometry.Grid` of the input space around ``x`` (n, d): for
    784-pixel images a PCA plane of the data (~0.1 s)."""
    finite = np.isfinite(x).all(axis=1)
    return input_grid(x[finite] if finite.any() else np.zeros((2, x.shape[1]), np.float32),
                      resolution=GRID_RESOLUTION, lines_per_axis=21)


def _fit_axes(cache: ProjectionCache, model, x: np.ndarray) -> None:
    """Fit the run's projections on its untrained network (``model`` as ``run.model()`` made it:
    seeded weights), before any snapshot's weights are loaded."""
    with np.errstate(all="ignore"):
        try:
            cache.projections(stages(model, x))
        except (np.linalg.LinAlgError, ValueError):
            cache.clear()         # fitted on the first trace's weights instead


def _load_weights(model, weights) -> str | None:
    """Load ``weights`` into ``model`` if they are finite and fit; the tracer's new message ("" when
    loaded, why not otherwise), or None for no weights."""
    if weights is None:
        return None
    if not all(np.isfinite(np.asarray(a, np.float64)).all() for a in weights):
        return "The weights are not finite (training diverged): showing the last finite ones."
    try:
        model.set_weights(weights)
        return ""
    except ValueError as exc:
        return f"These weights do not fit the network: {exc}"


def compute(work: TraceWork, cancel=lambda: False, progress=lambda f: None) -> TraceResult | None:
    """Trace ``work``: fit the projections if due, load its weights (if finite and they fit), push the
    data and the grid through every stage and project them. Runs in any thread (it touches only what
    ``work`` holds); ``cancel``/``progress`` as :class:`viz.views.common.jobs.JobRunner` passes them
    (None once cancelled)."""
    model = work.model
    with np.errstate(all="ignore"):
        grid = work.grid if work.grid is not None else make_grid(work.x)
        if work.fit_due:
            _fit_axes(work.cache, model, work.x)
        progress(0.3)
        message = _load_weights(model, work.weights)
        if cancel():
            return None
        data = stages(model, work.x)
        grid_stages = stages(model, grid.points)
        progress(0.7)
        try:
            proj = work.cache.projections(data)
            coords = project_stages(data, proj)
            gcoords = project_stages(grid_stages, proj)
        except (np.linalg.LinAlgError, ValueError) as exc:
            return TraceResult(None, grid, f"Cannot project these stages: {exc}", work.version, work.cache)
        out = grid_stages[-1].values
        fitted = None
        if work.regression:
            fitted = np.asarray(out[:, 0], np.float32)
            predicted = np.full(len(out), -1, np.int64)
        elif out.shape[1] == 1:
            thr = 0.5 if grid_stages[-1].activation in ("sigmoid", "softmax") else 0.0
            predicted = (out[:, 0] > thr).astype(np.int64)
        else:
            predicted = np.nan_to_num(out, nan=-np.inf).argmax(axis=1)
    d = work.dims
    traced = Traced(data, grid_stages, proj, [plot_coords(c, d) for c in coords],
                    [plot_coords(c, d) for c in gcoords], predicted, fitted)
    return TraceResult(traced, grid, message, work.version, work.cache)


def plot_coords(c, dims: int = 2) -> np.ndarray:
    """(n, k) projected coordinates as (n, dims) float32 (zero-padded: a 1-unit stage on a line)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] >= dims:
        return np.ascontiguousarray(c[:, :dims])
    out = np.zeros((len(c), dims), np.float32)
    out[:, :c.shape[1]] = c
    return out


def shown_sample(x, y, max_points: int = MAX_POINTS):
    """``(x, y)`` as drawn: all rows up to ``max_points``, else the same fixed-seed subsample of them
    (in their order) every time, so that a view's points do not change from one draw to the next."""
    if len(x) <= max_points:
        return x, y
    keep = np.sort(np.random.default_rng(0).choice(len(x), int(max_points), replace=False))
    return x[keep], y[keep]


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
    y : ndarray of shape (n,) int64 (float32 for a regression run), or None
        The traced samples and their class labels (a regression run: their targets).
    n_classes : int
        The run's class count (1 for a regression run).
    regression : bool
        Whether the run is a regression run (its points are coloured by ``y``'s value).
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
        self.cache = self._new_cache()
        self.clear()

    def _new_cache(self) -> ProjectionCache:
        return ProjectionCache(max_dims=self.dims, wide_dims=self.dims)

    def clear(self) -> None:
        """Forget the run and its weights."""
        self.model = None
        self.x = self.y = None
        self.n_classes = 2
        self.regression = False
        self._grid = None
        self._weights = None
        self._fit_due = False
        self.version = 0
        self.epoch = 0
        self.message = ""
        self.cache = self._new_cache()     # a new one: a trace still running for the old run keeps the old

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
        self.cache = self._new_cache()
        self.message = ""
        if run is None:
            self.message = "No run to show yet."
            return False
        regression = bool(run.is_regression)
        x = np.asarray(run.x_train, np.float32)
        y = np.asarray(run.y_train, np.float32).reshape(-1) if regression else run.labels_train
        if x.ndim != 2 or len(x) == 0 or len(x) != len(y):
            self.message = "The run has no training data."
            return False
        x, y = shown_sample(x, y, self.max_points)
        try:
            self.model = run.model()
        except ValueError as exc:
            self.message = str(exc)
            return False
        self.x, self.y, self.n_classes, self.regression = x, y, int(run.n_classes), regression
        self._fit_due = self.project
        self.version += 1
        return True

    @property
    def grid(self):
        """The :class:`core.analysis.uncrumple.geometry.Grid` of the input space, made on first use
        (None before a run).

        Made lazily: for 784-pixel images it is a PCA plane of the data (~0.1 s), which a
        view that is never shown (the digits tabs replace it) should not pay at a run's start.
        """
        if self._grid is None and self.x is not None:
            self._grid = make_grid(self.x)
        return self._grid

    @property
    def heavy(self) -> bool:
        """Whether a trace is too much work for one event-loop turn (more than :data:`HEAVY_WORK`
        multiply-adds: the data and the grid through every layer); False before a run."""
        if self.model is None or self.x is None:
            return False
        n = len(self.x) + GRID_RESOLUTION * GRID_RESOLUTION
        work = sum(int(layer.input_dim or 0) * layer.units for layer in self.model.dense_layers)
        return n * work > HEAVY_WORK

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
        (else ``message`` says why the last ones stay); the run's projections are fitted first if due."""
        if self.model is None:
            return
        if self._fit_due:
            self._fit_due = False
            _fit_axes(self.cache, self.model, self.x)
        w, self._weights = self._weights, None
        message = _load_weights(self.model, w)
        if message is not None:
            self.message = message

    def take(self) -> TraceWork | None:
        """What the next trace needs (GUI thread): the weights kept since the last one are taken (None
        before a run)."""
        if self.model is None:
            return None
        w, self._weights = self._weights, None
        fit_due, self._fit_due = self._fit_due, False
        return TraceWork(self.model, self.x, self._grid, self.cache, w, fit_due, self.dims, self.version,
                         self.regression)

    def accept(self, result: TraceResult | None) -> Traced | None:
        """Keep what :func:`compute` found (GUI thread): the grid and the message; its
        :class:`Traced`, or None (also for a result of an earlier run)."""
        if result is None or result.cache is not self.cache:
            return None
        if self._grid is None:
            self._grid = result.grid
        if result.message is not None:
            self.message = result.message
        return result.traced

    def trace(self) -> Traced | None:
        """Load the newest weights and push the data and the grid through every stage, now."""
        return self.accept(compute(work)) if (work := self.take()) is not None else None
