"""Workers: QObjects that live in a QThread and relay a trainer's messages as Qt signals.

The trainer itself runs :func:`core.run.serve.serve` on the far end of a
``multiprocessing`` pipe: in a child process (:class:`ProcessWorker`, the default,
so training never holds the GUI process's GIL) or in a plain Python thread
(:class:`ThreadWorker`, ``--engine thread``, for debugging and comparison). Either
way the worker's loop blocks on the pipe (``conn.poll`` releases the GIL), turns
each message into a signal and never draws anything.

Lifecycle (driven by :class:`viz.run.session.Session`)::

    worker = ProcessWorker(config)          # no parent
    worker.moveToThread(thread)
    thread.started.connect(worker.run)      # the loop runs in the thread
    thread.start()
    worker.send(("play",))                  # from the GUI thread; thread-safe
    worker.stop(); thread.wait()            # stop: ("stop",), join the trainer, end the loop
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.run.config import TrainingConfig

from viz.run import blas, cpus

#: seconds the loop blocks on the pipe before checking the stop flag and the trainer's health
POLL_SECONDS = 0.1
#: seconds to wait for the trainer to leave after ("stop",) before terminating it
JOIN_SECONDS = 3.0


class _PipeWorker(QObject):
    """Common loop: start the trainer, relay its messages, report errors and death.

    Signals
    -------
    snapshot(object)
        A :class:`core.engine.training.Snapshot`, in the order the trainer sent them.
    errored(str)
        The trainer reported an error (bad config, bad value, an exception); it keeps serving.
    died(str)
        The trainer went away without being told to stop.
    loading(object)
        A :class:`core.run.load_progress.LoadProgress`: how far the trainer has read a run's CSV file.
    load_cancelled(str)
        Reading a run's CSV file was cancelled (``("cancel_load",)``); the text says which file.
    finished()
        The loop has ended and the trainer is joined (emitted from the worker's thread).
    """

    snapshot = Signal(object)
    errored = Signal(str)
    died = Signal(str)
    loading = Signal(object)
    load_cancelled = Signal(str)
    finished = Signal()

    engine = "?"

    def __init__(self, config: TrainingConfig):
        super().__init__()  # no parent: it is moved to a QThread
        self.config = config
        self._lock = threading.Lock()
        self._conn = None
        # commands go down the pipe from a sender thread: a big one (a run's checkpoint to restore,
        # megabytes) blocks until the trainer reads it, and the GUI thread must never wait for that
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = False

    # ---- called from the GUI thread -------------------------------------------------------------
    def send(self, cmd: tuple) -> None:
        """Queue one command tuple for the trainer (thread-safe, returns at once, order kept)."""
        with self._lock:
            if not self._stop.is_set():
                self._outbox.put(cmd)

    def stop(self) -> None:
        """Ask the trainer and the loop to end (thread-safe, returns at once).

        ``("stop",)`` is queued after the commands already sent; the loop then joins
        the trainer (terminating it if it does not leave in time) and emits ``finished``.
        """
        with self._lock:
            if not self._stop.is_set():
                self._stop.set()
                self._outbox.put(("stop",))
                self._outbox.put(None)          # the sender's end

    @property
    def pid(self) -> int | None:
        """The trainer's process id (None for the thread engine or before it started)."""
        return None

    @property
    def running(self) -> bool:
        """True from the start of :meth:`run` until the trainer is joined."""
        return self._running

    # ---- the loop, in the worker's thread -------------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Start the trainer and relay its messages until :meth:`stop` or its death."""
        self._running = True
        try:
            self._loop()
        except Exception:  # noqa: BLE001 - anything unexpected leaves as a signal, never a crash
            self.errored.emit(traceback.format_exc())
        finally:
            with self._lock:
                conn, self._conn = self._conn, None
            self._shutdown_trainer(conn)
            self._running = False
            self.finished.emit()
            thread = QThread.currentThread()
            if thread is not None:
                thread.quit()   # the QThread's event loop ends as soon as it starts

    def _loop(self) -> None:
        if self._stop.is_set():
            return
        conn = self._start_trainer()
        with self._lock:
            self._conn = conn
        self._sender = threading.Thread(target=self._send_loop, args=(conn,), daemon=True,
                                        name=f"uncrumple-{self.engine}-sender")
        self._sender.start()
        while not self._stop.is_set():
            try:
                ready = conn.poll(POLL_SECONDS)
                msg = conn.recv() if ready else None
            except (EOFError, OSError):
                self._report_death()
                return
            if msg is None:
                if not self._trainer_alive():
                    self._report_death()
                    return
                continue
            kind, payload = msg
            if kind == "snapshot":
                self.snapshot.emit(payload)
            elif kind == "error":
                self.errored.emit(str(payload))
            elif kind == "loading":
                self.loading.emit(payload)
            elif kind == "load_cancelled":
                self.load_cancelled.emit(str(payload))

    def _report_death(self) -> None:
        if not self._stop.is_set():
            self.died.emit(self._death_message())

    def _send_loop(self, conn) -> None:
        """The sender thread: every queued command down the pipe, in order, until the end marker."""
        while True:
            cmd = self._outbox.get()
            if cmd is None:
                return
            try:
                conn.send(cmd)
            except (OSError, ValueError):   # trainer gone: the loop reports it as `died`
                return

    def _shutdown_trainer(self, conn) -> None:
        with self._lock:
            if not self._stop.is_set():     # the loop ended by itself (the trainer died)
                self._stop.set()
                self._outbox.put(("stop",))
                self._outbox.put(None)
        sender = self._sender
        if sender is not None:
            sender.join(JOIN_SECONDS)       # it has sent ("stop",), or the pipe is gone
        self._join_trainer()
        if sender is not None:
            sender.join(JOIN_SECONDS)       # a send blocked on a trainer that had to be terminated
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    # ---- engine-specific ------------------------------------------------------------------------
    def _start_trainer(self):
        raise NotImplementedError

    def _trainer_alive(self) -> bool:
        raise NotImplementedError

    def _join_trainer(self) -> None:
        raise NotImplementedError

    def _death_message(self) -> str:
        return "The trainer stopped unexpectedly. Press Reset to restart it."


class ProcessWorker(_PipeWorker):
    """Runs the trainer in a ``spawn`` child process (daemon) and relays its messages.

    Parameters
    ----------
    config : TrainingConfig
        The run the child builds first; later runs arrive as ``("reset", config)``.
    """

    engine = "process"

    def __init__(self, config: TrainingConfig):
        super().__init__(config)
        self._process = None

    @property
    def pid(self) -> int | None:
        p = self._process
        return None if p is None else p.pid

    def _start_trainer(self):
        from core.run.serve import serve
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe()
        process = ctx.Process(target=serve, args=(child_conn, self.config), daemon=True,
                              name="uncrumple-trainer")
        with blas.for_trainer(cpus.TRAINER_CPUS):   # its NumPy's threads, read when the child imports it
            process.start()
        cpus.place_trainer(process.pid)
        child_conn.close()   # only the child holds that end: its death closes the pipe
        self._process = process
        return parent_conn

    def _trainer_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _join_trainer(self) -> None:
        p = self._process
        if p is None:
            return
        p.join(JOIN_SECONDS)
        if p.is_alive():
            p.terminate()
            p.join(JOIN_SECONDS)
        if p.is_alive():   # pragma: no cover - a trainer that ignores SIGTERM
            p.kill()
            p.join()

    def _death_message(self) -> str:
        p = self._process
        if p is not None:
            p.join(1.0)   # the pipe closes a moment before the process is reaped
        code = None if p is None else p.exitcode
        return (f"The training process exited unexpectedly (exit code {code}). "
                "Press Reset to restart it.")


class ThreadWorker(_PipeWorker):
    """Runs :func:`core.run.serve.serve` in a plain Python thread of this process (``--engine thread``).

    Behaves exactly like :class:`ProcessWorker` (same pipe protocol, same pickled
    snapshots) but training holds this process's GIL, so the GUI stutters: it is
    kept for debugging and for the benchmark's comparison.
    """

    engine = "thread"

    def __init__(self, config: TrainingConfig):
        super().__init__(config)
        self._thread = None

    def _start_trainer(self):
        from core.run.serve import serve
        parent_conn, child_conn = multiprocessing.Pipe()
        thread = threading.Thread(target=serve, args=(child_conn, self.config), daemon=True,
                                  name="uncrumple-trainer")
        thread.start()
        self._thread = thread
        return parent_conn

    def _trainer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _join_trainer(self) -> None:
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)


WORKERS = {"process": ProcessWorker, "thread": ThreadWorker}
"""Engine name -> worker class (the ``--engine`` choices)."""
