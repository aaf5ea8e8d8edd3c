"""The weights recorded along a training run, for drawing its descent path on a loss surface.

:class:`_Recorder` keeps the flat weight vector of every heavy snapshot, at most
:data:`MAX_RECORDS` (and :data:`MAX_RECORD_BYTES`), thinning evenly when full.
"""
from __future__ import annotations

import numpy as np

MAX_RECORDS = 2000            # recorded weight vectors kept (thinned evenly beyond)
MAX_RECORD_BYTES = 64 << 20   # ...and at most this much memory for them


class _Recorder:
    """Weight vectors of the heavy snapshots, at most ``cap``, thinned evenly (every 2^k-th kept)."""

    def __init__(self):
        self.clear()

    def clear(self, size=0):
        self.cap = max(16, min(MAX_RECORDS, MAX_RECORD_BYTES // max(4 * size, 1)))
        self.w = np.zeros((0, size), np.float32)
        self.epochs = np.zeros(0, np.int64)
        self.n, self.stride, self.seen = 0, 1, 0
        self.generation = 0                             # bumped when thinned: cached projections go stale
        self.current, self.current_epoch, self.current_in = None, 0, False

    def add(self, flat, epoch):
        self.current, self.current_epoch, self.current_in = flat, epoch, False
        self.seen += 1
        if (self.seen - 1) % self.stride:
            return
        self.current_in = True
        if self.n == len(self.w):
            if self.n >= self.cap:                      # full: keep every other one, record half as often
                keep = slice(0, self.n, 2)
                self.n = len(self.w[keep])
                self.w[:self.n], self.epochs[:self.n] = self.w[keep].copy(), self.epochs[keep].copy()
                self.stride *= 2
                self.generation += 1
            else:
                grow = min(self.cap, max(64, 2 * self.n))
                self.w = np.resize(self.w, (grow, self.w.shape[1]))
                self.epochs = np.resize(self.epochs, grow)
        self.w[self.n], self.epochs[self.n] = flat, epoch
        self.n += 1

    def history(self):
        """Recorded vectors (k, P) plus the current one last, and their epochs."""
        w, e = self.w[:self.n], self.epochs[:self.n]
        if self.current is not None and not self.current_in:
            w, e = np.vstack([w, self.current[None]]), np.append(e, self.current_epoch)
        return w, e
