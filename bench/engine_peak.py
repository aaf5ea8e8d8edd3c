"""The float32 matmul peak of bench/engine.py: best-of-many ``np.matmul`` of the big network's
shapes. ``engine_blas.measure_peak`` prints it once; ``engine_runs.run_big`` measures it again between
our epochs. Run ``python bench/engine.py``, not this module.
"""
from __future__ import annotations

import math
import time

import numpy as np

D_IN, HIDDEN, BATCH = 784, 512, 128   # the big network's input, hidden layer and batch

# ---- the matmul peak ----------------------------------------------------------------------------
PEAK_SHAPES = [  # (label, shape of a, shape of b, use a.T): the network's big matmuls
    ("fwd1   (128,784)@(784,512)", (BATCH, D_IN), (D_IN, HIDDEN), False),
    ("dW1  (128,784).T@(128,512)", (BATCH, D_IN), (BATCH, HIDDEN), True),
    ("dX1  (128,512)@(512,784)  ", (BATCH, HIDDEN), (HIDDEN, D_IN), False),
]


class PeakProbe:
    """Best-of-``reps`` float32 ``np.matmul`` GFLOP/s of each of :data:`PEAK_SHAPES`, into
    preallocated ``out=`` arrays. ``run_big`` calls it between the epochs, so each epoch has a peak
    measured seconds before it: the machine's speed drifts by 10-30 % within minutes, and a peak
    taken once at the start would move our fraction with the drift."""

    def __init__(self, seed=1):
        rng = np.random.default_rng(seed)
        self.cases = []
        for label, sa, sb, transpose_a in PEAK_SHAPES:
            a, b = rng.random(sa, dtype=np.float32), rng.random(sb, dtype=np.float32)
            a_ = a.T if transpose_a else a
            out = np.empty((a_.shape[0], b.shape[1]), dtype=np.float32)
            self.cases.append((label, a_, b, out, 2 * a_.shape[0] * a_.shape[1] * b.shape[1]))

    def measure(self, reps, warmup=5):
        """{label: (best seconds, GFLOP/s)} over ``reps`` calls of each shape."""
        results = {}
        for label, a, b, out, flops in self.cases:
            for _ in range(warmup):
                np.matmul(a, b, out=out)
            best = math.inf
            for _ in range(reps):
                t0 = time.perf_counter()
                np.matmul(a, b, out=out)
                best = min(best, time.perf_counter() - t0)
            results[label] = (best, flops / best / 1e9)
        return results

    def peak(self, reps):
        """The best GFLOP/s of the shapes."""
        return max(g for _, g in self.measure(reps).values())
