"""The optimizer-update experiments of bench/engine.py's profile: the RMSprop update of the whole
flat buffer cache-blocked and split over two threads (:func:`update_variants`), and the measured
what-ifs that patch those variants into real epochs (:func:`whatifs`). Called by
``engine_profile.run_profile``; run ``python bench/engine.py``, not this module.
"""
from __future__ import annotations

import gc
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from _util import Timer, median
from engine_runs import BATCH, HIDDEN, OursBig, summarize, wait_quiet

import core  # noqa: E402


def _blocked_update(update, chunk, min_size=1 << 16):
    """RMSprop._update chunk by chunk (cache blocking): all ~9 ufunc passes run over ``chunk``
    elements while they sit in L2, then the next chunk. Element-wise, so bit-identical to the whole
    (tests/core/test_optimizers.py checks it for every optimizer). The chunk views are made once per
    buffer (the model passes the same flat buffer every step), so a step pays only the ufunc calls."""
    cache = {}

    def blocked(w, g, slots, s):
        if w.size < min_size:
            return update(w, g, slots, s)
        arrays = (w, g, s, *slots)
        hit = cache.get(id(w))
        if hit is None or any(x is not y for x, y in zip(hit[0], arrays)):
            hit = cache[id(w)] = (arrays, [(w[a:a + chunk], g[a:a + chunk], tuple(sl[a:a + chunk] for sl in slots),
                                            s[a:a + chunk]) for a in range(0, w.shape[0], chunk)])
        decaying = ()
        for wc, gc_, sc, ss in hit[1]:
            decaying = update(wc, gc_, sc, ss)
        return _whole_slots(decaying, sc, slots)
    return blocked


def _whole_slots(decaying, part, slots):
    """The slots of the whole buffer that ``_update`` on a part of it said decay (to be flushed)."""
    return tuple((slots[next(i for i, a in enumerate(part) if a is d)], signed) for d, signed in decaying)


def update_variants(reps, model, rng):
    """The RMSprop update of the model's whole flat buffer (407,050 float32: what one step updates)
    as core runs it, cache-blocked in chunks of several sizes, and split over 2 threads; each timed
    right after a 2-thread matmul of the network's big shape (OpenBLAS's worker is then busy-waiting
    on the other core, as in the epoch) and without one just before (it may still spin: OpenBLAS's
    thread timeout is ~0.1 s)."""
    size = model._flat[0].size
    opt = core.engine.optimizers.RMSprop()
    pool = ThreadPoolExecutor(1)

    def state():  # w, g, (velocity, momentum), scratch
        r = [rng.standard_normal(size, dtype=np.float32) * np.float32(k) for k in (0.05, 0.01, 1e-4)]
        return r[0], r[1], (np.abs(r[2]), np.zeros(size, np.float32)), np.empty(size, np.float32)

    variants = [("whole buffer (core)", opt._update)]
    variants += [(f"blocked, chunks of {c:,}", _blocked_update(opt._update, c))
                 for c in (8192, 16384, 32768, 65536, 131072)]
    variants.append(("2 threads (halves)", _split_update(pool, opt._update)))
    args = {name: state() for name, _ in variants}
    a = rng.random((BATCH, 784), dtype=np.float32)
    b = rng.random((784, HIDDEN), dtype=np.float32)
    out = np.empty((BATCH, HIDDEN), np.float32)
    print(f"  RMSprop update of the whole flat buffer ({size:,} float32), us over {reps} interleaved calls "
          "(wall: median / 10th percentile; CPU: this thread's, which load from other processes barely moves):")
    print(f"    {'variant':<28}{'wall after a matmul':>22}{'wall, no matmul':>20}{'CPU median':>12}")
    times = {(name, mm): [] for name, _ in variants for mm in (True, False)}
    cpu = {name: [] for name, _ in variants}
    for _ in range(reps):
        for mm in (True, False):
            for name, fn in variants:
                if mm:
                    np.matmul(a, b, out=out)
                t0, c0 = time.perf_counter(), time.thread_time()
                fn(*args[name])
                times[name, mm].append(time.perf_counter() - t0)
                cpu[name].append(time.thread_time() - c0)
    for name, _ in variants:
        cells = []
        for mm in (True, False):
            ts = sorted(times[name, mm])
            cells.append(f"{median(ts) * 1e6:8.0f} / {ts[len(ts) // 10] * 1e6:6.0f}")
        c = "(2 threads)" if "threads" in name else f"{median(cpu[name]) * 1e6:.0f}"
        print(f"    {name:<28}{cells[0]:>22}{cells[1]:>20}{c:>12}")
    pool.shutdown()


