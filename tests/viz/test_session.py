"""Session: one worker, exact transport, resets, a dead trainer, views fed every batch."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import shiboken6

from core.run.config import TrainingConfig
from viz.views.common.view import View


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


class RecordingView(View):
    """A view that only records what the session hands it (the real views are tested elsewhere)."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.steps = []
        self.refreshes = 0

    def clear(self):
        super().clear()
        self.calls.append("clear")
        self.steps = []

    def build(self, run):
        self.calls.append("set_run")
        assert run.x_train.shape[1] == 2

    def add_snapshot(self, snap):
        self.steps.extend(int(s) for s in snap.batch_steps)

    def draw(self):
        self.refreshes += 1
        return True


def recording_view(qtbot):
    """A shown RecordingView (the redraw clock refreshes only views on screen)."""
    view = RecordingView()
    qtbot.addWidget(view)
    view.show()
    return view


def first_snapshot(qtbot, session):
    until(qtbot, lambda: session.latest is not None)
    return session.latest


def test_starts_ready_with_data(qtbot, make_session):
    s = make_session()
    view = recording_view(qtbot)
    s.add_view(view)
    snap = first_snapshot(qtbot, s)
    assert s.state == "ready" and snap.step == 0
    assert view.calls[:2] == ["clear", "set_run"]
    until(qtbot, lambda: view.refreshes >= 1)


def test_play_twice_is_still_one_worker(qtbot, make_session, procs):
    s = make_session()
    first_snapshot(qtbot, s)
    pid = s.worker.pid
    s.play()
    s.play()
    until(qtbot, lambda: s.state == "training" and s.latest.step > 30)
    s.play()
    children = procs.trainer_children()
    assert [p.pid for p in children] == [pid]
    assert s.worker.pid == pid


def test_pause_takes_effect_and_nothing_follows(qtbot, make_session):
    s = make_session()
    first_snapshot(qtbot, s)
    s.play()
    until(qtbot, lambda: s.state == "training" and s.latest.step > 30)
    s.pause()
    until(qtbot, lambda: s.state == "paused")
    with qtbot.assertNotEmitted(s.snapshot_ready, wait=300):
        pass


def test_views_get_every_batch_and_redraw_at_most_60_hz(qtbot, make_session):
    s = make_session()
    view = recording_view(qtbot)
    s.add_view(view)
    first_snapshot(qtbot, s)
    t0 = time.perf_counter()
    s.play()
    until(qtbot, lambda: s.latest.step > 3000)
    s.pause()
    until(qtbot, lambda: s.state == "paused")
    elapsed = time.perf_counter() - t0
    assert view.steps == list(range(1, s.latest.step + 1)), "a batch loss was dropped or repeated"
    assert view.refreshes <= 60 * elapsed + 5


def test_step_batch_and_step_epoch(qtbot, make_session):
    s = make_session()
    snap = first_snapshot(qtbot, s)
    bpe = snap.batches_per_epoch
    s.step_batch()
    until(qtbot, lambda: s.latest.step == 1)
    assert s.state == "paused" and s.latest.batch == 1
    s.step_epoch()
    until(qtbot, lambda: s.latest.epoch == 1)
    assert s.latest.step == bpe and s.latest.batch == 0


def test_reset_gives_the_same_initial_weights(qtbot, make_session):
    s = make_session()
    w0 = first_snapshot(qtbot, s).weights
    pid = s.worker.pid
    s.play()
    until(qtbot, lambda: s.latest.step > 100)
    s.reset()
    until(qtbot, lambda: s.latest.step == 0 and s.state == "ready")
    assert all(np.array_equal(a, b) for a, b in zip(s.latest.weights, w0))
    assert s.worker.pid == pid, "a plain reset keeps the trainer process"
    # a live-field change resets in the same process, same initial weights
    s.step_epoch()
    until(qtbot, lambda: s.latest.epoch == 1)
    s.reset(s.config.replace(learning_rate=0.05))
    until(qtbot, lambda: s.latest.step == 0 and s.state == "ready")
    assert s.worker.pid == pid
    assert s.latest.hyperparameters["learning_rate"] == pytest.approx(0.05)
    assert all(np.array_equal(a, b) for a, b in zip(s.latest.weights, w0))


