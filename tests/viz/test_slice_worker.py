"""The 1D slice is computed in a worker thread: the GUI thread only draws, and every thread is joined."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core.analysis.loss import slices
from core.analysis.loss.batched import Cancelled
from core.run.config import TrainingConfig
from core.run.messages import RunData
from views_support import start

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16)


@pytest.fixture
def view(qtbot):
    from viz.views.loss.slice1d import SliceView
    v = SliceView()
    qtbot.addWidget(v)
    run, first = start(CONFIG)
    v.set_run(first.run)
    v.add_snapshot(first)
    for _ in range(3):
        run.trainer.train_batch()
    v.add_snapshot(run.snapshot())
    return v


def blocking_slice(calls):
    """A slice_1d stand-in that blocks until its job is cancelled (records its thread)."""
    def slow(*args, cancel=None, **kwargs):
        calls.append(threading.current_thread())
        cancel.__self__.wait()           # cancel is the job's Event.is_set: wait until it is set
        raise Cancelled("cancelled")
    return slow


def test_the_slice_is_computed_in_a_worker_thread_and_drawn_as_core_computes_it(qtbot, view, monkeypatch):
    threads = []
    real = slices.slice_1d

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(slices, "slice_1d", spy)
    with qtbot.waitSignal(view.computed, timeout=20000):
        assert view.compute()
        assert view.runner.busy and view.slice is None     # compute() returned before any slice
    assert len(threads) == 1 and threads[0] is not threading.main_thread()
    assert not view.runner.busy
    # the same slice, computed here on the view's model, sample and step
    model = view._model
    model.set_weights(view._weights)
    step = view.next_step()
    span = float(np.clip(3.0 * np.linalg.norm(step), 1e-3, 10.0))
    expected = real(model, view._x, view._y, span=span, resolution=201, step=step)
    x, y = view.curve.getData()
    np.testing.assert_array_equal(x, expected.t)
    np.testing.assert_array_equal(y, expected.losses.astype(np.float64))
    assert view.point.data["y"][0] == pytest.approx(expected.loss)
    assert f"Training loss here {expected.loss:.4g}" in view.readout.text()


def a_blocked_slice(qtbot, view, monkeypatch):
    """Start a slice on ``view`` that blocks until cancelled; returns the list its calls go to."""
    calls = []
    monkeypatch.setattr(slices, "slice_1d", blocking_slice(calls))
    assert view.compute()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10000)
    return calls


def test_a_new_slice_drops_the_running_one_without_waiting(qtbot, view, monkeypatch):
    a_blocked_slice(qtbot, view, monkeypatch)
    first = view.runner._current[0]
    monkeypatch.undo()
    with qtbot.waitSignal(view.computed, timeout=20000):
        assert view.compute()                        # returns at once: the blocked job is only cancelled
        assert first._cancel.is_set()
    assert first.result is None and view.slice is not None
    view.runner.shutdown()
    assert not view.runner._threads


def test_closing_the_view_or_its_window_joins_the_thread(qtbot, view, monkeypatch):
    calls = a_blocked_slice(qtbot, view, monkeypatch)
    thread = view.runner._current[1]
    view.close()                                     # closeEvent: cancel and join
    assert not view.runner.busy and thread.isFinished() and not view.runner._threads

    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    dock = QtWidgets.QDockWidget("1D slice", window)
    dock.setWidget(view)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.show()
    assert view.compute()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=10000)
    thread = view.runner._current[1]
    window.close()                                   # the view gets no close event: the window's is watched
    assert thread.isFinished() and not view.runner._threads
    view.setParent(None)                             # the fixture's view outlives this window (freed now)


def test_clear_drops_the_running_slice_and_finish_waits_for_a_new_one(qtbot, view, monkeypatch):
    run, weights = view.run, view._weights
    a_blocked_slice(qtbot, view, monkeypatch)
    view.clear()                                     # does not wait for the blocked job
    assert not view.runner.busy and view.slice is None
    monkeypatch.undo()
    view.set_run(run)                                # the next run (a clear is always followed by one)
    view._weights, view._dirty = weights, True
    view.finish()                                    # what an export does: compute and wait
    assert view.slice is not None and len(view.curve.getData()[0]) == 201
    view.runner.shutdown()


def test_no_network_is_built_in_the_gui_thread_and_a_finished_jobs_model_is_reused(qtbot, monkeypatch):
    from viz.views.loss.slice1d import SliceView
    run, first = start(CONFIG)
    built = []
    real = RunData.model                              # the one model factory: every network a view builds
    monkeypatch.setattr(RunData, "model", lambda self: built.append(threading.current_thread()) or real(self))
    v = SliceView()
    qtbot.addWidget(v)
    v.set_run(first.run)                              # a new run: nothing built in this (the GUI) thread
    v.add_snapshot(first)
    assert built == [] and v.weight_spin.maximum() == sum(w.size for w in first.weights) - 1
    for _ in range(2):
        with qtbot.waitSignal(v.computed, timeout=20000):
            assert v.compute()
    assert len(built) == 1 and built[0] is not threading.main_thread()   # the second job used the first's


def test_an_export_does_not_wait_for_a_newer_slice_once_one_is_drawn(qtbot, view, monkeypatch):
    view.finish()                                    # nothing drawn yet: computed and waited for
    drawn = view.slice
    assert drawn is not None
    view._dirty = True
    a_blocked_slice(qtbot, view, monkeypatch)
    view.finish()                                    # returns at once: the blocked job would never end
    assert view.slice is drawn and view.runner.busy
    view.runner.shutdown()


def test_live_slices_are_paced_by_the_redraw_clock(qtbot, view):
    """No timer of its own: the clock refreshes the view at most every ``min_interval`` seconds, which
    grows to four times what the last slice took, and a slice whose result finds newer weights waiting
    asks the clock for a redraw."""
    import dataclasses
    from viz.views.loss.slice1d import BUSY_FACTOR
    assert view.refresh()                            # new weights: the clock's refresh starts a slice...
    view._dirty = True
    assert not view.refresh()                        # ...and no other while it runs
    result, error = view.runner.wait()
    assert error is None
    with qtbot.waitSignal(view.redraw_wanted, timeout=1000):
        view._on_result(dataclasses.replace(result, seconds=1.0))    # a slice that took a second
    assert view.min_interval == BUSY_FACTOR * 1.0
    view._dirty = False
    with qtbot.assertNotEmitted(view.redraw_wanted):
        view._on_result(dataclasses.replace(result, seconds=0.001))  # a quick one: the floor
    assert view.min_interval == type(view).min_interval == 0.25
