"""Background work for a view: one computation at a time in a worker thread, cancellable, with progress.

The one helper every view uses for work that must not run on the GUI thread (a loss surface, a
1-D slice, a round of separability fits). The work is a plain function ``fn(cancel, progress)``
from core: ``cancel()`` says whether to stop (it may then raise
:class:`core.analysis.loss.landscape.Cancelled`), ``progress(fraction)`` reports how far it got.

>>> runner = JobRunner(view)                       # a QObject in the GUI thread (the view its parent)
>>> runner.finished.connect(view.take_result)      # the newest job's result, in the GUI thread
>>> runner.start(lambda cancel, progress: compute(data, cancel=cancel, progress=progress))

Starting a job cancels the one still running (its result is never delivered); :meth:`shutdown`
cancels and joins every thread (the runner calls it when the app quits and, with :meth:`watch`,
when the view's window closes). A worker moved to a thread has no parent and is held by the
runner until its thread has finished, as Qt asks.
"""
from __future__ import annotations

import threading
import weakref

from PySide6 import QtCore, QtWidgets
from shiboken6 import isValid

from core.analysis.loss.landscape import Cancelled
from viz.run import cpus


class _Worker(QtCore.QObject):
    """Runs one ``fn(cancel, progress)`` in a QThread; no parent. ``done(int)`` carries the job number
    once :attr:`result` (None if cancelled) or :attr:`error` (an exception's message) is set."""

    done = QtCore.Signal(int)
    progressed = QtCore.Signal(int, float)

    def __init__(self, number: int, fn):
        super().__init__()
        self.number, self.fn, self.result, self.error = number, fn, None, None
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop before the next chunk (thread-safe)."""
        self._cancel.set()

    @QtCore.Slot()
    def run(self) -> None:
        cpus.free_this_thread()           # not only the window's CPU (viz.run.cpus)
        try:
            self.result = self.fn(self._cancel.is_set, lambda f: self.progressed.emit(self.number, float(f)))
        except Cancelled:
            self.result = None
        except Exception as exc:          # noqa: BLE001 - reported to the GUI, never raised in the thread
            self.error = f"{type(exc).__name__}: {exc}"
        self.done.emit(self.number)


class JobRunner(QtCore.QObject):
    """One computation at a time in a worker thread, for a view (its parent, in the GUI thread).

    Signals
    -------
    finished(object)
        The newest job's result (a job that was replaced or cancelled delivers nothing).
    failed(str)
        The newest job raised: the exception's type and message.
    progress(float)
        How far the newest job got, from 0 to 1 (for jobs that report it).
    """

    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    progress = QtCore.Signal(float)

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._number = 0
        self._current = None          # (worker, thread) of the newest job, until its result is taken
        self._threads = []            # every (worker, thread) not joined yet, the current one included
        self._watched = None          # weak ref to the watched window: a strong one kept the window alive
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def busy(self) -> bool:
        """Whether the newest job's result is still to come."""
        return self._current is not None

    def start(self, fn, name: str = "uncrumple-job") -> None:
        """Run ``fn(cancel, progress)`` in a new thread named ``name``; the job still running, if any,
        is cancelled (not waited for)."""
        self.cancel()
        self._number += 1
        worker = _Worker(self._number, fn)
        thread = QtCore.QThread()
        thread.setObjectName(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        worker.done.connect(self._on_done)
        worker.progressed.connect(self._on_progress)
        self._current = (worker, thread)
        self._threads.append(self._current)
        thread.start()

    def cancel(self) -> None:
        """Drop the running job: it stops before its next chunk and its result is never delivered."""
        if self._current is not None:
            self._current[0].cancel()
            self._current = None

    def wait(self):
        """Join the running job's thread and return ``(result, error message or None)``, or None when
        no job is running (a cancelled job's result is None)."""
        if self._current is None:
            return None
        worker, thread = self._current
        self._current = None
        thread.quit()
        thread.wait()
        self._reap()
        return worker.result, worker.error

    def shutdown(self) -> None:
        """Cancel and join every thread (on the view's or its window's close and the app's quit)."""
        self.cancel()
        for worker, thread in self._threads:
            worker.cancel()
            thread.quit()
            thread.wait()
        self._reap()

    def watch(self, widget: QtWidgets.QWidget) -> None:
        """Shut down when the window holding ``widget`` (its top ancestor, a floating dock's too) closes."""
        top = widget
        while top.parentWidget() is not None:
            top = top.parentWidget()
        watched = self._watched() if self._watched is not None else None
        if top is not widget and top is not watched:
            if watched is not None and isValid(watched):
                watched.removeEventFilter(self)
            top.installEventFilter(self)
            self._watched = weakref.ref(top)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QtCore.QEvent.Type.Close:
            self.shutdown()
        return False

    def _reap(self) -> None:
        keep = []
        for worker, thread in self._threads:
            if thread.isFinished():
                thread.wait()
                thread.deleteLater()     # the worker (no parent) goes with the last Python reference
            else:
                keep.append((worker, thread))
        self._threads = keep

    @QtCore.Slot(int, float)
    def _on_progress(self, number: int, fraction: float) -> None:
        if self._current is not None and self._current[0].number == number:
            self.progress.emit(fraction)

    @QtCore.Slot(int)
    def _on_done(self, number: int) -> None:
        current = self._current
        if current is not None and current[0].number == number:
            self._current = None
            current[1].quit()
            current[1].wait()          # its run() has returned: the thread ends at once
            worker = current[0]
            if worker.error is not None:
                self.failed.emit(worker.error)
            elif worker.result is not None:
                self.finished.emit(worker.result)
        self._reap()
