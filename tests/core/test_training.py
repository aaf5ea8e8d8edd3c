"""Trainer, TrainingConfig and snapshots."""
import pickle

import numpy as np
import pytest

import core
from core.run.config import TrainingConfig, build_trainer
from core.engine.training import Trainer


def small_trainer(**changes):
    cfg = TrainingConfig(n_samples=100, **changes)
    trainer, data = build_trainer(cfg)
    return trainer


def test_step_batch_and_epoch_counts():
    t = small_trainer(batch_size=10)
    assert t.batches_per_epoch == 8  # 80 training samples
    t.train_batch()
    assert (t.step, t.batch, t.epoch) == (1, 1, 0)
    t.train_epoch()
    assert (t.step, t.batch, t.epoch) == (8, 0, 1)
    t.train_epoch()
    assert (t.step, t.epoch) == (16, 2)
    assert t.model.optimizer.iterations == 16
    assert len(t.history.history["loss"]) == 2 and "val_accuracy" in t.history.history


def test_snapshot_is_immutable_and_carries_every_batch():
    t = small_trainer()
    for _ in range(5):
        t.train_batch()
    snap = t.snapshot()
    assert list(snap.batch_steps) == [1, 2, 3, 4, 5]
    assert len(snap.batch_losses) == 5 and snap.batch_losses.dtype == np.float32
    with pytest.raises(ValueError):
        snap.weights[0][0, 0] = 1.0  # read-only copy
    with pytest.raises(AttributeError):
        snap.step = 3  # frozen
    assert np.array_equal(snap.weights[0], t.model.get_weights()[0])
    t.train_batch()
    assert not np.array_equal(snap.weights[0], t.model.get_weights()[0])
    assert list(t.snapshot().batch_steps) == [6]  # consumed
    pickle.loads(pickle.dumps(snap))  # crosses the process boundary


def test_reset_restores_the_same_initial_weights_and_run():
    t = small_trainer()
    w0 = t.model.get_weights()
    t.train_epoch()
    first = t.model.get_weights()
    t.reset()
    assert all(np.array_equal(a, b) for a, b in zip(w0, t.model.get_weights()))
    assert (t.step, t.epoch) == (0, 0) and t.model.optimizer.iterations == 0
    t.train_epoch()
    assert all(np.array_equal(a, b) for a, b in zip(first, t.model.get_weights()))


def test_same_config_same_run_bit_for_bit():
    a, b = small_trainer(dropout=0.2), small_trainer(dropout=0.2)
    for _ in range(3):
        a.train_epoch()
        b.train_epoch()
    assert a.history.history == b.history.history
    assert all(np.array_equal(x, y) for x, y in zip(a.model.get_weights(), b.model.get_weights()))


def test_hyperparameter_changes_apply_from_next_batch():
    t = small_trainer(optimizer="sgd", learning_rate=0.1)
    t.set_hyperparameter("learning_rate", 0.5)
    assert t.model.optimizer.learning_rate == 0.5
    t.set_hyperparameter("batch_size", 20)
    t.train_batch()
    assert t._pos == 20
    with pytest.raises(ValueError, match="Received: learning_rate=0"):
        t.set_hyperparameter("learning_rate", 0)
    with pytest.raises(ValueError, match="`batch_size` must be an integer >= 1. Received: batch_size=0"):
        t.set_hyperparameter("batch_size", 0)
    t.set_hyperparameter("batch_size", 1000)     # more than the 80 samples: as Keras, one batch of all
    t.train_epoch()                              # finishes the epoch begun with batches of 20
    assert t.batches_per_epoch == 1 and t._xb.shape[0] == 80
    step = t.step
    t.train_epoch()
    assert t.step == step + 1 and t._pos == 0 and t.epoch == 2
    with pytest.raises(ValueError, match="`momentum`"):
        t.set_hyperparameter("momentum", 1.5)


