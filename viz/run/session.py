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

import re
import time
import weakref
from dataclasses import dataclass

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
#: the advice that ends a dead worker's message, replaced by what the window keeps of the run
_PRESS_RESET = re.compile(r"\s*Press Reset[^.]*\.\s*$")


def structural_change(old: TrainingConfig, new: TrainingConfig) -> bool:
    """True when ``new`` differs from ``old`` in data, architecture, loss, optimizer or seed."""
    return any(getattr(old, f) != getattr(new, f) for f in old.__dataclass_fields__
               if f not in LIVE_FIELDS)


class _Link(QObject):
    """Receives one worker's signals in the GUI thread; drops them once that worker is retired.

    While :attr:`held` (a kept run waiting for a new run's CSV file to be read) it keeps them;
    :meth:`release` hands them to the session in order (the reading was cancelled).

    It holds its session weakly: a Python reference cycle between QObjects would let
    the garbage collector delete them later from whatever thread it runs in.
    """

    def __init__(self, session: "Session", worker):
        super().__init__(session)
        self._session = weakref.ref(session)
        self.active = True
        self.held: list | None = None      # (method name, argument) kept while held
        worker.snapshot.connect(self.on_snapshot)
        worker.errored.connect(self.on_errored)
        worker.died.connect(self.on_died)
        worker.loading.connect(self.on_loading)
        worker.load_cancelled.connect(self.on_load_cancelled)

    def hold(self) -> None:
        """Keep the worker's signals from now on instead of handing them over."""
        self.held = []

    def release(self) -> None:
        """Hand the kept signals to the session, in order, and pass the next ones straight on."""
        held, self.held = self.held or [], None
        for name, arg in held:
            if (s := self._target()) is not None:
                getattr(s, name)(arg)

    def _target(self):
        return self._session() if self.active else None

    def _pass(self, name: str, arg) -> None:
        if self.held is not None:
            if self.active:
                self.held.append((name, arg))
        elif (s := self._target()) is not None:
            getattr(s, name)(arg)

    @Slot(object)
    def on_loading(self, progress):
        self._pass("_on_loading", progress)

    @Slot(str)
    def on_load_cancelled(self, text):
        self._pass("_on_load_cancelled", text)

    @Slot(object)
    def on_snapshot(self, snap):
        self._pass("_on_snapshot", snap)

    @Slot(str)
    def on_errored(self, text):
        self._pass("_on_error", text)

    @Slot(str)
    def on_died(self, text):
        self._pass("_on_died", text)


