"""Issue 17, item 10: a big run arriving (the MNIST preset) does not stall the window.

What held the event loop for ~1 s when the MNIST preset started with the Uncrumple workspace shown:
the layers view tracing the 784 -> 512 -> 10 network (PCA planes and projections) on the GUI thread
and making its plots anew, and the idle builder making the mistakes view's twelve plots that nobody
looked at. Each mechanism is tested here, deterministically (no timing).
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from core.run.config import TrainingConfig
from core.run.messages import RunData, RunSnapshot
from core.run.presets import get_preset
from viz.views.digits.digits_errors import ErrorsView
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.stage_player import StagePlayer
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.uncrumple.tracer import Tracer
from layers_support import clocked, feed, start, view_factory


@pytest.fixture
def make(qtbot):
    return view_factory(qtbot)


def image_run(n=300, hidden=512):
    """A run shaped as the MNIST preset's (784 -> 512 relu -> 10 softmax), on random pixels."""
    config = dataclasses.replace(get_preset("mnist").config, hidden=((hidden, "relu"),))
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.arange(n) % 10
    return RunData(config=config, x_train=x, y_train=y, x_val=x[:10], y_val=y[:10], n_train=n, n_val=10,
                   n_classes=10)


def test_a_new_run_reuses_the_layers_plots_and_hides_the_ones_it_does_not_need(make):
    """A new plot with its axes costs ~20 ms and as much again to lay out and paint: the panels of
    the run before are re-used, the ones a shallower network does not need are hidden."""
    view = make(LayersView)
    view.show()
    _, deep = start()                                                   # 2-2-2-1: 10 panels
    feed(view, deep)
    view.refresh()
    plots = [p.plot for p in view.panels]
    assert len(plots) == 10
    _, shallow = start(TrainingConfig(n_samples=200, hidden=((3, "tanh"),), grid_resolution=16))   # 7 panels
    feed(view, shallow)
    assert view.refresh()
    assert len(view.panels) == 7
    assert [p.plot for p in view.panels] == plots[:7]                   # the same plot objects
    assert all(p.isVisible() for p in plots[:7]) and not any(p.isVisible() for p in plots[7:])
    assert [lab.isVisible() for lab in view._labels] == [True, True, True, False]
    # the re-used panels show the new run: its points, its hidden layer's 3 units
    shown = np.concatenate([it.getData()[0] for it in view.panels[0].points if it.isVisible()])
    assert len(shown) == len(shallow.run.x_train)
    assert "3 units" in view.row_labels[1].text
    feed(view, deep)                                                    # deeper again: all 10 back
    assert view.refresh()
    assert [p.plot for p in view.panels] == plots and all(p.isVisible() for p in plots)


def test_a_panel_reused_for_more_classes_draws_every_class(make):
    """A panel made for two classes, re-used for a 10-class run, gets the other classes' colours."""
    view = make(LayersView)
    view.show()
    _, spiral = start()
    feed(view, spiral)
    view.refresh()
    first = view.panels[0]
    view.clear()
    view.set_run(image_run(n=200, hidden=4))
    view.finish()
    assert view.panels[0] is first and len(first.points) == 10
    counts = [len(it.getData()[0]) for it in first.points if it.isVisible()]
    assert len(counts) == 10 and sum(counts) == 200                     # 20 digits of each class


def test_a_heavy_network_is_traced_in_a_worker_thread_and_drawn_when_done(make, qtbot):
    """The MNIST network's first trace (two PCA planes of 784 pixels, the projections of 512 units)
    is ~1 s of work: a refresh starts it in a worker and returns; the view asks for a frame when it is
    done, and that frame draws it."""
    view = make(LayersView)
    view.show()
    view.clear()
    view.set_run(image_run())
    with qtbot.waitSignal(view.redraw_wanted, timeout=20000):
        view.refresh()                                                  # builds the panels, starts the trace
        assert view.traced is None and view.tracer.heavy and len(view.row_labels) == 3 and view.jobs.busy
    assert view.traced is not None and not view.jobs.busy
    assert view.refresh()                                               # the frame asked for draws it
    assert len(view.panels) == 7
    shown = np.concatenate([it.getData()[0] for it in view.panels[0].points if it.isVisible()])
    assert len(shown) == 300
    assert not view.refresh()                                           # nothing new since


