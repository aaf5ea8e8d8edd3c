"""The uncrumpling view (issue 4): the data and a grid of the input space through every stage.

One small panel per stage — input → ``dot(x, W)`` → ``+ b`` → activation → … — shows
the training points coloured by class, the input grid as deformed polylines and the
grid points coloured by the network's prediction (the decision regions). All maths
is in :mod:`core.geometry`; :class:`Tracer` follows a run (it rebuilds the network
from the run's config once and loads each heavy snapshot's weights) and hands the
views projected coordinates. The other uncrumpling views (stage player,
separability, neuron inspector, layer lab) live next to this module;
:func:`make_docks` returns them all for the main window.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.config import TrainingConfig, build_model
from core.geometry import ProjectionCache, input_grid, project_stages, stages
from viz import style

#: heavy snapshots are traced and drawn at most this often (seconds)
MIN_INTERVAL = 0.2
#: points drawn per panel at most (a fixed-seed subsample beyond)
MAX_POINTS = 1500


def labels_of(y) -> np.ndarray:
    """Integer class labels from (n,), (n, 1) or one-hot (n, k) labels."""
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return np.rint(np.where(np.isfinite(y), y, 0)).astype(np.int64)


@dataclass
class Traced:
    """What every uncrumpling view draws, for one set of weights.

    Attributes
    ----------
    stages, grid_stages : list of core.geometry.Stage
        The data's and the grid's stages.
    projections : list of core.geometry.Projection
    coords, grid_coords : list of ndarray of shape (n, 2) / (m, 2), float32
    predicted : ndarray of shape (m,), int
        The network's class for every grid point (the decision regions).
    """

    stages: list
    grid_stages: list
    projections: list
    coords: list
    grid_coords: list
    predicted: np.ndarray


class Tracer:
    """Follows a run for a view: the network rebuilt from the config, the newest weights, the stages.

    ``set_data(extras)`` builds the model once; ``add_snapshot(snap)`` only keeps a
    heavy snapshot's weights; ``trace()`` loads them (if new and finite) and
    returns a :class:`Traced`, or None. ``message`` says why nothing can be shown.
    """

    def __init__(self, max_points=MAX_POINTS):
        self.max_points = int(max_points)
        self.cache = ProjectionCache(max_dims=2, wide_dims=2)
        self.clear()

    def clear(self) -> None:
        self.model = None
        self.config = None
        self.x = self.y = None
        self.grid = None
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
        finite = np.isfinite(x).all(axis=1)
        self.grid = input_grid(x[finite] if finite.any() else np.zeros((2, x.shape[1]), np.float32))
        self.version = 1
        return True

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
        return Traced(data, grid, proj, [_xy(c) for c in coords], [_xy(c) for c in gcoords], predicted)


def _xy(c) -> np.ndarray:
    """(n, k) projected coordinates as (n, 2) float32 (a 1-unit stage on a line)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] >= 2:
        return np.ascontiguousarray(c[:, :2])
    return np.ascontiguousarray(np.column_stack([c[:, 0], np.zeros(len(c), np.float32)]))


def stage_title(stage, projection, note="") -> str:
    """Two-line HTML title: the stage, then the projection (and ``note``)."""
    return (f"<span style='font-size:10pt'>{stage.name}</span><br>"
            f"<span style='font-size:8pt; color:{style.MUTED}'>{projection.title}{note}</span>")


def bounds(*arrays, pad=0.08):
    """``(x0, x1, y0, y1)`` around the finite rows of (n, 2) arrays (robust 1-99 % range)."""
    pts = np.concatenate([a[np.isfinite(a).all(axis=1)] for a in arrays if len(a)] or [np.zeros((1, 2))])
    if len(pts) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


class StagePanel:
    """One stage's plot: decision-region grid points, the deformed grid, the data by class."""

    def __init__(self, plot: pg.PlotItem, n_classes: int = 2):
        self.plot = plot
        style.apply_plot_style(plot)
        plot.showGrid(x=False, y=False)
        plot.setAspectLocked(True)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setStyle(tickLength=-4)
        self.regions = [pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(style.tint(style.class_color(c), 0.55)),
                                           pxMode=True) for c in range(n_classes)]
        self.lines = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.MUTED, 150), width=1))
        self.points = []
        for c in range(n_classes):
            pen, brush = style.point_pen_brush(c, validation=False)
            self.points.append(pg.ScatterPlotItem(size=5, pen=pen, brush=brush, pxMode=True))
        for z, item in enumerate(self.regions + [self.lines] + self.points):
            item.setZValue(z)
            plot.addItem(item)

    def show(self, xy, labels, gxy, predicted, connect_idx, connect) -> None:
        """Draw data ``xy`` (n, 2) by ``labels``, grid ``gxy`` (m, 2) by ``predicted``."""
        for c, item in enumerate(self.regions):
            sel = gxy[predicted == c]
            item.setData(pos=sel[np.isfinite(sel).all(axis=1)])
        lx = gxy[connect_idx]
        ok = np.isfinite(lx).all(axis=1)
        lx = np.where(ok[:, None], lx, 0.0).astype(np.float32)
        self.lines.setData(lx[:, 0], lx[:, 1], connect=connect & ok & np.roll(ok, -1))
        for c, item in enumerate(self.points):
            sel = xy[labels == c]
            item.setData(pos=sel[np.isfinite(sel).all(axis=1)])

    def clear(self) -> None:
        for item in self.regions + self.points:
            item.setData(pos=np.zeros((0, 2)))
        self.lines.setData([], [])


