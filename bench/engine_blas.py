"""The BLAS parts of bench/engine.py: the float32 matmul peak, our epoch under OpenBLAS thread
settings (each in a fresh process), and our epoch and torch's with one core kept busy.
Run ``python bench/engine.py``, not this module.
"""
from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

from _util import Timer, median, optional, threadpoolctl
from engine_peak import PeakProbe
from engine_runs import BATCH, D_IN, HIDDEN, QUIET, OursBig, TorchBig, big_data, summarize, wait_quiet

ENGINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine.py")


def blas_info():
    if threadpoolctl is None:
        return []
    return threadpoolctl.threadpool_info()


def numpy_blas():
    for info in blas_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return info
    return None


# ---- peak ---------------------------------------------------------------------------------------
def measure_peak(reps):
    """Best-of-``reps`` GFLOP/s of np.matmul on the network's big shapes; the peak is the best."""
    print("\n--- float32 matmul peak (np.matmul into a preallocated out=, best of %d) ---" % reps)
    wait_quiet()
    results = PeakProbe().measure(reps)
    for name, (best, gflops) in results.items():
        print(f"  {name}  {best * 1e6:8.1f} us  {gflops:7.1f} GFLOP/s")
    peak = max(g for _, g in results.values())
    print(f"  peak = {peak:.1f} GFLOP/s (best of the shapes above)")
    return peak


# ---- OpenBLAS threads ---------------------------------------------------------------------------
def _update_like(w, g, v, s):
    """The RMSprop update's ufuncs, as core/engine/optimizers.py runs them."""
    np.square(g, out=s)
    s *= 0.1
    v *= 0.9
    v += s
    np.sqrt(np.add(v, 1e-7, out=s), out=s)
    np.divide(g, s, out=s)
    s *= 1e-3
    w -= s


def elementwise_after_matmul(reps):
    """Median time of a 784x512 RMSprop update right after a (128,784)@(784,512) matmul run with
    the BLAS's threads (OpenBLAS's worker then busy-waits for the next call) and right after the
    same matmul limited to 1 thread (no worker woken). Same data, warm caches."""
    rng = np.random.default_rng(3)
    a = rng.random((BATCH, D_IN), dtype=np.float32)
    b = rng.random((D_IN, HIDDEN), dtype=np.float32)
    o = np.empty((BATCH, HIDDEN), dtype=np.float32)
    w = rng.random((D_IN, HIDDEN), dtype=np.float32)
    g = rng.random((D_IN, HIDDEN), dtype=np.float32) * np.float32(0.01)
    v, s = np.zeros_like(w), np.empty_like(w)

    def loop():
        ts = []
        for _ in range(reps):
            np.matmul(a, b, out=o)
            t0 = time.perf_counter()
            _update_like(w, g, v, s)
            ts.append(time.perf_counter() - t0)
        return median(ts) * 1e6
    after = loop()
    if threadpoolctl is None:
        return after, float("nan")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        time.sleep(0.5)  # let a spinning worker time out
        single = loop()
    return after, single


def child_main(args):
    """One variant of our epoch in this fresh process; prints one JSON line."""
    x, y, labels = big_data(args.n, seed=0)
    runner = OursBig(x, y, labels)
    if args._child == "limit-ew" and threadpoolctl is not None:
        ctl = threadpoolctl.ThreadpoolController()
        opt = runner.model.optimizer
        apply = opt.apply

        def limited_apply(params, grads):
            with ctl.limit(limits=1, user_api="blas"):
                apply(params, grads)
        opt.apply = limited_apply
    runner.epoch()
    samples = []
    for _ in range(args.repeat):
        gc.collect()
        wait_quiet()
        with Timer() as t:
            runner.epoch()
        samples.append((t.seconds, t.foreign))
    med, clean = summarize(samples)
    after, alone = elementwise_after_matmul(200)
    info = numpy_blas() or {}
    print(json.dumps({"epoch": med, "clean": clean, "foreign": median([f for _, f in samples]),
                      "after_us": after, "alone_us": alone, "kernel": info.get("architecture"),
                      "threads": info.get("num_threads")}))


