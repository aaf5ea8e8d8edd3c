"""Training as a generator: ``Trainer`` steps batch by batch and hands out snapshots.

``Sequential.fit`` is built on :class:`Trainer`; the app runs the same trainer in
a child process through :func:`core.run.serve.serve`. The trainer uses only the
model's public methods (``check_xy``, ``train_step``, ...), and the engine imports
nothing from the run service or the analyses: what a recording trainer measures
per epoch is handed in (``epoch_stats``).
"""
from __future__ import annotations

import collections
import math
import sys
import time

import numpy as np

from core.engine.checkpoint import Checkpoint
from core.engine.validation import check_int, check_unit_interval
from core.engine.progbar import Progbar, format_logs
from core.engine.snapshot import History, Snapshot, read_only_copy


#: batch losses kept between two snapshots at most (older ones are dropped first)
MAX_PENDING = 100_000
#: epochs a trainer with no set number of epochs (the app's endless run) keeps in ``history``: the
#: newest ones (a small network trains ~350 epochs a second; every one kept grew the trainer by
#: ~3.5 MB a minute). A trainer with ``epochs`` set keeps them all, as Keras's ``fit`` does.
ENDLESS_HISTORY = 1_000


def split_tail(x, y, validation_split):
    """Keras's ``validation_split``: the last ``n - floor(n * (1 - split))`` samples, unshuffled.

    Keras's rounding: 11 samples at 0.2 hold out 3 (not ``int(11 * 0.2) = 2``), 4 samples
    hold out 1. A split that leaves either part empty is an error, as in Keras.
    """
    frac = check_unit_interval("validation_split", validation_split, high_inclusive=False)
    n = len(x)
    n_train = math.floor(n * (1.0 - frac))
    if n_train < 1 or n_train >= n:
        raise ValueError(f"validation_split={validation_split} cannot split {n} samples into a training "
                         f"and a validation part ({n_train} and {n - n_train}): give more data or "
                         "another validation_split.")
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def epoch_order(rng: np.random.Generator, n: int, shuffle: bool = True) -> np.ndarray:
    """The order in which an epoch visits ``n`` samples, as :class:`Trainer` draws it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The trainer's shuffling generator; one permutation is drawn from it when shuffling.
    n : int
    shuffle : bool
        False: ``0, 1, ..., n - 1`` (and ``rng`` is not used).

    Returns
    -------
    ndarray of shape (n,), int64
        Batch ``k`` of the epoch is ``order[k * batch_size:(k + 1) * batch_size]``.
    """
    return rng.permutation(n) if shuffle else np.arange(n)


#: a recording trainer keeps every epoch below this; then every 2nd up to twice it, every 4th, ...
RECORD_EVERY_EPOCH_BELOW = 256


