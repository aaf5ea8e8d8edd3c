"""A shown separability view computes a round's values in a worker thread; the GUI thread only draws."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.analysis.uncrumple.geometry import stages
from core.analysis.uncrumple.separability import stages_separability
from viz.views.uncrumple import separability as sep_mod
from viz.views.uncrumple.separability import SEP_FEATURES, SEP_SAMPLES, SeparabilityView
from layers_support import clocked, feed, start, train_epoch


@pytest.fixture
def shown(qtbot):
    view = SeparabilityView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def clock(shown):
    """The redraw clock of the shown view (a new run is built and computed on its first frame)."""
    return clocked(shown)


def give(view, clock, snap):
    """What the session does with a run's first snapshot: hand it to the view, then ask for a frame."""
    feed(view, snap)
    clock.request()


def test_a_shown_view_computes_in_a_worker_and_draws_what_core_computes(shown, clock, qtbot, monkeypatch):
    threads = []
    real = sep_mod.stages_separability
    monkeypatch.setattr(sep_mod, "stages_separability",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    run, snap = start()
    give(shown, clock, snap)
    qtbot.waitUntil(lambda: shown.values is not None, timeout=10000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    expected = stages_separability(stages(shown.tracer.model, shown.tracer.x), shown.tracer.y,
                                   max_samples=SEP_SAMPLES, max_features=SEP_FEATURES)
    np.testing.assert_array_equal(shown.values, expected)
    qtbot.waitUntil(lambda: len(shown.bars.opts["height"]) == len(expected), timeout=5000)   # drawn a turn later
    np.testing.assert_allclose(shown.bars.opts["height"], expected)


def blocking(calls):
    def slow(stage_list, y, todo, cancel):
        calls.append(1)
        cancel.__self__.wait()            # until the job is cancelled
        from core.analysis.loss.landscape import Cancelled
        raise Cancelled("cancelled")
    return slow


def a_blocked_round(shown, clock, qtbot, monkeypatch):
    """Start a run on ``shown`` whose separability round blocks until cancelled: ``(calls, snapshot)``."""
    calls = []
    monkeypatch.setattr(sep_mod, "_values", blocking(calls))
    _, snap = start()
    give(shown, clock, snap)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10000)
    return calls, snap


def test_closing_the_view_or_its_window_joins_the_worker(shown, clock, qtbot, monkeypatch):
    calls, snap = a_blocked_round(shown, clock, qtbot, monkeypatch)
    assert shown.runner.busy
    shown.close()
    assert not shown.runner.busy and not shown.runner._threads

    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    view = SeparabilityView()
    dock = QtWidgets.QDockWidget("Separability", window)
    dock.setWidget(view)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.show()
    qtbot.waitExposed(window)
    feed(view, snap)
    view.refresh()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=10000)
    window.close()
    assert not view.runner._threads


def test_a_new_run_drops_the_running_round_without_waiting(shown, clock, qtbot, monkeypatch):
    calls, snap = a_blocked_round(shown, clock, qtbot, monkeypatch)
    worker = shown.runner._current[0]
    monkeypatch.undo()
    give(shown, clock, snap)                             # clear(): the blocked round is cancelled, not joined
    assert worker._cancel.is_set()
    qtbot.waitUntil(lambda: shown.values is not None, timeout=10000)
    shown.finish()
    assert np.isfinite(shown.values).all()


def test_the_redraw_clock_starts_a_round_at_most_every_min_interval(shown, clock, qtbot, monkeypatch):
    """A new epoch that comes too soon is computed once the interval is over (deferred, not dropped):
    ``min_interval`` (1 s, here 0.5 s), or 10 times the last round's cost when that is over 20 ms."""
    monkeypatch.setattr(SeparabilityView, "min_interval", 0.5)
    starts = []
    real = shown._start_round
    monkeypatch.setattr(shown, "_start_round", lambda spread: starts.append(time.perf_counter()) or real(spread))
    run, snap = start()
    give(shown, clock, snap)
    qtbot.waitUntil(lambda: 0 in shown.history, timeout=10000)
    cost = shown._traced[1]
    gap = shown.min_interval
    assert gap == max(0.5, 10 * cost if cost > 0.02 else 0.0)
    shown.add_snapshot(train_epoch(run))
    clock.request()
    qtbot.waitUntil(lambda: 1 in shown.history, timeout=30000)
    assert len(starts) == 2 and starts[1] - starts[0] >= gap
