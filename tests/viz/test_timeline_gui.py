"""The timeline in the window: scrub to epoch k, branch, save and reopen runs, models, recent files."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QStatusBar

from core.analysis import boundary
from core.run.config import TrainingConfig
from core.run.runfile import load_run
from viz.app.status import StatusNumbers

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16, batch_size=16)


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def started(qtbot, make_window, config=CONFIG):
    w = make_window(config, engine="thread")
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    return w


def train_epochs(qtbot, w, n):
    target = w.session.latest.epoch + n
    for _ in range(n):
        e = w.session.latest.epoch
        w.actions.step_epoch.trigger()
        until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused")
    until(qtbot, lambda: w.timeline.epochs()[-1] == target)


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)


def test_every_epoch_is_kept_and_the_bar_shows_it(qtbot, make_window):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 4)
    assert w.timeline.epochs() == [0, 1, 2, 3, 4]
    bar = w.timeline_bar
    assert bar.slider.maximum() == 4 and bar.slider.value() == 4 and bar.slider.isEnabled()
    assert bar.position_label.text() == "epoch 4 (live)"
    assert "MB of" in bar.memory_label.text() and "5 epochs kept" in bar.memory_label.toolTip()
    assert not bar.branch_button.isEnabled()


def test_scrubbing_shows_that_epochs_weights_in_every_view(qtbot, make_window):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 3)
    ckpt1 = w.timeline.timeline.at(1)
    w.timeline_bar.slider.setValue(1)                    # the user drags the scrubber to epoch 1
    assert w.timeline.position == 1
    assert w.timeline_bar.position_label.text() == "epoch 1 of 3"
    assert w.timeline_bar.branch_button.isEnabled()
    # the decision boundary shows epoch 1's network
    model = w.timeline.local_model()
    model.set_weights(ckpt1.weight_list())
    run = w.session.run
    plane = boundary.input_plane(run.x_train)
    expect = boundary.decision_grid(model, plane, w.session.latest_full.boundary.extent, 16)
    np.testing.assert_array_equal(w.boundary._boundary.grid, expect)
    # the curves mark epoch 1
    marks = w.curves._epoch_marks
    assert marks[0].isVisible() and marks[0].value() == 1
    # live snapshots (a paused step) do not move the picture off epoch 1
    grid_before = np.array(w.boundary._boundary.grid)
    w.actions.step_batch.trigger()
    until(qtbot, lambda: w.session.latest.step == 3 * w.session.latest.batches_per_epoch + 1)
    np.testing.assert_array_equal(w.boundary._boundary.grid, grid_before)
    # End goes back to the live run
    w.timeline.go_live()
    assert w.timeline.position is None and not marks[0].isVisible()
    assert w.timeline_bar.position_label.text() == "epoch 3 (live)"


def test_keys_step_through_epochs(qtbot, make_window):
    w = started(qtbot, make_window)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    train_epochs(qtbot, w, 3)
    w.dock_curves.setFocus()                             # not a text field, which would take "["
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)
    assert w.timeline.position == 2
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)
    assert w.timeline.position == 1
    qtbot.keyClick(w, Qt.Key.Key_BracketRight)
    assert w.timeline.position == 2
    qtbot.keyClick(w, Qt.Key.Key_End)
    assert w.timeline.position is None


def test_continue_from_here_branches(qtbot, make_window):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 4)
    bpe = w.session.latest.batches_per_epoch
    w.timeline.scrub(2)
    w.timeline_bar.branch_button.click()
    until(qtbot, lambda: w.session.latest.epoch == 2 and w.session.latest.step == 2 * bpe)
    assert w.timeline.epochs() == [0, 1, 2] and w.timeline.branches == [2]
    assert w.curves.n_points == 2 * bpe                 # the later batches are gone from the curves
    train_epochs(qtbot, w, 1)
    assert w.timeline.epochs() == [0, 1, 2, 3]
    assert [e["epoch"] for e in w.timeline.epoch_logs] == [1, 2, 3]


def test_a_run_whose_trainer_crashed_can_be_saved_and_reset_writes_nothing(qtbot, make_window, tmp_path):
    """Issue 17, item 1: after a crash, Save run said only "the trainer is not running", and the next
    Reset wrote epoch 0 over the earlier save. Now the run kept on screen is saved, and Reset writes
    nothing."""
    import os
    import signal
    path = str(tmp_path / "run.uncrumple.npz")
    w = make_window(CONFIG, engine="process")
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    train_epochs(qtbot, w, 2)
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        w.timeline.save(path)
    assert load_run(path).current.epoch == 2
    w.actions.speed.setCurrentIndex(w.actions.speed.count() - 1)      # flat out
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "training" and w.timeline.epochs()[-1] >= 5)
    with qtbot.waitSignal(w.session.error, timeout=20_000):
        os.kill(w.session.worker.pid, signal.SIGKILL)          # mid-epoch, while training
    last = w.timeline.epochs()[-1]
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        w.timeline.save(path)                                  # what is kept: the newest kept epoch
    kept = load_run(path)
    assert kept.current.epoch == last and kept.current.step == last * w.session.latest.batches_per_epoch
    assert len(kept.curves["batch_steps"]) == kept.current.step          # the curves up to it, no further
    assert [e["epoch"] for e in kept.epoch_logs] == list(range(1, last + 1))
    before = os.stat(path).st_mtime_ns
    w.actions.reset.trigger()                                  # a new trainer: nothing is written
    until(qtbot, lambda: w.session.alive and w.session.state == "ready" and w.session.latest.step == 0)
    qtbot.wait(300)
    assert os.stat(path).st_mtime_ns == before and load_run(path).current.epoch == last


def test_scrub_while_training_pauses(qtbot, make_window):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 2)
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "training")
    w.timeline.scrub(1)
    until(qtbot, lambda: w.session.state == "paused")
    assert w.timeline.position == 1


def test_save_then_open_restores_the_run_and_continues_identically(qtbot, make_window, tmp_path):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 3)
    for _ in range(2):
        s = w.session.latest.step
        w.actions.step_batch.trigger()
        until(qtbot, lambda: w.session.latest.step == s + 1)
    path = str(tmp_path / "spiral.uncrumple.npz")
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        assert w.run_files.save(path)
    saved = load_run(path)
    assert saved.current.step == w.session.latest.step and len(saved.checkpoints) == 4
    assert len(saved.curves["batch_losses"]) == w.curves.n_points
    # the uninterrupted run goes on by one epoch
    train_epochs(qtbot, w, 1)
    expect_weights = [np.array(a) for a in w.session.latest.weights]
    expect_step = w.session.latest.step

    other = started(qtbot, make_window, TrainingConfig())      # another run entirely
    assert other.run_files.open(path)
    until(qtbot, lambda: other.session.latest is not None and other.session.latest.step == saved.current.step)
    assert other.session.config == CONFIG and other.controls.config() == CONFIG
    assert other.timeline.epochs() == [0, 1, 2, 3]
    assert other.curves.n_points == len(saved.curves["batch_losses"])
    assert same(other.session.latest.weights, saved.current.weight_list())
    train_epochs(qtbot, other, 1)
    until(qtbot, lambda: other.session.latest.step == expect_step)
    assert same(other.session.latest.weights, expect_weights)      # bit-identical continuation
    assert path in other.run_files.recent()[0]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_a_bad_run_file_leaves_the_current_run_untouched(qtbot, make_window, tmp_path, content):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 2)
    before = (w.session.latest.step, w.timeline.epochs(), w.session.worker)
    bad = tmp_path / "bad.uncrumple.npz"
    bad.write_bytes(content)
    with qtbot.waitSignal(w.timeline.failed, timeout=5000) as sig:
        assert not w.run_files.open(str(bad))
    assert "bad.uncrumple.npz" in sig.args[0]
    assert (w.session.latest.step, w.timeline.epochs(), w.session.worker) == before
    assert "Error" in w.statusBar().currentMessage()


def test_save_and_load_model(qtbot, make_window, tmp_path):
    from core import load_model
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 2)
    path = str(tmp_path / "m.npz")
    assert w.run_files.save_model_file(path)
    model = load_model(path)
    assert same(model.get_weights(), w.session.latest.weights)
    trained = [np.array(a) for a in w.session.latest.weights]
    w.actions.reset.trigger()
    until(qtbot, lambda: w.session.latest.step == 0)
    assert w.run_files.load_model_file(path)
    until(qtbot, lambda: same(w.session.latest.weights, trained))
    # another architecture is refused with the shapes named
    other = started(qtbot, make_window, CONFIG.replace(hidden=((3, "relu"),)))
    assert not other.run_files.load_model_file(path)
    assert "weight shapes" in other.statusBar().currentMessage()


def test_no_stray_tab_bar_floats_over_the_views_after_a_restored_layout(qtbot, make_window):
    """Qt's restoreState leaves old dock tab bars visible mid-window; the window hides them."""
    from PySide6.QtWidgets import QTabBar
    from viz.app.layout.dock_layout import hide_stray_tab_bars
    first = make_window(CONFIG, engine="thread")
    first.resize(1280, 800)
    first.show()
    qtbot.waitExposed(first)
    first.workspace_bar.actions_by_name["uncrumple"].trigger()
    first.close()                                        # its layouts go to the settings
    w = make_window(None, engine="thread")
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None)
    qtbot.wait(50)
    bars = [b for b in w.findChildren(QTabBar) if b.parentWidget() is w and b.isVisible() and b.count()]
    assert w.dock_layout.workspace == "uncrumple"
    assert len(bars) == 1                                # under the one group of tabbed views
    assert {bars[0].tabText(i) for i in range(bars[0].count())} == {"Separability", "Neuron", "Lab"}
    assert hide_stray_tab_bars(w) == 0


