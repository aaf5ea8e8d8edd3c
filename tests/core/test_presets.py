"""Presets and the MNIST-format data sets of TrainingConfig (load_data, notice, serve with 784 inputs)."""
import multiprocessing as mp
import threading

import numpy as np
import pytest

from core import datasets
from core.run.config import (IMAGE_DATASETS, MAX_SAMPLES, TrainingConfig, build_model, build_trainer,
                         data_notice, load_data, load_data_with_notice)
from core.datasets import mnist as mnist_module
from core.run.presets import PRESETS, describe_updates, get_preset, total_updates, updates_per_epoch
from core.run.serve import serve
from mnist_support import write_npz

SAMPLE = TrainingConfig(dataset="mnist_sample", n_samples=256, hidden=((16, "relu"),),
                        loss="categorical_crossentropy", optimizer="rmsprop", learning_rate=0.001,
                        batch_size=128, epochs=1)


# --------------------------------------------------------------------------- presets
def test_every_preset_is_valid_and_titled():
    assert list(PRESETS)[:3] == ["spiral", "mnist", "fashion_mnist"]
    for name, p in PRESETS.items():
        assert p.name == name and p.title and p.description and "\n" not in p.description
        assert p.config.errors() == {}
    assert get_preset("spiral").config == TrainingConfig()  # the app's default
    assert get_preset("mnist").title == "Chapter 2: MNIST"


def test_mnist_preset_is_the_books_recipe():
    c = get_preset("mnist").config
    assert (c.dataset, c.n_samples, c.hidden, c.loss) == ("mnist", None, ((512, "relu"),),
                                                           "categorical_crossentropy")
    assert (c.optimizer, c.learning_rate, c.rho, c.epochs, c.batch_size) == ("rmsprop", 0.001, 0.9, 5, 128)
    model = build_model(c, 784, 10)
    assert [w.shape for w in model.get_weights()] == [(784, 512), (512,), (512, 10), (10,)]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10 == 407_050
    fashion = get_preset("fashion_mnist").config
    assert fashion.replace(dataset="mnist") == c


def test_update_counts_are_the_books():
    c = get_preset("mnist").config
    assert updates_per_epoch(c, 60_000) == 469 and total_updates(c, 60_000) == 2_345
    assert describe_updates(c, 60_000) == "469 updates per epoch, 2,345 in all"
    assert describe_updates(c, 4_000) == "32 updates per epoch, 160 in all"
    assert describe_updates(c.replace(epochs=None), 100) == "1 update per epoch, until stopped"
    with pytest.raises(ValueError, match=r"Argument `n_train` must be an integer >= 1.*n_train=0"):
        updates_per_epoch(c, 0)


def test_unknown_preset_lists_the_allowed_names():
    with pytest.raises(ValueError, match=r"Argument `preset` must be one of 'spiral', 'mnist', "
                                         r"'fashion_mnist', 'paper_ball', 'two_weight', 'regression-sine', "
                                         r"'regression-step', 'regression-abs', 'regression-poly', 'regression-bumps', "
                                         r"'regression-saddle', 'regression-plane'\. Received: "
                                         r"preset='mnits'"):
        get_preset("mnits")


def test_two_weight_preset_has_exactly_two_weights_and_learns():
    trainer, _ = build_trainer(get_preset("two_weight").config.replace(epochs=10))
    assert [w.shape for w in trainer.model.get_weights()] == [(2, 1)]
    assert trainer.model.count_params() == 2
    trainer.fit(verbose=0)
    assert trainer.history.history["val_accuracy"][-1] > 0.95


def test_paper_ball_preset_learns():
    trainer, ((x, _), _) = build_trainer(get_preset("paper_ball").config.replace(epochs=30))
    assert x.shape[1] == 3
    trainer.fit(verbose=0)
    assert trainer.history.history["val_accuracy"][-1] > 0.9


