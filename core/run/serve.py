"""The training process's loop: obey commands between batches, send throttled snapshots.

The GUI starts :func:`serve` in a child process (``multiprocessing``, spawn) and
talks to it over a ``Pipe``. Commands are tuples:

================================  =============================================
``("play",)``                     train flat out (or at the set speed)
``("pause",)``                    stop after the current batch
``("step_batch",)``               train exactly one batch, then pause
``("step_epoch",)``               train to the end of the epoch, then pause
``("reset", config_or_None)``     same initial weights (or a new config), paused
``("set", name, value)``          a hyperparameter, from the next batch
``("speed", steps_per_s|None)``   slow motion, or None for flat out
``("restore", ckpt, epoch_logs)``  go to a :class:`core.engine.checkpoint.Checkpoint`, paused
                                  (the timeline's "Continue from here", opening a run)
``("cancel_load",)``              stop reading a run's CSV file (see below); otherwise nothing
``("stop",)``                     leave the loop; the process exits
================================  =============================================

Messages back are ``("snapshot", RunSnapshot)`` (:mod:`core.run.messages`) and ``("error", text)``.
Light snapshots (counters, batch losses) go at most ``light_hz`` times a second, heavy
ones (weights, the last batch's gradients and update, the decision grid) at most
``heavy_hz``; a pause, a step or the end of training always sends a full one, with
its ``checkpoint`` (the state to save a run from). The first after a start or a reset
carries the :class:`core.run.messages.RunData`. The trainer records: every
snapshot carries the checkpoints of the epochs completed since the previous one. A closed pipe ends the loop, so the child
never outlives the GUI.

While a run's CSV file is read (a start, a reset to a new config) the trainer also sends
``("loading", LoadProgress)`` (:mod:`core.run.load_progress`: at most 5 a second, once reading
has taken 0.3 s) and obeys ``("cancel_load",)`` and ``("stop",)`` between blocks of rows; other
commands wait until the run is built. A cancelled read sends ``("load_cancelled", text)`` and
keeps the run there was (paused, with a full snapshot), or none.
"""
from __future__ import annotations

import time
import traceback

import numpy as np

from core.analysis.boundary import decision_grid, grid_extent, input_plane
from core.engine.snapshot import read_only_copy
from core.datasets.tabular import CsvCancelled
from core.run.config import TrainingConfig, build_trainer, load_data
from core.run.load_progress import LoadReporter, cancelled_text
from core.run.messages import BatchUpdate, BoundaryGrid, RunData, RunSnapshot, output_classes


class _Run:
    """A trainer plus what the views need of its run (:class:`RunData`, the boundary's plane)."""

    def __init__(self, config: TrainingConfig, progress=None):
        self.config = config
        # the data first, with ``progress`` (a big CSV file: reported and cancellable, see LoadReporter)
        self.trainer, data = build_trainer(config, load_data(config.validate(), progress))
        self.trainer.record = True
        self.trainer.reset(restore_weights=False)   # now with the epoch-0 checkpoint
        (x_tr, y_tr), (x_val, y_val) = data
        # the views need a sample of a big training set, not all of it (60,000 MNIST images: 188 MB to pickle)
        shown, shown_val = slice(0, MAX_SENT_TRAIN), slice(0, MAX_SENT_VAL)
        x_train, y_train = read_only_copy(x_tr[shown]), read_only_copy(y_tr[shown])
        x_val_s, y_val_s = read_only_copy(x_val[shown_val]), read_only_copy(y_val[shown_val])
        self.plane = None
        plane_parts = {}
        if x_tr.shape[1] in (2, 3):
            self.plane = input_plane(x_tr)
            allx = np.concatenate([x_tr, x_val]) if len(x_val) else x_tr
            self.extent = grid_extent(self.plane.project(allx))
            # the views and the timeline draw on the same plane
            plane_parts = dict(plane=self.plane, x_train_2d=read_only_copy(self.plane.project(x_train)),
                               x_val_2d=read_only_copy(self.plane.project(x_val_s)))
        self.data = RunData(config=config, x_train=x_train, y_train=y_train, x_val=x_val_s, y_val=y_val_s,
                            n_train=len(x_tr), n_val=len(x_val), n_classes=output_classes(self.trainer.model),
                            summary=self.trainer.model.summary(print_fn=None), **plane_parts)

    def heavy(self, with_run=False, update=None) -> dict:
        """The heavy parts of a :class:`RunSnapshot` now: the boundary grid (2-D and 3-D runs), the
        last batch's gradients and ``update`` (if given), and the :class:`RunData` (``with_run``)."""
        out = {}
        if update is not None:
            out["batch_update"] = BatchUpdate(grads=tuple(read_only_copy(g) for g in self.trainer.model.grads),
                                              update=tuple(read_only_copy(a) for a in update))
        if self.plane is not None:
            grid = decision_grid(self.trainer.model, self.plane, self.extent, self.config.grid_resolution)
            out["boundary"] = BoundaryGrid(grid=read_only_copy(grid), extent=self.extent, labels=self.plane.labels)
        if with_run:
            out["run"] = self.data
        return out

    def snapshot(self, weights=True, with_run=False, update=None, checkpoint=False) -> RunSnapshot:
        """The trainer's snapshot now, with the heavy parts when ``weights`` (the light ones carry none)."""
        parts = self.heavy(with_run, update) if weights else {}
        if checkpoint:
            parts["checkpoint"] = self.trainer.checkpoint()
        return RunSnapshot.of(self.trainer.snapshot(weights=weights), **parts)


