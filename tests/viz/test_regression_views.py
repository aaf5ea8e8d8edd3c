"""The regression views fed with real runs of the core trainer: the fitted curve with the units that add
up to it (one input), the fitted surface (two inputs); what they draw is the network's output."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6 import QtCore

from core.analysis.boundary import decision_grid
from core.analysis.regression import MAX_SHOWN, contour_levels, value_levels
from core.run.config import TrainingConfig
from fit import misfits
from viz import style
from viz.app.layout.docks import CURVE, PLANAR, SURFACE, run_kind, spec
from viz.views.common import gl3d
from viz.views.regression.curve_fit import CurveFitView
from viz.views.regression.surface_fit import SurfaceFitView
from viz.views.regression.value_colors import surface_colormap
from views_support import show_run, start, train

SINE = TrainingConfig(task="regression", dataset="sine", loss="mse", n_samples=200, hidden=((16, "tanh"), (8, "tanh")),
                      optimizer="adam", learning_rate=0.01)
BUMPS = TrainingConfig(task="regression", dataset="bumps", loss="mse", n_samples=300,
                       hidden=((16, "tanh"), (16, "tanh")), optimizer="adam", learning_rate=0.01, grid_resolution=40)
#: the dock's size in the Learn workspace at 1280×800, about
DOCK = (600, 400)


def shown(qtbot, view, size=DOCK):
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def curve_data(item):
    """What a PlotCurveItem draws: ``(x, y)``, empty arrays when nothing."""
    x, y = item.getData()
    return (np.zeros(0) if x is None else np.asarray(x)), (np.zeros(0) if y is None else np.asarray(y))


def network(first, weights):
    """The run's network with ``weights`` (what the views must draw)."""
    model = first.run.model()
    model.set_weights(weights)
    return model


# ---- the fitted curve -------------------------------------------------------------------------------
def test_the_curve_is_the_networks_output_and_the_thin_lines_add_up_to_it(qtbot):
    view = shown(qtbot, CurveFitView())
    run, first = start(SINE)
    show_run(view, first)
    snap = train(run, 8)[-1]
    view.add_snapshot(snap)
    assert view.refresh() is True
    x, y = curve_data(view.curve)
    model = network(first, snap.weights)
    np.testing.assert_allclose(y, model.predict(x[:, None].astype(np.float32))[:, 0], atol=1e-6)
    data_x = np.concatenate([first.run.x_train[:, 0], first.run.x_val[:, 0]])
    span = data_x.max() - data_x.min()
    assert x[0] < data_x.min() - 0.2 * span and x[-1] > data_x.max() + 0.2 * span      # extrapolation shows
    parts = [curve_data(item)[1] for item in view.contribution_items if len(curve_data(item)[1])]
    assert len(parts) == 8 and not view.more_label.isVisible()   # every unit of the last hidden layer
    bias = curve_data(view.bias_line)[1]
    np.testing.assert_allclose(np.sum(parts, axis=0) + bias[0], y, atol=1e-5)
    assert bias[0] == pytest.approx(float(snap.weights[-1][0]))
    np.testing.assert_array_equal(curve_data(view.sum_curve)[1], y)
    px, py = view.train_points.getData()
    np.testing.assert_array_equal(px, first.run.x_train[:, 0])
    np.testing.assert_array_equal(py, first.run.y_train)
    assert len(view.val_points.getData()[0]) == len(first.run.x_val) > 0
    assert "the sum of the thin lines" in view.caption.text() and "unit of Layer 2" in view.caption.text()
    assert view.refresh() is False                            # nothing new, nothing drawn
    assert misfits(view) == []


def test_hovering_a_thin_line_names_its_unit_and_weight(qtbot):
    view = shown(qtbot, CurveFitView())
    run, first = start(SINE)
    show_run(view, first)
    view.add_snapshot(train(run, 5)[-1])
    view.refresh()
    qtbot.wait(10)
    fit, vb = view.fit, view.parts_plot.getViewBox()
    unit = int(fit.order[0])                                  # the largest: not hidden under another
    k = int(np.argmax(np.abs(fit.contributions[unit]) - np.abs(np.delete(fit.contributions, unit, 0)).max(0)))
    where = vb.mapViewToScene(QtCore.QPointF(float(fit.x[k]), float(fit.contributions[unit, k])))
    view.graphics.scene().sigMouseMoved.emit(where)         # what the scene sends for a mouse move there
    want = f"{fit.names[unit]} · weight to the output w = {fit.weights[unit]:.3g}"
    qtbot.waitUntil(lambda: view.graphics.toolTip().startswith(want), timeout=2000)
    assert want.startswith("Layer 2 · unit ")
    assert view.readout.text().startswith("Layer 2 · unit ")
    item = view.contribution_items[list(view.shown_units).index(unit)]
    other = view.contribution_items[1 if item is view.contribution_items[0] else 0]
    assert item.opts["pen"].widthF() > other.opts["pen"].widthF()            # the hovered line stands out
    view.graphics.scene().sigMouseMoved.emit(view.plot.getViewBox().sceneBoundingRect().center())   # the data plot
    qtbot.waitUntil(lambda: view.graphics.toolTip() == "", timeout=2000)
    assert view.readout.text().startswith("Hover a thin line")
    assert item.opts["pen"].widthF() == other.opts["pen"].widthF()


