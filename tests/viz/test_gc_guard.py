"""viz.app.gc_guard: cyclic garbage made in other threads dies in the GUI thread."""
from __future__ import annotations

import gc
import threading

import shiboken6
from PySide6.QtCore import QObject

from viz.app import gc_guard
from viz.app.gc_guard import GuiThreadCollector


class Cycle:
    """One half of a reference cycle that records the thread it is finalized in."""

    def __init__(self, log):
        self.log, self.other = log, None

    def __del__(self):
        self.log.append(threading.get_ident())


def make_cycles(log, n):
    for _ in range(n):
        a, b = Cycle(log), Cycle(log)
        a.other, b.other = b, a


def test_garbage_made_in_a_thread_is_collected_in_the_gui_thread(qtbot):
    holders = gc_guard._holders                # windows of earlier tests may hold collectors too
    parent = QObject()
    guard = GuiThreadCollector(parent, interval_ms=10)
    try:
        assert not gc.isenabled()
        log = []
        t = threading.Thread(target=make_cycles, args=(log, 2000))   # well past generation 0's threshold
        t.start()
        t.join()
        assert log == []                       # nothing collected in the thread that made it
        qtbot.waitUntil(lambda: len(log) == 4000, timeout=5000)
        assert set(log) == {threading.get_ident()}   # by this collector or an open window's, all in this thread
        assert guard.collections[0] >= 1 or holders > 0
    finally:
        guard.stop()
    assert gc_guard._holders == holders


def test_automatic_collection_comes_back_with_the_last_collector_only(qtbot, monkeypatch):
    was = gc.isenabled()                       # off if windows of earlier tests are still open
    monkeypatch.setattr(gc_guard, "_holders", 0)   # as if no window were open (both restored after)
    monkeypatch.setattr(gc_guard, "_was_enabled", gc_guard._was_enabled)
    gc.enable()
    try:
        first, second = QObject(), QObject()
        GuiThreadCollector(first)
        stopped = GuiThreadCollector(second)
        stopped.stop()
        stopped.stop()                         # twice: one release only
        assert not gc.isenabled()              # the first one still holds
        shiboken6.delete(first)                # its window closed without stop()
        assert gc.isenabled()
        shiboken6.delete(second)               # already released: nothing more
        assert gc.isenabled() and gc_guard._holders == 0
    finally:
        (gc.enable if was else gc.disable)()


def test_a_main_window_collects_in_the_gui_thread(make_window, fast_config):
    window = make_window(fast_config)
    assert isinstance(window.gc_guard, GuiThreadCollector) and not gc.isenabled()
