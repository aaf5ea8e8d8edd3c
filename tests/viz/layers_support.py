"""A tiny run, its snapshots, a view factory and a redraw clock for the uncrumpling-view tests
(test_layers.py, test_player_inspector_lab.py, test_inspector_turns.py, test_separability_worker.py)."""
from __future__ import annotations

import dataclasses

import numpy as np

from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.run.redraw import ViewRedrawer

#: a 2-2-2-1 network: 1 + 3 * 3 = 10 stages
TINY = TrainingConfig(n_samples=200, hidden=((2, "tanh"), (2, "tanh")), grid_resolution=16)


def start(config=TINY):
    run = _Run(config)
    return run, run.snapshot(with_run=True)


def feed(view, snap):
    """What the session does with a run's first snapshot: clear, set the run, add the snapshot."""
    view.clear()
    view.set_run(snap.run)
    view.add_snapshot(snap)


def train_epoch(run):
    run.trainer.train_epoch()
    return run.snapshot()


def nan_snapshot(snap):
    return dataclasses.replace(snap, weights=tuple(np.full_like(w, np.nan) for w in snap.weights), run=None)


def clocked(view):
    """The session's redraw clock with ``view`` on it (refreshed while on screen, paced by its
    ``min_interval``, asked again by its ``redraw_wanted``); the view parents it."""
    clock = ViewRedrawer(view)
    clock.add(view)
    return clock


def view_factory(qtbot):
    """``factory(cls, size=(700, 500))``: a view of class ``cls`` added to ``qtbot`` and resized.
    The body of the tests' ``make`` fixture."""

    def factory(cls, size=(700, 500)):
        view = cls()
        qtbot.addWidget(view)
        view.resize(*size)
        return view
    return factory
