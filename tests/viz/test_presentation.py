"""Presentation mode (F11): full screen, text, markers and lines 1.5× as large; F11 or Esc gives the
window back as it was."""
from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.run.config import TrainingConfig
from viz import style
from viz.app.presentation import Presentation


def until(qtbot, predicate, timeout=30_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


@pytest.fixture
def window(qtbot, make_window):
    w = make_window(TrainingConfig(n_samples=120, grid_resolution=16), engine="thread")
    w.resize(1280, 800)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    w.session.step_epoch()
    until(qtbot, lambda: w.session.latest.epoch == 1 and w.session.state != "training")
    w.session.redraw_now()
    yield w
    style.set_scale(1.0)


def sizes(w):
    """What a user sees grow: the app's font, a tick font, a title, the data points, a curve's width."""
    boundary, curves = w.boundary, w.curves
    axis = boundary.plot.getAxis("bottom")
    points = [i for i in boundary.graphics.scene().items()
              if isinstance(i, pg.ScatterPlotItem) and not isinstance(i.parentItem(), pg.PlotDataItem) and len(i.data)]
    curve = next(i for i in curves.graphics.scene().items() if isinstance(i, pg.PlotDataItem) and i.opts.get("pen"))
    return dict(app=QApplication.font().pointSizeF(), tick=axis.style["tickFont"].pointSizeF(),
                points=points[0].opts["size"], line=max(pg.mkPen(curve.opts["pen"]).widthF(), 1.0),
                scale=style.scale())


def test_f11_presents_everything_larger_and_esc_puts_it_back(qtbot, window):
    w = window
    show = w.presentation                                # the window's own (F11 in the View menu)
    before, state = sizes(w), w.windowState()
    key = QApplication.focusWidget() or w
    qtbot.keyClick(key, Qt.Key.Key_F11)
    assert show.active and w.isFullScreen() and show.action.isChecked()
    big = sizes(w)
    for name in ("app", "tick", "points", "line", "scale"):
        assert big[name] == pytest.approx(1.5 * before[name]), name
    # a view drawn now reads the scale: new pens and symbols are 1.5× too
    assert style.smooth_pen().widthF() == 3 and style.epoch_symbol_kwargs("#000", False)["symbolSize"] == 10.5
    qtbot.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_Escape)
    assert not show.active and not w.isFullScreen() and not show.action.isChecked()
    assert sizes(w) == before and w.windowState() == state
    show.toggle()                                      # the menu's action, F11 again: in and out
    assert w.isFullScreen() and sizes(w)["tick"] == pytest.approx(1.5 * before["tick"])
    show.action.trigger()
    assert not w.isFullScreen() and sizes(w) == before


def test_status_numbers_stay_whole_in_the_larger_font(qtbot, window):
    from PySide6.QtWidgets import QStatusBar

    from viz.app.status import StatusNumbers
    status = StatusNumbers(QStatusBar(window), parent=window)
    label = status.labels["accuracy"]
    label.setText("accuracy 100.0% (val 100.0%)")
    show = Presentation(window)
    show.enter()
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())
    show.leave()
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())


def test_presentation_keeps_the_inspectors_thousands_of_links_thin(qtbot):
    """At 1.5 px Qt took about 2 s to paint the Neuron inspector's links (the monkey's longest stalls)."""
    from viz.app.presentation import _Changes, scale_scene
    from viz.views.uncrumple.inspector import InspectorView
    view = InspectorView()
    qtbot.addWidget(view)
    changes = _Changes()
    scale_scene(view.graphics, 1.5, changes)
    assert pg.mkPen(view.edges_pos.opts["pen"]).widthF() <= 1 and pg.mkPen(view.edges_neg.opts["pen"]).widthF() <= 1
    axis = view.net_plot.getAxis("bottom")
    assert axis.style["tickFont"] is not None            # the rest of the scene is scaled as before
    changes.undo()
