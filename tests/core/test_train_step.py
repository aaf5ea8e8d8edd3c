"""The model's public training step and what the Trainer builds on (issue 15: the trainer uses
only public model methods; the engine imports nothing from the run service or the analyses)."""
from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import core
from core.engine.training import Trainer, epoch_order
from core.run.config import TrainingConfig, build_trainer

TRAINING = pathlib.Path(core.__file__).parent / "engine" / "training.py"


def _model(seed=0, optimizer="adam"):
    model = core.Sequential([core.Dense(5, "tanh", input_shape=(3,)), core.Dense(3, "softmax")], seed=seed)
    model.compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"])
    return model


def _data(n=40):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(n, 3))                           # float64, as a user may pass
    return x, rng.integers(0, 3, n)


def test_check_xy_gives_what_train_step_takes():
    x, y = _data()
    xc, yc = _model().check_xy(x, y)
    assert xc.dtype == np.float32 and xc.flags.c_contiguous and np.array_equal(xc, x.astype(np.float32))
    assert np.array_equal(yc, y)
    with pytest.raises(ValueError, match="same number of samples"):
        _model().check_xy(x, y[:-1])
    with pytest.raises(ValueError, match="compiled"):
        core.Sequential([core.Dense(1, "sigmoid", input_shape=(3,))]).check_xy(x, y)


def test_train_step_is_train_on_batch_without_the_checks():
    x, y = _data()
    a, b = _model(), _model()
    xc, yc = a.check_xy(x, y)
    for _ in range(3):
        loss, hits = a.train_step(xc, yc)
        loss_b, acc_b = b.train_on_batch(x, y)
        assert loss == loss_b and hits / len(x) == acc_b and isinstance(hits, int)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert np.array_equal(wa, wb)
    assert a.optimizer.iterations == b.optimizer.iterations == 3


def test_train_step_returns_the_loss_before_the_update():
    x, y = _data()
    model = _model()
    xc, yc = model.check_xy(x, y)
    before = model.evaluate(x, y, return_dict=True)
    loss, hits = model.train_step(xc, yc)
    assert loss == pytest.approx(before["loss"], rel=1e-6)
    assert hits == round(before["accuracy"] * len(x))
    assert model.evaluate(x, y, return_dict=True)["loss"] < loss


def test_a_batch_whose_loss_is_not_finite_updates_nothing():
    x, y = _data()
    model = _model(optimizer="rmsprop")
    xc, yc = model.check_xy(x, y)
    model.train_step(xc, yc)
    weights, state = model.get_weights(), model.optimizer.get_state()
    bad = xc.copy()
    bad[0, 0] = np.nan                                    # one NaN input: the loss is NaN
    with np.errstate(all="ignore"):
        loss, _ = model.train_step(bad, yc)
    assert not np.isfinite(loss)
    assert model.optimizer.iterations == 1
    for a, b in zip(model.get_weights(), weights):
        assert np.array_equal(a, b)
    for a, b in zip(model.optimizer.get_state()["slots"], state["slots"]):
        assert np.array_equal(a, b)
    assert model.weights_finite()


def test_weights_finite_sees_every_weight():
    model = _model()
    assert model.weights_finite()
    for i in range(len(model.get_weights())):
        weights = model.get_weights()
        weights[i].flat[-1] = np.nan
        model.set_weights(weights)
        assert not model.weights_finite(), i
        model.set_weights(_model().get_weights())
    model.layers[0].kernel = np.full((3, 5), np.inf, np.float32)    # replaced, no longer in the flat buffer
    assert not model.weights_finite()


def test_reset_rng_restarts_the_dropout_masks():
    model = core.Sequential([core.Dense(8, "relu", input_shape=(3,)), core.Dropout(0.5),
                             core.Dense(3, "softmax")], seed=3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = _data()
    xc, yc = model.check_xy(x, y)
    w0 = model.get_weights()
    model.reset_rng()
    first = [model.train_step(xc, yc)[0] for _ in range(3)]
    model.set_weights(w0)
    model.optimizer.reset()
    assert [model.train_step(xc, yc)[0] for _ in range(3)] != first    # the generator moved on
    model.set_weights(w0)
    model.optimizer.reset()
    model.reset_rng()
    assert [model.train_step(xc, yc)[0] for _ in range(3)] == first


def test_the_trainer_calls_no_private_model_method():
    """training.py reaches the model only through public names (``model.x``, ``self.model.x``)."""
    tree = ast.parse(TRAINING.read_text(encoding="utf-8"))
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id in ("model", "layer")) or (
                    isinstance(owner, ast.Attribute) and owner.attr in ("model", "optimizer")):
                private.append(f"line {node.lineno}: .{node.attr}")
    assert not private


def test_the_engine_imports_nothing_from_run_or_analysis():
    engine = TRAINING.parent
    found = []
    for path in engine.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.startswith(("core.run", "core.analysis"))]
    assert not found


def test_epoch_order_is_the_trainers_order():
    x, y = _data(n=23)
    t = Trainer(_model(), x, y, batch_size=5, epochs=3, seed=11)
    rng = np.random.default_rng(11)
    for _epoch in range(3):
        order = epoch_order(rng, 23)
        assert sorted(order) == list(range(23))
        for start in range(0, 23, 5):
            assert np.array_equal(t._order[start:start + 5], order[start:start + 5])
            t.train_batch()
    assert np.array_equal(epoch_order(np.random.default_rng(0), 6, shuffle=False), np.arange(6))


def test_recorded_epochs_carry_the_statistics_the_trainer_was_given():
    x, y = _data()
    calls = []

    def stats(model, x_probe):
        calls.append((model, x_probe.shape))
        return {"n": len(calls)}

    t = Trainer(_model(), x, y, batch_size=8, epochs=2, record=True, epoch_stats=stats)
    t.fit(verbose=0)
    entries = t.snapshot().epochs
    assert [e["stats"] for e in entries] == [{"n": 1}, {"n": 2}]
    assert calls == [(t.model, (40, 3))] * 2
    plain = Trainer(_model(), x, y, batch_size=8, epochs=1, record=True)     # none given: none made
    plain.fit(verbose=0)
    assert [sorted(e) for e in plain.snapshot().epochs] == [["accuracy", "epoch", "loss"]]
    with pytest.raises(ValueError, match="epoch_stats"):
        Trainer(_model(), x, y, epoch_stats="layers")


def test_build_trainer_hands_the_layer_statistics_to_the_trainer():
    trainer, _ = build_trainer(TrainingConfig(n_samples=100, epochs=1, batch_size=20))
    trainer.record = True
    trainer.train_epoch()
    (entry,) = trainer.snapshot().epochs
    assert [layer["units"] for layer in entry["stats"]["layers"]] == [16, 16, 1]
