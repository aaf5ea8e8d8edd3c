"""The controls panel: widgets ↔ TrainingConfig, validation marks, live vs structural edits."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QFileDialog, QLabel,
                               QLineEdit)

from core.run.config import TrainingConfig
from core.datasets import GENERATORS
from core.run.config import LIVE_FIELDS
from viz.panels.controls import ControlsPanel, structural_difference
from viz.panels.architecture import LogSpinBox

OPTIONAL = ("momentum", "nesterov", "rho", "beta_1", "beta_2")


@pytest.fixture
def panel(qtbot):
    widget = ControlsPanel()
    qtbot.addWidget(widget)
    return widget


def recorder(signal):
    """A list that collects every emission of ``signal`` (as a tuple of its arguments)."""
    seen = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def select(combo: QComboBox, value) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not in the combo"
    combo.setCurrentIndex(index)


def shown(panel, name) -> bool:
    """Whether the field's editor would be visible when the panel is shown."""
    return panel.widgets[name].isVisibleTo(panel)


def plain(tooltip: str) -> str:
    return re.sub(r"<[^>]+>", "", tooltip).strip()


# ---- widgets -> config ---------------------------------------------------------------------------
def test_default_panel_gives_the_default_config(panel):
    assert panel.config() == TrainingConfig()
    assert panel.is_valid() and panel.errors() == {}


EDITS = [
    ("dataset", lambda p: select(p.widgets["dataset"], "moons"), "moons"),
    ("n_samples", lambda p: p.widgets["n_samples"].setValue(1000), 1000),
    ("noise", lambda p: p.widgets["noise"].setValue(0.3), 0.3),
    ("validation_split", lambda p: p.widgets["validation_split"].setValue(0.35), 0.35),
    ("hidden", lambda p: p.architecture.rows()[0].units.setValue(8), ((8, "tanh"), (16, "tanh"))),
    ("hidden", lambda p: select(p.architecture.rows()[1].activation, "relu"), ((16, "tanh"), (16, "relu"))),
    ("loss", lambda p: select(p.widgets["loss"], "mse"), "mse"),
    ("optimizer", lambda p: select(p.widgets["optimizer"], "sgd"), "sgd"),
    ("learning_rate", lambda p: p.widgets["learning_rate"].setValue(0.05), 0.05),
    ("momentum", lambda p: p.widgets["momentum"].setValue(0.9), 0.9),
    ("nesterov", lambda p: p.widgets["nesterov"].setChecked(True), True),
    ("rho", lambda p: p.widgets["rho"].setValue(0.95), 0.95),
    ("beta_1", lambda p: p.widgets["beta_1"].setValue(0.8), 0.8),
    ("beta_2", lambda p: p.widgets["beta_2"].setValue(0.99), 0.99),
    ("batch_size", lambda p: p.widgets["batch_size"].setValue(64), 64),
    ("l2", lambda p: p.widgets["l2"].setValue(0.001), 0.001),
    ("dropout", lambda p: p.widgets["dropout"].setValue(0.25), 0.25),
    ("seed", lambda p: p.widgets["seed"].setValue(7), 7),
]


@pytest.mark.parametrize("field, edit, expected", EDITS, ids=[f"{e[0]}-{i}" for i, e in enumerate(EDITS)])
def test_editing_a_widget_changes_only_its_field(panel, field, edit, expected):
    changed = recorder(panel.config_changed)
    edit(panel)
    cfg = panel.config()
    assert getattr(cfg, field) == expected != getattr(TrainingConfig(), field)
    assert cfg.replace(**{field: getattr(TrainingConfig(), field)}) == TrainingConfig()
    assert changed == [(cfg,)]


@pytest.mark.parametrize("field, typed, expected", [("learning_rate", "0.003", 0.003), ("batch_size", "64", 64)])
def test_typing_a_value_applies_on_enter(panel, qtbot, field, typed, expected):
    box = panel.widgets[field]
    box.selectAll()
    qtbot.keyClicks(box, typed)
    assert getattr(panel.config(), field) == getattr(TrainingConfig(), field)   # nothing while typing
    qtbot.keyClick(box, Qt.Key_Return)
    assert getattr(panel.config(), field) == expected


