"""The uncrumpling view (issue 4): the data and a grid of the input space through every stage.

One small panel per stage — input → ``dot(x, W)`` → ``+ b`` → activation → … — shows
the training points coloured by class, the input grid as deformed polylines and the
grid points coloured by the network's prediction (the decision regions). All maths
is in :mod:`core.analysis.uncrumple.geometry`; :class:`viz.views.uncrumple.tracer.Tracer` (re-exported here) follows a run (it rebuilds the network
from the run's config once and loads each heavy snapshot's weights) and hands the
views projected coordinates; the panels are made and drawn by :mod:`viz.views.uncrumple.layers_draw`
(whose title and range helpers are re-exported here). The other uncrumpling views (stage player,
separability, neuron inspector, layer lab) live next to this module; the main window's dock
registry (:mod:`viz.app.docks`) builds them all.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from viz import style
from viz.views.common.gl3d import opengl_available
from viz.views.uncrumple.layers_draw import draw_panel, layout_panels, notice_3d, panel_menu, save_graphics, spread_1d
# re-exported: the other uncrumpling views import these from here
from viz.views.uncrumple.layers_draw import GUIDE, bounds, fit_title, panel_title, row_text, stage_title  # noqa: F401
from viz.views.uncrumple.tracer import GRID_RESOLUTION, MAX_POINTS, Tracer, behind_tab, labels_of  # noqa: F401

#: heavy snapshots are traced and drawn at most this often (seconds)
MIN_INTERVAL = 0.2
#: panels redrawn per event-loop turn at most: a refresh is spread over several turns, each with its own paint,
#: so no single turn blocks the GUI thread for long (one panel: ~1 ms to set, ~2 ms to paint)
PANELS_PER_TURN = 2
#: a panel's view range follows the data only when an edge moves by more than this fraction of the span
#: (a new range regenerates both axes and costs more than the panel's data)
RANGE_SLACK = 0.1
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
        self.notice.setStyleSheet(style.palette().notice_css)
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.gl_notice = QtWidgets.QLabel()
        self.gl_notice.setStyleSheet(style.palette().notice_css)
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
        from viz.views.uncrumple.stages3d import Stages3DView, Switch3D   # stages3d imports this module
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

        In a shown window the panels (~25 ms each to make; for an image run the input grid is
        a PCA plane of 784 pixels and the first trace three more PCAs) are made by the next
        :meth:`refresh`: at once if the view is in front (the session refreshes it on its next
        tick, not in the turn where every view takes the new run), else when it comes to the
        front or its closed dock is opened again. A view in no shown window builds at once.
        """
        self.clear()
        self.switch3d.set_data(extras)
        if not self.tracer.set_data(extras):
            self._set_notice(self.tracer.message)
            return
        self._unbuilt = True
        if not self.window().isVisible():
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
        if not self.tracer.ready or behind_tab(self) or (self.window().isVisible() and not self.isVisible()):
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
        """One panel per stage and a label per row (:func:`viz.views.uncrumple.layers_draw.layout_panels`)."""
        self.panels, self.row_labels = layout_panels(self.graphics, self.tracer.model,
                                                     max(2, int(self.tracer.y.max()) + 1), self.tracer.x.shape[1])
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
        draw_panel(self.panels[i], self.row_labels, self.tracer, self.traced, i, (self._connect_idx, self._connect),
                   self._jitter, RANGE_SLACK)

    def _spread(self, xy: np.ndarray) -> np.ndarray:
        """A 1-unit stage's (n, 2) coordinates with y replaced by a fixed jitter scaled to the x range."""
        return spread_1d(xy, self._jitter)

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
        save_graphics(self.graphics, path)

    def _clicked(self, event) -> None:
        for i, panel in enumerate(self.panels):
            if panel.plot.sceneBoundingRect().contains(event.scenePos()):
                if event.button() == QtCore.Qt.MouseButton.RightButton:
                    panel_menu(self, i, event.screenPos().toPoint())
                else:
                    self.stage_clicked.emit(i)
                return
