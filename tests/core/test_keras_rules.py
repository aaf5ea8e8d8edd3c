"""Keras 3's rules where they do not depend on its backend, pinned with numbers measured in Keras.

The reference numbers were measured with Keras 3.15.1 (torch backend) on the same data, the
same initial weights and the same (unshuffled) batches; they are written here so the tests
run without Keras.
"""
import numpy as np
import pytest

import core
from core.engine import losses
from core.engine.training import Trainer, split_tail


def _data(n=32, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    labels = rng.integers(0, k, n)
    multi = (rng.random((n, k)) < 0.5).astype(np.float32)
    multi[multi.sum(axis=1) == 0, 0] = 1
    return x, labels, multi


def _two_layer(out_act, loss, units=3, d=4, lr=0.1, metrics=None):
    model = core.Sequential([core.Dense(5, "tanh", input_shape=(d,)), core.Dense(units, out_act)], seed=0)
    model.compile(core.engine.optimizers.SGD(lr), loss, metrics=metrics)
    return model


def _train_full_batch(model, x, y, steps=100):
    return model.fit(x, y, epochs=steps, batch_size=len(x), shuffle=False, verbose=0).history["loss"]


# ---- 1. categorical crossentropy on a non-softmax output ----------------------------------------
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_sigmoid_output_with_categorical_crossentropy_trains_as_keras(loss):
    # Keras normalises p / sum(p) and differentiates through it; leaving the normalisation out of
    # the gradient ended at a loss of 1.0813 (and weights off by 28 % after 100 steps)
    x, labels, _ = _data()
    y = np.eye(3, dtype=np.float32)[labels] if loss == "categorical_crossentropy" else labels
    history = _train_full_batch(_two_layer("sigmoid", loss), x, y)
    assert history[0] == pytest.approx(1.1082290, rel=1e-6)     # Keras: 1.1082290
    assert history[-1] == pytest.approx(0.9943476, rel=1e-5)    # Keras: 0.9943476


def test_the_unfused_gradient_is_the_derivative_of_the_reported_loss():
    # sigmoid outputs (0.2, 0.6, 0.2) and a one-hot target on the second class: with s = 1
    # and q = p, dL/dp = -y / p + sum(y) / s = (1, 1 - 1 / 0.6, 1) / n
    p = np.array([[0.2, 0.6, 0.2]], np.float32)
    y = np.array([[0.0, 1.0, 0.0]], np.float32)
    grad = losses.get("categorical_crossentropy").gradient(y, p, np.empty_like(p))
    np.testing.assert_allclose(grad, [[1.0, 1.0 - 1.0 / 0.6, 1.0]], rtol=1e-6)
    sparse = losses.get("sparse_categorical_crossentropy").gradient(np.array([1]), p, np.empty_like(p))
    np.testing.assert_allclose(sparse, grad, rtol=1e-6)


# ---- 2. softmax + crossentropy with targets that do not sum to 1 ----------------------------------
def test_multi_hot_targets_with_softmax_train_as_keras():
    # the delta on the logits is p * sum(y) - y; p - y ended at 1.5398 (14 % off in the weights)
    x, _, multi = _data()
    history = _train_full_batch(_two_layer("softmax", "categorical_crossentropy"), x, multi)
    assert history[0] == pytest.approx(1.8548301, rel=1e-6)     # Keras: 1.8548301
    assert history[-1] == pytest.approx(1.4777806, rel=1e-5)    # Keras: 1.4777806


def test_fused_delta_for_multi_hot_and_one_hot_rows():
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], np.float32)
    y = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    out = losses.fused_delta("categorical_crossentropy", y, p, np.empty_like(p))
    np.testing.assert_allclose(out, [[0.0, -0.2, 0.2], [0.05, 0.05, -0.1]], rtol=1e-6, atol=1e-7)
    # a one-hot row (sum exactly 1) gives p - y to the bit
    np.testing.assert_array_equal(out[1], (p[1] - y[1]) * np.float32(0.5))


# ---- 3. sigmoid at very negative logits --------------------------------------------------------
LOGITS = np.array([-9, -11.83, -14, -16, -16.5, -20, -40, -80, 3, -2], np.float32)


