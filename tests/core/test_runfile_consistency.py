"""Opening a run file is checked through: a file whose state could not run is refused before the
current run is touched (issue 17, item 3) — a moved CSV, a garbage random-generator state, a
position past the epoch, a missing batch curve, a bad optimizer state."""
import json

import numpy as np
import pytest

from core.engine.saving import atomic_write_npz
from core.run.config import TrainingConfig, build_trainer
from core.run.runfile import load_run, save_run
import runfile_support

CONFIG = TrainingConfig(n_samples=150, batch_size=8, learning_rate=0.01)


def trained_run(config=CONFIG):
    return runfile_support.trained_run(config, epochs=2, extra_batches=3)[1]


def rewrite(path, edit):
    """Apply ``edit(meta, arrays)`` to the run file at ``path``."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files if k != "__meta__"}
        meta = json.loads(f["__meta__"].tobytes().decode())
    edit(meta, arrays)
    atomic_write_npz(path, arrays, meta)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "run.uncrumple.npz"
    save_run(path, trained_run())
    return path


def test_a_run_whose_csv_was_moved_is_refused_naming_the_file(tmp_path):
    csv = tmp_path / "points.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(a > 0)}" for a, b in x)
    csv.write_text("x1,x2,label\n" + rows + "\n")
    path = tmp_path / "csv.uncrumple.npz"
    save_run(path, trained_run(TrainingConfig(csv_path=str(csv), n_samples=0, batch_size=8)))
    assert load_run(path).config.csv_path == str(csv)          # good while the CSV is there
    csv.rename(tmp_path / "elsewhere.csv")
    with pytest.raises(ValueError, match=r"the run's data file .*points\.csv is not there \(moved or deleted\?\)"):
        load_run(path)


@pytest.mark.parametrize("rng", [
    "garbage",
    {"order": "garbage", "model": "garbage"},
    {"order": {"bit_generator": "PCG64", "state": {"state": -5, "inc": 3}, "has_uint32": 0, "uinteger": 0}},
    {"order": {"bit_generator": "MT19937", "state": {"key": [1], "pos": 0}}, "model": {}},
])
def test_a_garbage_random_generator_state_is_refused(saved, rng):
    rewrite(saved, lambda m, a: m["current"].__setitem__("rng", rng))
    with pytest.raises(ValueError, match=r"checkpoint 'current'.*random-generator state"):
        load_run(saved)


def test_a_kept_epoch_with_a_garbage_random_generator_state_is_refused(saved):
    rewrite(saved, lambda m, a: m["checkpoints"][1]["rng"].__setitem__("model", {"bit_generator": "PCG64"}))
    with pytest.raises(ValueError, match=r"checkpoint 'c1'.*random-generator state"):
        load_run(saved)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.__setitem__("position", 10**9), r"position 1000000000 .*at most 150 training samples"),
    (lambda c: c.update(position=10**9, partial=[1.0, 3, 10**9]), r"position 1000000000 .*at most 150 training samples"),
    (lambda c: c.__setitem__("position", 17), r"position 17 .* 24 samples"),
    (lambda c: c.__setitem__("position", -3), r"position -3"),
    (lambda c: c.__setitem__("step", 1), r"step 1 .*epoch 2"),
    (lambda c: c.__setitem__("batch", 0), r"batch 0 .*position 24"),
])
def test_an_impossible_position_is_refused(saved, edit, message):
    rewrite(saved, lambda m, a: edit(m["current"]))
    with pytest.raises(ValueError, match=message):
        load_run(saved)


def test_a_kept_epoch_after_the_current_step_is_refused(saved):
    rewrite(saved, lambda m, a: m["checkpoints"][2].__setitem__("step", 10**6))
    with pytest.raises(ValueError, match=r"kept epoch 2 .*step 1000000"):
        load_run(saved)


def test_epoch_logs_past_the_current_epoch_are_refused(saved):
    rewrite(saved, lambda m, a: m["epoch_logs"].append({"epoch": 40, "loss": 0.1}))
    with pytest.raises(ValueError, match=r"epoch logs .*epoch 40.*current state is at epoch 2"):
        load_run(saved)


@pytest.mark.parametrize("key", ["batch_x", "batch_steps", "batch_losses"])
def test_a_missing_batch_curve_is_refused(saved, key):
    rewrite(saved, lambda m, a: a.pop(f"curve_{key}"))
    with pytest.raises(ValueError, match=rf"batch curves .*`{key}` is missing"):
        load_run(saved)


def test_missing_batch_accuracies_are_filled_with_nan(saved):
    rewrite(saved, lambda m, a: a.pop("curve_batch_accuracies"))
    run = load_run(saved)
    assert len(run.curves["batch_accuracies"]) == len(run.curves["batch_losses"])
    assert np.isnan(run.curves["batch_accuracies"]).all()


def test_a_run_without_curves_still_opens(saved):
    rewrite(saved, lambda m, a: [a.pop(k) for k in list(a) if k.startswith("curve_")])
    assert load_run(saved).curves == {}


@pytest.mark.parametrize("edit, message", [
    (lambda m, a: a.__setitem__("current_s0", np.zeros(5, np.float32)), r"optimizer state \(current_s0"),
    (lambda m, a: m["current"].__setitem__("iterations", -1), r"optimizer state .*iterations"),
    (lambda m, a: m["current"]["hyperparameters"].__setitem__("batch_size", "big"), r"batch_size"),
    (lambda m, a: m["current"]["hyperparameters"].__setitem__("learning_rate", -2.0), r"learning_rate"),
])
def test_a_bad_optimizer_state_or_hyperparameter_is_refused(saved, edit, message):
    rewrite(saved, edit)
    with pytest.raises(ValueError, match=message):
        load_run(saved)


def test_a_good_run_still_opens_and_restores(saved):
    run = load_run(saved)
    t, _ = build_trainer(run.config)
    t.restore(run.current, run.epoch_logs)
    assert (t.epoch, t.step) == (run.current.epoch, run.current.step)
