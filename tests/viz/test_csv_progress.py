"""A big CSV file read by the trainer: the window's progress dialog, Cancel, and the run kept (issue 17)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar, QPushButton

from core.run.config import TrainingConfig

from viz.app.data_progress import DataProgress
from tests.viz.app_support import ready, until

ROWS = 5_000_000


def write_big_csv(path, rows: int = ROWS) -> str:
    """A CSV file of ``rows`` rows (two features, labels 0/1), written in a blink."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    block = "".join(f"{a:.3f},{b:.3f},{c}\n" for (a, b), c in zip(x, y))
    with open(path, "w") as fh:
        fh.write("x1,x2,label\n")
        for _ in range(rows // 1000):
            fh.write(block)
    return str(path)


def progress_of(window) -> DataProgress:
    """The window's progress dialog keeper (made here while the main window does not make one)."""
    return getattr(window, "data_progress", None) or DataProgress(window, window.session)


def shown_dialog(qtbot, progress):
    until(qtbot, lambda: progress.dialog is not None and progress.dialog.isVisible()
          and "rows" in progress.dialog.labelText(), timeout=30_000)
    return progress.dialog


def click_cancel(qtbot, dialog):
    button = dialog.findChild(QPushButton)
    assert button is not None and button.text() == "Cancel"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_cancel_keeps_the_run_there_was(qtbot, make_window, tmp_path, procs):
    w = make_window(TrainingConfig(n_samples=200, grid_resolution=16))
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    ready(qtbot, w)
    progress = progress_of(w)
    w.session.step_epoch()
    until(qtbot, lambda: w.session.latest.epoch == 1 and w.session.state == "paused")
    before, pid, run = w.session.config, w.session.worker.pid, w.session.run
    step, kept = w.session.latest.step, w.timeline.timeline.epochs()
    assert kept == [0, 1]

    path = write_big_csv(tmp_path / "data.csv")
    w.start_config(before.replace(csv_path=path, n_samples=500))
    dialog = shown_dialog(qtbot, progress)
    text = dialog.labelText()
    assert text.startswith("Reading data.csv… ") and text.endswith(f" of about {ROWS:,} rows"), text
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    bar = dialog.findChild(QProgressBar)
    assert 0 < bar.value() < bar.maximum()
    click_cancel(qtbot, dialog)

    until(qtbot, lambda: w.statusBar().currentMessage() == "Loading data.csv was cancelled.")
    until(qtbot, lambda: w.session.state == "paused")
    assert progress.dialog is None
    assert w.session.worker.pid == pid and w.session.run is run, "the same trainer and run go on"
    assert w.session.latest.step == step and w.session.latest.epoch == 1
    assert w.session.config == before and w.controls.config().csv_path is None, "the controls show that run"
    assert w.timeline.timeline.epochs() == kept, "the timeline keeps its epochs"
    until(qtbot, lambda: len(procs.trainer_children()) == 1)   # the reading trainer is gone
    w.session.step_batch()                                     # and the app is usable
    until(qtbot, lambda: w.session.latest.step == step + 1)


def test_cancel_with_no_run_before_leaves_a_clean_state(qtbot, make_window, tmp_path):
    # no run before: the first one could not start (its file is missing); then a big file is picked
    w = make_window(TrainingConfig(csv_path=str(tmp_path / "moved.csv"), grid_resolution=16))
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.state == "stopped" and "not found" in w.session.message)
    progress = progress_of(w)
    path = write_big_csv(tmp_path / "data.csv")
    w.start_config(w.session.config.replace(csv_path=path, n_samples=500))
    click_cancel(qtbot, shown_dialog(qtbot, progress))
    until(qtbot, lambda: w.session.state == "stopped")
    assert w.session.message == "Loading data.csv was cancelled"
    assert w.statusBar().currentMessage() == "Loading data.csv was cancelled."
    assert progress.dialog is None and not w.actions.play.isEnabled()
    w.new_run()                                # another data set starts as usual
    ready(qtbot, w)
    w.session.step_batch()
    until(qtbot, lambda: w.session.latest.step == 1)
