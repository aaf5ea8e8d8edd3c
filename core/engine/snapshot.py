"""What training hands out: Keras's ``History`` and the frozen ``Snapshot`` the GUI draws from.

A run adds its heavy parts (data, decision grid, gradients, checkpoint) in
:class:`core.run.messages.RunSnapshot`, a subclass with typed fields.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np


class History:
    """Per-epoch logs, as Keras's: ``history.history["loss"]``, ``history.epoch``."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def read_only_copy(a) -> np.ndarray:
    """A copy of ``a`` that cannot be written to (what snapshots and checkpoints hand out)."""
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Snapshot:
    """What the trainer tells the GUI: immutable, with read-only array copies.

    Attributes
    ----------
    epoch : int
        Completed epochs.
    step : int
        Optimizer updates so far.
    batch : int
        Batches done in the current epoch.
    batches_per_epoch : int
    state : str
        ``"ready"``, ``"training"``, ``"paused"``, ``"finished"`` or ``"stopped"``.
    message : str
        Why training stopped, or ``""``.
    batch_steps, batch_losses, batch_accuracies : ndarray of shape (m,)
        Every batch since the previous snapshot (none is dropped by throttling).
        ``batch_accuracies`` holds the model's metric: the accuracy, or for a model compiled
        with ``metrics=["mae"]`` (a regression run) each batch's mean absolute error.
    epochs : tuple of dict
        Epochs completed since the previous snapshot: ``{"epoch": e, "loss": ..,
        "accuracy": .., "val_loss": .., "val_accuracy": ..}`` (a regression run:
        ``"loss"``, ``"mae"``, ``"val_loss"``, ``"val_mae"``).
    weights : tuple of ndarray
        Read-only copies in ``get_weights`` order, or ``()`` when not sent.
    hyperparameters : dict
        The values in force (learning_rate, batch_size, ...).
    time : float
        When it was taken (``time.time()``).
    checkpoints : tuple of core.engine.checkpoint.Checkpoint
        When recording: one per epoch completed since the previous snapshot (and
        epoch 0 after a start or reset), for the timeline.
    """

    epoch: int
    step: int
    batch: int
    batches_per_epoch: int
    state: str
    message: str = ""
    batch_steps: np.ndarray = field(default_factory=lambda: read_only_copy(np.zeros(0, np.int64)))
    batch_losses: np.ndarray = field(default_factory=lambda: read_only_copy(np.zeros(0, np.float32)))
    batch_accuracies: np.ndarray = field(default_factory=lambda: read_only_copy(np.zeros(0, np.float32)))
    epochs: tuple = ()
    weights: tuple = ()
    hyperparameters: dict = field(default_factory=dict)
    time: float = 0.0
    checkpoints: tuple = ()

    def __setstate__(self, state):
        # unpickling makes arrays writeable again: freeze them on arrival too
        self.__dict__.update(state)
        _freeze_all(state)


def _freeze_all(obj):
    """Mark every ndarray inside dicts, tuples, lists and dataclasses read-only."""
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _freeze_all(getattr(obj, f.name))
    elif isinstance(obj, dict):
        for v in obj.values():
            _freeze_all(v)
    elif isinstance(obj, (tuple, list)):
        for v in obj:
            _freeze_all(v)
