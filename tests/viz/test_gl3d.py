"""The 3D views (issues 4 and 5): the OpenGL probe, the 2D fallback, and the GL items' data.

The suite runs on Qt's ``offscreen`` platform (tests/conftest.py), which has no
OpenGL: here the fallback path is tested. The tests marked ``gl`` need a GL
context; :func:`test_gl_tests_in_an_xcb_subprocess` runs them in a child pytest
with ``QT_QPA_PLATFORM=xcb`` on the X display that pytest-xvfb started (a Qt
platform cannot change inside a process), and skips with the child's reason when
that display has no OpenGL.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from core.analysis.loss import landscape
from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.views.common import gl3d
from viz.views.common.heatmap import display_levels
from viz.views.loss.landscape import LandscapeView
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.stage_player import StagePlayer
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.loss.surface3d import Surface3DView

CHILD = "UNCRUMPLE_GL_CHILD"
BALL = TrainingConfig(dataset="paper_ball", n_samples=300, hidden=((3, "tanh"),), grid_resolution=16)


def start(config=BALL, epochs=0):
    run = _Run(config)
    first = run.snapshot(with_run=True)
    for _ in range(epochs):
        run.trainer.train_epoch()
    return first, run.snapshot()


def fed(view, config=BALL, epochs=0):
    first, snap = start(config, epochs)
    view.set_run(first.run)
    view.add_snapshot(snap)
    view.refresh()
    return view


@pytest.fixture
def needs_gl(qapp):
    """Skip (with the probe's reason) unless an OpenGL context can be created (needs the QApplication)."""
    if not gl3d.opengl_available():
        pytest.skip(f"needs an OpenGL context ({gl3d.unavailable_reason()}); "
                    "test_gl_tests_in_an_xcb_subprocess runs these under Xvfb")


@pytest.fixture
def make(qtbot):
    def factory(cls, *args, **kw):
        view = cls(*args, **kw)
        qtbot.addWidget(view)
        view.resize(700, 500)
        return view
    return factory


def surface_grid(resolution=9):
    run = _Run(TrainingConfig(n_samples=80, hidden=((3, "tanh"),)))
    model = run.data.model()
    model.set_weights(run.trainer.model.get_weights())
    x, y = np.asarray(run.data.x_train, np.float32), np.asarray(run.data.y_train, np.float32).reshape(-1, 1)
    plane = landscape.random_plane(model, seed=0)
    return landscape.evaluate_grid(model, x, y, plane, resolution=resolution, span=1.0), plane


# ---- the probe -------------------------------------------------------------------------------------
def test_offscreen_has_no_opengl_and_says_why(qapp):
    if qapp.platformName() != "offscreen":
        pytest.skip("tests the offscreen platform")
    assert gl3d.opengl_available() is False
    assert "offscreen" in gl3d.unavailable_reason() or "PyOpenGL" in gl3d.unavailable_reason()
    assert gl3d.fallback_text().startswith("3D needs OpenGL: showing a 2D projection (")
    assert gl3d._probe is not None                     # cached: probed once


def test_env_var_forces_the_fallback(qapp, monkeypatch):
    monkeypatch.setenv(gl3d.ENV_DISABLE, "1")
    assert gl3d.opengl_available() is False
    assert gl3d.ENV_DISABLE in gl3d.fallback_text()
    monkeypatch.setenv(gl3d.ENV_DISABLE, "0")
    assert gl3d.unavailable_reason() != f"{gl3d.ENV_DISABLE} is set"


# ---- fallback (no OpenGL) --------------------------------------------------------------------------
def test_stages_fallback_draws_the_2d_projection_with_a_notice(make):
    view = fed(make(Stages3DView, use_gl=False))
    assert view.notice.isVisibleTo(view) and view.notice.text().startswith(gl3d.FALLBACK_NOTICE)
    assert view.scatter is None and view.panel is not None
    assert view.position() == 0.0                       # 3-D input: starts on the input
    assert "PCA of 3 features" in view.title.text()
    xy = view.tracer.cache[0].project(view.tracer.x)
    np.testing.assert_allclose(view.points()[:, :2], xy, rtol=1e-5, atol=1e-6)
    assert np.all(view.points()[:, 2] == 0)
    shown = np.concatenate([it.getData()[0] for it in view.panel.points if it.isVisible()])
    assert len(shown) == len(view.tracer.x)
    view.set_position(3.0)                             # the tanh stage
    np.testing.assert_allclose(view.points()[:, :2], view.traced.coords[3], rtol=1e-6)


def test_player_3d_button_shows_the_3d_view_moved_by_the_slider(make, monkeypatch, qtbot):
    monkeypatch.setattr(gl3d, "opengl_available", lambda: False)
    player = fed(make(StagePlayer))
    player.show()
    player.switch3d.button.setChecked(True)
    view = player.switch3d.view
    assert isinstance(view, Stages3DView) and view.isVisibleTo(player) and not player.graphics.isVisibleTo(player)
    qtbot.waitUntil(lambda: view.traced is not None, timeout=3000)   # traced on the turn after its network
    assert view.notice.isVisibleTo(view)
    player.slider.setValue(150)                       # halfway from dot(x, W) to + b
    assert view.position() == pytest.approx(1.5)
    np.testing.assert_allclose(view.points()[:, :2], (view.traced.coords[1] + view.traced.coords[2]) / 2,
                               rtol=1e-5, atol=1e-6)
    player.switch3d.button.setChecked(False)
    assert player.graphics.isVisibleTo(player) and not view.isVisibleTo(player)


def test_layers_3d_button_replaces_the_panels(make, qtbot):
    layers = fed(make(LayersView))
    layers.show()
    layers.switch3d.button.setChecked(True)
    view = layers.switch3d.view
    qtbot.waitUntil(lambda: view.traced is not None, timeout=3000)   # traced on the turn after its network
    assert not layers.graphics.isVisibleTo(layers)
    assert view.stage_combo.count() == len(layers.panels) == 7      # input + 3 per Dense layer (3, 1)
    layers.clear()
    assert view.traced is None


def test_surface_fallback_shows_the_heat_map_and_the_path(make):
    grid, plane = surface_grid()
    view = make(Surface3DView, use_gl=False)
    view.show_surface(grid.a, grid.b, grid.losses, log=False, clip=95.0, labels=plane.labels)
    view.show_path(np.array([[0.0, 0.0], [0.2, -0.1], [np.nan, 0.0]]), np.array([0, 1, 1]))
    assert view.notice.isVisibleTo(view) and gl3d.FALLBACK_NOTICE in view.notice.text()
    np.testing.assert_array_equal(view.heat.img, display_levels(grid.losses, False, 95.0)[0])
    x, y = view.path2d.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), [[0.0, 0.0], [0.2, -0.1]])
    view.clear()
    assert view.heat.img is None


