"""Issue 20: the regression presets train to a small loss, and the CLI's --task regression."""
import csv

import numpy as np
import pytest

from core.datasets.regression import TARGETS
from core.run.cli import main
from core.run.config import build_trainer
from core.run.presets import PRESETS, get_preset

REGRESSION_PRESETS = [name for name in PRESETS if name.startswith("regression-")]


def test_there_are_regression_presets_described_in_plain_words():
    assert {"regression-sine", "regression-bumps"} <= set(REGRESSION_PRESETS)
    for name in REGRESSION_PRESETS:
        p = get_preset(name)
        assert p.config.task == "regression" and p.config.errors() == {}
        assert p.title.startswith("Regression") and "regression" in p.description.lower()


@pytest.mark.parametrize("name", REGRESSION_PRESETS)
def test_each_regression_preset_trains_to_a_small_loss(name):
    trainer, _ = build_trainer(get_preset(name).config.replace(epochs=200))
    history = trainer.fit(verbose=0).history
    assert history["val_mae"][-1] < 0.1 and history["val_loss"][-1] < 0.02        # noise 0.05: MAE 0.04 at best
    assert history["val_mae"][-1] < history["val_mae"][0] / 3


def test_the_sine_preset_fits_the_curve_between_the_points():
    trainer, _ = build_trainer(get_preset("regression-sine").config.replace(epochs=100))
    trainer.fit(verbose=0)
    xs = np.linspace(-1.4, 1.4, 57, dtype=np.float32)[:, None]
    error = trainer.model.predict(xs)[:, 0] - TARGETS["sine"](xs.astype(np.float64))
    assert np.mean(np.abs(error)) < 0.1


def test_the_cli_trains_a_regression_run_printing_loss_and_mae(capsys, tmp_path):
    history = tmp_path / "h.csv"
    code = main(["train", "--task", "regression", "--dataset", "poly", "--loss", "huber", "--epochs", "2",
                 "--samples", "100", "--verbose", "2", "--history", str(history)])
    out = capsys.readouterr().out
    assert code == 0
    assert "loss: " in out and " - mae: " in out and " - val_mae: " in out and "accuracy" not in out
    with open(history, newline="") as f:
        assert next(csv.reader(f)) == ["epoch", "loss", "mae", "val_loss", "val_mae"]


def test_the_cli_picks_regression_defaults_and_presets(capsys):
    assert main(["train", "--task", "regression", "--epochs", "1", "--samples", "60", "--verbose", "2"]) == 0
    assert " - val_mae: " in capsys.readouterr().out                 # sine with mse
    assert main(["train", "--dataset", "saddle", "--epochs", "1", "--samples", "60", "--verbose", "2"]) == 0
    assert " - val_mae: " in capsys.readouterr().out                 # a regression set implies the task
    assert main(["train", "--preset", "regression-bumps", "--epochs", "1", "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Regression: fit a surface of bumps") and " - val_mae: " in out


def test_the_cli_refuses_a_task_that_does_not_match_the_data(capsys):
    assert main(["train", "--task", "regression", "--dataset", "spiral", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "error: Data set 'spiral' is a classification data set; the task 'regression' needs one of" in err
