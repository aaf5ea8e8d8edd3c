"""Does a long run stay bounded? The default network flat out with the window open, measured every minute.

Issue 17: flat out for 10 minutes the window grew 226 → 613 MB (~41 MB/min) and the trainer 48 →
88 MB, and a frame's cost rose 10 → 39 ms (the curves held every batch, the timeline every epoch's
log). This opens the window as the app does (``create_window``, the process engine), presses Play
flat out, and every minute prints:

* the window's and the trainer's resident memory (RSS, from ``/proc/<pid>/status``),
* the redraw clock's frame cost (GUI-thread CPU per redraw, smoothed: ``viz.run.redraw``; the
  median of a sample a second over the minute) and redraws per second over the minute,
* steps and epochs trained, the batches the curves cover and the epoch logs kept.

At the end, the targets with PASS / FAIL: RSS growth after minute 1 at most 3 MB/min for the
window and 1 MB/min for the trainer (the slope of a least-squares line through the minutes from 1
on), and the frame cost of the last minute within 20 % of minute 2's. ``--tracemalloc`` also prints
the window process's top 15 growing allocation sites between minute 1 and the end.

Run: ``xvfb-run -a -s "-screen 0 1280x800x24" python bench/soak.py --minutes 30`` (or offscreen
when there is no display); ``--minutes 6`` for a shorter look. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import viz  # noqa: E402,F401  (first, as when the app starts: it sets the window's BLAS threads)
import numpy as np  # noqa: E402

#: the targets of issue 17
WINDOW_MB_PER_MIN, TRAINER_MB_PER_MIN, FRAME_COST_DRIFT = 3.0, 1.0, 0.20


def rss_mb(pid) -> float:
    """Resident memory of process ``pid`` in MB (NaN when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def slope_per_minute(minutes, values) -> float:
    """The least-squares slope of ``values`` over ``minutes`` (NaN with fewer than two finite points)."""
    m, v = np.asarray(minutes, float), np.asarray(values, float)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(m[ok], v[ok], 1)[0])


def run_until(app, seconds, sample=None):
    """Let the event loop run for ``seconds``; ``sample()`` is called about once a second and its
    values are returned."""
    from PySide6.QtCore import QEventLoop
    end = time.perf_counter() + seconds
    samples, next_sample = [], time.perf_counter() + 1.0
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        if sample is not None and time.perf_counter() >= next_sample:
            samples.append(sample())
            next_sample += 1.0
    return samples


