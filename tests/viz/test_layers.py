"""The layers view (issue 4) fed with real snapshots from the core trainer (the stage player, neuron
inspector, layer lab and the docks: test_player_inspector_lab.py)."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6 import QtCore

from core.run.config import TrainingConfig
from viz.views.common.visibility import behind_tab, unseen
from viz.views.uncrumple import layers as layers_mod
from viz.views.uncrumple.inspector import InspectorView
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.separability import SeparabilityView
from viz.views.uncrumple.stage_player import StagePlayer
from layers_support import clocked, feed, nan_snapshot, start, train_epoch, view_factory


@pytest.fixture
def make(qtbot):
    return view_factory(qtbot)


# ---- layers view ------------------------------------------------------------------------------------
def test_one_panel_per_stage_of_a_2_2_2_1_network(make):
    view = make(LayersView)
    _, snap = start()
    feed(view, snap)
    view.refresh()
    assert len(view.panels) == 10
    titles = [p.plot.titleLabel.text for p in view.panels]
    assert "Input" in titles[0] and "2 features" in titles[0]
    assert "dot(x, W)" in titles[1] and "+ b" in titles[2] and "tanh" in titles[3]
    assert "sigmoid" in titles[9] and "1 unit" in titles[9]
    # the input panel shows the training points themselves, coloured by class
    shown = np.concatenate([it.getData()[0] for it in view.panels[0].points])
    assert len(shown) == len(view.tracer.x)
    # the grid's segments are coloured by the predicted class: together, every segment of the grid
    grid = view.tracer.grid
    drawn = [sum(int(np.sum(it.opts["connect"])) for it in view.panels[i].lines if it.xData is not None
                 and len(it.xData)) for i in (2, 5)]
    assert drawn[0] == int(grid.connect().sum())
    # from layer 2 on, every other line (the first and last kept): (11 + 11) lines of 40 segments
    assert drawn[1] == int((view._connect_sparse).sum()) == 2 * 11 * 40
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


def test_layers_follow_new_weights(make):
    view = make(LayersView)
    run, snap = start()
    s1, s2 = train_epoch(run), train_epoch(run)
    feed(view, snap)
    assert view.refresh()
    before = view.traced.coords[3].copy()
    assert not view.refresh()                      # nothing new: no drawing
    view.add_snapshot(s1)
    view.add_snapshot(s2)
    assert view.refresh()
    assert not np.allclose(before, view.traced.coords[3])
    view.add_snapshot(dataclasses.replace(snap, weights=(), run=None))   # light snapshot: nothing to draw
    assert not view.refresh()


def test_the_redraw_clock_holds_new_weights_until_the_min_interval_is_over(make, qtbot, monkeypatch):
    """Weights that come too soon after the last trace are traced once ``min_interval`` is over:
    deferred, not dropped (no new request needed)."""
    view = make(LayersView)
    view.min_interval = 0.3
    view.show()
    qtbot.waitExposed(view)
    clock = clocked(view)
    traced = []
    real = view.tracer.trace
    monkeypatch.setattr(view.tracer, "trace", lambda: traced.append(time.perf_counter()) or real())
    run, snap = start()
    feed(view, snap)
    clock.request()
    qtbot.waitUntil(lambda: len(view.panels) == 10 and view.traced is not None, timeout=3000)   # on the first frame
    assert len(traced) == 1
    view.add_snapshot(train_epoch(run))
    clock.request()
    qtbot.waitUntil(lambda: view.jobs.drawn_version == view.tracer.version, timeout=3000)
    assert len(traced) == 2 and traced[1] - traced[0] >= 0.3


def test_a_refresh_updates_every_panel_in_its_own_turn_without_timers(make, qtbot, monkeypatch):
    """One refresh (one clock tick) traces once and updates all the panels: no chain of 0 ms turns each
    repainting the whole scene (it stalled the GUI thread past 100 ms while training)."""
    view = make(LayersView)
    view.show()
    qtbot.waitExposed(view)
    run, snap = start()
    feed(view, snap)
    assert view.panels == []                 # a shown view makes its panels on its next refresh, not in set_run
    assert view.refresh() and len(view.panels) == 10
    drawn = []
    real = view._draw_panel
    monkeypatch.setattr(view, "_draw_panel", lambda i, shown: drawn.append(i) or real(i, shown))
    view.add_snapshot(train_epoch(run))
    assert view.refresh()
    assert drawn == list(range(10)) and view.jobs.drawn_version == view.tracer.version
    assert not any(t.isActive() for t in view.findChildren(QtCore.QTimer))   # no turn left to draw in
    assert not view.refresh()                # nothing new: nothing drawn
    expected = view.traced.coords[4]
    shown = np.concatenate([it.getData()[0] for it in view.panels[4].points])
    assert np.allclose(np.sort(shown), np.sort(expected[:, 0][np.isfinite(expected).all(axis=1)]))


def test_the_clock_draws_the_layers_row_by_row_each_row_painting_only_itself(make, qtbot):
    """From the redraw clock a new trace is drawn one row of panels a step, and each step paints only its
    row: no turn holds the whole grid's refresh or paint (~20 ms each, 3x that on a busy machine)."""
    from PySide6.QtCore import QEvent, QObject
    view = make(LayersView, size=(740, 620))
    view.show()
    qtbot.waitExposed(view)
    run, snap = start()
    feed(view, snap)
    view.min_interval = 0.0
    clock = clocked(view)
    clock.request()
    qtbot.waitUntil(lambda: len(view.panels) == 10 and not clock._in_frame, timeout=5000)
    qtbot.wait(50)
    regions = []

    class Paints(QObject):
        def eventFilter(self, obj, ev):
            if ev.type() == QEvent.Type.Paint:
                regions.append(ev.region().boundingRect())
            return False
    spy = Paints(view)
    view.graphics.viewport().installEventFilter(spy)
    qtbot.wait(200)                                             # the build's own paints done
    regions.clear()
    assert len(view.refresh_parts()) == 4                       # the input's row and three layers'
    view.add_snapshot(train_epoch(run))
    clock.request()
    qtbot.waitUntil(lambda: view.jobs.drawn_version == view.tracer.version and not clock._in_frame, timeout=5000)
    qtbot.wait(50)
    height = view.graphics.viewport().height()
    assert len(regions) == 4 and all(r.height() < height / 2 for r in regions)
    for i, panel in enumerate(view.panels):                     # every panel painted in its row's step
        rect = view.graphics.mapFromScene(panel.plot.sceneBoundingRect()).boundingRect()
        assert any(r.contains(rect.center()) for r in regions), i
    expected = view.traced.coords[7]
    shown = np.concatenate([it.getData()[0] for it in view.panels[7].points])
    assert np.allclose(np.sort(shown), np.sort(expected[:, 0][np.isfinite(expected).all(axis=1)]))
    clock.stop()


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
    inspector.set_run(snap.run)
    inspector.add_snapshot(train_epoch(run))
    assert not inspector.refresh()
    assert not inspector.tracer.ready and len(inspector.nodes.points()) == 0
    dock.show()
    qtbot.waitUntil(lambda: not unseen(inspector), timeout=2000)
    inspector.refresh()                               # what the dock's visibilityChanged does
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
    qtbot.waitUntil(lambda: behind_tab(view), timeout=2000)
    run, snap = start()
    feed(view, snap)
    view.add_snapshot(train_epoch(run))
    assert not view.refresh()                                   # nobody sees it: nothing traced or drawn
    assert view.jobs.drawn_version != view.tracer.version
    assert view.panels == []                                    # not even made (~25 ms a panel)
    assert view.tracer._grid is None                            # nor the input grid (a PCA plane for images)
    docks[0].raise_()
    qtbot.waitUntil(lambda: not behind_tab(view), timeout=2000)
    assert view.refresh()
    assert len(view.panels) == 10 and view.jobs.drawn_version == view.tracer.version
    assert "Input" in view.panels[0].plot.titleLabel.text


