"""A tiny run, its snapshots and a view factory for the uncrumpling-view tests
(test_layers.py, test_player_inspector_lab.py)."""
from __future__ import annotations

import dataclasses

import numpy as np

from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.views.uncrumple import layers as layers_mod

#: a 2-2-2-1 network: 1 + 3 * 3 = 10 stages
TINY = TrainingConfig(n_samples=200, hidden=((2, "tanh"), (2, "tanh")), grid_resolution=16)


def start(config=TINY):
    run = _Run(config)
    return run, run.snapshot(with_run=True)


def feed(view, snap):
    view.clear()
    view.set_data(snap.extras)
    view.add_snapshot(snap)


def train_epoch(run):
    run.trainer.train_epoch()
    return run.snapshot()


def nan_snapshot(snap):
    return dataclasses.replace(snap, weights=tuple(np.full_like(w, np.nan) for w in snap.weights), extras={})



def view_factory(qtbot, monkeypatch):
    """``factory(cls, size=(700, 500))``: a view of class ``cls`` added to ``qtbot`` and resized, with
    the views' refresh throttles (``MIN_INTERVAL``) off. The body of the tests' ``make`` fixture."""
    monkeypatch.setattr(layers_mod, "MIN_INTERVAL", 0.0)
    for mod in ("stage_player", "separability", "inspector"):
        monkeypatch.setattr(f"viz.views.uncrumple.{mod}.MIN_INTERVAL", 0.0)

    def factory(cls, size=(700, 500)):
        view = cls()
        qtbot.addWidget(view)
        view.resize(*size)
        return view
    return factory
