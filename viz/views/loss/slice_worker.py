"""The 1D slice's computation off the GUI thread: the next step, the line and the loss along it.

:func:`compute_slice` does one whole job on a model of its own (the optimizer's next step,
:func:`viz.views.loss.slice_step.trainer_step`; the direction; the span; :func:`core.analysis.loss.landscape.slice_1d`),
so it can run in any thread. :class:`SliceRunner` runs one job at a time in a ``QThread``
(a :class:`SliceWorker` with no parent, moved to it) and hands the newest job's result to the
GUI thread with its ``finished`` signal. A newer job cancels the older one without waiting for
it (it stops before its next chunk); only :meth:`SliceRunner.wait` (exports, tests) and
:meth:`SliceRunner.shutdown` (the view's or its window's close, the app's quit) join a thread.
"""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtWidgets
from shiboken6 import isValid

from core.analysis.loss import landscape
from core.run.config import TrainingConfig, build_model
from viz.views.loss.slice_step import trainer_step

RESOLUTION = 201           # points along the line


@dataclass(frozen=True)
class SliceJob:
    """Everything one slice needs, copied from the view (the GUI thread may change its own meanwhile).

    ``kind`` is ``"step"``, ``"random"`` or ``"weight"`` (then ``weight`` is the flat index);
    ``auto`` chooses the span so the step fills about a third of the plot, else ``span`` is used.
    ``x``, ``y`` are the view's sample and its targets; ``train``, ``ckpt`` and ``hyper`` are as
    for :func:`viz.views.loss.slice_step.trainer_step`. ``model``, if given, is a network of the same
    config built earlier (by a finished job: building a 4096 x 4096 one takes ~1 s); the job owns it.
    """

    config: TrainingConfig
    n_classes: int
    weights: list
    x: np.ndarray
    y: np.ndarray
    kind: str = "step"
    weight: int = 0
    span: float = 1.0
    auto: bool = True
    hyper: dict | None = None
    ckpt: object = None
    train: tuple | None = None
    resolution: int = RESOLUTION
    model: object = None


@dataclass(frozen=True)
class SliceResult:
    """A computed slice (:class:`core.analysis.loss.landscape.Slice`), the arrow's texts, the seconds it took and the
    model it used (for the next job)."""

    slice: object
    step: np.ndarray
    step_text: str
    batch_text: str
    seconds: float
    model: object = None


def compute_slice(job: SliceJob, cancel=None) -> SliceResult:
    """The slice of ``job`` (any thread); raises :class:`core.analysis.loss.landscape.Cancelled` when ``cancel()`` says so."""
    start = time.perf_counter()
    m = job.model if job.model is not None else build_model(job.config, job.x.shape[1], job.n_classes)
    m.set_weights(job.weights)
    direction = {"step": None, "weight": int(job.weight)}.get(job.kind)
    if job.kind == "random":
        direction = landscape.random_plane(m, seed=0).d1
    step, step_text, batch_text = trainer_step(m, job.x, job.y, job.config, job.hyper or {}, job.ckpt, job.train)
    span = float(job.span)
    if job.auto:
        if job.kind == "step":
            length = float(np.linalg.norm(step))
        elif job.kind == "weight":
            length = abs(float(step[direction]))
        else:
            length = abs(float(step @ direction)) / float(direction @ direction)
        span = float(np.clip(3.0 * length, 1e-3, 10.0)) if np.isfinite(length) and length > 0 else span
    s = landscape.slice_1d(m, job.x, job.y, direction=direction, span=span, resolution=job.resolution,
                           step=step, cancel=cancel)
    return SliceResult(s, step, step_text, batch_text, time.perf_counter() - start, m)


class SliceWorker(QtCore.QObject):
    """Computes one job in a QThread; no parent. ``done(int)`` carries the job number once
    :attr:`result` is set: ``fn(cancel)``'s return value (for a :class:`SliceJob`, its
    :class:`SliceResult`), or None if cancelled; an exception's message is in :attr:`error`."""

    done = QtCore.Signal(int)

    def __init__(self, number: int, fn):
        super().__init__()
        self.number, self.fn, self.result, self.error = number, fn, None, None
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop before the next chunk (thread-safe)."""
        self._cancel.set()

    @QtCore.Slot()
    def run(self) -> None:
        try:
            self.result = self.fn(self._cancel.is_set)
        except landscape.Cancelled:
            self.result = None
        except Exception as exc:          # noqa: BLE001 - reported to the GUI, never raised in the thread
            self.error = f"{type(exc).__name__}: {exc}"
        self.done.emit(self.number)


class SliceRunner(QtCore.QObject):
    """One computation at a time in a worker thread, for a view (its parent, in the GUI thread).

    :meth:`start` computes a :class:`SliceJob`, :meth:`start_call` any ``fn(cancel)`` (which may
    raise :class:`core.analysis.loss.landscape.Cancelled` when ``cancel()`` is True). Signals: ``finished(object)``
    with the newest job's result, ``failed(str)``. A result of a job that was replaced or
    cancelled is dropped.
    """

    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, parent=None):
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

    def start(self, job: SliceJob) -> None:
        """Compute ``job`` in a new thread; the job still running, if any, is cancelled (not waited for)."""
        self.start_call(lambda cancel: compute_slice(job, cancel=cancel))

    def start_call(self, fn, name: str = "uncrumple-slice") -> None:
        """Run ``fn(cancel)`` in a new thread named ``name``; the job still running, if any, is cancelled."""
        self.cancel()
        self._number += 1
        worker = SliceWorker(self._number, fn)
        thread = QtCore.QThread()
        thread.setObjectName(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        worker.done.connect(self._on_done)
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
