"""Real runs and snapshots for the view tests (test_views.py, test_boundary_view.py, test_slice_step.py)."""
from __future__ import annotations

import numpy as np

from core.run.config import TrainingConfig
from core.run.serve import _Run


def start(config=None):
    """A run and its first snapshot (with data), as the child process sends it."""
    run = _Run(config or TrainingConfig())
    return run, run.snapshot(with_run=True)


def show_run(view, first):
    """What the session does with a run's first snapshot: ``clear()``, ``set_run(run)``, ``add_snapshot``."""
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)


def train(run, epochs, every=7):
    """Train ``epochs`` epochs; a light snapshot every ``every`` batches, a full one at each epoch end."""
    snaps = []
    for _ in range(epochs):
        start_epoch = run.trainer.epoch
        k = 0
        while run.trainer.epoch == start_epoch:
            run.trainer.train_batch()
            k += 1
            if k % every == 0 and run.trainer.epoch == start_epoch:
                snaps.append(run.snapshot(weights=False))
        snaps.append(run.snapshot())
    return snaps


def curve_data(curve):
    x, y = curve.getOriginalDataset()
    return (np.zeros(0) if x is None else np.asarray(x)), (np.zeros(0) if y is None else np.asarray(y))
