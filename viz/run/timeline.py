"""``TimelineController``: the run's epochs kept in the GUI, scrubbing, branching, run files.

It sits on a :class:`viz.run.session.Session` (as its ``snapshot_filter``) and keeps:

* a :class:`core.run.timeline.Timeline` of every epoch's checkpoint (within a budget);
* every epoch's logs (with the per-layer statistics), for saving and branching;
* the newest full-state checkpoint (sent by the trainer whenever it pauses), to save from.

Scrubbing to epoch k pauses training and shows every view epoch k's weights (a
snapshot with ``scrubbed`` set; the decision grid is computed here with core).
While scrubbed, live snapshots reach the views without their weights so the
picture stays on epoch k; Play or :meth:`go_live` returns to the live run.
:meth:`continue_from` truncates the views' histories and resumes training from
epoch k as a new branch; with the trainer gone (killed, crashed) a new trainer starts from epoch k's
checkpoint (:meth:`continue_kept`: from the newest state kept).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.analysis import boundary
from core.run.config import LIVE_FIELDS, TrainingConfig
from core.run.messages import BoundaryGrid, RunSnapshot
from core.run.runfile import SavedRun, load_run, save_run
from core.run.timeline import DEFAULT_BUDGET, Timeline

from viz.run.epoch_logs import MAX_EPOCH_LOGS, find_epoch_log, thin_epoch_logs
from viz.run.session import structural_change

_EMPTY_I = np.zeros(0, np.int64)
_EMPTY_F = np.zeros(0, np.float32)
for _a in (_EMPTY_I, _EMPTY_F):
    _a.flags.writeable = False


def state_name(ckpt) -> str:
    """A checkpoint's place in plain words: "epoch 7", or "epoch 7, batch 3" in the middle of one."""
    return f"epoch {ckpt.epoch}" + (f", batch {ckpt.batch}" if ckpt.batch else "")