def test_learning_rate_steps_through_1_2_5_values(qtbot):
    box = LogSpinBox()
    qtbot.addWidget(box)
    box.setDecimals(5)
    box.setRange(0, 10)
    box.setValue(0.01)
    box.stepBy(1)
    assert box.value() == 0.02
    box.stepBy(-2)
    assert box.value() == 0.005
    box.setValue(0.003)
    box.stepBy(1)
    assert box.value() == 0.005
    box.setValue(0.00001)
    box.stepBy(-1)
    assert box.value() == 0.0
    box.stepBy(1)
    assert box.value() == 0.00001
    box.setValue(10)
    box.stepBy(3)
    assert box.value() == 10
    assert box.text() == "10" and box.textFromValue(0.0005) == "0.0005"


# ---- config -> widgets ---------------------------------------------------------------------------
ROUND_TRIPS = [
    TrainingConfig(optimizer="sgd", momentum=0.9, nesterov=True, learning_rate=0.1),
    TrainingConfig(optimizer="rmsprop", rho=0.8, momentum=0.5, learning_rate=0.001, dataset="xor"),
    TrainingConfig(hidden=((32, "relu"), (16, "relu"), (8, "relu")), loss="mse", batch_size=64,
                   l2=0.0005, dropout=0.1, seed=42, n_samples=1000, noise=0.25, validation_split=0.1),
    TrainingConfig(dataset="paper_ball", hidden=(), optimizer="adagrad", epochs=5, grid_resolution=32),
    TrainingConfig(optimizer="adam", beta_1=0.85, beta_2=0.9999, loss="sparse_categorical_crossentropy"),
]


@pytest.mark.parametrize("cfg", ROUND_TRIPS, ids=["sgd", "rmsprop", "relu3", "adagrad", "adam"])
def test_set_config_round_trips_with_a_single_signal(panel, cfg):
    changed = recorder(panel.config_changed)
    live = recorder(panel.hyperparameter_changed)
    panel.set_config(cfg)
    assert panel.config() == cfg
    assert changed == [(cfg,)]
    assert live == []
    assert len(panel.architecture.rows()) == len(cfg.hidden)


