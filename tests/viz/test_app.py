"""The main window: wiring, transport, edits, errors, docks, files, help and settings
(leaks, responsiveness and the entry point: test_app_lifetime.py)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from core.run.config import TrainingConfig
from viz.app import settings as st
from app_support import ready, until

NAN_CONFIG = TrainingConfig(optimizer="sgd", learning_rate=10.0, hidden=((8, "linear"),), grid_resolution=16)


# ---- the window ---------------------------------------------------------------------------------
def test_first_launch_is_the_spiral_and_one_click_trains(qtbot, make_window):
    w = make_window(None)
    assert w.windowTitle() == "Uncrumple"
    assert w.session.config == TrainingConfig()
    ready(qtbot, w)
    assert w.actions.play.isEnabled()
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "training" and w.session.latest.step > 20)
    assert w.actions.play.text() == "&Pause"
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "paused")
    until(qtbot, lambda: w.status_labels["state"].text() == "paused")
    assert w.curves.n_points == w.session.latest.step
    assert w.boundary.grid_shape == (64, 64)


def test_transport_actions_step_exactly(qtbot, make_window):
    w = make_window()
    ready(qtbot, w)
    w.actions.step_batch.trigger()
    until(qtbot, lambda: w.session.latest.step == 1)
    w.actions.step_epoch.trigger()
    until(qtbot, lambda: w.session.latest.epoch == 1)
    until(qtbot, lambda: "Epoch 1" in w.actions.counters.text())
    w.actions.reset.trigger()
    until(qtbot, lambda: w.session.latest.step == 0)
    until(qtbot, lambda: w.curves.n_points == 0)


def test_keyboard_drives_the_transport(qtbot, make_window):
    w = make_window()
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    ready(qtbot, w)
    w.dock_curves.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_B)
    until(qtbot, lambda: w.session.latest.step == 1)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    until(qtbot, lambda: w.session.latest.epoch == 1)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    until(qtbot, lambda: w.session.state == "training")
    qtbot.keyClick(w, Qt.Key.Key_Space)
    until(qtbot, lambda: w.session.state == "paused")
    qtbot.keyClick(w, Qt.Key.Key_R)
    until(qtbot, lambda: w.session.latest.step == 0)


def test_shortcuts_are_bound():
    from viz.app.actions import TRANSPORT
    keys = {name: k for name, _, k, _ in TRANSPORT}
    assert keys == {"play": ("Space",), "step_batch": ("Shift+Right", "B"), "step_epoch": ("Right",),
                    "reset": ("R",)}


def test_invalid_controls_disable_play_with_the_reason(qtbot, make_window):
    w = make_window()
    ready(qtbot, w)
    w.controls.field_widget("learning_rate")   # exists
    w._on_validity(False, "Argument `learning_rate` must be > 0. Received: 0.0")
    assert not w.actions.play.isEnabled()
    assert "learning_rate" in w.actions.play.toolTip()
    w._on_validity(True, "")
    assert w.actions.play.isEnabled()


def test_live_edit_goes_to_the_running_trainer(qtbot, make_window):
    w = make_window()
    ready(qtbot, w)
    w.controls.hyperparameter_changed.emit("learning_rate", 0.02)
    w.session.step_batch()
    until(qtbot, lambda: w.session.latest.step == 1)
    assert w.session.latest.hyperparameters["learning_rate"] == pytest.approx(0.02)


def test_structural_edit_before_training_applies_at_once(qtbot, make_window):
    w = make_window()
    ready(qtbot, w)
    pid = w.session.worker.pid
    w.controls.set_config(w.session.config.replace(dataset="moons"))
    until(qtbot, lambda: w.session.config.dataset == "moons" and w.session.state == "ready"
          and w.session.worker.pid != pid)


def test_structural_edit_after_training_asks(qtbot, make_window, monkeypatch):
    w = make_window()
    ready(qtbot, w)
    w.session.step_epoch()
    until(qtbot, lambda: w.session.latest.epoch == 1)
    asked = []
    monkeypatch.setattr(w, "ask_reset", lambda: asked.append(1) or False)
    w.controls.set_config(w.session.config.replace(noise=0.2))
    until(qtbot, lambda: asked)
    assert w._pending_reset and w.session.latest.epoch == 1
    w.controls.set_config(w.session.config.replace(noise=0.3))
    w._apply_edits()
    assert len(asked) == 1, "asked once, not for every edit"
    w.actions.reset.trigger()
    until(qtbot, lambda: w.session.config.noise == 0.3 and w.session.state == "ready")
    assert w.session.latest.step == 0


def test_nan_stop_shows_the_message_and_keeps_the_curves(qtbot, make_window):
    w = make_window(NAN_CONFIG)
    ready(qtbot, w)
    w.actions.play.trigger()
    until(qtbot, lambda: w.session.state == "stopped")
    text = w.status_labels["state"].text()
    assert text.startswith("stopped:") and "loss is nan" in text
    steps = w.session.latest.step
    until(qtbot, lambda: w.curves.n_points == steps)
    assert steps > 10
    with qtbot.assertNotEmitted(w.session.snapshot_ready, wait=200):
        pass
    assert w.curves.n_points == steps
    assert not w.actions.play.isEnabled() and "Reset" in w.actions.play.toolTip()
    assert w.actions.reset.isEnabled() and w.controls.isEnabled()
    w.actions.reset.trigger()
    until(qtbot, lambda: w.session.state == "ready" and w.actions.play.isEnabled())


def test_worker_error_is_shown_once_and_controls_stay_usable(qtbot, make_window):
    w = make_window()
    ready(qtbot, w)
    for _ in range(2):
        with qtbot.waitSignal(w.session.error, timeout=20_000):
            w.session.set_hyperparameter("learning_rate", -1.0)
    boxes = [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()]
    assert len(boxes) == 1 and "learning_rate" in boxes[0].text()
    assert not boxes[0].isModal()
    assert "learning_rate" in w.statusBar().currentMessage()
    boxes[0].close()
    w.session.step_batch()
    until(qtbot, lambda: w.session.latest.step == 1)


def test_a_run_that_cannot_start_says_why_and_a_fix_recovers(qtbot, make_window, tmp_path, fast_config):
    one_class = tmp_path / "one.csv"
    one_class.write_text("x1,x2,label\n" + "".join(f"{i},{i * 2},1\n" for i in range(40)))
    w = make_window(fast_config.replace(csv_path=str(one_class)))
    until(qtbot, lambda: w.session.state == "stopped")
    assert "single class" in w.status_labels["state"].text()
    assert not w.actions.play.isEnabled()
    w.controls.set_config(fast_config)
    until(qtbot, lambda: w.session.state == "ready" and w.actions.play.isEnabled())


def test_docks_can_be_hidden_and_the_layout_reset(qtbot, make_window):
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    assert not any(d.isVisible() for d in w.digit_docks)     # the digits views wait for an MNIST run
    shown = [d for d in w.docks if d.isVisible()]
    assert [d.objectName() for d in shown] == ["dock_controls", "dock_boundary", "dock_curves", "dock_network", "dock_lessons"]
    for dock in shown:
        dock.toggleViewAction().trigger()
    assert not any(d.isVisible() for d in w.docks)
    until(qtbot, lambda: w.dock_layout.empty.isVisible())   # the empty window says how to get them back
    w.dock_layout.empty.button.click()
    assert [d for d in w.docks if d.isVisible()] == shown
    assert not w.dock_layout.empty.isVisible()


def test_save_open_and_export(qtbot, make_window, tmp_path):
    w = make_window()
    ready(qtbot, w)
    path = tmp_path / "run.json"
    assert w.run_files.save_config(str(path))
    assert TrainingConfig.from_json(path.read_text()) == w.controls.config()
    other = w.session.config.replace(dataset="circles")
    path.write_text(other.to_json())
    assert w.run_files.open_config(str(path))
    until(qtbot, lambda: w.session.config == other and w.session.state == "ready")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    QTimer.singleShot(0, lambda: [b.close() for b in QApplication.topLevelWidgets()
                                  if isinstance(b, QMessageBox)])
    assert not w.run_files.open_config(str(bad))
    assert w.session.config == other
    png = tmp_path / "w.png"
    assert w.exports.export_window(str(png)) and png.stat().st_size > 1000


def test_help_dialogs(qtbot, make_window):
    w = make_window()
    w.actions.shortcuts.trigger()
    box = next(b for b in QApplication.topLevelWidgets() if b.objectName() == "shortcuts_box")
    assert "Space" in box.text() and "Step epoch" in box.text()
    box.close()


# ---- settings -----------------------------------------------------------------------------------
def test_settings_round_trip(qtbot, make_window, temp_settings):
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    w.resize(760, 520)
    size = (w.width(), w.height())
    w.dock_curves.hide()
    w.controls.set_config(w.controls.config().replace(dataset="xor"))
    w.close()
    w2 = make_window(None)
    assert w2.session.config.dataset == "xor", "the last configuration is remembered"
    assert (w2.width(), w2.height()) == size
    assert w2.dock_curves.isHidden()


@pytest.mark.parametrize("geometry", [b"garbage", bytes(range(256)) * 4, None])
def test_garbage_settings_give_visible_defaults(qtbot, make_window, temp_settings, geometry):
    temp_settings.setValue(st.KEY_GEOMETRY, QByteArray(geometry) if geometry else "not bytes")
    temp_settings.setValue(st.KEY_STATE, QByteArray(b"\x00\x01junk"))
    temp_settings.setValue(f"{st.KEY_WORKSPACES}/learn/state", QByteArray(b"\x00\x01junk"))
    temp_settings.setValue(f"{st.KEY_WORKSPACES}/learn/version", st.LAYOUT_VERSION)
    temp_settings.setValue(st.KEY_WORKSPACE, "learn")
    temp_settings.setValue(st.KEY_CONFIG, '{"dataset": "nope"')
    temp_settings.setValue(st.KEY_SPEED, "fast")
    temp_settings.sync()
    w = make_window(None)
    assert w.session.config == TrainingConfig()
    assert QGuiApplication.screenAt(w.geometry().center()) is not None
    assert [d.objectName() for d in w.docks if not d.isHidden()] == [
        "dock_controls", "dock_boundary", "dock_curves", "dock_network", "dock_lessons"]     # the Learn workspace


def test_off_screen_geometry_moves_back_onto_a_screen(qtbot, make_window, temp_settings):
    w = make_window()
    w.setGeometry(20_000, 20_000, 640, 480)
    temp_settings.setValue(st.KEY_GEOMETRY, w.saveGeometry())
    temp_settings.sync()
    w2 = make_window(None)
    assert st.on_screen(w2.geometry())
    assert not st.on_screen(w.geometry())


def test_a_nan_stop_is_told_in_a_note_not_only_the_status_bar(qtbot, make_window):
    """Issue 17, item 11: the loss turning NaN stopped training with only a word in the status bar."""
    cfg = TrainingConfig(optimizer="sgd", learning_rate=10.0, hidden=((8, "linear"),), grid_resolution=16)
    w = make_window(cfg, engine="thread")
    ready(qtbot, w)
    w.actions.speed.setCurrentIndex(w.actions.speed.count() - 1)
    w.session.play()
    until(qtbot, lambda: w.session.state == "stopped")
    until(qtbot, lambda: any(b.objectName() == "info_box" and b.isVisible() and b.windowTitle() == "Training stopped"
                             for b in QApplication.topLevelWidgets() + w.findChildren(QMessageBox)))
    box = next(b for b in w.findChildren(QMessageBox) if b.windowTitle() == "Training stopped")
    assert "loss is nan" in box.text().lower() and "learning rate" in box.text()
    box.close()


def test_a_trainer_stopped_by_the_system_is_told_and_its_return_too(qtbot, make_window, monkeypatch):
    """Issue 17, item 11: a trainer stopped with SIGSTOP went unnoticed."""
    import os
    import signal
    from viz.run import session as session_mod
    monkeypatch.setattr(session_mod, "SILENT_S", 1.0)
    w = make_window(engine="process")
    ready(qtbot, w)
    w.session.play()
    until(qtbot, lambda: w.session.state == "training" and w.session.latest.step > 5)
    pid = w.session.worker.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        until(qtbot, lambda: "has not answered" in w.statusBar().currentMessage())
    finally:
        os.kill(pid, signal.SIGCONT)
    until(qtbot, lambda: "answers again" in w.statusBar().currentMessage())
    w.session.pause()
    until(qtbot, lambda: w.session.state == "paused")
