"""Per-epoch layer statistics (core.analysis.weights.stats) and the finite-difference gradient check (core.analysis.weights.gradcheck)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core import Dense, Dropout, Sequential
from core.run.config import TrainingConfig, build_trainer
from core.analysis.weights.gradcheck import gradient_check, verdict
from core.analysis.weights.stats import BASIS_POINTS, StatsHistory, dead_units, epoch_stats, quantiles


def _net(hidden=("tanh", "tanh"), out="sigmoid", loss="binary_crossentropy", units=1, seed=0, l2=None,
         dropout=0.0):
    layers = []
    for i, act in enumerate(hidden):
        layers.append(Dense(6, act, input_shape=(3,) if i == 0 else None, kernel_regularizer=l2))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(units, out))
    m = Sequential(layers, seed=seed)
    m.build(3)
    m.compile("adam", loss)
    return m


def _targets(loss, units, n, rng):
    if loss == "sparse_categorical_crossentropy":
        return rng.integers(0, units, n)
    if loss == "categorical_crossentropy":
        return np.eye(units, dtype=np.float32)[rng.integers(0, units, n)]
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, (n, units)).astype(np.float32)
    return rng.normal(size=(n, units)).astype(np.float32)


# ---- quantiles and epoch_stats ---------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1,), (2,), (7, 3), (784, 512)])
def test_quantiles_equal_np_percentile(shape):
    a = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(quantiles(a), np.percentile(a.astype(np.float64), BASIS_POINTS), rtol=1e-6)


def test_quantiles_ignore_nonfinite_and_all_nan_gives_nan():
    a = np.array([1.0, np.nan, 3.0, np.inf, -np.inf, 2.0], np.float32)
    np.testing.assert_allclose(quantiles(a), np.percentile([1.0, 2.0, 3.0], BASIS_POINTS))
    assert np.isnan(quantiles(np.full(4, np.nan))).all()
    assert np.isnan(quantiles(np.zeros(0))).all()


def test_huge_arrays_keep_exact_extremes(monkeypatch):
    import core.analysis.weights.stats as stats_mod
    monkeypatch.setattr(stats_mod, "EXACT_LIMIT", 100)
    a = np.arange(1001, dtype=np.float32)[::-1].copy()
    q = quantiles(a)
    assert q[0] == 0 and q[-1] == 1000
    assert abs(q[4] - 500) < 10          # the strided subsample's median


def test_epoch_stats_values_by_hand():
    m = _net(hidden=("relu", "tanh"))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3)).astype(np.float32)
    y = _targets("binary_crossentropy", 1, 20, rng)
    m.train_on_batch(x, y)
    s = epoch_stats(m, x)
    json.dumps(s)                                            # plain data
    assert s["basis_points"] == list(BASIS_POINTS)
    assert [l["name"] for l in s["layers"]] == [l.name for l in m.dense_layers]
    assert [l["activation"] for l in s["layers"]] == ["relu", "tanh", "sigmoid"]
    for layer, st in zip(m.dense_layers, s["layers"]):
        np.testing.assert_allclose(st["weight_quantiles"], np.percentile(layer.kernel, BASIS_POINTS), rtol=1e-6)
        np.testing.assert_allclose(st["grad_quantiles"], np.percentile(layer.dkernel, BASIS_POINTS),
                                   rtol=1e-5, atol=1e-12)
        w = np.concatenate([layer.kernel.ravel(), layer.bias.ravel()]).astype(np.float64)
        g = np.concatenate([layer.dkernel.ravel(), layer.dbias.ravel()]).astype(np.float64)
        assert st["weight_norm"] == pytest.approx(np.linalg.norm(w), rel=1e-5)
        assert st["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-5)
        assert st["units"] == layer.units and st["nonfinite"] == 0
    assert s["layers"][0]["grad_norm"] > 0
    assert s["layers"][1]["dead"] is None and s["layers"][2]["dead"] is None
    relu_out = np.maximum(x @ m.layers[0].kernel + m.layers[0].bias, 0)
    assert s["layers"][0]["dead"] == int(np.sum(relu_out.max(axis=0) <= 0))


def test_dead_relu_units_with_a_negative_bias():
    m = Sequential([Dense(4, "relu", input_shape=(2,)), Dense(3, "relu"), Dense(1, "sigmoid")], seed=0)
    m.build(2)
    first = m.layers[0]
    first.kernel[...] = [[1.0, 0.1, 0.0, -1.0], [0.0, 0.1, 0.0, 0.0]]
    first.bias[...] = [0.0, -5.0, -0.1, 0.0]         # unit 1: 0.1*(x0+x1) - 5 < 0 on [-1, 1]^2; unit 2: always -0.1
    x = np.random.default_rng(0).uniform(-1, 1, (50, 2)).astype(np.float32)
    m.layers[1].kernel[...] = 1.0
    m.layers[1].bias[...] = [0.0, -100.0, 0.0]
    assert dead_units(m, x) == [2, 1, None]
    s = epoch_stats(m, x)
    assert [l["dead"] for l in s["layers"]] == [2, 1, None]
    assert all(l["dead"] is None for l in epoch_stats(m)["layers"])          # no probe, no count


def test_nan_and_inf_in_weights_do_not_crash():
    m = _net(hidden=("relu",))
    m.layers[0].kernel[0, 0] = np.nan
    m.layers[0].dkernel[1, 1] = np.inf
    m.layers[1].kernel[...] = np.nan
    s = epoch_stats(m, np.ones((4, 3), np.float32))
    l0, l1 = s["layers"]
    assert l0["nonfinite"] == 2 and np.isfinite(l0["weight_quantiles"]).all()
    assert np.isnan(l0["weight_norm"]) and l0["grad_norm"] == np.inf
    assert np.isnan(l1["weight_quantiles"]).all() and l1["nonfinite"] == l1["units"] * 6
    h = StatsHistory()
    h.append(1, s)
    assert np.isnan(h.weight_quantiles[0, 1]).all() and h.grad_norms[0, 0] == np.inf


def test_epoch_stats_rejects_bad_arguments():
    with pytest.raises(ValueError, match="must be built"):
        epoch_stats(Sequential([Dense(2)]))
    with pytest.raises(ValueError, match="x_probe"):
        epoch_stats(_net(), np.ones(3))


# ---- StatsHistory ------------------------------------------------------------------------------------
def _trained_history(epochs=6):
    trainer, _ = build_trainer(TrainingConfig(n_samples=100, hidden=((8, "relu"), (8, "tanh"))))
    h, raw = StatsHistory(), []
    for _ in range(epochs):
        trainer.train_epoch()
        s = epoch_stats(trainer.model, trainer.x)
        raw.append(s)
        h.append(trainer.epoch, s)
    return h, raw


def test_history_arrays_hold_every_epoch():
    h, raw = _trained_history(20)          # past the first capacity (16): the buffers grew
    assert len(h) == 20 and h.epochs.tolist() == list(range(1, 21))
    assert h.weight_quantiles.shape == (20, 3, 9) and h.grad_norms.shape == (20, 3) and h.dead.shape == (20, 3)
    assert h.weight_quantiles.dtype == np.float32
    np.testing.assert_allclose(h.weight_quantiles[7, 1], raw[7]["layers"][1]["weight_quantiles"], rtol=1e-6)
    np.testing.assert_allclose(h.grad_quantiles[19, 2], raw[19]["layers"][2]["grad_quantiles"], rtol=1e-6)
    assert h.grad_norms[3, 0] == pytest.approx(raw[3]["layers"][0]["grad_norm"], rel=1e-6)
    assert h.dead[5, 0] == raw[5]["layers"][0]["dead"] and np.isnan(h.dead[:, 1:]).all()
    assert h.names == ["dense", "dense_1", "dense_2"] and h.activations == ["relu", "tanh", "sigmoid"]


def test_history_truncate_and_restart_from_an_earlier_epoch():
    h, raw = _trained_history(6)
    h.truncate(3)
    assert h.epochs.tolist() == [1, 2, 3] and len(h.grad_norms) == 3
    h.append(4, raw[0])
    assert h.epochs.tolist() == [1, 2, 3, 4]
    h.append(2, raw[1])                     # a reset or a branch: epoch 2 again drops 2.. first
    assert h.epochs.tolist() == [1, 2]
    h.truncate(0)
    assert len(h) == 0 and h.weight_quantiles.shape == (0, 3, 9)


def test_history_rejects_another_architecture_and_empty_history_has_shapes():
    h, _ = _trained_history(1)
    other = epoch_stats(_net())
    with pytest.raises(ValueError, match="clear"):
        h.append(2, other)
    with pytest.raises(ValueError, match="stats"):
        h.append(2, {"nope": 1})
    e = StatsHistory()
    assert e.epochs.shape == (0,) and e.grad_norms.shape == (0, 0) and e.weight_quantiles.shape == (0, 0, 9)


# ---- gradient check -----------------------------------------------------------------------------------
CASES = [
    (("tanh", "tanh"), "sigmoid", "binary_crossentropy", 1),
    (("relu", "relu"), "sigmoid", "mse", 1),
    (("sigmoid",), "softmax", "sparse_categorical_crossentropy", 3),
    (("leaky_relu", "tanh"), "softmax", "categorical_crossentropy", 3),
    (("relu",), "linear", "mse", 2),
    (("tanh",), "softmax", "mse", 3),
]


@pytest.mark.parametrize("hidden, out, loss, units", CASES)
def test_backprop_agrees_with_finite_differences(hidden, out, loss, units):
    from core.engine.regularizers import L2
    m = _net(hidden, out, loss, units, l2=L2(0.01))
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = _targets(loss, units, 16, rng)
    for _ in range(5):
        m.train_on_batch(x, y)
    r = gradient_check(m, x, y, n_per_layer=8)
    assert r["ok"], r["verdict"]
    assert r["max_rel_error"] < 1e-5 and "backprop agrees" in r["verdict"]
    assert len(r["rows"]) == sum(min(6, l.kernel.size) + min(2, l.units) for l in m.dense_layers)
    for row in r["rows"]:
        if not row["kink"]:
            diff, size = abs(row["backprop"] - row["numerical"]), max(abs(row["backprop"]), abs(row["numerical"]))
            assert row["rel_error"] == pytest.approx(max(0.0, diff - row["fd_error"]) / max(size, 1e-12))
            assert diff < 1e-5 * size or diff <= row["fd_error"]   # agreement itself, budget or not
            assert row["resolution"] <= row["fd_error"] < 1e-6
    assert {row["param"] for row in r["rows"]} == {"kernel", "bias"}
    assert [l["name"] for l in r["layers"]] == [l.name for l in m.dense_layers]


def test_gradient_check_leaves_the_model_untouched():
    m = _net(("relu",), dropout=0.3)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), _targets("binary_crossentropy", 1, 8, rng)
    m.train_on_batch(x, y)
    weights, grads = m.get_weights(), [g.copy() for g in m.grads]
    state = m.optimizer.get_state()
    flat = m._flat[0]
    gradient_check(m, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(weights, m.get_weights()))
    assert all(np.array_equal(a, b) for a, b in zip(grads, m.grads))
    assert all(p.dtype == np.float32 and p.base is flat for p in m.params)
    after = m.optimizer.get_state()
    assert after["iterations"] == state["iterations"] == 1 and len(after["slots"]) == len(state["slots"]) > 0
    assert all(np.array_equal(a, b) for a, b in zip(state["slots"], after["slots"]))


def test_a_wrong_backward_is_flagged(monkeypatch):
    m = _net(("tanh",))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), _targets("binary_crossentropy", 1, 8, rng)
    original = Dense.backward

    def wrong(self, delta, need_input_grad=True):     # a kernel gradient 1.5 times too large
        out = original(self, delta, need_input_grad)
        self.dkernel *= 1.5
        return out

    monkeypatch.setattr(Dense, "backward", wrong)
    r = gradient_check(m, x, y)
    assert not r["ok"] and r["max_rel_error"] > 0.3
    assert "DISAGREES" in r["verdict"]
    bad = [row for row in r["rows"] if row["param"] == "kernel"]
    assert all(row["backprop"] == pytest.approx(1.5 * row["numerical"], rel=1e-4) for row in bad)
    assert all(row["rel_error"] < 1e-5 for row in r["rows"] if row["param"] == "bias")


def test_a_slightly_wrong_backward_is_not_hidden_by_the_differences_error(monkeypatch):
    m = _net(("tanh",))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), _targets("binary_crossentropy", 1, 8, rng)
    original = Dense.backward

    def off(self, delta, need_input_grad=True):       # every kernel gradient 0.2 % too large
        out = original(self, delta, need_input_grad)
        self.dkernel *= 1.002
        return out

    monkeypatch.setattr(Dense, "backward", off)
    r = gradient_check(m, x, y)
    assert not r["ok"] and 1e-3 < r["max_rel_error"] < 3e-3, r["verdict"]


def test_the_truncation_error_is_estimated_and_not_blamed_on_backprop():
    # a step of 0.03 makes the central difference's truncation error (~eps**2) far larger than the
    # tolerance: judged by the plain relative error, correct gradients "disagreed"
    m = _net(("tanh", "tanh"))
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), _targets("binary_crossentropy", 1, 16, rng)
    exact = gradient_check(m, x, y, n_per_layer=8)           # eps = 1e-5: the reference
    coarse = gradient_check(m, x, y, n_per_layer=8, eps=0.03)
    assert exact["ok"] and coarse["ok"], coarse["verdict"]
    plain = [abs(r["backprop"] - r["numerical"]) / abs(r["backprop"]) for r in coarse["rows"]]
    assert max(plain) > 1e-3                                 # the old verdict: DISAGREES or doubtful
    for fine, row in zip(exact["rows"], coarse["rows"]):
        actual = abs(row["numerical"] - fine["numerical"])   # the coarse difference's real error
        assert actual <= row["fd_error"] <= 3 * actual + 10 * row["resolution"]


def test_a_saturated_fused_output_is_checked_on_the_loss_backprop_differentiates():
    # outputs pushed far past Keras's 1e-7 clipping, half of them wrong: the clipped loss is flat there,
    # the fused gradient (p - y) is not; the check differences the crossentropy from the logits
    for out, loss, units in [("sigmoid", "binary_crossentropy", 1), ("softmax", "categorical_crossentropy", 3),
                             ("softmax", "sparse_categorical_crossentropy", 3)]:
        m = _net(("tanh",), out, loss, units)
        m.layers[-1].kernel[...] *= 60.0
        rng = np.random.default_rng(2)
        x = rng.normal(size=(16, 3)).astype(np.float32)
        y = _targets(loss, units, 16, rng)
        p = m.predict(x)
        assert ((p < 1e-7) | (p > 1 - 1e-7)).mean() > 0.3    # many outputs are clipped in the reported loss
        r = gradient_check(m, x, y, n_per_layer=8)
        assert r["ok"], (loss, r["verdict"])
        bias = [row for row in r["rows"] if row["layer"] == 1 and row["param"] == "bias"]
        assert bias and all(abs(row["backprop"]) > 1e-3 for row in bias)


def test_crossentropy_from_logits_matches_the_clipped_loss_where_nothing_is_clipped():
    from core.analysis.weights.gradcheck import crossentropy_from_logits
    from core.engine.losses import get as get_loss
    rng = np.random.default_rng(4)
    z = rng.normal(size=(6, 3))
    for name, act, y in [("categorical_crossentropy", "softmax", np.eye(3)[rng.integers(0, 3, 6)]),
                         ("sparse_categorical_crossentropy", "softmax", rng.integers(0, 3, 6)),
                         ("binary_crossentropy", "sigmoid", rng.integers(0, 2, (6, 3)).astype(float))]:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True) if act == "softmax" else 1 / (1 + np.exp(-z))
        assert crossentropy_from_logits(name, y, z) == pytest.approx(get_loss(name).value(y, p), rel=1e-12)


def test_relu_kinks_are_marked_and_left_out():
    m = Sequential([Dense(1, "relu", input_shape=(1,)), Dense(1, "linear")], seed=0)
    m.compile("sgd", "mse")
    m.layers[0].kernel[...] = 1.0
    m.layers[0].bias[...] = 0.0
    m.layers[1].kernel[...] = 1.0
    x = np.array([[0.0], [1.0]], np.float32)          # the first sample sits on the kink
    r = gradient_check(m, x, np.array([[1.0], [3.0]], np.float32), n_per_layer=2)
    kinks = [row for row in r["rows"] if row["kink"]]
    assert kinks and all(row["layer"] == 0 for row in kinks)
    assert "kink" in r["verdict"] and r["ok"]


def test_gradient_check_arguments_and_verdicts():
    m = _net()
    with pytest.raises(ValueError, match="features"):
        gradient_check(m, np.ones((2, 5)), np.ones(2))
    with pytest.raises(ValueError, match="same number"):
        gradient_check(m, np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="n_per_layer"):
        gradient_check(m, np.ones((2, 3)), np.ones(2), n_per_layer=0)
    assert verdict(3e-6) == "max relative error 3e-06: backprop agrees"
    assert "NaN" in verdict(float("nan")) and "DISAGREES" in verdict(0.5)
