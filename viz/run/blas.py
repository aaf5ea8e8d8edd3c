"""How many BLAS threads the window's NumPy and the trainer process's get: the one place they are set.

OpenBLAS (and OpenMP, MKL) read their thread count from the environment when NumPy is imported,
so this module must not import NumPy, and each count is set in the environment before the NumPy
it is for loads:

* the window's: ``viz/__init__.py`` calls :func:`setup_window` before anything imports NumPy.
  The trainer's child process keeps one core busy; the GUI's own NumPy work (decision grids of
  old epochs, PCA maps, the digits' predictions) gets the other cores' worth of threads. OpenBLAS
  with more threads than free cores spins against the trainer (measured on 2 cores: a
  1,500 x 784 QR went from ~1 ms to ~110 ms). A user's own setting wins.
* the trainer's: :func:`for_trainer` sets the environment while the child process is spawned
  (the spawned interpreter reads it when it imports NumPy; this process's NumPy is already
  loaded and unaffected). The GUI keeps a core busy while it draws; measured with one core busy
  (bench/engine.py "contention"), a 2-thread OpenBLAS epoch ran 5-27x slower than on a quiet
  machine and a 1-thread one 1.2-2.4x.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading

#: the environment variables the BLAS libraries NumPy may use read their thread count from
VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: BLAS threads of a trainer process left to the scheduler (unless the user set the variables)
TRAINER_THREADS = 1
#: BLAS threads of the window's NumPy as far as the environment tells (None: unknown), set by
#: :func:`setup_window`; :mod:`viz.run.cpus` pins the window to its CPUs only when they fit
WINDOW_THREADS: int | None = None

_ENV_LOCK = threading.Lock()


def _count(value: str | None, default: int) -> int:
    """A thread-count variable's value as a positive int; ``default`` when unset or not a number."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def setup_window() -> int | None:
    """Give this process's NumPy one BLAS thread per CPU but one (unless the user chose), if NumPy
    is not loaded yet; returns and keeps in :data:`WINDOW_THREADS` the count it will have.

    None when NumPy was loaded before (OpenBLAS then took one thread per CPU unless told otherwise).
    """
    global WINDOW_THREADS
    threads = str(max(1, (os.cpu_count() or 2) - 1))
    for k in VARIABLES:
        os.environ.setdefault(k, threads)
    if "numpy" in sys.modules:
        WINDOW_THREADS = None
    else:    # OpenBLAS reads OPENBLAS_NUM_THREADS first, set above unless the user did
        WINDOW_THREADS = _count(os.environ.get("OPENBLAS_NUM_THREADS"), 0) or None
    return WINDOW_THREADS


def trainer_env(env, pinned=None) -> dict[str, str]:
    """The BLAS variables to change in ``env`` (a mapping like ``os.environ``) for a trainer process.

    Parameters
    ----------
    env : Mapping[str, str]
        The environment the trainer would inherit.
    pinned : collection of int, optional
        The CPUs the trainer will run on (:data:`viz.run.cpus.TRAINER_CPUS`); None: left to the
        scheduler.

    Returns
    -------
    dict
        Unpinned: :data:`TRAINER_THREADS` for each variable the user did not set. Pinned: at most
        one thread per CPU it may run on, whatever the user set (more would only spin against
        each other on those CPUs).
    """
    out = {}
    for k in VARIABLES:
        value = env.get(k)
        if pinned is not None:
            out[k] = str(min(len(pinned), _count(value, len(pinned))))
        elif value is None:
            out[k] = str(TRAINER_THREADS)
    return out


@contextlib.contextmanager
def for_trainer(pinned=None):
    """Within the block, this process's environment is the one a trainer process spawned now should
    inherit (:func:`trainer_env`); it is given back afterwards. One block at a time."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in VARIABLES}
        os.environ.update(trainer_env(saved, pinned))
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
