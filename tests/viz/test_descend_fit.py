"""Issue 16, the Descend workspace: the loss surface computes by itself on the plane of the path and
follows a new run; the surface, the 1D slice and the optimizer race fit their slots (tests/viz/fit.py)
with plots a lecture can read; the slice says which loss it shows. Real runs (core.run.serve._Run)."""
from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
import pytest
from fit import MIN_PLOT, in_slot, misfits
from PySide6 import QtCore, QtWidgets
from views_support import start

from core.run.config import TrainingConfig
from viz.views.loss import landscape as landscape_view
from viz.views.loss.landscape import (
    AUTO_MIN_RECORDS,
    EMPTY_TITLE,
    WAITING,
    LandscapeView,
)
from viz.views.loss.race import RACERS, RaceView
from viz.views.loss.slice1d import SliceView

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16, batch_size=10)   # 16 steps an epoch


def plot_sizes(widget) -> dict:
    """Every shown plot with axes in ``widget`` (colour bars aside): its title -> (width, height) of the
    whole plot and of its data area, in pixels of the view."""
    out = {}
    for view in widget.findChildren(pg.GraphicsView):
        if not view.isVisible():
            continue
        for item in view.scene().items():
            if (isinstance(item, pg.PlotItem) and not isinstance(item, pg.ColorBarItem) and item.isVisible()
                    and item.getAxis("bottom").isVisible()):
                whole = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
                data = view.mapFromScene(item.vb.sceneBoundingRect()).boundingRect()
                out[item.titleLabel.text] = (whole.width(), whole.height(), data.width(), data.height())
    return out


def assert_fits(view, min_data=(120, 90)):
    """No misfit, and every plot (the data area too) big enough to read."""
    assert misfits(view) == []
    sizes = plot_sizes(view)
    assert sizes
    for title, (w, h, dw, dh) in sizes.items():
        assert w >= MIN_PLOT[0] and h >= MIN_PLOT[1], (title, w, h)
        assert dw >= min_data[0] and dh >= min_data[1], (title, dw, dh)


def train(run, epochs, every=4):
    """Train ``epochs`` epochs, a snapshot with weights every ``every`` batches (the child sends them at ~8 Hz)."""
    snaps = []
    for _ in range(epochs):
        begin, k = run.trainer.epoch, 0
        while run.trainer.epoch == begin:
            run.trainer.train_batch()
            k += 1
            snaps.append(run.snapshot(weights=k % every == 0 or run.trainer.epoch != begin))
    return snaps


def feed(view, snaps):
    for s in snaps:
        if s.run is not None:
            view.clear()
            view.set_run(s.run)
        view.add_snapshot(s)


@pytest.fixture
def surface(qtbot):
    view = in_slot(qtbot, LandscapeView(), "surface")
    yield view
    view.shutdown()


