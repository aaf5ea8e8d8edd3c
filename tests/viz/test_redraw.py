"""viz.run.redraw: a session's views redraw once per request burst, one view per event-loop turn, paced."""
from __future__ import annotations

import time

from viz.run.redraw import ViewRedrawer
from viz.views.common.view import View


class LogView(View):
    """A view that logs its refreshes."""

    def __init__(self, log, name):
        super().__init__()
        self.log, self.name = log, name
        self.resize(50, 50)

    def draw(self):
        self.log.append(self.name)


def shown_views(qtbot, log, n):
    views = [LogView(log, f"v{i}") for i in range(n)]
    for v in views:
        qtbot.addWidget(v)
        v.show()
        qtbot.waitExposed(v)
    return views


def test_requests_coalesce_into_one_frame_that_refreshes_each_view_once(qtbot):
    log = []
    r = ViewRedrawer()
    views = shown_views(qtbot, log, 3)
    for v in views:
        r.add(v)
    with qtbot.waitSignal(r.drawn, timeout=2000):
        for _ in range(5):
            r.request()                       # five snapshots in a burst: one frame
    assert log == ["v0", "v1", "v2"] and r.redraws == 1
    qtbot.wait(100)
    assert r.redraws == 1                     # nothing new: no frame


def test_a_frame_refreshes_one_view_per_event_loop_turn(qtbot):
    log = []
    r = ViewRedrawer()
    views = shown_views(qtbot, log, 3)       # held here: the redrawer holds views weakly
    for v in views:
        r.add(v)
    r.dirty = True
    r._tick()                                 # the timer's call
    assert log == ["v0"]                      # the others wait for the next turns
    qtbot.waitUntil(lambda: len(log) == 3, timeout=2000)
    assert r.redraws == 1


def test_hidden_views_stay_out_of_frames_and_redraw_now_does_all_at_once(qtbot):
    log = []
    r = ViewRedrawer()
    views = shown_views(qtbot, log, 2)
    hidden = LogView(log, "hidden")
    qtbot.addWidget(hidden)                   # never shown
    for v in (*views, hidden):
        r.add(v)
    r.redraw_now()
    assert log == ["v0", "v1"] and r.redraws == 1


def test_redraw_now_during_a_paced_frame_still_draws_the_view_the_frame_left_out(qtbot):
    """A paced frame leaves out a view that drew too recently; a picture taken with redraw_now
    in the middle of that frame must still show that view's newest data (the --screenshot's curves
    were a few epochs behind the status bar)."""
    log = []
    r = ViewRedrawer()
    fast, slow = shown_views(qtbot, log, 2)
    slow.min_interval = 3600.0                # drew a moment ago: not due for an hour
    r.add(fast)
    r.add(slow)
    r._drawn_at[slow] = time.perf_counter()
    fast2 = LogView(log, "v2")
    qtbot.addWidget(fast2)
    fast2.show()
    qtbot.waitExposed(fast2)
    r.add(fast2)
    r.dirty = True
    r._tick()                                 # a paced frame: v0 now, v2 on the next turn, not v1
    assert log == ["v0"]
    r.redraw_now()
    assert log == ["v0", "v2", "v0", "v1", "v2"]   # the frame finished, then every view drawn
    r.stop()


def test_views_are_held_weakly_and_stop_ends_redraws(qtbot):
    log = []
    r = ViewRedrawer()
    views = shown_views(qtbot, log, 2)
    for v in views:
        r.add(v)
    views[0].deleteLater()
    qtbot.waitUntil(lambda: len(r.live()) == 1, timeout=2000)
    r.stop()
    r.request()
    qtbot.wait(100)
    assert log == [] and r.redraws == 0


class TwoPartView(LogView):
    def draw(self):                        # all at once (scripts); the redrawer uses the parts
        self.log.append("whole")

    def refresh_parts(self):
        return (lambda: self.log.append("part 1"), lambda: self.log.append("part 2"))


def test_a_view_with_refresh_parts_is_refreshed_one_part_per_step(qtbot):
    log = []
    r = ViewRedrawer()
    view = TwoPartView(log, "two")
    plain = shown_views(qtbot, log, 1)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    for v in (view, *plain):
        r.add(v)
    r.dirty = True
    r._tick()
    assert log == ["part 1"]                  # the second part waits for a later step
    qtbot.waitUntil(lambda: r.redraws == 1, timeout=2000)
    assert log == ["part 1", "part 2", "v0"]
    r.redraw_now()
    assert log[3:] == ["part 1", "part 2", "v0"]


class ShrinkingView(LogView):
    """A view whose first part starts a new run with one part fewer (a network with fewer layers)."""

    def __init__(self, log, name):
        super().__init__(log, name)
        self.n = 3

    def refresh_parts(self):
        def first():
            self.log.append("part 1")
            self.n = 2
        return (first, *(lambda i=i: self.log.append(f"part {i}") for i in range(2, self.n + 1)))


def test_parts_that_vanish_within_a_frame_are_skipped(qtbot):
    """Found by the monkey: a new run with fewer layers arrived while a frame was half done."""
    log = []
    r = ViewRedrawer()
    view = ShrinkingView(log, "shrinking")
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    r.add(view)
    r.dirty = True
    r._tick()
    qtbot.waitUntil(lambda: r.redraws == 1, timeout=2000)
    assert log == ["part 1", "part 2"]        # the third part of the frame is gone, and no error


