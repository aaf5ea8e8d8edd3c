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
from PySide6 import QtCore, QtGui, QtWidgets

from core.config import TrainingConfig, build_model
from core.geometry import ProjectionCache, input_grid, project_stages, stages
from viz import style
from viz.views import gl3d
from viz.views.gl3d import opengl_available

#: heavy snapshots are traced and drawn at most this often (seconds)
MIN_INTERVAL = 0.2
#: panels redrawn per event-loop turn at most: a refresh is spread over several turns, each with its own paint,
#: so no single turn blocks the GUI thread for long (one panel: ~1 ms to set, ~2 ms to paint)
PANELS_PER_TURN = 2
#: a panel's view range follows the data only when an edge moves by more than this fraction of the span
#: (a new range regenerates both axes and costs more than the panel's data)
RANGE_SLACK = 0.1
#: points drawn per panel at most (a fixed-seed subsample beyond)
MAX_POINTS = 1500
#: points per grid line (and, for 2D inputs, grid points per side: the input panel's region image)
GRID_RESOLUTION = 41
#: the grid's top right corner, beside the input panel
GUIDE = ("Each row is one layer:<br>dot(x, W) turns and stretches,<br>+ b shifts, the activation bends."
         "<br>Click a panel: play from it.<br>Right-click: pick the units.")


def notice_3d(gl: bool) -> str:
    """What the 3D notice says, with or without OpenGL (:mod:`viz.views.gl3d`)."""
    if gl:
        return ("3D data and 3-unit stages are shown on a 2D projection here (each title says which); "
                "press 3D to rotate them in 3D.")
    return f"{gl3d.fallback_text()} 3D data and 3-unit stages are drawn flat; each title says which projection."


def behind_tab(widget: QtWidgets.QWidget) -> bool:
    """True if ``widget`` is shown but none of it can be seen: its dock is a tab behind another.

    Qt 6.11 keeps tabified docks behind the front tab "visible" (``isVisible()`` stays
    True), so a visibility test alone redraws every tab. Views return early from
    ``refresh`` then; the dock's ``visibilityChanged`` refreshes them when they come
    to the front. A widget never shown (``isVisible()`` False) is not behind a tab.
    """
    return widget.isVisible() and widget.visibleRegion().isEmpty()


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

    def __init__(self, max_points=MAX_POINTS, dims=2):
        self.max_points = int(max_points)
        self.dims = int(dims)   # 3 for the 3D view: 3-unit stages as they are, wider ones on 3 PCs
        self.cache = ProjectionCache(max_dims=self.dims, wide_dims=self.dims)
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
        self.grid = input_grid(x[finite] if finite.any() else np.zeros((2, x.shape[1]), np.float32),
                               resolution=GRID_RESOLUTION, lines_per_axis=21)
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
        d = self.dims
        return Traced(data, grid, proj, [_xy(c, d) for c in coords], [_xy(c, d) for c in gcoords], predicted)