def test_panel_ranges_follow_big_moves_only(qtbot):
    import pyqtgraph as pg
    from viz.views.uncrumple.stage_panel import StagePanel
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
    assert view.gl_notice.isVisibleTo(view) and "drawn flat" in view.gl_notice.text()
    assert "2D projection" in view.gl_notice.toolTip()


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
    text, tip = layers_mod.notice_3d(True)
    assert "press 3D" in text and "2D projection" in tip
    text, tip = layers_mod.notice_3d(False)
    assert "no OpenGL" in text and tip.startswith("3D needs OpenGL: showing a 2D projection")


def test_empty_and_nan_weights_do_not_raise(make):
    views = [make(c) for c in (LayersView, StagePlayer, SeparabilityView, InspectorView)]
    _, snap = start()
    for v in views:
        v.clear()
        v.refresh()                                 # nothing set yet
        v.set_run(None)                             # no run
        v.add_snapshot(dataclasses.replace(snap, weights=(), run=None))
        v.refresh()
        feed(v, snap)
        v.refresh()
        v.add_snapshot(nan_snapshot(snap))
        v.refresh()
    assert "not finite" in views[0].notice.text()
    assert np.isfinite(views[0].traced.coords[-1]).all()  # still the last finite weights


def test_a_panel_title_refit_after_its_label_is_deleted_does_nothing(qtbot):
    from shiboken6 import delete

    import pyqtgraph as pg

    from viz.views.uncrumple.stage_panel import _fit_now, fit_title
    plot = pg.PlotItem()
    fit_title(plot, "a long full title for a panel", "short")
    label = plot.titleLabel
    delete(label)                      # the monkey saw a resize signal arrive from a panel being deleted
    _fit_now(label)                    # no "Internal C++ object already deleted"
