"""Uncrumpling speed (issue 4): tracing through every stage, and the stage animation's frame rate.

Prints figures, asserts nothing:

* tracing 2,000 points and a 41 x 41 grid of the input plane through every stage of a
  4-layer network (2 -> 16 -> 16 -> 16 -> 1 tanh), with ``core.analysis.uncrumple.geometry.stages``
  (target <= 20 ms), beside a naive loop that traces the points one at a time;
* the Stage player animating the default network: frames drawn per second while its
  position moves (``set_position`` + repaint, as its play timer does; target >= 30).

Run: ``python bench/geometry.py`` (offscreen without a display, or under ``xvfb-run -a``).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def trace_timing(repeats=30):
    import numpy as np

    from core import Dense, Sequential, datasets
    from core.analysis.uncrumple.geometry import input_grid, stages
    x, _ = datasets.make("spiral", n=2000, noise=0.05, seed=0)
    model = Sequential([Dense(16, "tanh", input_shape=(2,)), Dense(16, "tanh"), Dense(16, "tanh"),
                        Dense(1, "sigmoid")], seed=0)
    model.build(2)
    grid = input_grid(x, resolution=41)
    pts = np.concatenate([x, grid.points]).astype(np.float32)
    stages(model, pts)                                    # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        stages(model, pts)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for p in pts[:200]:                                   # naive: one point at a time (scaled up below)
        stages(model, p[None, :])
    naive = (time.perf_counter() - t0) * len(pts) / 200
    return len(pts), len(stages(model, pts[:1])), statistics.median(times), naive


def animation_fps(seconds=3.0):
    os.environ.setdefault("UNCRUMPLE_SETTINGS", f"/tmp/uncrumple-bench-geometry-{os.getpid()}.ini")
    from core.run.config import TrainingConfig
    from core.run.serve import _Run
    from viz.app.main import ensure_app
    from viz.views.uncrumple.stage_player import StagePlayer
    app = ensure_app()
    run = _Run(TrainingConfig())
    for _ in range(20):
        run.trainer.train_epoch()
    snap = run.snapshot(with_run=True)
    player = StagePlayer()
    player.resize(560, 600)
    player.show()
    player.set_run(snap.run)
    player.add_snapshot(snap)
    player.refresh()
    app.processEvents()
    from viz.views.uncrumple.stage_player import TICKS
    n_stages = max(player.slider.maximum() / TICKS, 1.0)
    frames, t0, s = 0, time.perf_counter(), 0.0
    while time.perf_counter() - t0 < seconds:
        s = (s + 0.05) % n_stages
        player.set_position(s)
        player.repaint()
        app.processEvents()
        frames += 1
    fps = frames / (time.perf_counter() - t0)
    player.close()
    return fps


def main() -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    n, n_stages, t, naive = trace_timing()
    print(f"trace {n:,} points (2,000 data + 41x41 grid) through {n_stages} stages of 2-16-16-16-1 tanh:")
    print(f"  core.analysis.uncrumple.geometry.stages : {1000 * t:6.2f} ms (median of 30)   (target <= 20 ms)")
    print(f"  naive, point by point: {1000 * naive:6.0f} ms  -> {naive / t:.0f}x slower")
    fps = animation_fps()
    print(f"stage animation, default network: {fps:.0f} frames per second   (target >= 30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
