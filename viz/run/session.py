"""``Session``: one training run as the GUI sees it.

It owns the worker and its QThread, turns user actions into commands, keeps the
newest snapshot and hands it to the registered views:

* every snapshot goes to every view's ``add_snapshot`` (cheap: buffers only), so
  the curves get every batch loss, none dropped;
* a snapshot carrying a run (``snap.run``, the first after a start or reset) first
  calls ``clear()`` and ``set_run(run)`` on the views (see :class:`viz.views.common.view.View`);
* the views on screen then ``refresh()``, paced to the GUI thread's budget by the
  session's :class:`viz.run.redraw.ViewRedrawer` (about once per snapshot, ~30 a second).

Signals from a worker reach the session through a per-worker ``_Link`` in the GUI
thread (queued); a retired worker's late snapshots are dropped there. Always call
:meth:`shutdown` (the main window does on close, and ``aboutToQuit`` is connected).

>>> session = Session(TrainingConfig())       # starts the trainer, paused at step 0
>>> session.add_view(curves_view)
>>> session.play(); session.pause(); session.step_epoch(); session.reset()
>>> session.shutdown()                         # stops and joins the thread and the process
"""
from __future__ import annotations

import time
import weakref

from PySide6.QtCore import Property, QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from core.run.config import LIVE_FIELDS, TrainingConfig

from viz.run.redraw import ViewRedrawer
from viz.run.worker import WORKERS

#: milliseconds between two housekeeping ticks (reaping stopped workers, a redraw that was missed)
HOUSEKEEPING_MS = 100
#: seconds without a snapshot while training before the trainer counts as not answering (stopped by
#: the system, e.g. SIGSTOP, or starved of CPU)
SILENT_S = 5.0
#: milliseconds shutdown waits for a worker's thread before giving up on it
SHUTDOWN_MS = 10_000


def structural_change(old: TrainingConfig, new: TrainingConfig) -> bool:
    """True when ``new`` differs from ``old`` in data, architecture, loss, optimizer or seed."""
    return any(getattr(old, f) != getattr(new, f) for f in old.__dataclass_fields__
               if f not in LIVE_FIELDS)


class _Link(QObject):
    """Receives one worker's signals in the GUI thread; drops them once that worker is retired.

    It holds its session weakly: a Python reference cycle between QObjects would let
    the garbage collector delete them later from whatever thread it runs in.
    """

    def __init__(self, session: "Session", worker):
        super().__init__(session)
        self._session = weakref.ref(session)
        self.active = True
        worker.snapshot.connect(self.on_snapshot)
        worker.errored.connect(self.on_errored)
        worker.died.connect(self.on_died)

    def _target(self):
        return self._session() if self.active else None

    @Slot(object)
    def on_snapshot(self, snap):
        if (s := self._target()) is not None:
            s._on_snapshot(snap)

    @Slot(str)
    def on_errored(self, text):
        if (s := self._target()) is not None:
            s._on_error(text)

    @Slot(str)
    def on_died(self, text):
        if (s := self._target()) is not None:
            s._on_died(text)


