"""Issue 20 (regression), the window around it: the Task choice in Controls, the curves' mean absolute
error, the status bar, the workspaces (the fitted curve or surface where a classifier's boundary is),
and save / open / Show code / New run / Reset / the timeline on a regression run, with the real trainer."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QFileDialog

from core.run.config import REGRESSION_LOSSES, TrainingConfig, dataset_names
from core.run.runfile import load_run
from viz.app.layout import docks as registry
from viz.app.layout import workspaces as ws
from viz.panels.architecture import select_data
from viz.panels.controls import ControlsPanel
from app_support import until
from fit import misfits

SINE = TrainingConfig(task="regression", dataset="sine", loss="mse", n_samples=120, batch_size=16,
                      hidden=((8, "tanh"),), grid_resolution=16)
BUMPS = SINE.replace(dataset="bumps", n_samples=150)


def items(combo) -> list:
    return [combo.itemData(i) for i in range(combo.count())]


def started(qtbot, make_window, config):
    w = make_window(config, engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    return w


def train_epochs(qtbot, w, n):
    for _ in range(n):
        e = w.session.latest.epoch
        w.actions.step_epoch.trigger()
        until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused", timeout=60_000)
    until(qtbot, lambda: w.timeline.epochs()[-1] == w.session.latest.epoch)


def settle(qtbot, w):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(50)
    w.session.redrawer.request()
    qtbot.wait(200)


def shown(w) -> set:
    return {d.objectName() for d in w.docks if d.isVisible()}


# ---- Controls ---------------------------------------------------------------------------------------
def test_the_task_choice_lists_each_tasks_data_sets_and_losses_and_keeps_the_rest(qtbot):
    panel = ControlsPanel(TrainingConfig(learning_rate=0.02, seed=5, hidden=((6, "relu"),)))
    qtbot.addWidget(panel)
    w = panel.widgets
    assert items(w["task"]) == ["classification", "regression"]
    assert all(w["task"].itemData(i, 3) for i in range(2)), "each task has a tooltip"   # Qt.ToolTipRole
    assert w["task"].toolTip()
    select_data(w["task"], "regression")                       # the user picks Regression
    cfg = panel.config()
    assert (cfg.task, cfg.dataset, cfg.loss) == ("regression", "sine", "mse") and panel.is_valid()
    assert (cfg.learning_rate, cfg.seed, cfg.hidden) == (0.02, 5, ((6, "relu"),))
    assert items(w["dataset"])[:-1] == dataset_names("regression") and "spiral" not in items(w["dataset"])
    assert items(w["loss"]) == list(REGRESSION_LOSSES)
    assert panel.architecture.shape_label.text() == "1 input → 6 relu → 1 linear"
    select_data(w["dataset"], "bumps")
    select_data(w["loss"], "huber")
    assert panel.architecture.shape_label.text() == "2 inputs → 6 relu → 1 linear"
    select_data(w["task"], "classification")                   # back: the classifier's choices return
    cfg = panel.config()
    assert (cfg.task, cfg.dataset, cfg.loss) == ("classification", "spiral", "binary_crossentropy")
    assert "mnist" in items(w["dataset"]) and "bumps" not in items(w["dataset"]) and panel.is_valid()
    assert panel.architecture.shape_label.text().endswith("→ 1 sigmoid")
    select_data(w["task"], "regression")                       # and the regression ones too
    assert (panel.config().dataset, panel.config().loss) == ("bumps", "huber")


def test_set_config_shows_a_regression_config_and_an_old_one_as_classification(qtbot):
    panel = ControlsPanel()
    qtbot.addWidget(panel)
    panel.set_config(BUMPS.replace(loss="mae"))
    assert panel.config() == BUMPS.replace(loss="mae")
    assert panel.widgets["task"].currentText() == "Regression" and panel.widgets["loss"].currentText() == "mae"
    panel.set_config(TrainingConfig(dataset="moons"))
    assert panel.config() == TrainingConfig(dataset="moons") and panel.widgets["task"].currentText() == "Classification"


def test_a_csv_of_real_valued_targets_switches_to_regression_and_says_so(qtbot, make_window, tmp_path, monkeypatch):
    path = tmp_path / "heights.csv"
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(60, 2))
    path.write_text("a,b,target\n" + "".join(f"{a:.4f},{b:.4f},{a * 2 + b:.4f}\n" for a, b in x))
    w = started(qtbot, make_window, TrainingConfig(n_samples=100, grid_resolution=16))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    w.controls.browse_button.click()                           # the user opens the file
    cfg = w.controls.config()
    assert cfg.task == "regression" and cfg.csv_path == str(path) and cfg.loss in REGRESSION_LOSSES
    assert w.controls.widgets["task"].currentText() == "Regression" and w.controls.is_valid()
    assert "heights.csv" in w.statusBar().currentMessage() and "Regression" in w.statusBar().currentMessage()
    labels = tmp_path / "classes.csv"                          # whole-number labels stay a classification
    labels.write_text("a,b,label\n" + "".join(f"{a:.4f},{b:.4f},{int(a > 0)}\n" for a, b in x))
    w.controls.set_config(TrainingConfig(n_samples=100))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(labels), "")))
    w.controls.browse_button.click()
    assert w.controls.config().task == "classification" and w.controls.config().csv_path == str(labels)
    w.controls.widgets["csv_path"].setText(str(path))          # a path typed in does the same
    w.controls.widgets["csv_path"].editingFinished.emit()
    assert w.controls.config().task == "regression" and w.controls.config().csv_path == str(path)


def test_the_presets_menu_lists_the_regression_presets_and_they_start_a_regression_run(qtbot, make_window):
    w = started(qtbot, make_window, TrainingConfig(n_samples=100, grid_resolution=16))
    assert {"regression-sine", "regression-bumps"} <= set(w.preset_actions)
    w.preset_actions["regression-sine"].trigger()
    until(qtbot, lambda: w.session.run is not None and w.session.run.is_regression)
    assert w.controls.config().task == "regression" and w.controls.widgets["task"].currentText() == "Regression"
    assert "dock_fit_curve" in shown(w) and "dock_boundary" not in shown(w)


# ---- Curves and the status bar ----------------------------------------------------------------------
def test_a_regression_runs_curves_show_the_mean_absolute_error_from_zero_without_chance(qtbot, make_window):
    w = started(qtbot, make_window, SINE)
    train_epochs(qtbot, w, 3)
    settle(qtbot, w)
    c = w.curves
    assert c.metric == "mae" and c.metric_title == "Mean absolute error"
    axis = c.accuracy_plot.getAxis("left")
    assert axis.labelText in ("mean absolute error", "MAE") and "absolute error" in c.graphics_accuracy.toolTip()
    assert axis.label.boundingRect().width() <= axis.height(), "the axis title is not cut"
    assert not c.chance_line.isVisible()
    logs = w.timeline.epoch_logs
    x, y = c.epoch_accuracy_curve.getData()
    np.testing.assert_allclose(y, [log["mae"] for log in logs], rtol=1e-6)
    _, yv = c.epoch_val_accuracy_curve.getData()
    np.testing.assert_allclose(yv, [log["val_mae"] for log in logs], rtol=1e-6)
    y0, y1 = c.accuracy_plot.getViewBox().viewRange()[1]
    highest = max(np.nanmax(c.data.batches.view("acc")), max(log["mae"] for log in logs))
    assert y0 == 0.0 and highest <= y1 <= 1.2 * highest, "the axis starts at 0 and fits the errors"
    assert "MAE" in c.show_readout(1.0) and "accuracy" not in c.readout.text()
    status = w.status_labels["accuracy"].text()
    assert status == f"MAE {logs[-1]['mae']:.4g} (val {logs[-1]['val_mae']:.4g})"
    assert w.status_labels["loss"].text().startswith(f"loss {logs[-1]['loss']:.4g}")
    assert "absolute error" in w.status_labels["accuracy"].toolTip()

    w.new_run()                                                # a classification again: accuracy, chance
    until(qtbot, lambda: w.session.run is not None and not w.session.run.is_regression)
    train_epochs(qtbot, w, 1)
    settle(qtbot, w)
    assert c.metric == "accuracy" and c.accuracy_plot.getAxis("left").labelText == "accuracy"
    assert c.chance_line.isVisible() and c.accuracy_plot.getViewBox().viewRange()[1] == [-0.1, 1.1]
    assert w.status_labels["accuracy"].text().startswith("accuracy ")
    assert "dock_boundary" in shown(w) and "dock_fit_curve" not in shown(w)


def test_scrubbing_a_regression_run_shows_that_epochs_mae_and_reset_starts_it_over(qtbot, make_window):
    w = started(qtbot, make_window, SINE)
    train_epochs(qtbot, w, 3)
    log = {e["epoch"]: e for e in w.timeline.epoch_logs}[1]
    w.timeline_bar.slider.setValue(1)                          # the user drags the timeline to epoch 1
    assert w.status_labels["epoch"].text() == "epoch 1 (timeline)"
    assert w.status_labels["accuracy"].text() == f"MAE {log['mae']:.4g} (val {log['val_mae']:.4g})"
    w.timeline_bar.live_button.click()
    assert w.status_labels["epoch"].text() == "epoch 3"
    w.reset_run()                                              # Reset: the same regression run from step 0
    until(qtbot, lambda: w.session.latest is not None and w.session.latest.step == 0
          and w.session.state == "ready")
    assert w.session.run.is_regression and w.curves.metric == "mae" and w.curves.n_points == 0
    assert w.status_labels["accuracy"].text() == "MAE –"


# ---- save, open, Show code --------------------------------------------------------------------------
def test_a_regression_run_saves_reopens_and_shows_its_code(qtbot, make_window, tmp_path):
    w = started(qtbot, make_window, SINE)
    train_epochs(qtbot, w, 2)
    path = str(tmp_path / "sine.uncrumple.npz")
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        assert w.run_files.save(path)
    saved = load_run(path)
    assert saved.config == SINE and "val_mae" in saved.epoch_logs[-1]

    other = started(qtbot, make_window, TrainingConfig(n_samples=100, grid_resolution=16))
    assert other.run_files.open(path)                          # a classification window opens it
    until(qtbot, lambda: other.session.latest is not None and other.session.latest.step == saved.current.step)
    settle(qtbot, other)
    assert other.controls.config() == SINE and other.controls.widgets["task"].currentText() == "Regression"
    assert other.curves.metric == "mae" and not other.curves.chance_line.isVisible()
    np.testing.assert_allclose(other.curves.epoch_accuracy_curve.getData()[1],
                               [e["mae"] for e in saved.epoch_logs], rtol=1e-6)
    assert other.status_labels["accuracy"].text().startswith("MAE ")
    assert "dock_fit_curve" in shown(other) and "dock_boundary" not in shown(other)
    dialog = other.exports.code()                              # Show code
    qtbot.addWidget(dialog)
    keras = dialog.code("Keras")
    assert '"linear"' in keras and "mae" in keras and "sigmoid" not in keras


# ---- workspaces ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("config, fit_dock", [(SINE, "dock_fit_curve"), (BUMPS, "dock_fit_surface")],
                         ids=["sine", "bumps"])
def test_learn_shows_the_fitted_curve_or_surface_where_the_boundary_is(qtbot, make_window, config, fit_dock):
    w = started(qtbot, make_window, config)
    until(qtbot, lambda: fit_dock in shown(w))
    assert w.dock_layout.kind == (registry.CURVE if fit_dock == "dock_fit_curve" else registry.SURFACE)
    assert "dock_boundary" not in shown(w) and "dock_digits" not in shown(w)
    w.workspace_bar.actions_by_name["digits"].trigger()       # nothing for images: says why
    until(qtbot, lambda: w.dock_layout.empty.isVisible())
    assert "fits a" in w.dock_layout.empty.message.text() and shown(w) == set()


@pytest.mark.parametrize("space", ws.WORKSPACES[:4], ids=lambda s: s.name)
@pytest.mark.parametrize("config", [SINE, BUMPS], ids=["sine", "bumps"])
def test_every_view_of_a_workspace_fits_1280x800_in_a_regression_run(qtbot, make_window, space, config):
    w = started(qtbot, make_window, config)
    train_epochs(qtbot, w, 2)
    w.workspace_bar.actions_by_name[space.name].trigger()
    settle(qtbot, w)
    kind = registry.CURVE if config.dataset == "sine" else registry.SURFACE
    assert shown(w) == {n for n in space.dock_names() if registry.spec(n).suits_kind(kind)}
    bad = []
    for dock in w.docks:
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            bad += [f"{space.name}/{dock.objectName()}: {m}" for m in misfits(dock.widget())]
    assert bad == []
    assert not w.dock_layout.empty.isVisible()


@pytest.mark.parametrize("config", [SINE, BUMPS], ids=["sine", "bumps"])
def test_every_dock_draws_a_regression_run(qtbot, make_window, config):
    """The smoke: every view of every workspace built, shown and drawn on a regression run (a Qt warning
    or an exception fails the test), then a step and a scrub on the timeline."""
    w = started(qtbot, make_window, config)
    train_epochs(qtbot, w, 2)
    for space in ws.WORKSPACES:
        w.workspace_bar.actions_by_name[space.name].trigger()
        for dock in (w.dock_layout.dock(n) for n in space.dock_names()):
            if w.dock_layout.suits_run(dock):
                dock.show()
                dock.raise_()
                settle(qtbot, w)
                w.session.finish_visible()
    w.workspace_bar.actions_by_name["learn"].trigger()
    for dock in w.docks:                      # the View menu shows a dock the run does not suit too
        if not dock.isVisible():
            dock.toggleViewAction().trigger()
            dock.raise_()
            settle(qtbot, w)
            w.session.finish_visible()
    w.timeline_bar.slider.setValue(1)
    settle(qtbot, w)
    w.timeline_bar.live_button.click()
    w.actions.step_batch.trigger()
    until(qtbot, lambda: w.session.state == "paused")
    settle(qtbot, w)
