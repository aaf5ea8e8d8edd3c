"""viz.run.blas: the BLAS threads of the window's NumPy and of the trainer process, set in one place."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys

import pytest

from viz.run import blas

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: a fresh interpreter: import viz (as the app does first), then NumPy; report what its BLAS runs
PROBE = """
import json, os, sys
if sys.argv[1] == "numpy-first":
    import numpy
import viz
from viz.run import blas
import numpy
import threadpoolctl
threads = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
print(json.dumps({"window": blas.WINDOW_THREADS, "blas": threads,
                  "env": {k: os.environ.get(k) for k in blas.VARIABLES}}))
"""


def probe(order: str, **env) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in blas.VARIABLES}
    out = subprocess.run([sys.executable, "-c", PROBE, order], capture_output=True, text=True, timeout=60,
                         cwd=ROOT, env={**base, **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_the_window_numpy_gets_a_thread_per_cpu_but_one():
    pytest.importorskip("threadpoolctl")
    got = probe("viz-first")
    expected = max(1, (os.cpu_count() or 2) - 1)
    assert got["window"] == expected
    assert got["env"] == {k: str(expected) for k in blas.VARIABLES}
    assert got["blas"] and set(got["blas"]) == {expected}       # what OpenBLAS really runs


def test_the_users_setting_wins_and_numpy_loaded_first_is_unknown():
    pytest.importorskip("threadpoolctl")
    assert probe("viz-first", OPENBLAS_NUM_THREADS="1")["window"] == 1
    got = probe("numpy-first", OPENBLAS_NUM_THREADS="1")
    assert got["window"] is None and set(got["blas"]) == {1}


def test_the_trainer_env_unpinned_and_pinned():
    assert blas.trainer_env({}) == {k: "1" for k in blas.VARIABLES}
    assert blas.trainer_env({"OPENBLAS_NUM_THREADS": "2"}) == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # pinned to CPUs: at most one thread per CPU, whatever was set (a bad value counts as unset)
    env = {"OPENBLAS_NUM_THREADS": "4", "OMP_NUM_THREADS": "x"}
    assert blas.trainer_env(env, {3}) == {k: "1" for k in blas.VARIABLES}
    assert blas.trainer_env(env, {0, 1, 2}) == {"OPENBLAS_NUM_THREADS": "3", "OMP_NUM_THREADS": "3",
                                                "MKL_NUM_THREADS": "3"}


def test_a_spawned_trainer_runs_single_threaded_blas(monkeypatch):
    """The spawned trainer gets OPENBLAS_NUM_THREADS=1 (unless the user chose), the GUI's env is unchanged."""
    for k in blas.VARIABLES:
        monkeypatch.delenv(k, raising=False)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_report_env, args=(q,))
    with blas.for_trainer():
        p.start()
    child_env = q.get(timeout=30)
    p.join(30)
    assert child_env["OPENBLAS_NUM_THREADS"] == "1"
    assert "OPENBLAS_NUM_THREADS" not in os.environ
    q.close()
    q.join_thread()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with blas.for_trainer():
        assert os.environ["OPENBLAS_NUM_THREADS"] == "2"   # the user's choice stays


def test_a_pinned_trainer_gets_no_more_blas_threads_than_its_cpus(monkeypatch):
    # the app puts the trainer on one CPU: a user's OPENBLAS_NUM_THREADS=4 (or the window's own
    # value on a bigger machine) would spin four threads on it
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    env = os.environ
    with blas.for_trainer(frozenset({0})):
        assert env["OPENBLAS_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert env["OPENBLAS_NUM_THREADS"] == "4" and "OMP_NUM_THREADS" not in env   # given back
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with blas.for_trainer(frozenset({0, 1, 2})):
        assert env["OPENBLAS_NUM_THREADS"] == "2" and env["OMP_NUM_THREADS"] == "3"


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="no /proc here")
def test_the_app_starts_its_trainer_in_that_env(qtbot, make_session, monkeypatch):
    """The worker spawns the trainer inside :func:`viz.run.blas.for_trainer`: its process sees one thread."""
    for k in blas.VARIABLES:
        monkeypatch.delenv(k, raising=False)
    s = make_session(engine="process")
    qtbot.waitUntil(lambda: s.latest is not None, timeout=30_000)
    with open(f"/proc/{s.worker.pid}/environ", "rb") as fh:
        child = dict(item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item)
    assert child[b"OPENBLAS_NUM_THREADS"] == b"1" and child[b"OMP_NUM_THREADS"] == b"1"
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def _report_env(q):
    q.put({k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")})
