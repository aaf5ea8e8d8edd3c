"""Points coloured by a value take a few shared colours (issue 17: the monkey's 2.5-3 s stalls).

A regression run's points are coloured by their target. Each distinct brush made pyqtgraph render
one more marker image: the Layer lab's panels (1,500 points, 1,500 colours) took ~2.5 s on the
GUI thread when a regression preset reached them, and the Fitted surface one image per point.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from core.run.config import TrainingConfig
from viz import style
from viz.views.regression.surface_fit import SurfaceFitView
from viz.views.regression.value_colors import surface_colormap
from viz.views.uncrumple.stage_panel import StagePanel
from viz.views.uncrumple.target_colors import target_brushes, target_colormap
from views_support import show_run, start

MANY = 1500   # the points a stage panel shows at most (viz.views.uncrumple.tracer.MAX_POINTS)


def colours(brushes) -> set:
    return {b.color().name(QtGui.QColor.NameFormat.HexArgb) for b in brushes}


def test_level_brushes_round_to_the_nearest_of_65_colours_shared_by_their_points():
    cmap = target_colormap()
    t = np.concatenate([np.linspace(0.0, 1.0, MANY), [np.nan, -3.0, 7.0]])
    brushes = style.level_brushes(cmap, t)
    assert len(brushes) == len(t)
    assert len({id(b) for b in brushes}) == len(colours(brushes)) <= style.BRUSH_LEVELS + 2
    for k in (0, 1, 700, MANY - 1):
        want = cmap.map(round(t[k] * style.BRUSH_LEVELS) / style.BRUSH_LEVELS, mode="qcolor")
        assert brushes[k].color().name() == want.name()
    assert brushes[MANY].color().name() == pg.mkColor(style.palette().muted).name()   # NaN: grey
    assert brushes[MANY + 1].color().name() == cmap.map(0.0, mode="qcolor").name()      # clipped
    assert brushes[MANY + 2].color().name() == cmap.map(1.0, mode="qcolor").name()


def test_target_brushes_keep_zero_white_and_the_ends_at_the_limit():
    values = np.linspace(-2.0, 2.0, MANY)
    brushes = target_brushes(values, 2.0)
    cmap = target_colormap()
    assert brushes[0].color().name() == cmap.map(0.0, mode="qcolor").name()
    assert brushes[-1].color().name() == cmap.map(1.0, mode="qcolor").name()
    assert target_brushes([0.0], 2.0)[0].color().name() == cmap.map(0.5, mode="qcolor").name()
    assert len(colours(brushes)) == style.BRUSH_LEVELS + 1


def test_a_stage_panel_of_many_distinct_targets_renders_few_marker_images(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    panel = StagePanel(widget.addPlot())
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(MANY, 2)).astype(np.float32)
    targets = rng.normal(size=MANY).astype(np.float32)            # 1,500 distinct values
    grid = np.zeros((4, 2), np.float32)
    panel.show(xy, targets, grid, None, np.arange(4), np.ones(4, bool))
    item = panel.value_points
    assert item.isVisible() and len(item.data) == MANY
    assert len(item.fragmentAtlas) <= style.BRUSH_LEVELS + 2      # was one image per point


def test_the_fitted_surface_of_many_points_renders_few_marker_images(qtbot):
    view = SurfaceFitView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    config = TrainingConfig(task="regression", dataset="bumps", loss="mse", n_samples=MANY,
                            hidden=((8, "tanh"),), optimizer="adam", learning_rate=0.01, grid_resolution=24)
    _, first = start(config)
    show_run(view, first)
    assert len(view.train_points.data) == len(first.run.x_train) > 1000
    assert len(view.train_points.fragmentAtlas) <= style.BRUSH_LEVELS + 2
    # each point still takes its target's colour, to a 64th of the map
    lo, hi = view.levels
    k = int(np.argmin(first.run.y_train))
    t = (first.run.y_train[k] - lo) / (hi - lo)
    want = surface_colormap().map(round(t * style.BRUSH_LEVELS) / style.BRUSH_LEVELS, mode="qcolor")
    assert view.train_points.points()[k].brush().color().name() == want.name()
