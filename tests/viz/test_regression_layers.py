"""The layer and network views on regression runs (issue 20): real runs on 1-D data (a sine) and 2-D
data (a sum of Gaussians), the points coloured by their target, each unit of a 1-D network drawn as a
curve over x, the output unit showing the fitted value (no 0.5 line, no P(class 1))."""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis.units import unit_formula
from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz import style
from viz.views.training.boundary import BoundaryView
from viz.views.uncrumple.inspector import InspectorView
from viz.views.uncrumple.lab import LabView
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.separability import SeparabilityView
from viz.views.uncrumple.stage_player import StagePlayer
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.uncrumple.target_colors import target_limit, target_rgba
from viz.views.weights.network import NetworkView
from layers_support import TINY, feed, start, view_factory


def regression(dataset, epochs=30):
    """A regression run on ``dataset`` trained ``epochs`` epochs: ``(run, first snapshot, newest)``."""
    config = TrainingConfig(task="regression", dataset=dataset, loss="mse", hidden=((8, "tanh"), (8, "tanh")),
                            n_samples=200, optimizer="adam", learning_rate=0.01, grid_resolution=16)
    run = _Run(config)
    first = run.snapshot(with_run=True)
    for _ in range(epochs):
        run.trainer.train_epoch()
    return run, first, run.snapshot()


@pytest.fixture(scope="module")
def sine():
    return regression("sine")


@pytest.fixture(scope="module")
def bumps():
    return regression("bumps")


@pytest.fixture
def make(qtbot):
    return view_factory(qtbot)


def shown(view, first, newest):
    feed(view, first)
    view.add_snapshot(newest)
    view.refresh()
    view.finish()
    return view


def brush_rgba(item) -> np.ndarray:
    """(n, 4) colours in 0..1 of a scatter's points, as drawn."""
    return np.array([b.color().getRgbF() for b in item.data["brush"]], np.float32)


def assert_target_colours(item, targets):
    """Each point has its target's colour, the value rounded to one of the 65 shades a scatter uses
    (``viz.style.level_brushes``)."""
    limit = target_limit(targets)
    shade = np.rint((np.asarray(targets, np.float64) / limit + 1) / 2 * style.BRUSH_LEVELS) / style.BRUSH_LEVELS
    np.testing.assert_allclose(brush_rgba(item), target_rgba((2 * shade - 1) * limit, limit), atol=1 / 255 + 1e-6)


