#!/usr/bin/env python
"""Speed and memory of the engine against PyTorch and scikit-learn (issue 2, "Speed and memory").

Run from the repository root::

    python bench/engine.py                 # full run, 5-15 minutes on 2 cores
    python bench/engine.py --quick         # CI smoke run: small n, 2 repetitions, 1-2 minutes
    python bench/engine.py --repeat 9      # more interleaved repetitions
    python bench/engine.py --parts big,tiny
    python bench/engine.py --parts epochs --epochs 8   # one model, 8 epochs in a row, each timed

Some machines export OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (older OpenBLAS builds misbehave on them),
which pins an older OpenBLAS kernel; to measure current numpy with its own kernel, unset both in
that command only::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/engine.py

Parts (all by default):

- ``peak``:    best-of-many float32 ``np.matmul`` of the network's shapes -> the peak GFLOP/s.
- ``big``:     one epoch of 784 -> 512 relu -> 10 softmax, rmsprop, categorical crossentropy,
  batch 128, n float32 random samples with random one-hot labels: ours, PyTorch (with
  ``set_flush_denormal(True)``; ours flushes its optimizer state), scikit-learn, after 3 warm-up
  epochs each, interleaved, median of ``--repeat`` epochs; ours/torch, target <= 0.8. For reference,
  FLOPs per epoch = 3 x forward matmul FLOPs against the peak measured again (best of 100 per shape)
  between our epochs (the 80 %-of-peak target is retired: see bench/README.md).
- ``epochs``:  one model of the big network trained ``--epochs`` epochs in a row (default 8), each
  epoch's time and the subnormal entries of its optimizer state printed: a slowdown over epochs
  shows (target: later/first <= 1.15). In turns with it, epoch by epoch, the same model with its
  decaying slots never flushed (``--no-compare-unflushed`` leaves it out).
- ``tiny``:    2 -> 8 -> 8 -> 1 tanh, sigmoid output, binary crossentropy, batch 10, spiral(500):
  optimizer steps per second, ours against PyTorch.
- ``memory``:  RSS (/proc/self/statm) after each of 5 epochs of the big network, then tracemalloc.
- ``openblas``: our epoch in child processes under OpenBLAS thread settings
  (OPENBLAS_THREAD_TIMEOUT, OPENBLAS_NUM_THREADS=1, threadpoolctl limits) and the cost of
  element-wise work right after a 2-thread matmul (OpenBLAS's second thread busy-waiting).
- ``contended``: our epoch and torch's while another process keeps one core busy (as the app's
  GUI may), with 2 BLAS threads and with 1.
- ``profile``: where our epoch's time goes (the real code path, timed per phase) and measured
  what-ifs for making it faster.

The machine is shared: every timing also records how many cores *other* processes used meanwhile
(from /proc/stat), and the report flags repetitions that ran on a loaded machine.

This file parses the arguments, prints the header and the summary and runs the parts, which live in
``engine_runs.py`` (big, tiny, memory; the networks and runners), ``engine_peak.py`` (the matmul
peak's probe), ``engine_blas.py`` (peak, openblas, contended) and ``engine_profile.py`` (profile);
``_util.py`` holds the timing helpers.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the sibling modules, when this file is not run as a script
    sys.path.insert(0, HERE)

from _util import threadpoolctl  # noqa: E402  (also puts the repository root on sys.path)
from engine_blas import blas_info, child_main, measure_peak, run_contended, run_openblas  # noqa: E402
from engine_profile import run_profile  # noqa: E402

import core  # noqa: E402
from engine_runs import (QUIET, TARGET_FLAT, TARGET_RATIO, TARGET_TINY, run_big, run_epochs,  # noqa: E402
                         run_memory, run_tiny)


# ---- header -------------------------------------------------------------------------------------
def header(args):
    print("=" * 78)
    print("Uncrumple engine benchmark" + ("  (--quick)" if args.quick else ""))
    print("=" * 78)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}")
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    print("BLAS env:", ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "(none set)")
    if threadpoolctl is None:
        print("threadpoolctl not installed: BLAS kernel and threads unknown")
    else:
        for info in blas_info():
            print(f"  {info.get('internal_api')} {info.get('version')}  kernel={info.get('architecture', '-')}"
                  f"  threads={info.get('num_threads')}  {os.path.basename(info.get('filepath', ''))}")
    print(f"load average {os.getloadavg()[0]:.2f} (other processes' CPU use is measured per timing)")


# ---- main ---------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI smoke run: n=6400, 2 repetitions")
    ap.add_argument("--repeat", type=int, default=None, help="interleaved repetitions (default 5, quick 2)")
    ap.add_argument("--n", type=int, default=None, help="samples of the big network (default 60000)")
    ap.add_argument("--epochs", type=int, default=8, help="epochs in a row of the epochs part (default 8)")
    ap.add_argument("--no-compare-unflushed", dest="compare_unflushed", action="store_false",
                    help="epochs part: leave out the second model whose decaying slots are never flushed")
    ap.add_argument("--flush-every", type=int, default=None, metavar="K",
                    help="flush the optimizers' decaying slots every K steps instead of the engine's "
                         "FLUSH_EVERY; 0: never (today's arithmetic before issue 18, to see the slowdown)")
    ap.add_argument("--parts", default="peak,big,epochs,tiny,memory,openblas,contended,profile",
                    help="comma-separated parts to run (default: all)")
    ap.add_argument("--no-sklearn", action="store_true", help="leave scikit-learn out (it is slow)")
    ap.add_argument("--wait-quiet", type=float, default=None, metavar="S",
                    help="before each timed run wait up to S seconds for other processes to go quiet "
                         "(default 10, quick 0)")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    if args.repeat < 1:
        ap.error(f"--repeat must be >= 1, got {args.repeat}")
    if args.n is None:
        args.n = 6400 if args.quick else 60000
    args.mem_n = args.n
    args.tiny_epochs = 4 if args.quick else 20
    args.micro = 50 if args.quick else 300
    peak_reps = 50 if args.quick else 500
    args.peak_probe = 20 if args.quick else 100  # best-of per shape, before each epoch of the big part
    QUIET.max_wait = (0.0 if args.quick else 10.0) if args.wait_quiet is None else args.wait_quiet
    if args.flush_every is not None:
        core.engine.optimizers.FLUSH_EVERY = args.flush_every if args.flush_every > 0 else 2**62
    if args._child:
        child_main(args)
        return 0
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"peak", "big", "epochs", "tiny", "memory", "openblas", "contended", "profile"}
    if unknown:
        ap.error(f"unknown --parts {sorted(unknown)}")

    header(args)
    summary = {}
    t_start = time.perf_counter()
    peak = measure_peak(peak_reps) if ("peak" in parts or "big" in parts) else None
    if "big" in parts:
        summary["big"] = run_big(args, peak)
    if "epochs" in parts:
        summary["epochs"] = run_epochs(args)
    if "tiny" in parts:
        summary["tiny"] = run_tiny(args)
    if "memory" in parts:
        summary["memory"] = run_memory(args)
    if "openblas" in parts:
        run_openblas(args)
    if "contended" in parts:
        run_contended(args)
    if "profile" in parts:
        run_profile(args)

    print("\n--- summary ---")
    if peak is not None:
        print(f"  float32 matmul peak: {peak:.1f} GFLOP/s")
    if "big" in summary:
        b = summary["big"]
        line = (f"  big epoch: ours {b['ours']:.3f} s = {100 * b['peak_fraction']:.1f} % of peak "
                f"(paired; {100 * b['peak_fraction_strict']:.1f} % of the run's best peak; no target)")
        if "torch_s" in b:
            line += f"; torch {b['torch_s']:.3f} s; ours/torch {b['ours'] / b['torch_s']:.2f} (target <= {TARGET_RATIO})"
        if "sklearn_s" in b:
            line += f"; sklearn (adam) {b['sklearn_s']:.3f} s"
        print(line)
    if "epochs" in summary:
        print(f"  epochs in a row: later/first {summary['epochs']:.2f} (target <= {TARGET_FLAT})")
    if summary.get("tiny") is not None:
        print(f"  tiny: ours/torch steps per second {summary['tiny']:.2f}x (target >= {TARGET_TINY}x)")
    if "memory" in summary:
        print(f"  memory growth per epoch (epochs 3-5): {summary['memory']:+.1f} KiB")
    print(f"  total bench time {time.perf_counter() - t_start:.0f} s "
          f"({QUIET.waited:.0f} s of it waiting for other processes to go quiet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
