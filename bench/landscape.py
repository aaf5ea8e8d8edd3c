#!/usr/bin/env python
"""Speed of the loss-landscape grid (issue 5, "Speed"): vectorised against a naive loop.

Run from the repository root::

    python bench/landscape.py                  # 101 x 101 grid, 7 vectorised and 3 naive runs
    python bench/landscape.py --quick          # smoke run: 1 naive run
    python bench/landscape.py --repeat 11 --naive-repeat 5
    python bench/landscape.py --wait-quiet 20  # before each run wait (<= 20 s) for a quiet machine

The problem: the 2 -> 8 -> 8 -> 1 tanh network (sigmoid output, binary crossentropy) after
3 epochs of Adam on spiral(1000), a 101 x 101 grid of its random filter-normalised plane
(span 1). Timed, interleaved so both see the same machine:

- ``vectorised``: ``core.analysis.loss.landscape.evaluate_grid`` (one thread), and with ``workers=2``;
- ``naive``: one ``model.set_weights(plane.weights_at(a, b))`` + ``model.evaluate(x, y)`` per
  grid point, the loop a first implementation would write.

Targets: vectorised <= 0.15 s, naive / vectorised >= 2.5 (medians). The machine is shared: every
timing also records how many cores *other* processes kept busy meanwhile (from /proc/stat), and
the report flags runs made on a loaded machine. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the sibling _util, when this file is not run as a script
    sys.path.insert(0, HERE)

from _util import Quiet, Timer, threadpoolctl  # noqa: E402  (also puts the repository root on sys.path)

from core import Dense, Sequential, datasets  # noqa: E402
from core.analysis.loss import landscape  # noqa: E402

TARGET_SECONDS, TARGET_RATIO = 0.15, 2.5
LOADED = 0.3  # other processes using more cores than this on average: the run is flagged
QUIET = Quiet(LOADED, window=0.5)


def timed(fn, quiet=0.0):
    """Run ``fn()`` (first waiting up to ``quiet`` seconds for a 0.5 s window in which other
    processes use <= LOADED cores); return (result, wall seconds, our CPU seconds, cores used by others)."""
    if quiet:
        QUIET.wait(quiet)
    with Timer() as t:
        result = fn()
    return result, t.seconds, t.cpu, t.foreign


def problem(n=1000, seed=0):
    x, y = datasets.make("spiral", n=n, noise=0.1, seed=seed)
    model = Sequential([Dense(8, "tanh", input_shape=(2,)), Dense(8, "tanh"), Dense(1, "sigmoid")], seed=seed)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=32, verbose=0, seed=seed)
    return model, x, y


def naive_grid(model, x, y, plane, a, b):
    """One set_weights + evaluate per grid point; restores the weights afterwards."""
    saved = model.get_weights()
    losses = np.empty((len(b), len(a)), dtype=np.float32)
    try:
        for i, bi in enumerate(b):
            for j, aj in enumerate(a):
                model.set_weights(plane.weights_at(aj, bi))
                losses[i, j] = model.evaluate(x, y)[0]
    finally:
        model.set_weights(saved)
    return losses


def header():
    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print(f"BLAS env: {env or 'none'}")
    if threadpoolctl is not None:
        for lib in threadpoolctl.threadpool_info():
            print(f"  {lib.get('internal_api')} {lib.get('version')} {lib.get('architecture', '')} "
                  f"threads={lib.get('num_threads')}")
    else:
        print("  (install threadpoolctl to see the BLAS)")


def summary(name, runs, unit=1.0):
    walls = [r[1] for r in runs]
    loaded = sum(r[3] > LOADED for r in runs)
    print(f"{name:28s} median {statistics.median(walls) * unit:8.3f} s   min {min(walls) * unit:8.3f} s   "
          f"cpu median {statistics.median(r[2] for r in runs) * unit:7.3f} s   "
          f"others' cores {statistics.median(r[3] for r in runs):.2f}"
          f"{f'   ({loaded}/{len(runs)} runs loaded)' if loaded else ''}")
    return statistics.median(walls)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resolution", type=int, default=101)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7, help="vectorised runs (median reported)")
    ap.add_argument("--naive-repeat", type=int, default=3, help="naive runs (each ~1-3 s)")
    ap.add_argument("--quick", action="store_true", help="1 naive run, 5 vectorised runs")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before each timed run, wait up to SECONDS for the other processes to go quiet")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeat, args.naive_repeat = 5, 1

    header()
    model, x, y = problem(args.n)
    plane = landscape.random_plane(model, seed=0)
    r = args.resolution
    print(f"problem: 2-8-8-1 tanh, spiral({args.n}), {r} x {r} grid = {r * r} points, "
          f"random filter-normalised plane, span 1")

    # correctness first: the vectorised grid against evaluate at sampled points
    grid = landscape.evaluate_grid(model, x, y, plane, resolution=r)
    rng = np.random.default_rng(0)
    saved, worst = model.get_weights(), 0.0
    for i, j in rng.integers(0, r, size=(25, 2)):
        model.set_weights(plane.weights_at(grid.a[j], grid.b[i]))
        ref = model.evaluate(x, y)[0]
        worst = max(worst, abs(grid.losses[i, j] - ref) / abs(ref))
    model.set_weights(saved)
    print(f"check: 25 sampled grid points vs model.evaluate, max relative difference {worst:.2e}")

    vec, vec2, naive = [], [], []
    a, b, q = grid.a, grid.b, args.wait_quiet
    for k in range(max(args.repeat, args.naive_repeat)):
        if k < args.repeat:
            vec.append(timed(lambda: landscape.evaluate_grid(model, x, y, plane, resolution=r), q))
            vec2.append(timed(lambda: landscape.evaluate_grid(model, x, y, plane, resolution=r, workers=2), q))
        if k < args.naive_repeat:
            naive.append(timed(lambda: naive_grid(model, x, y, plane, a, b), q))
    if args.naive_repeat:
        diff = np.nanmax(np.abs(naive[0][0] - grid.losses) / np.abs(naive[0][0]))
        print(f"check: naive grid vs vectorised grid, max relative difference {diff:.2e}")

    print()
    t_vec = summary("vectorised (1 thread)", vec)
    t_vec2 = summary("vectorised (workers=2)", vec2)
    t_naive = summary("naive loop", naive) if naive else float("nan")
    print()
    print(f"vectorised: {t_vec:.3f} s (target <= {TARGET_SECONDS} s) "
          f"{'OK' if t_vec <= TARGET_SECONDS else 'MISSED'}; workers=2: {t_vec2:.3f} s")
    print(f"naive / vectorised: {t_naive / t_vec:.1f}x (target >= {TARGET_RATIO}x) "
          f"{'OK' if t_naive / t_vec >= TARGET_RATIO else 'MISSED'}; "
          f"per grid point: vectorised {t_vec / (r * r) * 1e6:.1f} us, naive {t_naive / (r * r) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
