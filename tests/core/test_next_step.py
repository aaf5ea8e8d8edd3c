"""The exact next step: ``next_step(model, x, y, optimizer)`` is the update training makes, bit for bit.

Every comparison here is ``assert_array_equal`` on float64 values: the step is the float64
difference of two float32 weight vectors (exact whenever the old and new weight of a
parameter are within a factor of two, which holds for any step that is not a sign flip
through zero, and held for every weight below), and ``weights + step`` is compared with
the weights after one real ``train_on_batch`` / ``Trainer.train_batch``.
"""
from __future__ import annotations

import numpy as np
import pytest

from core import datasets
from core.engine import optimizers
from core.run.config import TrainingConfig, build_trainer, make_optimizer
from core.engine.layers import Dense, Dropout
from core.engine.model import Sequential
from core.analysis.loss.slices import flatten, next_batch, next_step, slice_1d

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(0.01, momentum=0.5),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adam": lambda: optimizers.Adam(0.01),
}


def model_and_data(make, dropout=0.0, seed=0):
    x, y = datasets.make("spiral", n=200, noise=0.1, seed=seed)
    layers = [Dense(8, "tanh", input_shape=(2,))]
    if dropout:
        layers.append(Dropout(dropout))
    layers += [Dense(8, "tanh"), Dense(1, "sigmoid")]
    model = Sequential(layers, seed=seed)
    model.compile(make(), "binary_crossentropy", metrics=["accuracy"])
    for start in range(0, 96, 32):              # some momentum / moments / iterations to carry along
        model.train_on_batch(x[start:start + 32], y[start:start + 32])
    return model, x, y


def weights64(model) -> np.ndarray:
    return flatten(model.get_weights())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_weights_plus_next_step_are_the_weights_after_the_update_bit_for_bit(name):
    model, x, y = model_and_data(OPTIMIZERS[name])
    xb, yb = x[100:132], y[100:132]
    state = model.optimizer.get_state()
    before = weights64(model)
    step = next_step(model, xb, yb, model.optimizer)
    # nothing the caller sees moved: weights, the optimizer's slots and iteration count
    np.testing.assert_array_equal(weights64(model), before)
    after_state = model.optimizer.get_state()
    assert after_state["iterations"] == state["iterations"] == 3
    for s0, s1 in zip(state["slots"], after_state["slots"], strict=True):
        np.testing.assert_array_equal(s0, s1)
    assert step.dtype == np.float64 and step.shape == before.shape and np.any(step != 0)
    model.train_on_batch(xb, yb)
    np.testing.assert_array_equal(before + step, weights64(model))


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_the_state_matters_a_fresh_optimizer_steps_differently(name):
    model, x, y = model_and_data(OPTIMIZERS[name])
    fresh = OPTIMIZERS[name]()
    with_state = next_step(model, x[:32], y[:32], model.optimizer)
    without = next_step(model, x[:32], y[:32], fresh)
    assert np.linalg.norm(with_state - without) > 0.1 * np.linalg.norm(with_state)
    assert fresh.iterations == 0 and fresh.get_state()["slots"] == []


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_an_optimizer_rebuilt_from_its_state_in_another_layout_gives_the_same_step(name):
    """A checkpoint's optimizer state is per flat buffer; one built per weight array works too."""
    model, x, y = model_and_data(OPTIMIZERS[name])
    per_array = OPTIMIZERS[name]()
    params = [p.copy() for p in model.params]
    per_array.apply(params, [np.zeros_like(p) for p in params])     # builds one slot per weight array
    flat = OPTIMIZERS[name]()
    flat.apply([np.concatenate([p.ravel() for p in params])], [np.zeros(sum(p.size for p in params), np.float32)])
    np.testing.assert_array_equal(next_step(model, x[:40], y[:40], per_array),
                                  next_step(model, x[:40], y[:40], flat))


def test_dropout_masks_are_the_ones_training_draws_next():
    model, x, y = model_and_data(OPTIMIZERS["adam"], dropout=0.3)
    before = weights64(model)
    rng_state = model.rng.bit_generator.state
    step = next_step(model, x[:32], y[:32], model.optimizer)
    assert model.rng.bit_generator.state == rng_state           # the draws are given back
    assert np.array_equal(next_step(model, x[:32], y[:32], model.optimizer), step)
    model.train_on_batch(x[:32], y[:32])
    np.testing.assert_array_equal(before + step, weights64(model))


def test_an_optimizer_for_other_weights_is_refused():
    model, x, y = model_and_data(OPTIMIZERS["adam"])
    other = optimizers.Adam()
    other.apply([np.zeros((3, 3), np.float32)], [np.ones((3, 3), np.float32)])
    with pytest.raises(ValueError, match="state for weights of shapes"):
        next_step(model, x, y, other)
    with pytest.raises(ValueError, match="Argument `optimizer` must be"):
        next_step(model, x, y, "adam")


def test_slice_1d_takes_the_step_it_is_given():
    model, x, y = model_and_data(OPTIMIZERS["adam"])
    step = next_step(model, x[:16], y[:16], model.optimizer)
    s = slice_1d(model, x, y, span=0.5, resolution=11, step=step)
    np.testing.assert_allclose(s.direction, step / np.linalg.norm(step))
    assert s.step == pytest.approx(np.linalg.norm(step))
    with pytest.raises(ValueError, match="Argument `step`"):
        slice_1d(model, x, y, step=step[:-1])


# ---- the trainer's next batch from a checkpoint --------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_next_batch_and_next_step_from_a_checkpoint_predict_the_trainer_bit_for_bit(optimizer):
    config = TrainingConfig(n_samples=150, hidden=((6, "tanh"),), optimizer=optimizer, momentum=0.5,
                            batch_size=16, dropout=0.2)
    trainer, ((x, y), _) = build_trainer(config)
    trainer.record = True
    for _ in range(13):                  # into the second epoch (8 batches per epoch of 120 samples)
        trainer.train_batch()
    ckpt = trainer.checkpoint()
    assert ckpt.epoch == 1 and ckpt.position == 5 * 16
    # what the view does: a model of its own, the checkpoint's weights, optimizer and dropout generator
    from core.run.config import build_model, targets_for
    model = build_model(config, x.shape[1], 2)
    model.set_weights(ckpt.weight_list())
    model.rng.bit_generator.state = ckpt.rng["model"]
    opt = make_optimizer(config)
    opt.set_state(ckpt.optimizer)
    idx = next_batch(ckpt, len(x))
    assert len(idx) == 16 and len(set(idx.tolist())) == 16
    step = next_step(model, x[idx], targets_for(config, y[idx], 2), opt)
    trainer.train_batch()
    np.testing.assert_array_equal(flatten(ckpt.weight_list()) + step, flatten(trainer.model.get_weights()))


def test_next_batch_at_the_end_of_an_epoch_is_short_and_refuses_a_foreign_checkpoint():
    config = TrainingConfig(n_samples=150, hidden=((4, "tanh"),), batch_size=50)
    trainer, ((x, _), _) = build_trainer(config)     # 120 training samples: batches of 50, 50, 20
    trainer.train_batch()
    trainer.train_batch()
    ckpt = trainer.checkpoint()
    idx = next_batch(ckpt, len(x))
    np.testing.assert_array_equal(idx, trainer._order[100:120])
    with pytest.raises(ValueError, match="not a checkpoint of this training set"):
        next_batch(ckpt, 90)