class Session(QObject):
    """The running training session: transport commands in, snapshots and states out.

    Parameters
    ----------
    config : TrainingConfig, optional
        The first run (default: ``TrainingConfig()``, the spiral).
    engine : {"process", "thread"}
        Where the trainer runs (see :mod:`viz.run.worker`).
    parent : QObject, optional
    autostart : bool
        Start the trainer now (it sends a first snapshot with the data, paused).

    Signals
    -------
    snapshot_ready(object)
        Every snapshot received, in order.
    refreshed(object)
        After a redraw tick that refreshed the views, with the newest snapshot.
    state_changed(str)
        ``"starting"``, ``"ready"``, ``"training"``, ``"paused"``, ``"finished"`` or ``"stopped"``.
    error(str)
        An error from the trainer or the worker (training can go on).
    silent(float)
        While training, the trainer has sent nothing for that many seconds (:data:`SILENT_S` or
        more); 0.0 when it answers again.
    """

    snapshot_ready = Signal(object)
    refreshed = Signal(object)
    state_changed = Signal(str)
    error = Signal(str)
    silent = Signal(float)

    def __init__(self, config: TrainingConfig | None = None, engine: str = "process",
                 parent: QObject | None = None, autostart: bool = True):
        super().__init__(parent)
        if engine not in WORKERS:
            raise ValueError(f"Argument `engine` must be one of {sorted(WORKERS)}. Received: engine={engine!r}")
        self.engine = engine
        self._config = config if config is not None else TrainingConfig()
        self._worker = None
        self._thread = None
        self._link = None
        self._retired: list[tuple] = []     # (worker, thread, link) stopping in the background
        self._latest = self._latest_full = None
        self._state = "starting"
        self._message = ""
        self._dead = False
        self._closed = False
        self._heard = time.monotonic()     # when the trainer last sent something
        self._silent = False
        self.redrawer = ViewRedrawer(self)   # the views and their paced redraws (viz.run.redraw)
        self.redrawer.drawn.connect(lambda: self.refreshed.emit(self._latest))
        # a slow timer keeps house: retired workers, a redraw that was missed
        self._timer = QTimer(self)
        self._timer.setInterval(HOUSEKEEPING_MS)
        self._timer.timeout.connect(self._housekeep)
        self._timer.start()
        self._run = None                     # the current run's RunData
        self._speed = None
        #: ``f(snap) -> snap`` applied to every snapshot before the views see it (the timeline's hook)
        self.snapshot_filter = None
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if autostart:
            self._start()

    # ---- properties -----------------------------------------------------------------------------
    def _get_state(self) -> str:
        return self._state

    state = Property(str, _get_state, notify=state_changed)
    """The trainer's state as last reported (see ``state_changed``)."""

    @property
    def message(self) -> str:
        """Why training stopped or finished, or ``""``."""
        return self._message

    @property
    def config(self) -> TrainingConfig:
        """The configuration of the current run, live edits included."""
        return self._config

    @property
    def latest(self):
        """The newest snapshot received, or None."""
        return self._latest

    @property
    def latest_full(self):
        """The newest snapshot that carried weights (what a view built late starts from), or None."""
        return self._latest_full

    @property
    def run(self):
        """The current run's :class:`core.run.messages.RunData` (data, config, model factory), or None
        before its first snapshot."""
        return self._run

    @property
    def worker(self):
        """The current worker (a :class:`viz.run.worker.ProcessWorker` or ``ThreadWorker``), or None."""
        return self._worker

    @property
    def alive(self) -> bool:
        """True while a worker is running and its trainer has not died."""
        return self._worker is not None and not self._dead

    # ---- views ----------------------------------------------------------------------------------
    def add_view(self, view) -> None:
        """Register a view (a :class:`viz.views.common.view.View`); held weakly."""
        self.redrawer.add(view)
        if self._run is not None:   # registered late: show the current run at least
            view.set_run(self._run)

    @property
    def redraws(self) -> int:
        """Frames drawn so far (the benchmark divides by time)."""
        return self.redrawer.redraws

    @property
    def frame_cost(self) -> float:
        """Smoothed seconds of GUI-thread work per frame (refreshes and paints)."""
        return self.redrawer.frame_cost

    def redraw_now(self) -> None:
        """Refresh every view on screen at once (scripts, benchmarks)."""
        self.redrawer.redraw_now()

    def finish_visible(self) -> None:
        """Draw every view on screen completely now (a picture is taken next)."""
        self.redrawer.finish_visible()

    # ---- commands -------------------------------------------------------------------------------
    def play(self) -> None:
        """Train flat out (or at the set speed) until paused; a second Play changes nothing."""
        self._send(("play",))

    def pause(self) -> None:
        """Stop after the current batch."""
        self._send(("pause",))

    def step_batch(self) -> None:
        """Train exactly one batch, then pause."""
        self._send(("step_batch",))

    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        self._send(("step_epoch",))

    def set_speed(self, steps_per_second: float | None) -> None:
        """Slow motion (steps per second), or None for flat out."""
        self._speed = steps_per_second
        self._send(("speed", steps_per_second), quiet=True)

    def set_hyperparameter(self, name: str, value) -> None:
        """Change a live hyperparameter (learning_rate, momentum, batch_size, ...) from the next batch."""
        if name in self._config.__dataclass_fields__:
            try:
                new = self._config.replace(**{name: value})
            except (TypeError, ValueError):
                new = None
            if new is not None and name not in new.errors():
                self._config = new
        self._send(("set", name, value))

    def reset(self, config: TrainingConfig | None = None) -> None:
        """Back to step 0 with the same initial weights, or start ``config``.

        A structural change (data, architecture, loss, optimizer, seed) or a dead
        trainer stops the old worker and starts a new one; otherwise the running
        trainer resets itself.
        """
        if self._closed:
            return
        new = self._config if config is None else config
        restart = (self._worker is None or self._dead or structural_change(self._config, new))
        self._config = new
        if restart:
            self._start()
        else:
            self._send(("reset", None if config is None else new))

    def _send(self, cmd: tuple, quiet: bool = False) -> None:
        if self._closed or (quiet and self._dead):
            return
        if self._dead:
            self._on_error("The trainer is not running. Press Reset to restart it.")
            return
        if self._worker is not None:
            self._worker.send(cmd)

    # ---- worker lifecycle -----------------------------------------------------------------------
    def _start(self) -> None:
        self._retire()
        worker = WORKERS[self.engine](self._config)
        thread = QThread()
        thread.setObjectName(f"uncrumple-{self.engine}-worker")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        self._link = _Link(self, worker)
        self._worker, self._thread, self._dead = worker, thread, False
        self._latest = self._latest_full = None
        self._set_state("starting", "")
        if self._speed is not None:
            worker.send(("speed", self._speed))
        thread.start()

    def _retire(self) -> None:
        """Stop the current worker without waiting; its late signals are dropped."""
        if self._worker is None:
            return
        self._link.active = False
        self._worker.stop()
        self._retired.append((self._worker, self._thread, self._link))
        self._worker = self._thread = self._link = None
        self._reap()

    def _reap(self, wait_ms: int = 0) -> None:
        keep = []
        for worker, thread, link in self._retired:
            if thread.wait(wait_ms) if wait_ms else thread.isFinished():
                link.deleteLater()
            else:
                keep.append((worker, thread, link))
        self._retired = keep

    @Slot()
    def shutdown(self) -> None:
        """Stop and join every worker, its QThread and its trainer (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self.redrawer.stop()
        self._retire()
        for worker, thread, _ in self._retired:
            worker.stop()
        self._reap(wait_ms=SHUTDOWN_MS)
        app = QCoreApplication.instance()
        if app is not None:
            try:
                app.aboutToQuit.disconnect(self.shutdown)
            except (RuntimeError, TypeError):
                pass

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._closed

    # ---- from the worker (GUI thread, via _Link) ------------------------------------------------
    def _on_snapshot(self, snap) -> None:
        self._heard = time.monotonic()
        if self._silent:
            self._silent = False
            self.silent.emit(0.0)
        if self.snapshot_filter is not None:
            snap = self.snapshot_filter(snap)
        views = self.redrawer.live()
        if snap.run is not None:
            self._run = snap.run
            self._config = snap.run.config
            for v in views:
                v.clear()
                v.set_run(snap.run)
        for v in views:
            v.add_snapshot(snap)
        self._latest = snap
        if snap.weights:
            self._latest_full = snap
        self.redrawer.request()
        self._set_state(snap.state, snap.message)
        self.snapshot_ready.emit(snap)

    def show_to_views(self, snap) -> None:
        """Hand ``snap`` to every view (a timeline epoch, a reopened run's history) and redraw."""
        for v in self.redrawer.live():
            v.add_snapshot(snap)
        self.redrawer.request()

    def truncate_views(self, epoch: int, step: int | None = None) -> None:
        """Every view drops what came after ``epoch`` (the timeline branched there, at ``step``)."""
        for v in self.redrawer.live():
            v.truncate(epoch, step)

    def show_epoch_in_views(self, epoch: int | None) -> None:
        """Every view marks ``epoch`` as the one shown (the timeline's position), or None: live."""
        for v in self.redrawer.live():
            v.show_epoch(epoch)

    def restore(self, checkpoint, epoch_logs=()) -> None:
        """Send the trainer to ``checkpoint`` (paused); training then goes on from there."""
        logs = [{k: v for k, v in e.items() if k != "stats"} for e in epoch_logs]
        self._send(("restore", checkpoint, logs))

    def start(self, config: TrainingConfig) -> None:
        """Start ``config`` in a new trainer, whatever the current run is (opening a run file)."""
        if self._closed:
            return
        self._config = config
        self._start()

    def _on_error(self, text: str) -> None:
        if self._state == "starting":   # the run could not even start (bad CSV, one class, ...)
            lines = text.strip().splitlines()
            self._set_state("stopped", lines[-1] if lines else "The run could not start.")
        self.error.emit(text)

    def _on_died(self, text: str) -> None:
        self._dead = True
        self._set_state("stopped", text)
        self.error.emit(text)

    def _set_state(self, state: str, message: str) -> None:
        changed = (state, message) != (self._state, self._message)
        self._state, self._message = state, message
        if changed:
            self.state_changed.emit(state)

    @Slot()
    def _housekeep(self) -> None:
        if self._state == "training" and self.alive:
            quiet = time.monotonic() - self._heard
            if quiet >= SILENT_S and (not self._silent or int(quiet) != int(quiet - HOUSEKEEPING_MS / 1000)):
                self._silent = True
                self.silent.emit(quiet)         # at once, then once a second
        if self._retired:
            self._reap()
        if self.redrawer.dirty:
            self.redrawer.request()