def test_set_config_with_a_csv_path(panel, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n0,0,0\n1,1,1\n0,1,0\n1,0,1\n")
    cfg = TrainingConfig(csv_path=str(csv), dataset="moons")
    panel.set_config(cfg)
    assert panel.config() == cfg and panel.is_valid()
    assert panel.widgets["dataset"].currentData() != "moons"           # shows "CSV file…"
    assert shown(panel, "n_samples") and not shown(panel, "noise") and shown(panel, "csv_path")
    panel.set_config(TrainingConfig())
    assert panel.config() == TrainingConfig()
    assert shown(panel, "n_samples") and shown(panel, "noise") and not shown(panel, "csv_path")


def test_set_config_with_out_of_range_values_marks_instead_of_crashing(panel):
    bad = TrainingConfig(learning_rate=float("nan"), batch_size=0, hidden=((0, "tanh"),), beta_1=1.0)
    panel.set_config(bad)
    errors = panel.errors()
    assert {"batch_size", "hidden", "beta_1"} <= set(errors)
    assert panel.widgets["batch_size"].property("invalid") is True
    assert panel.architecture.rows()[0].units.property("invalid") is True
    assert "hidden[0].units" in panel.architecture.rows()[0].units.toolTip()


def test_a_tiny_learning_rate_is_not_rounded_to_an_invalid_zero(panel):
    panel.set_config(TrainingConfig(learning_rate=1e-7))
    assert panel.config().learning_rate == 1e-5 and panel.is_valid()


# ---- validation ----------------------------------------------------------------------------------
def test_invalid_learning_rate_is_marked_and_recovers(panel, qtbot):
    box = panel.widgets["learning_rate"]
    base_tip = box.toolTip()
    with qtbot.waitSignal(panel.validity_changed, timeout=1000) as blocker:
        box.setValue(0.0)
    ok, reason = blocker.args
    assert ok is False and "learning_rate" in reason and "> 0" in reason
    assert box.property("invalid") is True
    assert "learning_rate" in box.toolTip() and box.toolTip() != base_tip
    label = next(lab for lab in panel.findChildren(QLabel) if lab.buddy() is box)
    assert label.property("invalid") is True
    assert not panel.regenerate_button.isEnabled()

    with qtbot.waitSignal(panel.validity_changed, timeout=1000) as blocker:
        box.setValue(0.02)
    assert blocker.args == [True, ""]
    assert box.property("invalid") is False and box.toolTip() == base_tip
    assert label.property("invalid") is False and panel.regenerate_button.isEnabled()


def test_batch_size_larger_than_the_training_set_is_invalid(panel, qtbot):
    # 400 samples with a 0.2 validation split leave 320 for training
    with qtbot.waitSignal(panel.validity_changed, timeout=1000) as blocker:
        panel.widgets["batch_size"].setValue(321)
    assert blocker.args[0] is False and "batch_size" in blocker.args[1]
    assert "batch_size" in panel.errors()
    panel.widgets["batch_size"].setValue(320)
    assert panel.is_valid()
    panel.widgets["n_samples"].setValue(100)      # now the same batch is too large again
    assert "batch_size" in panel.errors() and panel.widgets["batch_size"].property("invalid") is True


def test_a_csv_choice_and_a_missing_csv_file(panel, tmp_path, monkeypatch, qtbot):
    csv = tmp_path / "points.csv"
    csv.write_text("0,0,0\n1,1,1\n0,1,0\n1,0,1\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(csv), ""))
    select(panel.widgets["dataset"], "__csv__")
    assert panel.config().csv_path == str(csv) and panel.is_valid()
    assert shown(panel, "n_samples") and shown(panel, "csv_path")
    assert panel.config().n_samples is None and panel.widgets["n_samples"].text() == "all"   # every row

    with qtbot.waitSignal(panel.validity_changed, timeout=1000) as blocker:
        panel.widgets["csv_path"].setText(str(tmp_path / "missing.csv"))
        panel.widgets["csv_path"].editingFinished.emit()
    assert blocker.args[0] is False and "not found" in blocker.args[1]
    assert panel.widgets["csv_path"].property("invalid") is True

    select(panel.widgets["dataset"], "circles")
    assert panel.config().csv_path is None and panel.config().dataset == "circles" and panel.is_valid()
    assert panel.config().n_samples == TrainingConfig().n_samples     # "all" means nothing to a generator


def test_cancelling_the_csv_dialog_keeps_the_data_set(panel, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    changed = recorder(panel.config_changed)
    select(panel.widgets["dataset"], "__csv__")
    assert panel.widgets["dataset"].currentData() == "spiral"
    assert panel.config() == TrainingConfig() and changed == []


# ---- architecture --------------------------------------------------------------------------------
def test_add_and_remove_layers_change_hidden(panel, qtbot):
    qtbot.mouseClick(panel.architecture.add_button, Qt.LeftButton)
    assert panel.config().hidden == ((16, "tanh"),) * 3        # a new layer copies the last one
    panel.architecture.rows()[2].units.setValue(4)
    qtbot.mouseClick(panel.architecture.rows()[0].remove, Qt.LeftButton)
    assert panel.config().hidden == ((16, "tanh"), (4, "tanh"))
    assert [row.number.text() for row in panel.architecture.rows()] == ["1", "2"]
    assert panel.architecture.shape_label.text() == "2 inputs → 16 tanh → 4 tanh → 1 sigmoid"
    for _ in range(2):
        qtbot.mouseClick(panel.architecture.rows()[0].remove, Qt.LeftButton)
    assert panel.config().hidden == () and panel.is_valid()
    assert panel.architecture.shape_label.text() == "2 inputs → 1 sigmoid"
    qtbot.mouseClick(panel.architecture.add_button, Qt.LeftButton)
    assert panel.config().hidden == ((8, "tanh"),)


def test_add_layer_stops_at_the_maximum(panel, qtbot):
    from core.run.config import MAX_LAYERS
    for _ in range(MAX_LAYERS + 3):
        panel.architecture.add_button.click()
    assert len(panel.config().hidden) == MAX_LAYERS
    assert not panel.architecture.add_button.isEnabled()


# ---- optimizer rows ------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer, shown", [("sgd", {"momentum", "nesterov"}), ("rmsprop", {"rho", "momentum"}),
                                              ("adagrad", set()), ("adam", {"beta_1", "beta_2"})])
def test_optimizer_switch_shows_only_its_hyperparameters(panel, optimizer, shown):
    select(panel.widgets["optimizer"], "sgd" if optimizer != "sgd" else "adam")
    select(panel.widgets["optimizer"], optimizer)
    visible = {name for name in OPTIONAL if panel.widgets[name].isVisibleTo(panel)}
    assert visible == shown
    assert all(panel.widgets[name].isHidden() for name in set(OPTIONAL) - shown)
    assert panel.widgets["learning_rate"].isVisibleTo(panel)


# ---- live vs structural --------------------------------------------------------------------------
def test_hyperparameter_changed_for_live_fields_only(panel, qtbot):
    with qtbot.waitSignal(panel.hyperparameter_changed, timeout=1000) as blocker:
        panel.widgets["learning_rate"].setValue(0.05)
    assert blocker.args == ["learning_rate", 0.05]
    with qtbot.waitSignal(panel.hyperparameter_changed, timeout=1000) as blocker:
        panel.widgets["batch_size"].setValue(20)
    assert blocker.args == ["batch_size", 20]
    with qtbot.assertNotEmitted(panel.hyperparameter_changed):
        panel.widgets["n_samples"].setValue(800)
        panel.architecture.add_button.click()
        select(panel.widgets["loss"], "mse")
    with qtbot.assertNotEmitted(panel.hyperparameter_changed):   # invalid values are not sent
        with qtbot.waitSignal(panel.config_changed, timeout=1000):
            panel.widgets["learning_rate"].setValue(0.0)


def test_structural_difference():
    base = TrainingConfig()
    assert not structural_difference(base, base)
    for name, value in [("learning_rate", 0.5), ("momentum", 0.9), ("nesterov", True), ("rho", 0.5),
                        ("beta_1", 0.5), ("beta_2", 0.5), ("batch_size", 32), ("epochs", 3)]:
        assert not structural_difference(base, base.replace(**{name: value})), name
    for name, value in [("hidden", ((4, "relu"),)), ("dataset", "moons"), ("n_samples", 100), ("seed", 1),
                        ("optimizer", "sgd"), ("loss", "mse"), ("l2", 0.01)]:
        assert structural_difference(base, base.replace(**{name: value})), name
    assert LIVE_FIELDS == {"learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2", "batch_size",
                           "epochs"}
    assert ControlsPanel.live_fields == LIVE_FIELDS - {"epochs"}    # the panel has no epochs row


def test_regenerate_button_emits(panel, qtbot):
    with qtbot.waitSignal(panel.regenerate_requested, timeout=1000):
        qtbot.mouseClick(panel.regenerate_button, Qt.LeftButton)


# ---- tooltips ------------------------------------------------------------------------------------
def test_every_input_widget_has_a_plain_tooltip(panel):
    panel.set_config(TrainingConfig(hidden=((4, "relu"),) * 3, csv_path="x.csv"))
    inputs = [w for cls in (QAbstractSpinBox, QComboBox, QAbstractButton, QLineEdit)
              for w in panel.findChildren(cls)
              if not isinstance(w.parent(), (QAbstractSpinBox, QComboBox))]   # skip their inner editors
    assert len(inputs) >= 25
    for widget in inputs:
        tip = plain(widget.toolTip())
        assert len(tip.split()) >= 4, f"{type(widget).__name__} {widget.accessibleName()!r}: {tip!r}"
    combos = panel.findChildren(QComboBox)
    for combo in combos:
        for i in range(combo.count()):
            assert plain(combo.itemData(i, Qt.ToolTipRole) or ""), combo.itemText(i)
    assert set(GENERATORS) <= {panel.widgets["dataset"].itemData(i) for i in range(panel.widgets["dataset"].count())}