def test_structural_reset_restarts_the_trainer(qtbot, make_session, procs):
    s = make_session()
    view = recording_view(qtbot)
    s.add_view(view)
    first_snapshot(qtbot, s)
    old = s.worker.pid
    s.play()
    until(qtbot, lambda: s.latest.step > 50)
    s.reset(s.config.replace(hidden=((4, "relu"),)))
    until(qtbot, lambda: s.worker.pid not in (None, old) and s.state == "ready")
    assert s.latest.step == 0
    assert [w.shape for w in s.latest.weights] == [(2, 4), (4,), (4, 1), (1,)]
    until(qtbot, lambda: not procs.pid_alive(old))
    assert view.steps == [], "the old run's late snapshots do not reach the views"
    assert len(procs.trainer_children()) == 1


def test_dead_trainer_is_reported_and_restarted_on_reset(qtbot, make_session):
    s = make_session()
    first_snapshot(qtbot, s)
    old = s.worker.pid
    with qtbot.waitSignal(s.error, timeout=20_000) as blocker:
        os.kill(old, signal.SIGKILL)
    assert "exit code" in blocker.args[0]
    assert s.state == "stopped" and "Reset" in s.message
    with qtbot.waitSignal(s.error, timeout=5_000):
        s.play()   # tells the user instead of failing silently
    s.reset()
    until(qtbot, lambda: s.state == "ready" and s.worker.pid != old)
    s.step_batch()
    until(qtbot, lambda: s.latest.step == 1)


def test_nan_loss_stops_with_the_message(qtbot, make_session):
    cfg = TrainingConfig(optimizer="sgd", learning_rate=10.0, hidden=((8, "linear"),), grid_resolution=16)
    s = make_session(cfg)
    view = recording_view(qtbot)
    s.add_view(view)
    first_snapshot(qtbot, s)
    s.play()
    until(qtbot, lambda: s.state == "stopped")
    assert "loss is nan" in s.message.lower()
    assert view.steps == list(range(1, s.latest.step + 1)) and len(view.steps) > 10
    assert all(np.isfinite(w).all() for w in s.latest.weights), "the last finite weights are kept"


def test_signal_after_view_deleted_does_not_raise(qtbot, make_session):
    from viz.views.training.curves import CurvesView
    s = make_session()
    view = CurvesView()
    s.add_view(view)
    first_snapshot(qtbot, s)
    shiboken6.delete(view)
    with qtbot.captureExceptions() as exceptions:
        s.step_batch()
        until(qtbot, lambda: s.latest.step == 1)
        s.play()
        until(qtbot, lambda: s.latest.step > 50)
        s.pause()
        until(qtbot, lambda: s.state == "paused")
    assert exceptions == []


def test_thread_engine_trains_too(qtbot, make_session):
    s = make_session(engine="thread")
    first_snapshot(qtbot, s)
    assert s.worker.pid is None
    s.step_epoch()
    until(qtbot, lambda: s.latest.epoch == 1)
    s.play()
    until(qtbot, lambda: s.latest.step > 200)
    s.pause()
    until(qtbot, lambda: s.state == "paused")


def test_speed_limits_the_steps(qtbot, make_session):
    s = make_session()
    first_snapshot(qtbot, s)
    s.set_speed(20.0)
    t0 = time.perf_counter()
    s.play()
    until(qtbot, lambda: s.latest.step >= 10)
    assert time.perf_counter() - t0 > 0.3, "20 steps/s cannot do 10 steps this fast"
    s.set_speed(None)
    until(qtbot, lambda: s.latest.step >= 500)


def test_shutdown_is_idempotent_and_commands_after_it_are_ignored(qtbot, make_session, procs):
    s = make_session()
    first_snapshot(qtbot, s)
    pid = s.worker.pid
    s.play()
    s.shutdown()
    assert not procs.pid_alive(pid)
    s.shutdown()
    s.play()
    s.reset()
    assert s.closed


def test_bad_engine_name():
    from viz.run.session import Session
    with pytest.raises(ValueError, match="engine"):
        Session(engine="gpu", autostart=False)
