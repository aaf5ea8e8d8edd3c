"""The weights view (issue 6): every Dense layer's kernel and bias as heat maps.

One heat map per layer for the kernel ``W`` (rows = inputs, columns = units) with the
bias as a strip under it (row "b", in the same plot), in one diverging colormap centred at
zero with a colour bar. When more layers than fit (each needs :data:`MIN_LAYER_HEIGHT`
pixels) the *Layers* box shows them a page at a time. A mode box shows instead the gradient, the last update ΔW or
log10(|ΔW| / |W|) (from ``snap.batch_update``). Kernels
larger than :data:`MAX_CELLS` are reduced for display by
:func:`core.analysis.weights.weightmaps.display_matrix` (each cell keeps the largest-magnitude
value of its block, with its sign); a hover still reads the exact weight under
the pointer.

Colour levels rule (so colours mean the same over time): the level ``L`` of
``(-L, L)`` is the 99.5th percentile of ``|values|`` over all layers; it is
recomputed when the mode or the network changes, and otherwise only when the new
percentile leaves it by a lot (grows past 1.5 L or drops under L / 3,
:func:`core.analysis.weights.weightmaps.sticky_level`). The log-ratio mode has fixed levels
(-6, 0), centred on -3, the rate often called healthy.

Plot items are built once per architecture (on the first weights), then only
``setImage`` runs.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.names import layer_name
from core.analysis.weights.weightmaps import display_matrix, log_ratio, sticky_level, symmetric_levels
from viz import style
from viz.views.common.notice import OverlayNotice
from viz.views.common.view import View
from viz.views.common.visibility import unseen

#: the largest kernel drawn cell by cell (rows, columns); larger ones are reduced by blocks
MAX_CELLS = (256, 256)
#: fixed levels of the log10 |ΔW|/|W| mode (centred at the "healthy" -3)
LOG_LEVELS = (-6.0, 0.0)
#: percentile of |values| that sets the colour levels
PERCENTILE = 99.5
AXIS_WIDTH = 38
#: a layer's plot (title, kernel, bias strip, unit axis) gets at least this many pixels high
MIN_LAYER_HEIGHT = 150
#: the bias strip's height and the gap above it, as shares of the kernel's rows (one row at least)
BIAS_SHARE, GAP_SHARE = 0.08, 0.03

#: mode -> (combo text, hover symbol, title word, colour bar label, display reduction, tooltip)
MODES = {
    "weights": ("Weights", "W", "kernel", "weight", "maxabs",
                "The weights themselves: blue negative, orange positive, white near zero."),
    "grads": ("Gradient", "∂L/∂W", "gradient", "gradient", "maxabs",
              "The gradient of the loss (L2 included) on the last trained batch: the direction each weight "
              "is pushed away from."),
    "update": ("Last update ΔW", "ΔW", "last update", "ΔW", "maxabs",
               "How much each weight changed in the last batch (weights after minus before)."),
    "log_ratio": ("log10 |ΔW|/|W|", "log10|ΔW/W|", "log10 |ΔW|/|W|", "log10 |ΔW|/|W|", "max",
                  "The size of the last update relative to the weight, in powers of ten. Around -3 is often "
                  "called healthy; far above, the weights jump; far below, they barely learn. Blocks of a large "
                  "kernel show their largest value."),
}
MISSING = "No gradient or update yet: they come with the first trained batch."
MISSING_SCRUB = "Epoch {epoch} from the timeline: only the weights of old epochs are kept, not their gradients."


def weight_colormap() -> pg.ColorMap:
    """Blue (negative) → near-white (0) → orange (positive): the palette's diverging map, stronger ends."""
    return style.diverging_colormap(0.8)


def sign_colors():
    """``(negative, positive)`` QColors: the ends of :func:`weight_colormap`."""
    cmap = weight_colormap()
    return cmap.map(0.0, mode="qcolor"), cmap.map(1.0, mode="qcolor")


