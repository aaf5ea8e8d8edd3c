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
