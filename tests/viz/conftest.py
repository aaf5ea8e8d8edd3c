"""Fixtures for the app's tests: no QThread may outlive its test, settings go to a temp file.

``no_thread_leaks`` (autouse) wraps ``QThread.start`` for the duration of each
test, records every thread started (weakly) and fails the test if one is still
running at teardown (napari's guard). ``temp_settings`` (autouse) points the app at
an INI file under ``tmp_path`` (``UNCRUMPLE_SETTINGS``), so tests never read or
write the user's settings.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import weakref

import pytest
from PySide6.QtCore import QSettings, QThread

from core.run.config import TrainingConfig

#: a small, fast run for most tests (the default spiral, fewer samples)
FAST = TrainingConfig(n_samples=200, grid_resolution=16)


@pytest.fixture(autouse=True)
def collect_garbage_in_the_gui_thread():
    """Collect each test's cyclic garbage (closed windows, views) here, in the GUI thread, once its
    threads are joined. Left for later, Python's collector may run it in a trainer thread (the
    thread engine) while the GUI thread deletes widgets: Qt object destructors in two threads
    deadlocked CI once (QObject::~QObject waiting on a mutex, the other thread on the GIL)."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def no_thread_leaks(monkeypatch, qapp):
    """Fail the test if any QThread it started is still running at teardown."""
    started: list[weakref.ref] = []
    original = QThread.start

    def start(self, *args, **kwargs):
        started.append(weakref.ref(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield started
    monkeypatch.undo()
    running = []
    for ref in started:
        thread = ref()
        try:
            if thread is not None and thread.isRunning():
                running.append(thread.objectName() or repr(thread))
        except RuntimeError:   # C++ object already deleted: not running
            pass
    if running:
        for ref in started:
            thread = ref()
            try:
                if thread is not None:
                    thread.quit()
                    thread.wait(5000)
            except RuntimeError:
                pass
        pytest.fail(f"QThread(s) still running at the end of the test: {running}")


@pytest.fixture(autouse=True)
def temp_settings(tmp_path, monkeypatch):
    """The app's settings in an INI file under tmp_path; returns a QSettings on it."""
    path = tmp_path / "uncrumple.ini"
    monkeypatch.setenv("UNCRUMPLE_SETTINGS", str(path))
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(tmp_path / "qsettings"))
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(tmp_path / "qsettings"))
    return QSettings(str(path), QSettings.Format.IniFormat)


@pytest.fixture
def make_session(qtbot):
    """Factory for Sessions that are shut down (and joined) at teardown."""
    from viz.run.session import Session
    made = []

    def make(config=FAST, engine="process", **kw):
        s = Session(config, engine, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.shutdown()


@pytest.fixture
def make_window(qtbot):
    """Factory for main windows, closed (trainer stopped and joined) at teardown."""
    from viz.app.main import create_window
    made = []

    def make(config=FAST, engine="process", **kw):
        w = create_window(config, engine=engine, **kw)
        qtbot.addWidget(w)
        made.append(w)
        return w

    yield make
    for w in made:
        try:
            w.close()
            w.session.shutdown()
        except RuntimeError:
            pass
    made.clear()


@pytest.fixture
def one_epoch_window(qtbot, make_window):
    """A shown 1280×800 window (a small spiral, trainer in a thread) that has trained one epoch."""
    w = make_window(TrainingConfig(n_samples=120, grid_resolution=16), engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=30_000)
    w.session.step_epoch()
    qtbot.waitUntil(lambda: w.session.latest.epoch == 1 and w.session.state != "training", timeout=30_000)
    return w


def trainer_children():
    """The live multiprocessing children named like the trainer."""
    return [p for p in multiprocessing.active_children() if p.name == "uncrumple-trainer"]


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.fixture
def fast_config():
    """A small, quick TrainingConfig (200 spiral samples, 16×16 boundary grid)."""
    return FAST


@pytest.fixture
def procs():
    """Process helpers: ``procs.trainer_children()``, ``procs.pid_alive(pid)``."""
    import types
    return types.SimpleNamespace(trainer_children=trainer_children, pid_alive=pid_alive)