def test_bce_on_confidently_wrong_samples_evaluates_as_keras():
    # one sigmoid unit with weight 1 and bias 0 gives the logits themselves; every target is 1.
    # The cancelling 0.5 * (1 + tanh(z / 2)) gave 11.741850 here (the case: 11.8288
    # against Keras's 11.8345).
    model = core.Sequential([core.Dense(1, "sigmoid", input_shape=(1,))])
    model.compile("sgd", "binary_crossentropy")
    model.set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    y = np.ones((len(LOGITS), 1), np.float32)
    loss = model.evaluate(LOGITS[:, None], y)
    assert loss == pytest.approx(11.747803, rel=1e-6)             # Keras: 11.747803
    p = 1.0 / (1.0 + np.exp(-LOGITS.astype(np.float64)))
    assert loss == pytest.approx(np.mean(-np.log(np.clip(p, 1e-7, 1 - 1e-7))), rel=1e-6)
    np.testing.assert_allclose(model.predict(LOGITS[:, None])[:, 0], p, rtol=1e-6)


# ---- 4. validation_split -------------------------------------------------------------------------
@pytest.mark.parametrize("n, split, held_out", [(11, 0.2, 3), (4, 0.2, 1), (10, 0.3, 3), (100, 0.3, 30),
                                                (7, 0.5, 4), (3, 0.01, 1)])
def test_validation_split_holds_out_n_minus_floor_n_times_one_minus_split(n, split, held_out):
    x = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n)
    (_, y_tr), (x_val, y_val) = split_tail(x, y, split)
    assert len(x_val) == held_out == n - int(np.floor(n * (1 - split)))
    np.testing.assert_array_equal(y_val, np.arange(n - held_out, n))     # the last samples, in order
    np.testing.assert_array_equal(y_tr, np.arange(n - held_out))


@pytest.mark.parametrize("n, split", [(5, 0.9), (4, 1e-17)])
def test_a_split_leaving_a_part_empty_is_an_error_as_in_keras(n, split):
    # floor(5 * 0.1) = 0 training samples; floor(4 * (1 - 1e-17)) = 4 leaves no validation sample
    with pytest.raises(ValueError, match=f"validation_split={split} cannot split {n} samples"):
        split_tail(np.zeros((n, 1), np.float32), np.zeros(n), split)


