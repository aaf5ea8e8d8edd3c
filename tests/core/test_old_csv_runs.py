"""Run files of CSV runs saved before runs were capped at ``n_samples`` rows reopen as they were saved
(issue 17: such a run trained on every row of its file, whatever ``n_samples`` said)."""
import io
import json
import zipfile

import numpy as np
import pytest

from core.datasets import load_csv, train_val_split
from core.run.config import MAX_SAMPLES, TrainingConfig, build_trainer, load_data
from core.run.runfile import SavedRun, load_run, save_run
import runfile_support


def write_csv(path, rows: int) -> str:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(rows, 2)).round(4)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    path.write_text("x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(x, y)))
    return str(path)


def old_data(config):
    """What the app trained on before the cap: every row of the file, split with the seed."""
    x, y = load_csv(config.csv_path)
    return train_val_split(x, y, config.validation_split, seed=config.seed)


def old_run(config, epochs=2, extra_batches=5):
    """A run recorded the old way: a trainer on every row, its checkpoints, saved as version 1."""
    return runfile_support.trained_run(config, epochs, extra_batches, data=old_data(config), curves=False)


def as_version_1(path):
    """Rewrite a saved run's header as the app wrote it before the cap (format version 1)."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes().decode())
    meta["version"] = 1
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(meta).encode(), np.uint8))
    members["__meta__.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_an_old_csv_run_reopens_on_every_row_and_goes_on_exactly(tmp_path):
    csv = write_csv(tmp_path / "points.csv", 1000)
    config = TrainingConfig(csv_path=csv, n_samples=400, batch_size=32, hidden=((8, "tanh"),))  # 400: the old default
    t, run = old_run(config)
    path = tmp_path / "old.uncrumple.npz"
    save_run(path, run)
    as_version_1(path)

    opened = load_run(path)
    assert opened.config.n_samples is None, "every row, as the run was trained"
    assert opened.config.replace(n_samples=400) == config
    (x_tr, y_tr), (x_val, y_val) = load_data(opened.config)
    (ox_tr, oy_tr), (ox_val, oy_val) = old_data(config)
    for got, want in ((x_tr, ox_tr), (y_tr, oy_tr), (x_val, ox_val), (y_val, oy_val)):
        np.testing.assert_array_equal(got, want)
    reopened, _ = build_trainer(opened.config)
    reopened.restore(opened.current, opened.epoch_logs)
    for _ in range(40):     # past the next epoch's end: the same data, the same order, the same weights
        t.train_batch()
        reopened.train_batch()
    for a, b in zip(t.model.get_weights(), reopened.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_new_csv_run_keeps_its_cap(tmp_path):
    csv = write_csv(tmp_path / "points.csv", 1000)
    config = TrainingConfig(csv_path=csv, n_samples=300, batch_size=32, hidden=((8, "tanh"),))
    t, _ = build_trainer(config)
    t.record = True
    t.reset(restore_weights=False)
    t.train_epoch()
    path = tmp_path / "new.uncrumple.npz"
    save_run(path, SavedRun(config, t.checkpoint(), tuple(t.snapshot().checkpoints)))
    assert load_run(path).config == config


def test_an_old_csv_run_on_more_rows_than_the_cap_says_why_it_cannot_open(tmp_path):
    csv = write_csv(tmp_path / "points.csv", 30)
    config = TrainingConfig(csv_path=csv, n_samples=400, batch_size=8, hidden=((4, "tanh"),))
    _, run = old_run(config, epochs=1, extra_batches=0)
    path = tmp_path / "old.uncrumple.npz"
    save_run(path, run)
    as_version_1(path)
    with open(csv, "a") as fh:   # the file grew past the cap since (a stand-in for a file that big)
        fh.write("".join(f"{i % 7}.5,{i % 5}.25,{i % 2}\n" for i in range(MAX_SAMPLES)))
    with pytest.raises(ValueError, match=r"saved before runs used at most 200,000 rows of a CSV file; it trained "
                                         r"on every row of .*points.csv, which has 200,030"):
        load_run(path)
