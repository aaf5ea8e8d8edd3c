"""The loss views and the gradient check on a regression run use its real-valued targets, not class labels."""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig
from views_support import start

SINE = TrainingConfig(task="regression", dataset="sine", loss="mse", n_samples=200, batch_size=16,
                      grid_resolution=16)


def test_the_slice_reads_the_training_loss_of_the_real_targets(qtbot):
    from viz.views.loss.slice1d import SliceView
    view = SliceView()
    qtbot.addWidget(view)
    run, first = start(SINE)
    view.set_run(first.run)
    view.add_snapshot(first)
    for _ in range(30):
        run.trainer.train_batch()
    view.add_snapshot(run.snapshot(checkpoint=True))
    assert view.compute()
    view.wait()
    model = run.trainer.model
    x, y = first.run.x_train, first.run.y_train
    expected = float(np.mean((model.predict(x)[:, 0] - y) ** 2))
    assert view.slice.loss == pytest.approx(expected, rel=1e-4)
    rounded = float(np.mean((model.predict(x)[:, 0] - np.rint(y)) ** 2))
    assert abs(expected - rounded) > 1e-3          # the old bug (class labels: targets rounded) would show
    assert f"{expected:.4g}" in view.readout.text()


def test_the_run_hands_out_its_real_targets_for_the_loss():
    _, first = start(SINE)
    run = first.run
    assert run.targets_train.dtype == np.float32 and not np.all(run.targets_train == np.rint(run.targets_train))
    _, spiral = start(TrainingConfig(n_samples=60))
    np.testing.assert_array_equal(spiral.run.targets_train, spiral.run.labels_train)


def test_the_loss_surface_of_a_regression_run_is_the_loss_of_its_real_targets(qtbot):
    from core.analysis.loss import landscape
    from viz.views.loss.landscape import LandscapeView
    view = LandscapeView()
    qtbot.addWidget(view)
    run, first = start(SINE)
    view.set_run(first.run)
    view.add_snapshot(first)
    for _ in range(3):
        start_epoch = run.trainer.epoch
        while run.trainer.epoch == start_epoch:
            run.trainer.train_batch()
        view.add_snapshot(run.snapshot())
    view.refresh()
    view.res_spin.setValue(11)
    try:
        with qtbot.waitSignal(view.computed, timeout=20000):
            assert view.compute()
        g = view.grid
        want = landscape.evaluate_grid(view._model, first.run.x_train, first.run.y_train, view.plane,
                                       resolution=11, span=g.extent)
        np.testing.assert_allclose(g.losses, want.losses, rtol=1e-5)
    finally:
        view.shutdown()