def recorded_epoch(epoch: int) -> bool:
    """Whether a recording trainer checkpoints ``epoch`` and takes its statistics.

    Every epoch below :data:`RECORD_EVERY_EPOCH_BELOW` (256), then every 2nd up to 512,
    every 4th up to 1,024, ...: ~128 more per doubling of the run. A small network
    trains hundreds of epochs a second; recording each cost ~6 % of its speed and
    sent the window hundreds of checkpoints a second for a timeline that thins them anyway.
    """
    if epoch < RECORD_EVERY_EPOCH_BELOW:
        return True
    stride = 1 << (epoch // RECORD_EVERY_EPOCH_BELOW).bit_length()
    return epoch % stride == 0


def _metric_total(total):
    """An epoch's running metric total as a checkpoint keeps it: an int (correct predictions) or a
    float (summed absolute errors of a ``metrics=["mae"]`` model)."""
    return total if isinstance(total, float) else int(total)


class Trainer:
    """Mini-batch gradient descent on a compiled model, one batch at a time.

    Parameters
    ----------
    model : core.Sequential
        Compiled; built here from ``x`` if needed.
    x : ndarray of shape (n, d)
    y : ndarray of targets fitting the model's loss
    batch_size : int
        Samples per update; the last batch of an epoch holds the rest (fewer), and a batch
        size larger than the data trains one batch of all samples, as in Keras.
    epochs : int or None
        None trains until told to stop (``history`` then keeps the newest :data:`ENDLESS_HISTORY`
        epochs).
    validation_data : (x_val, y_val) or None
    shuffle : bool
    seed : int or None
        Seeds the shuffling.
    record : bool
        Make a :class:`core.engine.checkpoint.Checkpoint` and (with ``epoch_stats``) per-layer
        statistics at the epochs :func:`recorded_epoch` picks (every one of the first 255, then
        ever sparser); snapshots hand them out.
    epoch_stats : callable or None
        ``epoch_stats(model, x_probe) -> dict``, called at each recorded epoch with the first 512
        training samples; its result is the epoch entry's ``"stats"`` (the app passes
        :func:`core.analysis.weights.stats.epoch_stats`). None: no statistics.
    """

    def __init__(self, model, x, y, *, batch_size=32, epochs=None, validation_data=None,
                 shuffle=True, seed=None, record=False, epoch_stats=None):
        self.model = model
        self.x, self.y = model.check_xy(x, y)
        self.val = None
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("Argument `validation_data` must be a tuple (x_val, y_val).")
            if len(validation_data[0]):
                self.val = model.check_xy(*validation_data)
        self.epochs = None if epochs is None else check_int("epochs", epochs)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.batch_size = self._check_batch_size(batch_size)
        self.record = bool(record)
        if epoch_stats is not None and not callable(epoch_stats):
            raise ValueError(f"Argument `epoch_stats` must be None or a callable (model, x_probe) -> dict. "
                             f"Received: epoch_stats={epoch_stats!r}")
        self.epoch_stats = epoch_stats
        self.x_probe = self.x[:512]
        self.initial_weights = model.get_weights()
        self._initial_optimizer = model.optimizer.get_state() if hasattr(model.optimizer, "get_state") else None
        self._xb = np.empty((self._rows_per_batch(), self.x.shape[1]), dtype=np.float32)
        self.reset(restore_weights=False)

    # ---- state ----------------------------------------------------------------------------------
    def reset(self, restore_weights=True) -> None:
        """Back to epoch 0 with the same initial weights and the same shuffling."""
        if restore_weights:
            self.model.set_weights(self.initial_weights)
            if self._initial_optimizer is not None:
                self.model.optimizer.set_state(self._initial_optimizer)
            self.model.reset_rng()
        self.rng = np.random.default_rng(self.seed)
        self.history = History()
        self.epoch = 0
        self.batch = 0
        self.step = 0
        self.state = "ready"
        self.message = ""
        self._pos = 0
        self._order = self._new_order()
        self._sum_loss = 0.0
        self._hits = 0
        self._seen = 0
        # (step, loss, metric: accuracy or mae) since the last snapshot; bounded for scripts that never take one
        self._pending = collections.deque(maxlen=MAX_PENDING)
        self._pending_epochs = []
        self._pending_checkpoints = []
        self._last_good = self.model.get_weights()
        if self.record:
            self._pending_checkpoints.append(self.checkpoint())

    def _new_order(self):
        # the generator's state before drawing: a checkpoint stores it to draw the same order again
        self._order_state = self.rng.bit_generator.state
        return epoch_order(self.rng, len(self.x), self.shuffle)

    def _check_batch_size(self, value) -> int:
        # larger than the data is fine, as in Keras: each epoch is then one batch of every sample
        return check_int("batch_size", value, low=1)

    def _rows_per_batch(self) -> int:
        return min(self.batch_size, len(self.x))

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped")

    def hyperparameters(self) -> dict:
        hp = {"batch_size": self.batch_size}
        hp.update({k: v for k, v in self.model.optimizer.get_config().items() if k != "name"})
        return hp

    def set_hyperparameter(self, name: str, value) -> None:
        """Change ``batch_size`` or an optimizer hyperparameter; applies from the next batch."""
        if name == "batch_size":
            self.batch_size = self._check_batch_size(value)
            if self._xb.shape[0] < self._rows_per_batch():
                self._xb = np.empty((self._rows_per_batch(), self.x.shape[1]), dtype=np.float32)
        else:
            self.model.optimizer.set_hyperparameter(name, value)

    # ---- stepping -------------------------------------------------------------------------------
    def train_batch(self) -> bool:
        """Train one batch; at the end of an epoch, compute its metrics.

        Returns
        -------
        bool
            False when training is over (epochs reached, or a NaN/inf loss stopped it).
        """
        if self.done:
            return False
        self.state = "training"
        model = self.model
        idx = self._order[self._pos:self._pos + self.batch_size]
        n = len(idx)
        xb = self._xb[:n]
        np.take(self.x, idx, axis=0, out=xb)
        yb = self.y[idx]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            loss, hits = model.train_step(xb, yb)      # a loss that is not finite updates nothing
        if not math.isfinite(loss):
            self._stop(f"Epoch {self.epoch + 1}, batch {self.batch + 1}: loss is {loss}; training stopped")
            return False
        self._pos += n
        self.batch += 1
        self.step += 1
        self._sum_loss += loss * n
        self._hits += hits
        self._seen += n
        self._pending.append((self.step, loss, hits / n))
        if self._pos >= len(self.x):
            self._end_epoch()
        return not self.done

    def _end_epoch(self):
        if not self._weights_finite():
            # the epoch's last update overflowed (its loss was still finite): stop before this
            # epoch is counted and its weights are kept as the last good ones
            self._stop(f"Epoch {self.epoch + 1}, batch {self.batch}: the weights overflowed to inf/NaN "
                       "in the update; training stopped")
            return
        logs = {"loss": self._sum_loss / self._seen, **self.model.metric_logs(self._hits / self._seen)}
        if self.val is not None:
            v = self.model.evaluate(*self.val, return_dict=True)
            logs.update({"val_" + k: val for k, val in v.items()})
        self.history.append(self.epoch, logs)     # Keras's History.epoch counts from 0
        if self.epochs is None and len(self.history.epoch) >= 2 * ENDLESS_HISTORY:
            self._trim_history()
        self.epoch += 1
        entry = {"epoch": self.epoch, **logs}
        record = self.record and (recorded_epoch(self.epoch) or self.epochs == self.epoch)
        if record and self.epoch_stats is not None:
            entry["stats"] = self.epoch_stats(self.model, self.x_probe)
        self._pending_epochs.append(entry)
        self._last_good = self.model.get_weights()
        self._pos = self.batch = self._seen = self._hits = 0
        self._sum_loss = 0.0
        self._order = self._new_order()
        if record:
            self._pending_checkpoints.append(self.checkpoint(logs))
        if self.epochs is not None and self.epoch >= self.epochs:
            self.state = "finished"
            self.message = f"Finished {self.epoch} epochs"

    def _trim_history(self) -> None:
        """Keep the newest :data:`ENDLESS_HISTORY` epochs of ``history`` (every 1,000 epochs, so O(1)
        per epoch on average)."""
        h = self.history
        del h.epoch[:-ENDLESS_HISTORY]
        for values in h.history.values():
            del values[:-ENDLESS_HISTORY]

    def _stop(self, message):
        self.state = "stopped"
        self.message = message
        # an update that overflowed leaves non-finite weights: go back to the last finite ones
        if not self._weights_finite():
            self.model.set_weights(self._last_good)

    def train_epoch(self) -> bool:
        """Train up to the end of the current epoch."""
        start = self.epoch
        while self.epoch == start and self.train_batch():
            pass
        return not self.done

    def steps(self):
        """A generator that trains one batch per ``next()`` and yields ``(epoch, batch, loss)``."""
        while self.train_batch():
            yield self.epoch, self.batch, self._pending[-1][1] if self._pending else None

    def mark_good(self) -> None:
        """Remember the current weights as the last finite ones (cheap enough at ~30 Hz)."""
        if self._weights_finite():
            self._last_good = self.model.get_weights()

    def _weights_finite(self) -> bool:
        return self.model.weights_finite()

    # ---- checkpoints ----------------------------------------------------------------------------
    def checkpoint(self, logs=None):
        """Everything needed to go on from here bit-identically (:class:`core.engine.checkpoint.Checkpoint`)."""
        params = self.model.params
        opt = self.model.optimizer
        return Checkpoint(
            epoch=self.epoch, step=self.step, batch=self.batch, position=self._pos,
            partial=(float(self._sum_loss), _metric_total(self._hits), int(self._seen)),
            weights=np.concatenate([p.ravel() for p in params]) if params else np.zeros(0, np.float32),
            shapes=tuple(p.shape for p in params),
            optimizer=opt.get_state() if hasattr(opt, "get_state") else {"iterations": 0, "slots": []},
            rng={"order": self._order_state, "model": self.model.rng.bit_generator.state},
            hyperparameters=self.hyperparameters(), logs=dict(logs or {}))

    def restore(self, ckpt, history=()) -> None:
        """Go back (or forward) to ``ckpt``; training then goes on exactly as it did from there.

        Parameters
        ----------
        ckpt : core.engine.checkpoint.Checkpoint
            Made by :meth:`checkpoint` on a trainer of the same configuration.
        history : sequence of dict
            ``{"epoch": e, "loss": ..., ...}`` for epochs ``1..ckpt.epoch`` (the History to keep).
        """
        shapes = tuple(p.shape for p in self.model.params)
        if tuple(ckpt.shapes) != shapes:
            raise ValueError(f"The checkpoint's weights have shapes {list(ckpt.shapes)}; "
                             f"this network's are {list(shapes)}.")
        if ckpt.position > len(self.x):
            raise ValueError(f"The checkpoint is {ckpt.position} samples into an epoch; "
                             f"this data set has {len(self.x)} training samples.")
        for name, value in ckpt.hyperparameters.items():
            if name == "batch_size" or name in self.model.optimizer.get_config():
                self.set_hyperparameter(name, value)
        self.model.set_weights(ckpt.weight_list())
        self.model.optimizer.set_state({"iterations": ckpt.optimizer["iterations"],
                                        "slots": [np.array(s) for s in ckpt.optimizer["slots"]]})
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = ckpt.rng["order"]
        self._order = self._new_order()
        self.model.rng.bit_generator.state = ckpt.rng["model"]
        self.epoch, self.step, self.batch, self._pos = ckpt.epoch, ckpt.step, ckpt.batch, ckpt.position
        self._sum_loss, self._seen = float(ckpt.partial[0]), int(ckpt.partial[2])
        self._hits = _metric_total(ckpt.partial[1])
        self.history = History()
        for logs in history:
            if 0 < logs.get("epoch", 0) <= ckpt.epoch:
                self.history.append(int(logs["epoch"]) - 1, {k: v for k, v in logs.items()
                                                              if k not in ("epoch", "stats")})
        if self.epochs is None and len(self.history.epoch) > ENDLESS_HISTORY:
            self._trim_history()
        self._pending.clear()
        self._pending_epochs = []
        self._pending_checkpoints = []
        self._last_good = self.model.get_weights()
        self.state, self.message = "paused", ""
        if self.epochs is not None and self.epoch >= self.epochs:
            self.state, self.message = "finished", f"Finished {self.epoch} epochs"

    # ---- snapshots ------------------------------------------------------------------------------
    def snapshot(self, weights=True) -> Snapshot:
        """An immutable picture of training now; consumes the pending batch losses and checkpoints."""
        pend = list(self._pending)
        self._pending.clear()
        epochs, self._pending_epochs = tuple(self._pending_epochs), []
        checkpoints, self._pending_checkpoints = tuple(self._pending_checkpoints), []
        steps = np.array([p[0] for p in pend], dtype=np.int64)
        losses = np.array([p[1] for p in pend], dtype=np.float32)
        accs = np.array([p[2] for p in pend], dtype=np.float32)
        return Snapshot(
            epoch=self.epoch, step=self.step, batch=self.batch,
            batches_per_epoch=self.batches_per_epoch, state=self.state, message=self.message,
            batch_steps=read_only_copy(steps), batch_losses=read_only_copy(losses), batch_accuracies=read_only_copy(accs),
            epochs=epochs,
            weights=tuple(read_only_copy(p) for p in self.model.params) if weights else (),
            hyperparameters=self.hyperparameters(),
            time=time.time(), checkpoints=checkpoints)

    # ---- fit --------------------------------------------------------------------------------
    def fit(self, verbose=1, stream=None):
        """Train ``epochs`` epochs, printing Keras-style lines when ``verbose``."""
        if self.epochs is None:
            raise ValueError("Argument `epochs` must be an integer >= 1 for fit(). Received: epochs=None")
        stream = stream or sys.stdout
        while not self.done:
            if verbose:
                stream.write(f"Epoch {self.epoch + 1}/{self.epochs}\n")
                bar = Progbar(self.batches_per_epoch, stream=stream) if verbose == 1 else None
            start = self.epoch
            while self.epoch == start and self.train_batch():
                if verbose == 1 and self.batch:
                    bar.update(self.batch, {"loss": self._sum_loss / max(self._seen, 1)})
            self._pending.clear()
            if verbose and self.history.epoch and self.history.epoch[-1] == self.epoch - 1 and self.epoch > start:
                logs = {k: v[-1] for k, v in self.history.history.items()}
                if verbose == 1:
                    bar.update(self.batches_per_epoch, logs, finalize=True)
                else:
                    stream.write(format_logs(logs) + "\n")
            if self.state == "stopped":
                stream.write(self.message + "\n")
        return self.history

