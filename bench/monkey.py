"""The monkey for minutes: random user actions on the real app (process engine), checked after each.

Prints the actions done, the crashes (oracle failures: exceptions, Qt warnings, a stuck event
loop, a wrong state label; must be 0) and the worst event-loop stall: the largest gap between
ticks of a 10-ms timer while the monkey let the app run, the slowest 0-ms timer after an
action, and the slowest action itself (actions run on the GUI thread, as a user's click does).

    python bench/monkey.py [--minutes 10] [--seed 0] [--engine process] [--no-slow-presets] [--no-pin]

Runs under whatever display there is (set QT_QPA_PLATFORM=offscreen for none).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time

import _util  # noqa: F401  (puts the repository root on sys.path)
import viz  # noqa: E402,F401  (before NumPy, as the app: it sets the window's BLAS threads, viz.run.blas)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--engine", choices=("process", "thread"), default="process")
    p.add_argument("--no-slow-presets", action="store_true", help="skip the MNIST and Fashion-MNIST presets")
    p.add_argument("--unit-cap", type=int, default=0, help="largest layer width the monkey sets (0: none)")
    p.add_argument("--no-pin", action="store_true",
                   help="leave the window and the trainers to the scheduler (the app puts them on different CPUs)")
    args = p.parse_args()
    import faulthandler
    faulthandler.enable(all_threads=True)   # a segmentation fault prints every thread's Python stack

    from PySide6.QtWidgets import QApplication
    from viz.run import cpus
    pinned = False if args.no_pin else cpus.split_for_app()   # as the app does at start
    app = QApplication(sys.argv[:1])
    from core.run.config import TrainingConfig
    from viz.app.main import create_window, keep_house
    from monkey_driver import SLOW_PRESETS, Monkey, MonkeyFailure

    tmp = tempfile.mkdtemp(prefix="uncrumple-monkey-")
    import os
    os.environ.setdefault("UNCRUMPLE_SETTINGS", os.path.join(tmp, "settings.ini"))
    window = create_window(TrainingConfig(), engine=args.engine)
    window.resize(1280, 800)
    window.show()
    keep_house(window)   # as the app does
    monkey = Monkey(window, args.seed, tmpdir=tmp, skip=SLOW_PRESETS if args.no_slow_presets else (),
                    dwell_ms=(0, 250), max_latency_s=1.0, unit_cap=args.unit_cap or None,
                    trace_stalls=True)
    monkey.trace_all_stalls = True   # a stall while the app runs between actions is a failure too
    crashes, reported_boxes = [], 0
    start = time.perf_counter()
    end = start + 60 * args.minutes
    next_report = start + 60
    print(f"monkey: seed {args.seed}, engine {args.engine}, {args.minutes:g} min, "
          f"platform {app.platformName()}, " + (f"window on CPU {sorted(os.sched_getaffinity(0))}, trainers on "
          f"{sorted(cpus.TRAINER_CPUS)}" if pinned else "CPUs left to the scheduler") + f", files in {tmp}", flush=True)
    with monkey:
        while time.perf_counter() < end:
            try:
                monkey.step()
            except MonkeyFailure as exc:
                crashes.append(str(exc))
                print(f"CRASH {len(crashes)}:\n{exc}\n", flush=True)
                monkey.done += 1
            while len(monkey.watched_boxes) > reported_boxes:
                count, text, stack = monkey.watched_boxes[reported_boxes]
                reported_boxes += 1
                print(f"WATCHED MESSAGE BOX after {count} actions: {text}\n{stack}", flush=True)
            if time.perf_counter() >= next_report:
                next_report += 60
                print(f"  {(time.perf_counter() - start) / 60:4.1f} min: {monkey.done} actions, "
                      f"{len(crashes)} crashes, worst stall {monkey.worst_gap * 1000:.0f} ms", flush=True)
    took = time.perf_counter() - start
    window.close()
    app.processEvents()
    app.aboutToQuit.emit()   # as the app's exec() does when its last window closes: background jobs are joined
    print(f"actions done: {monkey.done} in {took / 60:.1f} min ({monkey.done / took:.1f}/s)")
    print(f"crashes: {len(crashes)}")
    print(f"watched message boxes: {len(monkey.watched_boxes)}")
    for count, text, stack in monkey.watched_boxes:
        print(f"  after {count} actions: {text}\n{stack}")
    print(f"worst event-loop stall while the app ran: {monkey.worst_gap * 1000:.0f} ms (10-ms timer gap), "
          f"after: {monkey.worst_gap_after}")
    print(f"worst 0-ms timer latency after an action: {monkey.worst_latency * 1000:.0f} ms")
    print(f"slowest action: {monkey.worst_action[0] * 1000:.0f} ms ({monkey.worst_action[1]})")
    for title, context in (("worst stall", monkey.worst_gap_context),
                           ("slowest action", monkey.worst_action_context)):
        print(f"the actions up to the {title}:", *context, sep="\n  ")
    try:
        print("configuration at the end:", window.controls.config().to_json().replace("\n", " "))
    except (RuntimeError, ValueError):
        pass
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