# ---- the keyboard stays the window's; the handle and the status bar follow the epoch shown -----------
def shown_active(qtbot, w):
    w.resize(1280, 800)                                  # the whole timeline bar on screen
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)


def key(qtbot, w, k):
    """Type ``k`` as a user would: to the widget that has the keyboard (or the window)."""
    qtbot.keyClick(QApplication.focusWidget() or w, k)


def space_plays_and_pauses(qtbot, w):
    key(qtbot, w, Qt.Key.Key_Space)
    until(qtbot, lambda: w.session.state == "training")
    key(qtbot, w, Qt.Key.Key_Space)
    until(qtbot, lambda: w.session.state == "paused" and w.timeline.position is None)


def test_space_and_arrows_work_after_every_timeline_control(qtbot, make_window):
    w = started(qtbot, make_window)
    shown_active(qtbot, w)
    train_epochs(qtbot, w, 3)
    bar = w.timeline_bar
    # Continue from here: the button disables itself; the keyboard must not land in the memory box
    w.timeline.scrub(2)
    qtbot.mouseClick(bar.branch_button, Qt.MouseButton.LeftButton)
    until(qtbot, lambda: w.session.latest.epoch == 2 and w.session.state == "paused")
    assert not bar.budget.hasFocus() and not bar.branch_button.hasFocus()
    e = w.session.latest.epoch
    key(qtbot, w, Qt.Key.Key_Right)                      # step one epoch
    until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused")
    space_plays_and_pauses(qtbot, w)
    # Live
    w.timeline.scrub(1)
    qtbot.mouseClick(bar.live_button, Qt.MouseButton.LeftButton)
    assert w.timeline.position is None and not bar.live_button.hasFocus()
    space_plays_and_pauses(qtbot, w)
    # the slider
    qtbot.mouseClick(bar.slider, Qt.MouseButton.LeftButton)
    assert not bar.slider.hasFocus()
    w.timeline.go_live()
    space_plays_and_pauses(qtbot, w)
    # the memory box: Space while editing it is still Play; Return gives the keyboard back
    budget = bar.budget
    qtbot.mouseClick(budget.lineEdit(), Qt.MouseButton.LeftButton)
    assert budget.hasFocus()
    before = budget.text()
    space_plays_and_pauses(qtbot, w)
    assert budget.text() == before                       # not blanked by the Space
    budget.selectAll()
    qtbot.keyClicks(budget, "512")
    key(qtbot, w, Qt.Key.Key_Return)
    assert budget.value() == 512 and not budget.hasFocus()
    space_plays_and_pauses(qtbot, w)


