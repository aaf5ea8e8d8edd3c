"""A trainer's complete state at one point: what a run is saved from and resumed at, bit for bit.

The :class:`core.engine.training.Trainer` makes one at the end of every recorded epoch and on
request; :class:`core.run.timeline.Timeline` keeps them within a memory budget.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.engine.snapshot import read_only_copy

#: a checkpoint's bookkeeping beyond its arrays (Python objects, dicts), counted against a timeline's budget
OVERHEAD_BYTES = 2048


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A trainer's complete state at one point; immutable, arrays read-only.

    Attributes
    ----------
    epoch : int
        Completed epochs.
    step : int
        Optimizer updates so far.
    batch : int
        Batches done in the current epoch (0 at an epoch boundary).
    position : int
        Samples of the current epoch's order already used.
    partial : tuple of (float, int or float, int)
        The epoch's running ``(sum_loss, hits, seen)``; for a regression run the middle one is the
        summed absolute error (a float), for the MAE metric.
    weights : ndarray of shape (n_params,), float32
        Every weight, flattened in ``get_weights`` order.
    shapes : tuple of tuple
        The shape of each weight array, to unflatten ``weights``.
    optimizer : dict
        ``{"iterations": int, "slots": tuple of ndarray}`` (``Optimizer.get_state``).
    rng : dict
        ``{"order": state, "model": state}``: the shuffling generator's state just
        before it drew the current epoch's order, and the model's (dropout) generator now.
    hyperparameters : dict
        Values in force (batch size, learning rate, ...).
    logs : dict
        The metrics of the epoch that ended here (empty for epoch 0 or mid-epoch).
    """

    epoch: int
    step: int
    batch: int
    position: int
    partial: tuple
    weights: np.ndarray
    shapes: tuple
    optimizer: dict
    rng: dict
    hyperparameters: dict = field(default_factory=dict)
    logs: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "weights", read_only_copy(np.asarray(self.weights, dtype=np.float32).ravel()))
        object.__setattr__(self, "shapes", tuple(tuple(int(d) for d in s) for s in self.shapes))
        opt = dict(self.optimizer)
        opt["slots"] = tuple(read_only_copy(s) for s in opt.get("slots", ()))
        object.__setattr__(self, "optimizer", opt)
        if sum(math.prod(s) for s in self.shapes) != self.weights.size:
            raise ValueError(f"A checkpoint's shapes {self.shapes} do not match its {self.weights.size} weights.")

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.weights.flags.writeable = False
        for s in self.optimizer.get("slots", ()):
            s.flags.writeable = False

    @property
    def nbytes(self) -> int:
        """Memory held by the checkpoint's arrays plus a fixed overhead."""
        return int(self.weights.nbytes + sum(s.nbytes for s in self.optimizer.get("slots", ())) + OVERHEAD_BYTES)

    def weight_list(self) -> list[np.ndarray]:
        """The weights as read-only arrays in ``get_weights`` order."""
        out, at = [], 0
        for shape in self.shapes:
            n = math.prod(shape)
            out.append(self.weights[at:at + n].reshape(shape))
            at += n
        return out

    def same_run(self, other: "Checkpoint") -> bool:
        """Whether two checkpoints hold the same state, bit for bit."""
        return (self.epoch, self.step, self.batch, self.position, self.partial, self.shapes, self.rng) == \
            (other.epoch, other.step, other.batch, other.position, other.partial, other.shapes, other.rng) \
            and np.array_equal(self.weights.view(np.uint32), other.weights.view(np.uint32)) \
            and self.optimizer["iterations"] == other.optimizer["iterations"] \
            and len(self.optimizer["slots"]) == len(other.optimizer["slots"]) \
            and all(np.array_equal(a, b) for a, b in zip(self.optimizer["slots"], other.optimizer["slots"]))