def test_a_wide_layer_shows_its_largest_units_and_counts_the_rest(qtbot):
    view = shown(qtbot, CurveFitView())
    run, first = start(dataclasses.replace(SINE, hidden=((40, "tanh"),)))
    show_run(view, first)
    view.add_snapshot(train(run, 2)[-1])
    view.refresh()
    drawn = [item for item in view.contribution_items if len(curve_data(item)[0])]
    assert len(drawn) == MAX_SHOWN
    assert view.more_label.toPlainText() == f"+{40 - MAX_SHOWN} more, smaller" and view.more_label.isVisible()
    size = np.abs(view.fit.contributions).max(axis=1)
    assert size[view.shown_units].min() >= np.delete(size, view.shown_units).max()
    assert "Layer 1" in view.caption.text()
    assert misfits(view) == []


def test_the_curve_follows_a_scrubbed_epoch_and_a_new_run(qtbot):
    view = shown(qtbot, CurveFitView())
    run, first = start(SINE)
    show_run(view, first)
    snaps = train(run, 6)
    view.add_snapshot(snaps[-1])
    view.refresh()
    live = curve_data(view.curve)[1].copy()
    early = [s for s in snaps if s.weights][1]                # epoch 2, as the timeline sends it
    view.add_snapshot(dataclasses.replace(early, epochs=(), scrubbed=True))
    view.show_epoch(early.epoch)
    assert view.refresh() is True
    x, y = curve_data(view.curve)
    np.testing.assert_allclose(y, network(first, early.weights).predict(x[:, None])[:, 0], atol=1e-6)
    assert not np.allclose(y, live)
    # a new run on other data: its points, its network
    run2, first2 = start(dataclasses.replace(SINE, dataset="step", hidden=((5, "relu"),)))
    show_run(view, first2)
    view.add_snapshot(train(run2, 1)[-1])
    view.refresh()
    np.testing.assert_array_equal(view.train_points.getData()[1], first2.run.y_train)
    assert len([i for i in view.contribution_items if len(curve_data(i)[0])]) == 5
    assert view.fit.names[0] == "Layer 1 · unit 1"


def test_a_run_that_is_not_a_curve_says_so_instead_of_drawing(qtbot):
    view = shown(qtbot, CurveFitView())
    _, first = start(TrainingConfig(dataset="moons", n_samples=100))
    show_run(view, first)
    assert view.message.isVisibleTo(view) and not view.graphics.isVisibleTo(view)
    assert "regression on one input" in view.message.text()
    _, first = start(BUMPS)
    show_run(view, first)
    assert "2 inputs" in view.message.text() and "Fitted surface" in view.message.text()
    view.clear()
    assert not view.message.isVisibleTo(view) and view.fit is None


@pytest.mark.parametrize("size", [(432, 304), (540, 380), (800, 600)], ids=["1024x768", "dock", "floating"])
@pytest.mark.parametrize("cls, config", [(CurveFitView, SINE), (SurfaceFitView, BUMPS)], ids=["curve", "surface"])
def test_both_views_fit_a_small_dock_a_workspaces_and_a_floating_one(qtbot, size, cls, config):
    view = shown(qtbot, cls(), size)
    run, first = start(config)
    show_run(view, first)
    view.add_snapshot(train(run, 1)[-1])
    view.refresh()
    qtbot.wait(10)                                              # the legend is fitted a turn after a resize
    assert misfits(view) == []
    if cls is CurveFitView:
        assert view.compact == (size[1] < 340)
        assert view.caption.toolTip().startswith(view.caption_text) == view.compact
        assert view.readout.isVisibleTo(view) != view.compact


