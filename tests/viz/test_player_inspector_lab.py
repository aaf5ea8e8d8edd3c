"""The stage player, the neuron inspector, the layer lab and the uncrumpling docks (issue 4) fed with
real snapshots from the core trainer (the layers view: test_layers.py)."""
from __future__ import annotations

import dataclasses
import numpy as np
import pytest
from PySide6 import QtCore

from core.run.config import TrainingConfig
from core.run.messages import RunData
from viz.views.uncrumple.inspector import InspectorView
from viz.views.uncrumple.lab import LabView
from viz.app.layout.docks import DOCKS, ViewMaker, spec
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.separability import SeparabilityView
from viz.views.uncrumple.stage_player import StagePlayer
from viz.views.common.visibility import unseen
from viz.views.uncrumple.tracer import Tracer
from layers_support import feed, start, train_epoch, view_factory


@pytest.fixture
def make(qtbot):
    return view_factory(qtbot)


def in_a_closed_dock(qtbot, view):
    """``view`` in the dock of a shown window, the dock closed (as the planar docks in an image run):
    returns ``(window, dock)``."""
    from PySide6 import QtWidgets
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    dock = QtWidgets.QDockWidget("view", window)
    dock.setWidget(view)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resize(800, 500)
    window.show()
    qtbot.waitExposed(window)
    dock.close()
    return window, dock


# ---- stage player -----------------------------------------------------------------------------------
def test_slider_moves_the_points_from_input_to_output(make):
    view = make(StagePlayer)
    run, snap = start()
    feed(view, snap)
    view.refresh()
    last = view.last_position()
    assert last == 9.0
    assert view.slider.maximum() == 9 * 100
    view.slider.setValue(0)
    np.testing.assert_allclose(view.frame(), view.tracer.x, rtol=1e-6)   # 2 features: shown as they are
    view.slider.setValue(view.slider.maximum())
    out = view.traced.coords[-1]
    np.testing.assert_array_equal(view.frame(), out)
    view.slider.setValue(50)                       # halfway from the input to dot(x, W)
    assert view.position() == 0.5
    mid = view.frame().copy()
    c = view.traced.coords
    assert not np.allclose(mid, c[0]) and not np.allclose(mid, c[1])
    np.testing.assert_allclose(mid, 0.5 * (c[0] + c[1]), rtol=1e-5, atol=1e-6)
    assert "→" in view.caption.text()


def test_play_advances_and_stops_at_the_end(make, qtbot):
    view = make(StagePlayer)
    _, snap = start()
    feed(view, snap)
    view.refresh()
    view.loop_box.setChecked(False)
    view.speed.setValue(5.0)
    view.set_position(8.5)
    view.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not view.play_button.isChecked(), timeout=3000)
    assert view.position() == view.last_position()


def test_separability_values_appear_once_per_epoch(make):
    view = make(SeparabilityView)
    run, snap = start()
    feed(view, snap)
    view.refresh()
    assert view.values is not None and len(view.values) == 10
    assert np.all((view.values >= 0.4) & (view.values <= 1.0))
    heights = view.bars.opts["height"]
    assert len(heights) == 10
    s1 = train_epoch(run)
    view.add_snapshot(s1)
    assert view.refresh()
    view.add_snapshot(dataclasses.replace(s1, run=None))     # the same epoch again: not recomputed
    assert not view.refresh()
    view.add_snapshot(train_epoch(run))                       # a new epoch (the clock paces it: test_separability_worker)
    assert view.refresh()
    assert sorted(view.history) == [0, 1, 2]
    assert len(view.curves) == 4                              # input + 3 layer outputs
    assert "Epoch 2" in view.message.text()