def run_openblas(args):
    print(f"\n--- OpenBLAS threads: our epoch (n={args.n:,}, median of {args.repeat}) in a fresh process "
          "per setting ---")
    print("  ew = the 784x512 RMSprop update's 9 ufuncs, median us: right after a matmul on the BLAS's threads"
          " / after a 1-thread matmul")
    base = dict(os.environ)
    variants = [("as is", {}, None),
                ("OPENBLAS_THREAD_TIMEOUT=4 (workers sleep at once)", {"OPENBLAS_THREAD_TIMEOUT": "4"}, None),
                ("OPENBLAS_NUM_THREADS=1", {"OPENBLAS_NUM_THREADS": "1"}, None),
                ("threadpoolctl limit 1 around optimizer.apply", {}, "limit-ew")]
    if "OPENBLAS_CORETYPE" in base or "OPENBLAS_L2_SIZE" in base:
        variants.append(("OPENBLAS_CORETYPE/L2_SIZE unset (numpy's own kernel)",
                         {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}, None))
        variants.append(("  ... unset + OPENBLAS_THREAD_TIMEOUT=4",
                         {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None,
                          "OPENBLAS_THREAD_TIMEOUT": "4"}, None))
    results = {}
    for label, change, mode in variants:
        env = dict(base)
        for k, v in change.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        cmd = [sys.executable, ENGINE, "--_child", mode or "plain",
               "--n", str(args.n), "--repeat", str(args.repeat), "--wait-quiet", str(QUIET.max_wait)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  {label}: failed\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results[label] = r
        print(f"  {label:<52} epoch {r['epoch']:.3f} s  kernel={r['kernel']} threads={r['threads']}  "
              f"ew {r['after_us']:.0f} / {r['alone_us']:.0f} us  (other procs {r['foreign']:.2f} cores)")
    return results


# ---- contention -------------------------------------------------------------------------------
def run_contended(args):
    """Our epoch and torch's with one core taken by a busy process (as the app's GUI process may
    take it while the training child runs), each with 2 BLAS threads and with 1."""
    n = min(args.n, 6400)
    print(f"\n--- contention: one core kept busy by another process (n={n:,}, median of {args.repeat}) ---")
    x, y, labels = big_data(n, seed=0)
    runners = [("ours, BLAS 2 threads", OursBig(x, y, labels), 2),
               ("ours, BLAS 1 thread (threadpoolctl)", OursBig(x, y, labels), 1)]
    torch, _ = optional("torch")
    if torch is not None:
        runners += [("torch, 2 threads", TorchBig(x, labels), 2), ("torch, 1 thread", TorchBig(x, labels), 1)]

    def run(r, threads):
        if r.name == "torch":
            torch.set_num_threads(threads)
            r.epoch()
            torch.set_num_threads(2)
        elif threads == 1 and threadpoolctl is not None:
            with threadpoolctl.threadpool_limits(1, user_api="blas"):
                r.epoch()
        else:
            r.epoch()

    quiet = {}
    for name, r, threads in runners:
        run(r, threads)
        wait_quiet()
        with Timer() as t:
            run(r, threads)
        quiet[name] = t.seconds
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        samples = {name: [] for name, _, _ in runners}
        for _ in range(args.repeat):
            for name, r, threads in runners:
                with Timer() as t:
                    run(r, threads)
                samples[name].append(t.seconds)
    finally:
        hog.kill()
        hog.wait()
    for name, _, _ in runners:
        med = median(samples[name])
        print(f"  {name:<38} {med:8.3f} s busy core  vs {quiet[name]:6.3f} s quiet  "
              f"({med / quiet[name]:5.1f}x; {med / math.ceil(n / BATCH) * 1e3:.1f} ms/batch)")