# --------------------------------------------------------------------------- image data sets
def test_sample_data_is_the_books_preprocessing_and_test_set_is_validation(home):
    (x_tr, y_tr), (x_te, y_te) = load_data(SAMPLE.replace(n_samples=None))
    (raw_tr, raw_ytr), (raw_te, raw_yte) = datasets.load_mnist_sample()
    assert x_tr.shape == (4000, 784) and x_tr.dtype == np.float32 and y_tr.dtype == np.int32
    np.testing.assert_array_equal(x_tr, raw_tr.reshape(4000, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(y_tr, raw_ytr)
    np.testing.assert_array_equal(x_te, raw_te.reshape(1000, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(y_te, raw_yte)
    assert x_tr.min() == 0.0 and x_tr.max() == 1.0


@pytest.mark.parametrize("n,expected", [(None, 4000), (0, 4000), (300, 300), (100_000, 4000)])
def test_n_samples_caps_the_training_images_only(n, expected):
    (x_tr, y_tr), (x_te, _) = load_data(SAMPLE.replace(n_samples=n, batch_size=32))
    assert len(x_tr) == len(y_tr) == expected and len(x_te) == 1000


def test_image_config_validation_is_keras_style():
    assert TrainingConfig(dataset="mnist", n_samples=60_000, batch_size=128).errors() == {}
    assert MAX_SAMPLES >= 60_000
    errs = TrainingConfig(dataset="mnist", n_samples=-1).errors()
    assert errs["n_samples"] == ("Argument `n_samples` must be an integer in the range "
                                 f"[1, {MAX_SAMPLES}]. Received: n_samples=-1")
    assert "n_samples" in TrainingConfig(dataset="mnist", n_samples=True).errors()
    assert "n_samples" in TrainingConfig(dataset="spiral", n_samples=None).errors()  # generators need a count
    assert TrainingConfig(dataset="mnist_sample", n_samples=100, batch_size=128).errors()["batch_size"] == (
        "Argument `batch_size` must be <= the number of training samples (100). Received: batch_size=128")
    assert "data_path" in TrainingConfig(data_path=3).errors()
    assert "use_bias" in TrainingConfig(use_bias=1).errors()
    msg = TrainingConfig(dataset="MNIST").errors()["dataset"]
    assert all(repr(name) in msg for name in IMAGE_DATASETS) and "Received: dataset='MNIST'" in msg


def test_image_config_json_round_trip():
    c = get_preset("mnist").config.replace(data_path="/data/mnist.npz")
    assert TrainingConfig.from_json(c.to_json()) == c
    two = get_preset("two_weight").config
    assert TrainingConfig.from_json(two.to_json()) == two


def test_mnist_falls_back_to_the_sample_with_a_notice(home):
    data, notice = load_data_with_notice(SAMPLE.replace(dataset="mnist"))
    assert len(data[0][0]) == 256 and len(data[1][0]) == 1000
    assert "offline sample" in notice and "4,000 training and 1,000 test digits" in notice
    assert "97.8" in notice and "--download" in notice
    assert data_notice(SAMPLE.replace(dataset="mnist")) == notice
    for other in ("mnist_sample", "spiral"):
        assert data_notice(SAMPLE.replace(dataset=other, n_samples=400, batch_size=10)) == ""
        assert load_data_with_notice(SAMPLE.replace(dataset=other, n_samples=400, batch_size=10))[1] == ""


def test_mnist_found_at_data_path_has_no_notice(home, tmp_path):
    path = tmp_path / "mine" / "mnist.npz"
    (x_tr, y_tr), (x_te, y_te) = write_npz(path, n_train=12, n_test=5)
    for where in (path, path.parent):  # the file, or the folder holding it
        cfg = SAMPLE.replace(dataset="mnist", data_path=str(where), n_samples=10, batch_size=4)
        assert data_notice(cfg) == ""
        ((a, b), (c, d)), notice = load_data_with_notice(cfg)
        assert notice == "" and a.shape == (10, 784) and c.shape == (5, 784)
        np.testing.assert_array_equal(a, x_tr[:10].reshape(10, -1) / np.float32(255))
        np.testing.assert_array_equal(d, y_te)


def test_unreadable_mnist_falls_back_naming_the_problem(home, tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"not a zip")
    cfg = SAMPLE.replace(dataset="mnist", data_path=str(bad))
    ((x_tr, _), _), notice = load_data_with_notice(cfg)
    assert len(x_tr) == 256 and "could not be read" in notice and "offline sample" in notice


def test_fashion_mnist_from_a_path_and_missing(home, tmp_path, monkeypatch):
    path = tmp_path / "fashion.npz"
    write_npz(path, n_train=8, n_test=3, seed=1)
    (x_tr, _), (x_te, _) = load_data(SAMPLE.replace(dataset="fashion_mnist", data_path=str(path),
                                                    n_samples=None, batch_size=8))
    assert x_tr.shape == (8, 784) and x_te.shape == (3, 784)
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        load_data(SAMPLE.replace(dataset="fashion_mnist"))


def test_trainer_on_784_inputs_with_ten_classes():
    trainer, ((x, y), (xv, _)) = build_trainer(SAMPLE.replace(n_samples=200, batch_size=50))
    assert trainer.model.layers[-1].units == 10 and trainer.y.shape == (200, 10)
    assert trainer.batches_per_epoch == 4
    losses = [trainer.train_batch() or trainer.snapshot().batch_losses[-1] for _ in range(3)]
    assert trainer.step == 3 and np.isfinite(losses).all()


def test_serve_loop_with_784_inputs_sends_data_and_no_boundary():
    """The real command loop (in a thread, over a real pipe): the first snapshot carries the
    data and config, no 2D boundary; a step trains one batch of 128 digits."""
    conn, child_conn = mp.Pipe()
    thread = threading.Thread(target=serve, args=(child_conn, SAMPLE), daemon=True)
    thread.start()
    try:
        assert conn.poll(30)
        kind, snap = conn.recv()
        assert kind == "snapshot", snap
        assert snap.boundary is None and snap.run.plane is None and snap.run.x_train_2d is None
        assert snap.run.x_train.shape == (256, 784) and snap.run.is_images and snap.run.n_classes == 10
        assert snap.run.x_val.shape == (1000, 784)
        assert snap.run.config.dataset == "mnist_sample" and snap.batches_per_epoch == 2
        assert [w.shape for w in snap.weights] == [(784, 16), (16,), (16, 10), (10,)]
        conn.send(("step_batch",))
        assert conn.poll(30)
        kind, snap = conn.recv()
        assert kind == "snapshot" and snap.step == 1 and snap.batch_losses.shape == (1,)
        conn.send(("step_epoch",))
        assert conn.poll(30)
        kind, snap = conn.recv()
        assert snap.epoch == 1 and 0.0 <= snap.epochs[0]["val_accuracy"] <= 1.0
    finally:
        conn.send(("stop",))
        thread.join(10)
        conn.close()
    assert not thread.is_alive()
