"""Following a run through the network for the uncrumpling views: :class:`Tracer` rebuilds the run's
network once, loads each snapshot's weights and traces the data and the input grid through every
stage (the maths is :mod:`core.analysis.uncrumple.geometry`); plus two small helpers every view uses.
"""
from __future__ import annotations

import numpy as np

from core.run.config import TrainingConfig, build_model
from core.analysis.uncrumple.geometry import input_grid, stages
from core.analysis.uncrumple.projection import ProjectionCache, project_stages
from viz.views.common.visibility import behind_tab  # noqa: F401 - TRANSITION (issue 15): views import it from here
from viz.views.uncrumple.layers_draw import Traced, _xy

#: points drawn per panel at most (a fixed-seed subsample beyond)
MAX_POINTS = 1500
#: points per grid line (and, for 2D inputs, grid points per side: the input panel's region image)
GRID_RESOLUTION = 41



def labels_of(y) -> np.ndarray:
    """Integer class labels from (n,), (n, 1) or one-hot (n, k) labels."""
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return np.rint(np.where(np.isfinite(y), y, 0)).astype(np.int64)


class Tracer:
    """Follows a run for a view: the network rebuilt from the config, the newest weights, the stages.

    ``set_data(extras)`` builds the model once; ``add_snapshot(snap)`` only keeps a
    heavy snapshot's weights; ``trace()`` loads them (if new and finite) and
    returns a :class:`Traced`, or None. ``message`` says why nothing can be shown.
    """

    def __init__(self, max_points=MAX_POINTS, dims=2):
        self.max_points = int(max_points)
        self.dims = int(dims)   # 3 for the 3D view: 3-unit stages as they are, wider ones on 3 PCs
        self.cache = ProjectionCache(max_dims=self.dims, wide_dims=self.dims)
        self.clear()

    def clear(self) -> None:
        self.model = None
        self.config = None
        self.x = self.y = None
        self._grid = None
        self._weights = None
        self.version = 0          # bumps when new weights arrive
        self.epoch = 0
        self.message = ""
        self.cache.clear()

    @property
    def ready(self) -> bool:
        return self.model is not None

    def set_data(self, extras) -> bool:
        """Build the network of ``extras["config"]`` for ``extras["data"]``; False if impossible."""
        self.clear()
        extras = extras or {}
        data = extras.get("data") or {}
        try:
            config = TrainingConfig.from_dict(extras["config"])
            x = np.asarray(data["x_train"], np.float32)
            y = labels_of(data["y_train"])
        except (KeyError, ValueError, TypeError):
            self.message = "No run to show yet."
            return False
        if x.ndim != 2 or len(x) == 0 or len(x) != len(y):
            self.message = "The run has no training data."
            return False
        if len(x) > self.max_points:
            keep = np.sort(np.random.default_rng(0).choice(len(x), self.max_points, replace=False))
            x, y = x[keep], y[keep]
        try:
            self.model = build_model(config, x.shape[1], max(2, int(y.max()) + 1))
        except ValueError as exc:
            self.message = str(exc)
            return False
        self.config, self.x, self.y = config, x, y
        self.version = 1
        return True

    @property
    def grid(self):
        """The :class:`core.analysis.uncrumple.geometry.Grid` of the input space, made on first use (None before a run).

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
        """Keep a heavy snapshot's weights; True if it had any."""
        if not snap.weights:
            return False
        self._weights = snap.weights
        self.epoch = snap.epoch
        self.version += 1
        return True

    def _load(self) -> None:
        w, self._weights = self._weights, None
        if w is None or self.model is None:
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
        self._load()
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
        return Traced(data, grid, proj, [_xy(c, d) for c in coords], [_xy(c, d) for c in gcoords], predicted)
