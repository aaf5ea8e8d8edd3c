"""Checkpoints and the timeline: every epoch of a run kept, within a memory budget.

A :class:`Checkpoint` is everything a :class:`core.engine.training.Trainer` needs to go on
from a point exactly as if it had never stopped: the weights, the optimizer's
state, the random generators' states, the counters and the partial sums of a
half-done epoch. The trainer makes one at the end of every epoch when recording
(and on request); the GUI keeps them in a :class:`Timeline`.

The timeline keeps every epoch while its budget allows; past the budget it keeps
every 2nd epoch, then every 4th, ... (epoch 0 and the newest are always kept), so
a long run still spans its whole history at a coarser step.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from core.engine.validation import check_int
from core.engine.snapshot import read_only_copy

#: default memory budget of a timeline, in bytes (the user can change it)
DEFAULT_BUDGET = 256 * 2**20
#: a checkpoint's bookkeeping beyond its arrays (Python objects, dicts), counted against the budget
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
    partial : tuple of (float, int, int)
        The epoch's running ``(sum_loss, hits, seen)``.
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


class Timeline:
    """The epochs of a run, oldest first, within a memory budget.

    Parameters
    ----------
    budget : int
        Bytes the checkpoints may use (at least two checkpoints are always kept).

    >>> tl = Timeline(budget=10 * 2**20)
    >>> tl.add(ckpt)                 # in epoch order
    >>> tl.epochs()                  # [0, 1, 2, ...] or, past the budget, [0, 2, 4, ..., newest]
    >>> tl.at(7)                     # the kept checkpoint nearest to epoch 7 from below
    >>> tl.truncate(5)               # branching at epoch 5 drops 6, 7, ...
    """

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self._budget = self._check_budget(budget)
        self._epochs: list[int] = []
        self._items: list[Checkpoint] = []
        self.stride = 1
        self._nbytes = 0

    @staticmethod
    def _check_budget(value) -> int:
        return check_int("budget", value, low=1)

    # ---- size ------------------------------------------------------------------------------------
    @property
    def budget(self) -> int:
        return self._budget

    @budget.setter
    def budget(self, value) -> None:
        self._budget = self._check_budget(value)
        self._thin()

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept checkpoints."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self):
        return iter(list(self._items))

    # ---- changes ---------------------------------------------------------------------------------
    def clear(self) -> None:
        self._epochs, self._items, self.stride, self._nbytes = [], [], 1, 0

    def add(self, ckpt: Checkpoint) -> None:
        """Keep ``ckpt`` (an epoch-boundary checkpoint); an earlier or equal epoch replaces the tail."""
        if not isinstance(ckpt, Checkpoint):
            raise ValueError(f"Argument `ckpt` must be a Checkpoint. Received: {type(ckpt).__name__}")
        if self._epochs and ckpt.epoch <= self._epochs[-1]:
            self.truncate(ckpt.epoch - 1)
        # the previous newest is kept only if it falls on the stride
        if len(self._items) > 1 and self._epochs[-1] % self.stride:
            self._pop(len(self._items) - 1)
        self._epochs.append(ckpt.epoch)
        self._items.append(ckpt)
        self._nbytes += ckpt.nbytes
        self._thin()

    def truncate(self, epoch: int) -> None:
        """Drop every checkpoint after ``epoch`` (a new branch starts there)."""
        i = bisect.bisect_right(self._epochs, epoch)
        for _ in range(len(self._items) - i):
            self._pop(len(self._items) - 1)

    def _pop(self, i: int) -> None:
        self._nbytes -= self._items[i].nbytes
        del self._items[i], self._epochs[i]

    def _thin(self) -> None:
        while self._nbytes > self._budget and len(self._items) > 2:
            self.stride *= 2
            last = len(self._items) - 1
            keep = [i for i, e in enumerate(self._epochs) if i in (0, last) or e % self.stride == 0]
            if len(keep) == len(self._items):
                continue
            self._items = [self._items[i] for i in keep]
            self._epochs = [self._epochs[i] for i in keep]
            self._nbytes = sum(c.nbytes for c in self._items)

    # ---- lookups ---------------------------------------------------------------------------------
    def epochs(self) -> list[int]:
        """The kept epochs, ascending."""
        return list(self._epochs)

    @property
    def last(self) -> Checkpoint | None:
        return self._items[-1] if self._items else None

    def at(self, epoch: int) -> Checkpoint:
        """The kept checkpoint at ``epoch``, or the nearest one before it (the first if none)."""
        if not self._items:
            raise ValueError("The timeline is empty: no epoch has been recorded yet.")
        i = bisect.bisect_right(self._epochs, epoch) - 1
        return self._items[max(i, 0)]

    def logs(self) -> list[dict]:
        """``{"epoch": e, **logs}`` of the kept checkpoints after epoch 0."""
        return [{"epoch": c.epoch, **c.logs} for c in self._items if c.epoch > 0]
