"""Show code (the dialog) and Export (every view as PNG/SVG on white, the history as CSV)."""
from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QDockWidget, QMainWindow, QPushButton

from core.run.codegen import keras_code, pytorch_code
from core.run.config import TrainingConfig
from viz.app.code_dialog import CodeDialog, show_code
from viz.export.export_all import export_all_views, export_history_csv, slug, view_docks

CONFIG = TrainingConfig(hidden=((6, "relu"), (4, "tanh")), l2=0.001, dropout=0.1, optimizer="rmsprop")


# ---- the code dialog ----------------------------------------------------------------------------
def test_dialog_shows_both_scripts_and_copies_the_shown_one(qtbot):
    d = CodeDialog(CONFIG, 2, 2)
    qtbot.addWidget(d)
    assert d.code("Keras") == keras_code(CONFIG, 2, 2)
    assert d.code("PyTorch") == pytorch_code(CONFIG, 2, 2)
    assert d.current_title() == "Keras" and d.editors["Keras"].isReadOnly()
    d.copy_button.click()
    assert QGuiApplication.clipboard().text() == keras_code(CONFIG, 2, 2)
    assert d.status.text() == f"Copied {len(keras_code(CONFIG, 2, 2).splitlines())} lines"
    d.show_tab("PyTorch")
    assert d.status.text() == ""
    d.copy_button.click()
    assert QGuiApplication.clipboard().text() == pytorch_code(CONFIG, 2, 2)


def test_every_control_has_a_tooltip(qtbot):
    d = CodeDialog(CONFIG, 2, 2)
    qtbot.addWidget(d)
    for b in d.findChildren(QPushButton):
        assert b.toolTip(), b.text()
    assert all(e.toolTip() for e in d.editors.values()) and d.tabs.toolTip()


def test_save_writes_the_shown_script(qtbot, tmp_path, monkeypatch):
    d = CodeDialog(CONFIG, 3, 2)
    qtbot.addWidget(d)
    d.show_tab("PyTorch")
    target = tmp_path / "run"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), "Python script (*.py)"))
    assert d.save_as()
    assert (tmp_path / "run.py").read_text(encoding="utf-8") == pytorch_code(CONFIG, 3, 2)
    assert d.status.text() == f"Saved {target}.py"
    assert not d.save(str(tmp_path / "missing" / "x.py"))
    assert d.status.text().startswith("Could not save")
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: ("", ""))
    assert not d.save_as()


def test_an_impossible_config_says_why(qtbot):
    d = CodeDialog(TrainingConfig(), 2, 3)     # binary crossentropy with three classes
    qtbot.addWidget(d)
    assert "is for two classes" in d.code("Keras")
    assert not d.copy_button.isEnabled() and not d.save_button.isEnabled()
    d.set_config(TrainingConfig(loss="sparse_categorical_crossentropy"), 2, 3)
    assert d.copy_button.isEnabled() and 'layers.Dense(3, activation="softmax")' in d.code("Keras")


def test_show_code_is_non_modal_and_reused(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    d = show_code(window, CONFIG, 2, 2)
    assert isinstance(d, CodeDialog) and d.isVisible() and not d.isModal()
    again = show_code(window, CONFIG.replace(optimizer="sgd"), 2, 2)
    assert again is d
    assert "keras.optimizers.SGD(learning_rate=0.01" in d.code("Keras")
    d.close()


# ---- export every view --------------------------------------------------------------------------
def _white(rgb: int) -> bool:
    return all(((rgb >> s) & 0xFF) >= 245 for s in (0, 8, 16))


def _front(window):
    return {d.objectName() for d in view_docks(window) if d.isVisible() and not d.visibleRegion().isEmpty()}


def test_export_all_views_on_white(qtbot, make_window, tmp_path):
    w = make_window(TrainingConfig(n_samples=120, grid_resolution=16), engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=20_000)
    w.session.step_epoch()
    qtbot.waitUntil(lambda: w.session.latest.epoch == 1 and w.session.state != "training", timeout=20_000)
    w.dock_layout.show_workspace("uncrumple")
    lab = w.dock_layout.dock("dock_layer_lab")
    lab.raise_()        # a tab other than the first in front, to be put back after the export
    qtbot.waitUntil(lambda: "dock_layer_lab" in _front(w))
    closed = w.dock_layout.dock("dock_stage_player")
    closed.close()
    qtbot.waitUntil(lambda: not closed.isVisible())
    front = _front(w)
    assert front == {"dock_layers", "dock_layer_lab"}
    # the views open in this workspace only
    opened = {os.path.basename(p) for p in export_all_views(w, str(tmp_path / "open"), formats=("png",))}
    assert opened == {"layers.png", "separability.png", "neuron-inspector.png", "layer-lab.png"}
    # File > Export all views: every view of every workspace that suits the run, each drawn in its workspace
    paths = w.exports.export_views(str(tmp_path / "views"))
    docks = [d for d in view_docks(w) if w.dock_layout.suits_run(d)]
    names = [slug(d.property("fullTitle") or d.windowTitle()) for d in docks]
    assert "dock_controls" not in {d.objectName() for d in docks}
    # a view with thousands of scatter points (the layers: 10 panels of points) is written as PNG only
    dense = {slug(note.split(": PNG (")[0]) for note in paths.notes}
    assert "layers" in dense and all("points are too many for SVG" in note for note in paths.notes)
    assert sorted(os.path.basename(p) for p in paths) == sorted(f"{n}.{e}" for n in names for e in ("png", "svg")
                                                                if e == "png" or n not in dense)
    assert "loss-surface.png" in {os.path.basename(p) for p in paths}
    for p in paths:
        if p.endswith(".png"):
            img = QImage(p)
            assert img.width() >= 200 and img.height() >= 200, (p, img.size())
            corners = [img.pixel(x, y) for x in (0, img.width() - 1) for y in (0, img.height() - 1)]
            assert sum(map(_white, corners)) >= 3, (p, [hex(c) for c in corners])
            assert img.width() < 4000 and img.height() < 4000
        else:
            root = ET.parse(p).getroot()
            assert root.tag.endswith("svg")
    # the window is as it was: same workspace, same tabs in front, the closed dock closed again
    assert w.dock_layout.workspace == "uncrumple" and _front(w) == front
    assert not closed.isVisible() and not closed.toggleViewAction().isChecked()


def test_export_all_rejects_unknown_formats(qtbot, tmp_path):
    window = QMainWindow()
    qtbot.addWidget(window)
    with pytest.raises(ValueError, match="formats"):
        export_all_views(window, str(tmp_path), formats=("jpg",))


def test_export_all_of_a_plain_window(qtbot, tmp_path):
    window = QMainWindow()
    qtbot.addWidget(window)
    for title in ("Loss surface", "Loss surface"):
        dock = QDockWidget(title, window)
        dock.setWidget(QPushButton("a view"))
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)
    paths = export_all_views(window, str(tmp_path), formats=("png",))
    assert [os.path.basename(p) for p in paths] == ["loss-surface.png", "loss-surface-2.png"]


