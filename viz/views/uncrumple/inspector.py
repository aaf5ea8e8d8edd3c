"""The neuron inspector: click a unit to see what it computes (TensorFlow Playground style).

Left, the network as nodes and edges (edge colour: the weight's sign, thickness:
its size); click a unit. Right, that unit's activation over the input plane as a
heat map (:func:`core.analysis.uncrumple.inspector.neuron_map`) with the data on top; below, its
incoming weights and bias, and the worked sum (:func:`core.analysis.uncrumple.inspector.worked_sum`)
for the sample under the mouse.

Drawing a run costs a few event-loop turns while the view is shown (:meth:`InspectorView.draw`
queues the steps, one per turn: the data on the input plane, the nodes, each layer's links, the
unit), so a 784 x 4096 x 4096 network never stalls the GUI; :meth:`InspectorView.finish` does the
steps still due at once (exports). Nodes are one ScatterPlotItem with three shared brushes, and
a layer's strongest links are found without sorting the whole kernel
(:func:`viz.views.uncrumple.inspector_links.strongest_links`).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.boundary import grid_extent, input_plane
from core.analysis.names import layer_name
from core.analysis.uncrumple.inspector import neuron_map
from core.analysis.units import unit_formula
from viz import style
from viz.views.common.view import View
from viz.views.common.visibility import behind_tab
from viz.views.uncrumple.inspector_links import strongest_links
from viz.views.uncrumple.target_colors import TargetBar, target_brushes, target_limit
from viz.views.uncrumple.tracer import Tracer

RESOLUTION = 64
HINT = "Click a unit of the network (above, or in the Network view) to see what it computes."


def plain_axis_title(axis: pg.AxisItem, text: str) -> None:
    """Title ``axis`` in the shared label style with plain tick numbers, never SI-scaled.

    ``style.label`` turns auto SI prefixes off, but pyqtgraph computes the scale once more while
    turning them off and keeps it: an axis titled while its range lay within (-1, 1) kept a "milli"
    scale for good (ticks 1000 times too large, the Neuron view's x1 read -2000 … 2000). With no
    range where SI prefixes apply, the scale is 1 whatever the range.
    """
    axis.setLabel(text, siPrefixEnableRanges=(), **style.palette().label_style)
    axis.enableAutoSIPrefix(False)


class InspectorView(View):
    """Network diagram + one unit's heat map, weights and worked sum.

    Public: ``nodes`` (ScatterPlotItem; each spot's data is ``(layer, unit)``,
    layer -1 for inputs), ``image``, ``weights_label``, ``sum_label``,
    ``selected`` (``(layer, unit)`` or None), ``select_unit(layer, unit)``,
    ``hover_sample(index)``, ``drawing``, signal ``unit_selected(int, int)``.

    The run's network (784 x 4096 x 4096: ~1 s), its input plane and the diagram are made on the
    first refresh on screen (``deferred``), over a few turns.
    """

    deferred = True
    #: seconds between redraws at least
    min_interval = 0.2

    unit_selected = QtCore.Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer(max_points=600)
        self.selected = None
        self._hovered = None
        self._dirty = False
        self._plane = None
        self._extent = (-1.0, 1.0, -1.0, 1.0)
        self._xy = np.zeros((0, 2), np.float32)
        self._steps = []                        # drawing still to do, one step per event-loop turn
        self._step_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._step_timer.timeout.connect(self._next_step)
        self._net_key = None                    # the layer widths the node layout was made for
        self._net = None                        # (widths, pos, data, first index of each layer)
        self._segs = {}                         # per layer: the (+, -) link segments being drawn
        self._brushes = {k: pg.mkBrush(c) for k, c in (("input", style.palette().muted), ("unit", style.palette().background),
                                                      ("selected", style.tint(style.TRAIN_COLOR, 0.2)))}
        self._make_widgets()

    def _make_widgets(self) -> None:
        # left: the unit's map, square and as tall as the view; right: the network to click, the unit's
        # weights and its worked sum (side by side: the Uncrumple workspace gives this view ~500 x 260)
        self.map_graphics = pg.GraphicsLayoutWidget()
        self.map_plot = self.map_graphics.addPlot(row=0, col=0)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(120, 80)
        self.net_plot = self.graphics.addPlot(row=0, col=0)
        for p in (self.net_plot, self.map_plot):
            style.apply_plot_style(p)
            p.hideButtons()
            p.setMenuEnabled(False)
        self.net_plot.hideAxis("left")
        self.net_plot.hideAxis("bottom")
        self.net_plot.showGrid(x=False, y=False)
        self.net_plot.setMouseEnabled(x=False, y=False)
        self.edges_pos = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.palette().class_colors[1], 120), width=1))
        self.edges_neg = pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.palette().class_colors[0], 120), width=1))
        style.keep_thin(self.edges_pos)
        style.keep_thin(self.edges_neg)
        self.nodes = pg.ScatterPlotItem(size=12, pen=pg.mkPen(style.palette().foreground, width=1),
                                        brush=pg.mkBrush(style.palette().background), hoverable=True,
                                        hoverBrush=pg.mkBrush(style.tint(style.TRAIN_COLOR, 0.5)))
        self.graphics.setToolTip("The network: click a unit to see its output over the input plane, its "
                                 "weights and bias. Links: orange = positive weight, blue = negative.")
        for item in (self.edges_pos, self.edges_neg, self.nodes):
            self.net_plot.addItem(item)
        self.nodes.sigClicked.connect(self._node_clicked)

        self.map_plot.setAspectLocked(True)
        self.map_plot.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.map_plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=style.diverging_colormap(0.8),
                                        interactive=False, colorMapMenu=False, width=10)
        self.colorbar.setImageItem(self.image, insert_in=self.map_plot)
        self.points = [pg.ScatterPlotItem(size=5, pen=style.point_pen_brush(c, False)[0],
                                          brush=style.point_pen_brush(c, False)[1]) for c in range(2)]
        self.ring = pg.ScatterPlotItem(size=14, pen=pg.mkPen(style.palette().foreground, width=2), brush=None)
        for item in self.points + [self.ring]:
            self.map_plot.addItem(item)
        self.map_graphics.scene().sigMouseMoved.connect(self._mouse_moved)

        self.weights_label = QtWidgets.QLabel(HINT)
        self.sum_label = QtWidgets.QLabel("")
        for lab in (self.weights_label, self.sum_label):
            lab.setStyleSheet(style.palette().readout_css)
            lab.setWordWrap(True)
            lab.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
            lab.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sum_label.setToolTip("The unit's computation for one sample (hover a point of the map for "
                                  "another): each input times its weight, summed, plus the bias, through "
                                  "the activation.")
        right = QtWidgets.QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(2)
        right.addWidget(self.graphics, 2)
        self.target_bar = TargetBar()          # a regression run's point colours
        self.target_bar.setVisible(False)
        right.addWidget(self.target_bar)
        right.addWidget(self.weights_label)
        right.addWidget(self.sum_label, 3)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.map_graphics, 0)
        lay.addLayout(right, 1)

    def resizeEvent(self, event):  # noqa: N802 - Qt override
        """Keep the map square and as tall as the view (its axes and colour bar beside it), at most
        60 % of the width; below ~320 px wide the map and the rest share the width."""
        super().resizeEvent(event)
        h = self.height() - 8
        self.map_graphics.setFixedWidth(int(max(160, min(h + 70, 0.6 * self.width()))))

    # ---- lifecycle -----------------------------------------------------------------------------------
    def clear(self) -> None:
        self._step_timer.stop()
        self._steps = []
        self._net_key = self._net = None
        self._segs = {}
        self.tracer.clear()
        self.selected = None
        self._hovered = None
        self._dirty = False
        self.image.clear()
        for item in self.points + [self.ring, self.nodes]:
            item.setData([])
        self.edges_pos.setData([], [])
        self.edges_neg.setData([], [])
        self.weights_label.setText(HINT)
        self.sum_label.setText("")
        self.target_bar.setVisible(False)
        super().clear()

    def build(self, run) -> None:
        """Queue the whole drawing of the run: its network, the data on the input plane, then the diagram."""
        self._dirty = False
        self._queue([self._build_step] + self._network_steps())

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights; no drawing."""
        if self.tracer.add_snapshot(snap):
            self._dirty = True

    def draw(self) -> bool:
        """Redraw the diagram and the selected unit with the newest weights; whether it started
        (not behind a tab). While shown, the drawing takes a few turns (:meth:`finish` does it now)."""
        if behind_tab(self) or not self._dirty or self._steps:   # a round still going: its end asks again
            return False
        if not self.tracer.ready:
            return False
        self._dirty = False
        self.tracer.load()                      # cheap: the weights the steps draw (and shown_weights)
        self._queue(self._network_steps())
        return True

    @property
    def drawing(self) -> bool:
        """Whether a round of drawing steps is still going (the next turns do them)."""
        return bool(self._steps)

    def finish(self) -> None:
        """Do the drawing steps still due at once (before an image is taken, say)."""
        super().finish()
        self._step_timer.stop()
        while self._steps:
            self._steps.pop(0)()

    def _queue(self, steps) -> None:
        self._steps = list(steps)
        if self.isVisible():
            self._step_timer.start()
        else:
            self.finish()

    def _next_step(self) -> None:
        if self._steps:
            self._steps.pop(0)()
        if self._steps:
            self._step_timer.start()
        elif self._dirty:
            self.redraw_wanted.emit()           # weights that came during the round

    def _build_step(self) -> None:
        """The run's network (with the newest weights), the input plane and the data on it; the
        rest of the round is dropped when there is no diagram to draw."""
        tr = self.tracer
        if not tr.set_run(self.run):
            self.weights_label.setText(tr.message)
            self._steps = []
            return
        tr.load()
        x, y = tr.x, tr.y
        d = x.shape[1]
        if d < 2:
            self.weights_label.setText("The inspector needs at least two input features. For data on one input, "
                                       "the Network view draws each unit's output as a curve over x."
                                       if tr.regression else "The inspector needs at least two input features.")
            self._steps = []
            return
        self._plane = None if d == 2 else input_plane(x)
        xy = x if self._plane is None else self._plane.project(x)
        self._xy = np.asarray(xy, np.float32)
        self._extent = grid_extent(self._xy)
        self.target_bar.setVisible(tr.regression)
        if tr.regression:                      # one item, each point in its target's colour
            self.target_bar.set_limit(target_limit(y))
            self.points[0].setData(pos=self._xy, brush=target_brushes(y, target_limit(y)))
            self.points[1].setData(pos=np.zeros((0, 2)))
        else:
            for c, item in enumerate(self.points):
                item.setData(pos=self._xy[y == c], brush=style.point_pen_brush(c, False)[1])
        labels = ("x1", "x2") if self._plane is None else self._plane.labels
        plain_axis_title(self.map_plot.getAxis("bottom"), labels[0])
        plain_axis_title(self.map_plot.getAxis("left"), labels[1])
        x0, x1, y0, y1 = self._extent
        self.map_plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _network_steps(self) -> list:
        """The diagram in steps: the nodes, each layer's links (one step each), the links shown, the unit."""
        return [self._start_network, self._links_step, self._show_links, self._draw_unit]

    # ---- selection ---------------------------------------------------------------------------------
    def select_unit(self, layer: int, unit: int) -> None:
        """Inspect unit ``unit`` of Dense layer ``layer`` (0-based)."""
        if not self.tracer.ready:                # programmatic, before the view drew: the whole round now
            self.finish()
        if not self.tracer.ready:
            return
        self.selected = (int(layer), int(unit))
        self._draw_nodes()                      # the brushes only: the links do not depend on the selection
        self._draw_unit()
        self.unit_selected.emit(int(layer), int(unit))

    def hover_sample(self, index: int | None) -> None:
        """Show the worked sum of the selected unit for training sample ``index`` (None: the first sample)."""
        self._hovered = index
        if self.selected is None or self.tracer.x is None or not len(self.tracer.x):
            self.ring.setData([])
            self.sum_label.setText("")
            return
        i = 0 if index is None else int(index)
        layer, unit = self.selected
        self.ring.setData(pos=self._xy[i:i + 1])
        truth = f"target {self.tracer.y[i]:.2f}" if self.tracer.regression else f"class {self.tracer.y[i]}"
        self.sum_label.setText(f"Sample {i} ({truth}):\n"
                               + unit_formula(self.tracer.model, layer, unit, self.tracer.x[i]))

    def _node_clicked(self, _item, points, _event=None) -> None:
        if len(points):
            layer, unit = points[0].data()
            if layer >= 0:
                self.select_unit(layer, unit)

    def _mouse_moved(self, pos) -> None:
        if self.selected is None or not self.map_plot.sceneBoundingRect().contains(pos):
            return
        p = self.map_plot.vb.mapSceneToView(pos)
        d = np.hypot(self._xy[:, 0] - p.x(), self._xy[:, 1] - p.y())
        i = int(np.argmin(d))
        x0, x1, y0, y1 = self._extent
        self.hover_sample(i if d[i] < 0.05 * max(x1 - x0, y1 - y0) else None)

    # ---- drawing -----------------------------------------------------------------------------------
    def _layout(self):
        """``(widths, pos (N, 2), data [(layer, unit)], first node of each layer)``, made once per network."""
        widths = tuple([self.tracer.model.input_dim] + [l.units for l in self.tracer.model.dense_layers])
        if self._net_key != widths:
            w = np.asarray(widths)
            col = np.repeat(np.arange(len(w)), w)
            start = np.concatenate([[0], np.cumsum(w)])
            unit = np.arange(start[-1]) - start[col]
            pos = np.column_stack([col, (w[col] - 1) / 2 - unit]).astype(np.float64)
            data = list(zip((col - 1).tolist(), unit.tolist()))
            self._net_key, self._net = widths, (widths, pos, data, start)
        return self._net

    def _start_network(self) -> None:
        self._segs = {}
        self._draw_nodes(new=True)

    def _draw_nodes(self, new: bool = False) -> None:
        """The nodes: positions (``new``) and brushes (three shared ones: inputs, units, the selected unit)."""
        widths, pos, data, start = self._layout()
        brushes = np.full(len(pos), self._brushes["unit"], dtype=object)
        brushes[:widths[0]] = self._brushes["input"]
        if self.selected is not None and 0 <= self.selected[0] < len(widths) - 1:
            layer, unit = self.selected
            if unit < widths[layer + 1]:
                brushes[start[layer + 1] + unit] = self._brushes["selected"]
        if new or len(self.nodes.data) != len(pos):
            self.nodes.setData(pos=pos, data=data, brush=brushes)
            self.net_plot.setRange(xRange=(-0.4, len(widths) - 0.6), yRange=(-max(widths) / 2, max(widths) / 2))
        else:
            self.nodes.setBrush(brushes)

    def _links_step(self) -> None:
        """The strongest links of the next layer (:func:`strongest_links`); queues itself for the layer after."""
        layers = self.tracer.model.dense_layers
        k = len(self._segs)
        if k >= len(layers):
            return
        _, pos, _, start = self._layout()
        w = layers[k].kernel
        ii, jj = strongest_links(w)
        segs = []
        for sign in (1, -1):
            sel = sign * w[ii, jj] > 0
            pairs = np.empty((2 * int(sel.sum()), 2))
            pairs[0::2], pairs[1::2] = pos[start[k] + ii[sel]], pos[start[k + 1] + jj[sel]]
            segs.append(pairs)
        self._segs[k] = segs
        if k + 1 < len(layers):
            self._steps.insert(0, self._links_step)

    def _show_links(self) -> None:
        for i, item in enumerate((self.edges_pos, self.edges_neg)):
            parts = [self._segs[k][i] for k in sorted(self._segs)]
            xy = np.concatenate(parts) if parts else np.zeros((0, 2))
            item.setData(xy[:, 0], xy[:, 1], connect="pairs")

    def _draw_unit(self) -> None:
        if self.selected is None:
            return
        layer, unit = self.selected
        model = self.tracer.model
        dense = model.dense_layers[layer]
        with np.errstate(all="ignore"):
            grid = neuron_map(model, layer, unit, self._extent, RESOLUTION, plane=self._plane)
        act = dense.activation.name
        finite = grid[np.isfinite(grid)]
        if act in ("sigmoid", "softmax"):
            levels = (0.0, 1.0)
        elif act == "tanh":
            levels = (-1.0, 1.0)              # the Network view's pictures use the same colours
        else:
            m = float(np.max(np.abs(finite))) if len(finite) else 1.0
            levels = (-max(m, 1e-6), max(m, 1e-6))
        self.image.setImage(np.ascontiguousarray(grid, np.float32), levels=levels, autoLevels=False)
        x0, x1, y0, y1 = self._extent
        dx, dy = (x1 - x0) / (RESOLUTION - 1), (y1 - y0) / (RESOLUTION - 1)
        self.image.setRect(QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        self.colorbar.setLevels(values=levels)
        plain_axis_title(self.colorbar.getAxis("left"), act)
        name = f"{layer_name(layer, len(model.dense_layers))} · unit {unit + 1}"
        style.title(self.map_plot, name)
        w = dense.kernel[:, unit]
        shown = ", ".join(f"{v:.3g}" for v in w[:12]) + (", …" if len(w) > 12 else "")
        self.weights_label.setText(f"<b>{name}</b> ({act}) w = ({shown}), b = {float(dense.bias[unit]):.3g}")
        self.weights_label.setToolTip(f"{name}: its incoming weights w and bias b; the map on the left is its "
                                      f"output, {act}(w · input + b), at every point of the input plane.")
        self.hover_sample(self._hovered)

    @property
    def shown_weights(self) -> np.ndarray | None:
        """The selected unit's incoming weights (as the model holds them now), or None."""
        if self.selected is None:
            return None
        layer, unit = self.selected
        return self.tracer.model.dense_layers[layer].kernel[:, unit].copy()
