"""Per-layer 2D PCA map of test digits coloured by class; hovering a point shows its image.

The PCA basis of each representation is fitted once per run (:class:`core.analysis.digits.digits.DigitMaps`)
and kept across epochs and timeline positions, so the points move while the axes stay put.
Computed at most every ``DigitMapView.min_interval`` seconds on :data:`MAP_POINTS` test digits.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from core.analysis.digits.digits import DigitMaps
from viz import style
from viz.views.digits.digits_view import DIGIT_COLORS, DigitsView, image_plot

#: test digits drawn (the first ones of the evaluated subsample)
MAP_POINTS = 500
#: hover radius in pixels
HOVER_PX = 8


class DigitMapView(DigitsView):
    """Scatter of a representation's first two principal components, one colour per class.

    Public: ``layer`` (QComboBox), ``scatters`` (one per class), ``coords`` ((n, 2) shown or None),
    ``maps`` (DigitMaps), ``hover_image``, ``hover_text``, ``refit_button``, ``hover_at(i)``.
    """

    #: seconds between two maps, at least (a forward pass and a projection of the test digits)
    min_interval = 1.0

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.maps = DigitMaps()
        self.coords = None
        self._idx = np.zeros(0, np.int64)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(360, 300)
        self.plot = self.graphics.addPlot(row=0, col=0, rowspan=2)
        style.apply_plot_style(self.plot)
        self.plot.setMenuEnabled(False)
        # one scatter per class with one brush: far cheaper to update than per-point brushes
        self.scatters = [pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(style.with_alpha(c, 190)))
                         for c in DIGIT_COLORS]
        for sc in self.scatters:
            self.plot.addItem(sc)
        self.marker = pg.ScatterPlotItem(size=14, pen=pg.mkPen(style.palette().foreground, width=2), brush=None)
        self.plot.addItem(self.marker)
        self.hover_plot, self.hover_image = image_plot(self.graphics, 0, 1)
        self.hover_plot.setFixedWidth(130)
        self.hover_plot.setFixedHeight(150)
        self.hover_plot.setMouseEnabled(x=False, y=False)
        self.graphics.addLabel("", row=1, col=1)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        self.graphics.setToolTip("Each point is a test digit placed by the first two principal components of "
                                 "the chosen layer's output; colour is its true class. Hover a point to see it.")
        self.layer = QtWidgets.QComboBox()
        self.layer.setToolTip("Which representation to map: the raw pixels or a layer's output.")
        self.layer.currentIndexChanged.connect(self._layer_changed)
        self.refit_button = QtWidgets.QPushButton("Refit axes")
        self.refit_button.setToolTip("Fit the principal components again on the current weights (the axes "
                                     "are otherwise fixed for the whole run so epochs can be compared).")
        self.refit_button.clicked.connect(self._refit)
        self.hover_text = QtWidgets.QLabel("")
        self.legend = QtWidgets.QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setToolTip("The colour of each class (the digit's true label).")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.layer)
        bar.addWidget(self.refit_button)
        bar.addWidget(self.hover_text, 1)
        self._stack(bar, self.legend, self.graphics, stretch=self.graphics)

    def clear(self) -> None:
        super().clear()
        self.maps.clear()
        self.coords = None
        for sc in self.scatters:
            sc.setData([], [])
        self.marker.setData([], [])
        self.hover_image.clear()
        self.hover_text.setText("")
        self.legend.setText("")

    def build(self, run) -> None:
        """New axes for the run, and the legend of its classes."""
        self.maps.clear()
        super().build(run)
        if self.digits.ok:
            self.legend.setText(" ".join(f"<span style='color:{DIGIT_COLORS[c]}'>●</span>&nbsp;{name}"
                                         for c, name in enumerate(self.digits.class_names)))

    def _layer_changed(self) -> None:
        """Map the chosen layer at once (a choice of the user's is not paced)."""
        self._dirty = True
        self.refresh()

    def _refit(self) -> None:
        self.maps.refit()
        self._layer_changed()

    def draw(self) -> bool:
        """Project the test digits through the newest weights on the chosen layer's axes."""
        if not self._should_draw():
            return False
        model = self._model()
        if model is None:
            return False
        self._idx = self.digits.test_idx[:MAP_POINTS]
        x = self.digits.x_test[self._idx]
        which = max(self.layer.currentIndex(), 0) if self.layer.count() else 1   # first: layer 1 only
        maps = self.maps.project(model, x, which)
        names = [name for name, _, _ in maps]
        if [self.layer.itemText(i) for i in range(self.layer.count())] != names:
            keep = self.layer.currentIndex()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            self.layer.setCurrentIndex(keep if 0 <= keep < len(names) else len(names) - 2 if len(names) > 1 else 0)
            self.layer.blockSignals(False)
        name, coords, proj = maps[self.layer.currentIndex()]
        if coords is None:   # the first draw of a run: the chosen layer was not known yet
            name, coords, proj = self.maps.project(model, x, self.layer.currentIndex())[self.layer.currentIndex()]
        self.coords = np.nan_to_num(coords.astype(np.float64))
        y = self.digits.y_test[self._idx]
        for c, sc in enumerate(self.scatters):
            sel = y % 10 == c
            sc.setData(self.coords[sel, 0], self.coords[sel, 1])
        style.title(self.plot, f"{name}: {proj.title} · epoch {self.digits.epoch}")
        style.label(self.plot, "bottom", proj.labels[0] or "PC1")
        style.label(self.plot, "left", proj.labels[1] or "PC2")
        self.message.setText(self.digits.message or f"{len(self._idx):,} test digits; axes fixed for the run.")
        return True

    # ---- hover -----------------------------------------------------------------------------------
    def _mouse_moved(self, pos) -> None:
        if self.coords is None or not len(self.coords) or not self.plot.sceneBoundingRect().contains(pos):
            return
        vb = self.plot.getViewBox()
        p = vb.mapSceneToView(pos)
        px, py = vb.viewPixelSize()
        d = ((self.coords[:, 0] - p.x()) / max(px, 1e-12)) ** 2 + ((self.coords[:, 1] - p.y()) / max(py, 1e-12)) ** 2
        i = int(np.argmin(d))
        if d[i] <= HOVER_PX ** 2:
            self.hover_at(i)

    def hover_at(self, i: int) -> None:
        """Show point ``i``'s digit in the inset."""
        d = self.digits
        s = d.side
        t = int(self._idx[i])
        self.hover_image.setImage(d.x_test[t].reshape(s, s), levels=(0.0, 1.0), autoLevels=False)
        self.marker.setData([self.coords[i, 0]], [self.coords[i, 1]])
        label = d.class_names[int(d.y_test[t])]
        self.hover_text.setText(f"test digit {t}: label {label}")
        self.hover_plot.setTitle(f"label {label}", color=style.palette().foreground, size="9pt")
