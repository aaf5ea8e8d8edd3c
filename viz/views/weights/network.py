"""The network diagram (issue 6): units as nodes, weights as links, one sample's activations as colours.

Columns are the layers (the input first). A link's width grows with ``|w|`` (in
:data:`WIDTHS` classes, relative to the largest shown weight of the same layer,
a scale that changes only when the weights leave it by a lot) and its colour is
the weight's sign, the ends of the weights view's colormap (blue negative,
orange positive). A node's colour is the activation of the sample picked in the
"sample #" box, computed by :func:`core.analysis.weights.weightmaps.unit_activations` with the
newest weights on the run's network (``run.model()``): levels (-1, 1) for
tanh, sigmoid and softmax units; for the input and unbounded units (relu,
linear) the 99th percentile of |activation| over a few training samples,
measured at most once a second and kept until it changes by a lot. Layers wider than
:data:`MAX_UNITS` show the units with the largest outgoing weights and a "+N
more" label (:func:`core.analysis.weights.weightmaps.diagram_layout`).

Items are made once: one curve per (sign, width class), one scatter for the
nodes; a new snapshot only resets their data, and the layout (labels, positions)
is rebuilt only for a new run or on "Re-pick units". The network is made on the first
refresh on screen (``deferred``), not in the turn where every view takes a new run.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from core.analysis.weights.weightmaps import diagram_layout, link_bins, sticky_level, symmetric_levels, unit_activations
from viz import style
from viz.views.common.notice import OverlayNotice
from viz.views.common.view import View
from viz.views.weights.weights import sign_colors, weight_colormap

#: units shown per column at most
MAX_UNITS = 16
#: link widths (px) of the |w| classes, thinnest first
WIDTHS = (0.5, 1.0, 1.8, 2.8, 4.0, 5.5)
#: link alpha of each class: faint thin links, solid thick ones
ALPHAS = (70, 100, 140, 180, 215, 240)
#: samples used to set the colour levels of unbounded activations (relu, linear, the input)
PROBE = 32
#: those levels are measured again at most this often (seconds)
LEVELS_INTERVAL = 1.0
#: node colours are this many steps of the colormap (their brushes and symbols are made once)
COLOR_STEPS = 65
NODE_SIZE = 15
#: beyond this many links between two columns, links get thinner and fainter
DENSE_LINKS = 64
#: activations whose range is known: colour levels (-1, 1)
BOUNDED = ("tanh", "sigmoid", "softmax")


def first_finite(x: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` rows of ``x`` (samples, features) with only finite values, without scanning all of
    ``x`` when the first rows will do (``x[isfinite(x).all(1)]`` copied all 60,000 MNIST images: ~0.2 s)."""
    start = 0
    out = []
    while start < len(x) and sum(len(o) for o in out) < n:
        chunk = x[start:start + max(4 * n, 256)]
        out.append(chunk[np.isfinite(chunk).all(axis=1)])
        start += len(chunk)
    rows = np.concatenate(out) if out else x[:0]
    return rows[:n]