class LayersView(QtWidgets.QWidget):
    """A grid of panels, one per stage of every layer (row i: layer i; the input top left).

    Public: ``panels`` (list of :class:`StagePanel`, in stage order), ``tracer``,
    ``notice`` (a message such as diverged weights), ``traced`` (the last
    :class:`Traced`), signal ``stage_clicked(int)``.
    """

    stage_clicked = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer()
        self.panels: list[StagePanel] = []
        self.traced = None
        self._drawn_version = 0
        self._last_draw = 0.0
        self._later = QtCore.QTimer(self, singleShot=True)
        self._later.timeout.connect(self.refresh)
        self.notice = QtWidgets.QLabel()
        self.notice.setStyleSheet(style.NOTICE_CSS)
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setToolTip("Each row is one layer: dot(x, W) rotates/scales the space, + b shifts it, the "
                                 "activation bends it. Points: training data by class; lines: a grid of the input "
                                 "space; shaded dots: the grid coloured by the network's prediction.")
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.notice)
        lay.addWidget(self.graphics, 1)

    # ---- contract ----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every panel."""
        self.tracer.clear()
        self.traced = None
        self._drawn_version = 0
        self._later.stop()
        self.graphics.clear()
        self.panels = []
        self._set_notice("")

    def set_data(self, extras: dict) -> None:
        """Rebuild the network of the run in ``extras`` and lay out one panel per stage."""
        self.clear()
        if not self.tracer.set_data(extras):
            self._set_notice(self.tracer.message)
            return
        self._layout()
        self._draw()

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights (light ones carry none); no drawing."""
        extras = snap.extras or {}
        if "data" in extras and "config" in extras and not self.tracer.ready:
            self.set_data(extras)
        self.tracer.add_snapshot(snap)

    def refresh(self) -> bool:
        """Trace and draw the newest weights, at most every ``MIN_INTERVAL`` s; whether it drew."""
        if not self.tracer.ready or self.tracer.version == self._drawn_version:
            return False
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return False
        return self._draw()

    # ---- drawing -----------------------------------------------------------------------------------
    def _layout(self) -> None:
        model = self.tracer.model
        n_classes = max(2, int(self.tracer.y.max()) + 1)
        dense = model.dense_layers
        n_stages = 1 + 3 * len(dense)
        for i in range(n_stages):
            row, col = (0, 0) if i == 0 else ((i - 1) // 3, 1 + (i - 1) % 3)
            plot = self.graphics.addPlot(row=row, col=col)
            self.panels.append(StagePanel(plot, n_classes))
        for r, layer in enumerate(dense[1:], start=1):
            text = (f"<b>layer {r + 1}</b><br>{layer.units} unit{'s' if layer.units != 1 else ''}"
                    f"<br>{layer.activation.name}")
            self.graphics.addLabel(text, row=r, col=0, color=style.FOREGROUND, size="10pt")
        rows = max(1, len(dense))
        self.graphics.setMinimumHeight(min(rows, 3) * 180)

    def _draw(self) -> bool:
        tr = self.tracer
        version = tr.version
        traced = tr.trace()
        self._drawn_version = version
        self._last_draw = time.monotonic()
        self._set_notice(tr.message)
        if traced is None or len(traced.coords) != len(self.panels):
            return False
        self.traced = traced
        idx = tr.grid.lines.ravel()
        connect = tr.grid.connect()
        for i, panel in enumerate(self.panels):
            xy, gxy = traced.coords[i], traced.grid_coords[i]
            line = traced.stages[i].width == 1
            if line:   # one unit: the value across, a fixed jitter up, so the points do not hide each other
                xy, gxy = self._spread(xy), self._spread(gxy)
            panel.plot.setAspectLocked(not line)
            panel.show(xy, tr.y, gxy, traced.predicted, idx, connect & (not line))
            style.title(panel.plot, stage_title(traced.stages[i], traced.projections[i],
                                                " · spread up and down" if line else ""))
            x0, x1, y0, y1 = bounds(xy, pad=0.25)
            panel.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            panel.plot.getAxis("left").setStyle(showValues=not line)
        return True

    @staticmethod
    def _spread(xy: np.ndarray) -> np.ndarray:
        """A 1-unit stage's (n, 2) coordinates with y replaced by a fixed jitter scaled to the x range."""
        x = xy[:, 0]
        fin = x[np.isfinite(x)]
        span = float(np.ptp(fin)) if len(fin) else 1.0
        jitter = np.random.default_rng(len(x)).uniform(-0.5, 0.5, len(x)).astype(np.float32)
        return np.column_stack([x, jitter * max(span, 1e-3) * 0.4]).astype(np.float32)

    def _set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _clicked(self, event) -> None:
        for i, panel in enumerate(self.panels):
            if panel.plot.sceneBoundingRect().contains(event.scenePos()):
                self.stage_clicked.emit(i)
                return


def make_docks(window) -> list[tuple[str, str, QtWidgets.QWidget]]:
    """The uncrumpling docks for the main window: ``(title, objectName, widget)``.

    Register every widget that has ``add_snapshot`` with ``window.session.add_view``.
    """
    from viz.views.inspector import InspectorView
    from viz.views.lab import LabView
    from viz.views.separability import SeparabilityView
    from viz.views.stage_player import StagePlayer
    layers = LayersView()
    return [("Layers", "dock_layers", layers),
            ("Stage player", "dock_stage_player", StagePlayer()),
            ("Separability", "dock_separability", SeparabilityView()),
            ("Neuron inspector", "dock_inspector", InspectorView()),
            ("Layer lab", "dock_layer_lab", LabView())]