def test_live_moves_the_handle_and_resumes_the_training_a_scrub_paused(qtbot, make_window):
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 3)
    bar = w.timeline_bar
    bar.slider.setValue(1)
    assert w.timeline.position == 1 and bar.slider.value() == 1
    bar.live_button.click()
    assert bar.slider.value() == bar.slider.maximum() == 3      # the handle is back at the newest epoch
    assert w.session.state == "paused"                          # it was paused before: it stays so
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "training")
    w.timeline.scrub(1)                                         # pauses the run
    until(qtbot, lambda: w.session.state == "paused")
    assert bar.slider.value() == 1
    bar.live_button.click()
    until(qtbot, lambda: w.session.state == "training")         # training goes on
    newest = w.timeline.epochs()[-1]
    until(qtbot, lambda: w.timeline.epochs()[-1] >= newest + 2)
    assert w.timeline.position is None
    assert bar.slider.value() == bar.slider.maximum() == len(w.timeline.epochs()) - 1   # the handle follows
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "paused")


def test_the_status_bar_shows_the_figures_of_the_epoch_the_views_show(qtbot, make_window):
    w = started(qtbot, make_window)
    status = StatusNumbers(QStatusBar(w), parent=w)     # the window's own, beside its status bar
    status.follow(w.session, w.timeline)
    labels = status.labels
    train_epochs(qtbot, w, 3)
    bpe = w.session.latest.batches_per_epoch
    until(qtbot, lambda: labels["epoch"].text() == "epoch 3")
    logs = {e["epoch"]: e for e in w.timeline.epoch_logs}
    assert f"{logs[3]['loss']:.4g}" in labels["loss"].text()
    w.timeline_bar.slider.setValue(1)                           # the views show epoch 1
    log = logs[1]
    assert labels["epoch"].text() == "epoch 1 (timeline)"
    assert labels["step"].text() == f"step {bpe}"
    assert labels["loss"].text() == f"loss {log['loss']:.4g} (val {log['val_loss']:.4g})"
    assert labels["accuracy"].text() == (f"accuracy {100 * log['accuracy']:.1f}% "
                                         f"(val {100 * log['val_accuracy']:.1f}%)")
    # a live batch stepped while epoch 1 is shown does not change the figures
    s = w.session.latest.step
    w.actions.step_batch.trigger()
    until(qtbot, lambda: w.session.latest.step == s + 1)
    qtbot.wait(50)
    assert labels["epoch"].text() == "epoch 1 (timeline)" and labels["step"].text() == f"step {bpe}"
    w.timeline_bar.slider.setValue(0)                           # epoch 0: nothing logged yet
    assert labels["epoch"].text() == "epoch 0 (timeline)" and labels["loss"].text() == "loss –"
    w.timeline_bar.live_button.click()                          # back to the live figures
    assert labels["epoch"].text() == "epoch 3"
    assert labels["step"].text() == f"step {3 * bpe + 1}"
    assert labels["loss"].text() == f"loss {logs[3]['loss']:.4g} (val {logs[3]['val_loss']:.4g})"


