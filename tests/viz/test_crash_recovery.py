"""After the trainer is killed (kill -9), the run on screen goes on in a new trainer (issue 17, item 2).

Continue from here on a kept epoch, Play (which asks first) and Reset each start a new trainer: the
first two from what the window kept, training on bit for bit as the killed trainer would have; Reset
from what the Controls show. Every test kills a real trainer process with SIGKILL.
"""
from __future__ import annotations

import os
import signal

import numpy as np
from PySide6.QtWidgets import QMessageBox, QPushButton

from core.run.config import TrainingConfig, build_trainer

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16, batch_size=16)


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def started(qtbot, make_window, config=CONFIG):
    w = make_window(config, engine="process")
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    return w


def step_epochs(qtbot, w, n):
    for _ in range(n):
        e = w.session.latest.epoch
        w.actions.step_epoch.trigger()
        until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused")
    until(qtbot, lambda: w.timeline.epochs()[-1] == w.session.latest.epoch)


def step_batches(qtbot, w, n):
    for _ in range(n):
        s = w.session.latest.step
        w.actions.step_batch.trigger()
        until(qtbot, lambda: w.session.latest.step == s + 1 and w.session.state == "paused")


def kill(qtbot, w):
    """SIGKILL the trainer process; returns its pid once the window knows it is gone."""
    pid = w.session.worker.pid
    with qtbot.waitSignal(w.session.error, timeout=20_000):
        os.kill(pid, signal.SIGKILL)
    until(qtbot, lambda: not w.session.alive and w.session.state == "stopped")
    return pid


def reference_weights(config, epochs):
    """The weights after ``epochs`` epochs of an uninterrupted trainer of ``config`` (as the trainer
    process builds it)."""
    trainer, _ = build_trainer(config)
    trainer.record = True
    trainer.reset(restore_weights=False)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer.model.get_weights()


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def boxes(w, name):
    return [b for b in w.findChildren(QMessageBox, name) if b.isVisible()]


def test_continue_from_here_after_kill_goes_on_bit_for_bit_in_a_new_trainer(qtbot, make_window):
    """Continue from here on epoch 2 of a killed run starts a new trainer at epoch 2 (timeline, curves
    and epoch logs kept up to there); two epochs later its weights equal an uninterrupted run's."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 4)
    bpe = w.session.latest.batches_per_epoch
    uninterrupted = [np.array(a) for a in w.session.latest.weights]
    old = kill(qtbot, w)
    w.timeline_bar.slider.setValue(2)                    # the user drags the timeline back to epoch 2
    assert w.timeline.position == 2 and w.timeline_bar.branch_button.isEnabled()
    w.timeline_bar.branch_button.click()
    until(qtbot, lambda: w.session.alive and w.session.worker.pid != old and w.session.latest is not None
          and w.session.latest.step == 2 * bpe and w.session.state == "paused")
    assert w.timeline.epochs() == [0, 1, 2] and w.timeline.branches == [2]
    assert [e["epoch"] for e in w.timeline.epoch_logs] == [1, 2]
    assert w.curves.n_points == 2 * bpe                  # the curves up to epoch 2, none lost, none later
    assert same(w.session.latest.weights, w.timeline.timeline.at(2).weight_list())
    assert w.timeline_bar.position_label.text() == "epoch 2 (live)"
    step_epochs(qtbot, w, 2)
    assert w.session.latest.step == 4 * bpe and w.timeline.epochs() == [0, 1, 2, 3, 4]
    assert same(w.session.latest.weights, uninterrupted)  # bit for bit: same rng state, same batches
    assert [e["epoch"] for e in w.timeline.epoch_logs] == [1, 2, 3, 4]
    assert w.curves.n_points == 4 * bpe


def test_play_after_kill_asks_and_goes_on_from_the_newest_kept_state(qtbot, make_window):
    """Play after a crash is enabled and asks; "Continue from epoch 3, batch 2" trains on from the
    paused state the window kept (mid-epoch), bit for bit."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 3)
    step_batches(qtbot, w, 2)
    bpe = w.session.latest.batches_per_epoch
    kill(qtbot, w)
    assert w.actions.play.isEnabled() and "epoch 3, batch 2" in w.actions.play.toolTip()
    assert not w.actions.step_batch.isEnabled()
    w.actions.play.trigger()
    [box] = boxes(w, "crash_question")
    assert "epoch 3, batch 2" in box.text()
    w.actions.play.trigger()                             # a second Play does not stack a second question
    assert len(boxes(w, "crash_question")) == 1
    box.findChild(QPushButton, "continue_kept").click()
    until(qtbot, lambda: w.session.alive and w.session.state == "training")
    assert w.timeline.epochs()[:4] == [0, 1, 2, 3]
    w.actions.play.trigger()                             # pause
    until(qtbot, lambda: w.session.state == "paused")
    e = w.session.latest.epoch
    if w.session.latest.batch:
        w.actions.step_epoch.trigger()
        until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused")
        e += 1
    assert w.session.latest.step == e * bpe and e >= 4
    assert w.curves.n_points == e * bpe                  # one curve, no gap, no repeat
    assert same(w.session.latest.weights, reference_weights(CONFIG, e))