def test_nan_loss_stops_cleanly_and_keeps_finite_weights():
    t = small_trainer(optimizer="sgd", learning_rate=1e6, hidden=((16, "linear"), (16, "linear")))
    for _ in range(100):
        if not t.train_batch():
            break
    assert t.state == "stopped"
    assert "loss is nan" in t.message or "loss is inf" in t.message
    assert t.message.startswith("Epoch ")
    assert all(np.isfinite(w).all() for w in t.model.get_weights())
    assert t.train_batch() is False  # stays stopped


def test_finishes_after_epochs():
    t = small_trainer(epochs=2)
    while t.train_batch():
        pass
    assert t.state == "finished" and t.epoch == 2


def test_steps_generator_yields_one_batch_each():
    t = small_trainer(epochs=1, batch_size=40)
    out = list(t.steps())
    assert [s[:2] for s in out] == [(0, 1)]  # the epoch-ending batch returns False
    assert t.epoch == 1 and t.step == 2


@pytest.mark.parametrize("field,value,match", [
    ("learning_rate", -0.1, "Argument `learning_rate` must be > 0. Received: learning_rate=-0.1"),
    ("learning_rate", float("nan"), "`learning_rate` must be a finite number"),
    ("learning_rate", float("inf"), "`learning_rate`"),
    ("batch_size", 0, "`batch_size`"),
    ("batch_size", True, "`batch_size`"),
    ("batch_size", 500, "must be <= the number of training samples"),
    ("epochs", 0, "`epochs`"),
    ("validation_split", 1.0, "`validation_split`"),
    ("noise", -1, "`noise` must be >= 0"),
    ("momentum", 2, "`momentum`"),
    ("dataset", "nope", "`dataset` must be one of"),
    ("hidden", ((0, "relu"),), r"`hidden\[0\].units`"),
    ("hidden", ((4, "swish"),), r"`hidden\[0\].activation`"),
    ("optimizer", "lbfgs", "`optimizer` must be one of"),
    ("dropout", 1.0, "`dropout`"),
])
def test_config_validation_names_the_bad_value(field, value, match):
    cfg = TrainingConfig(**{field: value})
    assert field in cfg.errors()
    with pytest.raises(ValueError, match=match):
        cfg.validate()


def test_config_json_round_trip_and_garbage():
    cfg = TrainingConfig(hidden=((3, "relu"), (5, "sigmoid")), optimizer="sgd", momentum=0.9)
    assert TrainingConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError):
        TrainingConfig.from_json("{not json")
    with pytest.raises(ValueError):
        TrainingConfig.from_dict({"hidden": 5})
    with pytest.raises(ValueError):
        TrainingConfig.from_dict([1, 2])


