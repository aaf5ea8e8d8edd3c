"""The uncrumpling view (issue 4): the data and a grid of the input space through every stage.

One small panel per stage — input → ``dot(x, W)`` → ``+ b`` → activation → … — shows
the training points coloured by class, the input grid as deformed polylines and the
grid points coloured by the network's prediction (the decision regions). All maths
is in :mod:`core.analysis.uncrumple.geometry`; a :class:`viz.views.uncrumple.tracer.Tracer`
follows the run (the run's network, each heavy snapshot's weights) and hands the view
projected coordinates; each panel is a :class:`viz.views.uncrumple.stage_panel.StagePanel`.
The grid of panels: row 0 the input's label, its panel and a short guide; row k layer k's
label and its three panels (dot, + b, activation). The other uncrumpling views (stage player,
separability, neuron inspector, layer lab) live next to this module; the main window's dock
registry (:mod:`viz.app.layout.docks`) builds them all.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.names import layer_name
from viz import style
from viz.views.common import gl3d
from viz.views.common.gl3d import Switch3D, opengl_available
from viz.views.common.view import View
from viz.views.common.visibility import unseen
from viz.views.uncrumple.stage_panel import StagePanel, bounds, fit_title, narrow_min
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.uncrumple.target_colors import TargetBar, target_limit
from viz.views.uncrumple.trace_jobs import TraceJobs
from viz.views.uncrumple.tracer import Tracer

#: a row's view range follows the data only when an edge moves by more than this fraction of the span
#: (a new range regenerates both axes and costs more than the panel's data)
RANGE_SLACK = 0.1
#: pixels a panel needs at least (its plot area with axes and title): deeper networks scroll
MIN_ROW_HEIGHT = 150
#: from this layer (0-based) on, every second grid line is drawn, lighter: the folds of deep layers
#: make a full grid a tangle
SPARSE_FROM_LAYER = 1
#: a 1-unit stage's title note: how its points are spread (classification) or placed (regression)
SPREAD_NOTE = " · spread up and down"
TARGET_NOTE = " · up: target y"
#: the grid's top right corner, beside the input panel
GUIDE = ("Each row is one layer, on one scale:<br>dot(x, W) turns and stretches,<br>+ b shifts (arrow),"
         "<br>the activation folds.<br>Grey dots: the stage before.<br>Click a panel: play from it.")


def notice_3d(gl: bool) -> tuple[str, str]:
    """What the 3D notice says, with or without OpenGL (:mod:`viz.views.common.gl3d`): ``(text, tooltip)``,
    the text one short line."""
    if gl:
        return ("3-D stages drawn flat (two directions, see the row labels): press 3D to rotate them",
                "3D data and 3-unit stages are shown on a 2D projection here (each row label says which); "
                "press 3D to rotate them in 3D.")
    return ("3-D stages drawn flat (two directions, see the row labels); no OpenGL for 3D here",
            f"{gl3d.fallback_text()} 3D data and 3-unit stages are drawn flat; each row label says which "
            "projection.")


def panel_title(stage, projection, note="") -> tuple[str, str]:
    """``(full, short)`` one-line titles of a panel in the grid: ``"dot(x, W) · PCA of 8 units (…)"``
    and ``"dot(x, W)"`` (the layer's name and projection are in its row label)."""
    short = stage.name.split(" · ", 1)[-1]
    return f"{short} · {projection.title}{note}", short


def row_text(name: str, lines=(), projection=None) -> str:
    """A row label's HTML: ``name`` in bold, then ``lines``, then the projection's shares, muted."""
    muted = []
    if projection is not None and projection.kind == "pca":
        muted = [label for label in projection.labels if label]
    elif projection is not None and projection.kind == "units":
        muted = [projection.title]
    tail = "".join(f"<br><span style='font-size:8pt; color:{style.palette().muted}'>{m}</span>" for m in muted)
    name = name.replace(" (", "<br>(")      # "Layer 3<br>(output)": the labels' column stays narrow
    return f"<b>{name}</b>" + "".join(f"<br>{t}" for t in lines) + tail


def _finite_x(xy: np.ndarray) -> np.ndarray:
    x = np.asarray(xy)[:, 0]
    return x[np.isfinite(x)]


def _span(xy: np.ndarray) -> float:
    fin = _finite_x(xy)
    return float(np.ptp(fin)) if len(fin) else 1.0


def spread_1d(xy: np.ndarray, jitters: dict, span: float | None = None) -> np.ndarray:
    """A 1-unit stage's (n, 2) coordinates with y replaced by a fixed jitter scaled to ``span`` (by
    default the x range).

    ``jitters`` caches the (n,) jitter per n, so the points do not hop between frames.
    """
    x = xy[:, 0]
    span = _span(xy) if span is None else float(span)
    jitter = jitters.get(len(x))
    if jitter is None:
        jitter = jitters[len(x)] = np.random.default_rng(len(x)).uniform(-0.5, 0.5, len(x)).astype(np.float32)
    return np.column_stack([x, jitter * max(span, 1e-3) * 0.4]).astype(np.float32)


def sparse_lines(lines: np.ndarray, step: int = 2) -> np.ndarray:
    """The grid lines kept when every ``step``-th is drawn: (n_lines,) bool over ``Grid.lines``.

    A plane's grid (:func:`core.analysis.uncrumple.geometry.plane_grid`) is two families of
    parallel lines, each keeping its first and last; a 3-D lattice or a single line keeps all.
    """
    n = len(lines)
    keep = np.ones(n, bool)
    if n >= 4 and n % 2 == 0 and step > 1:
        half = n // 2
        k = np.arange(half)
        fam = (k % step == 0) | (k == half - 1)
        keep = np.concatenate([fam, fam])
    return keep


def target_coords(xy: np.ndarray, target: np.ndarray) -> np.ndarray:
    """A 1-unit stage's (n, 2) coordinates of a regression run: the unit's value across, the target
    ``target`` (n,) up (the input of 1-D data: the data as a curve; the output: predicted against
    target, on the diagonal when the fit is good)."""
    return np.column_stack([np.asarray(xy)[:, 0], np.asarray(target, np.float32)]).astype(np.float32)


def shift_arrow(before: np.ndarray, after: np.ndarray) -> tuple:
    """``(start, end)`` of the arrow that shows a shift: from the centre of ``before`` (n, 2) to the
    same point moved as the points moved (``+ b`` moves every point by the projected ``b``), or
    ``(None, None)`` if nothing finite moved."""
    ok = np.isfinite(before).all(axis=1) & np.isfinite(after).all(axis=1)
    if not ok.any():
        return None, None
    start = np.median(before[ok], axis=0)
    return start, start + np.mean(after[ok] - before[ok], axis=0)


def row_range(coords, pad: float = 0.12) -> tuple:
    """One ``(x0, x1, y0, y1)`` around every stage of a row (robust, :func:`bounds`): dot(x, W), + b and
    the activation on one scale, so a stretch, the shift and the fold show as they are."""
    return bounds(*coords, pad=pad)


def save_graphics(graphics: pg.GraphicsLayoutWidget, path: str, title: str = "Uncrumple: layers") -> None:
    """Save ``graphics`` as SVG (for a ``.svg`` name) or PNG; OSError if the PNG cannot be written."""
    if str(path).lower().endswith(".svg"):   # Qt's SVG painter (pyqtgraph's SVG exporter fails on Qt 6.11 paths)
        from PySide6.QtSvg import QSvgGenerator
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(graphics.size())
        gen.setViewBox(graphics.rect())
        gen.setTitle(title)
        painter = QtGui.QPainter(gen)
        graphics.render(painter)
        painter.end()
    elif not graphics.grab().save(str(path)):
        raise OSError(f"Could not write {path}")


class LayersView(View):
    """A grid of panels: row 0 the input, row k the three stages of layer k, a label on the left of each row.

    Public: ``panels`` (list of :class:`StagePanel`, in stage order), ``row_labels``, ``tracer``,
    ``notice`` (a message such as diverged weights), ``traced`` (the last
    :class:`viz.views.uncrumple.tracer.Traced`), ``row_ranges`` (the ``(x0, x1, y0, y1)`` each row
    shows: one scale for a layer's three panels), ``switch3d`` (the "3D" button and its view),
    signal ``stage_clicked(int)``.

    Within a layer's row, ``+ b`` shows ``dot(x, W)`` as grey dots and an arrow of the shift, the
    activation shows ``+ b`` as grey dots. The panels (~25 ms each to make; for an image run the
    input grid is a PCA plane of 784 pixels and the first trace three more PCAs) are made on the
    first refresh on screen (``deferred``). A refresh traces the new weights once and updates every
    panel's items in place; the redraw clock has it do so one row a step (:meth:`refresh_parts`),
    each row's paint a step of its own. A heavy network's trace (:attr:`Tracer.heavy`: MNIST's, ~1 s
    for its first) runs in a worker thread (``jobs``) and its rows are drawn when it is done.

    The panels outlive a run: a new run re-uses the plots of the one before (a new plot with its
    axes and menu costs ~20 ms, its first layout and paint as much again), making only the ones
    it lacks and hiding the ones it does not need.
    """

    deferred = True
    #: heavy snapshots are traced and drawn at most this often (seconds)
    min_interval = 0.2

    stage_clicked = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer()
        self.panels: list = []            # StagePanel per stage
        self.row_labels: list = []        # LabelItem per row: the input, then each layer
        self.traced = None
        self.row_ranges: list = []        # (x0, x1, y0, y1) per row as last set
        self._connect_idx = self._connect = self._connect_sparse = None
        self._jitter: dict[int, np.ndarray] = {}
        self._shown: list = []            # each stage's points as drawn, of the last trace
        self._due_rows: set = set()       # rows of the last trace still to draw
        self._whole_paint = False         # a build laid the panels out anew: paint them all
        self._cells: dict = {}            # (row, col) -> every StagePanel made, re-used by later runs
        self._n_stages = 0                # this run's panels (``panels`` holds those made so far)
        self._stepping = False            # building in the clock's first row step
        self._guide = None                # the guide label, made once
        self._labels: list = []           # every row label made (row_labels: this run's)
        self.jobs = TraceJobs(self, self.tracer, "uncrumple-layers-trace")   # one at a time, here or in a worker
        self.jobs.finished.connect(self._on_traced)
        self.notice = QtWidgets.QLabel()
        self.notice.setStyleSheet(style.palette().notice_css)
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.gl_notice = QtWidgets.QLabel()
        self.gl_notice.setStyleSheet(style.palette().notice_css)
        self.gl_notice.setMinimumWidth(1)
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
        self.switch3d = Switch3D(self, self.graphics, Stages3DView, "Show one stage at a time in a rotatable 3D "
                                 "view (3-unit stages and 3-D data as they are, wider ones on 3 principal components).")
        self.target_bar = TargetBar()
        self.target_bar.setVisible(False)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.target_bar, 0)
        top.addWidget(self.gl_notice, 1)
        top.addWidget(self.switch3d.button, 0, QtCore.Qt.AlignmentFlag.AlignRight)
        lay.addLayout(top)
        lay.addWidget(self.graphics, 1)

    # ---- lifecycle -----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run: its panels are emptied and hidden, kept for the next run; a trace under
        way is dropped."""
        self.switch3d.clear()
        self.jobs.forget()
        self.tracer.clear()
        self.traced = None
        self.row_ranges = []
        self._n_stages = 0
        for panel in self.panels:
            panel.plot.setVisible(False)
        self.panels = []
        for label in self._labels:
            label.setVisible(False)
        self.row_labels = []
        self._jitter = {}
        self._shown = []
        self._due_rows = set()
        self._set_notice("")
        self.gl_notice.setVisible(False)
        self.target_bar.setVisible(False)
        super().clear()

    def set_run(self, run) -> None:
        """The 3D view gets the run at once (it puts off its own build); the panels are made by :meth:`build`."""
        self.switch3d.set_run(run)
        super().set_run(run)

    def build(self, run) -> None:
        """Take the run's network, lay out one panel per stage and draw them."""
        if not self.tracer.set_run(run):
            self._set_notice(self.tracer.message)
            return
        self._connect_idx = None                        # from the grid, once there is one
        if self.tracer.regression:
            self.target_bar.set_limit(target_limit(self.tracer.y))
        self.target_bar.setVisible(self.tracer.regression)
        self._layout()
        self._whole_paint = True                        # the panels moved: the next paint is the whole plot
        if self.tracer.heavy:
            self.jobs.start_trace()                     # drawn when the worker is done
        else:
            self._trace()
        if not self._stepping:                          # else the clock's next steps make and draw the rows
            self._ensure_panels(self._n_stages)
            self._draw_due_rows()
        self.switch3d.refresh()                          # the 3D view, when it is shown in place of the panels

    def _show_gl_notice(self) -> None:
        """The notice for 3-unit stages drawn flat (once the first trace says there are some)."""
        if self.traced is not None and any(st.width == 3 for st in self.traced.stages) \
                and not self.gl_notice.isVisibleTo(self):
            text, tip = notice_3d(opengl_available())
            self.gl_notice.setText(text)
            self.gl_notice.setToolTip(tip)
            self.gl_notice.setVisible(True)

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights (light ones carry none); no drawing."""
        self.tracer.add_snapshot(snap)
        self.switch3d.add_snapshot(snap)

    def draw(self) -> bool:
        """Trace the newest weights and update every panel; whether it traced.

        Nothing happens while the view cannot be seen (:func:`viz.views.common.visibility.unseen`).
        """
        if self.switch3d.active:                        # the 3D view is shown instead of the panels
            return self.switch3d.refresh()
        if not self.tracer.ready or unseen(self):
            return False
        if self.jobs.due:
            if self.tracer.heavy:
                self.jobs.start_trace()
            else:
                return self._draw()
        return self._draw_due_rows()

    def finish(self) -> None:
        """Draw the newest weights now (before an image is taken, say), waiting for a trace under way."""
        super().finish()
        if self.jobs.busy:
            result, _error = self.jobs.wait()
            self._on_traced(result)
        if self.jobs.due and not self.switch3d.active:
            self._draw()
        elif not self.switch3d.active:
            self._draw_due_rows()

    # ---- tracing in the worker (heavy networks) -----------------------------------------------------
    def _on_traced(self, result) -> None:
        """A worker's trace is done: keep it, and have the clock draw its rows."""
        if result is None or not self._use(self.tracer.accept(result)):
            self._set_notice(self.tracer.message)
            return
        self.redraw_wanted.emit()

    def _draw_due_rows(self) -> bool:
        """Draw every row of the last trace not drawn yet; whether there was one."""
        if not self._due_rows or self.traced is None:
            return False
        self._ensure_panels(self._n_stages)
        for row in sorted(self._due_rows):
            for i in self._row_panels(row):
                self._draw_panel(i, self._shown)
        self._due_rows = set()
        self._fit_width()
        return True

    # ---- drawing -----------------------------------------------------------------------------------
    def _layout(self) -> None:
        """One panel per stage and a label per row; three panels a row and one-line titles fit a ~430 px dock.

        The panels and labels of earlier runs are re-used where they are (same row and column); only
        the missing ones are made, and the rest stay hidden."""
        graphics, dense = self.graphics, self.tracer.model.dense_layers
        self.panels = []
        self._n_stages = 1 + 3 * len(dense)
        self._ensure_panels(1)                          # the others with their rows (:meth:`_refresh_row`)
        d = self.tracer.x.shape[1]
        rows = [(f"{d} feature{'s' if d != 1 else ''}",)] + \
            [(f"{layer.units} unit{'s' if layer.units != 1 else ''}", layer.activation.name) for layer in dense]
        if self.tracer.regression:               # 1-unit rows put the target up: say so where it is drawn
            up = "up: target y"
            rows = [r + (up,) if w == 1 else r for r, w in zip(rows, [d] + [layer.units for layer in dense])]
        for r in range(len(self._labels), len(rows)):     # the labels of earlier runs are re-used
            self._labels.append(graphics.addLabel("", row=r, col=0, color=style.palette().foreground, size="9pt"))
        for r, label in enumerate(self._labels):
            label.setVisible(r < len(rows))
        self.row_labels = self._labels[:len(rows)]
        for label, (r, lines) in zip(self.row_labels, enumerate(rows)):
            label._lines = lines
            label.setText(row_text(self._row_name(r), lines))
        if self._guide is None:
            self._guide = graphics.addLabel(GUIDE, row=0, col=2, colspan=2, color=style.palette().muted,
                                            size="8pt", justify="left")
            narrow_min(self._guide)
        lay = graphics.ci.layout
        lay.setColumnStretchFactor(0, 0)
        for c in (1, 2, 3):
            lay.setColumnStretchFactor(c, 1)
        graphics.setMinimumHeight((1 + len(dense)) * MIN_ROW_HEIGHT if len(dense) > 3 else 3 * 110)
        self._fit_width()

    def _ensure_panels(self, n: int) -> bool:
        """This run's first ``n`` panels: the panels of earlier runs where they are (same row and
        column), new ones where there are none (~20 ms each, a row of them a redraw step); whether
        any was added (the layout changed)."""
        added = False
        for i in range(len(self.panels), min(n, self._n_stages)):
            cell = (0, 1) if i == 0 else (1 + (i - 1) // 3, 1 + (i - 1) % 3)
            panel = self._cells.get(cell)
            if panel is None:                           # a cell's panel is as faint for every run
                panel = self._cells[cell] = StagePanel(self.graphics.addPlot(row=cell[0], col=cell[1]),
                                                       faint=i > 0 and (i - 1) // 3 >= SPARSE_FROM_LAYER)
            panel.reset(self.tracer.n_classes)
            panel.plot.setVisible(True)
            self.panels.append(panel)
            added = True
        if added:
            self._whole_paint = True
        return added

    def _row_name(self, row: int) -> str:
        """``"Input"``, ``"Layer 1"``, …, ``"Layer 3 (output)"`` (:mod:`core.analysis.names`)."""
        n = len(self.tracer.model.dense_layers)
        return "Input" if row == 0 else layer_name(row - 1, n)

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

    def _draw(self) -> bool:
        """Trace the newest weights and update every panel now (one paint shows them all)."""
        if not self._trace():
            return False
        return self._draw_due_rows()

    def _trace(self) -> bool:
        """Trace the newest weights now (after a trace under way in the worker); the points each
        panel shows and each row's range; whether it traced."""
        return self._use(self.jobs.trace_now())

    def _use(self, traced) -> bool:
        """Keep ``traced`` (a :class:`viz.views.uncrumple.tracer.Traced` or None): the points each panel
        shows, each row's range, every row due to be drawn; whether it fits the panels."""
        self._set_notice(self.tracer.message)
        if traced is None or len(traced.coords) != self._n_stages:
            return False
        if self._connect_idx is None:
            grid = self.tracer.grid
            self._connect_idx, self._connect = grid.lines.ravel(), grid.connect()
            self._connect_sparse = self._connect & np.repeat(sparse_lines(grid.lines), grid.lines.shape[1])
        self.traced = traced
        shown = self._shown = self._shown_coords(traced)
        self.row_ranges = [bounds(shown[0], pad=0.25)] + [row_range(shown[1 + 3 * k: 4 + 3 * k])
                                                          for k in range((len(shown) - 1) // 3)]
        self._due_rows = set(range(len(self.row_labels)))
        self._show_gl_notice()
        return True

    # ---- drawn row by row, from the redraw clock ------------------------------------------------------
    # A refresh of every panel and its paint cost ~20 ms each for a 3-layer network, more for deeper
    # ones, in one event-loop turn each. From the clock, the view draws one row a step: the first
    # step traces and draws the input's row, each next step a layer's row, and each step's paint
    # covers only its row (part_rect), so no turn holds more than a row's work.
    def refresh_parts(self) -> tuple:
        """One step per row (the input, then each layer): the first builds the panels if due, then
        traces; ``()`` while the 3D view is shown or there is nothing to draw."""
        if self.switch3d.active or self.run is None:
            return ()
        if self._unbuilt:
            rows = len(getattr(self.run.config, "hidden", ())) + 2   # the input, the hidden layers, the output
        elif self.tracer.ready:
            rows = len(self.row_labels)
        else:
            return ()
        return tuple(partial(self._refresh_row, r) for r in range(rows))

    def part_widgets(self) -> tuple:
        """Every row paints in the one plot widget."""
        return (self.graphics,) * len(self.row_labels)

    def part_rect(self, part: int):
        """Row ``part``'s panels and label, in the plot widget's viewport pixels (a little larger)."""
        items = [self.panels[i].plot for i in self._row_panels(part)]
        if part < len(self.row_labels):
            items.append(self.row_labels[part])
        if not items or self._whole_paint:
            self._whole_paint = False
            return None
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        return self.graphics.mapFromScene(rect).boundingRect().adjusted(-2, -2, 2, 2)

    def _row_panels(self, row: int) -> range:
        """The panels of row ``row`` (0: the input's; k: layer k's three) made so far."""
        if row == 0:
            return range(min(1, len(self.panels)))
        return range(3 * row - 2, min(3 * row + 1, len(self.panels)))

    def _refresh_row(self, row: int) -> bool:
        """Step ``row`` of a refresh: the first traces new weights (a heavy network's in the worker,
        whose rows are drawn by a later refresh), every step draws its row of the last trace if it
        is due."""
        if unseen(self) or self.switch3d.active:
            return False
        built = False
        if row == 0 and self._unbuilt:
            self._stepping = True
            try:
                self._build_now()
            finally:
                self._stepping = False
            built = True
        if not self.tracer.ready:
            return built
        if row == 0 and self.jobs.due:
            if self.tracer.heavy:
                self.jobs.start_trace()
            else:
                self._trace()
        built = self._ensure_panels(3 * row + 1) or built     # this row's panels, if new
        if row not in self._due_rows or self.traced is None:
            return built
        for i in self._row_panels(row):
            self._draw_panel(i, self._shown)
        self._due_rows.discard(row)
        if not self._due_rows:
            self._fit_width()
        return True

    def _shown_coords(self, traced) -> list:
        """Each stage's (n, 2) points as drawn: a 1-unit layer's value across, a fixed jitter up,
        one jitter scale for the layer's three stages (so the shift and the fold stay horizontal);
        for a regression run every 1-unit stage's value across and the target up
        (:func:`target_coords`)."""
        out = [np.asarray(c, np.float32) for c in traced.coords]
        if self.tracer.regression:
            return [target_coords(c, self.tracer.y) if st.width == 1 else c for c, st in zip(out, traced.stages)]
        for k in range((len(out) - 1) // 3):
            row = range(1 + 3 * k, 4 + 3 * k)
            if traced.stages[row[0]].width != 1:
                continue
            span = max(float(np.ptp(np.concatenate([_finite_x(out[i]) for i in row]) if len(out[row[0]]) else [0])),
                       1e-3)
            for i in row:
                out[i] = spread_1d(out[i], self._jitter, span)
        return out

    def _draw_panel(self, i: int, shown: list) -> None:
        """Draw stage ``i`` of the trace: the points by class, the grid's polylines coloured by the
        prediction (every other line, lighter, in deep layers), for a 2-D input the decision regions,
        the stage before as grey dots (and the shift as an arrow for ``+ b``), the title, the row
        label's projection and the row's range (which follows the data only beyond ``RANGE_SLACK``)."""
        panel, traced, tracer = self.panels[i], self.traced, self.tracer
        st, proj = traced.stages[i], traced.projections[i]
        xy, gxy = shown[i], traced.grid_coords[i]
        line = st.width == 1
        if line and tracer.regression:          # the grid at the fitted value: the input of 1-D data, the fit
            gxy = target_coords(gxy, traced.fitted)
        elif line:
            gxy = spread_1d(gxy, self._jitter, _span(xy))
        panel.set_aspect_locked(not line)
        sparse = st.kind != "input" and st.layer >= SPARSE_FROM_LAYER
        panel.show(xy, tracer.y, gxy, traced.predicted, self._connect_idx,
                   self._connect_sparse if sparse else self._connect, dots=line)
        if i == 0 and tracer.x.shape[1] == 2:   # the grid points are a row-major image of the plane
            g = tracer.grid.points
            extent = (g[:, 0].min(), g[:, 0].max(), g[:, 1].min(), g[:, 1].max())
            if tracer.regression:
                panel.show_surface(traced.fitted, extent, target_limit(tracer.y))
            else:
                panel.show_regions(traced.predicted, extent)
        before = shown[i - 1] if st.kind in ("bias", "activation") else None
        panel.show_ghost(before)
        if st.kind == "bias":
            panel.show_shift(*shift_arrow(before, xy))
        note = (TARGET_NOTE if tracer.regression else SPREAD_NOTE) if line else ""
        fit_title(panel.plot, *panel_title(st, proj, note))
        if st.kind in ("input", "activation"):   # the row label names the layer's projection once
            label = self.row_labels[st.layer + 1]
            text = row_text(self._row_name(st.layer + 1), label._lines, proj)
            if text != label.text:
                label.setText(text)
        panel.set_range(self.row_ranges[st.layer + 1], slack=RANGE_SLACK)
        panel.show_values(not line or tracer.regression)

    def _set_notice(self, text: str) -> None:
        if text != self.notice.text():
            self.notice.setText(text)
        if bool(text) != self.notice.isVisibleTo(self):
            self.notice.setVisible(bool(text))

    def closeEvent(self, event):  # noqa: N802 - Qt override
        """Stop and join a trace under way (in a window, the runner also stops when the window closes)."""
        self.jobs.shutdown()
        super().closeEvent(event)

    # ---- user actions --------------------------------------------------------------------------------
    def use_units(self, index: int, units) -> None:
        """Show chosen units (0-based) of stage ``index``'s layer as the axes, or ``None`` for PCA."""
        if self.jobs.busy:                      # the worker's trace uses the projections
            self.jobs.wait()
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
        save_graphics(self.graphics, path)

    def _clicked(self, event) -> None:
        for i, panel in enumerate(self.panels):
            if panel.plot.sceneBoundingRect().contains(event.scenePos()):
                if event.button() == QtCore.Qt.MouseButton.RightButton:
                    self._panel_menu(i, event.screenPos().toPoint())
                else:
                    self.stage_clicked.emit(i)
                return

    def _panel_menu(self, i: int, at) -> None:
        """The right-click menu of panel ``i`` at screen point ``at``: projection, units, save."""
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
