"""The uncrumpling views (issue 4) fed with real snapshots from the core trainer."""
from __future__ import annotations

import dataclasses
import numpy as np
import pytest
from PySide6 import QtCore

from core.config import TrainingConfig
from core.serve import _Run
from viz.views import layers as layers_mod
from viz.views.inspector import InspectorView
from viz.views.lab import LabView
from viz.views.layers import LayersView, make_docks
from viz.views.separability import SeparabilityView
from viz.views.stage_player import StagePlayer

#: a 2-2-2-1 network: 1 + 3 * 3 = 10 stages
TINY = TrainingConfig(n_samples=200, hidden=((2, "tanh"), (2, "tanh")), grid_resolution=16)


def start(config=TINY):
    run = _Run(config)
    return run, run.trainer.snapshot(extras=run.extras(with_data=True))


def feed(view, snap):
    view.clear()
    view.set_data(snap.extras)
    view.add_snapshot(snap)


def train_epoch(run):
    run.trainer.train_epoch()
    return run.trainer.snapshot(extras=run.extras())


def nan_snapshot(snap):
    return dataclasses.replace(snap, weights=tuple(np.full_like(w, np.nan) for w in snap.weights), extras={})


@pytest.fixture
def make(qtbot, monkeypatch):
    monkeypatch.setattr(layers_mod, "MIN_INTERVAL", 0.0)
    for mod in ("stage_player", "separability", "inspector"):
        monkeypatch.setattr(f"viz.views.{mod}.MIN_INTERVAL", 0.0)

    def factory(cls, size=(700, 500)):
        view = cls()
        qtbot.addWidget(view)
        view.resize(*size)
        return view
    return factory


# ---- layers view ------------------------------------------------------------------------------------
def test_one_panel_per_stage_of_a_2_2_2_1_network(make):
    view = make(LayersView)
    _, snap = start()
    feed(view, snap)
    view.refresh()
    assert len(view.panels) == 10
    titles = [p.plot.titleLabel.text for p in view.panels]
    assert "input" in titles[0] and "2 features" in titles[0]
    assert "dot(x, W)" in titles[1] and "+ b" in titles[2] and "tanh" in titles[3]
    assert "sigmoid" in titles[9] and "1 unit" in titles[9]
    # the input panel shows the training points themselves, coloured by class
    shown = np.concatenate([it.getData()[0] for it in view.panels[0].points])
    assert len(shown) == len(view.tracer.x)
    # the grid's segments are coloured by the predicted class: together, every segment of the grid
    grid = view.tracer.grid
    drawn = sum(int(np.sum(it.opts["connect"])) for it in view.panels[5].lines if it.xData is not None
                and len(it.xData))
    assert drawn == int(grid.connect().sum())
    assert sum(len(it.getData()[0]) for it in view.panels[9].regions) > 0      # 1 unit: dots


