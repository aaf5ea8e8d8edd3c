"""viz.gc_guard: cyclic garbage made in other threads dies in the GUI thread."""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from viz.gc_guard import GuiThreadCollector


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
        assert set(log) == {threading.get_ident()} and guard.collections[0] >= 1
    finally:
        guard.stop()
    assert gc.isenabled()


def test_deleting_the_guard_turns_automatic_collection_back_on(qtbot):
    import shiboken6
    parent = QObject()
    GuiThreadCollector(parent)
    assert not gc.isenabled()
    shiboken6.delete(parent)                   # the window closed without stop()
    assert gc.isenabled()
