"""The neuron inspector draws a run over several event-loop turns, with the same links and nodes as at once;
it fits its Uncrumple slot with a large square map and plain tick numbers (issue 16)."""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig
from viz.views.uncrumple import inspector as inspector_mod
from viz.views.uncrumple.inspector import InspectorView
from viz.views.uncrumple.inspector_links import EDGE_SHARE, MAX_EDGES, strongest_links
from core.analysis.units import unit_formula
from fit import in_slot, misfits
from layers_support import feed, start, view_factory

WIDE = TrainingConfig(n_samples=200, hidden=((40, "relu"), (30, "tanh")), grid_resolution=16)


@pytest.fixture
def make(qtbot):
    return view_factory(qtbot)


def sorted_links(w, k=MAX_EDGES, share=EDGE_SHARE):
    """The reference: every weight sorted by size, the k strongest above share of the largest."""
    a = np.abs(w)
    ii, jj = np.nonzero(a > share * a.max())
    order = np.argsort(-a[ii, jj], kind="stable")[:k]
    return set(zip(ii[order].tolist(), jj[order].tolist()))


@pytest.mark.parametrize("shape, k", [((784, 512), 3000), ((300, 200), 3000), ((20, 10), 3000), ((784, 512), 10)])
def test_strongest_links_are_those_of_a_full_sort(shape, k):
    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ii, jj = strongest_links(w, k)
    assert set(zip(ii.tolist(), jj.tolist())) == sorted_links(w, k)
    assert len(ii) == min(k, len(sorted_links(w, 10 ** 9)))
    assert np.all(np.diff(np.abs(w[ii, jj])) <= 0)          # strongest first


def test_strongest_links_of_constant_nan_and_empty_kernels():
    assert len(strongest_links(np.zeros((5, 4), np.float32))[0]) == 0
    w = np.ones((3, 3), np.float32)
    w[0, 0] = np.nan
    ii, jj = strongest_links(w)
    assert (0, 0) not in set(zip(ii.tolist(), jj.tolist())) and len(ii) == 8   # NaN: no link, as a 0 weight
    assert len(strongest_links(np.zeros((0, 4), np.float32))[0]) == 0


def shown_with_a_wide_run(make, qtbot):
    """A shown inspector given a new run of the WIDE network (its first snapshot, nothing drawn yet),
    and the run: ``(view, run)``."""
    view = make(InspectorView, (800, 500))
    view.show()
    qtbot.waitExposed(view)
    run, snap = start(WIDE)
    view.clear()
    view.set_run(snap.run)
    view.add_snapshot(snap)
    return view, run


def test_a_shown_inspector_draws_a_new_run_one_step_per_turn(make, qtbot, monkeypatch):
    calls = []
    real = inspector_mod.strongest_links
    monkeypatch.setattr(inspector_mod, "strongest_links", lambda w: calls.append(w.shape) or real(w))
    view, run = shown_with_a_wide_run(make, qtbot)
    assert not view.tracer.ready and len(view.nodes.points()) == 0     # nothing in the turn starting the run
    assert view.refresh() and view.drawing and calls == []            # queued, not drawn
    turns = []
    while view.drawing:
        before = len(calls)
        view._next_step()                                              # what one event-loop turn runs
        turns.append(len(calls) - before)
    assert max(turns) == 1 and calls == [(2, 40), (40, 30), (30, 1)]   # at most one layer's links per turn
    # what was drawn is every layer's strongest links, between the right nodes
    model = view.tracer.model
    n_pos = n_neg = 0
    for layer in model.dense_layers:
        ii, jj = real(layer.kernel)
        signs = layer.kernel[ii, jj] > 0
        n_pos, n_neg = n_pos + int(signs.sum()), n_neg + int((~signs).sum())
    assert len(view.edges_pos.getData()[0]) == 2 * n_pos and len(view.edges_neg.getData()[0]) == 2 * n_neg
    assert len(view.nodes.points()) == 2 + 40 + 30 + 1
    view.select_unit(1, 4)
    brushes = view.nodes.data["brush"]
    assert len({id(b) for b in brushes}) == 3                         # inputs, units, the selected unit
    spot = [i for i, d in enumerate(view.nodes.data["data"]) if d == (1, 4)][0]
    assert brushes[spot] is view._brushes["selected"]


