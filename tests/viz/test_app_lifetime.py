"""The app's lifetime: no leaked windows, a responsive GUI thread while training, and the entry point
in subprocesses (command line, clean exit mid-training, the trainer exits with a killed GUI)."""
from __future__ import annotations

import gc
import json
import os
import select
import signal
import subprocess
import sys
import time
import weakref

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication

from core.run.config import TrainingConfig
from app_support import ready, until


# ---- lifetime and responsiveness ----------------------------------------------------------------
def test_open_and_close_five_times_leaks_no_window(qtbot, fast_config):
    from viz.app.main import create_window
    from viz.app.main_window import MainWindow
    refs = []
    for _ in range(5):
        w = create_window(fast_config)
        w.show()
        ready(qtbot, w)
        w.close()
        refs.append(weakref.ref(w))
        del w
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    assert [r() for r in refs] == [None] * 5
    assert not [x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow)]


@pytest.mark.parametrize("views", ["none", "learn", "uncrumple", "descend", "inside", "inspector"])
def test_main_thread_timer_never_gaps_while_training(qtbot, make_window, views, request):
    """A 5 ms timer in the GUI thread waits > 100 ms at most once, never > 300 ms, while the default network trains flat out.

    ``views="none"`` measures the app's own machinery (relay thread, session, status
    bar); a workspace's name, that workspace with its views (see bench/gui.py for figures);
    ``"inspector"`` the Uncrumple workspace with the Neuron view's tab in front.
    """
    from viz.app.layout import workspaces
    from viz.app.main import freeze_long_lived
    w = make_window(TrainingConfig(), "process")
    if views == "none":
        for dock in w.docks:
            if dock is not w.dock_controls:
                dock.hide()
    w.show()
    qtbot.waitExposed(w)
    ready(qtbot, w)
    if views != "none":
        name = "dock_inspector" if views == "inspector" else \
            [n for n in workspaces.workspace(views).dock_names() if n != "dock_controls"][0]
        w.dock_layout.show_workspace(workspaces.home_of(name).name)
        tab = w.dock_layout.dock(name)
        tab.raise_()
        view = w.lazy_docks.ensure(tab)
        until(qtbot, lambda: not view.visibleRegion().isEmpty())
    # as the app does once its window is up (viz.app.main.main): the window's objects out of the collector's reach
    # (the windows of the tests before are cyclic garbage: collected mid-measurement, that alone stalls ~90 ms)
    freeze_long_lived()
    request.addfinalizer(gc.unfreeze)
    ticks = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    w.actions.speed.setCurrentIndex(w.actions.speed.count() - 1)   # Flat out (the last choice)
    w.session.play()
    until(qtbot, lambda: w.session.state == "training")
    # steady training: past the first frames, where a raised tab builds its plot items once
    until(qtbot, lambda: w.session.latest.epoch >= 2)
    drawn = w.session.redraws
    until(qtbot, lambda: w.session.redraws >= drawn + 3)
    timer.start()
    until(qtbot, lambda: len(ticks) > 2 and ticks[-1] - ticks[0] > 2.0)
    timer.stop()
    steps = w.session.latest.step
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # Two bounds, both about the app: the second-worst gap under 100 ms (a frame that is regularly slow shows
    # up in many gaps) and the worst under 300 ms (one heavy piece of work on the GUI thread, like the 360 ms
    # layout of issue 17's item 10). A single 100-180 ms gap is what this shared 2-vCPU machine does to any
    # process now and then (seen once in ~20 CI runs, in a different workspace each time), so it alone
    # does not fail the test.
    worst, second = sorted(gaps)[-1], sorted(gaps)[-2]
    assert second < 0.100, f"the GUI thread stalled {second * 1000:.0f} ms more than once (worst {worst * 1000:.0f} ms)"
    assert worst < 0.300, f"the GUI thread stalled {worst * 1000:.0f} ms"
    assert steps > 500


# ---- the entry point, in subprocesses -----------------------------------------------------------
def run_py(code, timeout=90):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)


def test_cli_trains_epochs_and_saves_a_screenshot(tmp_path):
    png = tmp_path / "shot.png"
    r = subprocess.run([sys.executable, "-m", "viz", "--dataset", "moons", "--epochs", "3", "--seed", "1",
                        "--screenshot", str(png), "--quit"], capture_output=True, text=True, timeout=90,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r.stderr
    assert png.stat().st_size > 10_000
    from PySide6.QtGui import QImage
    assert QImage(str(png)).width() >= 600


def test_cli_refuses_a_bad_config_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"learning_rate": -1}))
    r = subprocess.run([sys.executable, "-m", "viz", "--config", str(bad), "--quit"], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 2 and "learning_rate" in r.stderr


CLOSE_MID_TRAINING = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import viz.app.main
from viz.app.main_window import MainWindow

def poll():
    w = next((x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow)), None)
    if w is None or w.session.latest is None:
        return
    s = w.session
    if s.state == "ready":
        s.play()
    elif s.state == "training" and s.latest.step > 300:
        print("TRAINER", s.worker.pid, flush=True)
        timer.stop()
        w.close()

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
sys.exit(viz.app.main.main(["--engine", "ENGINE"]))
"""


@pytest.mark.parametrize("engine", ["process", "thread"])
def test_closing_mid_training_exits_cleanly(engine, procs):
    r = run_py(CLOSE_MID_TRAINING.replace("ENGINE", engine))
    assert r.returncode == 0, r.stderr
    assert "QThread: Destroyed" not in r.stderr
    assert "TRAINER" in r.stdout
    pid = r.stdout.split("TRAINER", 1)[1].split()[0]
    if engine == "process":
        assert not procs.pid_alive(int(pid)), "the trainer outlived the app"


KEEP_TRAINING = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import viz.app.main
from viz.app.main_window import MainWindow
said = False

def poll():
    global said
    w = next((x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow)), None)
    if w is None or w.session.latest is None:
        return
    if w.session.state == "ready":
        w.session.play()
    elif not said and w.session.latest.step > 100:
        said = True
        print("TRAINER", w.session.worker.pid, flush=True)

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
sys.exit(viz.app.main.main([]))
"""


def test_killing_the_gui_makes_the_trainer_exit(qtbot, procs):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    gui = subprocess.Popen([sys.executable, "-c", KEEP_TRAINING], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "TRAINER" not in line and time.monotonic() < deadline:
            if select.select([gui.stdout], [], [], 1.0)[0]:
                line = gui.stdout.readline()
                if not line:
                    break
        assert "TRAINER" in line, "the app never started training"
        trainer = int(line.split()[1])
        assert procs.pid_alive(trainer)
        os.kill(gui.pid, signal.SIGKILL)
        gui.wait(30)
        until(qtbot, lambda: not procs.pid_alive(trainer), timeout=15_000)
    finally:
        if gui.poll() is None:
            gui.kill()
            gui.wait()
        gui.stdout.close()


def test_the_window_process_takes_the_numpy_update(qtbot, make_window, fast_config):
    """The Slice's preview of the next step on an MNIST network took the fused (numba) update in the
    window process: importing and compiling numba there held the GUI thread ~6 s (the monkey, seed 0).
    The window takes the NumPy update (the same bits); the trainer process keeps the fused one."""
    from core.engine import optimizers
    optimizers.allow_fused(True)
    make_window(fast_config)
    assert optimizers.fused_module() is None and optimizers.update_path() == "NumPy"