def test_fit_with_four_samples_keeps_one_for_validation():
    # int(4 * 0.2) = 0 held out, and val_loss was silently missing
    x, labels, _ = _data(n=4, d=2)
    model = _two_layer("sigmoid", "binary_crossentropy", units=1, d=2, metrics=["accuracy"])
    h = model.fit(x, (labels == 1).astype(np.float32), epochs=2, batch_size=8, validation_split=0.2,
                  shuffle=False, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h.history["val_loss"][-1] == pytest.approx(
        model.evaluate(x[3:], (labels[3:] == 1).astype(np.float32))[0], rel=1e-6)
    assert model.optimizer.iterations == 2     # 3 training samples, one batch an epoch


# ---- 5. History.epoch ----------------------------------------------------------------------------
def test_history_epoch_counts_from_zero_as_keras():
    x, labels, _ = _data(n=20, d=2)
    model = _two_layer("softmax", "sparse_categorical_crossentropy", d=2)
    h = model.fit(x, labels, epochs=3, batch_size=8, verbose=0)
    assert h.epoch == [0, 1, 2] and len(h.history["loss"]) == 3


def test_the_trainer_still_counts_epochs_from_one_for_the_app():
    x, labels, _ = _data(n=20, d=2)
    t = Trainer(_two_layer("softmax", "sparse_categorical_crossentropy", d=2), x, labels, batch_size=8, epochs=2)
    t.train_epoch()
    t.train_epoch()
    snap = t.snapshot()
    assert t.epoch == 2 and [e["epoch"] for e in snap.epochs] == [1, 2]     # what the curves draw
    assert t.history.epoch == [0, 1]                                         # what fit returns


def test_verbose_fit_prints_every_epoch_with_its_logs(capsys):
    x, labels, _ = _data(n=20, d=2)
    _two_layer("softmax", "sparse_categorical_crossentropy", d=2).fit(x, labels, epochs=2, batch_size=8, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("loss: ") and out[3].startswith("loss: ")


# ---- 6. batch_size larger than the data ----------------------------------------------------------
def test_batch_size_larger_than_the_data_trains_one_batch_of_all():
    x, labels, _ = _data(n=10, d=2)
    model = _two_layer("softmax", "sparse_categorical_crossentropy", d=2)
    same = _two_layer("softmax", "sparse_categorical_crossentropy", d=2)
    h = model.fit(x, labels, epochs=3, batch_size=64, shuffle=False, verbose=0)
    assert model.optimizer.iterations == 3
    expected = [same.train_on_batch(x, labels) for _ in range(3)]
    assert h.history["loss"] == expected
    for a, b in zip(model.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_trainer_accepts_a_batch_size_larger_than_the_data():
    x, labels, _ = _data(n=10, d=2)
    t = Trainer(_two_layer("softmax", "sparse_categorical_crossentropy", d=2), x, labels,
                batch_size=1000, epochs=2, seed=0)
    assert t.batches_per_epoch == 1 and t.hyperparameters()["batch_size"] == 1000
    assert t.train_batch() and (t.epoch, t.step) == (1, 1)
    assert not t.train_batch() and t.state == "finished" and t.step == 2


# ---- 7. metric names -----------------------------------------------------------------------------
@pytest.mark.parametrize("names", [["acc"], ["accuracy"], ["accuracy", "acc"], "acc"])
def test_metrics_are_logged_under_the_name_given(names):
    x, labels, _ = _data(n=20, d=2)
    model = _two_layer("softmax", "sparse_categorical_crossentropy", d=2, metrics=names)
    wanted = [names] if isinstance(names, str) else names
    h = model.fit(x, labels, epochs=1, batch_size=8, validation_split=0.25, verbose=0)
    assert list(h.history) == ["loss", *wanted, "val_loss", *("val_" + n for n in wanted)]
    logs = model.evaluate(x, labels, return_dict=True)
    assert list(logs) == ["loss", *wanted] and len(set(logs.values())) == 2
    assert model.evaluate(x, labels) == list(logs.values())
    assert list(model.train_on_batch(x, labels, return_dict=True)) == ["loss", *wanted]
    with pytest.raises(ValueError, match="`metrics` must be one of 'accuracy', 'acc', 'mae'"):
        model.compile("sgd", "mse", metrics=["mse"])


# ---- 8. saturated outputs ------------------------------------------------------------------------
def test_a_confidently_wrong_saturated_output_gets_p_minus_y():
    # Keras's TensorFlow backend differentiates the logits (p - y); its torch backend's clip gives
    # 0. The engine does as TensorFlow: the reported loss is clipped, the gradient is not.
    model = core.Sequential([core.Dense(1, "sigmoid", input_shape=(1,))])
    model.compile("sgd", "binary_crossentropy")
    model.set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    x, y = np.array([[30.0], [-30.0]], np.float32), np.array([[0.0], [1.0]], np.float32)
    clipped = (-np.log(1 - np.float32(1 - 1e-7)) - np.log(np.float32(1e-7))) / 2   # both outputs clipped
    assert model.evaluate(x, y) == pytest.approx(clipped, rel=1e-6)
    kernel_grad, bias_grad = model.gradients(x, y)
    # p - y = (1, -1) on the logits: the kernel's gradient is mean((p - y) x) = 30, not 0 as
    # through a clip; the bias's is mean(p - y) = 0
    assert kernel_grad[0, 0] == pytest.approx(30.0, rel=1e-6)
    assert abs(bias_grad[0]) < 1e-6

    softmax = core.Sequential([core.Dense(3, "softmax", input_shape=(3,))])
    softmax.compile("sgd", "categorical_crossentropy")
    softmax.set_weights([np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
    x, y = np.array([[40.0, 0.0, 0.0]], np.float32), np.array([[0.0, 1.0, 0.0]], np.float32)
    assert softmax.evaluate(x, y) == pytest.approx(-np.log(1e-7), rel=1e-6)
    np.testing.assert_allclose(softmax.gradients(x, y)[1], [1.0, -1.0, 0.0], atol=1e-6)