def test_clicking_a_panel_names_its_stage(make, qtbot):
    view = make(LayersView, (900, 700))
    _, snap = start()
    feed(view, snap)
    view.show()
    qtbot.waitExposed(view)
    rect = view.panels[5].plot.sceneBoundingRect()
    pos = view.graphics.mapFromScene(rect.center())
    with qtbot.waitSignal(view.stage_clicked, timeout=1000) as sig:
        qtbot.mouseClick(view.graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == [5]


def test_layers_follow_new_weights_and_throttle(make, qtbot, monkeypatch):
    view = make(LayersView)
    run, snap = start()
    s1, s2 = train_epoch(run), train_epoch(run)
    feed(view, snap)
    assert view.refresh()
    before = view.traced.coords[3].copy()
    assert not view.refresh()                      # nothing new: no drawing
    monkeypatch.setattr(layers_mod, "MIN_INTERVAL", 0.3)
    view.add_snapshot(s1)
    assert not view.refresh()                      # too soon: deferred, not dropped
    qtbot.waitUntil(lambda: view._drawn_version == view.tracer.version, timeout=2000)
    monkeypatch.setattr(layers_mod, "MIN_INTERVAL", 0.0)
    view.add_snapshot(s2)
    assert view.refresh()
    assert not np.allclose(before, view.traced.coords[3])
    view.add_snapshot(dataclasses.replace(snap, weights=()))   # light snapshot: nothing to draw
    assert not view.refresh()


def test_a_shown_view_spreads_a_refresh_over_event_loop_turns(make, qtbot, monkeypatch):
    """Each turn redraws PANELS_PER_TURN panels (then paints); weights arriving meanwhile are drawn next."""
    monkeypatch.setattr(layers_mod, "PANELS_PER_TURN", 3)
    view = make(LayersView)
    view.show()
    qtbot.waitExposed(view)
    run, snap = start()
    feed(view, snap)
    assert view.panels == []                 # a shown view makes its panels on its next refresh, not in set_data
    assert view.refresh() and len(view.panels) == 10
    drawn = []
    real = view._draw_panel
    monkeypatch.setattr(view, "_draw_panel", lambda i: drawn.append(i) or real(i))
    view.add_snapshot(train_epoch(run))
    assert view.refresh()
    assert view.drawing == list(range(10)) and not drawn      # traced now, drawn over the next turns
    s2 = train_epoch(run)
    view.add_snapshot(s2)
    assert not view.refresh()                                  # a round is on: the new weights wait
    qtbot.waitUntil(lambda: not view.drawing and view._drawn_version == view.tracer.version, timeout=3000)
    assert drawn[:10] == list(range(10)) and len(drawn) == 20   # two whole rounds, in order
    qtbot.waitUntil(lambda: not view._turn.isActive(), timeout=1000)
    expected = view.traced.coords[4]
    shown = np.concatenate([it.getData()[0] for it in view.panels[4].points])
    assert np.allclose(np.sort(shown), np.sort(expected[:, 0][np.isfinite(expected).all(axis=1)]))


def test_a_view_in_a_closed_dock_makes_nothing_until_opened(qtbot):
    """The monkey closed the Layers dock, then picked MNIST: the run's PCAs stalled the window."""
    from PySide6 import QtWidgets
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    view = LayersView()
    dock = QtWidgets.QDockWidget("layers", window)
    dock.setWidget(view)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.resize(700, 500)
    window.show()
    qtbot.waitExposed(window)
    dock.close()
    run, snap = start()
    feed(view, snap)
    assert not view.refresh()
    assert view.panels == [] and view.tracer._grid is None and view.traced is None
    dock.show()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    assert view.refresh() and len(view.panels) == 10
    inspector = InspectorView()                       # the inspector does not even build the network
    dock.setWidget(inspector)
    dock.close()
    inspector.set_data(snap.extras)
    inspector.add_snapshot(train_epoch(run))
    assert not inspector.tracer.ready and len(inspector.nodes.points()) == 0
    dock.show()
    qtbot.waitUntil(lambda: len(inspector.nodes.points()) == 2 + 2 + 2 + 1, timeout=2000)
    inspector.select_unit(0, 1)
    assert inspector.tracer.epoch == 1 and inspector.image.image.shape == (64, 64)


def test_a_view_behind_another_tab_waits_until_it_is_in_front(make, qtbot):
    from PySide6 import QtWidgets
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    view, other = LayersView(), QtWidgets.QLabel("other")
    docks = []
    for name, w in (("layers", view), ("other", other)):
        dock = QtWidgets.QDockWidget(name, window)
        dock.setWidget(w)
        window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        docks.append(dock)
    window.tabifyDockWidget(docks[0], docks[1])
    window.resize(700, 500)
    window.show()
    qtbot.waitExposed(window)
    docks[1].raise_()
    qtbot.waitUntil(lambda: layers_mod.behind_tab(view), timeout=2000)
    run, snap = start()
    feed(view, snap)
    view.add_snapshot(train_epoch(run))
    assert not view.refresh()                                   # nobody sees it: nothing traced or drawn
    assert view._drawn_version != view.tracer.version
    assert view.panels == []                                    # not even made (~25 ms a panel)
    assert view.tracer._grid is None                            # nor the input grid (a PCA plane for images)
    docks[0].raise_()
    qtbot.waitUntil(lambda: not layers_mod.behind_tab(view), timeout=2000)
    assert view.refresh()
    assert len(view.panels) == 10 and view._drawn_version == view.tracer.version
    assert "input" in view.panels[0].plot.titleLabel.text


def test_panel_ranges_follow_big_moves_only(qtbot):
    import pyqtgraph as pg
    from viz.views.stage_player import StagePanel
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    panel = StagePanel(widget.addPlot())
    assert panel.set_range((0, 10, 0, 10))
    assert not panel.set_range((0.5, 10.5, -0.5, 9.5), slack=0.1)   # within a tenth of the span: kept
    assert panel.set_range((0, 20, 0, 10), slack=0.1)
    assert panel.set_range((0, 20.5, 0, 10))                          # no slack: every change
    panel.forget_range()
    assert panel.set_range((0, 20.5, 0, 10), slack=0.1)
    # points moved in place keep their count and take the new positions
    xy = np.arange(20, dtype=np.float32).reshape(10, 2)
    labels = np.zeros(10, np.int64)
    grid = np.zeros((4, 2), np.float32)
    idx, connect = np.arange(4), np.array([True, True, True, False])
    panel.show(xy, labels, grid, np.zeros(4, np.int64), idx, connect)
    panel.show(xy + 1, labels, grid, np.zeros(4, np.int64), idx, connect)
    np.testing.assert_array_equal(panel.points[0].getData()[0], xy[:, 0] + 1)
    assert not panel.points[1].isVisible()                           # no class-1 point: not painted


def test_chosen_units_and_image_export(make, tmp_path):
    view = make(LayersView)
    _, snap = start(TrainingConfig(n_samples=100, hidden=((4, "tanh"),), grid_resolution=16))
    feed(view, snap)
    view.refresh()
    assert "PCA of 4 units" in view.panels[3].plot.titleLabel.text
    view.use_units(3, (2, 0))
    assert "units 2 and 0" in view.panels[1].plot.titleLabel.text   # the whole layer shares it
    np.testing.assert_array_equal(view.traced.coords[3], view.traced.stages[3].values[:, [2, 0]])
    view.use_units(3, None)
    assert "PCA" in view.panels[3].plot.titleLabel.text
    view.export_image(tmp_path / "layers.png")
    view.export_image(tmp_path / "layers.svg")
    assert (tmp_path / "layers.png").stat().st_size > 1000 and (tmp_path / "layers.svg").stat().st_size > 1000


def test_3d_input_uses_a_named_projection(make):
    view = make(LayersView)
    _, snap = start(TrainingConfig(dataset="paper_ball", n_samples=200, hidden=((3, "tanh"),), grid_resolution=16))
    feed(view, snap)
    view.refresh()
    assert len(view.panels) == 7
    assert "PCA of 3 features" in view.panels[0].plot.titleLabel.text
    assert view.gl_notice.isVisibleTo(view) and "2D projection" in view.gl_notice.text()


def test_3d_fallback_notice_names_missing_opengl(make, monkeypatch):
    monkeypatch.setattr(layers_mod, "opengl_available", lambda: False)
    view = make(LayersView)
    _, snap = start(TrainingConfig(n_samples=100, hidden=((3, "relu"),), grid_resolution=16))
    feed(view, snap)
    assert view.gl_notice.isVisibleTo(view) and "OpenGL" in view.gl_notice.text()
    _, flat = start()
    feed(view, flat)                                 # 2-unit stages only: no notice
    assert not view.gl_notice.isVisibleTo(view)


def test_gl_notice_offers_the_3d_view_or_names_the_fallback(make):
    assert "press 3D" in layers_mod.notice_3d(True) and "2D projection" in layers_mod.notice_3d(True)
    assert layers_mod.notice_3d(False).startswith("3D needs OpenGL: showing a 2D projection")


def test_empty_and_nan_weights_do_not_raise(make):
    views = [make(c) for c in (LayersView, StagePlayer, SeparabilityView, InspectorView)]
    _, snap = start()
    for v in views:
        v.clear()
        v.refresh()                                 # nothing set yet
        v.set_data({})                              # no run
        v.add_snapshot(dataclasses.replace(snap, weights=(), extras={}))
        v.refresh()
        feed(v, snap)
        v.refresh()
        v.add_snapshot(nan_snapshot(snap))
        v.refresh()
    assert "not finite" in views[0].notice.text()
    assert np.isfinite(views[0].traced.coords[-1]).all()  # still the last finite weights


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


def test_separability_values_appear_once_per_epoch(make, qtbot, monkeypatch):
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
    view.add_snapshot(dataclasses.replace(s1, extras={}))   # the same epoch again: not recomputed
    assert not view.refresh()
    monkeypatch.setattr("viz.views.separability.MIN_INTERVAL", 0.3)
    view.add_snapshot(train_epoch(run))                       # a new epoch, but too soon: deferred
    assert not view.refresh()
    qtbot.waitUntil(lambda: 2 in view.history, timeout=3000)
    assert sorted(view.history) == [0, 1, 2]
    assert len(view.curves) == 4                              # input + 3 layer outputs
    assert "Epoch 2" in view.message.text()


# ---- neuron inspector -------------------------------------------------------------------------------
def test_clicking_a_unit_opens_it_in_the_inspector(make, qtbot):
    view = make(InspectorView, (800, 500))
    run, snap = start()
    feed(view, snap)
    assert len(view.nodes.points()) == 0                 # never shown: nothing drawn yet
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: len(view.nodes.points()) > 0, timeout=1000)   # drawn once shown
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
    assert "→ tanh →" in view.sum_label.text()
    view.add_snapshot(train_epoch(run))
    assert view.refresh()
    assert not np.allclose(view.shown_weights, kernel[:, 1])


