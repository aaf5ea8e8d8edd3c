"""Cyclic garbage collected in the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a generation's count
passes its threshold: in the app that is often the thread relaying the trainer's snapshots (while
it unpickles one), a command sender or a slice worker. Garbage from the views (pyqtgraph items in
reference cycles, a closed menu) then dies in that thread. Seen in the monkey test: the relay
thread, collecting inside ``pickle.loads``, ran a ``QObject`` destructor and waited for the GIL,
while the GUI thread, holding it, waited in shiboken's deferred deletion for a Qt mutex the relay
thread held. A deadlock.

pyqtgraph's documentation gives the remedy used here (``pyqtgraph.util.garbage_collector``): turn
automatic collection off and collect from a timer in the GUI thread, generation by generation,
with the same thresholds. Every main window holds a :class:`GuiThreadCollector`; automatic
collection stays off while any of them lives and comes back (if it was on) when the last goes.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: milliseconds between two checks of the collector's counts
INTERVAL_MS = 250

_holders = 0            # collectors alive and not stopped
_was_enabled = True     # automatic collection before the first of them


def _hold() -> None:
    global _holders, _was_enabled
    if _holders == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _holders += 1


def _release(token: dict) -> None:
    """Let go of one hold (once per token: :meth:`GuiThreadCollector.stop` or its deletion)."""
    global _holders
    if not token["held"]:
        return
    token["held"] = False
    _holders -= 1
    if _holders == 0 and _was_enabled:
        gc.enable()


class GuiThreadCollector(QObject):
    """While alive and not stopped, automatic collection is off and this object's timer collects the
    generations whose counts passed their thresholds, in the thread it lives in (the GUI thread).

    Attributes
    ----------
    collections : list[int]
        How many collections of generations 0, 1 and 2 it has run.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = [0, 0, 0]
        self._token = {"held": True}
        _hold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)
        # deleted without stop() (its window went): the hold goes with it (the lambda holds no self)
        token = self._token
        self.destroyed.connect(lambda *_: _release(token))

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
        """Stop the timer and let go of the hold (automatic collection is back with the last one)."""
        self._timer.stop()
        _release(self._token)