def test_the_previous_runs_epochs_never_reach_a_new_trainer_of_another_network(qtbot, make_window, tmp_path):
    """Issue 17 (the monkey's "checkpoint's weights have shapes" box): a preset or another architecture
    starts a new trainer; before its first snapshot the timeline still holds the run before. Continue
    from here and Load model sent that run's checkpoint to the new trainer, which refused it with an
    error box. Now they say in the status bar that a new run is starting, and send nothing."""
    w = started(qtbot, make_window)
    train_epochs(qtbot, w, 2)
    model_path = str(tmp_path / "m.npz")
    assert w.run_files.save_model_file(model_path)
    w.timeline_bar.slider.setValue(1)                           # scrubbed to epoch 1
    errors = []
    w.session.error.connect(errors.append)
    other = CONFIG.replace(hidden=((3, "relu"),))
    w.start_config(other)                                       # a new trainer, of another network
    assert w.session.state == "starting" and w.timeline.epochs() == [0, 1, 2]
    w.timeline_bar.branch_button.click()                        # Continue from here on the old epoch 1
    assert "A new run is starting" in w.statusBar().currentMessage()
    assert w.timeline.epochs() == [0, 1, 2]                     # nothing dropped
    assert not w.run_files.load_model_file(model_path)          # the old run's weights
    assert "A new run is starting" in w.statusBar().currentMessage()
    run_path = str(tmp_path / "run.npz")
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        w.timeline.save(run_path)                               # saves the run on screen, whole
    saved = load_run(run_path)
    assert saved.config.hidden == CONFIG.hidden and saved.current.epoch == 2
    until(qtbot, lambda: w.session.state == "ready" and w.session.run.config.hidden == other.hidden)
    assert w.timeline.epochs() == [0]
    w.actions.step_batch.trigger()                              # the trainer answers in order: an error
    until(qtbot, lambda: w.session.latest.step == 1)            # from a restore would have come first
    assert errors == [] and not w.findChildren(QMessageBox)
    # the new run's own state is what Load model now starts from; another network's file is refused
    assert w.timeline.checkpoint.shapes != load_run(run_path).current.shapes
    assert not w.run_files.load_model_file(model_path)
    assert "weight shapes" in w.statusBar().currentMessage()
