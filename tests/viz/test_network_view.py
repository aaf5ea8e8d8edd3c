"""The network diagram with a picture of every unit over the input plane (issue 16, item 3), fed with
real runs, shown at the size the Learn workspace gives it."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from core.analysis.boundary import decision_grid
from core.analysis.units import unit_formula, unit_grids
from core.run.config import TrainingConfig
from core.run.presets import get_preset
from core.run.serve import _Run
from fit import SLOTS, in_slot, misfits
from viz.views.weights import network as network_mod
from viz.views.weights.network import NetworkView

SPIRAL = TrainingConfig(n_samples=200, grid_resolution=16)                        # 2 -> 16 -> 16 -> 1 tanh
WIDE = TrainingConfig(n_samples=200, hidden=((40, "relu"), (6, "relu")), grid_resolution=16)


def shown(qtbot, config, slot="network", epochs=2, scale=1.0):
    """A NetworkView at its slot size fed a real run trained ``epochs`` epochs: ``(view, run)``."""
    run = _Run(config)
    first = run.snapshot(with_run=True)
    for _ in range(epochs):
        run.trainer.train_epoch()
    view = NetworkView()
    if scale == 1.0:
        in_slot(qtbot, view, slot)
    else:
        w, h = SLOTS[slot]
        qtbot.addWidget(view)
        view.resize(int(w * scale), int(h * scale))
        view.show()
        qtbot.waitExposed(view)
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)
    view.add_snapshot(run.snapshot())
    assert view.refresh()
    view.finish()
    return view, run


def atlas_pixel(view, k, dy, dx):
    """``(RGBA, (row, col))``: the pixel shown ``dy`` pixels up and ``dx`` across from the bottom left of
    node ``k``'s picture (the atlas image is in plot pixels, its row 0 at the bottom as the grids'), and
    the grid cell nearest to it (each picture is its grid drawn at its size, nearest cell per pixel)."""
    rect, n = view.picture_rects[k], network_mod.GRID
    side = int(rect.width())
    return (view.atlas.image[int(rect.top()) + dy, int(rect.left()) + dx],
            (int((dy + 0.5) * n / side), int((dx + 0.5) * n / side)))


def scene_pos(view, k):
    """Where node ``k``'s centre is on screen (in the plot widget)."""
    x, y = map(float, view.positions[k])
    return view.plot_widget.mapFromScene(view.plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y)))


