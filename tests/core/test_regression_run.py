"""Issue 20: a regression run through the trainer process, the run file and the timeline."""
import json

import numpy as np
import pytest

from core.engine.saving import atomic_write_npz
from core.run.config import TrainingConfig
from core.run.runfile import load_run, save_run
from core.run.timeline import Timeline
import runfile_support
from serve_support import recv

SINE = TrainingConfig(task="regression", dataset="sine", loss="mse", n_samples=200, batch_size=16)
BUMPS = TrainingConfig(task="regression", dataset="bumps", loss="huber", n_samples=200, batch_size=16,
                       grid_resolution=32)


def _snapshot_with(conn, pred):
    while True:
        kind, payload = recv(conn)
        assert kind == "snapshot", payload
        if pred(payload):
            return payload


def test_a_1d_run_sends_float_targets_one_output_and_no_grid(child):
    conn, _ = child(SINE)
    snap = _snapshot_with(conn, lambda s: s.run is not None)
    run = snap.run
    assert run.is_regression and run.metric == "mae" and run.metric_title == "Mean absolute error"
    assert run.n_classes == 1 and run.input_dim == 1 and run.plane is None
    assert run.y_train.dtype == np.float32 and run.y_train.shape == (160,)
    assert not np.array_equal(run.y_train, np.round(run.y_train))     # real numbers, not labels
    assert snap.boundary is None
    model = run.model()
    assert model.layers[-1].activation.name == "linear" and model.output_dim == 1
    conn.send(("step_epoch",))
    done = _snapshot_with(conn, lambda s: s.epoch == 1 and s.state == "paused")
    epoch = done.epochs[-1]
    assert set(epoch) - {"epoch", "stats"} == {"loss", "mae", "val_loss", "val_mae"}
    model.set_weights(done.weights)
    p = model.predict(run.x_val)[:, 0]
    assert epoch["val_mae"] == pytest.approx(np.mean(np.abs(p - run.y_val)), rel=1e-5)


def test_a_2d_run_sends_the_fitted_value_over_the_plane(child):
    conn, _ = child(BUMPS)
    snap = _snapshot_with(conn, lambda s: s.run is not None)
    assert snap.run.metric_title == "Mean absolute error" and snap.run.n_classes == 1
    conn.send(("step_epoch",))
    done = _snapshot_with(conn, lambda s: s.epoch == 1 and s.state == "paused")
    grid = done.boundary.grid
    assert grid.shape == (32, 32)
    model = snap.run.model()
    model.set_weights(done.weights)
    x0, x1, y0, y1 = done.boundary.extent
    corner = snap.run.plane.lift(np.array([[x0, y0], [x1, y1]], dtype=np.float32))
    np.testing.assert_allclose(grid[[0, -1], [0, -1]], model.predict(corner)[:, 0], rtol=1e-5, atol=1e-6)


def test_classification_runs_keep_their_accuracy_metric(child):
    conn, _ = child(TrainingConfig(n_samples=100))
    run = _snapshot_with(conn, lambda s: s.run is not None).run
    assert (run.is_regression, run.metric, run.metric_title, run.n_classes) == (False, "accuracy", "Accuracy", 2)


def test_a_regression_run_file_reopens_bit_for_bit_and_goes_on_the_same(tmp_path):
    trainer, run = runfile_support.trained_run(BUMPS.replace(loss="mae"), epochs=3, extra_batches=5)
    path = tmp_path / "bumps.uncrumple.npz"
    save_run(path, run)
    back = load_run(path)
    assert back.config == run.config and back.config.task == "regression"
    assert back.current.same_run(run.current) and back.current.partial == run.current.partial
    assert np.array_equal(back.current.weights.view(np.uint32), run.current.weights.view(np.uint32))
    assert [e["val_mae"] for e in back.epoch_logs] == [e["val_mae"] for e in run.epoch_logs]
    timeline = Timeline()
    for c in back.checkpoints:
        timeline.add(c)
    assert timeline.epochs() == [0, 1, 2, 3]

    fresh = runfile_support.trained_run(back.config, epochs=0, extra_batches=0)[0]
    fresh.restore(back.current, back.epoch_logs)
    for _ in range(30):
        trainer.train_batch()
        fresh.train_batch()
    for a, b in zip(trainer.model.get_weights(), fresh.model.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert trainer.history.history == fresh.history.history


def test_an_old_run_file_without_task_opens_as_classification(tmp_path):
    _, run = runfile_support.trained_run(TrainingConfig(n_samples=60, batch_size=8), epochs=1, extra_batches=0)
    path = tmp_path / "old.uncrumple.npz"
    save_run(path, run)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    del meta["config"]["task"]                      # as files saved before issue 20
    atomic_write_npz(path, arrays, meta)
    assert load_run(path).config == run.config and run.config.task == "classification"