def test_curves_refresh_parts_draw_the_same_as_refresh(qtbot):
    from core.run.config import TrainingConfig
    from core.run.serve import _Run
    from viz.views.training.curves import CurvesView
    run = _Run(TrainingConfig())
    views = [CurvesView(), CurvesView()]
    for v in views:
        qtbot.addWidget(v)
        v.add_snapshot(run.snapshot(with_run=True))
    for _ in range(3):
        run.trainer.train_epoch()
        snap = run.snapshot(weights=False)
        for v in views:
            v.add_snapshot(snap)
    views[0].refresh()
    loss, accuracy = views[1].refresh_parts()
    assert loss() is True
    assert views[1].raw_accuracy_curve.getData()[0] is None or len(views[1].raw_accuracy_curve.getData()[0]) == 0
    assert accuracy() is True and accuracy() is False          # drawn once
    for a, b in zip(views[0]._all_curves(), views[1]._all_curves()):
        for da, db in zip(a.getData(), b.getData()):
            assert (da is None and db is None) or (da == db).all()


def test_docks_shown_by_reset_layout_redraw_later_one_step_at_a_time(qtbot, make_window, monkeypatch):
    from viz.views.training.curves import CurvesView
    calls = []
    real = CurvesView._refresh_loss           # what refresh() and the redrawer's first step call
    monkeypatch.setattr(CurvesView, "_refresh_loss", lambda self: calls.append(1) or real(self))
    w = make_window(engine="thread")
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None, timeout=30_000)
    w.dock_curves.close()
    qtbot.waitUntil(lambda: not w.dock_curves.isVisible(), timeout=5_000)
    calls.clear()
    w.reset_layout()                           # a dozen docks shown in one click
    assert calls == []                         # none refreshed inside it: the window stays responsive
    qtbot.waitUntil(lambda: len(calls) > 0, timeout=5_000)   # the session's redrawer does it, in steps


# ---- paints in steps of their own ----------------------------------------------------------------
class PlotView(View):
    """A view with one pyqtgraph plot; counts the paints of the plot's viewport."""

    def __init__(self, new_data=True):
        super().__init__()
        import pyqtgraph as pg
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtWidgets import QVBoxLayout
        self.plot = pg.PlotWidget()
        QVBoxLayout(self).addWidget(self.plot)
        self.curve = self.plot.plot([0, 1], [0, 1])
        self.new_data, self.k, self.paints = new_data, 1, 0
        self.modes = []                      # the plot's update mode seen by each refresh
        view = self

        class Count(QObject):
            def eventFilter(self, obj, ev):
                if ev.type() == QEvent.Type.Paint:
                    view.paints += 1
                return False
        self._count = Count(self)
        self.plot.viewport().installEventFilter(self._count)
        self.resize(200, 150)

    def draw(self):
        self.modes.append(self.plot.viewportUpdateMode())
        if not self.new_data:
            return False
        self.k += 1
        self.curve.setData([0, 1, 2], [0, self.k, 1])
        return True


def shown_plot_view(qtbot, new_data=True):
    """A shown PlotView registered with a new redrawer, settled: ``(redrawer, view)``."""
    r = ViewRedrawer()
    v = PlotView(new_data)
    qtbot.addWidget(v)
    v.show()
    qtbot.waitExposed(v)
    r.add(v)
    settle(qtbot, r)
    return r, v


def settle(qtbot, r):
    qtbot.waitUntil(lambda: not r._in_frame, timeout=2000)
    qtbot.wait(50)                            # posted paints processed


def test_a_refresh_paints_in_a_later_step_not_in_its_own_turn(qtbot):
    from PySide6.QtWidgets import QApplication, QGraphicsView
    r, v = shown_plot_view(qtbot)
    before = v.paints
    r.dirty = True
    r._tick()                                 # the refresh step
    QApplication.processEvents()              # the scene's queued update and any paint it posts
    QApplication.processEvents()
    assert v.modes[-1] == QGraphicsView.ViewportUpdateMode.NoViewportUpdate
    assert v.paints == before                 # held back to the PAINT step
    settle(qtbot, r)
    assert v.paints > before                  # ... which painted it
    assert v.plot.viewportUpdateMode() != QGraphicsView.ViewportUpdateMode.NoViewportUpdate


def test_a_refresh_with_nothing_new_costs_no_paint(qtbot):
    from PySide6.QtWidgets import QGraphicsView
    r, v = shown_plot_view(qtbot, new_data=False)
    before = v.paints
    r.request()
    settle(qtbot, r)
    assert len(v.modes) >= 1 and v.paints == before
    assert v.plot.viewportUpdateMode() != QGraphicsView.ViewportUpdateMode.NoViewportUpdate


def test_a_plot_whose_range_follows_its_data_paints_once_a_frame(qtbot):
    """pyqtgraph fits an auto range at the start of a paint, and what that moves asks for a second paint
    in a later turn; the clock fits it in the refresh step, so each frame paints the plot once."""
    r, v = shown_plot_view(qtbot)
    v.plot.getPlotItem().getAxis("left").setWidth(40)        # new tick labels do not lay the plot out anew
    settle(qtbot, r)
    for _ in range(3):
        before, top = v.paints, v.plot.getPlotItem().viewRange()[1][1]
        r.request()
        settle(qtbot, r)
        assert v.plot.getPlotItem().viewRange()[1][1] > top     # the range grew with the data...
        assert v.paints == before + 1                            # ... in one paint
