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
``("restore", ckpt, epoch_logs)``  go to a :class:`core.run.timeline.Checkpoint`, paused
                                  (the timeline's "Continue from here", opening a run)
``("stop",)``                     leave the loop; the process exits
================================  =============================================

Messages back are ``("snapshot", Snapshot)`` and ``("error", text)``. Light
snapshots (counters, batch losses) go at most ``light_hz`` times a second, heavy
ones (weights, the last batch's gradients and update, the decision grid) at most
``heavy_hz``; a pause, a step or the end of training always sends a full one, with
``extras["checkpoint"]`` (the state to save a run from). The trainer records: every
snapshot carries the checkpoints of the epochs completed since the previous one. A closed pipe ends the loop, so the child
never outlives the GUI.
"""
from __future__ import annotations

import time
import traceback

import numpy as np

from core.analysis.boundary import decision_grid, grid_extent, input_plane
from core.run.config import TrainingConfig, build_trainer
from core.engine.snapshot import read_only_copy


class _Run:
    """A trainer plus the fixed things the views need (data, plane, extent)."""

    def __init__(self, config: TrainingConfig):
        self.config = config
        self.trainer, data = build_trainer(config)
        self.trainer.record = True
        self.trainer.reset(restore_weights=False)   # now with the epoch-0 checkpoint
        (x_tr, y_tr), (x_val, y_val) = data
        # the views need a sample of a big training set, not all of it (60,000 MNIST images: 188 MB to pickle)
        self.data_info = {"n_train": len(x_tr), "n_val": len(x_val)}
        shown, shown_val = slice(0, MAX_SENT_TRAIN), slice(0, MAX_SENT_VAL)
        self.data = {k: read_only_copy(v) for k, v in dict(x_train=x_tr[shown], y_train=y_tr[shown],
                                               x_val=x_val[shown_val], y_val=y_val[shown_val]).items()}
        self.plane = None
        if x_tr.shape[1] in (2, 3):
            self.plane = input_plane(x_tr)
            allx = np.concatenate([x_tr, x_val]) if len(x_val) else x_tr
            self.extent = grid_extent(self.plane.project(allx))

    def extras(self, with_data=False, update=None):
        out = {}
        if update is not None:
            out["grads"] = tuple(read_only_copy(g) for g in self.trainer.model.grads)
            out["update"] = tuple(read_only_copy(a) for a in update)
        if self.plane is not None:
            grid = decision_grid(self.trainer.model, self.plane, self.extent, self.config.grid_resolution)
            out["boundary"] = {"grid": read_only_copy(grid), "extent": self.extent, "labels": self.plane.labels}
        if with_data:
            out["data"] = self.data
            out["data_info"] = self.data_info
            if self.plane is not None:
                out["plane"] = self.plane     # the views and the timeline draw on the same plane
            if self.plane is not None:
                out["data_2d"] = {k: read_only_copy(self.plane.project(self.data[k])) for k in ("x_train", "x_val")}
            out["config"] = self.config.to_dict()
            out["summary"] = self.trainer.model.summary(print_fn=None)
        return out


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
        extras = run.extras(with_data, update)
        if not playing:
            extras["checkpoint"] = run.trainer.checkpoint()
        send("snapshot", run.trainer.snapshot(weights=True, extras=extras))
        last_light = last_heavy = time.perf_counter()

    def state_fix():
        t = run.trainer
        if not t.done:
            t.state = "training" if playing else ("paused" if t.step else "ready")

    def start(cfg):
        nonlocal run, playing
        playing = False
        try:
            run = _Run(cfg)
        except Exception as exc:  # bad data, bad config: tell the GUI, keep serving
            run = None
            send("error", f"{exc}")
            return
        full(with_data=True)

    try:
        start(config)
        last_poll = 0.0
        while True:
            busy = playing and run is not None and not run.trainer.done
            if busy:
                timeout = 0.0 if speed is None else max(0.0, next_step - time.perf_counter())
            else:
                timeout = None
            if timeout == 0.0 and time.perf_counter() - last_poll < POLL_INTERVAL:
                ready = False    # flat out: look for commands every 2 ms, not after every ~70 us batch
            else:
                ready = conn.poll(timeout)
                last_poll = time.perf_counter()
            if ready:
                cmd = conn.recv()
                name, args = cmd[0], cmd[1:]
                if name == "stop":
                    break
                if name == "reset":
                    cfg = args[0] if args and args[0] is not None else (run.config if run else config)
                    if run is not None and cfg == run.config:
                        playing = False
                        run.trainer.reset()
                        full(with_data=True)
                    else:
                        start(cfg)
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
                send("snapshot", t.snapshot(weights=False))
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
    else:
        raise ValueError(f"Unknown command {name!r}.")
