"""Tests for core.engine.optimizers' update rules: Keras 3 formulas against float64 references, dtypes,
live hyperparameter changes, convergence, element-wise updates (the interface: test_optimizer_api.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.engine.optimizers import SGD, Adagrad, Adam, RMSprop
from optimizer_support import ALL, GRADS, W0, fresh_params


# --- float64 reference implementations, written straight from the Keras formulas ---------
def ref_sgd(lr, momentum=0.0, nesterov=False):
    def step(w, g, st, t):
        if momentum == 0:
            return w - lr * g
        m = st.get("m", np.zeros_like(w))
        m = momentum * m - lr * g
        st["m"] = m
        return w + momentum * m - lr * g if nesterov else w + m
    return step


def ref_rmsprop(lr, rho=0.9, momentum=0.0, epsilon=1e-7):
    def step(w, g, st, t):
        v = rho * st.get("v", np.zeros_like(w)) + (1 - rho) * g * g
        st["v"] = v
        inc = lr * g / np.sqrt(v + epsilon)
        if momentum > 0:
            st["m"] = momentum * st.get("m", np.zeros_like(w)) + inc
            return w - st["m"]
        return w - inc
    return step


def ref_adagrad(lr, initial_accumulator_value=0.1, epsilon=1e-7):
    def step(w, g, st, t):
        acc = st.get("acc", np.full_like(w, initial_accumulator_value)) + g * g
        st["acc"] = acc
        return w - lr * g / np.sqrt(acc + epsilon)
    return step


def ref_adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def step(w, g, st, t):          # t = iterations + 1
        alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m = st.get("m", np.zeros_like(w))
        v = st.get("v", np.zeros_like(w))
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        st["m"], st["v"] = m, v
        return w - alpha * m / (np.sqrt(v) + epsilon)
    return step


CASES = {
    "sgd": (lambda: SGD(learning_rate=0.1), ref_sgd(0.1)),
    "sgd_momentum": (lambda: SGD(0.05, momentum=0.9), ref_sgd(0.05, 0.9)),
    "sgd_nesterov": (lambda: SGD(0.05, momentum=0.8, nesterov=True), ref_sgd(0.05, 0.8, True)),
    "rmsprop": (lambda: RMSprop(0.01), ref_rmsprop(0.01)),
    "rmsprop_momentum": (lambda: RMSprop(0.01, rho=0.8, momentum=0.7, epsilon=1e-3),
                         ref_rmsprop(0.01, 0.8, 0.7, 1e-3)),
    "adagrad": (lambda: Adagrad(0.1), ref_adagrad(0.1)),
    "adagrad_custom": (lambda: Adagrad(0.2, initial_accumulator_value=0.0, epsilon=1e-2),
                       ref_adagrad(0.2, 0.0, 1e-2)),
    "adam": (lambda: Adam(0.01), ref_adam(0.01)),
    "adam_custom": (lambda: Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
                    ref_adam(0.02, 0.5, 0.9, 1e-3)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_first_three_steps_match_reference(case):
    make, ref = CASES[case]
    opt, params = make(), fresh_params()
    ids = [id(p) for p in params]
    expected = [w.astype(np.float64) for w in W0]
    states = [{} for _ in W0]
    for t in range(1, 4):
        grads = GRADS[t - 1]
        opt.apply(params, grads)
        expected = [ref(w, g.astype(np.float64), s, t) for w, g, s in zip(expected, grads, states)]
        for p, e in zip(params, expected):
            assert p.dtype == np.float32
            np.testing.assert_allclose(p, e, rtol=1e-6, atol=1e-7)
        assert opt.iterations == t
    assert [id(p) for p in params] == ids                       # updated in place
    assert not np.array_equal(params[0], W0[0])
    for s in opt.get_state()["slots"]:
        assert s.dtype == np.float32


def test_float64_params_stay_float64_and_grad_dtype_is_cast():
    opt, w = SGD(0.1), np.ones(3)
    opt.apply([w], [np.array([1, 2, 3], dtype=np.float32)])
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, [0.9, 0.8, 0.7])
    w32 = np.ones(3, dtype=np.float32)
    opt.apply([w32], [np.array([1.0, 2.0, 3.0])])               # float64 grads into float32 params
    assert w32.dtype == np.float32


def test_iterations_count_apply_calls():
    for make in ALL:
        opt = make()
        assert opt.iterations == 0
        for k in range(5):
            opt.apply(fresh_params(), GRADS[0])
        assert opt.iterations == 5


@pytest.mark.parametrize("use_setter", [True, False])
def test_learning_rate_change_takes_effect_next_step(use_setter):
    opt = SGD(learning_rate=0.1)
    w = np.zeros(2, dtype=np.float32)
    g = np.array([1.0, -2.0], dtype=np.float32)
    opt.apply([w], [g])
    np.testing.assert_allclose(w, [-0.1, 0.2], rtol=1e-6)
    if use_setter:
        opt.learning_rate = 0.5
    else:
        opt.set_hyperparameter("learning_rate", 0.5)
    assert opt.learning_rate == 0.5
    opt.apply([w], [g])
    np.testing.assert_allclose(w, [-0.6, 1.2], rtol=1e-6)


def test_adam_learning_rate_change_scales_step():
    a, b = Adam(0.01), Adam(0.01)
    wa, wb = fresh_params(), fresh_params()
    a.apply(wa, GRADS[0]), b.apply(wb, GRADS[0])
    b.learning_rate = 0.03
    before = [w.copy() for w in wb]
    prev_a = [w.copy() for w in wa]
    a.apply(wa, GRADS[1]), b.apply(wb, GRADS[1])
    np.testing.assert_allclose(wb[0] - before[0], 3 * (wa[0] - prev_a[0]), rtol=1e-4, atol=1e-8)


def test_momentum_can_be_switched_on_after_build():
    opt, w = SGD(0.1), np.zeros(1, dtype=np.float32)
    g = np.ones(1, dtype=np.float32)
    opt.apply([w], [g])                                         # plain: w = -0.1
    opt.set_hyperparameter("momentum", 0.5)
    opt.apply([w], [g])                                         # m = 0.5*0 - 0.1 ; w = -0.2
    opt.apply([w], [g])                                         # m = -0.05 - 0.1 ; w = -0.35
    np.testing.assert_allclose(w, [-0.35], rtol=1e-6)


A_BOWL = np.array([1.0, 10.0, 0.3, 3.0], dtype=np.float32)


@pytest.mark.parametrize("make,steps", [
    (lambda: SGD(0.05), 300), (lambda: SGD(0.02, momentum=0.9), 300),
    (lambda: SGD(0.02, momentum=0.9, nesterov=True), 300), (lambda: RMSprop(0.01), 500),
    (lambda: RMSprop(0.005, momentum=0.5), 500), (lambda: Adagrad(0.5), 500),
    (lambda: Adam(0.05), 500),
])
def test_drives_convex_bowl_to_minimum(make, steps):
    opt = make()
    w = np.array([1.0, -2.0, 3.0, -0.5], dtype=np.float32)
    f = lambda x: 0.5 * float(np.sum(A_BOWL * x * x))  # noqa: E731
    f0 = f(w)
    for _ in range(steps):
        opt.apply([w], [A_BOWL * w])
    assert w.dtype == np.float32
    assert f(w) < 1e-3 * f0, (f0, f(w), w)


@settings(max_examples=60, deadline=None)
@given(g=st.floats(-1e3, 1e3).filter(lambda x: abs(x) > 1e-3),
       lr=st.floats(1e-4, 1.0))
def test_adam_first_step_is_about_lr_times_sign(g, lr):
    # Keras's Adam: alpha = lr * sqrt(1 - b2) / (1 - b1); m = 0.1 g; sqrt(v) = sqrt(0.001) |g|.
    # The step is lr * s / (s + eps) with s = sqrt(0.001) |g| (epsilon is not bias-corrected),
    # i.e. lr times the sign of g, shrunk a little for tiny gradients.
    w = np.zeros(1, np.float32)
    Adam(lr).apply([w], [np.array([g], np.float32)])
    s = math.sqrt(0.001) * abs(float(np.float32(g)))
    assert w[0] == pytest.approx(-lr * math.copysign(1.0, g) * s / (s + 1e-7), rel=1e-4)
    assert abs(w[0]) <= lr * (1 + 1e-6)


@settings(max_examples=60, deadline=None)
@given(g=st.lists(st.floats(-10, 10), min_size=1, max_size=5), lr=st.floats(1e-4, 1.0))
def test_sgd_step_matches_formula(g, lr):
    w = np.ones(len(g), np.float32)
    ga = np.array(g, np.float32)
    SGD(lr).apply([w], [ga])
    np.testing.assert_allclose(w, 1.0 - lr * ga.astype(np.float64), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_update_is_element_wise_so_flat_and_chunked_buffers_are_bit_identical(case):
    """The model updates every weight through one flat buffer (core/engine/model.py ``_bind_flat``), and a
    cache-blocked update would run it chunk by chunk: both are only allowed because each element's
    arithmetic depends on that element alone. Per array, one flat buffer and odd-sized chunks (SIMD
    bodies and scalar tails) must give the same bits over several steps."""
    make, _ = CASES[case]
    rng = np.random.default_rng(7)
    shapes = [(37, 29), (29,), (29, 3), (3,)]
    weights = [rng.normal(size=s).astype(np.float32) for s in shapes]
    # magnitudes from 1e-6 to 10, so steps hit epsilon-dominated and gradient-dominated elements
    steps = [[(rng.normal(size=s) * 10.0 ** rng.integers(-6, 2, size=s)).astype(np.float32)
              for s in shapes] for _ in range(4)]
    per_array, opt_a = [w.copy() for w in weights], make()
    flat, opt_f = np.concatenate([w.ravel() for w in weights]), make()
    chunked = flat.copy()
    bounds = [0, 5, 16, 17, 300, 301, 1000, flat.size]
    opt_c = [make() for _ in bounds[1:]]
    for grads in steps:
        g_flat = np.concatenate([g.ravel() for g in grads])
        opt_a.apply(per_array, grads)
        opt_f.apply([flat], [g_flat])
        for opt, lo, hi in zip(opt_c, bounds, bounds[1:]):
            opt.apply([chunked[lo:hi]], [g_flat[lo:hi]])
    expected = np.concatenate([w.ravel() for w in per_array])
    assert not np.array_equal(expected, np.concatenate([w.ravel() for w in weights]))
    assert np.array_equal(flat, expected)
    assert np.array_equal(chunked, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES) + ["rmsprop_flush", "sgd_flush", "adam_flush"])
def test_the_fused_update_gives_the_bits_of_the_numpy_update(case, dtype, monkeypatch):
    """With numba installed (``uncrumple[fast]``) the optimizers run core/engine/fused.py's one-pass
    kernels; they must give the NumPy path's bits, weights and state, flushes included, so a run is
    the same run whichever path trains it."""
    pytest.importorskip("numba")
    import core.engine.optimizers as opt_mod
    make = {"rmsprop_flush": lambda: RMSprop(0.01, momentum=0.5), "sgd_flush": lambda: SGD(0.01, momentum=0.9),
            "adam_flush": lambda: Adam(0.01, beta_2=0.5)}.get(case) or CASES[case][0]
    rng = np.random.default_rng(11)
    shapes = [(37, 29), (29,)]
    w0 = [rng.normal(size=s).astype(dtype) for s in shapes]
    # magnitudes from 1e-30 to 10, and a unit whose gradient dies: subnormal state to flush
    steps = []
    for k in range(2 * opt_mod.FLUSH_EVERY + 3):
        grads = [(rng.normal(size=s) * 10.0 ** rng.integers(-30, 2, size=s)).astype(dtype) for s in shapes]
        if k > 2:
            grads[0][:, :5] = 0.0
        steps.append(grads)

    module = opt_mod.fused_module()
    if module is None:
        pytest.skip("the fused update is turned off (UNCRUMPLE_FUSED=0)")

    monkeypatch.setattr(opt_mod, "FUSED_MIN_SIZE", 1)      # these arrays are small

    calls = []

    def run(fused):
        monkeypatch.setattr(opt_mod, "_FUSED", module if fused else None)
        opt, w = make(), [a.copy() for a in w0]
        if fused:
            kernel = type(opt)._fused
            monkeypatch.setattr(type(opt), "_fused", lambda self, *a: calls.append(1) or kernel(self, *a))
        for grads in steps:
            opt.apply(w, grads)
        return w, opt.get_state()["slots"]

    (w_np, s_np), (w_fu, s_fu) = run(False), run(True)
    assert len(calls) == len(steps) * len(shapes)          # every step of every array went through numba
    bits = {np.float32: np.int32, np.float64: np.int64}[dtype]
    for a, b in zip(w_np + s_np, w_fu + s_fu):
        assert a.dtype == b.dtype == dtype
        assert np.array_equal(a.view(bits), b.view(bits))
    assert not np.array_equal(w_np[0], w0[0])


def test_the_fused_update_leaves_odd_layouts_to_numpy(monkeypatch):
    """Non-contiguous parameters and gradients of another dtype take the NumPy path (same result)."""
    pytest.importorskip("numba")
    import core.engine.optimizers as opt_mod
    module = opt_mod.fused_module()
    monkeypatch.setattr(opt_mod, "FUSED_MIN_SIZE", 1)
    w0 = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    g = np.random.default_rng(1).normal(size=(6, 4))                       # float64 gradient
    results = []
    for fused in (False, True):
        monkeypatch.setattr(opt_mod, "_FUSED", module if fused else None)
        w = np.asfortranarray(w0)
        opt = RMSprop(0.1)
        for _ in range(3):
            opt.apply([w], [g])
            opt.apply([w[:, ::2]], [g[:, ::2].astype(np.float32)])
        results.append(w)
    assert np.array_equal(results[0], results[1])