def test_start_over_and_cancel_after_kill(qtbot, make_window):
    """Cancel leaves the kept run as it is; Start over is a new trainer from step 0, training."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 2)
    kill(qtbot, w)
    w.actions.play.trigger()
    [box] = boxes(w, "crash_question")
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not w.session.alive and w.timeline.epochs() == [0, 1, 2]
    w.actions.play.trigger()
    [box] = boxes(w, "crash_question")
    box.findChild(QPushButton, "start_over").click()
    until(qtbot, lambda: w.session.alive and w.session.state == "training")
    w.actions.play.trigger()                             # pause
    until(qtbot, lambda: w.session.state == "paused")
    latest = w.session.latest
    assert w.timeline.epochs() == list(range(latest.epoch + 1)) and w.curves.n_points == latest.step
    assert same(w.timeline.timeline.at(0).weight_list(), reference_weights(CONFIG, 0))


def test_after_kill_the_notice_says_what_is_kept_and_the_controls_wait_for_the_next_trainer(qtbot, make_window):
    """The notice and the status bar say the trainer stopped and what is kept; an edit in the
    Controls is not an error, and Reset starts a fresh trainer with what the Controls show."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 3)
    kill(qtbot, w)
    [notice] = boxes(w, "error_box")
    for words in ("exited unexpectedly", "The run is kept: epochs 0 to 3 on the timeline", "Press Play",
                  "Reset"):
        assert words in notice.text()
    assert "The run is kept" in w.statusBar().currentMessage()
    w.controls.field_widget("learning_rate").setValue(0.05)
    assert boxes(w, "error_box") == [notice]             # no "the trainer is not running" for an edit
    w.actions.reset.trigger()
    until(qtbot, lambda: w.session.alive and w.session.state == "ready" and w.session.latest is not None
          and w.session.latest.step == 0)
    assert w.session.latest.hyperparameters["learning_rate"] == 0.05
    assert w.session.config == w.controls.config()
    assert w.timeline.epochs() == [0]


def test_continue_from_here_trains_with_what_the_controls_show(qtbot, make_window):
    """The Controls' learning rate, not the checkpoint's: alive and after a kill, and the status bar
    says which value it took."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 3)
    w.controls.field_widget("learning_rate").setValue(0.05)      # live edit at epoch 3
    until(qtbot, lambda: w.session.latest.hyperparameters["learning_rate"] == 0.05)
    w.timeline.scrub(1)                                          # epoch 1 trained at 0.01
    w.timeline_bar.branch_button.click()
    until(qtbot, lambda: w.session.latest.step == w.session.latest.batches_per_epoch
          and w.session.latest.hyperparameters["learning_rate"] == 0.05)
    assert "learning rate 0.05 (it was 0.01 then)" in w.statusBar().currentMessage()
    step_epochs(qtbot, w, 1)
    kill(qtbot, w)
    w.controls.field_widget("learning_rate").setValue(0.02)      # edited while the trainer is gone
    w.timeline.scrub(1)
    w.timeline_bar.branch_button.click()
    until(qtbot, lambda: w.session.alive and w.session.latest is not None
          and w.session.latest.step == w.session.latest.batches_per_epoch
          and w.session.latest.hyperparameters["learning_rate"] == 0.02 and w.session.state == "paused")
    assert "learning rate 0.02 (it was 0.01 then)" in w.statusBar().currentMessage()
    assert w.controls.config().learning_rate == w.session.config.learning_rate == 0.02


def test_play_while_the_new_trainer_starts_trains_from_the_kept_epoch(qtbot, make_window):
    """Play pressed right after Continue from here (the new trainer not up yet) waits for it to
    reach the kept epoch, then trains from there: nothing from its step 0 reaches the run."""
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 3)
    bpe = w.session.latest.batches_per_epoch
    kill(qtbot, w)
    w.timeline.scrub(2)
    w.timeline_bar.branch_button.click()
    assert w.timeline.opening
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.alive and w.session.state == "training" and not w.timeline.opening)
    w.actions.play.trigger()                             # pause
    until(qtbot, lambda: w.session.state == "paused")
    latest = w.session.latest
    assert latest.step > 2 * bpe and w.curves.n_points == latest.step
    assert w.timeline.epochs() == list(range(latest.epoch + 1)) and w.timeline.branches == [2]
    assert same(w.timeline.timeline.at(latest.epoch).weight_list(), reference_weights(CONFIG, latest.epoch))


def test_save_while_the_new_trainer_starts_saves_the_kept_run(qtbot, make_window, tmp_path):
    """File → Save run right after Continue from here (the new trainer not at epoch 2 yet) saves the
    run at epoch 2, not the new trainer's step 0."""
    from core.run.runfile import load_run
    path = str(tmp_path / "run.uncrumple.npz")
    w = started(qtbot, make_window)
    step_epochs(qtbot, w, 3)
    bpe = w.session.latest.batches_per_epoch
    kill(qtbot, w)
    w.timeline.scrub(2)
    w.timeline_bar.branch_button.click()
    assert w.timeline.opening
    with qtbot.waitSignal(w.timeline.saved, timeout=20_000):
        w.run_files.save(path)
    saved = load_run(path)
    assert saved.current.step == 2 * bpe and [c.epoch for c in saved.checkpoints] == [0, 1, 2]
    assert len(saved.curves["batch_steps"]) == 2 * bpe and [e["epoch"] for e in saved.epoch_logs] == [1, 2]