def _xy(c, dims=2) -> np.ndarray:
    """(n, k) projected coordinates as (n, dims) float32 (zero-padded: a 1-unit stage on a line)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] >= dims:
        return np.ascontiguousarray(c[:, :dims])
    out = np.zeros((len(c), dims), np.float32)
    out[:, :c.shape[1]] = c
    return out


def stage_title(stage, projection, note="") -> str:
    """Two-line HTML title: the stage, then the projection (and ``note``)."""
    return (f"<span style='font-size:10pt'>{stage.name}</span><br>"
            f"<span style='font-size:8pt; color:{style.MUTED}'>{projection.title}{note}</span>")


def panel_title(stage, projection, note="") -> tuple[str, str]:
    """``(full, short)`` one-line titles of a panel in the grid: ``"dot(x, W) · PCA of 8 units (…)"``
    and ``"dot(x, W)"`` (the layer's name and projection are in its row label)."""
    short = stage.name.split(": ", 1)[-1]
    return f"{short} · {projection.title}{note}", short


def row_text(name: str, lines=(), projection=None) -> str:
    """A row label's HTML: ``name`` in bold, then ``lines``, then the projection's shares, muted."""
    muted = []
    if projection is not None and projection.kind == "pca":
        muted = [label for label in projection.labels if label]
    elif projection is not None and projection.kind == "units":
        muted = [projection.title]
    tail = "".join(f"<br><span style='font-size:8pt; color:{style.MUTED}'>{m}</span>" for m in muted)
    return f"<b>{name}</b>" + "".join(f"<br>{t}" for t in lines) + tail


def _narrow_min(label) -> None:
    """Let a LabelItem be narrower than its text (it never forces the view wider than the dock)."""
    update_min = label.updateMin

    def small_min():
        update_min()
        label.setMinimumWidth(1)
    label.updateMin = small_min
    label.setMinimumWidth(1)


def fit_title(plot, full: str, short: str) -> None:
    """Set a one-line title showing ``full`` if it fits the panel, else ``short`` (elided if need be);
    ``titleLabel.text`` and the tooltip keep ``full``. Re-fitted whenever the panel is resized."""
    label = plot.titleLabel
    if getattr(label, "_fit", None) == (full, short):
        return
    if not hasattr(label, "_fit"):
        _narrow_min(label)
        label.geometryChanged.connect(lambda: _fit_now(label))
    label._fit = (full, short)
    plot.setTitle(full, color=style.FOREGROUND, size=style.TITLE_SIZE)
    _fit_now(label)


def _fit_now(label) -> None:
    full, short = getattr(label, "_fit", ("", ""))
    if not full or getattr(label, "_fitting", False):
        return
    font = label.item.font()
    font.setPointSizeF(float(style.TITLE_SIZE[:-2]))
    metrics, width = QtGui.QFontMetricsF(font), max(label.width() - 6, 12)
    shown = full if metrics.horizontalAdvance(full) <= width else \
        metrics.elidedText(short, QtCore.Qt.TextElideMode.ElideRight, width)
    label._fitting = True
    try:
        pg.LabelItem.setText(label, shown)
        label.text = full
        label.setToolTip(full)
    finally:
        label._fitting = False


def bounds(*arrays, pad=0.08):
    """``(x0, x1, y0, y1)`` around the finite rows of (n, 2) arrays (robust 1-99 % range)."""
    pts = np.concatenate([a[np.isfinite(a).all(axis=1)] for a in arrays if len(a)] or [np.zeros((1, 2))])
    if len(pts) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


class LayersView(QtWidgets.QWidget):
    """A grid of panels: row 0 the input, row k the three stages of layer k, a label on the left of each row.

    Public: ``panels`` (list of :class:`StagePanel`, in stage order), ``tracer``,
    ``notice`` (a message such as diverged weights), ``traced`` (the last
    :class:`Traced`), ``drawing`` (panels still to redraw), signal ``stage_clicked(int)``.

    A refresh traces the new weights once, then redraws the panels
    ``PANELS_PER_TURN`` per event-loop turn (a 0 ms timer), each turn painted before
    the next; weights arriving meanwhile wait for the round to end (only the newest
    is drawn next). A view that is not shown draws everything at once.
    """

    stage_clicked = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer()
        self.panels: list = []            # StagePanel per stage
        self.row_labels: list = []        # LabelItem per row: the input, then each layer
        self.traced = None
        self.drawing: list[int] = []      # panel indices still to draw with ``traced``
        self._unbuilt = False             # a run is set but its panels are not made yet (it came behind a tab)
        self._drawn_version = 0
        self._last_draw = 0.0
        self._connect_idx = self._connect = None
        self._jitter: dict[int, np.ndarray] = {}
        self._later = QtCore.QTimer(self, singleShot=True)
        self._later.timeout.connect(self.refresh)
        self._turn = QtCore.QTimer(self, singleShot=True, interval=0)   # 0 ms: after the paints of the last turn
        self._turn.timeout.connect(self._draw_turn)
        self.notice = QtWidgets.QLabel()
        self.notice.setStyleSheet(style.NOTICE_CSS)
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.gl_notice = QtWidgets.QLabel()
        self.gl_notice.setStyleSheet(style.NOTICE_CSS)
        self.gl_notice.setToolTip("The network sees all three coordinates; the panel shows two of their "
                                  "directions (principal components), fixed for the whole run.")
        self.gl_notice.setVisible(False)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setToolTip("Each row is one layer: dot(x, W) rotates/scales the space, + b shifts it, the "
                                 "activation bends it. Points: training data by class; lines: a grid of the input "
                                 "space coloured by the network's prediction. Click a panel to play from it; "
                                 "right-click to pick the units shown or save an image.")
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.notice)
        from viz.views.stages3d import Stages3DView, Switch3D   # stages3d imports this module
        self.switch3d = Switch3D(self, self.graphics, Stages3DView, "Show one stage at a time in a rotatable 3D "
                                 "view (3-unit stages and 3-D data as they are, wider ones on 3 principal components).")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.gl_notice, 1, QtCore.Qt.AlignmentFlag.AlignLeft)
        top.addWidget(self.switch3d.button, 0, QtCore.Qt.AlignmentFlag.AlignRight)
        lay.addLayout(top)
        lay.addWidget(self.graphics, 1)

    # ---- contract ----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every panel."""
        self.switch3d.clear()
        self.tracer.clear()
        self.traced = None
        self.drawing = []
        self._unbuilt = False
        self._drawn_version = 0
        self._later.stop()
        self._turn.stop()
        self.graphics.clear()
        self.panels = []
        self.row_labels = []
        self._jitter = {}
        self._set_notice("")
        self.gl_notice.setVisible(False)

    def set_data(self, extras: dict) -> None:
        """Rebuild the network of the run in ``extras`` and lay out one panel per stage.

        Behind another tab the panels (~25 ms each to make) wait until the view is in front.
        """
        self.clear()
        self.switch3d.set_data(extras)
        if not self.tracer.set_data(extras):
            self._set_notice(self.tracer.message)
            return
        if behind_tab(self):
            self._unbuilt = True
            return
        self._build()

    def _build(self) -> None:
        """Make the panels of the run set and draw them."""
        self._unbuilt = False
        grid = self.tracer.grid
        self._connect_idx, self._connect = grid.lines.ravel(), grid.connect()
        self._layout()
        self._draw()
        if self.traced is not None and any(st.width == 3 for st in self.traced.stages):
            self.gl_notice.setText(notice_3d(opengl_available()))
            self.gl_notice.setVisible(True)

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights (light ones carry none); no drawing."""
        extras = snap.extras or {}
        if "data" in extras and "config" in extras and not self.tracer.ready:
            self.set_data(extras)
        self.tracer.add_snapshot(snap)
        self.switch3d.add_snapshot(snap)

    def refresh(self) -> bool:
        """Trace the newest weights and start redrawing the panels, at most every ``MIN_INTERVAL`` s.

        Returns whether it traced. Nothing happens while a round of panels is still
        being drawn (the round's end refreshes again) or while the view is behind
        another tab (:func:`behind_tab`).
        """
        if self.switch3d.active:                        # the 3D view is shown instead of the panels
            return self.switch3d.refresh()
        if not self.tracer.ready or behind_tab(self):
            return False
        if self._unbuilt:
            self._build()
            return True
        if self.tracer.version == self._drawn_version or self.drawing:
            return False
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return False
        return self._draw(spread=self.isVisible())

    def finish(self) -> None:
        """Draw the panels still due now (before an image is taken, say)."""
        if self._unbuilt:
            self._build()
        self._turn.stop()
        while self.drawing:
            self._draw_panel(self.drawing.pop(0))
        self._fit_width()

    # ---- drawing -----------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Row 0: the input's label, its panel and a short guide; row k: layer k's label and its
        three panels (dot, + b, activation). Three panels a row and one-line titles fit a ~430 px dock."""
        from viz.views.stage_player import StagePanel   # stage_player imports this module
        model = self.tracer.model
        n_classes = max(2, int(self.tracer.y.max()) + 1)
        dense = model.dense_layers
        n_stages = 1 + 3 * len(dense)
        for i in range(n_stages):
            row, col = (0, 1) if i == 0 else (1 + (i - 1) // 3, 1 + (i - 1) % 3)
            plot = self.graphics.addPlot(row=row, col=col)
            self.panels.append(StagePanel(plot, n_classes))
        self.row_labels = []
        d = self.tracer.x.shape[1]
        for r, lines in enumerate([(f"{d} feature{'s' if d != 1 else ''}",)]
                                  + [(f"{layer.units} unit{'s' if layer.units != 1 else ''}", layer.activation.name)
                                     for layer in dense]):
            label = self.graphics.addLabel(row_text("input" if r == 0 else f"layer {r}", lines), row=r, col=0,
                                           color=style.FOREGROUND, size="9pt")
            label._lines = lines
            self.row_labels.append(label)
        guide = self.graphics.addLabel(GUIDE, row=0, col=2, colspan=2, color=style.MUTED, size="8pt", justify="left")
        _narrow_min(guide)
        lay = self.graphics.ci.layout
        lay.setColumnStretchFactor(0, 0)
        for c in (1, 2, 3):
            lay.setColumnStretchFactor(c, 1)
        rows = 1 + len(dense)
        self.graphics.setMinimumHeight(min(rows, 3) * 130)   # scroll-free; the dock grows it
        self._fit_width()

    def _fit_width(self) -> None:
        """As wide as the panels (and their titles) need: a narrow dock then scrolls sideways
        instead of clipping the last column. Changes only when the titles' widths do.
        Measured on the next turn, once pyqtgraph has laid out the new titles."""
        QtCore.QTimer.singleShot(0, self, self._fit_width_now)

    def _fit_width_now(self) -> None:
        self.graphics.ci.layout.activate()
        need = int(self.graphics.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).width()) + 8
        if need != self.graphics.minimumWidth():
            self.graphics.setMinimumWidth(need)

    def _draw(self, spread: bool = False) -> bool:
        """Trace the newest weights; draw every panel now, or (``spread``) over the next event-loop turns."""
        tr = self.tracer
        version = tr.version
        traced = tr.trace()
        self._drawn_version = version
        self._last_draw = time.monotonic()
        self._set_notice(tr.message)
        self._turn.stop()
        self.drawing = []
        if traced is None or len(traced.coords) != len(self.panels):
            return False
        self.traced = traced
        self.drawing = list(range(len(self.panels)))
        if spread:
            self._turn.start()
        else:
            self.finish()
        return True

    def _draw_turn(self) -> None:
        """One event-loop turn's share of a round: ``PANELS_PER_TURN`` panels; the last turn refreshes again."""
        for _ in range(PANELS_PER_TURN):
            if self.drawing:
                self._draw_panel(self.drawing.pop(0))
        if self.drawing:
            self._turn.start()
        else:
            self._fit_width()
            self.refresh()   # weights that came during the round (or a deferral until MIN_INTERVAL is over)

    def _draw_panel(self, i: int) -> None:
        tr, traced, panel = self.tracer, self.traced, self.panels[i]
        xy, gxy = traced.coords[i], traced.grid_coords[i]
        line = traced.stages[i].width == 1
        if line:   # one unit: the value across, a fixed jitter up, so the points do not hide each other
            xy, gxy = self._spread(xy), self._spread(gxy)
        panel.set_aspect_locked(not line)
        panel.show(xy, tr.y, gxy, traced.predicted, self._connect_idx, self._connect, dots=line)
        if i == 0 and tr.x.shape[1] == 2:   # the grid points are a row-major image of the plane
            g = tr.grid.points
            panel.show_regions(traced.predicted, (g[:, 0].min(), g[:, 0].max(), g[:, 1].min(), g[:, 1].max()))
        st, proj = traced.stages[i], traced.projections[i]
        fit_title(panel.plot, *panel_title(st, proj, " · spread up and down" if line else ""))
        if st.kind in ("input", "activation"):   # the row label names the layer's projection once
            label = self.row_labels[st.layer + 1]
            text = row_text("input" if st.layer < 0 else f"layer {st.layer + 1}", label._lines, proj)
            if text != label.text:
                label.setText(text)
        panel.set_range(bounds(xy, pad=0.25), slack=RANGE_SLACK)
        panel.show_values(not line)

    def _spread(self, xy: np.ndarray) -> np.ndarray:
        """A 1-unit stage's (n, 2) coordinates with y replaced by a fixed jitter scaled to the x range."""
        x = xy[:, 0]
        fin = x[np.isfinite(x)]
        span = float(np.ptp(fin)) if len(fin) else 1.0
        jitter = self._jitter.get(len(x))
        if jitter is None:
            jitter = self._jitter[len(x)] = np.random.default_rng(len(x)).uniform(-0.5, 0.5, len(x)).astype(np.float32)
        return np.column_stack([x, jitter * max(span, 1e-3) * 0.4]).astype(np.float32)

    def _set_notice(self, text: str) -> None:
        if text != self.notice.text():
            self.notice.setText(text)
        if bool(text) != self.notice.isVisibleTo(self):
            self.notice.setVisible(bool(text))

    def use_units(self, index: int, units) -> None:
        """Show chosen units (0-based) of stage ``index``'s layer as the axes, or ``None`` for PCA."""
        if units is None:
            self.tracer.cache.use_pca(index)
        else:
            self.tracer.cache.use_units(index, units)
        self.tracer.version += 1
        for panel in self.panels:   # a new projection: the ranges start afresh
            panel.forget_range()
        self._draw()

    def export_image(self, path: str) -> None:
        """Save every panel as one PNG (or SVG if ``path`` ends in .svg)."""
        self.finish()
        if str(path).lower().endswith(".svg"):   # Qt's SVG painter (pyqtgraph's SVG exporter fails on Qt 6.11 paths)
            from PySide6.QtGui import QPainter
            from PySide6.QtSvg import QSvgGenerator
            gen = QSvgGenerator()
            gen.setFileName(str(path))
            gen.setSize(self.graphics.size())
            gen.setViewBox(self.graphics.rect())
            gen.setTitle("Uncrumple: layers")
            painter = QPainter(gen)
            self.graphics.render(painter)
            painter.end()
        elif not self.graphics.grab().save(str(path)):
            raise OSError(f"Could not write {path}")

    def _clicked(self, event) -> None:
        for i, panel in enumerate(self.panels):
            if panel.plot.sceneBoundingRect().contains(event.scenePos()):
                if event.button() == QtCore.Qt.MouseButton.RightButton:
                    self._menu(i, event.screenPos().toPoint())
                else:
                    self.stage_clicked.emit(i)
                return

    def _menu(self, i: int, at) -> None:
        menu = QtWidgets.QMenu(self)
        auto = menu.addAction("Automatic projection (as is, or PCA)")
        pick = menu.addAction("Show chosen units…")
        save = menu.addAction("Save image…")
        pick.setEnabled(self.traced is not None and self.traced.stages[i].width > 1)
        chosen = menu.exec(at)
        if chosen is auto:
            self.use_units(i, None)
        elif chosen is pick:
            width = self.traced.stages[i].width
            text, ok = QtWidgets.QInputDialog.getText(self, "Show units", f"Two units, 0 to {width - 1} (e.g. 0, 1):")
            if ok:
                try:
                    self.use_units(i, [int(t) for t in text.replace(",", " ").split()][:2])
                except ValueError as exc:
                    self._set_notice(str(exc))
        elif chosen is save:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save image", "layers.png",
                                                            "PNG (*.png);;SVG (*.svg)")
            if path:
                self.export_image(path)


def make_docks(window) -> list[tuple[str, str, QtWidgets.QWidget]]:
    """The uncrumpling docks for the main window: ``(title, objectName, widget)``.

    Register every widget that has ``add_snapshot`` with ``window.session.add_view``.
    """
    from viz.views.inspector import InspectorView
    from viz.views.lab import LabView
    from viz.views.separability import SeparabilityView
    from viz.views.stage_player import StagePlayer
    layers, player = LayersView(), StagePlayer()
    layers.stage_clicked.connect(lambda i: player.set_position(float(i)))   # a panel click jumps the player there
    return [("Layers", "dock_layers", layers),
            ("Stage player", "dock_stage_player", player),
            ("Separability", "dock_separability", SeparabilityView()),
            ("Neuron inspector", "dock_inspector", InspectorView()),
            ("Layer lab", "dock_layer_lab", LabView())]
