"""Issue 17, item 5: a run of any length stays within bounded memory in the window.

The curves keep the newest batches exactly and older ones as min / max / mean buckets (a spike stays
visible, the drawn points and the memory stay bounded, a run file still reopens bit for bit); the
timeline's epoch logs are thinned within a budget, keeping the newest and every epoch with a checkpoint.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig
from core.run.messages import RunSnapshot
from viz.run import epoch_logs as epoch_logs_module
from viz.run.epoch_logs import MAX_EPOCH_LOGS, RECENT_EPOCH_LOGS, find_epoch_log, thin_epoch_logs
from viz.views.training.curve_data import MAX_BINS, RECENT_BATCHES, SMOOTH_POINTS, CurveHistory
from viz.views.training.curves import CurvesView
from views_support import curve_data

BPE = 32                     # batches per epoch, as the default spiral
N = 2_000_000                # ~3 minutes of the default network flat out
SPIKE_STEP = 123_457         # an old batch whose loss is far above the rest
SPIKE = 50.0
#: what the curves may hold for a run of any length (they held 24 bytes a batch: 48 MB here)
CURVES_BUDGET = 8 * 2**20


def long_run_snapshots(n=N, chunk=20_000, seed=0):
    """Light snapshots of a run of ``n`` batches, ``chunk`` at a time, with one spike at SPIKE_STEP."""
    rng = np.random.default_rng(seed)
    for start in range(0, n, chunk):
        steps = np.arange(start + 1, start + chunk + 1, dtype=np.int64)
        last = int(steps[-1])
        loss = (0.2 + 0.3 * rng.random(chunk)).astype(np.float32)
        loss[steps == SPIKE_STEP] = SPIKE
        yield RunSnapshot(
            epoch=last // BPE, step=last, batch=last % BPE, batches_per_epoch=BPE, state="training",
            batch_steps=steps, batch_losses=loss, batch_accuracies=rng.random(chunk).astype(np.float32),
            epochs=tuple({"epoch": e, "loss": 0.3, "accuracy": 0.5, "val_loss": 0.4, "val_accuracy": 0.5}
                         for e in range(start // BPE + 1, last // BPE + 1)))


@pytest.fixture
def curves(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    return view


def test_two_million_batches_stay_within_the_budget_and_the_old_spike_shows(curves, qtbot):
    for snap in long_run_snapshots():
        curves.add_snapshot(snap)
    data = curves.data
    assert curves.n_points == N                     # every batch is covered ...
    assert data.nbytes <= CURVES_BUDGET             # ... in bounded memory
    assert len(data.batch_rows) < RECENT_BATCHES + 5000
    curves.resize(800, 500)
    curves.show()
    qtbot.waitExposed(curves)
    assert curves.refresh() is True
    x, y = curve_data(curves.raw_loss_curve)
    assert len(x) <= 2 * MAX_BINS                   # what is drawn stays a few hundred points
    assert y.max() == SPIKE                         # the old spike is still in the faint band
    assert abs(x[np.argmax(y)] - SPIKE_STEP / BPE) < N / BPE / MAX_BINS   # where it was
    assert np.all(np.diff(x) >= 0) and x[-1] == np.float32(N / BPE)
    sx, _ = curve_data(curves.smooth_loss_curve)
    assert len(sx) <= SMOOTH_POINTS and x[0] <= sx[0] < x[0] + N / BPE / 100 and sx[-1] == x[-1]
    ex, ey = curve_data(curves.epoch_val_loss_curve)
    assert len(ex) <= 2 * MAX_BINS and ex[-1] == N // BPE and np.all(ey == np.float32(0.4))
    # the newest batches are exact: zoomed in, every one of them is drawn
    curves.zoom_x(N / BPE - 3, N / BPE)
    xz, _ = curve_data(curves.raw_loss_curve)
    assert len(xz) >= 3 * BPE
    # an old region, zoomed in, shows its buckets and the spike
    curves.zoom_x(SPIKE_STEP / BPE - 50, SPIKE_STEP / BPE + 50)
    xo, yo = curve_data(curves.raw_loss_curve)
    assert 0 < len(xo) <= 2 * MAX_BINS and yo.max() == SPIKE
    # hovering an old bucket says what it stands for
    text = curves.show_readout(SPIKE_STEP / BPE)
    assert "batches to step" in text and "highest 50" in text


def test_the_memory_of_the_curves_does_not_grow_with_the_run():
    data = CurveHistory()
    sizes = []
    for i, snap in enumerate(long_run_snapshots(n=4_000_000, chunk=100_000)):
        data.add(snap)
        if (i + 1) % 10 == 0:
            sizes.append(data.nbytes)
    assert max(sizes) <= CURVES_BUDGET
    assert sizes[-1] == sizes[-2]          # 3 M batches and 4 M: the same bytes allocated


def test_a_long_run_saves_and_reopens_bit_for_bit_and_says_which_rows_are_means():
    data = CurveHistory()
    for snap in long_run_snapshots(n=600_000):
        data.add(snap)
    saved = data.saved()
    steps = saved["batch_steps"]
    gaps = np.diff(np.append(0, steps))
    # the newest RECENT_BATCHES rows are every batch; each older row is the mean of the batches
    # since the row before it (its step gap)
    assert np.all(gaps[-RECENT_BATCHES // 2:] == 1) and gaps.max() > 1 and gaps.sum() == 600_000
    wide = np.flatnonzero(gaps > 1)
    assert len(steps) < 600_000
    reopened = CurveHistory()
    reopened.load(saved)
    again = reopened.saved()
    for key, values in saved.items():
        np.testing.assert_array_equal(again[key], values)
    assert reopened.n_batches == 600_000 and len(reopened.batch_rows) == len(steps)
    assert len(wide) and reopened.batch_rows.buckets.n > 0


def test_a_branch_in_a_long_run_keeps_the_batches_before_it():
    data = CurveHistory()
    for snap in long_run_snapshots(n=1_000_000):
        data.add(snap)
    data.truncate(20_000)                       # an old epoch: inside the buckets
    steps = data.saved()["batch_steps"]
    assert steps[-1] <= 20_000 * BPE and steps[-1] > 20_000 * BPE - data.batch_rows.size * 2
    assert data.n_batches == steps[-1] and data.last_step == steps[-1]


def test_a_hundred_thousand_epoch_logs_stay_within_the_budget():
    logs = []
    checkpoints = [0, 1, 2, 3, 17, 255, 1024, 65_536, 99_000]      # epochs the timeline keeps
    for e in range(1, 100_001):
        logs.append({"epoch": e, "loss": 1.0 / e, "accuracy": 0.5})
        if len(logs) > MAX_EPOCH_LOGS:
            logs = thin_epoch_logs(logs, checkpoints)
    assert len(logs) <= MAX_EPOCH_LOGS + len(checkpoints)
    epochs = [log["epoch"] for log in logs]
    assert epochs == sorted(epochs)
    assert epochs[-RECENT_EPOCH_LOGS:] == list(range(100_001 - RECENT_EPOCH_LOGS, 100_001))   # the newest, all
    assert epochs[0] <= 1024                    # the old run is still spanned
    for e in checkpoints[1:]:
        assert find_epoch_log(logs, e)["epoch"] == e
    assert find_epoch_log(logs, 100_000)["loss"] == 1e-5
    dropped = next(e for e in range(1, 100_000) if e not in set(epochs))
    assert find_epoch_log(logs, dropped) is None and find_epoch_log(logs, 0) is None


def test_a_long_window_run_thins_its_epoch_logs_and_answers_for_the_kept_ones(make_window, qtbot, monkeypatch):
    """A real run flat out (one batch an epoch), with the budget made small so that it is reached."""
    monkeypatch.setattr("viz.run.timeline.MAX_EPOCH_LOGS", 64)
    monkeypatch.setattr(epoch_logs_module, "RECENT_EPOCH_LOGS", 16)
    w = make_window(TrainingConfig(n_samples=40, batch_size=32, grid_resolution=8), engine="thread")
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=30_000)
    w.session.set_speed(None)
    w.session.play()
    qtbot.waitUntil(lambda: w.session.latest.epoch >= 1500, timeout=90_000)
    w.session.pause()
    qtbot.waitUntil(lambda: w.session.state == "paused", timeout=30_000)
    logs = w.timeline.epoch_logs
    kept_checkpoints = [e for e in w.timeline.epochs() if e > 0]
    others = [log for log in logs if log["epoch"] not in set(kept_checkpoints)]
    # the budget, and a snapshot's worth of epochs over it (~1,500 without the budget)
    assert len(others) <= 64 + 200 < w.session.latest.epoch - len(kept_checkpoints)
    newest = w.session.latest.epoch
    assert logs[-1]["epoch"] == newest and w.timeline.epoch_log(newest) is logs[-1]
    for e in kept_checkpoints:          # the status bar's figures for every epoch one can scrub to
        assert w.timeline.epoch_log(e)["epoch"] == e


def test_separability_over_epochs_keeps_a_bounded_number_of_epochs(qtbot, monkeypatch):
    """Real rounds on a real run, with the budget made small (4 epochs, the newest 2 always)."""
    from viz.run.redraw import ViewRedrawer
    from viz.views.uncrumple import separability as sep_mod
    from layers_support import feed, start, train_epoch
    monkeypatch.setattr(sep_mod, "MAX_HISTORY", 4)
    monkeypatch.setattr(sep_mod, "HISTORY_RECENT", 2)
    monkeypatch.setattr(sep_mod.SeparabilityView, "min_interval", 0.0)
    view = sep_mod.SeparabilityView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    clock = ViewRedrawer(view)
    clock.add(view)
    run, snap = start()
    feed(view, snap)
    clock.request()
    qtbot.waitUntil(lambda: 0 in view.history, timeout=10_000)
    seen = {0}
    for epoch in range(1, 9):
        view.add_snapshot(train_epoch(run))
        clock.request()
        qtbot.waitUntil(lambda: epoch in view.history, timeout=30_000)
        seen.add(epoch)
        assert len(view.history) <= 4                 # not one per epoch
    assert 8 in view.history and 7 in view.history     # the newest stay
    assert len(seen) == 9
