"""Backpropagation against central finite differences, in float64 arithmetic.

The model computes in float32, so the check runs on a copy whose weights and
buffers are float64 (the same code paths: the layers use ``out=`` views of
whatever dtype their weights have).
"""
import itertools

import numpy as np
import pytest

import core
from core.engine import activations, losses

HIDDEN = ["linear", "relu", "leaky_relu", "sigmoid", "tanh"]
# output activation x loss pairs that make sense (fused and unfused)
OUTPUT_PAIRS = [
    ("sigmoid", "binary_crossentropy", 1),
    ("sigmoid", "mse", 1),
    ("linear", "mse", 3),
    ("tanh", "mse", 2),
    ("softmax", "categorical_crossentropy", 3),
    ("softmax", "sparse_categorical_crossentropy", 3),
    ("softmax", "mse", 3),
    # Keras normalises a non-softmax output, p / sum(p), and differentiates through it
    ("sigmoid", "categorical_crossentropy", 3),
    ("sigmoid", "sparse_categorical_crossentropy", 3),
]


def _targets(loss, units, n, rng):
    if loss == "sparse_categorical_crossentropy":
        return rng.integers(0, units, n)
    if loss == "categorical_crossentropy":
        return np.eye(units)[rng.integers(0, units, n)]
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, (n, units)).astype(float)
    return rng.normal(size=(n, units))


def _to_float64(model):
    for layer in model.layers:
        if isinstance(layer, core.Dense):
            layer.kernel = layer.kernel.astype(np.float64)
            layer.bias = layer.bias.astype(np.float64)
            layer.dkernel = np.zeros_like(layer.kernel)
            layer.dbias = np.zeros_like(layer.bias)
            layer._a = layer._dx = None
    model._delta = None


def numeric_gradients(model, x, y, eps=1e-6, training=False):
    yt = model.loss.targets(y, model.output_dim)
    if yt.dtype == np.float32:
        yt = yt.astype(np.float64)

    def loss_at():
        p = model._forward(x, training)
        return model.loss.value(yt, p) + model.regularization_loss()

    out = []
    for p in model.params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            lp = loss_at()
            p[i] = old - eps
            lm = loss_at()
            p[i] = old
            g[i] = (lp - lm) / (2 * eps)
        out.append(g)
    return out


def analytic_gradients(model, x, y, training=False):
    yt = model.loss.targets(y, model.output_dim)
    if yt.dtype == np.float32:
        yt = yt.astype(np.float64)
    model._loss_and_grads(x, yt, training=training)
    return [g.copy() for g in model.grads]


def make_model(hidden_act, out_act, loss, units, l2=None, seed=0):
    model = core.Sequential([core.Dense(4, hidden_act, input_shape=(3,), kernel_regularizer=l2),
                             core.Dense(units, out_act, kernel_regularizer=l2)], seed=seed)
    model.compile("sgd", loss)
    return model


def check(model, x, y, training=False, rtol=1e-5, atol=1e-8):
    _to_float64(model)
    num = numeric_gradients(model, x, y, training=training)
    ana = analytic_gradients(model, x, y, training=training)
    for a, n in zip(ana, num):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol)


@pytest.mark.parametrize("hidden,pair", list(itertools.product(HIDDEN, OUTPUT_PAIRS)))
def test_backprop_matches_finite_differences(hidden, pair):
    out_act, loss, units = pair
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3))
    y = _targets(loss, units, 5, rng)
    model = make_model(hidden, out_act, loss, units)
    # keep relu/leaky kinks away from zero so finite differences are valid
    check(model, x, y)