# ---- neuron inspector -------------------------------------------------------------------------------
def test_clicking_a_unit_opens_it_in_the_inspector(make, qtbot):
    view = make(InspectorView, (800, 500))
    view.show()
    qtbot.waitExposed(view)
    run, snap = start()
    feed(view, snap)
    assert len(view.nodes.points()) == 0                 # nothing drawn in the turn of the new run
    assert view.refresh()                                # the redraw clock's refresh
    qtbot.waitUntil(lambda: len(view.nodes.points()) > 0, timeout=1000)
    qtbot.waitUntil(lambda: not view.drawing, timeout=1000)              # over a few turns
    spots = [s for s in view.nodes.points() if s.data() == (1, 1)]   # layer 2, unit 1
    assert len(spots) == 1
    scene = view.net_plot.vb.mapViewToScene(spots[0].pos())
    pos = view.graphics.mapFromScene(scene)
    with qtbot.waitSignal(view.unit_selected, timeout=1000) as sig:
        qtbot.mouseClick(view.graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == [1, 1]
    kernel = snap.weights[2]                         # layer 2's kernel (get_weights order)
    np.testing.assert_allclose(view.shown_weights, kernel[:, 1])
    assert f"{kernel[0, 1]:.3g}" in view.weights_label.text()
    assert view.image.image is not None and view.image.image.shape == (64, 64)
    view.hover_sample(0)
    assert "= tanh(" in view.sum_label.text()
    view.add_snapshot(train_epoch(run))
    assert view.refresh()
    assert not np.allclose(view.shown_weights, kernel[:, 1])


def image_run(n=120, hidden=16):
    """A run with 784-feature inputs and 10 classes (as MNIST), without loading MNIST."""
    from core.run.presets import get_preset
    config = dataclasses.replace(get_preset("mnist").config, hidden=((hidden, "relu"),))
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.arange(n) % 10
    return RunData(config=config, x_train=x, y_train=y, x_val=x[:10], y_val=y[:10], n_train=n, n_val=10,
                   n_classes=10)


def test_a_hidden_inspector_of_an_image_run_waits_until_it_is_shown(make, qtbot, monkeypatch):
    """The digits tabs replace the inspector for image runs: its 784-pixel input plane and
    800-node diagram are made only when the view is shown (refreshed)."""
    from core.analysis.boundary import input_plane
    from viz.views.uncrumple import inspector as inspector_mod
    planes = []
    monkeypatch.setattr(inspector_mod, "input_plane", lambda x: planes.append(x) or input_plane(x))
    view = make(InspectorView)
    _window, dock = in_a_closed_dock(qtbot, view)
    view.set_run(image_run())
    assert not view.refresh()                              # the dock is closed
    assert planes == [] and len(view.nodes.points()) == 0
    assert view.tracer._grid is None                       # the tracer's grid is lazy too
    dock.show()
    qtbot.waitUntil(lambda: not unseen(view), timeout=2000)
    assert view.refresh()                                  # the dock was shown
    qtbot.waitUntil(lambda: not view.drawing, timeout=5000)
    assert len(planes) == 1 and len(view.nodes.points()) == 784 + 16 + 10
    view.select_unit(0, 3)
    assert view.image.image.shape == (64, 64)


def test_the_layers_input_grid_is_made_when_first_drawn(monkeypatch):
    import viz.views.uncrumple.tracer as tracer_mod
    grids = []
    real = tracer_mod.input_grid
    monkeypatch.setattr(tracer_mod, "input_grid", lambda *a, **k: grids.append(1) or real(*a, **k))
    tracer = Tracer()
    assert tracer.set_run(image_run()) and grids == []
    assert tracer.grid is tracer.grid and len(grids) == 1  # made once, on first use
    assert tracer.grid.points.shape[1] == 784
    tracer.clear()
    assert tracer.grid is None and len(grids) == 1


# ---- layer lab --------------------------------------------------------------------------------------
def test_rotation_preset_rotates_the_grid(make):
    view = make(LabView)
    view.theta.setValue(90)
    view.apply_preset("rotation")
    view.stage_slider.setValue(view.stage_slider.maximum())
    W, b, act = view.matrix()
    np.testing.assert_allclose(W, [[0, -1], [1, 0]], atol=1e-6)
    assert act == "linear"
    pts = view._grid.points
    rotated = np.column_stack([-pts[:, 1], pts[:, 0]])      # 90° counter-clockwise
    np.testing.assert_allclose(view.grid_xy(), rotated, atol=1e-5)
    view.stage_slider.setValue(0)
    np.testing.assert_allclose(view.grid_xy(), pts, atol=1e-6)
    view.apply_preset("relu fold")
    view.stage_slider.setValue(view.stage_slider.maximum())
    assert view.grid_xy().min() >= 0.0
    view.w_spins[0][1].setValue(2.0)                 # edits apply live
    assert view.matrix()[0][0, 1] == 2.0


def test_lab_takes_2d_run_data_and_ignores_3d(make):
    view = make(LabView)
    _, snap = start()
    view.set_run(snap.run)
    np.testing.assert_array_equal(view._x, snap.run.x_train)
    _, ball = start(TrainingConfig(dataset="paper_ball", n_samples=100, grid_resolution=16))
    view.set_run(ball.run)
    assert view._x.shape[1] == 2


def test_the_lab_draws_the_same_sample_of_a_big_data_set_as_the_other_stage_views(make):
    """A run of 6,000 points: the lab draws the tracer's fixed sample of 1,500, not every point on
    each slider move (a 200,000-row CSV ran every one through its panel, on the GUI thread)."""
    view = make(LabView)
    _, snap = start(TrainingConfig(dataset="moons", n_samples=6000, grid_resolution=16))
    view.set_run(snap.run)
    tracer = Tracer()
    assert tracer.set_run(snap.run)
    assert len(view._x) == len(tracer.x) == 1500
    np.testing.assert_array_equal(view._x, tracer.x)
    np.testing.assert_array_equal(view._y, tracer.y)
    shown = sum(len(it.getData()[0]) for it in view.panel.points if it.isVisible())
    assert shown == 1500


def test_the_dock_registry_lists_every_view(qtbot):
    make = ViewMaker()
    docks = [(s.title, s.name, make(s)) for s in DOCKS if s.module.startswith("viz.views.uncrumple.")]
    for _, _, w in docks:
        qtbot.addWidget(w)
    names = [d[1] for d in docks]
    assert len(set(names)) == len(names) == 5
    assert isinstance(docks[0][2], LayersView)
    assert all(hasattr(w, "add_snapshot") and hasattr(w, "refresh") for _, _, w in docks)
    layers, player = docks[0][2], docks[1][2]
    _, snap = start()
    for w in (layers, player):
        feed(w, snap)
        w.refresh()
    layers.stage_clicked.emit(4)                      # clicking a Layers panel moves the player there
    assert player.position() == 4.0



def test_the_registry_links_the_player_whichever_is_built_first(qtbot):
    make = ViewMaker()
    player = make(spec("dock_stage_player"))       # the app may build the player's tab first
    layers = make(spec("dock_layers"))
    for w in (layers, player):
        qtbot.addWidget(w)
    _, snap = start()
    for w in (layers, player):
        feed(w, snap)
        w.refresh()
    layers.stage_clicked.emit(3)
    assert player.position() == 3.0
