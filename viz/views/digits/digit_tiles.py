"""The first layer's 512 units as 28×28 weight images ("what each unit looks for"), paged and zoomable."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from core.analysis.digits.digits import symmetric_levels, tile_mosaic
from viz import style
from viz.views.digits.digits_view import DigitsView, image_plot


class TilesView(DigitsView):
    """The first layer's units as 28×28 weight images, 64 to a page (zoom with the wheel).

    Public: ``page`` (QSpinBox, 1-based), ``image``, ``colorbar``, ``mosaic`` (the shown array).
    """

    PER_PAGE, COLS = 64, 8

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.mosaic = None
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(300, 260)
        self.plot, self.image = image_plot(self.graphics, 0, 0)
        self.image.setLookupTable(None)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=pg.colormap.get("CET-D1"), label="weight",
                                        interactive=False, colorMapMenu=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.graphics.setToolTip("Each tile is one first-layer unit's 784 weights laid out as the 28×28 image "
                                 "it responds to: red pixels push the unit up, blue ones down. Wheel to zoom.")
        self.page = QtWidgets.QSpinBox()
        self.page.setRange(1, 1)
        self.page.setPrefix("page ")
        self.page.setToolTip("Which 64 of the first layer's units to show.")
        self.page.valueChanged.connect(self._page_changed)
        self.change = QtWidgets.QCheckBox("Change since start")
        self.change.setToolTip("Show how much each weight moved since the run's first weights (W − W at step 0): "
                               "the random initial values hide what training wrote into the tiles.")
        self.change.setChecked(True)   # the random initial weights hide the learned strokes
        self.change.toggled.connect(self._page_changed)
        self.info = QtWidgets.QLabel("")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.page)
        bar.addWidget(self.change)
        bar.addWidget(self.info, 1)
        self._stack(bar, self.graphics, stretch=self.graphics)

    def clear(self) -> None:
        super().clear()
        self.image.clear()
        self.mosaic = None
        self.info.setText("")

    def _page_changed(self) -> None:
        """Show the chosen page (or the weights themselves) at once."""
        self._dirty = True
        self.refresh()

    def draw(self) -> bool:
        """The page's tiles from the newest weights (or their change since step 0)."""
        if not self._should_draw():
            return False
        d = self.digits
        model = self._model()
        if model is None:
            return False
        kernel = model.layers[0].kernel
        init = d.initial[0] if d.initial else None
        delta = self.change.isChecked() and init is not None and np.shape(init) == kernel.shape
        if delta:
            kernel = kernel - np.asarray(init, np.float32)
        axis = self.colorbar.getAxis("left")
        axis.enableAutoSIPrefix(False)
        axis.setLabel("weight change since step 0" if delta else "weight", **style.palette().label_style)
        units = kernel.shape[1]
        pages = -(-units // self.PER_PAGE)
        self.page.setRange(1, pages)
        start = (self.page.value() - 1) * self.PER_PAGE
        mosaic, shown = tile_mosaic(kernel, start, self.PER_PAGE, self.COLS, side=d.side)
        levels = symmetric_levels(kernel)
        first = self.mosaic is None or self.mosaic.shape != mosaic.shape
        self.mosaic = mosaic
        self.image.setImage(mosaic, levels=levels, autoLevels=False)
        self.colorbar.setLevels(values=levels)
        if first:
            self.plot.autoRange(padding=0.01)
        self.info.setText(f"units {start + 1}–{start + shown} of {units} · epoch {d.epoch}")
        self.message.setText(d.message)
        return True