#: seconds between two looks for a command while training flat out (a pipe poll costs ~4 us, a
#: small network's batch ~70 us: polling every batch cost ~6 % of its speed)
POLL_INTERVAL = 0.002

#: training and validation samples sent to the GUI at most: every view draws and traces them on the
#: GUI thread (96,000 points through a 2,700-unit layer froze it for 42 s); MNIST's test set fits
MAX_SENT_TRAIN = MAX_SENT_VAL = 10_000



def serve(conn, config, light_hz: float = 30.0, heavy_hz: float = 8.0) -> None:
    """Run the command loop until ``("stop",)`` or the pipe closes."""
    run = None
    playing = False
    speed = None
    last_light = last_heavy = 0.0
    next_step = 0.0

    def send(kind, payload):
        conn.send((kind, payload))

    def full(with_data=False, update=None):
        nonlocal last_light, last_heavy
        state_fix()
        send("snapshot", run.snapshot(with_run=with_data, update=update, checkpoint=not playing))
        last_light = last_heavy = time.perf_counter()

    def state_fix():
        t = run.trainer
        if not t.done:
            t.state = "training" if playing else ("paused" if t.step else "ready")

    def poll():
        return conn.recv() if conn.poll(0) else None

    def start(cfg) -> bool:
        """Build the run of ``cfg``; False when told to stop while reading its data."""
        nonlocal run, playing
        playing = False
        reporter = LoadReporter(cfg.csv_path, lambda p: send("loading", p), poll) if cfg.csv_path else None
        try:
            run = _Run(cfg, progress=reporter)
        except CsvCancelled:
            if reporter.stop_requested:
                return False
            send("load_cancelled", cancelled_text(cfg.csv_path))
            if run is not None:        # the run there was stays, paused
                full()
        except Exception as exc:  # bad data, bad config: tell the GUI, keep serving
            run = None
            send("error", f"{exc}")
        else:
            full(with_data=True)
        finally:
            if reporter is not None:
                queued.extend(reporter.pending)
        return True

    queued = []     # commands that arrived while a run's data was read, obeyed next, in order
    try:
        if not start(config):
            return
        last_poll = 0.0
        while True:
            busy = playing and run is not None and not run.trainer.done
            if busy:
                timeout = 0.0 if speed is None else max(0.0, next_step - time.perf_counter())
            else:
                timeout = None
            if queued:
                ready = True
            elif timeout == 0.0 and time.perf_counter() - last_poll < POLL_INTERVAL:
                ready = False    # flat out: look for commands every 2 ms, not after every ~70 us batch
            else:
                ready = conn.poll(timeout)
                last_poll = time.perf_counter()
            if ready:
                cmd = queued.pop(0) if queued else conn.recv()
                name, args = cmd[0], cmd[1:]
                if name == "stop":
                    break
                if name == "cancel_load":   # reading had ended when it came: nothing to cancel
                    continue
                if name == "reset":
                    cfg = args[0] if args and args[0] is not None else (run.config if run else config)
                    if run is not None and cfg == run.config:
                        playing = False
                        run.trainer.reset()
                        full(with_data=True)
                    elif not start(cfg):
                        break
                    continue
                if name == "speed":
                    speed = args[0]
                    next_step = time.perf_counter()
                    continue
                if run is None:
                    send("error", "No valid run: fix the configuration and press Reset.")
                    continue
                before = run.trainer.model.get_weights() if name == "step_batch" else None
                try:
                    _command(name, args, run)
                except ValueError as exc:
                    send("error", str(exc))
                    full()
                    continue
                if name == "play":
                    playing = True
                    next_step = time.perf_counter()
                    full()
                elif name in ("pause", "restore") or name.startswith("step"):
                    playing = False
                    stepped = before is not None and run.trainer.step and not run.trainer.done
                    full(update=[a - b for a, b in zip(run.trainer.model.params, before)] if stepped else None)
                elif name == "set":
                    full()
                continue
            if not busy:
                continue
            t = run.trainer
            # a heavy snapshot is due after this batch: keep the weights before it to send the update
            before = t.model.get_weights() if time.perf_counter() - last_heavy >= 1.0 / heavy_hz else None
            t.train_batch()
            now = time.perf_counter()
            if speed:
                next_step = max(next_step + 1.0 / speed, now - 0.5)
            if t.done:
                playing = False
                full()
            elif before is not None:
                t.mark_good()
                full(update=[a - b for a, b in zip(t.model.params, before)])
            elif now - last_light >= 1.0 / light_hz:
                state_fix()
                send("snapshot", run.snapshot(weights=False))
                last_light = now
    except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
        return  # the GUI went away
    except Exception:  # noqa: BLE001 - report anything else, then leave
        try:
            send("error", traceback.format_exc())
        except OSError:
            pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def _command(name, args, run):
    t = run.trainer
    if name == "play":
        return
    if name == "pause":
        return
    if name == "step_batch":
        t.train_batch()
    elif name == "restore":
        t.restore(args[0], args[1] if len(args) > 1 else ())
    elif name == "step_epoch":
        t.train_epoch()
    elif name == "set":
        t.set_hyperparameter(args[0], args[1])
        # the run's config says what the trainer uses: a New run or a preset with the values the
        # run started with is then a new trainer, not a reset that would keep the live-edited ones
        run.config = run.config.replace(**{args[0]: args[1]})
    else:
        raise ValueError(f"Unknown command {name!r}.")