def _step(n: int) -> int:
    """A step of 1, 2, 5, 10, ... giving at most ~8 labels over ``n`` cells."""
    return min(s for s in (b * 10 ** e for b in (1, 2, 5) for e in range(7)) if n / s <= 8)


def _integer_ticks(axis, n: int) -> None:
    """Ticks on whole indices only (see :func:`_step`)."""
    step = _step(n)
    axis.setTickSpacing(major=step, minor=step)


def _fmt(v) -> str:
    return "NaN" if np.isnan(v) else f"{float(v):.3g}"


class LayerMaps:
    """The plot of one Dense layer: its kernel, and its bias as a strip under it; their images and
    what they show.

    The kernel's cell ``[i, j]`` sits at view coordinates ``(j, i)`` (row 0 on top); the bias
    strip spans ``bias_top`` to ``bias_top + bias_height`` below the last row.
    """

    def __init__(self, graphics, row: int, index: int, n_layers: int, shape, lut):
        self.index = index                         # 0-based Dense layer
        self.name = layer_name(index, n_layers)
        self.shape = tuple(shape)                  # kernel (in, out)
        self.kernel_plot = graphics.addPlot(row=row, col=0)
        self.kernel_image = pg.ImageItem(axisOrder="row-major")
        self.bias_image = pg.ImageItem(axisOrder="row-major")
        rows, cols = self.shape
        self.bias_height = max(1.0, rows * BIAS_SHARE)
        self.bias_top = rows - 0.5 + max(0.4, rows * GAP_SHARE)
        plot = self.kernel_plot
        style.apply_plot_style(plot)
        plot.showGrid(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)                         # row 0 on top, as a matrix is written
        plot.getViewBox().setBackgroundColor(None)
        for top, h in ((-0.5, rows), (self.bias_top, self.bias_height)):   # NaN cells are transparent: grey
            under = QtWidgets.QGraphicsRectItem(-0.5, top, cols, h)
            under.setPen(pg.mkPen(None))
            under.setBrush(pg.mkBrush(style.NAN_COLOR))
            under.setZValue(-1)
            plot.addItem(under, ignoreBounds=True)
        for image in (self.kernel_image, self.bias_image):
            image.setLookupTable(lut)
            plot.addItem(image)
        plot.setRange(xRange=(-0.5, cols - 0.5), yRange=(-0.5, self.bias_top + self.bias_height), padding=0)
        left = plot.getAxis("left")
        left.setWidth(AXIS_WIDTH)
        step = _step(rows)
        left.setTicks([[(float(i), str(i)) for i in range(0, rows, step)]
                       + [(self.bias_top + self.bias_height / 2, "b")], []])
        _integer_ticks(plot.getAxis("bottom"), cols)
        graphics.ci.layout.setRowStretchFactor(row, int(np.clip(np.sqrt(rows), 1, 4) * 10))
        self.title = ""
        self.kernel = self.bias = None             # the full arrays shown (for hovers)
        self.kernel_cells = self.bias_cells = None  # their DisplayMatrix

    def show(self, kernel, bias, levels, reduce) -> None:
        """Draw full arrays ``kernel`` (in, out) and ``bias`` (out,) reduced for display, at ``levels``."""
        self.kernel, self.bias = kernel, bias
        self.kernel_cells = display_matrix(kernel, MAX_CELLS, reduce)
        self.bias_cells = display_matrix(bias, (1, MAX_CELLS[1]), reduce)
        lo, hi = levels
        for image, cells, top, height in ((self.kernel_image, self.kernel_cells, -0.5, None),
                                          (self.bias_image, self.bias_cells, self.bias_top, self.bias_height)):
            img = np.clip(cells.values, lo, hi)    # +-inf to the ends (NaN stays: transparent over grey)
            shape_changed = image.image is None or image.image.shape != img.shape
            image.setImage(img, levels=levels, autoLevels=False)
            if shape_changed:   # display cell (i, j) covers original [i*fr:(i+1)*fr, j*fc:(j+1)*fc], centred on ints
                fr = int(cells.row_edges[1] - cells.row_edges[0]) if img.shape[0] else 1
                fc = int(cells.col_edges[1] - cells.col_edges[0]) if img.shape[1] else 1
                h = img.shape[0] * fr if height is None else height
                image.setRect(QtCore.QRectF(-0.5, top, img.shape[1] * fc, h))

    def blank(self) -> None:
        self.kernel_image.clear()
        self.bias_image.clear()
        self.kernel = self.bias = self.kernel_cells = self.bias_cells = None

    def set_title(self, text: str) -> None:
        if text != self.title:
            self.title = text
            self.kernel_plot.setTitle(text)

    def cell_pos(self, part: str, i: int | None, j: int) -> QtCore.QPointF:
        """The centre of kernel cell ``[i, j]`` (``part="kernel"``) or bias ``[j]`` (``"bias"``), in
        view coordinates (map it with ``kernel_plot.getViewBox().mapViewToScene``)."""
        y = float(i) if part == "kernel" else self.bias_top + self.bias_height / 2
        return QtCore.QPointF(float(j), y)

    def hit(self, scene_pos):
        """``("kernel", i, j)`` or ``("bias", None, j)`` under ``scene_pos``, or None."""
        vb = self.kernel_plot.getViewBox()
        if self.kernel is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        j = int(np.floor(p.x() + 0.5))
        if not 0 <= j < self.kernel.shape[-1]:
            return None
        i = int(np.floor(p.y() + 0.5))
        if 0 <= i < self.kernel.shape[0]:
            return ("kernel", i, j)
        if self.bias is not None and self.bias_top <= p.y() <= self.bias_top + self.bias_height:
            return ("bias", None, j)
        return None


