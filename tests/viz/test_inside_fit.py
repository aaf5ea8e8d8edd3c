"""The Inside workspace's views fit their slots (issue 16): Weights and Distributions at 620×620 for
the default spiral (2 → 16 → 16 → 1) and the book's MNIST network (784 → 512 → 10), every plot
readable, layers named one way (core.analysis.names), more layers than fit shown a page at a time."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtWidgets

from core.analysis.weights.stats import epoch_stats
from core.analysis.weights.weightmaps import display_matrix
from core.run.config import TrainingConfig
from core.run.serve import _Run
from fit import MIN_PLOT, in_slot, misfits
from viz.views.weights.distributions import DistributionsView
from viz.views.weights.weights import MAX_CELLS, MIN_LAYER_HEIGHT, WeightsView

SPIRAL = TrainingConfig(n_samples=200, grid_resolution=16)                      # 2 -> 8 -> 8 -> 1
MNIST = TrainingConfig(dataset="mnist_sample", hidden=((512, "relu"),), loss="categorical_crossentropy",
                       optimizer="rmsprop", batch_size=128)
DEEP = TrainingConfig(n_samples=120, grid_resolution=8, hidden=((6, "tanh"),) * 6)   # 7 Dense layers


def feed(view, config, epochs=2):
    """What the session does with a real run: clear, set_run, its snapshots (epoch stats included)."""
    run = _Run(config)
    first = run.snapshot(with_run=True)
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)
    for _ in range(epochs):
        run.trainer.train_epoch()
        snap = run.snapshot()
        stats = epoch_stats(run.trainer.model, run.trainer.x[:512])
        view.add_snapshot(dataclasses.replace(snap, epochs=tuple(dict(e, stats=stats) for e in snap.epochs)))
    view.refresh()
    view.finish()
    return run, snap


def readable(plot) -> bool:
    """The plot (title and axes included) at least :data:`fit.MIN_PLOT` on screen."""
    r = plot.sceneBoundingRect()
    return r.width() >= MIN_PLOT[0] and r.height() >= MIN_PLOT[1]


@pytest.mark.parametrize("config, n_layers", [(SPIRAL, 3), (MNIST, 2)])
def test_weights_fit_the_inside_slot(qtbot, config, n_layers):
    view = in_slot(qtbot, WeightsView(), "weights")
    _, snap = feed(view, config, epochs=1)
    assert len(view.layers) == n_layers and not view.page.isVisible()       # every layer, no pages
    assert misfits(view) == []
    assert all(readable(maps.kernel_plot) for maps in view.layers)
    first, last = view.layers[0], view.layers[-1]
    assert first.title.startswith("<span style='font-size:10pt'>Layer 1 · kernel (")
    assert f"Layer {n_layers} (output) · kernel" in last.title
    # the bias is a strip of the layer's own plot, under the kernel (row "b"): no plot of its own
    b = snap.weights[1]
    shown = display_matrix(b, (1, MAX_CELLS[1]), "maxabs").values       # 512 biases shown as 256 cells
    np.testing.assert_array_equal(first.bias_image.image, np.clip(shown, *view.levels))
    assert first.bias_image.scene() is first.kernel_plot.scene()
    vb = first.kernel_plot.getViewBox()
    pos = vb.mapViewToScene(first.cell_pos("bias", None, 3))
    assert view.hover_text(pos) == f"b[3] = {float(b[3]):.3g} (Layer 1)"
    pos = vb.mapViewToScene(first.cell_pos("kernel", 1, 5))
    assert view.hover_text(pos).startswith(f"W[1, 5] = {float(snap.weights[0][1, 5]):.3g} (Layer 1)")


def test_more_layers_than_fit_are_shown_a_page_at_a_time(qtbot):
    view = in_slot(qtbot, WeightsView(), "weights")
    _, snap = feed(view, DEEP, epochs=1)
    per = view.graphics.height() // MIN_LAYER_HEIGHT
    assert 1 <= per < 7 and view.page.isVisible()
    assert [m.index for m in view.layers] == list(range(per))
    assert misfits(view) == [] and all(readable(m.kernel_plot) for m in view.layers)
    view.show_page(view.page.count() - 1)                      # the last page: the output layer
    assert view.layers[-1].index == 6 and "Layer 7 (output)" in view.layers[-1].title
    np.testing.assert_array_equal(view.layers[-1].kernel_image.image, np.clip(snap.weights[12], *view.levels))
    # a taller dock holds them all: the pages go
    view.resize(620, 7 * MIN_LAYER_HEIGHT + 80)
    qtbot.waitUntil(lambda: len(view.layers) == 7)
    assert not view.page.isVisible()


@pytest.mark.parametrize("config", [SPIRAL, MNIST])
def test_distributions_fit_the_inside_slot(qtbot, config):
    view = in_slot(qtbot, DistributionsView(), "distributions")
    feed(view, config, epochs=2)
    assert not view.findChildren(QtWidgets.QScrollArea)            # no scroll area around the bands
    assert misfits(view) == []
    plots = [view.weight_plot, view.grad_plot, view.norm_plot]
    plots += [view.dead_plot] if view.dead_curves else []
    assert all(readable(p) for p in plots)
    assert view.check.table.isVisible() and view.check.button.isVisible()


def test_distributions_stay_usable_at_1024_by_768(qtbot):
    view = in_slot(qtbot, DistributionsView(), "distributions")
    view.resize(496, 496)                                        # ~80 % of the slot
    feed(view, SPIRAL, epochs=2)
    qtbot.waitUntil(lambda: view.norm_plot.sceneBoundingRect().height() >= MIN_PLOT[1])
    assert misfits(view) == []
    assert all(readable(p) for p in (view.weight_plot, view.grad_plot, view.norm_plot))