class TimelineController(QObject):
    """Scrub, branch, save and open runs of a session.

    Signals
    -------
    changed()
        The kept epochs or their memory changed.
    position_changed(object)
        The epoch shown (an int), or None when the views follow the live run.
    shown(object)
        The snapshot whose epoch the views now show: a scrubbed one (``scrubbed`` True) after a
        scrub, the newest live one when they follow the live run again (the status bar's figures).
    saved(str)
        A run was written to this path.
    failed(str)
        Saving or opening failed; the message says why (the current run is untouched).
    note(str)
        A sentence for the status bar: where training continued from and which values it took.
    """

    changed = Signal()
    position_changed = Signal(object)
    shown = Signal(object)
    saved = Signal(str)
    failed = Signal(str)
    note = Signal(str)

    def __init__(self, session, budget: int = DEFAULT_BUDGET, history_source=None, parent=None):
        super().__init__(parent)
        self.session = session
        self.timeline = Timeline(budget)
        self.epoch_logs: list[dict] = []
        self.checkpoint = None          # newest full-state checkpoint (the trainer sends one when paused)
        self.position = None            # the epoch shown, or None (live)
        self.branches: list[int] = []   # epochs training was continued from
        self.history_source = history_source   # () -> curves dict (the curves view's history())
        self._run = None                # the RunData of the run held
        self._grid_of_run = None        # its first decision grid (the extent and axis names of the others)
        self._local = None              # the run's network in this process (RunData.model())
        self._last_heavy = None         # newest live snapshot with weights
        self._opening = None            # a SavedRun waiting for its trainer's first snapshot
        self._continuing = None         # the checkpoint _opening continues from after a crash, or None
        self._play_after = False        # train once the new trainer is at _opening's state
        self._save_after_open = None    # a path to save to once the new trainer is at _opening's state
        self._save_to = None            # a path waiting for a paused checkpoint
        self._pausing = False           # a scrub paused training; its "paused" snapshot has not come yet
        self._resume = False            # a scrub paused training: Live plays again
        session.snapshot_filter = self._filter
        session.kept_note = self.kept_summary        # told when the trainer dies
        session.snapshot_ready.connect(self._after_snapshot)
        session.state_changed.connect(self._on_session_state)
        session.load_cancelled.connect(self._on_load_cancelled)

    # ---- incoming -------------------------------------------------------------------------------
    def _filter(self, snap):
        if snap.run is not None:
            if self._opening is not None and structural_change(self._opening.config, snap.run.config):
                # another run (a preset, New run) started before the opened one answered: the open is
                # dropped, never restored into a network of another shape
                self._opening, self._continuing, self._play_after, self._save_after_open = None, None, False, None
            self._save_to = None     # a save asked of the run before never lands on this one
            self.checkpoint = None   # nor does its paused state: Load model, a save, Play after a crash
            self._run, self._local, self._grid_of_run, self._last_heavy = snap.run, None, snap.boundary, None
            self.epoch_logs, self.branches = [], []
            self.timeline.clear()
            self._set_position(None)
            if self._opening is not None:
                run = self._opening
                for c in run.checkpoints:
                    self.timeline.add(c)
                self.epoch_logs = list(run.epoch_logs)
                self.branches = list(run.info.get("branches", []))
                snap = dataclasses.replace(snap, checkpoints=())
        for c in snap.checkpoints:
            self.timeline.add(c)
        if snap.epochs:
            self.epoch_logs.extend(snap.epochs)
        if len(self.epoch_logs) > MAX_EPOCH_LOGS + len(self.timeline):   # within a budget (viz.run.epoch_logs)
            self.epoch_logs = thin_epoch_logs(self.epoch_logs, self.timeline.epochs(), MAX_EPOCH_LOGS)
        if snap.checkpoint is not None:
            self.checkpoint = snap.checkpoint
            if self._save_to is not None and snap.state != "training":
                path, self._save_to = self._save_to, None
                self._write(path)
        if snap.weights:
            self._last_heavy = snap
        if snap.checkpoints or snap.run is not None:
            self.changed.emit()
        if snap.state != "training":
            self._pausing = False
        if self.position is not None:
            if snap.state == "training" and not self._pausing:   # the user pressed Play: back to live
                self._set_position(None)
            elif snap.weights:
                snap = dataclasses.replace(snap, weights=(), boundary=None, batch_update=None)
        return snap

    def _after_snapshot(self, snap) -> None:
        if self._opening is None or snap.run is None:
            return
        run, self._opening = self._opening, None
        if structural_change(run.config, self.session.config):
            # the user started another run (Reset with other Controls, a preset) after opening: the
            # trainer now running is that run's, and the opened checkpoint is not for its network
            self._continuing, self._play_after, self._save_after_open = None, False, None
            return
        past = dataclasses.replace(snap, epochs=tuple(run.epoch_logs), weights=(), checkpoints=(), run=None,
                                   boundary=None, batch_update=None, checkpoint=None, batch_steps=_EMPTY_I,
                                   batch_losses=_EMPTY_F, batch_accuracies=_EMPTY_F)
        for view in self.session.redrawer.live():
            view.show_history(past, run.curves)
        self.session.restore(run.current, run.epoch_logs)
        continuing, self._continuing = self._continuing, None
        if continuing is not None:          # after a crash: the Controls' live values
            self._take_live_values(continuing)
        save, self._save_after_open = self._save_after_open, None
        if save is not None:                # written from the restored state's snapshot (paused)
            self._save_to = save
        if self._play_after:
            self.session.play()
        self._play_after = False
        self.changed.emit()

    # ---- scrubbing ------------------------------------------------------------------------------
    def epochs(self) -> list[int]:
        return self.timeline.epochs()

    def scrub(self, epoch: int) -> int:
        """Show epoch ``epoch`` (or the nearest kept one before it) in every view; returns it."""
        if not self.timeline:
            raise ValueError("No epoch is recorded yet.")
        if self.session.state == "training":
            self._pausing = True          # snapshots already on their way still say "training"
            self._resume = True
            self.session.pause()
        ckpt = self.timeline.at(epoch)
        latest = self.session.latest
        # the checkpoint: the 1D slice takes the optimizer's state from it
        snap = RunSnapshot(epoch=ckpt.epoch, step=ckpt.step, batch=0,
                           batches_per_epoch=latest.batches_per_epoch if latest else 1, state="paused",
                           weights=tuple(ckpt.weight_list()), hyperparameters=dict(ckpt.hyperparameters),
                           scrubbed=True, checkpoint=ckpt, boundary=self._boundary(ckpt))
        self._set_position(ckpt.epoch)
        self.session.show_to_views(snap)
        self.shown.emit(snap)
        return ckpt.epoch

    def go_live(self) -> None:
        """Follow the live run again (the newest weights in every view); training goes on if a
        scrub paused it."""
        if self.position is None:
            return
        resume, self._resume = self._resume, False
        self._set_position(None)
        snap = self._last_heavy
        if snap is not None:
            self.session.show_to_views(dataclasses.replace(
                snap, epochs=(), checkpoints=(), batch_steps=_EMPTY_I, batch_losses=_EMPTY_F,
                batch_accuracies=_EMPTY_F, run=None))
        if resume and self.session.state == "paused":
            self.session.play()

    def epoch_log(self, epoch: int) -> dict | None:
        """The logs of epoch ``epoch`` (loss, accuracy, ... as the trainer reported them), or None
        (epoch 0, or an epoch no longer kept: past :data:`~viz.run.epoch_logs.MAX_EPOCH_LOGS`, old ones
        are thinned, those of the timeline's epochs kept)."""
        return find_epoch_log(self.epoch_logs, epoch)

    def continue_from(self, epoch: int, play: bool = False) -> int | None:
        """Resume training from the kept epoch at or before ``epoch`` as a new branch; returns it.

        The later epochs, epoch logs and batch curves are dropped. The trainer goes to that epoch's
        checkpoint, then takes the live values the Controls show (learning rate, batch size, ...):
        where they differ from the checkpoint's, ``note`` says which. With the trainer gone (it
        crashed or was killed) a new trainer is started from the checkpoint, the way :meth:`open`
        starts one from a file, and goes on bit for bit as the old one would have. ``play``: train
        once there."""
        if self._opening is not None:       # a new trainer is still starting from a kept run
            self.failed.emit("A new trainer is still starting: try again in a moment.")
            return None
        ckpt = self.timeline.at(epoch)
        return self._continue(ckpt, play)

    def continue_kept(self, play: bool = True) -> int | None:
        """After the trainer died: go on from the newest state kept (:meth:`kept_state`) in a new
        trainer; returns its epoch, or None when nothing is kept."""
        ckpt = self.kept_state()
        if ckpt is None or self._opening is not None:
            return None
        return self._continue(ckpt, play)

    @property
    def opening(self) -> bool:
        """True while a new trainer is on its way to a run held here or read from a file (until its
        restore is sent): a command sent now would act on its step 0."""
        return self._opening is not None

    def play_after_opening(self) -> None:
        """Train as soon as the new trainer is at the run's state (Play pressed while it starts)."""
        if self._opening is not None:
            self._play_after = True

    def kept_state(self):
        """The newest full training state held here (the last paused state, or the newest kept
        epoch, whichever is later), or None: what Save run writes and Play goes on from after a crash."""
        kept = [c for c in (self.checkpoint, self.timeline.last) if c is not None]
        return max(kept, key=lambda c: c.step) if kept else None

    def kept_summary(self, short: bool = False) -> str:
        """In plain words, what of the run is kept here and what to do (the notice after a crash);
        ``short``: one sentence for the status bar."""
        ckpt = self.kept_state()
        if ckpt is None:
            return "Nothing was kept." if short else "Nothing of the run was kept: press Play or Reset to start again."
        if short:
            return "The run is kept."
        epochs = self.timeline.epochs()
        span = f"epochs {epochs[0]} to {epochs[-1]}" if len(epochs) > 1 else f"epoch {epochs[0]}"
        return (f"The run is kept: {span} on the timeline, the curves and the epoch logs. Press Play to go "
                f"on from {state_name(ckpt)} in a new trainer, Continue from here to go on from an earlier "
                "epoch, or Reset to start again; File → Save run keeps it in a file.")

    def _continue(self, ckpt, play: bool) -> int | None:
        if self.session.alive and (why := self.session.refusal(ckpt)):
            self.note.emit(why)           # nothing is dropped: the epochs stay as they are
            return None
        newest = self.kept_state()
        self.timeline.truncate(ckpt.epoch)
        self.epoch_logs = [e for e in self.epoch_logs if e.get("epoch", 0) <= ckpt.epoch]
        self.checkpoint = ckpt
        if not self.session.alive:
            if newest is not None and ckpt.step < newest.step:
                self.branches.append(ckpt.epoch)
            return self._continue_in_new_trainer(ckpt, play)
        self.branches.append(ckpt.epoch)
        self.session.truncate_views(ckpt.epoch, ckpt.step)
        self._set_position(None)
        self.session.restore(ckpt, self.epoch_logs)
        self._take_live_values(ckpt)
        if play:
            self.session.play()
        self.changed.emit()
        return ckpt.epoch

    def _continue_in_new_trainer(self, ckpt, play: bool) -> int:
        """The trainer is gone: start a new one on the run's config and send it to ``ckpt`` once it
        is up (:meth:`_after_snapshot`), with the curves, epoch logs and kept epochs up to there."""
        self._opening = SavedRun(config=self.run_config(), current=ckpt,
                                 checkpoints=tuple(c for c in self.timeline if c.step <= ckpt.step),
                                 epoch_logs=tuple(self.epoch_logs), curves=self._curves_up_to(ckpt.step),
                                 info={"branches": list(self.branches)})
        self._continuing, self._play_after = ckpt, play
        self._set_position(None)
        self.session.start(self._opening.config)
        self.note.emit(f"Starting a new trainer from {state_name(ckpt)}…")
        return ckpt.epoch

    def _curves_up_to(self, step: int) -> dict:
        """The batch curves shown (as :meth:`viz.views.training.curves.CurvesView.history` gives them),
        up to ``step``."""
        curves = self.history_source() if self.history_source else {}
        steps = curves.get("batch_steps")
        if steps is not None and len(steps):
            keep = np.asarray(steps) <= step
            curves = {k: np.asarray(v)[keep] for k, v in curves.items()}
        return curves

    def _take_live_values(self, ckpt) -> None:
        """After a restore to ``ckpt``: the trainer takes the live values the Controls show where they
        differ from the checkpoint's, and ``note`` says which (none differ: nothing is sent)."""
        config = self.session.config
        changed = []
        for name, then in ckpt.hyperparameters.items():
            if name not in LIVE_FIELDS or name not in config.__dataclass_fields__:
                continue
            now = getattr(config, name)
            if now is None or now == then:
                continue
            self.session.set_hyperparameter(name, now)
            changed.append(f"{name.replace('_', ' ')} {now:g} (it was {then:g} then)"
                           if isinstance(now, float) else f"{name.replace('_', ' ')} {now} (it was {then} then)")
        where = state_name(ckpt)
        self.note.emit(f"Continued from {where} with the values the Controls show: " + ", ".join(changed) + "."
                       if changed else f"Continued from {where}.")

    def _set_position(self, epoch) -> None:
        if epoch != self.position:
            self.position = epoch
            if epoch is None:
                self._resume = False
                self.session.show_epoch_in_views(None)   # the curves' marker and the like
            self.position_changed.emit(epoch)
            if epoch is None and self.session.latest is not None:
                self.shown.emit(self.session.latest)

    def local_model(self):
        """A compiled copy of the run's network in this process (weights unspecified), or None."""
        if self._run is None:
            return None
        if self._local is None:
            self._local = self._run.model()
        return self._local

    def shown_weights(self) -> list | None:
        """The weights the views show: the scrubbed epoch's, else the newest live ones."""
        if self.position is not None and self.timeline:
            return self.timeline.at(self.position).weight_list()
        if self._last_heavy is not None:
            return list(self._last_heavy.weights)
        return None

    def _boundary(self, ckpt) -> BoundaryGrid | None:
        """The decision grid of ``ckpt``'s weights over the run's input plane, or None."""
        run, first = self._run, self._grid_of_run
        if run is None or run.plane is None or first is None or self.local_model() is None:
            return None
        model = self._local
        try:
            model.set_weights(ckpt.weight_list())
        except ValueError:               # a checkpoint of another network: nothing to draw
            return None
        grid = boundary.decision_grid(model, run.plane, first.extent, run.config.grid_resolution)
        return BoundaryGrid(grid=grid, extent=first.extent, labels=first.labels)

    # ---- run files ------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Save the whole run to ``path``; pauses training first if it runs (then ``saved`` fires).
        With the trainer gone, the run as kept here is saved (see :meth:`_write_kept`)."""
        if not self.session.alive:
            self._write_kept(path)
            return
        if self._opening is not None:       # a new trainer is on its way to the run: save once it is there
            self._save_after_open = path
            return
        latest = self.session.latest
        current = self.checkpoint
        if self.session.state == "training" or current is None or (latest and current.step != latest.step):
            self._save_to = path
            self.session.pause()
            return
        self._write(path)

    def run_config(self) -> TrainingConfig:
        """The configuration of the run the timeline holds (with the live edits made to it): after a
        Reset that changes the architecture, the session's config is already the next run's."""
        live = self.session.config
        if self._run is None:
            return live
        own = self._run.config
        return live if not structural_change(own, live) else own

    @Slot(str)
    def _on_load_cancelled(self, _text: str) -> None:
        """Reading the data of a run being opened (or continued after a crash) was cancelled: nothing is opened."""
        self._opening, self._continuing, self._play_after = None, None, False

    @Slot(str)
    def _on_session_state(self, state: str) -> None:
        """The trainer died while a save waited for it to pause: save what is kept instead. A new
        trainer that died before it took a kept run (:meth:`open`, :meth:`continue_from`) leaves the
        run held here as it is."""
        if not self.session.alive:
            self._opening, self._continuing, self._play_after = None, None, False
            if self._save_after_open is not None:
                self._save_to, self._save_after_open = self._save_after_open, None
        if self._save_to is not None and not self.session.alive:
            path, self._save_to = self._save_to, None
            self._write_kept(path)

    def _write_kept(self, path: str) -> None:
        """Save the run as kept here when the trainer is gone (crashed, killed): from its newest full
        state (the last paused one, or the newest kept epoch), with the curves and epoch logs up to it,
        so that reopened it goes on from there."""
        current = self.kept_state()
        if current is None:
            self.failed.emit(f"Nothing to save to {path} yet: the trainer stopped before the first epoch was kept.")
            return
        logs = tuple(e for e in self.epoch_logs if e.get("epoch", 0) <= current.epoch)
        self._write(path, current, logs, self._curves_up_to(current.step))

    def _write(self, path: str, current=None, epoch_logs=None, curves=None) -> None:
        if curves is None:
            curves = self.history_source() if self.history_source else {}
        current = self.checkpoint if current is None else current
        epoch_logs = tuple(self.epoch_logs) if epoch_logs is None else epoch_logs
        run = SavedRun(config=self.run_config(), current=current,
                       checkpoints=tuple(c for c in self.timeline if c.step <= current.step),
                       epoch_logs=epoch_logs, curves=curves, info={"branches": self.branches})
        try:
            save_run(path, run)
        except (OSError, ValueError) as exc:
            self.failed.emit(f"Could not save the run to {path}: {exc}")
            return
        self.saved.emit(str(path))

    def open(self, path: str) -> SavedRun | None:
        """Open a run file as a transaction; returns the run, or None after ``failed``.

        :func:`~core.run.runfile.load_run` checks everything first — the format, the state's
        consistency (counters, random-generator and optimizer states, curves) and that the run's
        data can be found; only then is the new trainer started. A refused file touches nothing:
        the current run (trainer, epochs, curves) stays exactly as it was."""
        try:
            run = load_run(path)
        except (ValueError, OSError, MemoryError) as exc:
            self.failed.emit(str(exc) if isinstance(exc, ValueError) else f"Could not open {path}: {exc}")
            return None
        self._opening, self._continuing, self._play_after = run, None, False
        self.session.start(run.config)
        return run