class WeightsView(View):
    """Heat maps of every Dense layer's kernel and bias (or their gradient, update, relative update).

    Public: ``mode`` (combo), ``page`` (the Layers box, shown when not every layer fits),
    ``layers`` (list of :class:`LayerMaps`, the layers shown), ``colorbar``,
    ``levels`` (the levels in use), ``notice``, ``readout`` (the hover text),
    ``hover_text(scene_pos)``, ``set_mode(key)``.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = QtWidgets.QComboBox()
        for key, (text, *_rest, tip) in MODES.items():
            self.mode.addItem(text, key)
            self.mode.setItemData(self.mode.count() - 1, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.mode.setToolTip("What the heat maps show: the weights, their gradient on the last batch, the last "
                             "update ΔW, or the update's size relative to the weight (log10).")
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.readout = QtWidgets.QLabel("Hover a cell to read its value.")
        self.readout.setStyleSheet(style.palette().readout_css)
        self.readout.setToolTip("The weight under the pointer: its indices [input, unit] in the full kernel "
                                "and its exact value, even where the map shows blocks.")
        self.readout.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.graphics = pg.GraphicsLayoutWidget()
        self.notice = OverlayNotice(self.graphics)   # over the plots: showing it moves nothing
        self.graphics.setToolTip("One heat map per Dense layer: rows are the layer's inputs, columns its units; "
                                 "the strip under it (row b) is the bias. One colour scale for all layers.")
        self.graphics.scene().sigMouseMoved.connect(self._hovered)
        self.colorbar = None                     # made with the first plots
        self.page = QtWidgets.QComboBox()
        self.page.setToolTip("Not every layer fits at a readable size: the layers shown.")
        self.page.setVisible(False)
        self.page.currentIndexChanged.connect(self._page_changed)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Show"))
        top.addWidget(self.mode)
        top.addWidget(self.page)
        top.addWidget(self.readout, 1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.graphics, 1)
        self._lut = weight_colormap().getLookupTable(nPts=256)
        self.layers: list[LayerMaps] = []
        self._shapes = None                      # the kernel and bias shapes the plots were made for
        self._per_page = 0                       # layers the plots were made for at a time (0: none made)
        self.clear()

    # ---- lifecycle ---------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run: the images are blanked; the plots stay for a next run of the same shapes.

        Making the plots of the MNIST network (784 x 512 and 512 x 10) costs ~70 ms on an idle
        core, several times that while a trainer and a paint compete: a new run of the same
        architecture (the monkey's and the user's usual case) only sets new images. The plots
        follow the weights' shapes, so they are made (when these change) by the first
        :meth:`draw` on screen, not by :meth:`build`.
        """
        for maps in self.layers:
            maps.blank()
        self._snap = None
        self._version = self._drawn = 0
        self._drawn_mode = None
        self._level = None
        self.levels = (-1.0, 1.0)
        self._set_notice("")
        super().clear()

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot (light ones carry no weights); no drawing."""
        if snap.weights:
            self._snap = snap
            self._version += 1

    def draw(self) -> bool:
        """Draw the newest weights (or gradient, update) if they or the mode changed; True if drawn."""
        if self._snap is None or unseen(self):   # a closed or covered dock: no plots until seen
            return False
        key = self.mode.currentData()
        if self._version == self._drawn and key == self._drawn_mode:
            return False
        self._draw(key)
        self._drawn, self._drawn_mode = self._version, key
        return True

    def set_mode(self, key: str) -> None:
        """Show ``key`` (one of :data:`MODES`)."""
        self.mode.setCurrentIndex(list(MODES).index(key))

    # ---- drawing -----------------------------------------------------------------------------------
    def _mode_changed(self) -> None:
        self._level = None        # new quantity: new levels
        self.refresh()

    def _page_changed(self) -> None:
        if self._shapes is not None:
            self._shapes = None                  # other layers: other plots
            self._drawn = -1
            self.refresh()

    def per_page(self) -> int:
        """How many layers fit at a time, each at least :data:`MIN_LAYER_HEIGHT` pixels high."""
        return max(1, int(self.graphics.height() // MIN_LAYER_HEIGHT))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Fewer layers at a time when the dock gets too low for them, more when it grows."""
        super().resizeEvent(event)
        if self._per_page and self.per_page() != self._per_page and self._snap is not None:
            self._shapes = None
            self._drawn = -1
            self.refresh()

    def _pages(self, n: int) -> list[range]:
        """The layers shown together: all ``n`` when they fit, else runs of :meth:`per_page`; the
        Layers box lists them (hidden when one page holds all)."""
        per = self.per_page()
        pages = [range(k, min(k + per, n)) for k in range(0, n, per)]
        texts = [layer_name(p[0], n) if len(p) == 1 else f"Layers {p[0] + 1}–{p[-1] + 1}" for p in pages]
        if texts != [self.page.itemText(i) for i in range(self.page.count())]:
            current = min(self.page.currentIndex(), len(texts) - 1)
            self.page.blockSignals(True)
            self.page.clear()
            self.page.addItems(texts)
            self.page.setCurrentIndex(max(current, 0))
            self.page.blockSignals(False)
        self.page.setVisible(len(pages) > 1)
        self._per_page = per
        return pages

    def show_page(self, k: int) -> None:
        """Show the ``k``-th page of layers (0-based) of the Layers box."""
        self.page.setCurrentIndex(k)

    def _build(self, shapes) -> None:
        self.graphics.clear()
        kernels = shapes[0::2]
        n = len(kernels)
        shown = self._pages(n)[max(self.page.currentIndex(), 0)]
        self.layers = [LayerMaps(self.graphics, row, i, n, kernels[i], self._lut) for row, i in enumerate(shown)]
        if self.colorbar is None:                # made once, laid out again beside each new set of plots
            self.colorbar = pg.ColorBarItem(values=self.levels, colorMap=weight_colormap(), interactive=False,
                                            colorMapMenu=False, width=14)
            for side in ("left", "right"):
                self.colorbar.getAxis(side).setTextPen(pg.mkPen(style.palette().foreground))
                self.colorbar.getAxis(side).enableAutoSIPrefix(False)   # plain numbers, as in every view
        self.graphics.addItem(self.colorbar, row=0, col=1, rowspan=len(self.layers))
        self._shapes = shapes
        self._level = None

    def _arrays(self, key, snap):
        """The full arrays of mode ``key`` in get_weights order, or None (and why)."""
        if key == "weights":
            return list(snap.weights), ""
        if snap.scrubbed:
            return None, MISSING_SCRUB.format(epoch=snap.epoch)
        batch = snap.batch_update
        got = None if batch is None else (batch.grads if key == "grads" else batch.update)
        if not got or len(got) != len(snap.weights):
            return None, MISSING
        if key == "log_ratio":
            return [log_ratio(u, w) for u, w in zip(got, snap.weights)], ""
        return list(got), ""

    def _draw(self, key) -> None:
        snap = self._snap
        shapes = tuple(np.shape(w) for w in snap.weights)
        if len(shapes) % 2 or any(len(s) != 2 for s in shapes[0::2]):
            self._set_notice("These weights are not Dense kernels and biases: nothing to show.")
            return
        if shapes != self._shapes:
            self._build(shapes)
        arrays, why = self._arrays(key, snap)
        name, sym, word, bar_label, reduce, _tip = MODES[key]
        self._set_notice(why)
        if arrays is None:
            for maps in self.layers:
                maps.blank()
            return
        if key == "log_ratio":
            self.levels = LOG_LEVELS
        else:
            level = sticky_level(self._level, symmetric_levels(arrays, PERCENTILE)[1])
            self._level = level
            self.levels = (-level, level)
        if self.colorbar.levels() != self.levels:
            self.colorbar.setLevels(values=self.levels)
        if self._drawn_mode != key:
            self.colorbar.getAxis("right").setLabel(bar_label, **style.palette().label_style)
        for maps in self.layers:
            k, b = arrays[2 * maps.index], arrays[2 * maps.index + 1]
            maps.show(k, b, self.levels, reduce)
            maps.set_title(self._title(maps, word, k, reduce))

    @staticmethod
    def _title(maps, word, kernel, reduce) -> str:
        shape = "(" + ", ".join(str(n) for n in maps.shape) + ")"
        text = f"{maps.name} · {word} {shape} {np.asarray(kernel).dtype}"
        cells = maps.kernel_cells
        if cells is not None and cells.downsampled:
            r, c = cells.values.shape
            fr, fc = int(cells.row_edges[1]), int(cells.col_edges[1])
            how = {"maxabs": "largest |value|", "max": "largest value", "mean": "mean"}[reduce]
            text += (f"<br><span style='color:{style.palette().muted}; font-size:8pt'>shown as {r} × {c} cells, "
                     f"each the {how} of a {fr} × {fc} block</span>")
        return f"<span style='font-size:10pt'>{text}</span>"

    def _set_notice(self, text: str) -> None:
        if text != self.notice.text():
            self.notice.setText(text)
        if bool(text) != self.notice.isVisibleTo(self):
            self.notice.setVisible(bool(text))

    # ---- hover -------------------------------------------------------------------------------------
    def hover_text(self, scene_pos) -> str:
        """What the readout says for a pointer at ``scene_pos`` (scene coordinates), or ``""``."""
        key = self._drawn_mode or self.mode.currentData()
        sym = MODES[key][1]
        for maps in self.layers:
            hit = maps.hit(scene_pos)
            if hit is None:
                continue
            part, i, j = hit
            if part == "kernel":
                text = f"{sym}[{i}, {j}] = {_fmt(maps.kernel[i, j])} ({maps.name})"
                cells = maps.kernel_cells
                if cells.downsampled:
                    di = int(np.searchsorted(cells.row_edges, i, side="right") - 1)
                    dj = int(np.searchsorted(cells.col_edges, j, side="right") - 1)
                    r0, r1, c0, c1 = cells.source(di, dj)
                    text += f"; its cell shows {_fmt(cells.values[di, dj])} from [{r0}:{r1}, {c0}:{c1}]"
                return text
            bsym = "b" if key == "weights" else sym.replace("W", "b")
            return f"{bsym}[{j}] = {_fmt(maps.bias[j])} ({maps.name})"
        return ""

    def _hovered(self, scene_pos) -> None:
        text = self.hover_text(scene_pos)
        self.readout.setText(text or "Hover a cell to read its value.")
