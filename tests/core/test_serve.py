"""The training process's command loop, driven over a real pipe in a spawned child."""

import numpy as np
import pytest

from core.run.config import TrainingConfig
from serve_support import recv


def recv_until(conn, pred):
    while True:
        kind, payload = recv(conn)
        if kind == "snapshot" and pred(payload):
            return payload


def test_first_snapshot_has_data_and_boundary(child):
    conn, _ = child()
    kind, snap = recv(conn)
    assert kind == "snapshot" and snap.state == "ready" and snap.step == 0
    run = snap.run
    assert len(run.x_train) == 160 and len(run.x_val) == 40 and (run.n_train, run.n_val) == (160, 40)
    assert run.n_classes == 2 and run.input_dim == 2 and run.model().count_params() == sum(w.size for w in snap.weights)
    assert snap.boundary.grid.shape == (64, 64)
    assert not snap.boundary.grid.flags.writeable
    assert not snap.weights[0].flags.writeable and not run.x_train.flags.writeable and not run.x_train_2d.flags.writeable


def test_play_pause_step_and_stop(child):
    conn, proc = child()
    recv(conn)
    conn.send(("play",))
    snap = recv_until(conn, lambda s: s.step > 200)
    assert snap.state == "training"
    conn.send(("pause",))
    paused = recv_until(conn, lambda s: s.state == "paused")
    assert not conn.poll(0.3)  # nothing after the pause
    conn.send(("step_batch",))
    one = recv(conn)[1]
    assert one.step == paused.step + 1 and list(one.batch_steps) == [one.step]
    conn.send(("step_epoch",))
    ep = recv(conn)[1]
    assert ep.epoch == one.epoch + 1 and ep.batch == 0
    conn.send(("stop",))
    proc.join(10)
    assert proc.exitcode == 0


def test_no_batch_loss_is_lost_while_throttled(child):
    conn, _ = child()
    recv(conn)
    conn.send(("play",))
    steps = []
    snap = recv_until(conn, lambda s: steps.extend(s.batch_steps) or s.step > 3000)
    conn.send(("pause",))
    recv_until(conn, lambda s: steps.extend(s.batch_steps) or s.state == "paused")
    assert steps == list(range(1, len(steps) + 1))


def test_reset_gives_the_same_initial_weights(child):
    conn, _ = child()
    first = recv(conn)[1]
    conn.send(("step_epoch",))
    recv(conn)
    conn.send(("reset", None))
    again = recv(conn)[1]
    assert again.step == 0 and again.run is not None
    assert all(np.array_equal(a, b) for a, b in zip(first.weights, again.weights))


def test_bad_hyperparameter_is_reported_and_training_goes_on(child):
    conn, _ = child()
    recv(conn)
    conn.send(("set", "learning_rate", -1.0))
    kind, text = recv(conn)
    assert kind == "error" and "learning_rate" in text
    kept = recv_until(conn, lambda s: True)  # the values in force are confirmed
    assert kept.hyperparameters["learning_rate"] == pytest.approx(TrainingConfig().learning_rate)
    conn.send(("set", "learning_rate", 0.05))
    snap = recv_until(conn, lambda s: True)
    assert snap.hyperparameters["learning_rate"] == pytest.approx(0.05)
    conn.send(("step_batch",))
    assert recv_until(conn, lambda s: s.step == 1)


def test_a_new_run_with_the_starting_values_drops_the_live_edited_ones(child):
    """Issue 17, item 4: lr 0.5 and batch 1 set while training, then File > New run (the values the run
    started with): the trainer must use those again, as the Controls show."""
    start = TrainingConfig(n_samples=200)
    conn, _ = child(start)
    recv(conn)
    conn.send(("set", "learning_rate", 0.5))
    conn.send(("set", "batch_size", 1))
    recv_until(conn, lambda s: s.hyperparameters["batch_size"] == 1)
    conn.send(("reset", start))
    snap = recv_until(conn, lambda s: s.run is not None and s.step == 0)
    assert snap.hyperparameters["learning_rate"] == pytest.approx(start.learning_rate)
    assert snap.hyperparameters["batch_size"] == start.batch_size
    conn.send(("set", "learning_rate", 0.2))
    recv_until(conn, lambda s: s.hyperparameters["learning_rate"] == pytest.approx(0.2))
    conn.send(("reset", None))                          # Reset: the same run with what the Controls show
    assert recv_until(conn, lambda s: s.step == 0).hyperparameters["learning_rate"] == pytest.approx(0.2)


def test_a_bad_config_reports_an_error_and_waits_for_a_good_one(child, tmp_path):
    bad = tmp_path / "one_class.csv"
    bad.write_text("1,2,0\n3,4,0\n5,6,0\n7,8,0\n")
    conn, _ = child(TrainingConfig(csv_path=str(bad), batch_size=1))
    kind, text = recv(conn)
    assert kind == "error" and "single class" in text
    conn.send(("reset", TrainingConfig(n_samples=100)))
    assert recv(conn)[1].state == "ready"


def test_nan_stop_is_sent(child):
    conn, _ = child(TrainingConfig(n_samples=100, optimizer="sgd", learning_rate=1e6,
                                   hidden=((16, "linear"), (16, "linear"))))
    recv(conn)
    conn.send(("play",))
    snap = recv_until(conn, lambda s: s.state == "stopped")
    assert "loss is nan" in snap.message
    assert all(np.isfinite(w).all() for w in snap.weights)


def test_closed_pipe_ends_the_child(child):
    conn, proc = child()
    recv(conn)
    conn.send(("play",))
    conn.close()
    proc.join(10)
    assert not proc.is_alive()


def test_step_sends_gradients_update_and_checkpoint_then_restore_goes_back(child):
    conn, _ = child()
    first = recv(conn)[1]
    assert [c.epoch for c in first.checkpoints] == [0]
    assert first.checkpoint is not None and first.batch_update is None
    conn.send(("step_epoch",))
    ep = recv(conn)[1]
    assert [c.epoch for c in ep.checkpoints] == [1] and "stats" in ep.epochs[0]
    saved = ep.checkpoint
    conn.send(("step_batch",))
    one = recv(conn)[1]
    grads, update = one.batch_update.grads, one.batch_update.update
    assert [g.shape for g in grads] == [w.shape for w in one.weights] == [u.shape for u in update]
    for w_after, w_before, du in zip(one.weights, ep.weights, update):
        np.testing.assert_array_equal(w_after - w_before, du)
    conn.send(("restore", saved, [{"epoch": 1, **{k: v for k, v in ep.epochs[0].items() if k != "stats"}}]))
    back = recv(conn)[1]
    assert (back.epoch, back.step, back.state) == (1, saved.step, "paused")
    for a, b in zip(back.weights, ep.weights):
        np.testing.assert_array_equal(a, b)
    conn.send(("step_batch",))
    again = recv(conn)[1]
    for a, b in zip(again.weights, one.weights):   # the same batch again, the same update
        np.testing.assert_array_equal(a, b)