def test_landscape_3d_button_gets_the_grid_and_the_path(make, monkeypatch):
    monkeypatch.setattr(gl3d, "opengl_available", lambda: False)
    view = make(LandscapeView)
    first, snap = start(TrainingConfig(n_samples=80, hidden=((3, "tanh"),)), epochs=2)
    view.set_run(first.run)
    view.add_snapshot(first)
    view.add_snapshot(snap)
    grid, plane = surface_grid()
    view.show()
    view.switch3d.button.setChecked(True)
    view.show_grid(grid, landscape.random_plane(view._model, seed=0))   # what a finished computation does
    v3 = view.switch3d.view
    assert not view.graphics.isVisibleTo(view) and v3.isVisibleTo(view)
    np.testing.assert_array_equal(v3.heat.img, display_levels(view.grid.losses, False, 95.0)[0])
    xy, _ = view.projected_path()
    np.testing.assert_allclose(np.column_stack(v3.path2d.getData()), xy[np.isfinite(xy).all(axis=1)])
    view.clear()
    assert v3.heat.img is None


def test_nan_and_constant_surfaces_do_not_break_the_3d_heights():
    # (no widget: the heights and their levels are what GL would draw)
    for losses in (np.full((5, 5), np.nan), np.ones((5, 5)), np.array([[np.inf, 1.0], [2.0, -np.inf]])):
        img, (lo, hi), _ = display_levels(losses, False, 95.0)
        z = np.where(np.isnan(img), hi, img)
        assert np.isfinite([lo, hi]).all() and hi > lo and np.isfinite(z).all()


# ---- OpenGL (run under Xvfb in the subprocess below) -----------------------------------------------
@pytest.mark.gl
def test_gl_stage_points_and_grid_are_the_stage_coordinates(needs_gl, make):
    view = fed(make(Stages3DView), epochs=3)
    assert view.gl and view.scatter is not None and not view.notice.isVisibleTo(view)
    view.set_position(0.0)
    np.testing.assert_allclose(view.scatter.pos, view.tracer.x, rtol=1e-6)      # 3 features: as they are
    view.set_position(3.0)
    np.testing.assert_allclose(view.scatter.pos, view.traced.stages[3].values, rtol=1e-6)
    assert "3 units" in view.title.text()
    lines = view.tracer.grid.lines
    seg = view.grid_lines.pos
    assert seg.shape == (2 * lines.shape[0] * (lines.shape[1] - 1), 3)
    np.testing.assert_allclose(seg[0], view.traced.grid_stages[3].values[lines[0, 0]], rtol=1e-6)
    colours = view.scatter.color
    blue = gl3d.class_rgba([0], 2, alpha=0.9)[0]
    np.testing.assert_allclose(colours[view.tracer.y == 0], np.broadcast_to(blue, colours[view.tracer.y == 0].shape))
    view.set_position(2.5)
    np.testing.assert_allclose(view.scatter.pos, (view.traced.coords[2] + view.traced.coords[3]) / 2,
                               rtol=1e-5, atol=1e-6)
    view.reset_view()
    img = view.grab_image()
    assert img.width() > 100 and len({img.pixel(x, y) for x in range(0, img.width(), 17)
                                      for y in range(0, img.height(), 17)}) > 3


@pytest.mark.gl
def test_gl_surface_heights_are_the_grid_and_the_path_lies_on_it(needs_gl, make):
    grid, plane = surface_grid(resolution=11)
    view = make(Surface3DView)
    view.show_surface(grid.a, grid.b, grid.losses, log=False, clip=95.0, labels=plane.labels)
    img, levels, _ = display_levels(grid.losses, False, 95.0)
    np.testing.assert_array_equal(view.surface._z, img.T)
    np.testing.assert_array_equal(view.surface._x, grid.a.astype(np.float32))
    xy = np.column_stack([grid.a[[2, 5, 7]], grid.b[[1, 5, 9]]])
    view.show_path(xy, np.array([0, 1, 2]))
    lift = 0.02 * (levels[1] - levels[0])
    expect = img[[1, 5, 9], [2, 5, 7]] + lift            # at grid nodes: the surface's height, lifted
    np.testing.assert_allclose(view.path.pos[:, 2], expect, rtol=1e-5)
    np.testing.assert_allclose(view.current.pos, view.path.pos[-1:])
    assert len(view.marks.pos) == 2
    view.show()
    shot = view.grab_image()
    assert shot.width() > 100


def test_gl_tests_in_an_xcb_subprocess(qapp):
    """The ``gl`` tests in a child pytest on Qt's xcb platform, on pytest-xvfb's display."""
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