def test_single_class_csv_is_refused_with_a_message(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x1,x2,label\n0,1,1\n1,2,1\n3,1,1\n4,4,1\n5,0,1\n")
    with pytest.raises(ValueError, match="single class"):
        build_trainer(TrainingConfig(csv_path=str(path), batch_size=1))


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_every_loss_trains_from_a_config(loss):
    t = small_trainer(loss=loss, learning_rate=0.03)
    first = None
    for _ in range(20):
        t.train_epoch()
        first = first or t.history.history["loss"][0]
    assert t.history.history["loss"][-1] < first


def test_3d_paper_ball_trains():
    t = small_trainer(dataset="paper_ball", hidden=((16, "tanh"), (16, "tanh")), learning_rate=0.02, batch_size=10)
    for _ in range(40):
        t.train_epoch()
    assert t.history.history["accuracy"][-1] > 0.8


def test_trainer_requires_a_compiled_model():
    model = core.Sequential([core.Dense(1, "sigmoid", input_shape=(2,))])
    with pytest.raises(ValueError, match="compiled"):
        Trainer(model, np.zeros((4, 2)), np.zeros(4))


def test_pending_batch_losses_are_bounded_without_snapshots(monkeypatch):
    import core.engine.training as tr
    monkeypatch.setattr(tr, "MAX_PENDING", 50)
    t = small_trainer(batch_size=10)
    for _ in range(10):
        t.train_epoch()          # 80 batches, never a snapshot
    snap = t.snapshot()
    assert len(snap.batch_steps) == 50 and snap.batch_steps[-1] == t.step


# ---- batches and shuffling ----------------------------------------------------------------------
def _logistic(lr=0.05):
    model = core.Sequential([core.Dense(1, "sigmoid", input_shape=(2,))], seed=0)
    model.compile(core.engine.optimizers.SGD(lr), "binary_crossentropy")
    return model


def _squares_model():
    """``y = x`` (one weight of 1, no bias) under MSE against 0 with a learning rate too small to
    move it: a batch's loss is the mean of its x**2, so the losses tell which samples it held."""
    model = core.Sequential([core.Dense(1, "linear", input_shape=(1,), use_bias=False)])
    model.compile(core.engine.optimizers.SGD(1e-30), "mse")
    model.set_weights([np.ones((1, 1), np.float32)])
    return model


def test_the_partial_last_batch_is_trained_and_weighs_by_its_size():
    x, y = core.datasets.gaussians(100, 0.3, 0)
    t = Trainer(_logistic(), x, y, batch_size=32, epochs=1, shuffle=False)
    assert t.batches_per_epoch == 4
    t.train_epoch()
    snap = t.snapshot()
    assert list(snap.batch_steps) == [1, 2, 3, 4] and t.model.optimizer.iterations == 4
    # the same four updates by hand: three of 32 samples, then the last 4
    replay = _logistic()
    losses = [replay.train_on_batch(x[a:b], y[a:b]) for a, b in ((0, 32), (32, 64), (64, 96), (96, 100))]
    np.testing.assert_array_equal(snap.batch_losses, np.array(losses, np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(t.model.get_weights(), replay.get_weights()))
    weighted = (32 * sum(losses[:3]) + 4 * losses[3]) / 100
    assert t.history.history["loss"] == [pytest.approx(weighted, rel=1e-12)]
    assert weighted != pytest.approx(np.mean(losses), rel=1e-4)       # the test tells the two apart
    # fit goes the same way
    model = _logistic()
    h = model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 4 and h.history["loss"] == t.history.history["loss"]


def test_sixty_thousand_samples_at_128_make_469_updates_an_epoch():
    # the book's MNIST epoch: 468 full batches and one of 96. Only the last 96 samples are 1
    # (the rest 0), so the epoch's loss is 96 / 60,000 when that batch is trained and weighed
    # by its size (0 if it were skipped, 1 / 469 if batches counted alike).
    x = np.zeros((60_000, 1), np.float32)
    x[-96:] = 1.0
    t = Trainer(_squares_model(), x, np.zeros(60_000, np.float32), batch_size=128, epochs=1, shuffle=False)
    assert t.batches_per_epoch == 469
    t.train_epoch()
    assert t.step == 469 == t.model.optimizer.iterations and t.epoch == 1
    assert t.history.history["loss"] == [pytest.approx(96 / 60_000, rel=1e-6)]
    assert t.snapshot().batch_losses[-1] == 1.0


def _sample_order(seed, epochs=2, n=8):
    x = np.arange(n, dtype=np.float32)[:, None]
    t = Trainer(_squares_model(), x, np.zeros(n, np.float32), batch_size=1, epochs=epochs, seed=seed)
    while t.train_batch():
        pass
    order = np.sqrt(t.snapshot().batch_losses).round().astype(int)
    return [order[e * n:(e + 1) * n].tolist() for e in range(epochs)]


def test_the_shuffle_order_of_a_seed_is_pinned():
    # np.random.default_rng(seed).permutation, drawn anew every epoch from the one generator
    assert _sample_order(3) == [[6, 7, 2, 1, 4, 5, 3, 0], [6, 0, 4, 1, 5, 2, 3, 7]]
    assert _sample_order(4)[0] == [1, 2, 0, 7, 4, 5, 3, 6]          # seed + 1 shuffles otherwise
    assert _sample_order(3) == _sample_order(3)
