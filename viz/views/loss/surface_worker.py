"""The background evaluation of a loss-surface grid: a worker object for a ``QThread``.

:class:`GridWorker` runs :func:`core.analysis.loss.landscape.evaluate_grid` off the GUI thread with
progress and cancel; :class:`viz.views.loss.landscape.LandscapeView` owns the thread.
"""
from __future__ import annotations

import threading

from PySide6 import QtCore

from core.analysis.loss import landscape


class GridWorker(QtCore.QObject):
    """Evaluates one grid off the GUI thread; no parent, moved to a QThread.

    Signals carry the job number first, so a result that was already queued when its
    job was abandoned is recognised and dropped: ``progress(int, float)``,
    ``finished(int, object)`` (the :class:`core.analysis.loss.landscape.Grid`), ``failed(int, str)``,
    ``cancelled(int)``; exactly one of the last three is emitted.
    """

    progress = QtCore.Signal(int, float)
    finished = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self, job, model, x, y, plane, resolution, extent):
        super().__init__()
        self.job = job
        self._job = (model, x, y, plane, resolution, extent)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the computation to stop before its next chunk (thread-safe)."""
        self._cancel.set()

    @QtCore.Slot()
    def run(self) -> None:
        model, x, y, plane, resolution, extent = self._job
        try:
            grid = landscape.evaluate_grid(model, x, y, plane, resolution=resolution, span=extent,
                                           progress=lambda f: self.progress.emit(self.job, f),
                                           cancel=self._cancel.is_set)
        except landscape.Cancelled:
            self.cancelled.emit(self.job)
        except Exception as exc:          # noqa: BLE001 - reported to the GUI, never raised in the thread
            self.failed.emit(self.job, f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(self.job, grid)
