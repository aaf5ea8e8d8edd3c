"""viz.redraw: a session's views redraw once per request burst, one view per event-loop turn, paced."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from viz.redraw import ViewRedrawer


class View(QWidget):
    def __init__(self, log, name):
        super().__init__()
        self.log, self.name = log, name
        self.resize(50, 50)

    def refresh(self):
        self.log.append(self.name)


def shown_views(qtbot, log, n):
    views = [View(log, f"v{i}") for i in range(n)]
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
    hidden = View(log, "hidden")
    qtbot.addWidget(hidden)                   # never shown
    for v in (*views, hidden):
        r.add(v)
    r.redraw_now()
    assert log == ["v0", "v1"] and r.redraws == 1


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
