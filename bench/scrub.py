"""How long does scrubbing the timeline take? Prints figures, asserts nothing.

Trains the default network (the spiral) ``--epochs`` epochs in a real main window, then
moves the timeline to random kept epochs and measures, per scrub:

* with the default tabs in front: ``TimelineController.scrub(k)``, the redraw of the
  views on screen and the window's paint (what the user waits for);
* the same with each view brought to the front in turn (views behind a tab redraw
  when they come to the front, so this is each view's own cost).

Target from issue 6: scrubbing redraws all views in <= 50 ms.

Run: ``python bench/scrub.py`` (offscreen without a display; under ``xvfb-run -a`` for X),
``--epochs 200 --scrubs 40``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--scrubs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("UNCRUMPLE_SETTINGS", os.path.join("/tmp", f"uncrumple-bench-{os.getpid()}.ini"))
    import viz  # noqa: F401  (before NumPy, as the app: it sets the window's BLAS threads, viz.run.blas)
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from core.run.config import TrainingConfig
    from viz.app.main import create_window, ensure_app

    app = ensure_app()
    w = create_window(TrainingConfig(epochs=args.epochs), engine="process")
    w.resize(1280, 800)
    w.show()

    def wait(pred, timeout=600):
        end = time.time() + timeout
        while not pred() and time.time() < end:
            app.processEvents()
            time.sleep(0.002)

    wait(lambda: w.session.latest is not None)
    w.session.play()
    wait(lambda: w.session.state == "finished" or w.session.latest.epoch >= args.epochs)
    wait(lambda: len(w.timeline.epochs()) >= min(args.epochs, 2) and w.session.state != "training", 30)
    for _ in range(50):
        app.processEvents()
    epochs = w.timeline.epochs()
    rng = np.random.default_rng(args.seed)

    def scrub_times(n):
        out = []
        for k in rng.choice(epochs, size=n):
            t0 = time.perf_counter()
            w.timeline.scrub(int(k))
            w.session.redraw_now()           # the tabs in front redraw, as the redraw timer would
            w.repaint()
            app.processEvents()
            out.append(time.perf_counter() - t0)
        return out

    seen = scrub_times(args.scrubs)          # the default layout: Boundary and Curves in front
    per_view: dict[str, list[float]] = {}
    for dock in w.docks:
        if dock.objectName() == "dock_controls" or not dock.isVisible():
            continue
        dock.raise_()
        for _ in range(20):
            app.processEvents()
        per_view[dock.property("fullTitle") or dock.windowTitle()] = scrub_times(max(args.scrubs // 3, 5))
    w.close()
    QApplication.processEvents()

    def ms(xs):
        return f"median {1000 * statistics.median(xs):6.1f} ms   max {1000 * max(xs):6.1f} ms"

    print(f"timeline: {len(epochs)} kept epochs of {args.epochs}; {args.scrubs} scrubs to random epochs")
    print(f"  default tabs in front (Boundary, Curves) : {ms(seen)}   (target <= 50 ms)")
    print("  each view brought to the front (with the other group's front tab):")
    for name, xs in sorted(per_view.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"    {name:24s} {ms(xs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
