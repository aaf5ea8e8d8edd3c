"""Subnormal floats in the optimizer state: the decaying slots are flushed to 0 every
``FLUSH_EVERY`` steps, and nothing else changes (issue 18, "No subnormal slowdown").

A unit whose gradient stays at 0 (a dead relu unit) keeps a moving average of ``g**2`` (or a
momentum) that shrinks by ``rho`` every step, below the smallest normal float32 after ~800
steps; plain float32 arithmetic then keeps it subnormal for good (``rho = 0.9`` times the
smallest subnormal rounds back to it), where many CPUs compute 10-20x more slowly.
"""
from __future__ import annotations

import numpy as np
import pytest

import core
from core.engine import optimizers as opt_mod
from core.engine.optimizers import FLUSH_EVERY, SGD, TINY, Adagrad, Adam, RMSprop, flush_subnormals
from core.engine.training import Trainer

STEPS = 60 * FLUSH_EVERY     # 960: enough for 0.9**k to take a state of ~0.1 below 1.2e-38


def subnormal(a) -> np.ndarray:
    return (a != 0) & (np.abs(a) < TINY)


def test_flush_subnormals_sets_only_subnormals_to_zero():
    smallest = np.float32(1e-45)
    a = np.array([TINY, -TINY, TINY / 2, -TINY / 2, smallest, -smallest, 0.0, -0.0, 1.0, -3e-30,
                  np.inf, -np.inf, np.nan], dtype=np.float32)
    assert subnormal(a).sum() == 4
    out, mask = a.copy(), np.empty(a.shape, bool)
    flush_subnormals(out, mask)
    expected = a.copy()
    expected[2:6] = 0.0
    assert np.array_equal(out, expected, equal_nan=True)
    # the unsigned form (a moving average of g**2 is never negative) needs one comparison
    pos = np.abs(a[:10])
    flush_subnormals(pos, mask[:10], signed=False)
    assert np.array_equal(pos, np.array([TINY, TINY, 0, 0, 0, 0, 0, 0, 1, 3e-30], np.float32))


def test_float64_state_is_flushed_at_float32s_cut_off():
    a = np.array([1e-39, -1e-39, 1e-37, 1e-300], dtype=np.float64)
    flush_subnormals(a, np.empty(4, bool))
    assert np.array_equal(a, [0.0, 0.0, 1e-37, 0.0])


def _dying_gradients(rng, n=64, dead=slice(0, 32)):
    """One normal gradient, then zero on the ``dead`` entries (a unit that died) forever."""
    first = rng.normal(size=n).astype(np.float32)

    def grad(step):
        g = first if step == 0 else rng.normal(size=n).astype(np.float32) * np.float32(0.1)
        g = g.copy()
        if step:
            g[dead] = 0.0
        return g
    return grad


CASES = {
    "rmsprop": lambda: RMSprop(0.01),
    "rmsprop_momentum": lambda: RMSprop(0.01, momentum=0.5),
    "sgd_momentum": lambda: SGD(0.01, momentum=0.9),
    "sgd_nesterov": lambda: SGD(0.01, momentum=0.9, nesterov=True),
    "adam": lambda: Adam(0.01, beta_2=0.9),            # beta_2 0.9 so v decays within the test
}


@pytest.mark.parametrize("case", list(CASES))
def test_decaying_state_is_flushed_and_everything_else_is_bit_identical(case, monkeypatch):
    make = CASES[case]
    w0 = np.random.default_rng(1).normal(size=64).astype(np.float32)

    def run(flush_every):
        monkeypatch.setattr(opt_mod, "FLUSH_EVERY", flush_every)
        grad, opt, w = _dying_gradients(np.random.default_rng(2)), make(), w0.copy()
        seen_subnormal = 0
        for step in range(STEPS):
            opt.apply([w], [grad(step)])
            seen_subnormal += sum(int(subnormal(s).sum()) for s in opt.get_state()["slots"])
        return w, opt.get_state()["slots"], seen_subnormal

    w_plain, slots_plain, seen_plain = run(10**9)        # today's arithmetic: never flushed
    w_flush, slots_flush, _ = run(FLUSH_EVERY)
    assert seen_plain > 0                                # the plain state did go subnormal
    assert np.array_equal(w_flush, w_plain)              # the weights never saw the difference
    for plain, flushed in zip(slots_plain, slots_flush):
        assert not subnormal(flushed).any()              # STEPS is a multiple of FLUSH_EVERY
        normal = ~subnormal(plain)
        assert np.array_equal(flushed[normal], plain[normal])    # bit-identical where no subnormal
        assert np.all(flushed[~normal] == 0)


def test_state_stays_subnormal_for_at_most_flush_every_steps():
    grad, opt, w = _dying_gradients(np.random.default_rng(3)), RMSprop(0.01), np.zeros(64, np.float32)
    run_length = np.zeros(64, int)
    longest = 0
    for step in range(STEPS + 7):
        opt.apply([w], [grad(step)])
        v = opt.get_state()["slots"][0]
        run_length = np.where(subnormal(v), run_length + 1, 0)
        longest = max(longest, int(run_length.max()))
    assert 0 < longest <= FLUSH_EVERY


def test_adagrad_state_never_decays_and_is_not_touched():
    opt = Adagrad(0.1, initial_accumulator_value=0.0)
    w = np.zeros(3, np.float32)
    g = np.array([1e-20, 0.0, 1.0], np.float32)           # g**2 = 1e-40: a subnormal that only grows
    for _ in range(FLUSH_EVERY):
        opt.apply([w], [g])
    acc = opt.get_state()["slots"][0]
    assert subnormal(acc)[0] and acc[1] == 0 and acc[2] == FLUSH_EVERY


def test_a_trainer_with_a_unit_that_dies_keeps_no_subnormal_state(monkeypatch):
    """The book's situation in small: after one step a relu unit stops firing (bias -100), its
    weights' gradients are 0 from then on, and RMSprop's velocity of them decays. The trainer's
    state is flushed; the run (weights, losses) is the same run as without the flush."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)

    def run(flush_every):
        monkeypatch.setattr(opt_mod, "FLUSH_EVERY", flush_every)
        model = core.Sequential([core.Dense(4, "relu", input_shape=(3,)), core.Dense(1, "sigmoid")], seed=0)
        model.compile("rmsprop", "binary_crossentropy", ["accuracy"])
        t = Trainer(model, x, y, batch_size=64, epochs=STEPS, seed=0)
        t.train_batch()
        weights = model.get_weights()
        weights[1][0] = -100.0                           # unit 0 never fires again
        model.set_weights(weights)
        seen = 0
        while t.train_batch():
            seen += int(subnormal(model.optimizer.get_state()["slots"][0]).sum())
        return t, seen

    plain, seen_plain = run(10**9)
    flushed, _ = run(FLUSH_EVERY)
    assert flushed.model.optimizer.iterations == STEPS and flushed.state == "finished"
    assert seen_plain > 0
    v = flushed.model.optimizer.get_state()["slots"][0]
    assert not subnormal(v).any()
    dead = [0, 4, 8, 12, 16]            # flat layout: kernel (3, 4) column 0, bias 0, then kernel2 row 0
    assert np.all(v[dead] == 0)
    for a, b in zip(flushed.model.get_weights(), plain.model.get_weights()):
        assert np.array_equal(a, b)
    assert flushed.history.history["loss"] == plain.history.history["loss"]