def image_extras(n=120, hidden=16):
    """A run's first extras with 784-feature inputs and 10 classes (as MNIST), without loading MNIST."""
    from core.presets import get_preset
    config = dataclasses.replace(get_preset("mnist").config, hidden=((hidden, "relu"),))
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.arange(n) % 10
    data = {"x_train": x, "y_train": y, "x_val": x[:10], "y_val": y[:10]}
    return {"data": data, "config": config.to_dict()}


def test_a_hidden_inspector_of_an_image_run_waits_until_it_is_shown(make, monkeypatch):
    """The digits tabs replace the inspector for image runs: its 784-pixel input plane and
    800-node diagram are made only when the view is shown (refreshed)."""
    from core.boundary import input_plane
    from viz.views import inspector as inspector_mod
    planes = []
    monkeypatch.setattr(inspector_mod, "input_plane", lambda x: planes.append(x) or input_plane(x))
    view = make(InspectorView)
    view.set_data(image_extras())
    assert planes == [] and len(view.nodes.points()) == 0
    assert view.tracer._grid is None                       # the tracer's grid is lazy too
    assert view.refresh()                                  # the dock was shown
    assert len(planes) == 1 and len(view.nodes.points()) == 784 + 16 + 10
    view.select_unit(0, 3)
    assert view.image.image.shape == (64, 64)


