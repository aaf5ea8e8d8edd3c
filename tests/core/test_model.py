"""The Keras-shaped public API of ``core.Sequential``."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import core


def spiral_model(seed=0, hidden=(8, 8), act="tanh"):
    layers = [core.Dense(hidden[0], act, input_shape=(2,))]
    layers += [core.Dense(u, act) for u in hidden[1:]]
    layers.append(core.Dense(1, "sigmoid"))
    model = core.Sequential(layers, seed=seed)
    model.compile(core.engine.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


def test_fit_learns_xor_to_near_zero_loss():
    x, y = core.datasets.xor(400, 0.05, 0)
    model = spiral_model(hidden=(8,))
    history = model.fit(x, y, epochs=60, batch_size=16, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.1
    assert history.history["accuracy"][-1] > 0.97
    assert history.history["loss"][-1] < history.history["loss"][0] / 4


def test_fit_learns_spiral():
    x, y = core.datasets.spiral(400, 0.05, 0)
    model = spiral_model(hidden=(16, 16))
    history = model.fit(x, y, epochs=150, batch_size=10, verbose=0, seed=0)
    assert history.history["accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < 0.15


def test_same_seed_gives_bit_identical_runs():
    x, y = core.datasets.spiral(200, 0.1, 3)
    runs = []
    for _ in range(2):
        model = spiral_model(seed=7)
        h = model.fit(x, y, epochs=3, batch_size=10, verbose=0, seed=5, validation_split=0.2)
        runs.append((model.get_weights(), h.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        assert np.array_equal(a, b)
    assert runs[0][1] == runs[1][1]
    other = spiral_model(seed=8)
    assert not np.array_equal(other.get_weights()[0], runs[0][0][0])


def test_train_on_batch_returns_loss_before_update():
    x, y = core.datasets.moons(32, 0.1, 0)
    model = spiral_model()
    before = model.evaluate(x, y)[0]
    loss, acc = model.train_on_batch(x, y)
    assert loss == pytest.approx(before, rel=1e-5)
    assert model.evaluate(x, y)[0] != pytest.approx(before, rel=1e-7)
    assert model.optimizer.iterations == 1
    assert 0 <= acc <= 1


def test_validation_split_takes_the_last_samples_and_reports_val_metrics():
    x, y = core.datasets.moons(100, 0.1, 0)
    model = spiral_model()
    h = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.3, verbose=0, seed=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h.history["val_loss"][-1] == pytest.approx(model.evaluate(x[70:], y[70:])[0], rel=1e-5)
    assert model.optimizer.iterations == 2 * 7  # 70 training samples / 10


def test_weights_in_keras_order_and_set_weights():
    model = spiral_model()
    w = model.get_weights()
    assert [a.shape for a in w] == [(2, 8), (8,), (8, 8), (8,), (8, 1), (1,)]
    assert all(a.dtype == np.float32 for a in w)
    w[0][...] = 1.0  # a copy: the model is untouched
    assert not np.all(model.get_weights()[0] == 1.0)
    model.set_weights(w)
    assert np.all(model.get_weights()[0] == 1.0)
    with pytest.raises(ValueError, match="shape"):
        model.set_weights([np.zeros((3, 3))] + w[1:])


def test_trace_gives_three_stages_per_layer():
    x, _ = core.datasets.spiral(50, 0.1, 0)
    model = spiral_model()
    trace = model.trace(x)
    assert len(trace) == 3
    kernel, bias = model.get_weights()[:2]
    np.testing.assert_allclose(trace[0].dot, x @ kernel, rtol=1e-6)
    np.testing.assert_allclose(trace[0].biased, x @ kernel + bias, rtol=1e-6)
    np.testing.assert_allclose(trace[0].output, np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(trace[-1].output, model.predict(x), rtol=1e-6)


def test_summary_lists_layers_shapes_and_params():
    text = spiral_model().summary(print_fn=None)
    assert "dense (Dense)" in text and "(None, 8)" in text
    assert "Total params: 105" in text and "float32" in text


def test_predict_shapes_and_dtype():
    model = spiral_model()
    p = model.predict(np.zeros((20000, 2)))  # more than one predict chunk
    assert p.shape == (20000, 1) and p.dtype == np.float32


def test_dropout_is_identity_at_inference_and_active_in_training():
    model = core.Sequential([core.Dense(16, "relu", input_shape=(2,)), core.Dropout(0.5),
                             core.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    x = np.ones((4, 2), np.float32)
    assert np.array_equal(model.predict(x), model.predict(x))
    h = model.layers[1].forward(np.ones((1000, 16), np.float32), training=True)
    assert 0.4 < np.mean(h == 0) < 0.6 and set(np.unique(h)) <= {0.0, 2.0}


# ---- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(units=0), "`units` must be an integer >= 1. Received: units=0"),
    (dict(units=2.5), "`units`"),
    (dict(units=True), "`units`"),
    (dict(units=4, activation="relux"), "`activation` must be one of .*'relu'"),
    (dict(units=4, kernel_initializer="nope"), "`kernel_initializer`"),
])
def test_dense_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        core.Dense(**kwargs)


def test_dropout_rate_must_be_below_one():
    with pytest.raises(ValueError, match=r"`rate` must be in the range \[0, 1\). Received: rate=1"):
        core.Dropout(1)


def test_compile_bad_names_list_valid_ones():
    model = spiral_model()
    with pytest.raises(ValueError, match="`loss` must be one of .*binary_crossentropy"):
        model.compile("adam", "hinge")
    with pytest.raises(ValueError, match="sgd.*rmsprop.*adagrad.*adam|adam"):
        model.compile("adamw", "mse")


@pytest.mark.parametrize("kwargs,match", [
    (dict(epochs=0), "`epochs` must be an integer >= 1. Received: epochs=0"),
    (dict(epochs=2.0), "`epochs`"),
    (dict(batch_size=0), "`batch_size`"),
    (dict(batch_size=True), "`batch_size`"),
    (dict(batch_size=-3), "`batch_size`"),
    (dict(validation_split=1.0), r"`validation_split` must be in the range \[0, 1\)"),
    (dict(validation_split=-0.1), "`validation_split`"),
])
def test_fit_bad_arguments(kwargs, match):
    x, y = core.datasets.moons(40, 0.1, 0)
    args = dict(epochs=1, batch_size=8, verbose=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        spiral_model().fit(x, y, **args)


def test_fit_bad_data():
    model = spiral_model()
    x, y = core.datasets.moons(40, 0.1, 0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:-1], verbose=0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="`x` contains 1 NaN"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(ValueError, match="`y` contains"):
        model.fit(x, np.where(y == 1, np.inf, 0.0), verbose=0)
    with pytest.raises(ValueError, match="must not be empty"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="expects inputs with 2 features"):
        model.fit(np.zeros((10, 3)), np.zeros(10), verbose=0)


def test_integer_labels_with_categorical_crossentropy_suggest_sparse():
    model = core.Sequential([core.Dense(3, "softmax", input_shape=(2,))])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(np.zeros((6, 2)), np.array([0, 1, 2, 0, 1, 2]), verbose=0)


def test_sparse_labels_out_of_range():
    model = core.Sequential([core.Dense(3, "softmax", input_shape=(2,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.fit(np.zeros((2, 2)), np.array([0, 5]), verbose=0)


def test_learning_rate_change_between_steps_is_validated():
    model = spiral_model()
    model.optimizer.learning_rate = 0.5
    assert model.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="Received: learning_rate=-0.1"):
        model.optimizer.learning_rate = -0.1


def test_string_optimizer_names_use_keras_defaults():
    model = spiral_model()
    model.compile("rmsprop", "binary_crossentropy")
    assert model.optimizer.learning_rate == pytest.approx(0.001)
    assert model.optimizer.get_config()["rho"] == pytest.approx(0.9)


# ---- random shapes ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(d_in=st.integers(1, 6), hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
       d_out=st.integers(1, 4), n=st.integers(1, 20), batch=st.integers(1, 8),
       act=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]))
def test_random_shapes_train_and_keep_shapes(d_in, hidden, d_out, n, batch, act):
    rng = np.random.default_rng(0)
    layers = [core.Dense(u, act) for u in hidden] + [core.Dense(d_out, "softmax" if d_out > 1 else "sigmoid")]
    model = core.Sequential(layers, seed=1)
    loss = "sparse_categorical_crossentropy" if d_out > 1 else "binary_crossentropy"
    model.compile("adam", loss, metrics=["accuracy"])
    x = rng.normal(size=(n, d_in)).astype(np.float32)
    y = rng.integers(0, max(d_out, 2), n)
    h = model.fit(x, y, epochs=2, batch_size=min(batch, n), verbose=0, seed=0)
    assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()
    assert model.predict(x).shape == (n, d_out)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert [g.shape for g in model.gradients(x, y)] == [w.shape for w in model.get_weights()]


def test_dense_without_bias_has_only_a_kernel(tmp_path):
    model = core.Sequential([core.Dense(1, "sigmoid", use_bias=False, input_shape=(2,))], seed=0)
    model.compile("sgd", "binary_crossentropy")
    assert model.count_params() == 2 and [w.shape for w in model.get_weights()] == [(2, 1)]
    x, y = core.datasets.gaussians(50, 0.3, 0)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert np.all(model.layers[0].bias == 0)
    model.save(tmp_path / "nb.npz")
    again = core.load_model(tmp_path / "nb.npz")
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="use_bias"):
        core.Dense(2, use_bias="no")