@pytest.mark.parametrize("out_act", ["softmax", "sigmoid"])
@pytest.mark.parametrize("hidden", ["tanh", "leaky_relu"])
def test_targets_that_do_not_sum_to_one(out_act, hidden):
    # multi-hot and soft rows (sums 2, 1.5, 0.5, 1, 3): with softmax the fused delta is
    # p * sum(y) - y, not p - y; with sigmoid the unfused path goes through p / sum(p)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 3))
    y = np.array([[1, 1, 0], [0.5, 0, 1], [0, 0.5, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    check(make_model(hidden, out_act, "categorical_crossentropy", 3), x, y)


def test_a_clipped_probability_has_no_gradient_through_the_normalisation():
    # a sigmoid unit far below the others, with targets on it: its share q = p / sum(p) is
    # clipped to 1e-7, so -y log q is constant there (no -y / q term), while p still moves the
    # other shares through the sum
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 3)) * 0.1
    model = make_model("tanh", "sigmoid", "categorical_crossentropy", 3)
    model.layers[1].bias[...] = [0.0, 0.5, -25.0]
    y = np.array([[0, 0, 1], [0, 1, 0], [0.5, 0, 0.5], [1, 0, 0]], dtype=float)
    _to_float64(model)
    assert (model.predict(x)[:, 2] / model.predict(x).sum(axis=1) < 1e-7).all()
    check(model, x, y)


def test_sigmoid_keeps_its_relative_precision_at_very_negative_logits():
    # float32 output and derivative-from-output against float64 (the derivative by central
    # differences), relative error <= 1e-6 down to z = -80. 0.5 * (1 + tanh(z / 2)) was 1e-4
    # off at z = -9, 6 % at -16, and 0 below -16.6 (a dead unit).
    sigmoid = activations.get("sigmoid")
    z = np.concatenate([np.linspace(-80, 0, 40_001), [-16.6, -16.7, -20, -87]]).astype(np.float32)
    a = sigmoid(z)
    z64 = z.astype(np.float64)

    def exact(t):
        return np.exp(-np.logaddexp(0.0, -t))

    np.testing.assert_allclose(a, exact(z64), rtol=1e-6, atol=0)
    h = 1e-5
    numeric = (exact(z64 + h) - exact(z64 - h)) / (2 * h)
    np.testing.assert_allclose(sigmoid.backward(a, np.ones_like(a)), numeric, rtol=1e-6, atol=0)
    # and the positive side, where 1 - a is what limits the derivative (as in torch)
    z = np.linspace(0, 80, 8_001, dtype=np.float32)
    np.testing.assert_allclose(sigmoid(z), exact(z.astype(np.float64)), rtol=1e-7, atol=0)


def test_l2_regularization_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3))
    y = rng.integers(0, 2, 6)
    model = make_model("tanh", "sigmoid", "binary_crossentropy", 1, l2=core.engine.regularizers.L2(0.05))
    check(model, x, y)
    # and the loss includes the penalty
    plain = make_model("tanh", "sigmoid", "binary_crossentropy", 1)
    reg = make_model("tanh", "sigmoid", "binary_crossentropy", 1, l2=core.engine.regularizers.L2(0.05))
    penalty = 0.05 * sum(float(np.sum(l.kernel.astype(np.float64) ** 2)) for l in reg.dense_layers)
    assert reg.evaluate(x, y) == pytest.approx(plain.evaluate(x, y) + penalty, rel=1e-5)


