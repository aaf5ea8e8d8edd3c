"""Saving and opening whole runs: round trips bit-exactly, bad files are refused clearly."""
import json
import zipfile

import numpy as np
import pytest

from core.run.config import TrainingConfig, build_trainer
from core.engine.saving import atomic_write_npz
from core.run.runfile import RUN_FORMAT, SavedRun, load_run, save_run
import runfile_support

CONFIG = TrainingConfig(n_samples=150, batch_size=8, optimizer="rmsprop", momentum=0.3,
                        learning_rate=0.01, dropout=0.2)


def recording(config=CONFIG):
    t, _ = build_trainer(config)
    t.record = True
    t.reset(restore_weights=False)
    return t


def trained_run():
    return runfile_support.trained_run(CONFIG, extra={"branches": [2]})


def test_round_trip_is_bit_exact(tmp_path):
    t, run = trained_run()
    path = tmp_path / "run.uncrumple.npz"
    save_run(path, run)
    back = load_run(path)
    assert back.config == CONFIG
    assert back.current.same_run(run.current)
    assert len(back.checkpoints) == 4 and all(a.same_run(b) for a, b in zip(back.checkpoints, run.checkpoints))
    assert [e["epoch"] for e in back.epoch_logs] == [1, 2, 3]
    assert back.epoch_logs[0]["loss"] == run.epoch_logs[0]["loss"]
    assert "stats" in back.epoch_logs[0]
    for k, v in run.curves.items():
        np.testing.assert_array_equal(back.curves[k], v)
        assert back.curves[k].dtype == np.asarray(v).dtype
    assert back.info == {"branches": [2]}


def test_opened_run_continues_exactly_like_an_uninterrupted_one(tmp_path):
    t, run = trained_run()
    save_run(tmp_path / "r.npz", run)
    for _ in range(60):
        t.train_batch()                                  # the uninterrupted run goes on

    back = load_run(tmp_path / "r.npz")
    fresh = recording(back.config)
    fresh.restore(back.current, back.epoch_logs)
    for _ in range(60):
        fresh.train_batch()
    assert (fresh.epoch, fresh.step) == (t.epoch, t.step)
    for a, b in zip(fresh.model.get_weights(), t.model.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert fresh.history.history["loss"] == t.history.history["loss"]


def test_branch_from_an_old_epoch_then_save(tmp_path):
    t, run = trained_run()
    t.restore(run.checkpoints[1], run.epoch_logs)        # "Continue from here" at epoch 1
    t.train_epoch()
    assert t.epoch == 2 and len(t.history.epoch) == 2


def test_truncated_file_is_refused(tmp_path):
    _, run = trained_run()
    path = tmp_path / "r.npz"
    save_run(path, run)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not an Uncrumple run file: it is not an .npz archive"):
        load_run(path)


def test_foreign_npz_and_model_files_are_refused(tmp_path):
    np.savez(tmp_path / "foreign.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="no header"):
        load_run(tmp_path / "foreign.npz")
    atomic_write_npz(tmp_path / "model.npz", {}, {"format": "uncrumple-model", "version": 1})
    with pytest.raises(ValueError, match="not an uncrumple-run file"):
        load_run(tmp_path / "model.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not an Uncrumple run file"):
        load_run(tmp_path / "text.npz")


def test_newer_version_is_refused(tmp_path):
    atomic_write_npz(tmp_path / "new.npz", {}, {"format": RUN_FORMAT, "version": 99})
    with pytest.raises(ValueError, match="newer Uncrumple"):
        load_run(tmp_path / "new.npz")


def _rewrite(path, edit):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(np.load(path)["__meta__"].tobytes().decode())
    arrays = {n[:-4]: np.load(path)[n[:-4]] for n in members if n != "__meta__.npy"}
    edit(meta, arrays)
    atomic_write_npz(path, arrays, meta)


@pytest.mark.parametrize("damage, message", [
    (lambda m, a: a.pop("current_w"), "checkpoint 'current'"),
    (lambda m, a: a.__setitem__("c1_w", a["c1_w"][:3]), "checkpoint 'c1'"),
    (lambda m, a: m.pop("config"), "no training configuration"),
    (lambda m, a: m["config"].__setitem__("learning_rate", -1), "learning_rate"),
    (lambda m, a: m["checkpoints"][0].__setitem__("epoch", 2), "out of order"),
    (lambda m, a: a.pop("c2_s0"), "missing 'c2_s0'"),
    (lambda m, a: a.__setitem__("curve_batch_losses", np.ones(2, np.float32)), "different lengths"),
    (lambda m, a: m.__setitem__("epoch_logs", {"epoch": 1}), "epoch logs"),
    (lambda m, a: m["config"].__setitem__("hidden", [[8, "tanh"]]), "do not fit its configuration"),
    (lambda m, a: m["config"].__setitem__("hidden", [[3, "tanh"], [8, "tanh"]]), "layer 1 has kernel"),
])
def test_damaged_files_say_what_is_wrong(tmp_path, damage, message):
    _, run = trained_run()
    path = tmp_path / "r.npz"
    save_run(path, run)
    _rewrite(path, damage)
    with pytest.raises(ValueError, match=message):
        load_run(path)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    _, run = trained_run()
    path = tmp_path / "r.npz"
    path.write_bytes(b"the old run")
    bad = SavedRun(run.config, run.current, run.checkpoints, run.epoch_logs,
                  {"batch_steps": np.arange(3), "batch_losses": np.ones(2)})
    with pytest.raises(ValueError, match="Curve"):
        save_run(path, bad)
    assert path.read_bytes() == b"the old run"
    save_run(path, run)
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]