def test_the_stage_player_traces_a_heavy_network_in_a_worker_thread(make, qtbot):
    """Its input grid (a PCA plane of 784 pixels) and its trace are made in the worker, not on the
    GUI thread (the monkey once stalled 1.3 s on them right after the MNIST preset)."""
    player = make(StagePlayer)
    player.show()
    player.clear()
    player.set_run(image_run())
    player.refresh()                                    # the network now; the trace starts a turn later
    assert player.tracer.heavy and player.tracer._grid is None
    qtbot.waitUntil(lambda: player.jobs.busy, timeout=5000)
    assert player.traced is None
    qtbot.waitUntil(lambda: player.traced is not None, timeout=20000)
    assert player.tracer._grid is not None and player.frame().shape == (300, 2)
    assert "Epoch 0" in player.caption.text()


def test_the_3d_stages_trace_a_heavy_network_in_a_worker_thread(make, qtbot):
    """As the stage player: the 3D view (here its 2D fallback) traced on the GUI thread, ~0.7-2.8 s
    for a wide network in the monkey (seed 0) while a player's trace ran beside it."""
    view = make(Stages3DView)                          # offscreen: no OpenGL, the 2D fallback
    view.show()
    view.clear()
    view.set_run(image_run())
    view.refresh()                                      # the network now; the trace a turn later
    assert view.tracer.heavy and view.tracer._grid is None
    qtbot.waitUntil(lambda: view.jobs.busy, timeout=5000)
    assert view.traced is None
    qtbot.waitUntil(lambda: view.traced is not None, timeout=20000)
    assert view.tracer._grid is not None and view.points().shape == (300, 3)
    assert view.stage_combo.count() == len(view.traced.stages) == 7     # input, then 3 stages a layer
    view.finish()                                       # nothing new: no trace on the GUI thread
    assert not view.jobs.busy


def test_a_light_network_is_still_traced_and_drawn_in_one_refresh(make):
    view = make(LayersView)
    view.show()
    _, snap = start()
    feed(view, snap)
    assert not view.tracer.heavy
    assert view.refresh() and view.traced is not None and not view.jobs.busy


def test_a_trace_computed_in_another_thread_is_the_one_the_gui_thread_computes():
    from viz.views.uncrumple.tracer import compute
    run = image_run(n=200, hidden=32)
    here, there = Tracer(), Tracer()
    assert here.set_run(run) and there.set_run(run)
    a = here.trace()
    out = {}
    worker = threading.Thread(target=lambda: out.update(result=compute(there.take())))
    worker.start()
    worker.join()
    b = there.accept(out["result"])
    for ca, cb in zip(a.coords + a.grid_coords, b.coords + b.grid_coords):
        np.testing.assert_allclose(ca, cb, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(a.predicted, b.predicted)
    there.clear()
    assert there.set_run(run) and there.accept(out["result"]) is None   # a result of the run before: dropped


def test_the_mistakes_view_makes_its_plots_on_its_first_draw_only(qtbot):
    """The idle builder makes hidden views; the mistakes view's twelve plots wait until it is drawn."""
    view = ErrorsView()
    qtbot.addWidget(view)
    assert view.cells == [] and view.graphics.ci.items == {}
    view.clear()
    view.set_run(image_run(n=200, hidden=16))
    assert view.cells == []                                             # a run alone makes nothing
    view.resize(700, 560)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert len(view.cells) == 6 and len(view.graphics.ci.items) == 12


def test_the_clock_makes_the_mistakes_cells_one_cell_a_step(qtbot):
    """On the clock, the twelve plots come two at a time (a cell: the digit and its probabilities),
    each in a step of its own, then the mistakes are drawn."""
    view = ErrorsView()
    qtbot.addWidget(view)
    view.resize(700, 560)
    view.show()
    qtbot.waitExposed(view)
    run = image_run(n=200, hidden=16)
    view.clear()
    view.set_run(run)
    view.add_snapshot(RunSnapshot(epoch=0, step=0, batch=0, batches_per_epoch=1, state="paused",
                                  weights=tuple(run.model().get_weights()), run=run))
    parts = view.refresh_parts()
    assert len(parts) == 7
    for k in range(6):
        assert parts[k]() and len(view.cells) == k + 1 and len(view.graphics.ci.items) == 2 * (k + 1)
        parts = view.refresh_parts()                    # as the clock asks again each step: the same steps
        assert len(parts) == 7
    parts[6]()                                          # the refresh: the evaluation starts
    assert view.refresh_parts() == ()
    clock = clocked(view)
    clock.request()
    qtbot.waitUntil(lambda: len(view.order) > 0, timeout=20000)        # random pixels: mostly mistakes
    plot, img, _, _ = view.cells[0]
    assert img.image is not None and "true" in plot.titleLabel.text
    clock.stop()