# ---- the layers view ---------------------------------------------------------------------------------
def test_1d_layers_colour_points_by_target_and_draw_the_fit_through_them(make, sine):
    run, first, newest = sine
    view = shown(make(LayersView, (700, 800)), first, newest)
    tr, traced = view.tracer, view.traced
    assert tr.regression and tr.y.dtype == np.float32 and len(view.panels) == 10
    for panel in view.panels:                                       # no class colours anywhere
        assert not any(item.isVisible() for item in panel.points)
        assert_target_colours(panel.value_points, tr.y)
    # the input of 1-D data: x across, the target up, and the grid drawn as the fitted curve through them
    x, y = view.panels[0].value_points.getData()
    np.testing.assert_array_equal(x, tr.x[:, 0])
    np.testing.assert_array_equal(y, tr.y)
    gx, gy = next(item for item in view.panels[0].lines if item.isVisible()).getData()
    model = run.trainer.model
    np.testing.assert_allclose(gy, model.predict(gx[:, None])[:, 0], rtol=1e-5, atol=1e-5)
    # the output: predicted across against target up
    ox, oy = view.panels[9].value_points.getData()
    np.testing.assert_allclose(ox, model.predict(tr.x)[:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(oy, tr.y)
    assert "up: target y" in view.panels[9].plot.titleLabel.text and "spread" not in view.panels[9].plot.titleLabel.text
    assert "up: target y" in view.row_labels[0].text and "up: target y" in view.row_labels[3].text
    assert view.target_bar.isVisibleTo(view)
    assert view.target_bar.texts() == ("target y", f"\u2212{target_limit(tr.y):.2g}", f"{target_limit(tr.y):.2g}")
    assert traced.fitted is not None and (traced.predicted == -1).all()


def test_2d_layers_show_the_fitted_surface_under_points_by_target(make, bumps):
    run, first, newest = bumps
    view = shown(make(LayersView, (700, 800)), first, newest)
    tr = view.tracer
    image = view.panels[0].image
    assert image.isVisible() and image.levels is not None
    np.testing.assert_allclose(image.levels, [-target_limit(tr.y), target_limit(tr.y)])
    g = tr.grid.points
    r = int(np.sqrt(len(g)))
    np.testing.assert_allclose(image.image, run.trainer.model.predict(g)[:, 0].reshape(r, r), rtol=1e-5, atol=1e-5)
    assert_target_colours(view.panels[4].value_points, tr.y)


def test_a_classification_run_after_a_regression_run_is_coloured_by_class_again(make, sine):
    view = shown(make(LayersView), *sine[1:])
    _, snap = start(TINY)
    feed(view, snap)
    view.refresh()
    view.finish()
    assert not view.target_bar.isVisibleTo(view)
    assert not view.panels[0].value_points.isVisible()
    assert sum(len(item.getData()[0]) for item in view.panels[0].points if item.isVisible()) == len(view.tracer.x)
    assert "spread up and down" in view.panels[9].plot.titleLabel.text


# ---- the other uncrumpling views -----------------------------------------------------------------------
def test_player_inspector_lab_and_3d_fallback_colour_points_by_target(make, bumps):
    _, first, newest = bumps
    player = shown(make(StagePlayer), first, newest)
    assert_target_colours(player.panel.value_points, player.tracer.y)
    assert player.target_bar.isVisibleTo(player)
    inspector = shown(make(InspectorView, (700, 400)), first, newest)
    assert_target_colours(inspector.points[0], inspector.tracer.y)
    assert len(inspector.points[1].getData()[0]) == 0
    inspector.select_unit(2, 0)
    assert inspector.sum_label.text().startswith(f"Sample 0 (target {inspector.tracer.y[0]:.2f})")
    assert "sigmoid" not in inspector.sum_label.text()
    lab = make(LabView)
    feed(lab, first)
    lab.refresh()
    assert_target_colours(lab.panel.value_points, np.asarray(first.run.y_train, np.float32))
    view3d = make(Stages3DView)
    shown(view3d, first, newest)
    np.testing.assert_allclose(view3d._point_colors, target_rgba(view3d.tracer.y, target_limit(view3d.tracer.y), 0.9))


def test_inspector_on_1d_data_says_where_the_units_are(make, sine):
    inspector = shown(make(InspectorView, (700, 400)), *sine[1:])
    assert "Network view draws each unit's output as a curve over x" in inspector.weights_label.text()


def test_separability_of_a_regression_run_is_the_r2_of_a_straight_fit(make, bumps):
    view = shown(make(SeparabilityView, (620, 300)), *bumps[1:])
    assert view.values is not None and np.all((view.values >= 0) & (view.values <= 1))
    assert view.values[0] < 0.2 and view.values[-4] > 0.6     # bumps: not linear in x, nearly so in layer 2
    assert view.chance.value() == 0.0
    assert "R²" in view.bar_plot.titleLabel.text
    assert "separability" not in view.bar_plot.getAxis("left").labelText


# ---- the network view -----------------------------------------------------------------------------------
def test_1d_network_draws_each_unit_as_its_curve_and_the_output_as_the_fit(make, sine):
    run, first, newest = sine
    view = shown(make(NetworkView, (640, 520)), first, newest)
    view.show()
    view.refresh()
    view.finish()
    model = run.trainer.model
    assert view.span is not None and view.curve_x is not None
    np.testing.assert_allclose(view.picture_grids[-1], model.predict(view.curve_x[:, None])[:, 0], rtol=1e-5, atol=1e-5)
    x, _ = view.unit_traces.getData()
    assert len(x) == len(view.picture_grids) * len(view.curve_x)       # one curve per picture
    lo, hi = view.picture_levels[-1]
    assert lo <= float(np.min(view.y)) and hi >= float(np.max(view.y))   # the output's levels cover the data
    assert len(view.data_dots.getData()[0]) == len(view.y)
    assert view.atlas.image is not None                                  # the pictures' plain squares
    text = view.legend.scale_label.text()
    assert "P(class 1)" not in text and "fitted curve" in text
    assert view.legend.curve_key.isVisibleTo(view) and not view.legend.ramp_key.isVisibleTo(view)
    i = view.sample.value()
    out = float(model.predict(view.x[i:i + 1])[0, 0])
    assert view.sample_info.text() == f"target {view.y[i]:.2g} · output {out:.2g}".replace("-", "\u2212")
    centre = view.positions[-1]
    hover = view.hover_text(float(centre[0]), float(centre[1]))
    assert hover.startswith("Layer 3 (output) · output (linear)") and "sigmoid" not in hover and "class" not in hover
    assert hover.endswith(unit_formula(model, 2, 0, view.x[i]))


def test_2d_network_output_picture_is_the_fitted_value_without_a_boundary(make, bumps):
    run, first, newest = bumps
    view = shown(make(NetworkView, (640, 520)), first, newest)
    model = run.trainer.model
    assert view.span is None and view.grids is not None
    from core.analysis.units import unit_grids
    np.testing.assert_allclose(view.picture_grids[-1], unit_grids(model, first.run.plane, view.extent, 32)[-1][0],
                               rtol=1e-5, atol=1e-5)
    assert view.contour.getData()[0] is None or len(view.contour.getData()[0]) == 0
    text = view.legend.scale_label.text()
    assert "P(class 1)" not in text and "output: the fitted value" in text


# ---- the boundary view -----------------------------------------------------------------------------------
def test_boundary_on_2d_regression_draws_the_fitted_value_with_its_colour_bar(make, bumps):
    run, first, newest = bumps
    view = make(BoundaryView)
    feed(view, first)
    view.add_snapshot(newest)
    view.draw()
    limit = float(np.abs(np.concatenate([first.run.y_train, first.run.y_val])).max())
    assert view.colorbar.levels() == pytest.approx((-limit, limit))
    assert view.colorbar.getAxis("left").labelText == "output (fitted y)"
    assert view.plot.titleLabel.text == "Fitted value over the input plane"
    assert view.contour_xy is None
    assert [e[1] for e in view._legend_entries] == ["training", "validation"]
    grid = np.asarray(newest.boundary.grid)
    np.testing.assert_allclose(view.image.image, np.clip(grid, -limit, limit))


def test_boundary_on_1d_regression_says_where_the_fit_is(make, sine):
    view = make(BoundaryView)
    feed(view, sine[1])
    assert view.message.isVisibleTo(view) and "Fit view" in view.message.text()
