"""Issue 16, item 4: the uncrumpling views fit their workspace slots, a layer's three stages share one
scale (the stretch, the shift and the fold show), the stage player morphs on fixed axes, separability
records while hidden with a 1/n chance line, and 3-D data gets fixed axes and an honest boundary."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.run.config import TrainingConfig
from fit import SLOTS, in_slot, misfits
from layers_support import feed, start, train_epoch
from viz.views.training.boundary import TITLE_3D, BoundaryView
from viz.views.uncrumple import separability as separability_mod
from viz.views.uncrumple.lab import LabView
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.separability import SeparabilityView, chance_level
from viz.views.uncrumple.stage_player import StagePlayer, morph_of
from viz.views.uncrumple.tracer import Tracer

DEFAULT = TrainingConfig(n_samples=300)                     # the default 2 -> 8 -> 8 -> 1 tanh network
BALL = TrainingConfig(dataset="paper_ball", n_samples=300, hidden=((16, "tanh"), (16, "tanh")),
                      grid_resolution=16)


def trained(config=DEFAULT, epochs=3):
    run, first = start(config)
    last = first
    for _ in range(epochs):
        last = train_epoch(run)
    return first, last


def shown_in_slot(qtbot, cls, slot, config=DEFAULT):
    view = cls()
    in_slot(qtbot, view, slot)
    first, last = trained(config)
    feed(view, first)
    view.add_snapshot(last)
    view.refresh()
    view.finish()
    QtWidgets.QApplication.processEvents()
    return view


@pytest.mark.parametrize("cls, slot", [(LayersView, "layers"), (StagePlayer, "stages"),
                                       (SeparabilityView, "separability"), (LabView, "lab")])
def test_each_view_fits_its_slot(qtbot, cls, slot):
    view = shown_in_slot(qtbot, cls, slot)
    assert (view.width(), view.height()) == SLOTS[slot]        # its minimum size did not push it bigger
    assert misfits(view) == []


def test_layers_at_their_slot_give_every_panel_a_readable_plot(qtbot):
    view = shown_in_slot(qtbot, LayersView, "layers")
    assert len(view.panels) == 10
    for panel in view.panels:
        rect = panel.plot.sceneBoundingRect()
        assert rect.width() >= 150 and rect.height() >= 110
    labels = [lab.text for lab in view.row_labels]
    assert "<b>Input</b>" in labels[0] and "<b>Layer 1</b>" in labels[1] and "Layer 3<br>(output)" in labels[3]


def test_a_layers_three_stages_share_one_range_and_show_the_shift_and_the_stage_before(qtbot):
    view = shown_in_slot(qtbot, LayersView, "layers")
    tr = view.traced
    for k in range(3):
        ranges = [view.panels[i]._range for i in range(1 + 3 * k, 4 + 3 * k)]
        assert ranges[0] == ranges[1] == ranges[2] == tuple(view.row_ranges[k + 1])
    dot, biased, act = (view.panels[i] for i in (1, 2, 3))
    assert not dot.ghost.isVisible()
    np.testing.assert_allclose(np.sort(biased.ghost.getData()[0]), np.sort(tr.coords[1][:, 0]), rtol=1e-6)
    np.testing.assert_allclose(np.sort(act.ghost.getData()[0]), np.sort(tr.coords[2][:, 0]), rtol=1e-6)
    # + b moves every point by the same (projected) b: the arrow is that move
    assert biased.shift_line.isVisible() and not act.shift_line.isVisible()
    x, y = biased.shift_line.getData()
    move = (tr.coords[2] - tr.coords[1]).mean(axis=0)
    np.testing.assert_allclose([x[1] - x[0], y[1] - y[0]], move, rtol=1e-4, atol=1e-5)


def test_markers_grow_with_the_panel(qtbot):
    small = shown_in_slot(qtbot, LayersView, "layers")
    big = shown_in_slot(qtbot, StagePlayer, "stages")
    assert small.panels[1].points[0].opts["size"] < big.panel.points[0].opts["size"]


def test_deep_layers_draw_every_other_grid_line(qtbot):
    view = shown_in_slot(qtbot, LayersView, "layers")
    first, deep = view.panels[2], view.panels[5]       # layer 1's + b, layer 2's + b
    count = lambda panel: sum(int(np.count_nonzero(item.opts["connect"])) if isinstance(item.opts.get("connect"),
                                                                                         np.ndarray) else 0
                              for item in panel.lines if item.isVisible())
    assert 0 < count(deep) < 0.7 * count(first)


def test_the_stage_player_morphs_a_layer_on_fixed_axes(qtbot):
    view = shown_in_slot(qtbot, StagePlayer, "stages")
    ranges = []
    for s in (0.0, 0.5, 1.0, 1.7, 2.5, 3.0):            # input -> layer 1's dot, + b, tanh
        view.set_position(s)
        ranges.append(view.panel._range)
    assert all(r == ranges[0] for r in ranges)
    view.set_position(3.5)                              # layer 2 starts: its own range, once
    assert view.panel._range != ranges[0]
    assert [morph_of(10, s) for s in (0, 1, 3, 3.01, 6, 6.5, 9)] == [1, 1, 1, 2, 2, 3, 3]


def test_separability_records_while_its_tab_is_behind_another_and_draws_when_shown(qtbot, monkeypatch):
    monkeypatch.setattr(SeparabilityView, "min_interval", 0.0)      # a round per epoch, however slow the machine
    monkeypatch.setattr(separability_mod, "BUSY_FACTOR", 0.0)
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    view = SeparabilityView()
    docks = [QtWidgets.QDockWidget(name, window) for name in ("separability", "other")]
    docks[0].setWidget(view)
    docks[1].setWidget(QtWidgets.QLabel("in front"))
    for dock in docks:
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(docks[0], docks[1])
    window.resize(700, 500)
    window.show()
    qtbot.waitExposed(window)
    docks[1].raise_()
    qtbot.waitUntil(lambda: view.visibleRegion().isEmpty(), timeout=2000)
    run, first = start()
    feed(view, first)
    for _ in range(3):
        view.add_snapshot(train_epoch(run))
        qtbot.waitUntil(lambda: not view.runner.busy and not view._todo, timeout=5000)
    assert len(view.history) >= 3                      # recorded behind the tab: no refresh came
    assert view.curves == [] or all(len(c.getData()[0] or []) == 0 for c in view.curves)   # not drawn yet
    docks[0].raise_()
    qtbot.waitUntil(lambda: not view.visibleRegion().isEmpty(), timeout=2000)
    assert view.refresh()
    assert len(view.curves[0].getData()[0]) == len(view.history)


def test_the_chance_line_is_one_over_the_class_count(qtbot):
    assert chance_level(2) == 0.5 and chance_level(10) == pytest.approx(0.1)
    view = SeparabilityView()
    qtbot.addWidget(view)
    _, first = start()
    feed(view, dataclasses.replace(first, run=dataclasses.replace(first.run, n_classes=10)))
    assert view.chance.value() == pytest.approx(0.1)
    assert view.bar_plot.getViewBox().viewRange()[1][0] <= 0.05
    feed(view, first)
    assert view.chance.value() == pytest.approx(0.5)


@pytest.mark.parametrize("dims", [2, 3])
def test_two_builds_of_the_same_run_give_the_same_axes_whenever_they_are_first_traced(dims):
    """The projections come from the run (its seeded network and data), not from the weights at the
    moment a view was first shown: a view opened at epoch 0 and one opened at epoch 5, of two runs of
    the same configuration, draw on the same axes."""
    early, late = Tracer(dims=dims), Tracer(dims=dims)
    run_a, first_a = start(BALL)
    early.set_run(first_a.run)
    early.add_snapshot(first_a)
    a = early.trace()
    run_b, first_b = start(BALL)
    late.set_run(first_b.run)
    for _ in range(5):
        late.add_snapshot(train_epoch(run_b))
    b = late.trace()
    assert late.epoch == 5 and not np.array_equal(a.coords[-1], b.coords[-1])    # other weights...
    assert len(a.projections) == len(b.projections) == 10
    for pa, pb in zip(a.projections, b.projections):                             # ...same axes
        assert pa.title == pb.title
        np.testing.assert_array_equal(pa.components, pb.components)
        np.testing.assert_array_equal(pa.mean, pb.mean)


def test_the_boundary_of_3d_data_says_it_is_a_projection_and_fades_points_off_the_plane(qtbot):
    view = BoundaryView()
    in_slot(qtbot, view, "boundary")
    first, _ = trained(BALL, epochs=0)
    feed(view, first)
    assert view.plot.titleLabel.text == TITLE_3D
    assert view.notice.isVisibleTo(view) and "faded" in view.notice.text()
    alphas = np.array([b.color().alpha() for b in view.train_points.data["brush"]])
    assert (alphas < 100).any() and (alphas == 255).any()
    assert misfits(view) == []
    flat, _ = trained(DEFAULT, epochs=0)
    feed(view, flat)
    assert view.plot.titleLabel.text == "Decision boundary" and not view.notice.isVisibleTo(view)
