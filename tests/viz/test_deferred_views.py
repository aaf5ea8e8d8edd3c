"""A new run reaches every view in one event-loop turn: a view that cannot be seen builds nothing.

The monkey's 3-minute run stalled the window past 1 s six times, each in a view that built
its network, its plots or a PCA of the 784-pixel input in the turn where the session hands
a new image run to every view. Here each view sits in a shown window's dock that is closed
or behind another tab, takes an MNIST-shaped run (784 -> 16 -> 10, 50 samples) and two
snapshots, and must not call its heavy functions (spied) until it is shown and refreshed;
then it shows the newest weights.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.run.config import TrainingConfig, build_model
from core.run.messages import RunData, RunSnapshot
from viz.run.redraw import ViewRedrawer
from viz.views.weights import distributions as dist_mod
from viz.views.weights import network as network_mod
from viz.views.uncrumple import separability as sep_mod
from viz.views.uncrumple import stages3d as stages3d_mod
from viz.views.uncrumple import tracer as tracer_mod
from viz.views.weights import weights as weights_mod
from viz.views.weights.distributions import DistributionsView
from viz.views.weights.network import NetworkView, first_finite
from viz.views.uncrumple.separability import SeparabilityView
from viz.views.uncrumple.stage_player import StagePlayer
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.common.visibility import unseen
from viz.views.weights.weights import WeightsView

SMALL_MNIST = TrainingConfig(hidden=((16, "relu"),), loss="sparse_categorical_crossentropy", learning_rate=0.001)


def ro(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def mnist_run(n=50):
    """An MNIST-shaped run (its RunData) and two heavy snapshots (epochs 0 and 2, different weights)."""
    rng = np.random.default_rng(1)
    x = rng.random((n, 784)).astype(np.float32)
    y = np.arange(n) % 10
    model = build_model(SMALL_MNIST, 784, 10)
    run = RunData(config=SMALL_MNIST, x_train=ro(x), y_train=ro(y), x_val=ro(x[:8]), y_val=ro(y[:8]),
                  n_train=n, n_val=8, n_classes=10)
    first = RunSnapshot(epoch=0, step=0, batch=0, batches_per_epoch=1, state="paused",
                        weights=tuple(ro(w) for w in model.get_weights()), run=run)
    newer = tuple(ro(w + 0.25 * np.sign(w) + 0.01) for w in model.get_weights())
    second = RunSnapshot(epoch=2, step=2, batch=0, batches_per_epoch=1, state="paused", weights=newer)
    return run, first, second


def spy(monkeypatch, owner, name, calls):
    """Count the calls of ``owner.name`` (a module function or a class's method), keeping what it does."""
    real = getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, name, wrapper)


def heavy_spies(monkeypatch):
    """Spies on what a view's first build costs for an image run: the network, the plots, the PCAs."""
    calls = []
    for owner, name in ((RunData, "model"),
                        (dist_mod, "epoch_stats"), (tracer_mod.Tracer, "trace"), (sep_mod, "stages_separability"), (sep_mod, "stages"),
                        (weights_mod.WeightsView, "_build"), (dist_mod.DistributionsView, "_build_rows"),
                        (network_mod.NetworkView, "_layout")):
        spy(monkeypatch, owner, name, calls)
    return calls


def newest_shown(view, newest) -> bool:
    """Whether ``view`` shows (or has loaded to show) the weights of snapshot ``newest``."""
    if isinstance(view, WeightsView):
        return bool(view.layers) and np.array_equal(view.layers[0].kernel, newest.weights[0])
    if isinstance(view, NetworkView):
        return view.diagram is not None and np.array_equal(view.model.get_weights()[0], newest.weights[0])
    if isinstance(view, DistributionsView):
        return len(view.rows) == 2 and view._weights_epoch == newest.epoch
    tracer = view.tracer
    loaded = tracer.ready and np.array_equal(tracer.model.get_weights()[0], newest.weights[0])
    if isinstance(view, SeparabilityView):
        return loaded and newest.epoch in view.history
    return loaded and tracer.epoch == newest.epoch and view.traced is not None


VIEWS = [WeightsView, NetworkView, DistributionsView, SeparabilityView, StagePlayer,
         lambda: Stages3DView(use_gl=False)]
IDS = ["weights", "network", "distributions", "separability", "stage_player", "stages3d"]


@pytest.fixture
def window(qtbot, monkeypatch):
    win = QtWidgets.QMainWindow()
    win.setCentralWidget(QtWidgets.QLabel("centre"))
    qtbot.addWidget(win)

    def make(view, tab: bool):
        docks = []
        for name, w in (("view", view), ("other", QtWidgets.QLabel("other"))):
            dock = QtWidgets.QDockWidget(name, win)
            dock.setObjectName(name)
            dock.setWidget(w)
            win.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            docks.append(dock)
        win.tabifyDockWidget(docks[0], docks[1])
        win.resize(900, 700)
        win.show()
        qtbot.waitExposed(win)
        if tab:
            docks[1].raise_()
        else:
            docks[0].close()
        qtbot.waitUntil(lambda: unseen(view), timeout=2000)
        return docks[0]
    return make


def on_a_clock(view) -> ViewRedrawer:
    """A redraw clock for ``view`` alone, as the session's: it refreshes the view on screen when asked
    (a dock coming to the front asks) and when the view asks (``redraw_wanted``: a build done)."""
    clock = ViewRedrawer(view)
    clock.add(view)
    return clock


