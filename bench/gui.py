"""How responsive is the window while the default network trains flat out? Prints figures, asserts nothing.

For each engine (``process``: trainer in a child process; ``thread``: in a thread
of the GUI process) it measures, in one run:

* main-thread event-loop lateness: a 5 ms precise QTimer's ticks, late by how
  much (p50 / p99 / max), with the window idle and then while training;
* redraws per second (the session's redraw timer, one per new snapshot at most);
* training steps per second with the window open, against a bare ``Trainer``
  (same config, in a fresh process on the trainer's CPUs, while the window's run is
  paused), in alternating turns (``--repeats``), medians;
* time from launching ``python -m viz`` to the window being shown (a subprocess).

Targets from the issue: lateness p99 <= 16 ms and within 5 ms of idle, >= 30
redraws/s, >= 90 % of headless steps/s, window shown <= 1.5 s. With ``--preset mnist``
(``--dataset fashion_mnist`` or ``mnist_sample``): issue 7's ">= 75 % of headless speed
with the GUI open" for the book's MNIST network.

Run: ``python bench/gui.py`` (offscreen when there is no display; under
``xvfb-run -a -s "-screen 0 1400x900x24"`` for an X server), ``--seconds 5``, ``--engine process``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# first, as when the app starts: viz sets the window's BLAS threads (viz.run.blas: one fewer than the CPUs) before
# NumPy loads; imported after NumPy, OpenBLAS kept a thread per CPU on the window's one CPU, and on
# an MNIST run each chunk of the digits' predictions took 86 ms instead of 2.4 ms
import viz  # noqa: E402,F401
import numpy as np  # noqa: E402

LATE_TIMER_MS = 5

SHOWN_SCRIPT = r"""
import sys, time
t_launch = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import viz.app.main
from viz.run import cpus
cpus.split_for_app()
window = viz.app.main.create_window(None, engine=sys.argv[2], lazy_views=True)   # as the app does
window.show()
def shown():
    app.processEvents()
    print("SHOWN", time.time() - t_launch, flush=True)
    window.close()
QTimer.singleShot(0, shown)
app.exec()
"""


def percentiles(late_ms):
    a = np.asarray(late_ms, dtype=float)
    if not len(a):
        return "n/a"
    return f"p50 {np.percentile(a, 50):6.2f} ms   p99 {np.percentile(a, 99):6.2f} ms   max {a.max():7.2f} ms"


def measure_lateness(app, seconds):
    """Lateness (ms) of each tick of a 5 ms precise timer over ``seconds``."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    ticks = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(LATE_TIMER_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    clock = QElapsedTimer()
    clock.start()
    while clock.elapsed() < seconds * 1000:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    timer.stop()
    gaps = np.diff(ticks) * 1000
    return np.clip(gaps - LATE_TIMER_MS, 0, None)


def wait_for(app, predicate, seconds=30):
    from PySide6.QtCore import QEventLoop
    end = time.perf_counter() + seconds
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("timed out")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


HEADLESS_SCRIPT = r"""
import json, os, sys, time
cpus = json.loads(sys.argv[3])
if cpus and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, set(cpus))          # where the app's trainer runs
from core.run.config import TrainingConfig, build_trainer
trainer, _ = build_trainer(TrainingConfig.from_dict(json.loads(sys.argv[2])))
seconds = float(sys.argv[1])
end = time.perf_counter() + min(1.0, seconds / 3)
while time.perf_counter() < end:                # warm up
    trainer.train_batch()
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < seconds:
    trainer.train_batch()
    n += 1
print("STEPS", n / (time.perf_counter() - t0), flush=True)
"""


def headless_steps_per_second(seconds, config=None):
    """A bare ``Trainer``'s steps per second, in a fresh process on the CPUs the app's trainer gets
    (with the trainer's one BLAS thread), while the window's own run is paused."""
    import json

    from core.run.config import TrainingConfig
    from viz.run import blas, cpus
    env = dict(os.environ)
    env.update(blas.trainer_env(env, cpus.TRAINER_CPUS))   # the environment the app's trainer gets
    placed = sorted(cpus.TRAINER_CPUS) if cpus.TRAINER_CPUS else []
    r = subprocess.run([sys.executable, "-c", HEADLESS_SCRIPT, str(seconds),
                        json.dumps((config or TrainingConfig()).to_dict()), json.dumps(placed)],
                       capture_output=True, text=True, timeout=600, env=env)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("STEPS")), None)
    if line is None:
        raise RuntimeError(f"the headless run failed: {r.stderr[-2000:]}")
    return float(line.split()[1])


def time_to_shown(engine, repeats=3):
    env = dict(os.environ)
    env["UNCRUMPLE_SETTINGS"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), "uncrumple-bench.ini")
    # as an installed app starts: with its byte code cached (this sandbox sets PYTHONDONTWRITEBYTECODE,
    # which recompiles every module at each launch, ~0.3 s); the first, warming launch is not counted
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # launched as from a shell: on every CPU (this process may be pinned to the window's CPUs)
    every_cpu = (lambda: os.sched_setaffinity(0, range(os.cpu_count() or 1))) \
        if hasattr(os, "sched_setaffinity") else None
    subprocess.run([sys.executable, "-c", SHOWN_SCRIPT, repr(time.time()), engine], capture_output=True,
                   timeout=120, env=env, preexec_fn=every_cpu)
    out = []
    for _ in range(repeats):
        t = time.time()
        r = subprocess.run([sys.executable, "-c", SHOWN_SCRIPT, repr(t), engine], capture_output=True,
                           text=True, timeout=120, env=env, preexec_fn=every_cpu)
        line = next((ln for ln in r.stdout.splitlines() if ln.startswith("SHOWN")), None)
        if line:
            out.append(float(line.split()[1]))
    return out


