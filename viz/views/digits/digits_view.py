"""What the digits views share: their base class :class:`DigitsView` (the shared
:class:`viz.views.digits.digits_run.DigitsRun` and a message line), the image and bar plots they
draw digits and probabilities in, and their colours.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from viz import style
from viz.views.common.view import View
from viz.views.common.visibility import behind_tab
from viz.views.digits.digits_run import NOTICE, DigitsRun

#: ten distinguishable class colours (Tableau 10)
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
GRAY = pg.ColorMap([0.0, 1.0], ["#ffffff", "#000000"], name="ink")  # ink black on white paper
#: bars of a digit's probabilities: the true class, a wrong guess, the others
GOOD, BAD, OTHER = "#1a9641", "#d7191c", "#b0b0b0"


def notice_label() -> QtWidgets.QLabel:
    """The message line under a digits view (word-wrapped, in the readout style)."""
    lab = QtWidgets.QLabel(NOTICE)
    lab.setStyleSheet(style.palette().readout_css)
    lab.setWordWrap(True)
    return lab


def image_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int, **kw) -> tuple[pg.PlotItem, pg.ImageItem]:
    """A square-pixel plot with y down and one ImageItem (grayscale ink)."""
    plot = graphics.addPlot(row=row, col=col, **kw)
    plot.setAspectLocked(True)
    plot.invertY(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    plot.hideButtons()
    img = pg.ImageItem(axisOrder="row-major")
    img.setLookupTable(GRAY.getLookupTable(nPts=256))
    plot.addItem(img)
    return plot, img


def bar_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int) -> tuple[pg.PlotItem, pg.BarGraphItem]:
    """A fixed plot of 10 bars in [0, 1] (a digit's probabilities), ticked 0 to 9."""
    plot = graphics.addPlot(row=row, col=col)
    style.apply_plot_style(plot)
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setYRange(0, 1, padding=0.02)
    plot.setXRange(-0.6, 9.6, padding=0)
    plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
    bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.75, brush=OTHER)
    plot.addItem(bars)
    return plot, bars


class DigitsView(View):
    """Base of the digits views: the shared :class:`DigitsRun` (``digits``) and a ``message`` line.

    A subclass lays itself out with :meth:`_stack` and draws in :meth:`draw`, which starts with
    ``if not self._should_draw(): return False`` (something new came for an MNIST-type run, and
    the view can be seen). Views that draw the network's predictions (the digits run's
    evaluation) set ``evaluates`` and a ``min_interval``: they redraw when an evaluation is done
    and draw through :meth:`_draw_evaluation`.

    Parameters
    ----------
    digits : DigitsRun, optional
        The run state the digits views share (the dock registry makes one for all); a view of
        its own when None (scripts, tests).
    """

    #: draws the digits run's predictions: redraws when an evaluation is done
    evaluates = False

    def __init__(self, digits: DigitsRun | None = None, parent=None):
        super().__init__(parent)
        self.digits = digits if digits is not None else DigitsRun(self)
        if self.evaluates:
            self.digits.evaluated.connect(self._on_evaluated)
        self.message = notice_label()
        self.message.setText("No run yet.")
        self._dirty = False
        self._shown_probs = None     # the evaluation (DigitsRun.test_probs) drawn last

    def _stack(self, *rows, stretch=None) -> None:
        """Lay out ``rows`` (widgets or layouts) top to bottom, then the message; ``stretch`` grows."""
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        for row in rows:
            add = lay.addLayout if isinstance(row, QtWidgets.QLayout) else lay.addWidget
            add(row, 1 if row is stretch else 0)
        lay.addWidget(self.message)

    # ---- lifecycle ------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run (the shared digits run starts over when it gets another)."""
        self._dirty = False
        self._shown_probs = None
        self.message.setText("No run yet.")
        super().clear()

    def build(self, run) -> None:
        """Hand ``run`` to the shared digits run (once for all the views); say why not if it is no
        MNIST-type run."""
        ok = self.digits.set_run(run)
        self.message.setText("" if ok else self.digits.message)
        self._dirty = ok

    def add_snapshot(self, snap) -> None:
        """New weights (live or from the timeline) for the shared digits run."""
        self.digits.add_snapshot(snap)
        if snap.weights:
            self._dirty = True

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Nothing to drop: the digits views show one epoch's weights (``ConfusionView`` extends it)."""

    def finish(self) -> None:
        """Draw the newest weights now, their evaluation included (an exported picture, the
        ``--screenshot``): no evaluation left for later turns."""
        super().finish()
        if not self.digits.ok:
            return
        self.digits.finish()
        self._dirty = True
        self.refresh()

    # ---- for subclasses -------------------------------------------------------------------------
    def _should_draw(self) -> bool:
        """Whether to draw now (and then nothing new is left to draw): something new for an
        MNIST-type run, and the view is not a tab behind another. Without such a run, the message
        says why."""
        if not self.digits.ok:
            self.message.setText(self.digits.message)
            return False
        if not self._dirty or behind_tab(self):
            return False
        self._dirty = False
        return True

    def _model(self):
        """The network with the newest weights, or None (the message then says why)."""
        model = self.digits.model()
        if model is None:
            self.message.setText(self.digits.message)
        return model

    def _draw_evaluation(self, show) -> bool:
        """Draw the digits run's newest evaluation with ``show()`` if this view has not drawn it yet,
        else start evaluating the newest weights; whether it drew.

        The next evaluation starts only in a draw that showed none, so the redraw clock's pacing
        (``min_interval``) spaces the evaluations as it spaces the view's draws.
        """
        d = self.digits
        if d.test_probs is not None and d.test_probs is not self._shown_probs:
            self._shown_probs = d.test_probs
            show()
            if d.needs_evaluation:       # newer weights wait: evaluate them when the clock allows
                self._dirty = True
                self.redraw_wanted.emit()
            return True
        d.request()
        return False

    def _on_evaluated(self) -> None:
        self._dirty = True
        self.redraw_wanted.emit()