# ---- the fitted surface ------------------------------------------------------------------------------
def test_the_surface_is_the_networks_output_over_the_plane_with_the_data_on_the_same_scale(qtbot):
    view = shown(qtbot, SurfaceFitView())
    run, first = start(BUMPS)
    show_run(view, first)
    snap = train(run, 3)[-1]
    view.add_snapshot(snap)
    assert view.refresh() is True
    data = first.run
    model = network(first, snap.weights)
    want = decision_grid(model, data.plane, snap.boundary.extent, 40)
    np.testing.assert_allclose(view.grid, want, atol=1e-6)           # the output, not a probability
    lo, hi = value_levels(data.y_train, data.y_val, symmetric=True)
    assert view.levels == pytest.approx((lo, hi)) and lo == -hi          # 0 is white, as in the other views
    np.testing.assert_array_equal(view.image.getLevels(), [lo, hi])
    np.testing.assert_array_equal(view.image.image, np.clip(want, lo, hi).astype(np.float32))
    assert view.colorbar.levels() == pytest.approx((lo, hi))
    np.testing.assert_array_equal(view.contour_values, contour_levels(lo, hi))
    assert len(view.contours.getData()[0]) > 0
    # a training point's fill is its target's colour on the map's scale
    k = int(np.argmax(data.y_train))
    t = round((data.y_train[k] - lo) / (hi - lo) * style.BRUSH_LEVELS) / style.BRUSH_LEVELS   # to a 64th of the map
    colour = surface_colormap().map(t, mode="qcolor")
    assert view.train_points.points()[k].brush().color().name() == colour.name()
    assert len(view.val_points.points()) == len(data.x_val) > 0
    assert view.switch3d is None                               # offscreen: no OpenGL, no button, no error
    assert view.plot.getAxis("bottom").labelText == "x1"
    assert misfits(view) == []


def test_without_a_grid_the_surface_is_computed_from_the_weights_and_follows_a_scrubbed_epoch(qtbot):
    view = shown(qtbot, SurfaceFitView())
    run, first = start(BUMPS)
    show_run(view, first)
    snaps = [s for s in train(run, 4) if s.weights]
    view.add_snapshot(snaps[-1])
    view.refresh()
    extent = view.extent
    early = dataclasses.replace(snaps[0], epochs=(), scrubbed=True, boundary=None)
    view.add_snapshot(early)
    view.show_epoch(early.epoch)
    assert view.refresh() is True
    want = decision_grid(network(first, early.weights), first.run.plane, extent, 40)
    np.testing.assert_allclose(view.grid, want, atol=1e-6)
    assert not np.allclose(view.grid, snaps[-1].boundary.grid, atol=1e-3)


def test_the_surface_view_follows_a_new_run_and_hover_reads_the_output(qtbot):
    view = shown(qtbot, SurfaceFitView())
    run, first = start(BUMPS)
    show_run(view, first)
    view.add_snapshot(train(run, 1)[-1])
    view.refresh()
    run2, first2 = start(dataclasses.replace(BUMPS, dataset="saddle", n_samples=150))
    show_run(view, first2)
    snap = train(run2, 1)[-1]
    view.add_snapshot(snap)
    view.refresh()
    np.testing.assert_array_equal(view.grid, snap.boundary.grid)
    assert len(view.train_points.points()) == len(first2.run.x_train)
    assert view.levels == pytest.approx(value_levels(first2.run.y_train, first2.run.y_val, symmetric=True))
    qtbot.wait(10)
    vb = view.plot.getViewBox()
    port = view.graphics.mapFromScene(vb.mapViewToScene(QtCore.QPointF(0.0, 0.0)))
    qtbot.mouseMove(view.graphics.viewport(), port)
    qtbot.waitUntil(lambda: "the network's output is" in view.readout.text(), timeout=2000)
    text = view.readout.toolTip() or view.readout.text()
    x1, x2 = (float(part.split("=")[1]) for part in text.split(":")[0].split(","))
    assert abs(x1) < 0.3 and abs(x2) < 0.3
    assert text.endswith(f"the network's output is {view.value_at(x1, x2):.3g}")


def test_a_run_that_is_not_a_surface_says_so(qtbot):
    view = shown(qtbot, SurfaceFitView())
    _, first = start(TrainingConfig(dataset="moons", n_samples=100))
    show_run(view, first)
    assert view.message.isVisibleTo(view) and "regression on two inputs" in view.message.text()
    assert view.refresh() is False and view.grid is None


def test_the_registry_shows_each_fit_for_its_kind_of_run():
    _, sine = start(SINE)
    _, bumps = start(BUMPS)
    _, moons = start(TrainingConfig(dataset="moons", n_samples=100))
    assert (run_kind(sine.run), run_kind(bumps.run), run_kind(moons.run)) == (CURVE, SURFACE, PLANAR)
    curve, surface = spec("dock_fit_curve"), spec("dock_fit_surface")
    assert curve.view_class() is CurveFitView and surface.view_class() is SurfaceFitView
    assert curve.suits_kind(CURVE) and not curve.suits_kind(SURFACE) and not curve.suits_kind(PLANAR)
    assert surface.suits_kind(SURFACE) and not surface.suits_kind(CURVE)
    assert not spec("dock_boundary").suits_kind(CURVE) and spec("dock_curves").suits_kind(SURFACE)