def wait_for(app, condition, timeout):
    from PySide6.QtCore import QEventLoop
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def verdict(ok) -> str:
    return "PASS" if ok else "FAIL"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to train flat out (default 30)")
    parser.add_argument("--no-pin", action="store_true",
                        help="leave the window and the trainer to the scheduler (the app puts them on different CPUs)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="print the window process's top growing allocation sites (slows it a little)")
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.tracemalloc:
        import tracemalloc
        tracemalloc.start(1)
    from PySide6.QtWidgets import QApplication
    from viz.run import cpus
    pinned = False if args.no_pin else cpus.split_for_app()   # as the app does at start
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from core.run.config import TrainingConfig
    from viz.app.main import create_window, keep_house
    window = create_window(TrainingConfig(), engine="process")
    window.resize(1280, 800)
    window.show()
    keep_house(window)
    s = window.session
    wait_for(app, lambda: s.latest is not None and s.state == "ready", 120)
    # the app builds the views behind tabs while idle, after showing the window: before Play here, so
    # that what grows later is the run, not views being built
    wait_for(app, lambda: window.lazy_docks.pending == 0, 300)
    trainer_pid = s.worker.pid if s.worker is not None else None
    print(f"window pid {os.getpid()}, trainer pid {trainer_pid}, {args.minutes:g} minutes flat out "
          f"({TrainingConfig().dataset}, default network; "
          + (f"window on CPU {sorted(os.sched_getaffinity(0))}, trainer on {sorted(cpus.TRAINER_CPUS)})"
             if pinned else "CPUs left to the scheduler)"), flush=True)
    s.set_speed(None)
    s.play()
    wait_for(app, lambda: s.state == "training", 30)
    header = (f"{'min':>4} {'window MB':>10} {'trainer MB':>11} {'frame ms':>9} {'redraws/s':>10} "
              f"{'steps':>11} {'epochs':>9} {'curve pts':>10} {'curves MB':>9} {'epoch logs':>10}")
    print(header, flush=True)
    rows, snap1 = [], None
    minutes = max(int(round(args.minutes)), 2)
    for minute in range(minutes + 1):
        costs = run_until(app, 60.0, lambda: s.frame_cost) if minute else [s.frame_cost]
        now = time.perf_counter()
        redraws = s.redraws
        rate = (redraws - rows[-1]["redraws"]) / (now - rows[-1]["t"]) if rows else float("nan")
        row = dict(minute=minute, t=now, redraws=redraws, rate=rate, window=rss_mb(os.getpid()),
                   trainer=rss_mb(trainer_pid) if trainer_pid else float("nan"), frame=1000 * float(np.median(costs)),
                   steps=s.latest.step if s.latest else 0, epochs=s.latest.epoch if s.latest else 0,
                   points=window.curves.n_points, curves_mb=window.curves.data.nbytes / 2**20,
                   logs=len(window.timeline.epoch_logs))
        rows.append(row)
        print(f"{minute:>4} {row['window']:>10.1f} {row['trainer']:>11.1f} {row['frame']:>9.2f} {rate:>10.1f} "
              f"{row['steps']:>11,} {row['epochs']:>9,} {row['points']:>10,} {row['curves_mb']:>9.2f} "
              f"{row['logs']:>10,}", flush=True)
        if args.tracemalloc and minute == 1:
            snap1 = tracemalloc.take_snapshot()
        if s.state != "training":
            print(f"training stopped: {s.state}", flush=True)
            break
    if args.tracemalloc and snap1 is not None:
        print("\nwindow process, top growing allocation sites since minute 1:")
        for stat in tracemalloc.take_snapshot().compare_to(snap1, "lineno")[:15]:
            print(f"  {stat.size_diff / 2**20:+8.2f} MB {stat.count_diff:+9,} blocks  {stat.traceback[0]}")
    s.pause()
    window.close()
    app.processEvents()
    later = [r for r in rows if r["minute"] >= 1]
    mins = [r["minute"] for r in later]
    w_slope = slope_per_minute(mins, [r["window"] for r in later])
    t_slope = slope_per_minute(mins, [r["trainer"] for r in later])
    frame2 = next((r["frame"] for r in rows if r["minute"] == 2), float("nan"))
    frame_last = rows[-1]["frame"]
    drift = frame_last / frame2 - 1 if frame2 > 0 else float("nan")
    print(f"\nwindow RSS growth after minute 1 : {w_slope:+.2f} MB/min   (target <= {WINDOW_MB_PER_MIN:g})  "
          f"{verdict(w_slope <= WINDOW_MB_PER_MIN)}")
    print(f"trainer RSS growth after minute 1: {t_slope:+.2f} MB/min   (target <= {TRAINER_MB_PER_MIN:g})  "
          f"{verdict(t_slope <= TRAINER_MB_PER_MIN)}")
    half = [r for r in later if r["minute"] >= rows[-1]["minute"] / 2]
    print(f"(for reference, over the second half, minutes {half[0]['minute']}-{half[-1]['minute']}: window "
          f"{slope_per_minute([r['minute'] for r in half], [r['window'] for r in half]):+.2f} MB/min, trainer "
          f"{slope_per_minute([r['minute'] for r in half], [r['trainer'] for r in half]):+.2f} MB/min: the bounded "
          "buffers fill during the first minutes, the sooner the faster the machine trains)")
    print(f"frame cost, minute {rows[-1]['minute']} vs minute 2 : {frame_last:.2f} vs {frame2:.2f} ms = "
          f"{100 * drift:+.0f} %   (target within {100 * FRAME_COST_DRIFT:.0f} %)  "
          f"{verdict(abs(drift) <= FRAME_COST_DRIFT)}", flush=True)
    early = [r["frame"] for r in later if 2 <= r["minute"] <= 6]
    late = [r["frame"] for r in rows[-5:] if r["minute"] > 6]
    if early and late:   # one minute's median moves with the machine's load; five minutes' less
        m_early, m_late = float(np.median(early)), float(np.median(late))
        print(f"(for reference, the median frame cost of minutes {rows[-len(late)]['minute']}-{rows[-1]['minute']} "
              f"vs minutes 2-{min(6, rows[-1]['minute'])}: {m_late:.2f} vs {m_early:.2f} ms = "
              f"{100 * (m_late / m_early - 1):+.0f} %)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
