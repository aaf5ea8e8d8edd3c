"""The timeline: every epoch of a run kept as a :class:`core.engine.checkpoint.Checkpoint`,
within a memory budget.

The timeline keeps every epoch while its budget allows; past the budget it keeps
every 2nd epoch, then every 4th, ... (epoch 0 and the newest are always kept), so
a long run still spans its whole history at a coarser step.
"""
from __future__ import annotations

import bisect


from core.engine.validation import check_int
from core.engine.checkpoint import Checkpoint

#: default memory budget of a timeline, in bytes (the user can change it)
DEFAULT_BUDGET = 256 * 2**20


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