# ---- in the window ------------------------------------------------------------------------------------
def test_in_the_window_the_fit_follows_training_the_timeline_and_a_new_run(qtbot, make_window):
    w = make_window(dataclasses.replace(SINE, batch_size=50), engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=30_000)
    dock = w.dock_layout.dock("dock_fit_curve")
    assert dock.isVisible() and not w.dock_layout.dock("dock_fit_surface").isVisible()
    view = w.lazy_docks.ensure(dock)
    for epoch in (1, 2, 3):
        w.session.step_epoch()
        qtbot.waitUntil(lambda: w.session.latest.epoch == epoch and w.session.state == "paused", timeout=30_000)
    qtbot.waitUntil(lambda: w.timeline.epochs()[-1] == 3, timeout=30_000)
    w.session.finish_visible()
    model = w.timeline.local_model()

    def drawn_is(weights):
        model.set_weights(weights)
        x, y = curve_data(view.curve)
        return len(x) > 0 and np.allclose(y, model.predict(x[:, None].astype(np.float32))[:, 0], atol=1e-5)

    qtbot.waitUntil(lambda: drawn_is(w.timeline.shown_weights()), timeout=10_000)
    live = w.timeline.shown_weights()
    w.timeline_bar.slider.setValue(1)                          # the user drags the timeline to epoch 1
    w.session.finish_visible()
    qtbot.waitUntil(lambda: drawn_is(w.timeline.timeline.at(1).weight_list()), timeout=10_000)
    assert not drawn_is(live)
    w.timeline_bar.slider.setValue(3)                          # and back to the live run
    w.session.finish_visible()
    qtbot.waitUntil(lambda: drawn_is(live), timeout=10_000)
    w.session.reset(BUMPS)                                     # a new run on two inputs: the surface
    qtbot.waitUntil(lambda: w.session.run is not None and w.session.run.input_dim == 2, timeout=30_000)
    surface_dock = w.dock_layout.dock("dock_fit_surface")
    qtbot.waitUntil(lambda: surface_dock.isVisible() and not dock.isVisible(), timeout=10_000)
    surface = w.lazy_docks.ensure(surface_dock)
    w.session.finish_visible()
    qtbot.waitUntil(lambda: surface.grid is not None, timeout=10_000)
    assert surface.grid.shape == (40, 40) and misfits(surface) == []


# ---- the 3-D mesh (OpenGL: run under Xvfb by the last test) -------------------------------------------
CHILD = "UNCRUMPLE_GL_CHILD"


@pytest.mark.gl
def test_gl_the_3d_button_shows_the_fitted_mesh_and_the_data_at_their_targets(qtbot):
    if not gl3d.opengl_available():
        pytest.skip(f"needs an OpenGL context ({gl3d.unavailable_reason()}); "
                    "test_gl_the_regression_mesh_in_an_xcb_subprocess runs it under Xvfb")
    view = shown(qtbot, SurfaceFitView())
    run, first = start(BUMPS)
    show_run(view, first)
    view.add_snapshot(train(run, 2)[-1])
    view.refresh()
    view.switch3d.button.click()
    mesh = view.switch3d.view
    assert view.switch3d.active and mesh.isVisibleTo(view) and not view.graphics.isVisibleTo(view)
    lo, hi = view.levels
    np.testing.assert_array_equal(mesh.z, np.clip(view.grid, lo, hi).T)
    data = first.run
    np.testing.assert_allclose(mesh.train_points.pos, np.column_stack([data.x_train_2d, data.y_train]), rtol=1e-6)
    snap = train(run, 2)[-1]
    view.add_snapshot(snap)
    view.refresh()                                              # the mesh follows the training
    np.testing.assert_array_equal(mesh.z, np.clip(snap.boundary.grid, lo, hi).T)
    img = mesh.grab_image()
    assert img.width() > 100 and len({img.pixel(x, y) for x in range(0, img.width(), 17)
                                      for y in range(0, img.height(), 17)}) > 3
    view.switch3d.button.click()
    assert view.graphics.isVisibleTo(view) and not mesh.isVisibleTo(view)


def test_gl_the_regression_mesh_in_an_xcb_subprocess(qapp):
    """The ``gl`` test above in a child pytest on Qt's xcb platform, on pytest-xvfb's display."""
    if os.environ.get(CHILD):
        pytest.skip("already the child")
    if not os.environ.get("DISPLAY"):
        pytest.skip("no X display (pytest-xvfb needs Xvfb installed)")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", **{CHILD: "1"})
    env.pop(gl3d.ENV_DISABLE, None)
    proc = subprocess.run([sys.executable, "-m", "pytest", __file__, "-m", "gl", "-p", "no:xvfb", "-p",
                           "no:cacheprovider", "-q", "-rs"], env=env, capture_output=True, text=True,
                          timeout=600, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    if " passed" not in out:
        reason = next((ln for ln in out.splitlines() if ln.startswith("SKIPPED")), out[-300:])
        pytest.skip(f"no OpenGL under Xvfb: {reason}")
