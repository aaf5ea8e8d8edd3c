"""The weights recorded along a training run, for drawing its descent path on a loss surface.

:class:`WeightRecord` keeps the flat weight vector of every heavy snapshot, at most
:data:`MAX_RECORDS` (and :data:`MAX_RECORD_BYTES`), thinning evenly when full.

The vectors are held as a list of rows, not one big array: recording one is O(1)
and thinning keeps every other row without copying any weights. For the MNIST
network (407,000 weights, 1.6 MB a row) growing and thinning one 64 MB array took
tens of milliseconds on the GUI thread each time. Only :meth:`WeightRecord.history`
stacks the rows, when a caller asks for them all, and caches the result.
"""
from __future__ import annotations

import numpy as np

MAX_RECORDS = 2000            # recorded weight vectors kept (thinned evenly beyond)
MAX_RECORD_BYTES = 64 << 20   # ...and at most this much memory for them


class _Rows:
    """The recorded rows seen as a (n, size) array for reading: ``shape``, ``len`` and slicing.

    ``rows[a:b]`` stacks just those rows (a (k, size) float32 copy); ``rows[i]`` is one row.
    """

    def __init__(self, rec: "WeightRecord"):
        self._rec = rec

    @property
    def shape(self) -> tuple[int, int]:
        return (self._rec.n, self._rec.size)

    def __len__(self) -> int:
        return self._rec.n

    def __getitem__(self, key):
        rows = self._rec.rows
        if isinstance(key, slice):
            picked = rows[key]
            if not picked:
                return np.zeros((0, self._rec.size), np.float32)
            return np.stack(picked)
        return rows[key]


class WeightRecord:
    """Weight vectors of the heavy snapshots, at most ``cap``, thinned evenly (every 2^k-th kept).

    Attributes
    ----------
    rows : list of ndarray of shape (size,), float32
        The recorded vectors, oldest first (read-only).
    epochs : ndarray of shape (n,), int64
        Each row's epoch.
    generation : int
        Bumped whenever the record is thinned or cleared: cached projections go stale.
    current, current_epoch, current_in
        The newest vector added, its epoch, and whether it was recorded (else it is
        appended by :meth:`history`).
    """

    def __init__(self):
        self.generation = 0
        self.clear()

    def clear(self, size=0):
        self.size = int(size)
        self.cap = max(16, min(MAX_RECORDS, MAX_RECORD_BYTES // max(4 * self.size, 1)))
        self.rows: list[np.ndarray] = []
        self._epochs: list[int] = []
        self.stride, self.seen = 1, 0
        self.generation += 1                            # bumped when thinned: cached projections go stale
        self.current, self.current_epoch, self.current_in = None, 0, False
        self._stacked_key, self._stacked = None, None

    @property
    def n(self) -> int:
        """How many vectors are recorded."""
        return len(self.rows)

    @property
    def w(self) -> _Rows:
        """The rows as a read-only (n, size) array-like (slicing stacks only the rows asked for)."""
        return _Rows(self)

    @property
    def epochs(self) -> np.ndarray:
        return np.asarray(self._epochs, np.int64)

    def add(self, flat, epoch):
        """Record ``flat`` (shape (size,)) if it falls on the stride; O(1) apart from a thinning's list slice."""
        flat = np.array(flat, np.float32, copy=True).reshape(-1)
        flat.flags.writeable = False
        self.current, self.current_epoch, self.current_in = flat, int(epoch), False
        self.seen += 1
        if (self.seen - 1) % self.stride:
            return
        self.current_in = True
        if self.n >= self.cap:                          # full: keep every other one, record half as often
            self.rows, self._epochs = self.rows[::2], self._epochs[::2]
            self.stride *= 2
            self.generation += 1
        self.rows.append(flat)
        self._epochs.append(int(epoch))

    def history(self):
        """Recorded vectors (k, P) plus the current one last, and their epochs.

        Stacks the rows (one copy of the whole record); the result is cached until the
        next :meth:`add` that changes it, and is read-only.
        """
        extra = self.current is not None and not self.current_in
        key = (self.generation, self.seen)
        if self._stacked_key != key:
            rows = self.rows + ([self.current] if extra else [])
            e = self._epochs + ([self.current_epoch] if extra else [])
            w = np.stack(rows) if rows else np.zeros((0, self.size), np.float32)
            w.flags.writeable = False
            self._stacked_key, self._stacked = key, (w, np.asarray(e, np.int64))
        return self._stacked