def bench_engine(app, engine, seconds, views="all", config=None, repeats=3):
    from core.run.config import TrainingConfig
    from viz.app.main import create_window, keep_house
    config = config or TrainingConfig()
    print(f"\n== engine: {engine}, views shown: {views}, data: {config.dataset} ==", flush=True)
    window = create_window(config, engine=engine)
    window.reset_layout()
    if views in ("none", "boundary"):
        window.dock_curves.hide()
    if views in ("none", "curves"):
        window.dock_boundary.hide()
    window.show()
    keep_house(window)                     # as the app does
    s = window.session
    wait_for(app, lambda: s.latest is not None and s.state == "ready", 120)
    for box in app.topLevelWidgets():      # a preset's note (e.g. the offline MNIST sample)
        if box.objectName() == "info_box":
            box.close()
    idle = measure_lateness(app, seconds)
    # training with the window open and a bare trainer alone, in turns (the machine's speed drifts)
    busy, steps, redraws, headless = [], [], [], []
    for _ in range(repeats):
        s.play()
        wait_for(app, lambda: s.state == "training")
        wait_for(app, lambda: s.latest.step > (20 if config.dataset != "spiral" else 200), 120)
        step0, redraws0, t0 = s.latest.step, s.redraws, time.perf_counter()
        busy.append(measure_lateness(app, seconds))
        elapsed = time.perf_counter() - t0
        steps.append((s.latest.step - step0) / elapsed)
        redraws.append((s.redraws - redraws0) / elapsed)
        s.pause()
        wait_for(app, lambda: s.state == "paused")
        headless.append(headless_steps_per_second(min(seconds, 3.0) if config.dataset == "spiral" else seconds,
                                                  config))
    total_steps = s.latest.step
    window.close()
    busy = np.concatenate(busy)
    ratios = [a / b for a, b in zip(steps, headless)]
    steps, redraws, headless = np.median(steps), np.median(redraws), np.median(headless)
    p99_idle, p99_busy = np.percentile(idle, 99), np.percentile(busy, 99)
    print(f"timer lateness, idle      : {percentiles(idle)}")
    print(f"timer lateness, training  : {percentiles(busy)}")
    print(f"  p99 training - p99 idle : {p99_busy - p99_idle:+.2f} ms   (target: p99 <= 16 ms, within 5 ms of idle)")
    print(f"redraws per second        : {redraws:.1f}   (target >= 30; frame cost {s.frame_cost * 1000:.1f} ms)")
    print(f"training steps per second : {steps:.0f} with the window open, {headless:.0f} headless "
          f"= {100 * steps / headless:.0f} %   (target >= 90 %; medians of {repeats} turns each, ratio per turn "
          f"{', '.join(f'{100 * r:.0f} %' for r in ratios)}; {total_steps} steps trained)")
    return window


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=5.0, help="length of each measurement window")
    p.add_argument("--engine", choices=("process", "thread", "both"), default="both")
    p.add_argument("--repeats", type=int, default=3, help="turns of window-open / headless measurements")
    p.add_argument("--views", choices=("all", "none", "curves", "boundary"), default="all",
                   help="hide view docks to see what each costs (the app's own machinery: none)")
    p.add_argument("--preset", default=None, help="a core.run.presets name (e.g. mnist) instead of the default run")
    p.add_argument("--dataset", default=None, help="with --preset: another data set (e.g. mnist_sample)")
    args = p.parse_args(argv)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # no display: measure offscreen
    os.environ["UNCRUMPLE_SETTINGS"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), "uncrumple-bench.ini")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication

    from viz.run import cpus
    pinned = cpus.split_for_app()   # as the app does at start
    from viz.app.main import ensure_app
    app = ensure_app()
    print(f"Qt platform {QApplication.platformName()}, PySide6 {pyside_version}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, " + (f"window on CPU {sorted(os.sched_getaffinity(0))}, trainer on "
                                         f"{sorted(cpus.TRAINER_CPUS)}" if pinned else "CPUs not split"))
    engines = ("process", "thread") if args.engine == "both" else (args.engine,)
    windows = []
    config = None
    if args.preset:
        from core.run.presets import get_preset
        config = get_preset(args.preset).config
        config = config.replace(epochs=None, **({"dataset": args.dataset} if args.dataset else {}))
    for engine in engines:
        windows.append(bench_engine(app, engine, args.seconds, args.views, config, args.repeats))
        if config is None:
            shown = time_to_shown(engine)
            print(f"window shown after launch : {', '.join(f'{t:.2f} s' for t in shown)}   (target <= 1.5 s)")
    for w in windows:
        w.session.shutdown()


if __name__ == "__main__":
    main()