def test_every_unit_is_a_picture_of_its_output_over_the_boundarys_plane(qtbot):
    view, run = shown(qtbot, SPIRAL)
    model = run.trainer.model
    d = view.diagram
    assert [len(u) for u in d.units] == [2, 16, 16, 1]            # every unit fits
    assert len(view.picture_grids) == sum(len(u) for u in d.units) == 35
    grids = unit_grids(model, run.plane, run.extent, network_mod.GRID)
    for k, grid in enumerate(view.picture_grids):
        l, u = int(d.node_layer[k]), int(d.node_unit[k])
        np.testing.assert_allclose(grid, grids[l][u], rtol=1e-5, atol=1e-6)
    # the output unit's picture is the decision boundary, with its 0.5 line
    np.testing.assert_allclose(view.picture_grids[-1], decision_grid(model, run.plane, run.extent, network_mod.GRID),
                               rtol=1e-5, atol=1e-6)
    assert len(view.contour.getData()[0]) > 0
    assert view.picture_levels[1] == (-1.0, 1.0) and view.picture_levels[-1] == (0.0, 1.0)
    # pictures are square, on their node, the output's the largest (whole plot pixels)
    for k, rect in enumerate(view.picture_rects):
        assert rect.width() == rect.height() == pytest.approx(view.sizes[k], abs=0.5)
        assert rect.center().x() == pytest.approx(view.positions[k][0], abs=0.5)
        assert rect.center().y() == pytest.approx(view.positions[k][1], abs=0.5)
    assert view.sizes[-1] > view.sizes[5] >= network_mod.MIN_PICTURE   # pixels: the view range is the plot's size
    # what is on screen: each picture's pixels are its grid's values through the colour map, row 0 at the bottom
    for k in (0, 5, 18):
        l = int(d.node_layer[k])
        lo, hi = view.picture_levels[l]
        side = int(view.picture_rects[k].width())
        for dy, dx in ((0, 0), (side - 1, 3), (side // 2, side - 1)):
            pixel, (r, c) = atlas_pixel(view, k, dy, dx)
            expected = network_mod.weight_colormap().map((view.picture_grids[k][r, c] - lo) / (hi - lo), mode="byte")
            np.testing.assert_allclose(pixel[:3], np.ravel(expected)[:3], atol=3)
    # the picked sample is a dot on every picture, at its place on the plane
    view.sample.setValue(7)
    x0, x1, y0, y1 = run.extent
    a, b = run.plane.project(run.data.x_train[7:8])[0]
    dots = view.sample_dots.getData()
    k = 3
    assert dots[0][k] == pytest.approx(view.positions[k][0] + ((a - x0) / (x1 - x0) - 0.5) * view.sizes[k], abs=1e-3)
    assert dots[1][k] == pytest.approx(view.positions[k][1] + ((b - y0) / (y1 - y0) - 0.5) * view.sizes[k], abs=1e-3)


def test_pictures_follow_training(qtbot):
    view, run = shown(qtbot, SPIRAL)
    before, shown_before = view.picture_grids[5].copy(), view.atlas.image.copy()
    for _ in range(3):
        run.trainer.train_epoch()
    view.add_snapshot(run.snapshot())
    assert view.refresh()
    assert not np.allclose(view.picture_grids[5], before)
    assert not np.array_equal(view.atlas.image, shown_before)
    np.testing.assert_allclose(view.picture_grids[-1], decision_grid(run.trainer.model, run.plane, run.extent,
                                                                      network_mod.GRID), rtol=1e-5, atol=1e-6)


def test_columns_use_the_one_naming_and_the_legend_explains_links_and_colours(qtbot):
    view, _ = shown(qtbot, SPIRAL)
    names = [t.textItem.toPlainText() for t in view.layer_labels]
    assert names[0].startswith("Input") and "x1, x2" in names[0]
    assert names[1].startswith("Layer 1") and "16 tanh" in names[1]
    assert names[3].startswith("Layer 3 (output)") and "1 sigmoid" in names[3]
    links = view.legend.links_label.text()
    assert "orange" in links and "positive" in links and "blue" in links and "thicker" in links
    scale = view.legend.scale_label.text()
    assert "tanh −1 … 1" in scale and "P(class 1) 0 … 1" in scale
    assert misfits(view) == []


def test_wide_layers_show_their_strongest_units_and_say_how_many_are_left_out(qtbot):
    view, run = shown(qtbot, WIDE)
    d = view.diagram
    fit = view._units_that_fit()
    assert len(d.units[1]) == fit < 40
    kernels = [layer.kernel for layer in run.trainer.model.dense_layers]
    strongest = np.sort(np.argsort(-np.abs(kernels[1]).sum(axis=1), kind="stable")[:fit])
    assert d.units[1].tolist() == strongest.tolist()           # by summed |outgoing weight| at layout
    assert [t.toPlainText() for t in view.more_labels] == [f"+{40 - fit} more"]
    assert view.picture_levels[1][0] == -view.picture_levels[1][1] > -np.inf   # relu: ± a measured level
    assert "relu (Layer 1) 0 … " in view.legend.scale_label.text()
    assert misfits(view) == []


def test_hovering_a_unit_shows_its_sum_for_the_sample_and_clicking_it_opens_it(qtbot):
    view, run = shown(qtbot, SPIRAL)
    view.sample.setValue(3)
    k = 2 + 4                                                   # Layer 1's 5th unit (the inputs come first)
    x, y = map(float, view.positions[k])
    text = view.hover_text(x, y)
    want = unit_formula(run.trainer.model, 0, 4, run.data.x_train[3])
    assert text.startswith("Layer 1 · unit 5 (tanh), sample 3") and text.endswith(want)
    assert "·x1" in text and "= tanh(" in text
    qtbot.mouseMove(view.plot_widget.viewport(), scene_pos(view, k))
    qtbot.waitUntil(lambda: view.plot_widget.toolTip() == text, timeout=2000)
    assert view.readout.text().startswith("Layer 1 · unit 5 (tanh)")
    with qtbot.waitSignal(view.unit_clicked, timeout=2000) as sig:
        qtbot.mouseClick(view.plot_widget.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=scene_pos(view, k))
    assert sig.args == [0, 4]
    out = len(view.positions) - 1
    with qtbot.waitSignal(view.unit_clicked, timeout=2000) as sig:
        qtbot.mouseClick(view.plot_widget.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=scene_pos(view, out))
    assert sig.args == [2, 0]
    assert view.hover_text(*map(float, view.positions[1])).startswith("Input x2 = ")


def test_three_d_runs_draw_their_units_on_the_runs_fixed_plane(qtbot):
    view, run = shown(qtbot, get_preset("paper_ball").config, epochs=1)
    assert view.plane is run.plane and view.extent == run.extent
    assert view.diagram.units[0].tolist() == [0, 1, 2]
    grids = unit_grids(run.trainer.model, run.plane, run.extent, network_mod.GRID)
    np.testing.assert_allclose(view.picture_grids[0], grids[0][0], rtol=1e-6)   # x1 over the PCA plane
    assert misfits(view) == []


@pytest.mark.parametrize("config", [SPIRAL, WIDE], ids=["spiral", "wide"])
def test_it_stays_usable_at_1024x768_and_lays_itself_out_again_when_resized(qtbot, config):
    view, _ = shown(qtbot, config, scale=0.8)
    assert misfits(view) == []
    top = view.plot.getViewBox().boundingRect().height()
    assert (view.positions[:, 1] + view.sizes / 2).max() < top - network_mod.HEADER + 1   # under the names
    view.resize(440, 900)
    qtbot.waitUntil(lambda: view.plot.getViewBox().boundingRect().height() > top + 100, timeout=2000)
    tall = view.plot.getViewBox().boundingRect().height()
    assert view.positions[:, 1].max() > top                     # moved into the new room
    assert (view.positions[:, 1] + view.sizes / 2).max() < tall - network_mod.HEADER + 1