# ---- the loss surface ------------------------------------------------------------------------------
def test_the_surface_waits_for_a_path_then_computes_by_itself_on_the_plane_of_the_path(surface, qtbot,
                                                                                       monkeypatch):
    threads = []
    real = landscape_view.landscape.evaluate_grid

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(landscape_view.landscape, "evaluate_grid", spy)
    run, first = start(CONFIG)
    feed(surface, [first])
    surface.refresh()
    assert surface.plane_combo.currentData() == "pca"              # the default plane shows the path
    assert surface.waiting.isVisible() and surface.waiting.text() == WAITING
    assert not surface.busy and surface.grid is None                # one point is no path yet
    snaps = train(run, 3)
    assert sum(1 for s in snaps if s.weights) >= AUTO_MIN_RECORDS
    feed(surface, snaps)
    surface.refresh()                                               # the redraw clock's turn: starts the job...
    assert surface.busy and surface.grid is None                    # ...and returns before it is done
    qtbot.waitUntil(lambda: surface.grid is not None and not surface.busy, timeout=20000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert surface.plane.kind == "pca" and not surface.waiting.isVisible()
    assert "plane of the path" in surface.plot.titleLabel.text
    assert surface.plot.getAxis("bottom").labelText.startswith("PC1")
    # the path has spread: its ends are far apart on screen, start and now are marked
    x, y = surface.path.getData()
    assert len(x) == surface.n_recorded and np.isfinite(x).all()
    vb = surface.plot.vb
    ends = [vb.mapViewToScene(QtCore.QPointF(float(x[i]), float(y[i]))) for i in (0, -1)]
    assert abs(ends[0].x() - ends[1].x()) + abs(ends[0].y() - ends[1].y()) > 50
    assert len(surface.start_mark.data) == 1 and len(surface.current.data) == 1
    assert [label.text for _, label in surface.legend.items] == ["descent path", "epoch", "start", "now"]
    assert_fits(surface, (300, 300))


def test_pausing_recomputes_the_surface_by_itself(surface, qtbot):
    run, first = start(CONFIG)
    feed(surface, [first, *train(run, 3)])
    surface.refresh()
    qtbot.waitUntil(lambda: surface.grid is not None and not surface.busy, timeout=20000)
    grid = surface.grid
    surface.refresh()
    assert not surface.busy                                         # nothing new: no new surface
    run.trainer.train_batch()
    surface.add_snapshot(run.snapshot(checkpoint=True))            # what a pause or a step sends
    qtbot.waitUntil(surface.auto_due, timeout=20000)                # once the last surface's rest is over
    surface.refresh()
    assert surface.busy
    qtbot.waitUntil(lambda: surface.grid is not grid and not surface.busy, timeout=20000)


def test_auto_off_computes_only_on_demand(surface, qtbot):
    surface.auto_check.setChecked(False)
    run, first = start(CONFIG)
    feed(surface, [first, *train(run, 3)])
    surface.refresh()
    assert not surface.busy and surface.grid is None and surface.waiting.isVisible()
    with qtbot.waitSignal(surface.computed, timeout=20000):
        surface.compute_button.click()
    assert surface.grid is not None


def test_a_new_run_resets_the_title_the_colour_scale_and_the_path(surface, qtbot):
    run, first = start(CONFIG)
    feed(surface, [first, *train(run, 3)])
    surface.refresh()
    qtbot.waitUntil(lambda: surface.grid is not None and not surface.busy, timeout=20000)
    old_levels = surface.heat.levels
    assert surface.heat.colorbar.levels() == pytest.approx(old_levels)
    other, other_first = start(TrainingConfig(n_samples=200, grid_resolution=16, hidden=((4, "relu"),), batch_size=10,
                                              dataset="moons"))
    feed(surface, [other_first])                                    # a preset change: a new run
    assert surface.plot.titleLabel.text == EMPTY_TITLE
    assert surface.heat.img is None and surface.heat.colorbar.levels() == pytest.approx((0.0, 1.0))
    assert surface.plot.getAxis("bottom").labelText == "" and surface.waiting.isVisible()
    x, _ = surface.path.getData()
    assert (x is None or len(x) == 0) and len(surface.current.data) == 0
    feed(surface, train(other, 3))
    surface.refresh()
    qtbot.waitUntil(lambda: surface.grid is not None and not surface.busy, timeout=20000)
    assert surface.plot.titleLabel.text.endswith("epoch 3")
    assert surface.heat.colorbar.levels() == pytest.approx(surface.heat.levels)
    assert surface.heat.levels != pytest.approx(old_levels)


# ---- the 1D slice ------------------------------------------------------------------------------------
def test_the_slice_fits_its_slot_and_says_which_loss_it_shows(qtbot):
    view = in_slot(qtbot, SliceView(), "slice")
    run, first = start(CONFIG)
    feed(view, [first, *train(run, 2)])
    view.add_snapshot(run.snapshot(checkpoint=True))
    assert view.compute()
    view.wait()
    QtWidgets.QApplication.processEvents()
    assert_fits(view, (250, 100))
    n = first.run.n_train
    text = view.readout.text()
    assert text.startswith(f"Training loss here {view.slice.loss:.4g} (on all {n:,} training points)")
    assert "status bar" in view.readout.toolTip() and "mean of the losses of the epoch's batches" in \
        view.readout.toolTip()
    assert view.plot.getAxis("left").labelText == "training loss"
    # wide and short: the legend beside the plot, the controls on one line
    legend, plot = view.legend.sceneBoundingRect(), view.plot.sceneBoundingRect()
    assert legend.left() >= plot.right() - 1 and legend.right() <= view.graphics.width()
    row = view.update_button.parentWidget()
    shown = [w for w in row.findChildren(QtWidgets.QWidget, options=QtCore.Qt.FindChildOption.FindDirectChildrenOnly)
             if w.isVisible()]
    assert len({w.geometry().top() for w in shown}) == 1
    assert view.legend.items[-1][1].item.toPlainText() == "next step (Adam)"


def test_the_slice_legend_goes_under_the_plot_when_the_dock_is_tall(qtbot):
    view = SliceView()
    qtbot.addWidget(view)
    view.resize(420, 520)
    view.show()
    qtbot.waitExposed(view)
    legend, plot = view.legend.sceneBoundingRect(), view.plot.sceneBoundingRect()
    assert legend.top() >= plot.bottom() - 1 and len(view.legend.items) == 4


# ---- the optimizer race --------------------------------------------------------------------------------
def test_the_race_fits_its_slot_side_by_side(qtbot):
    view = in_slot(qtbot, RaceView(), "race")
    view.run_to_end()
    QtWidgets.QApplication.processEvents()
    assert_fits(view, (150, 100))
    assert not view.stacked
    surf, loss = view.surface_plot.sceneBoundingRect(), view.loss_plot.sceneBoundingRect()
    assert surf.right() <= loss.left()
    assert len(view.legend.items) == len(RACERS)
    assert view.legend.sceneBoundingRect().right() <= view.graphics.width()
    assert view.legend.sceneBoundingRect().top() >= surf.bottom() - 1
    assert view.loss_plot.titleLabel.text == f"Loss · step {view.shown} / {view.shown}"
    # the optimizers and their learning rates wait behind one button: the controls are one line
    assert not view.checks["Adam"].isVisible()
    menu = view.optimizers_button.menu()
    assert view.table in [a.defaultWidget() for a in menu.actions()]
    row = view.run_button.parentWidget()
    shown = [w for w in row.findChildren(QtWidgets.QWidget, options=QtCore.Qt.FindChildOption.FindDirectChildrenOnly)
             if w.isVisible()]
    assert len({w.geometry().top() for w in shown}) == 1


def test_the_race_stacks_in_a_narrow_tall_dock_with_its_readout(qtbot):
    view = RaceView()
    qtbot.addWidget(view)
    view.resize(430, 650)
    view.show()
    qtbot.waitExposed(view)
    view.run_to_end()
    QtWidgets.QApplication.processEvents()
    assert view.stacked and view.status.isVisible()
    surf, loss = view.surface_plot.sceneBoundingRect(), view.loss_plot.sceneBoundingRect()
    assert surf.bottom() <= loss.top() and surf.height() > loss.height()
    assert "SGD + momentum: f = " in view.status.text()
    assert misfits(view) == []