@dataclass(frozen=True)
class _KeptRun:
    """A run kept paused while a new run's CSV file is read: restored as it was if that is cancelled."""

    worker: object
    thread: QThread
    link: _Link
    config: TrainingConfig
    latest: object
    latest_full: object
    state: str
    message: str


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
    loading(object)
        A :class:`core.run.load_progress.LoadProgress` while the trainer reads a big CSV file for
        the run starting; None once the reading is over (the run came, or an error, or a cancel).
    load_cancelled(str)
        The reading was cancelled (:meth:`cancel_load`): ``"Loading data.csv was cancelled."``.
        The run there was before goes on as it was (a run whose trainer had to be replaced is
        kept, paused, until the new one has read its data); with none, the state is
        ``"stopped"`` with that message.
    """

    snapshot_ready = Signal(object)
    refreshed = Signal(object)
    state_changed = Signal(str)
    error = Signal(str)
    silent = Signal(float)
    loading = Signal(object)
    load_cancelled = Signal(str)

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
        self._kept: _KeptRun | None = None   # the run before, paused, while a new one reads its CSV file
        self._loading = False                # a "loading" came and the reading is not over
        self._reset_from = None              # the config before a reset in the same trainer
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
        #: ``f(short: bool) -> str``: in plain words, what of the run is kept and what to do (``short``:
        #: one sentence for the status bar), told when the trainer dies (the timeline's hook); without
        #: it the message says to press Reset
        self.kept_note = None
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
        # with the trainer gone the value waits in the config: a new trainer (Play, Continue from
        # here, Reset) takes it, so nothing needs saying
        self._send(("set", name, value), quiet=True)

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
        old, self._config = self._config, new
        if restart:
            self._start(old)
        else:
            self._reset_from = old       # what runs still if reading its CSV file again is cancelled
            self._send(("reset", None if config is None else new))

    def _send(self, cmd: tuple, quiet: bool = False) -> None:
        if self._closed or (quiet and self._dead):
            return
        if self._dead:
            self._on_error("The trainer has stopped. Press Play to go on from the kept run in a new "
                           "trainer, or Reset to start again.")
            return
        if self._worker is not None:
            self._worker.send(cmd)

    # ---- worker lifecycle -----------------------------------------------------------------------
    def cancel_load(self) -> None:
        """Stop reading the CSV file of the run starting (see ``load_cancelled``); nothing otherwise."""
        if self._worker is not None and self._loading:
            self._worker.send(("cancel_load",))

    def _start(self, previous: TrainingConfig | None = None) -> None:
        """A new worker for ``self._config``; the current one is retired, or kept paused while a
        CSV file is read (``previous``: its configuration, live edits included)."""
        if (self._config.csv_path and previous is not None and self._kept is None and self._worker is not None
                and not self._dead and self._run is not None):
            self._link.hold()
            self._worker.send(("pause",))
            self._kept = _KeptRun(self._worker, self._thread, self._link, previous,
                                  self._latest, self._latest_full, self._state, self._message)
            self._worker = self._thread = self._link = None
        else:
            self._retire()
        self._loading_over()
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

    def _drop_kept(self) -> None:
        """The new run has started (or could not): the run kept for a cancel goes."""
        if self._kept is not None:
            k, self._kept = self._kept, None
            k.link.active = False
            k.worker.stop()
            self._retired.append((k.worker, k.thread, k.link))

    def _restore_kept(self) -> None:
        """Reading was cancelled: back to the run kept, as it was (its held signals follow)."""
        k, self._kept = self._kept, None
        self._retire()
        self._worker, self._thread, self._link, self._dead = k.worker, k.thread, k.link, False
        self._config, self._latest, self._latest_full = k.config, k.latest, k.latest_full
        self._set_state(k.state, k.message)
        k.link.release()

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
        self._drop_kept()
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
        self._loading_over()
        if snap.run is not None:
            self._drop_kept()
            self._reset_from = None
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

    def refusal(self, checkpoint) -> str:
        """Why the trainer running now cannot go to ``checkpoint``, in plain words, or ``""`` (it can).

        A new trainer that has not sent its first snapshot yet (a preset, a removed layer, another data
        set) takes no checkpoint: the epochs still on screen are the run's before, and may be of
        another network. Nor does a running trainer take the weights of another network."""
        if self._state == "starting" and self._worker is not None and not self._dead:
            return "A new run is starting: the epochs on the timeline are the previous run's. Try again once it shows its data."
        full = self._latest_full
        if full is not None and full.weights:
            ours = tuple(tuple(w.shape) for w in full.weights)
            if ours != tuple(tuple(s) for s in checkpoint.shapes):
                return (f"That state is of another network (weight shapes {[tuple(s) for s in checkpoint.shapes]}); "
                        f"the one training now has {list(ours)}.")
        return ""

    def restore(self, checkpoint, epoch_logs=()) -> bool:
        """Send the trainer to ``checkpoint`` (paused); training then goes on from there.

        Returns False, sending nothing, when the trainer cannot take it (see :meth:`refusal`)."""
        if self.refusal(checkpoint):
            return False
        logs = [{k: v for k, v in e.items() if k != "stats"} for e in epoch_logs]
        self._send(("restore", checkpoint, logs))
        return True

    def start(self, config: TrainingConfig) -> None:
        """Start ``config`` in a new trainer, whatever the current run is (opening a run file)."""
        if self._closed:
            return
        old, self._config = self._config, config
        self._start(old)

    def _on_loading(self, progress) -> None:
        self._heard = time.monotonic()
        self._loading = True
        self.loading.emit(progress)

    def _loading_over(self) -> None:
        if self._loading:
            self._loading = False
            self.loading.emit(None)

    def _on_load_cancelled(self, text: str) -> None:
        self._loading_over()
        if self._kept is not None:
            self._restore_kept()
        elif self._run is None or self._state == "starting":
            self._set_state("stopped", text.rstrip("."))
        elif self._reset_from is not None:   # the same trainer keeps its run (a full snapshot follows)
            self._config = self._reset_from
        self._reset_from = None
        self.load_cancelled.emit(text)

    def _on_error(self, text: str) -> None:
        self._loading_over()
        if self._state == "starting":   # the run could not even start (bad CSV, one class, ...)
            self._drop_kept()
            lines = text.strip().splitlines()
            self._set_state("stopped", lines[-1] if lines else "The run could not start.")
        self.error.emit(text)

    def _on_died(self, text: str) -> None:
        self._loading_over()
        self._drop_kept()
        self._dead = True
        message = text
        if self.kept_note is not None:     # the worker's advice ("Press Reset ...") gives way to what is kept
            reason = _PRESS_RESET.sub("", text)
            message, text = f"{reason} {self.kept_note(short=True)}", f"{reason} {self.kept_note(short=False)}"
        self._set_state("stopped", message)
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