class NetworkView(View):
    """Nodes and links of the run's network; node colours = one training sample's activations.

    Public: ``sample`` (spin box), ``sample_info`` (its class and the prediction),
    ``repick`` (button), ``readout`` (hover text), ``notice``, ``plot``, ``curves``
    (dict ``(positive, width class) -> PlotCurveItem``), ``nodes`` (ScatterPlotItem),
    ``diagram`` (:class:`core.analysis.weights.weightmaps.Diagram`), ``activations`` (per layer, the sample's),
    ``node_levels`` (per layer), ``more_labels``, ``layer_labels``, ``hover_text(x, y)``.
    """

    deferred = True

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sample = QtWidgets.QSpinBox()
        self.sample.setPrefix("sample # ")
        self.sample.setToolTip("Which training sample flows through the network: each node's colour is that "
                               "unit's activation for it (blue negative, white 0, orange positive).")
        self.sample.valueChanged.connect(self._sample_changed)
        self.sample_info = QtWidgets.QLabel()
        self.sample_info.setStyleSheet(style.palette().readout_css)
        self.sample_info.setToolTip("The picked sample's true class and what the network predicts for it now.")
        self.repick = QtWidgets.QPushButton("Re-pick units")
        self.repick.setToolTip(f"Layers wider than {MAX_UNITS} units show only the units with the largest "
                               "outgoing weights, chosen on the first weights; pick them again from the current "
                               "weights.")
        self.repick.clicked.connect(self._repick)
        self.readout = QtWidgets.QLabel("Hover a node to read its activation.")
        self.readout.setStyleSheet(style.palette().readout_css)
        self.readout.setToolTip("The unit under the pointer and its activation for the picked sample.")
        self.plot_widget = pg.PlotWidget()
        self.notice = OverlayNotice(self.plot_widget)   # over the plot: showing it moves nothing
        self.plot_widget.setToolTip("Units as nodes, weights as links: width grows with |w| (relative to the "
                                    "largest shown weight of the layer), blue negative, orange positive.")
        self.plot = self.plot_widget.getPlotItem()
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.curves = {}
        for positive in (False, True):
            for k in range(len(WIDTHS)):
                curve = pg.PlotCurveItem(connect="pairs")
                curve.setSegmentedLineMode("on")   # drawLines: one path of ~800 crossing links took 0.3 s to stroke
                curve.setZValue(k)
                self.plot.addItem(curve)
                self.curves[(positive, k)] = curve
        self._density = None
        self._set_pens(1)
        self.nodes = pg.ScatterPlotItem(size=NODE_SIZE, pen=pg.mkPen(style.palette().foreground, width=1))
        self.nodes.setZValue(100)
        self.plot.addItem(self.nodes)
        self.plot_widget.scene().sigMouseMoved.connect(self._hovered)
        self._cmap = weight_colormap()
        self._brushes = [pg.mkBrush(c) for c in self._cmap.map(np.linspace(0, 1, COLOR_STEPS), mode="qcolor")]
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.sample)
        top.addWidget(self.sample_info, 1)
        top.addWidget(self.repick)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.plot_widget, 1)
        lay.addWidget(self.readout)
        self.more_labels: list = []
        self.layer_labels: list = []
        self.clear()

    # ---- lifecycle ---------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run; empty the diagram."""
        self.model = self.x = self.y = self.probe = None
        self.diagram = None
        self.activations = None
        self.node_levels = []
        self._levels_at = -np.inf
        self._acts_names: list[str] = []
        self._weights = None
        self._version = self._drawn = 0
        self._scales: list = []
        self._new_sample = False
        for item in self.more_labels + self.layer_labels:
            self.plot.removeItem(item)
        self.more_labels, self.layer_labels = [], []
        for curve in self.curves.values():
            curve.setData([], [])
        self.nodes.clear()
        self.repick.setEnabled(False)
        self.sample_info.setText("")
        self._set_notice("")
        super().clear()

    def build(self, run) -> None:
        """Make ``run``'s network (``run.model()``) and keep its training samples for the node colours."""
        x, y = run.x_train, run.labels_train
        if x.ndim != 2 or len(x) == 0 or len(x) != len(y):
            self._set_notice("The run has no training data.")
            return
        try:
            self.model = run.model()
        except ValueError as exc:
            self._set_notice(str(exc))
            return
        self.x, self.y = x, y
        self.probe = first_finite(x, PROBE)
        self._acts_names = ["input"] + [layer.activation.name for layer in self.model.dense_layers]
        self.sample.blockSignals(True)
        self.sample.setRange(0, len(x) - 1)
        self.sample.setValue(min(self.sample.value(), len(x) - 1))
        self.sample.blockSignals(False)      # weights that came before the build: drawn right after it

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights (a timeline scrub too); no drawing."""
        if snap.weights:
            self._weights = snap.weights
            self._version += 1

    def draw(self) -> bool:
        """Load new weights and redraw the links and nodes; only the nodes for a new sample."""
        if self.model is None:
            return False
        if self._version != self._drawn:
            self._drawn = self._version
            if not self._load():
                return False
            if self.diagram is None:
                self._layout()
            if time.monotonic() - self._levels_at > LEVELS_INTERVAL:
                self.node_levels = self._node_levels()
                self._levels_at = time.monotonic()
            self._draw_links()
            self._draw_nodes()
            return True
        if self._new_sample and self.diagram is not None:
            self._draw_nodes()
            return True
        return False

    def finish(self) -> None:
        """Build if due and draw the newest weights now (a picture is taken next)."""
        super().finish()
        self.draw()

    # ---- drawing -----------------------------------------------------------------------------------
    def _load(self) -> bool:
        w = self._weights
        if w is None:
            return False
        if not all(np.isfinite(np.asarray(a, np.float64)).all() for a in w):
            self._set_notice("The weights are not finite (training diverged): showing the last finite ones.")
            return False
        try:
            self.model.set_weights(w)
        except ValueError as exc:
            self._set_notice(f"These weights do not fit the network: {exc}")
            return False
        self._set_notice("")
        return True

    def _kernels(self):
        return [layer.kernel for layer in self.model.dense_layers]

    def _layout(self) -> None:
        kernels = self._kernels()
        sizes = [kernels[0].shape[0]] + [k.shape[1] for k in kernels]
        d = self.diagram = diagram_layout(sizes, MAX_UNITS, kernels)
        self._scales = [None] * len(kernels)
        self.repick.setEnabled(any(s > MAX_UNITS for s in sizes))
        self._set_pens(max(int(np.sum(d.edge_layer == k)) for k in range(len(kernels))))
        self.nodes.setData(pos=d.positions)
        for item in self.more_labels + self.layer_labels:
            self.plot.removeItem(item)
        self.more_labels, self.layer_labels = [], []
        for layer, n, (x, y) in d.more:
            t = pg.TextItem(f"+{n} more", color=style.palette().muted, anchor=(0.5, 0.5))
            t.setPos(x, y)
            self.plot.addItem(t)
            self.more_labels.append(t)
        top = float(d.positions[:, 1].max())
        bottom = float(min(d.positions[:, 1].min(), min((p[1] for *_, p in d.more), default=0.0)))
        for l, n in enumerate(sizes):
            name = "input" if l == 0 else f"Dense {l}"
            sub = f"{n} feature{'s' if n != 1 else ''}" if l == 0 else f"{n} {self._acts_names[l]}"
            t = pg.TextItem(html=f"<p align='center' style='color:{style.palette().foreground}'><b>{name}</b><br>"
                                 f"<span style='color:{style.palette().muted}'>{sub}</span></p>", anchor=(0.5, 1.0))
            t.textItem.setTextWidth(t.textItem.boundingRect().width())   # lets align='center' apply
            t.setPos(float(l), top + 0.6)
            self.plot.addItem(t)
            self.layer_labels.append(t)
        self.plot.setRange(xRange=(-0.5, len(sizes) - 0.5), yRange=(bottom - 0.8, top + 2.4), padding=0)

    def _set_pens(self, links: int) -> None:
        """Pens of the link curves: :data:`WIDTHS` and :data:`ALPHAS`, thinner and fainter when a layer
        pair has more than :data:`DENSE_LINKS` links (a 16 x 16 tangle stays readable), drawn without
        antialiasing then (~800 smooth translucent links took ~0.2 s a paint; aliased ones ~10 ms)."""
        f = min(1.0, float(np.sqrt(DENSE_LINKS / max(links, 1))))
        if f == self._density:
            return
        self._density = f
        neg, pos = sign_colors()
        for (positive, k), curve in self.curves.items():
            color = style.with_alpha(pos if positive else neg, round(ALPHAS[k] * (0.4 + 0.6 * f)))
            curve.setPen(pg.mkPen(color, width=WIDTHS[k] * f))
            curve.opts["antialias"] = f >= 1.0   # PlotCurveItem has no setter; setData would drop the data
            curve.update()

    def _draw_links(self) -> None:
        d = self.diagram
        w = d.link_weights(self._kernels())
        d.weights = w
        bins = np.zeros(len(w), np.int64)
        for k in range(len(self._scales)):
            sel = d.edge_layer == k
            self._scales[k] = sticky_level(self._scales[k], symmetric_levels(w[sel], 100)[1])
            bins[sel] = link_bins(w[sel], self._scales[k], len(WIDTHS))
        ends = d.positions[d.edges]                     # (m, 2 ends, 2 coords)
        positive = w >= 0
        for (pos, k), curve in self.curves.items():
            seg = ends[(positive == pos) & (bins == k)].reshape(-1, 2)
            curve.setData(np.ascontiguousarray(seg[:, 0]), np.ascontiguousarray(seg[:, 1]), connect="pairs")

    def _node_levels(self) -> list:
        """Per layer, the colour levels of its nodes: (-1, 1) for tanh, sigmoid and softmax; for the input
        and unbounded activations the 99th percentile of |activation| over :data:`PROBE` training samples."""
        probe = unit_activations(self.model, self.probe) if len(self.probe) else None
        out = []
        for l, name in enumerate(self._acts_names):
            if name in BOUNDED or probe is None:
                out.append((-1.0, 1.0))
                continue
            old = self.node_levels[l][1] if l < len(self.node_levels) else None
            level = sticky_level(old, symmetric_levels(probe[l], 99.0)[1])   # colours stay comparable
            out.append((-level, level))
        return out

    def _draw_nodes(self) -> None:
        self._new_sample = False
        d = self.diagram
        i = int(self.sample.value())
        self.activations = unit_activations(self.model, self.x[i])
        values = np.array([self.activations[l][u] for l, u in zip(d.node_layer, d.node_unit)], np.float64)
        lo = np.array([self.node_levels[l][0] for l in d.node_layer])
        hi = np.array([self.node_levels[l][1] for l in d.node_layer])
        with np.errstate(all="ignore"):
            t = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
        t = np.where(np.isfinite(t), t, 0.5)
        steps = np.rint(t * (COLOR_STEPS - 1)).astype(np.int64)
        self.nodes.setBrush([self._brushes[k] for k in steps])
        self.sample_info.setText(self._sample_text(i))

    def _sample_text(self, i: int) -> str:
        out = self.activations[-1]
        if len(out) == 1:
            pred = f"P(class 1) = {float(out[0]):.2f}"
        else:
            pred = f"predicted {int(np.nanargmax(out)) if np.isfinite(out).any() else '?'}"
        return f"class {int(self.y[i])} · {pred}"

    def _sample_changed(self) -> None:
        self._new_sample = True
        self.refresh()

    def _repick(self) -> None:
        if self.model is None or self.diagram is None:
            return
        self.diagram = None
        self._layout()
        self._draw_links()
        self._draw_nodes()

    def _set_notice(self, text: str) -> None:
        if text != self.notice.text():
            self.notice.setText(text)
        if bool(text) != self.notice.isVisibleTo(self):
            self.notice.setVisible(bool(text))

    # ---- hover -------------------------------------------------------------------------------------
    def hover_text(self, x: float, y: float) -> str:
        """The node under ``(x, y)`` (view coordinates: within 0.15 of its column, 0.5 of its row)
        and its activation, or ``""``."""
        d = self.diagram
        if d is None or self.activations is None or not len(d.positions):
            return ""
        dx, dy = np.abs(d.positions[:, 0] - x), np.abs(d.positions[:, 1] - y)
        near = (dx <= 0.15) & (dy <= 0.5)
        if not near.any():
            return ""
        k = int(np.flatnonzero(near)[np.argmin(dy[near])])
        l, u = int(d.node_layer[k]), int(d.node_unit[k])
        value = float(self.activations[l][u])
        if l == 0:
            return f"input x[{u}] = {value:.3g} (sample {self.sample.value()})"
        return f"Dense {l} unit {u}: {self._acts_names[l]} activation {value:.3g} (sample {self.sample.value()})"

    def _hovered(self, scene_pos) -> None:
        vb = self.plot.getViewBox()
        p = vb.mapSceneToView(scene_pos)
        text = self.hover_text(p.x(), p.y()) if vb.sceneBoundingRect().contains(scene_pos) else ""
        self.readout.setText(text or "Hover a node to read its activation.")