def _split_update(pool, update, min_size=1 << 16):
    """RMSprop._update on two halves at once (a worker thread + this one): ufuncs release the GIL,
    and an element-wise update split along the first axis is bit-identical to the whole. The
    optimizer now gets the model's one flat buffer (core/engine/model.py ``_bind_flat``): its halves."""
    def split(w, g, slots, s):
        if w.size < min_size:
            return update(w, g, slots, s)
        h = w.shape[0] // 2
        fut = pool.submit(update, w[:h], g[:h], tuple(sl[:h] for sl in slots), s[:h])
        part = tuple(sl[h:] for sl in slots)
        decaying = update(w[h:], g[h:], part, s[h:])
        fut.result()
        return _whole_slots(decaying, part, slots)
    return split


BLOCK = 65536  # the best chunk in update_variants on this machine (4 x 256 KiB in a 1 MiB L2)


def whatifs(args, x, y, labels):
    """Measured what-ifs, applied by patching objects in this process (core is not changed):
    each is checked to give bit-identical weights to the current code after the same epochs.
    Besides the epoch, every optimizer update inside those epochs is timed on its own: hundreds of
    calls per variant, interleaved epoch by epoch, say more than a few whole epochs on a shared box."""
    print(f"  what-ifs (patched in this process only; epoch medians over {args.repeat} interleaved reps, "
          "and each update inside them; the one flat parameter buffer, once a what-if here, is now the "
          "real code path):")
    pool = ThreadPoolExecutor(1)
    calls = {}

    def make(kind):
        r = OursBig(x, y, labels, fused=False)     # the what-ifs patch the NumPy update
        update = r.model.optimizer._update
        if "2 threads" in kind:
            update = _split_update(pool, update)
        if "cache-blocked" in kind:
            update = _blocked_update(update, BLOCK)
        times = calls[kind] = []

        def timed(*a):
            t0 = time.perf_counter()
            decaying = update(*a)
            times.append(time.perf_counter() - t0)
            return decaying
        r.model.optimizer._update = timed
        return r

    kinds = ["current", "split RMSprop update over 2 threads (halves)",
             f"cache-blocked RMSprop update (chunks of {BLOCK:,})"]
    runners = {k: make(k) for k in kinds}
    for r in runners.values():
        r.epoch()
    ref = runners["current"].model.get_weights()
    for k, r in runners.items():
        same = all(np.array_equal(a, b) for a, b in zip(ref, r.model.get_weights()))
        if not same:
            print(f"    {k}: weights differ from the current code!")
        calls[k].clear()
    samples = {k: [] for k in kinds}
    for _ in range(args.repeat):
        for k, r in runners.items():
            gc.collect()
            wait_quiet()
            with Timer() as t:
                r.epoch()
            samples[k].append((t.seconds, t.foreign))
    base, _ = summarize(samples["current"])
    base_upd = median(calls["current"])
    for k in kinds:
        med, clean = summarize(samples[k])
        upd = median(calls[k])
        print(f"    {k:<50} {med:.3f} s ({100 * (med / base - 1):+5.1f} %, {clean}/{args.repeat} unloaded); "
              f"update {upd * 1e6:.0f} us ({100 * (upd / base_upd - 1):+5.1f} %) median of {len(calls[k])}")
    pool.shutdown()
