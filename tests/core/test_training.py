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
    with pytest.raises(ValueError, match="`batch_size` must be an integer in the range \\[1, 80\\]"):
        t.set_hyperparameter("batch_size", 1000)
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
    t = small_trainer(dataset="paper_ball", hidden=((16, "tanh"), (16, "tanh")), learning_rate=0.02)
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
    t = small_trainer()
    for _ in range(10):
        t.train_epoch()          # 80 batches, never a snapshot
    snap = t.snapshot()
    assert len(snap.batch_steps) == 50 and snap.batch_steps[-1] == t.step