# ---- history CSV --------------------------------------------------------------------------------
def test_history_csv(tmp_path):
    epochs = [{"epoch": 1, "loss": 0.75, "accuracy": 0.5, "val_loss": 0.8, "val_accuracy": 0.25, "stats": {}},
              {"epoch": 2, "loss": float("nan"), "accuracy": 0.625}]
    steps = np.arange(1, 5)
    losses = np.array([0.9, 0.8, 0.7, 0.1], dtype=np.float32)
    accs = np.array([0.5, 0.5, 1.0, np.nan], dtype=np.float32)
    paths = export_history_csv(str(tmp_path / "history.csv"), epochs, steps, losses, accs)
    assert paths == [str(tmp_path / "history.csv"), str(tmp_path / "history-batches.csv")]
    with open(paths[0], newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["epoch", "loss", "accuracy", "val_loss", "val_accuracy"],
                    ["1", "0.75", "0.5", "0.8", "0.25"],
                    ["2", "nan", "0.625", "", ""]]
    with open(paths[1], newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", "loss", "accuracy", "batches"]
    assert rows[1] == ["1", "0.9", "0.5", "1"] and rows[4] == ["4", "0.1", "nan", "1"]
    assert float(rows[2][1]) == pytest.approx(0.8)


def test_history_csv_says_how_many_updates_an_old_row_averages(tmp_path):
    """Past the curves' exact window a batch row is the mean of the updates since the row before it."""
    steps = np.array([64, 128, 129, 130])
    losses = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32)
    paths = export_history_csv(str(tmp_path / "h.csv"), [], steps, losses, [])
    with open(paths[1], newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[3] for r in rows[1:]] == ["64", "64", "1", "1"]


def test_history_csv_without_batches_and_with_bad_lengths(tmp_path):
    assert export_history_csv(str(tmp_path / "h.csv"), []) == [str(tmp_path / "h.csv")]
    assert (tmp_path / "h.csv").read_text().strip() == "epoch,loss,accuracy,val_loss,val_accuracy"
    with pytest.raises(ValueError, match="same length"):
        export_history_csv(str(tmp_path / "h.csv"), [], [1, 2], [0.5])


def test_export_all_views_reports_progress_and_can_be_cancelled(qtbot, tmp_path):
    from viz.app.main import create_window
    from viz.export.export_all import export_all_views, view_docks
    w = create_window(TrainingConfig(n_samples=100, grid_resolution=8), engine="thread")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    seen = []

    def progress(done, total, title):
        seen.append((done, total, title))
        return done < 2                                  # the user cancels at the third view

    try:
        paths = export_all_views(w, str(tmp_path), formats=("png",), progress=progress)
        open_docks = [d for d in view_docks(w) if d.toggleViewAction().isChecked()]
        assert len(paths) == 2 and [s[0] for s in seen] == [0, 1, 2]
        assert seen[0][1] == len(open_docks) and seen[0][2] in {d.property("fullTitle") for d in open_docks}
    finally:
        w.close()
