"""CurvesView fed with real snapshots from the core trainer: smoothing, hover, huge runs, following
the run; with BoundaryView: the session's call order and legends in narrow docks
(the boundary alone: test_boundary_view.py; the 1D slice's step: test_slice_step.py)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.run.config import TrainingConfig
from core.run.messages import RunSnapshot
from viz.views.training.boundary import BoundaryView
from viz.views.training.curve_data import MAX_BINS, SMOOTH_POINTS, SMOOTHING_MAX, ema, thin
from viz.views.training.curves import CurvesView
from fit import in_slot, misfits
from views_support import curve_data, show_run, start, train


@pytest.fixture
def curves(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    return view


@pytest.fixture
def boundary(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    return view


# ---- smoothing maths ----------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.3, 0.6, 0.9, 0.99])
def test_ema_matches_the_recurrence(alpha):
    rng = np.random.default_rng(1)
    x = rng.random(5000).astype(np.float32) * 3
    want = np.empty(len(x))
    s = x[0]
    for i, v in enumerate(x):
        s = alpha * s + (1 - alpha) * v
        want[i] = s
    np.testing.assert_allclose(ema(x, alpha), want, rtol=1e-5, atol=1e-6)
    # continuing from a previous value gives the same as smoothing the whole series at once
    np.testing.assert_allclose(ema(x[2500:], alpha, start=want[2499]), want[2500:], rtol=1e-5, atol=1e-6)


# ---- curves -----------------------------------------------------------------------------------------
def test_curves_show_every_batch_and_every_epoch(curves):
    run, first = start()
    show_run(curves, first)
    snaps = train(run, 3)
    for s in snaps:
        curves.add_snapshot(s)
    assert curves.refresh() is True
    bpe = run.trainer.batches_per_epoch
    assert run.trainer.step == 3 * bpe
    losses = np.concatenate([s.batch_losses for s in snaps])
    x, y = curve_data(curves.raw_loss_curve)
    assert len(x) == len(y) == run.trainer.step
    np.testing.assert_allclose(x, np.arange(1, run.trainer.step + 1) / bpe, rtol=1e-6)
    np.testing.assert_array_equal(y, losses)
    xa, ya = curve_data(curves.raw_accuracy_curve)
    np.testing.assert_array_equal(ya, np.concatenate([s.batch_accuracies for s in snaps]))
    for c in (curves.epoch_loss_curve, curves.epoch_val_loss_curve, curves.epoch_accuracy_curve,
              curves.epoch_val_accuracy_curve):
        ex, ey = curve_data(c)
        np.testing.assert_array_equal(ex, [1, 2, 3])
    _, ey = curve_data(curves.epoch_val_loss_curve)
    np.testing.assert_allclose(ey, run.trainer.history.history["val_loss"], rtol=1e-6)
    # the last batch of an epoch sits where that epoch's point is
    assert x[bpe - 1] == pytest.approx(1.0)


def test_refresh_draws_only_when_dirty(curves):
    run, first = start()
    show_run(curves, first)
    assert curves.refresh() is False          # no batch yet
    run.trainer.train_batch()
    curves.add_snapshot(run.snapshot(weights=False))
    assert curves.refresh() is True
    assert curves.refresh() is False
    curves.add_snapshot(run.snapshot(weights=False))  # nothing new since
    assert curves.refresh() is False


def test_smoothing_changes_smoothed_curve_but_not_raw(curves):
    run, first = start()
    show_run(curves, first)
    for s in train(run, 2):
        curves.add_snapshot(s)
    curves.refresh()
    raw_before = curve_data(curves.raw_loss_curve)[1].copy()
    smooth_before = curve_data(curves.smooth_loss_curve)[1].copy()
    assert not np.allclose(smooth_before, raw_before)
    curves.set_smoothing(0.95)
    assert curves.smoothing == pytest.approx(0.95)
    np.testing.assert_array_equal(curve_data(curves.raw_loss_curve)[1], raw_before)
    smooth_after = curve_data(curves.smooth_loss_curve)[1]
    assert smooth_after.std() < smooth_before.std()
    curves.smoothing_slider.setValue(0)
    np.testing.assert_allclose(curve_data(curves.smooth_loss_curve)[1], raw_before)
    np.testing.assert_allclose(curve_data(curves.smooth_accuracy_curve)[1], curve_data(curves.raw_accuracy_curve)[1])
    curves.set_smoothing(1.5)
    assert curves.smoothing == SMOOTHING_MAX < 1
    assert curves.smoothing_slider.toolTip() and curves.log_checkbox.toolTip()


def test_log_toggle_sets_log_mode_on_the_loss_only(curves):
    run, first = start()
    show_run(curves, first)
    for s in train(run, 1):
        curves.add_snapshot(s)
    curves.refresh()
    assert curves.raw_loss_curve.opts["logMode"] == [False, False]
    curves.log_checkbox.setChecked(True)
    assert curves.loss_plot.getAxis("left").logMode is True
    assert curves.raw_loss_curve.opts["logMode"] == [False, True]
    assert curves.accuracy_plot.getAxis("left").logMode is False
    curves.set_log_scale(False)
    assert not curves.log_checkbox.isChecked()
    assert curves.loss_plot.getAxis("left").logMode is False


def test_hover_readout_names_the_nearest_batch(curves):
    run, first = start(TrainingConfig(batch_size=10))      # 32 batches an epoch
    show_run(curves, first)
    snaps = train(run, 2)
    for s in snaps:
        curves.add_snapshot(s)
    curves.refresh()
    bpe = run.trainer.batches_per_epoch
    losses = np.concatenate([s.batch_losses for s in snaps])
    text = curves.show_readout(17.2 / bpe)
    assert "step 17 " in text and f"{losses[16]:.4g}" in text
    assert "step 17" in curves.readout.text()
    val_loss_1 = run.trainer.history.history["val_loss"][0]
    assert f"end of epoch 1: val_loss {np.float32(val_loss_1):.4g}" in text   # 17 of 32 batches: nearest end is 1
    # a real mouse move over the accuracy plot goes through the scene
    vb = curves.accuracy_plot.getViewBox()
    curves.resize(800, 500)
    curves.show()
    scene_pos = vb.mapViewToScene(vb.mapSceneToView(vb.sceneBoundingRect().center()))
    curves.readout.setText("")
    curves.graphics_accuracy.scene().sigMouseMoved.emit(scene_pos)
    assert curves.readout.text().startswith("epoch ")


def test_hundred_thousand_points(curves, qtbot):
    n, chunk = 100_000, 2_500
    rng = np.random.default_rng(0)
    bpe = 40
    for start_step in range(0, n, chunk):
        steps = np.arange(start_step + 1, start_step + chunk + 1, dtype=np.int64)
        last = int(steps[-1])
        curves.add_snapshot(RunSnapshot(
            epoch=last // bpe, step=last, batch=last % bpe, batches_per_epoch=bpe, state="training",
            batch_steps=steps, batch_losses=rng.random(chunk).astype(np.float32) + 0.1,
            batch_accuracies=rng.random(chunk).astype(np.float32),
            epochs=tuple({"epoch": e, "loss": 0.5, "accuracy": 0.5, "val_loss": 0.6, "val_accuracy": 0.4}
                         for e in range(start_step // bpe + 1, last // bpe + 1))))
    assert curves.n_points == n
    cap = len(curves.data.batches.cols["x"])
    assert cap >= n and cap & (cap - 1) == 0          # grew by doubling from 1024
    curves.resize(800, 500)
    curves.show()
    qtbot.waitExposed(curves)
    assert curves.refresh() is True
    curves.log_checkbox.setChecked(True)
    img = curves.grab()
    assert not img.isNull()
    # handed over peak-decimated: far fewer points than the run holds, every extreme kept
    x, y = curve_data(curves.raw_loss_curve)
    assert len(x) <= 2 * MAX_BINS + 100
    assert y.max() == curves.data.batches.view("loss").max() and y.min() == curves.data.batches.view("loss").min()
    assert x[0] == curves.data.batches.view("x")[0] and x[-1] == curves.data.batches.view("x")[-1]
    assert np.all(np.diff(x) >= 0)
    # the smoothed curve: evenly thinned (it has no spikes), first and last kept
    sx, sy = curve_data(curves.smooth_loss_curve)
    assert len(sx) == SMOOTH_POINTS and sx[0] == x[0] and sx[-1] == x[-1]
    assert sy[-1] == curves.data.batches.view("sloss")[-1]
    ex, ey = curve_data(curves.epoch_val_loss_curve)  # 2,500 epochs, decimated too
    assert len(ex) <= 2 * MAX_BINS and ex[-1] == n // bpe and np.all(ey == np.float32(0.6))
    # zoomed in, the visible part is shown at full resolution
    curves.zoom_x(10.0, 12.0)
    xz, _ = curve_data(curves.raw_loss_curve)
    assert len(xz) >= 2 * bpe and np.all((xz >= 9.9) & (xz <= 12.1))


def test_clear_empties_everything(curves):
    run, first = start()
    show_run(curves, first)
    for s in train(run, 1):
        curves.add_snapshot(s)
    curves.refresh()
    curves.show_readout(0.5)
    curves.clear()
    assert curves.n_points == 0
    for c in curves._all_curves():
        assert len(curve_data(c)[0]) == 0
    assert "Hover" in curves.readout.text()
    assert curves.refresh() is False


def test_a_new_run_replaces_the_old_curves(curves):
    run, first = start()
    show_run(curves, first)
    for s in train(run, 2):
        curves.add_snapshot(s)
    run.trainer.reset()
    curves.add_snapshot(run.snapshot())
    run.trainer.train_batch()
    curves.add_snapshot(run.snapshot(weights=False))
    curves.refresh()
    assert len(curve_data(curves.raw_loss_curve)[0]) == 1
    assert len(curve_data(curves.epoch_loss_curve)[0]) == 0


def test_a_reopened_run_shows_its_saved_curves_and_a_branch_cuts_them(curves):
    run, first = start()
    show_run(curves, first)
    snaps = train(run, 3)
    for s in snaps:
        curves.add_snapshot(s)
    curves.refresh()
    bpe = run.trainer.batches_per_epoch
    saved = curves.history()
    drawn = [curve_data(c) for c in curves._all_curves()]
    # a reopened run: its saved batch curves and its epoch logs replace what is shown
    past = dataclasses.replace(snaps[-1], epochs=tuple(e for s in snaps for e in s.epochs))
    curves.show_history(past, saved)
    assert curves.refresh() is True
    for (x, y), c in zip(drawn, curves._all_curves()):
        np.testing.assert_array_equal(curve_data(c)[0], x)
        np.testing.assert_array_equal(curve_data(c)[1], y)
    # a branch from epoch 2: later batches and epochs go
    curves.truncate(2, 2 * bpe)
    assert curves.refresh() is True
    assert curves.n_points == 2 * bpe
    np.testing.assert_array_equal(curve_data(curves.epoch_loss_curve)[0], [1, 2])
    cut = curves.history()
    np.testing.assert_array_equal(cut["batch_steps"], saved["batch_steps"][:2 * bpe])
    # without the step, the batches up to the end of the epoch are kept: the same cut
    curves.show_history(past, saved)
    curves.truncate(2)
    for key, values in curves.history().items():
        np.testing.assert_array_equal(values, cut[key])


def test_session_order_clear_set_run_then_add_snapshot(boundary, curves):
    """The session calls clear(), set_run(run), then add_snapshot(snap) on every view."""
    run, first = start(TrainingConfig(dataset="circles"))
    for view in (boundary, curves):
        show_run(view, first)
        view.refresh()
    calls = []
    boundary.set_run = lambda run: calls.append(run)     # the same run must not be set again
    boundary.add_snapshot(first)
    assert calls == []
    assert len(boundary.train_points.data) == len(first.run.x_train)
    assert boundary.grid_shape == (64, 64)
    assert boundary.plot.titleLabel.text == "Decision boundary"


def test_legends_wrap_in_narrow_docks(qtbot, curves, boundary):
    for view, full in ((curves, 4), (boundary, 5)):
        view.resize(1400, 500)
        view.show()
        qtbot.waitUntil(lambda: view.legend.columnCount == full)
        view.resize(380, 500)
        qtbot.waitUntil(lambda: view.legend.columnCount < full)
        # and neither the legend nor the plots are held wider than the view
        graphics = getattr(view, "legend_graphics", view.graphics)     # the curves' legend sits above both plots
        qtbot.waitUntil(lambda: graphics.ci.geometry().width() <= graphics.width())
        assert view.legend.boundingRect().width() <= graphics.width()


def test_curves_follow_the_run_in_steps_until_the_user_zooms(curves):
    run, first = start()
    show_run(curves, first)
    for s in train(run, 3):
        curves.add_snapshot(s)
    curves.refresh()
    vb = curves.loss_plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    last = float(curves.data.batches.view("x")[-1])
    assert x0 == 0 and last <= x1 <= 1.25 * last + 1e-6
    loss = curves.data.batches.view("loss")
    assert y0 <= loss.min() and y1 >= loss.max()
    # one more batch inside the current range: the axes do not move (no repaint of them)
    run.trainer.train_batch()
    curves.add_snapshot(run.snapshot(weights=False))
    curves.refresh()
    assert vb.viewRange()[0] == [x0, x1]
    # the user zooms: the view stops following
    curves.zoom_x(0.5, 1.0)
    for s in train(run, 2):
        curves.add_snapshot(s)
    curves.refresh()
    assert vb.viewRange()[0] == pytest.approx([0.5, 1.0])
    # pyqtgraph's "A" (auto-range) button follows the run again
    vb.enableAutoRange()
    for s in train(run, 1):
        curves.add_snapshot(s)
    curves.refresh()
    assert vb.viewRange()[0][1] >= float(curves.data.batches.view("x")[-1])


def test_curves_fit_the_learn_slot_side_by_side_with_a_full_accuracy_axis(qtbot):
    view = in_slot(qtbot, CurvesView(), "curves")
    run, first = start(TrainingConfig(n_samples=200))
    show_run(view, first)
    for s in train(run, 3):
        view.add_snapshot(s)
    view.refresh()
    assert view.side_by_side                          # 540 × 230: loss beside accuracy
    assert view.loss_plot.sceneBoundingRect().height() >= 110
    assert misfits(view) == []
    labels = [text for level in view.accuracy_plot.getAxis("left")._tickLevels for _, text in level]
    assert "1.0" in labels and "0.5" in labels
    lo, hi = view.accuracy_plot.viewRange()[1]
    assert lo < 0 and hi > 1                          # 0 and 1.0 inside the axis, labelled
    # the chance line: guessing among the run's classes
    assert view.chance_line.isVisible() and view.chance_line.value() == pytest.approx(0.5)
    view.set_run(dataclasses.replace(first.run, n_classes=10))
    assert view.chance_line.value() == pytest.approx(0.1)
    view.resize(380, 500)                             # a tall, narrow dock: one above the other
    qtbot.waitUntil(lambda: not view.side_by_side)


def test_after_a_reset_the_ranges_follow_the_new_run(curves):
    run, first = start(TrainingConfig(n_samples=200))
    show_run(curves, first)
    for s in train(run, 30):
        curves.add_snapshot(s)
    curves.refresh()
    assert curves.loss_plot.viewRange()[0][1] >= 30
    run, first = start(TrainingConfig(n_samples=200, learning_rate=0.3))    # Reset: a new run
    show_run(curves, first)
    assert curves.loss_plot.viewRange()[0] == [0, 1]   # the old run's range is gone at once
    for s in train(run, 1):
        curves.add_snapshot(s)
    curves.refresh()
    (x0, x1), (y0, y1) = curves.loss_plot.viewRange()
    lo, hi = curves.data.loss_bounds(False)
    assert x0 == 0 and 1 <= x1 <= 1.25 + 1e-6
    assert y0 <= lo and y1 >= hi and (y1 - y0) <= 1.2 * (hi - lo)    # fitted to the new losses alone


def test_thin_keeps_evenly_spaced_samples_with_both_ends():
    x = np.arange(1000, dtype=np.float32)
    y = x * 2
    tx, ty = thin(x, y, 11)
    np.testing.assert_array_equal(tx, np.round(np.linspace(0, 999, 11) - 0.49))   # floor of even spacing
    np.testing.assert_array_equal(ty, 2 * tx)
    assert tx[0] == 0 and tx[-1] == 999
    short = np.arange(5, dtype=np.float32)
    assert thin(short, short, 11)[0] is short                # short curves are handed over as they are
    assert len(thin(x, y, 1)[0]) == 2                         # never fewer than the two ends
