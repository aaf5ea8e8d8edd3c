"""viz.run.cpus: the window and the trainer process on different CPUs (the app asks for it at start)."""
from __future__ import annotations

import os

import pytest

from viz.run import blas, cpus

linux_affinity = pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")


def test_plan_gives_the_trainer_the_last_cpu_and_the_window_the_rest():
    assert cpus.plan({0, 1}) == ({0}, {1})
    assert cpus.plan([3, 0, 2, 1]) == ({0, 1, 2}, {3})
    assert cpus.plan({5}) is None                 # one CPU: nothing to split
    assert cpus.plan(set()) is None


@linux_affinity
def test_a_trainer_started_with_trainer_cpus_set_runs_on_them(qtbot, make_session, monkeypatch):
    allowed = sorted(os.sched_getaffinity(0))
    monkeypatch.setattr(cpus, "TRAINER_CPUS", frozenset(allowed[-1:]))
    s = make_session(engine="process")
    qtbot.waitUntil(lambda: s.latest is not None, timeout=30_000)
    assert os.sched_getaffinity(s.worker.pid) == {allowed[-1]}
    assert os.sched_getaffinity(0) == set(allowed)   # this process is left alone (only the app pins itself)


@linux_affinity
def test_the_trainer_is_left_to_the_scheduler_by_default(qtbot, make_session):
    assert cpus.TRAINER_CPUS is None
    s = make_session(engine="process")
    qtbot.waitUntil(lambda: s.latest is not None, timeout=30_000)
    assert os.sched_getaffinity(s.worker.pid) == os.sched_getaffinity(0)


def test_split_for_app_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("UNCRUMPLE_PIN_CPUS", "0")
    monkeypatch.setattr(cpus, "TRAINER_CPUS", None)
    assert cpus.split_for_app() is False and cpus.TRAINER_CPUS is None


@linux_affinity
def test_split_for_app_pins_its_own_process(tmp_path):
    import subprocess
    import sys
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: nothing to split")
    code = ("import os; from viz.run import cpus; ok = cpus.split_for_app(); "
            "print(ok, sorted(os.sched_getaffinity(0)), sorted(cpus.TRAINER_CPUS))")
    env = {k: v for k, v in os.environ.items() if k != "UNCRUMPLE_PIN_CPUS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    allowed = sorted(os.sched_getaffinity(0))
    assert out.stdout.split("\n")[0] == f"True {allowed[:-1]} {allowed[-1:]}", out.stderr


@pytest.mark.parametrize("threads, fits", [(1, True), (2, False), (None, False)])
def test_the_window_is_pinned_only_when_its_blas_threads_fit(monkeypatch, threads, fits):
    # OpenBLAS with more threads than the CPUs it may run on spins against itself; unknown (NumPy
    # loaded before viz) counts as too many
    monkeypatch.setattr(blas, "WINDOW_THREADS", threads)
    assert cpus.blas_fits({0}) is fits
    assert cpus.blas_fits({0, 1}) is (threads is not None)


@linux_affinity
def test_split_for_app_leaves_a_window_whose_blas_does_not_fit_alone(monkeypatch):
    monkeypatch.delenv("UNCRUMPLE_PIN_CPUS", raising=False)
    monkeypatch.setattr(cpus, "TRAINER_CPUS", None)
    monkeypatch.setattr(blas, "WINDOW_THREADS", None)
    before = os.sched_getaffinity(0)
    assert cpus.split_for_app() is False
    assert cpus.TRAINER_CPUS is None and os.sched_getaffinity(0) == before


@linux_affinity
def test_a_views_job_runs_on_every_cpu_while_the_window_is_pinned(qtbot, monkeypatch):
    """A view's background job is a thread of the window's process: started from the pinned GUI
    thread it would inherit the window's one CPU and take the GUI thread's turns (the monkey saw a
    1.02 s stall with the GUI thread running 30 % of it); it frees itself to every CPU the app uses."""
    from viz.views.common.jobs import JobRunner
    allowed = frozenset(os.sched_getaffinity(0))
    if len(allowed) < 2:
        pytest.skip("one CPU: nothing to split")
    gui, _trainer = cpus.plan(allowed)
    monkeypatch.setattr(cpus, "ALL_CPUS", allowed)
    os.sched_setaffinity(0, gui)                      # as split_for_app pins the window's threads
    try:
        runner = JobRunner()
        with qtbot.waitSignal(runner.finished, timeout=10_000) as got:
            runner.start(lambda cancel, progress: os.sched_getaffinity(0))
        assert got.args[0] == allowed
        assert os.sched_getaffinity(0) == gui         # the GUI thread stays on the window's CPUs
        runner.shutdown()
    finally:
        os.sched_setaffinity(0, allowed)


def test_free_this_thread_changes_nothing_when_the_app_did_not_split(monkeypatch):
    monkeypatch.setattr(cpus, "ALL_CPUS", None)
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cpus.free_this_thread()
    assert (os.sched_getaffinity(0) if before is not None else None) == before