def take_run(view, run, *snaps):
    """What the session does at a new run: clear, set_run, then every snapshot; then a redraw tick."""
    view.clear()
    view.set_run(run)
    for s in snaps:
        view.add_snapshot(s)
    return view.refresh()


@pytest.mark.parametrize("tab", [False, True], ids=["closed-dock", "behind-tab"])
@pytest.mark.parametrize("factory", VIEWS, ids=IDS)
def test_an_unseen_view_builds_nothing_until_shown_then_draws_the_newest_weights(window, qtbot, monkeypatch,
                                                                                 factory, tab):
    view = factory()
    dock = window(view, tab)
    clock = on_a_clock(view)
    calls = heavy_spies(monkeypatch)
    run, first, second = mnist_run()
    assert not take_run(view, run, first, second)
    assert calls == []                                  # no network, no plots, no PCA while unseen
    if not tab:
        dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: not unseen(view), timeout=2000)
    clock.request()                                     # what the dock's visibilityChanged does
    qtbot.waitUntil(lambda: newest_shown(view, second), timeout=10000)   # separability: a round in its worker
    assert calls                                        # built now that it is seen


@pytest.mark.parametrize("factory", VIEWS, ids=IDS)
def test_a_seen_view_builds_on_its_refresh_not_in_the_turn_of_the_new_run(qtbot, monkeypatch, factory):
    """In front, the build waits for the session's next redraw tick (a turn of its own)."""
    view = factory()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    on_a_clock(view)
    calls = heavy_spies(monkeypatch)
    run, first, second = mnist_run()
    view.clear()
    view.set_run(run)
    view.add_snapshot(first)
    view.add_snapshot(second)
    assert calls == []
    view.refresh()
    qtbot.waitUntil(lambda: newest_shown(view, second), timeout=10000)   # separability: a round in its worker


@pytest.mark.parametrize("factory", VIEWS, ids=IDS)
def test_a_view_in_no_shown_window_still_builds_at_once(monkeypatch, factory, qtbot):
    view = factory()
    qtbot.addWidget(view)
    calls = heavy_spies(monkeypatch)
    run, first, second = mnist_run()
    view.set_run(run)
    if not isinstance(view, WeightsView):                # the weights view needs weights for its plots
        assert calls
    view.add_snapshot(first)
    view.add_snapshot(second)
    view.refresh()
    qtbot.waitUntil(lambda: newest_shown(view, second), timeout=10000)   # separability: after its busy wait


def test_the_3d_switch_of_a_closed_player_traces_nothing(window, qtbot, monkeypatch):
    """The monkey: 3D on in the stage player, its dock closed, then MNIST: a PCA of 784 pixels at the start."""
    monkeypatch.setattr(stages3d_mod.gl3d, "opengl_available", lambda: False)
    player = StagePlayer()
    dock = window(player, tab=False)
    dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: not unseen(player), timeout=2000)
    player.switch3d.button.setChecked(True)
    dock.close()
    qtbot.waitUntil(lambda: unseen(player), timeout=2000)
    calls = heavy_spies(monkeypatch)
    run, first, second = mnist_run()
    take_run(player, run, first, second)
    assert calls == []
    dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: not unseen(player), timeout=2000)
    player.refresh()
    view = player.switch3d.view
    qtbot.waitUntil(lambda: newest_shown(view, second), timeout=3000)


def test_a_new_run_of_the_same_shapes_reuses_the_weight_plots(qtbot, monkeypatch):
    view = WeightsView()
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    run, first, second = mnist_run()
    take_run(view, run, first)
    plots = [maps.kernel_plot for maps in view.layers]
    calls = heavy_spies(monkeypatch)
    take_run(view, run, second)
    assert calls == [] and [maps.kernel_plot for maps in view.layers] == plots
    np.testing.assert_array_equal(view.layers[1].bias, second.weights[3])
    wider = TrainingConfig(hidden=((24, "relu"),), loss="sparse_categorical_crossentropy")
    model = build_model(wider, 784, 10)
    snap = RunSnapshot(epoch=0, step=0, batch=0, batches_per_epoch=1, state="paused",
                       weights=tuple(ro(w) for w in model.get_weights()))
    take_run(view, dataclasses.replace(run, config=wider), snap)
    assert calls == ["_build"] and view.layers[0].shape == (784, 24)


def test_the_network_probe_is_the_first_finite_rows():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    x[1, 0] = np.nan
    x[3, 1] = np.inf
    np.testing.assert_array_equal(first_finite(x, 3), x[[0, 2, 4]])
    big = np.ones((5000, 3), np.float32)
    big[:4000] = np.nan
    assert first_finite(big, 32).shape == (32, 3) and np.isfinite(first_finite(big, 32)).all()
    assert first_finite(big[:0], 4).shape == (0, 3)


@pytest.mark.parametrize("factory", VIEWS, ids=IDS)
def test_finish_draws_a_seen_view_at_once_for_an_image(qtbot, monkeypatch, factory):
    """An export raises the dock, refreshes and takes the picture: ``finish`` does the turns still due."""
    view = factory()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    run, first, second = mnist_run()
    take_run(view, run, first, second)
    if hasattr(view, "finish"):
        view.finish()
    assert newest_shown(view, second)