def test_the_layers_input_grid_is_made_when_first_drawn(make, monkeypatch):
    import viz.views.tracer as tracer_mod
    grids = []
    real = tracer_mod.input_grid
    monkeypatch.setattr(tracer_mod, "input_grid", lambda *a, **k: grids.append(1) or real(*a, **k))
    tracer = layers_mod.Tracer()
    assert tracer.set_data(image_extras()) and grids == []
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
    view.set_data(snap.extras)
    np.testing.assert_array_equal(view._x, snap.extras["data"]["x_train"])
    _, ball = start(TrainingConfig(dataset="paper_ball", n_samples=100, grid_resolution=16))
    view.set_data(ball.extras)
    assert view._x.shape[1] == 2


def test_make_docks_lists_every_view(qtbot):
    docks = make_docks(None)
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



def test_dock_factories_link_the_player_whichever_is_built_first(qtbot):
    from viz.views.layers import dock_factories
    factories = {name: make for _, name, make in dock_factories(None)}
    player = factories["dock_stage_player"]()       # the app may build the player's tab first
    layers = factories["dock_layers"]()
    for w in (layers, player):
        qtbot.addWidget(w)
    _, snap = start()
    for w in (layers, player):
        feed(w, snap)
        w.refresh()
    layers.stage_clicked.emit(3)
    assert player.position() == 3.0