def test_dropout_gradient_with_fixed_mask():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 3))
    y = rng.integers(0, 2, 5)
    drop = core.Dropout(0.5)
    model = core.Sequential([core.Dense(4, "tanh", input_shape=(3,)), drop, core.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    drop.fixed_mask = (rng.random((5, 4)) >= 0.5) * 2.0
    check(model, x, y, training=True)
    # the mask really drops units: with it, the gradient differs from inference mode
    masked = analytic_gradients(model, x, y, training=True)
    unmasked = analytic_gradients(model, x, y, training=False)
    assert not np.allclose(masked[0], unmasked[0])


def test_deeper_network_gradient():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(7, 3))
    y = rng.integers(0, 4, 7)
    model = core.Sequential([core.Dense(5, "tanh", input_shape=(3,)), core.Dense(4, "sigmoid"),
                             core.Dense(3, "leaky_relu"), core.Dense(4, "softmax")], seed=1)
    model.compile("sgd", "sparse_categorical_crossentropy")
    check(model, x, y)


def test_model_gradients_api_matches_get_weights_order():
    x, y = core.datasets.xor(40, 0.1, 0)
    model = make_model("tanh", "sigmoid", "binary_crossentropy", 1)
    model.build(2) if False else None
    model = core.Sequential([core.Dense(4, "tanh", input_shape=(2,)), core.Dense(1, "sigmoid")], seed=0)
    model.compile("sgd", "binary_crossentropy")
    grads = model.gradients(x, y)
    assert [g.shape for g in grads] == [w.shape for w in model.get_weights()]
    # a tiny step against the gradient lowers the loss
    before = model.evaluate(x, y)
    model.set_weights([w - 0.1 * g for w, g in zip(model.get_weights(), grads)])
    assert model.evaluate(x, y) < before


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "linear"])
def test_activation_derivative_from_output(name):
    act = activations.get(name)
    z = np.linspace(-3, 3, 13) + 0.05  # avoid the kink at 0
    a = act.forward(z.copy(), np.empty_like(z))
    eps = 1e-6
    numeric = (act.forward(z + eps, np.empty_like(z)) - act.forward(z - eps, np.empty_like(z))) / (2 * eps)
    np.testing.assert_allclose(act.backward(a, np.ones_like(z)), numeric, rtol=1e-5, atol=1e-8)


def test_softmax_rows_sum_to_one_and_are_stable():
    p = activations.get("softmax")(np.array([[1000.0, 1000.0, -1000.0], [1, 2, 3]], dtype=np.float32))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)


def test_sigmoid_is_stable_for_huge_inputs():
    p = activations.get("sigmoid")(np.array([-1e4, 0.0, 1e4], dtype=np.float32))
    np.testing.assert_allclose(p, [0, 0.5, 1], atol=1e-7)


def test_keras_loss_values_and_clipping():
    y = np.array([[1.0], [0.0]], np.float32)
    p = np.array([[0.9], [0.2]], np.float32)
    expect = -(np.log(0.9) + np.log(0.8)) / 2
    assert losses.get("binary_crossentropy")(y, p) == pytest.approx(expect, rel=1e-6)
    # probabilities are clipped to [1e-7, 1 - 1e-7]: a certain wrong answer costs -log(1e-7)
    assert losses.get("binary_crossentropy")([[1.0]], [[0.0]]) == pytest.approx(-np.log(1e-7), rel=1e-4)
    assert losses.get("categorical_crossentropy")([[0, 1.0]], [[1.0, 0.0]]) == pytest.approx(-np.log(1e-7), rel=1e-4)
    assert losses.get("sparse_categorical_crossentropy")([1, 0], [[0.3, 0.7], [0.6, 0.4]]) == pytest.approx(
        -(np.log(0.7) + np.log(0.6)) / 2, rel=1e-6)
    assert losses.get("mse")([[1.0, 2.0]], [[0.0, 0.0]]) == pytest.approx(2.5)


def test_relu_forward_is_maximum_with_zero_bit_for_bit_and_its_zeros_stay_zero():
    from core.engine.activations import ACTIVATIONS, _ZEROS
    relu = ACTIVATIONS["relu"]
    rng = np.random.default_rng(0)
    for shape in ((128, 512), (7, 3), (1, 1), (128, 512)):
        z = rng.standard_normal(shape).astype(np.float32)
        z.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
        expected = np.maximum(z, 0)
        out = relu.forward(z.copy(), np.empty_like(z))
        np.testing.assert_array_equal(out.view(np.int32), expected.view(np.int32))
        inplace = z.copy()
        relu.forward(inplace, inplace)
        np.testing.assert_array_equal(inplace.view(np.int32), expected.view(np.int32))
    assert all(not a.flags.writeable and not a.any() for a in _ZEROS.values())
