"""The profile part of bench/engine.py: where our big-network epoch's time goes (the real code
path timed per phase, the same ops in isolation, the RMSprop update ufunc by ufunc) and a cProfile
of the tiny network's step; the update variants and measured what-ifs are in engine_whatifs.py.
Run ``python bench/engine.py``, not this module.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time

import numpy as np

from _util import ROOT, Timer, median
from engine_runs import (BATCH, CLASSES, HIDDEN, LOADED, OursBig, big_data, summarize,
                         tiny_trainer, wait_quiet)
from engine_whatifs import update_variants, whatifs

import core  # noqa: E402
import core.engine.losses  # noqa: E402


# ---- profile ------------------------------------------------------------------------------------
class PhaseClock:
    """Accumulates seconds per phase name; ``wrap`` times a callable under a name."""

    def __init__(self):
        self.total = {}
        self.calls = {}

    def wrap(self, name, fn):
        total, calls, perf = self.total, self.calls, time.perf_counter
        total.setdefault(name, 0.0)
        calls.setdefault(name, 0)

        def timed(*a, **k):
            t0 = perf()
            try:
                return fn(*a, **k)
            finally:
                total[name] += perf() - t0
                calls[name] += 1
        return timed


def instrument(model, clock):
    """Time the real code path by wrapping the objects the Trainer calls (restored by the returned
    function). Nested phases are reported exclusive of their children."""
    saved = []
    for i, layer in enumerate(model.dense_layers, 1):
        act = layer.activation
        saved.append((layer, "activation", act))
        layer.activation = dataclasses.replace(
            act, forward=clock.wrap(f"L{i} {act.name} forward", act.forward),
            backward=clock.wrap(f"L{i} {act.name} backward", act.backward))
        layer.forward = clock.wrap(f"L{i} forward: matmul + bias", layer.forward)
        layer.backward = clock.wrap(f"L{i} backward: matmul(s) + bias sum", layer.backward)
    loss = model.loss
    saved.append((model, "loss", loss))
    model.loss = dataclasses.replace(loss, value=clock.wrap("loss value", loss.value),
                                     correct=clock.wrap("accuracy (hits)", loss.correct))
    fused = core.engine.losses.fused_delta
    core.engine.losses.fused_delta = clock.wrap("loss delta (fused)", fused)
    model.regularization_loss = clock.wrap("regularization_loss", model.regularization_loss)
    opt = model.optimizer
    opt.apply = clock.wrap("optimizer.apply overhead", opt.apply)
    update = opt._update
    sizes = {}

    def update_named(w, g, slots, s):
        name = sizes.setdefault(w.shape, f"optimizer update {'x'.join(map(str, w.shape))}")
        return clock.wrap(name, update)(w, g, slots, s)
    opt._update = update_named

    def restore():
        core.engine.losses.fused_delta = fused
        for obj, attr, value in saved:
            setattr(obj, attr, value)
        for layer in model.dense_layers:
            for attr in ("forward", "backward"):
                layer.__dict__.pop(attr, None)
        for attr in ("apply", "_update"):
            opt.__dict__.pop(attr, None)
        model.__dict__.pop("regularization_loss", None)
    return restore


PARENTS = {  # phase -> the phase it runs inside (to report exclusive times)
    "L1 relu forward": "L1 forward: matmul + bias",
    "L2 softmax forward": "L2 forward: matmul + bias",
    "L1 relu backward": "L1 backward: matmul(s) + bias sum",
    "L2 softmax backward": "L2 backward: matmul(s) + bias sum",
}


def _med_us(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return median(ts) * 1e6


def run_profile(args):
    n = args.n
    print(f"\n--- profile of our big-network epoch (n={n:,}, {math.ceil(n / BATCH)} batches) ---")
    x, y, labels = big_data(n, seed=0)
    runner = OursBig(x, y, labels, fused=False)     # the phases below time the NumPy update's ufuncs
    print("(the NumPy update path, ufunc by ufunc; the fused one, when numba is installed, runs the "
          "same arithmetic in one pass: see the big part's ours-fused)")
    model = runner.model
    runner.epoch()
    plain = []
    for _ in range(args.repeat):
        wait_quiet()
        with Timer() as t:
            runner.epoch()
        plain.append((t.seconds, t.foreign))
    plain_s, _ = summarize(plain)

    clock = PhaseClock()
    restore = instrument(model, clock)
    try:
        epochs = []
        for _ in range(args.repeat):
            for k in clock.total:
                clock.total[k] = 0.0
                clock.calls[k] = 0
            wait_quiet()
            with Timer() as t:
                runner.epoch()
            epochs.append((t.seconds, t.foreign, dict(clock.total)))
    finally:
        restore()
    # the fastest repetition among the least loaded ones (a loaded one says little)
    least = min(f for _, f, _ in epochs)
    wall, foreign, totals = min((e for e in epochs if e[1] <= max(LOADED, least)), key=lambda e: e[0])
    excl = dict(totals)
    for child, parent in PARENTS.items():
        if child in excl and parent in excl:
            excl[parent] -= excl[child]
    upd = sum(v for k, v in totals.items() if k.startswith("optimizer update"))
    excl["optimizer.apply overhead"] = totals["optimizer.apply overhead"] - upd
    top = [k for k in totals if k not in PARENTS and not k.startswith("optimizer update")]
    excl["Trainer: gather batch + Python bookkeeping (rest)"] = wall - sum(totals[k] for k in top)
    nb = math.ceil(n / BATCH)
    print(f"  un-instrumented epoch {plain_s:.3f} s (median); instrumented {wall:.3f} s (best of the least "
          f"loaded, other procs {foreign:.2f} cores; difference {(wall - plain_s) / nb * 1e6:+.0f} us/batch)")
    print(f"  {'phase':<46}{'s/epoch':>9}{'us/batch':>10}{'share':>8}")
    for k, v in sorted(excl.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<46}{v:9.3f}{v / nb * 1e6:10.1f}{100 * v / wall:7.1f}%")

    # the same ops in isolation at the network's shapes (median of many)
    reps = args.micro
    rng = np.random.default_rng(4)
    L1, L2 = model.dense_layers
    xb = np.ascontiguousarray(x[:BATCH])
    a1 = np.empty((BATCH, HIDDEN), np.float32)
    a2 = np.empty((BATCH, CLASSES), np.float32)
    d1 = rng.standard_normal((BATCH, HIDDEN), dtype=np.float32)
    d2 = rng.standard_normal((BATCH, CLASSES), dtype=np.float32)
    dx2 = np.empty((BATCH, HIDDEN), np.float32)
    dW1, dW2 = np.empty_like(L1.kernel), np.empty_like(L2.kernel)
    order = np.random.default_rng(5).permutation(n)
    idx = order[:BATCH]
    cursor = [0]

    def fresh_idx():  # the next batch of a permutation, as the Trainer gathers (rows not in cache)
        cursor[0] = (cursor[0] + BATCH) % (n - BATCH)
        return order[cursor[0]:cursor[0] + BATCH]
    xbuf = np.empty_like(xb)
    mask = np.empty((BATCH, HIDDEN), bool)
    zeros = np.zeros((BATCH, HIDDEN), np.float32)  # same bits as the scalar 0; numpy's loop is faster
    p = core.engine.activations.ACTIVATIONS["softmax"](rng.standard_normal((BATCH, CLASSES), dtype=np.float32))
    yb = y[:BATCH]
    ops = [
        ("gather: np.take(x, idx, out=xb), same rows", lambda: np.take(x, idx, axis=0, out=xbuf)),
        ("gather: np.take(x, idx, out=xb), next rows", lambda: np.take(x, fresh_idx(), axis=0, out=xbuf)),
        ("gather: y[idx]", lambda: y[idx]),
        ("L1 matmul x@W (128,784)@(784,512)", lambda: np.matmul(xb, L1.kernel, out=a1)),
        ("L1 a += bias", lambda: np.add(a1, L1.bias, out=a1)),
        ("L1 relu np.maximum(a, 0, out=a)  [current]", lambda: np.maximum(a1, 0, out=a1)),
        ("L1 relu np.maximum(a, zeros, out=a)", lambda: np.maximum(a1, zeros, out=a1)),
        ("L2 matmul (128,512)@(512,10)", lambda: np.matmul(a1, L2.kernel, out=a2)),
        ("L2 dW x.T@delta (512,128)@(128,10)", lambda: np.matmul(a1.T, d2, out=dW2)),
        ("L2 dX delta@W.T (128,10)@(10,512)", lambda: np.matmul(d2, L2.kernel.T, out=dx2)),
        ("relu backward: delta *= (a > 0)  [current]", lambda: np.multiply(d1, a1 > 0, out=d1)),
        ("relu backward: preallocated bool mask", lambda: (np.greater(a1, 0, out=mask),
                                                           np.multiply(d1, mask, out=d1))),
        ("L1 dW x.T@delta (784,128)@(128,512)", lambda: np.matmul(xb.T, d1, out=dW1)),
        ("L1 dbias np.sum(delta, axis=0)", lambda: np.sum(d1, axis=0, out=L1.dbias)),
        ("loss value _cce (128x10)", lambda: model.loss.value(yb, p)),
        ("accuracy: correct(y, p)", lambda: model.loss.correct(yb, p)),
        ("accuracy: argmax(p) == labels (precomputed)",
         lambda: np.count_nonzero(np.argmax(p, axis=-1) == labels[:BATCH])),
        ("loss from labels: -log(clip(p[r, lab])).mean()",
         lambda: float(-np.log(np.clip(p[np.arange(BATCH), labels[:BATCH]], 1e-7, 1 - 1e-7)).mean())),
    ]
    print(f"  ops in isolation (median of {reps}):")
    for name, fn in ops:
        for _ in range(3):
            fn()
        print(f"    {name:<50}{_med_us(fn, reps):9.1f} us")

    # the RMSprop update of the 784x512 kernel, op by op (what core/engine/optimizers.py line by line costs)
    w = L1.kernel.copy()
    g = rng.standard_normal(w.shape, dtype=np.float32) * np.float32(0.01)
    v = np.abs(rng.standard_normal(w.shape, dtype=np.float32)) * np.float32(1e-4)
    s = np.empty_like(w)
    print("  RMSprop update of the 784x512 kernel, each ufunc (median us):")
    one = np.float32(1.0)  # neutral scalars keep the magnitudes (no denormals) at the same cost
    steps = [("np.square(g, out=s)", lambda: np.square(g, out=s)),
             ("s *= 1 - rho", lambda: np.multiply(s, one, out=s)),
             ("v *= rho", lambda: np.multiply(v, one, out=v)),
             ("v += s", lambda: np.add(v, s, out=v)),
             ("np.add(v, eps, out=s)", lambda: np.add(v, 1e-7, out=s)),
             ("np.sqrt(s, out=s)", lambda: np.sqrt(s, out=s)),
             ("np.divide(g, s, out=s)", lambda: np.divide(g, s, out=s)),
             ("s *= lr", lambda: np.multiply(s, one, out=s)),
             ("w -= s", lambda: np.subtract(w, s, out=w))]
    line = []
    for name, fn in steps:
        fn()
        line.append(f"{name} {_med_us(fn, reps):.0f}")
    print("    " + "; ".join(line))
    update_variants(reps, model, rng)

    whatifs(args, x, y, labels)
    profile_tiny(args)


def profile_tiny(args):
    """cProfile of the tiny network's Trainer steps: at 10 samples a batch the time is Python
    overhead, so what counts is how many Python-level calls a step makes and which are dearest."""
    import cProfile
    import pstats
    trainer = tiny_trainer()
    for _ in range(2):
        trainer.train_epoch()
    epochs = args.tiny_epochs
    steps = epochs * trainer.batches_per_epoch
    wait_quiet()
    t0 = time.perf_counter()
    for _ in range(epochs):
        trainer.train_epoch()
    plain = (time.perf_counter() - t0) / steps
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(epochs):
        trainer.train_epoch()
    prof.disable()
    st = pstats.Stats(prof)
    calls = sum(v[1] for v in st.stats.values())
    print(f"\n--- profile of the tiny network's step (cProfile over {steps} steps) ---")
    print(f"  {plain * 1e6:.1f} us/step unprofiled; {calls / steps:.0f} profiled calls per step "
          "(Python functions and C functions called from Python; numpy ufunc calls are not counted)")
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():
        where = f"{os.path.relpath(file, ROOT)}:{line}" if file.startswith(ROOT) else (
            os.path.basename(file) + (f":{line}" if line else ""))
        rows.append((tt, ct, nc, f"{func} ({where})"))
    print(f"  {'tottime us/step':>16}{'cumtime us/step':>17}{'calls/step':>11}  function   (cProfile inflates "
          "all times; read them as a ranking)")
    for tt, ct, nc, name in sorted(rows, reverse=True)[:18]:
        print(f"  {tt / steps * 1e6:16.1f}{ct / steps * 1e6:17.1f}{nc / steps:11.1f}  {name[:95]}")
