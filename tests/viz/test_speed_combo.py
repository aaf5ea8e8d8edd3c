"""The toolbar's Speed: a pace a person can follow by default, flat out one choice away."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from core.run.config import TrainingConfig, build_trainer
from viz.app import actions as actions_mod
from viz.app.actions import DEFAULT_SPEED, SPEEDS, speed_index


def steps_to_form(config: TrainingConfig) -> int:
    """Optimizer steps until the validation accuracy first reaches 90 % (the boundary has formed)."""
    trainer, _ = build_trainer(config.replace(epochs=1000))
    while trainer.train_epoch():
        if trainer.history.history["val_accuracy"][-1] >= 0.9:
            return trainer.step
    raise AssertionError("the default run never reached 90 % validation accuracy")


def test_the_default_speed_shows_the_spiral_boundary_forming_over_10_to_60_seconds():
    label, sps, _ = SPEEDS[DEFAULT_SPEED]
    assert sps is not None and label == f"{sps:g} steps/s"
    seconds = steps_to_form(TrainingConfig()) / sps
    assert 10 <= seconds <= 60, seconds


def test_speeds_go_from_slow_motion_to_flat_out():
    rates = [sps for _, sps, _ in SPEEDS]
    assert rates[-1] is None and SPEEDS[-1][0] == "Flat out"
    assert rates[:-1] == sorted(rates[:-1]) and rates[0] == 1.0
    assert len({label for label, *_ in SPEEDS}) == len(SPEEDS)


def test_the_speed_combo_starts_at_the_default_and_says_what_each_speed_does(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    a = actions_mod.build(window, [])
    combo = a.speed
    assert combo.count() == len(SPEEDS)
    assert combo.currentIndex() == DEFAULT_SPEED and combo.currentText() == "50 steps/s"
    assert combo.currentData() == 50.0
    assert combo.itemText(combo.count() - 1) == "Flat out" and combo.itemData(combo.count() - 1) is None
    tips = [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())]
    assert all(tips) and len(set(tips)) == len(tips)
    assert "too fast to watch" in tips[-1]
    assert "flat out" in combo.toolTip() and "steps" in combo.toolTip()
    assert a.play.toolTip() == ("Train until paused, at the speed chosen in the toolbar "
                                "(Flat out is its last choice). (Space)")


@pytest.mark.parametrize("saved,expected", [
    (None, DEFAULT_SPEED), ("", DEFAULT_SPEED), ("fast", DEFAULT_SPEED), ("1.5", DEFAULT_SPEED),
    (-1, DEFAULT_SPEED), (len(SPEEDS), DEFAULT_SPEED), (True, DEFAULT_SPEED),
    (0, 0), ("2", 2), (len(SPEEDS) - 1, len(SPEEDS) - 1),
])
def test_a_saved_speed_is_kept_only_when_it_names_a_speed(saved, expected):
    assert speed_index(saved) == expected