def test_finish_draws_what_is_due_at_once(make, qtbot):
    view, run = shown_with_a_wide_run(make, qtbot)
    assert view.refresh() and view.drawing
    view.finish()
    assert not view.drawing and len(view.nodes.points()) == 73 and len(view.edges_pos.getData()[0]) > 0
    view.select_unit(0, 2)
    run.trainer.train_epoch()
    view.add_snapshot(run.snapshot())
    assert view.refresh() and view.drawing
    np.testing.assert_array_equal(view.shown_weights, run.trainer.model.get_weights()[0][:, 2])   # loaded at once
    view.finish()
    assert view.image.image.shape == (64, 64) and "Layer 1 · unit 3" in view.weights_label.text()


def inspected_in_slot(qtbot, scale=1.0):
    """An inspector at its Uncrumple slot size (``scale`` of it), a trained spiral run's Layer 1 unit 2 selected."""
    run, snap = start(TrainingConfig(n_samples=200, grid_resolution=16))
    run.trainer.train_epoch()
    view = InspectorView()
    if scale == 1.0:
        in_slot(qtbot, view, "inspector")
    else:
        qtbot.addWidget(view)
        view.resize(int(500 * scale), int(260 * scale))
        view.show()
        qtbot.waitExposed(view)
    feed(view, snap)
    view.add_snapshot(run.snapshot())
    assert view.refresh()
    view.finish()
    view.select_unit(0, 1)
    return view, run


def tick_strings(axis):
    """The tick labels the axis draws now (what a user reads)."""
    lo, hi = axis.range
    out = []
    for spacing, values in axis.tickValues(lo, hi, axis.width() or axis.height()):
        out += axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    return out


def test_the_maps_ticks_are_the_planes_own_numbers(qtbot):
    """The x and y ticks once read -2000 … 2000 on a plane that spans about -2 … 2 (a stray "milli" scale)."""
    view, run = inspected_in_slot(qtbot)
    x0, x1, y0, y1 = view._extent
    assert x1 - x0 < 10
    for name, (lo, hi) in (("bottom", (x0, x1)), ("left", (y0, y1))):
        axis = view.map_plot.getAxis(name)
        values = [float(t.replace("\u2212", "-")) for t in tick_strings(axis)]
        assert values and all(lo - 1 <= v <= hi + 1 for v in values), (name, values)
        assert "x0.001" not in axis.labelString() and axis.autoSIPrefixScale == 1.0
    shown = [view.colorbar.getAxis(n) for n in ("left", "right")
             if view.colorbar.getAxis(n).isVisible() and view.colorbar.getAxis(n).style["showValues"]]
    assert len(shown) == 1                                   # the colour bar's values: tanh, -1 … 1
    assert max(abs(float(t.replace("\u2212", "-"))) for t in tick_strings(shown[0])) <= 1.0


def test_the_map_is_square_and_large_beside_the_worked_sum(qtbot):
    view, run = inspected_in_slot(qtbot)
    assert misfits(view) == []
    vb = view.map_plot.getViewBox()
    rect = view.map_graphics.mapFromScene(vb.mapViewToScene(view.image.mapRectToParent(view.image.boundingRect())))
    box = rect.boundingRect()
    assert abs(box.width() - box.height()) <= 2 and box.width() >= 140       # was 85 px wide
    assert view.map_graphics.geometry().right() < view.sum_label.geometry().left()   # side by side
    assert view.map_plot.titleLabel.text == "Layer 1 · unit 2"
    assert view.sum_label.text().startswith(f"Sample 0 (class {run.data.labels_train[0]}):")
    assert view.sum_label.text().endswith(unit_formula(view.tracer.model, 0, 1, run.data.x_train[0]))
    view.hover_sample(5)
    assert view.sum_label.text().endswith(unit_formula(view.tracer.model, 0, 1, run.data.x_train[5]))


def test_the_inspector_stays_usable_at_1024x768(qtbot):
    view, _ = inspected_in_slot(qtbot, scale=0.8)
    assert misfits(view) == []
