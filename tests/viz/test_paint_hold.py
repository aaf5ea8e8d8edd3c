"""The plots wait to paint while the window's layout changes (viz.app.layout.paint_hold).

Reset layout, a switch of workspace and presentation mode moved the docks over several turns of the
event loop, and every plot painted at each step: three times each for Reset layout, eleven times at
five sizes entering presentation mode, about a second of the GUI thread in the monkey."""
from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject

from viz import style
from viz.app.layout import paint_hold
from viz.app.layout.paint_hold import PaintHold


class PaintSizes(QObject):
    """The sizes each widget was painted at while installed (``with PaintSizes(widgets) as sizes:``)."""

    def __init__(self, widgets):
        super().__init__()
        self.widgets = list(widgets)
        self.sizes = {id(w): [] for w in self.widgets}

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.sizes[id(obj)].append((obj.width(), obj.height()))
        return False

    def __enter__(self):
        for w in self.widgets:
            w.installEventFilter(self)
        return self

    def __exit__(self, *exc):
        for w in self.widgets:
            w.removeEventFilter(self)

    def of(self, widget) -> list:
        return self.sizes[id(widget)]


def shown_window(qtbot, make_window):
    w = make_window(engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=30_000)
    return w


def settle(qtbot, w, paints, plots):
    """Wait until the hold is over and every plot painted, then a little more for any later paint."""
    qtbot.waitUntil(lambda: not w.dock_layout.paint_hold.held and all(paints.of(p) for p in plots), timeout=5_000)
    qtbot.wait(300)


def shown_plots(w) -> list:
    return [v.viewport() for v in w.findChildren(pg.GraphicsView) if v.isVisible()]


def test_reset_layout_paints_each_plot_at_its_final_size_only(qtbot, make_window):
    w = shown_window(qtbot, make_window)
    w.dock_curves.setFloating(True)                   # something for Reset layout to put back
    qtbot.waitUntil(lambda: w.dock_curves.isFloating(), timeout=5_000)
    qtbot.wait(200)
    plot = w.curves.graphics.viewport()
    with PaintSizes([plot]) as paints:
        w.reset_layout()
        assert w.dock_layout.paint_hold.held and w.updatesEnabled()   # the plots wait, never the window
        settle(qtbot, w, paints, [plot])
    assert not w.dock_curves.isFloating()
    assert set(paints.of(plot)) == {(plot.width(), plot.height())} and len(paints.of(plot)) <= 2, paints.of(plot)


def test_a_workspace_switch_paints_its_plots_at_their_final_size_only(qtbot, make_window):
    """Back to Learn, the curves painted 3-5 times at two sizes (the restored layout's, then side by side)."""
    w = shown_window(qtbot, make_window)
    w.dock_layout.show_workspace("descend")
    qtbot.waitUntil(lambda: not w.dock_layout.paint_hold.held, timeout=5_000)
    plot = w.curves.graphics.viewport()
    with PaintSizes([plot]) as paints:
        w.dock_layout.show_workspace("learn")
        settle(qtbot, w, paints, [plot])
    assert set(paints.of(plot)) == {(plot.width(), plot.height())} and len(paints.of(plot)) <= 2, paints.of(plot)


def test_presentation_mode_paints_every_plot_at_its_final_size_only(qtbot, make_window):
    """Entering, each plot painted up to eleven times at five sizes (the full screen and the larger
    font arrive over several turns); leaving, five times at three."""
    w = shown_window(qtbot, make_window)
    try:
        for move in (w.presentation.enter, w.presentation.leave):
            plots = shown_plots(w)
            with PaintSizes(plots) as paints:
                move()
                settle(qtbot, w, paints, plots)
            for p in plots:
                assert set(paints.of(p)) == {(p.width(), p.height())} and len(paints.of(p)) <= 3, \
                    (move.__name__, p.parentWidget().objectName(), paints.of(p))
    finally:
        style.set_scale(1.0)


def test_a_hold_ends_however_long_the_layout_keeps_changing(qtbot, make_window):
    """The plots paint again at the latest MAX_MS after the hold began, even while the window keeps
    being resized; a plot deleted meanwhile is passed over."""
    w = shown_window(qtbot, make_window)
    hold = PaintHold(w)
    hold.hold()
    views = [v for v in w.findChildren(pg.GraphicsView)]
    assert hold.held and views and not any(v.updatesEnabled() for v in views)
    gone = pg.PlotWidget(w)
    hold.hold()                                       # a second hold takes in the new plot too
    assert not gone.updatesEnabled()
    gone.deleteLater()
    sizes = iter([(1200, 780), (1280, 800)] * 1000)

    def keep_resizing():
        if hold.held:
            w.resize(*next(sizes))
    resizer = pg.QtCore.QTimer(interval=20)
    resizer.timeout.connect(keep_resizing)
    resizer.start()
    try:
        qtbot.waitUntil(lambda: not hold.held, timeout=5 * paint_hold.MAX_MS)
    finally:
        resizer.stop()
    assert all(v.updatesEnabled() for v in views) and w.updatesEnabled()
    hold.release()                                    # again: nothing happens
    assert not hold.held


@pytest.mark.parametrize("name", ["descend", "uncrumple"])
def test_the_plots_of_another_workspace_paint_once_it_is_shown(qtbot, make_window, name):
    """Nothing stays held: after a switch every plot shown has painted and takes updates again."""
    w = shown_window(qtbot, make_window)
    w.dock_layout.show_workspace(name)
    qtbot.waitUntil(lambda: not w.dock_layout.paint_hold.held, timeout=5_000)
    plots = shown_plots(w)
    assert plots and all(p.parentWidget().updatesEnabled() for p in plots)


def test_pinning_the_lessons_and_another_kind_of_run_hold_the_plots_too(qtbot, make_window):
    """Opening a lesson pins its panel (the docks make room over two turns); a regression run shows
    its own docks in the panes: both are layout changes whose plots wait to paint."""
    w = shown_window(qtbot, make_window)
    layout = w.dock_layout
    layout.pin("dock_lessons")
    assert layout.paint_hold.held
    qtbot.waitUntil(lambda: not layout.paint_hold.held, timeout=5_000)
    layout.pin("dock_lessons")                        # no change: no hold
    assert not layout.paint_hold.held
    layout.show_kind("surface")
    assert layout.paint_hold.held
    qtbot.waitUntil(lambda: not layout.paint_hold.held, timeout=5_000)
    assert all(v.updatesEnabled() for v in w.findChildren(pg.GraphicsView))
