"""Cyclic garbage collected in the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a generation's count
passes its threshold: in the app that is often the thread relaying the trainer's snapshots, a
command sender or a slice worker. Garbage from the views (pyqtgraph items in reference cycles, a
closed run's plots) then dies in that thread, and deleting Qt objects outside the GUI thread
crashes or deadlocks Qt. pyqtgraph's documentation gives the remedy used here
(``pyqtgraph.util.garbage_collector``): turn automatic collection off and collect from a timer in
the GUI thread, generation by generation, with the same thresholds.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: milliseconds between two checks of the collector's counts
INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    """While alive (and :meth:`stop` not called), automatic collection is off and this object's timer
    collects the generations whose counts passed their thresholds, in the thread it lives in.

    Attributes
    ----------
    collections : list[int]
        How many collections of generations 0, 1 and 2 it has run.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = [0, 0, 0]
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)
        # deleted without stop() (its window closed): automatic collection back, as it was
        self.destroyed.connect(lambda *_, on=self._was_enabled: gc.enable() if on else None)

    def check(self) -> None:
        """Collect the generations due, youngest first (what the automatic collector would have done)."""
        l0, l1, l2 = gc.get_count()
        if l0 <= self.threshold[0]:
            return
        gc.collect(0)
        self.collections[0] += 1
        if l1 > self.threshold[1]:
            gc.collect(1)
            self.collections[1] += 1
            if l2 > self.threshold[2]:
                gc.collect(2)
                self.collections[2] += 1

    def stop(self) -> None:
        """Stop the timer and give automatic collection back (if it was on before)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
