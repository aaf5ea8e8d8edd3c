"""The command line and model files."""
import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import core
from core.run.cli import main


def test_cli_trains_and_writes_history_and_model(tmp_path, capsys):
    hist, model_path = tmp_path / "h.csv", tmp_path / "m.npz"
    rc = main(["train", "--dataset", "xor", "--layers", "8", "--epochs", "5", "--batch-size", "16",
               "--history", str(hist), "--save", str(model_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "Epoch 1/5" in out and "Epoch 5/5" in out and "val_loss:" in out and "Total params" in out
    with hist.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"] and len(rows) == 6
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]     # as the lines printed ("Epoch 1/5")
    model = core.load_model(model_path)
    x, y = core.datasets.xor(50, 0.1, 1)
    assert model.predict(x).shape == (50, 1)


def test_cli_bad_argument_is_a_clear_error(capsys):
    assert main(["train", "--lr", "-0.1"]) == 2
    assert "Argument `learning_rate` must be > 0. Received: learning_rate=-0.1" in capsys.readouterr().err


def test_python_dash_m_core_runs():
    out = subprocess.run([sys.executable, "-m", "core", "train", "--epochs", "2", "--verbose", "2"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Epoch 2/2" in out.stdout and "loss:" in out.stdout


def test_model_round_trip_and_continue_identically(tmp_path):
    x, y = core.datasets.moons(200, 0.1, 0)

    def make():
        m = core.Sequential([core.Dense(8, "relu", input_shape=(2,)), core.Dense(1, "sigmoid")], seed=3)
        m.compile("rmsprop", "binary_crossentropy", ["accuracy"])
        return m

    a = make()
    a.fit(x, y, epochs=2, batch_size=20, verbose=0, shuffle=False)
    a.save(tmp_path / "a.npz")
    b = core.load_model(tmp_path / "a.npz")
    assert all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))
    assert b.optimizer.iterations == a.optimizer.iterations
    a.fit(x, y, epochs=1, batch_size=20, verbose=0, shuffle=False)
    b.fit(x, y, epochs=1, batch_size=20, verbose=0, shuffle=False)
    assert all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights()))


def test_bad_model_files_are_refused(tmp_path):
    m = core.Sequential([core.Dense(2, "relu", input_shape=(2,)), core.Dense(1, "sigmoid")], seed=0)
    m.compile("sgd", "mse")
    good = tmp_path / "good.npz"
    m.save(good)
    truncated = tmp_path / "cut.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    with pytest.raises(ValueError, match="truncated|not a readable"):
        core.load_model(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ValueError, match="not an Uncrumple file"):
        core.load_model(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError):
        core.load_model(text)
    with pytest.raises(ValueError, match="No such file"):
        core.load_model(tmp_path / "missing.npz")
    # no temporary files are left behind
    assert sorted(os.listdir(tmp_path)) == ["cut.npz", "foreign.npz", "good.npz", "text.npz"]


def test_newer_version_is_refused(tmp_path):
    from core.engine.saving import atomic_write_npz
    path = tmp_path / "new.npz"
    atomic_write_npz(path, {}, {"format": "uncrumple-model", "version": 99})
    with pytest.raises(ValueError, match="newer Uncrumple"):
        core.load_model(path)
