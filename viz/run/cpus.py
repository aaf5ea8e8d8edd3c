"""Keep the window and the trainer process on different CPUs (Linux).

Measured on a 2-core machine under Xvfb with the default network training flat out:
left to the scheduler, the trainer and the GUI thread often shared a core, and the
5 ms timer's p99 lateness was 53-59 ms with 14-17 redraws a second; with the GUI
process on one CPU and the trainer on the other, 21-30 ms and 24-29 redraws, and
the trainer ran ~8 % faster. The app asks for this at start (:func:`split_for_app`);
tests and scripts that build windows leave the scheduler alone. ``UNCRUMPLE_PIN_CPUS=0``
turns it off.

The views' background jobs (a loss surface, separability fits, a heavy trace) are threads of the
window's process, so they start on the window's CPUs; each lets itself run on every CPU
(:func:`free_this_thread`). On a 2-CPU machine the window keeps one CPU to itself and a job takes
its turns beside the trainer: in the monkey (10 minutes, seed 2) a job had held the GUI thread's only
CPU for 0.7 s of a 1.02 s stall.
"""
from __future__ import annotations

import os

from viz.run import blas

#: CPUs a trainer process is put on, or None to leave it to the scheduler (set by split_for_app)
TRAINER_CPUS: frozenset[int] | None = None
#: every CPU the app may use (the window's and the trainer's), or None when not split (set by split_for_app)
ALL_CPUS: frozenset[int] | None = None


def plan(allowed) -> tuple[frozenset[int], frozenset[int]] | None:
    """``(gui, trainer)`` CPU sets for ``allowed`` CPUs: the last for the trainer (it runs one
    BLAS thread, see viz.run.blas), the others for the window (its BLAS gets as many threads);
    None with fewer than two CPUs."""
    cpus = sorted(set(allowed))
    if len(cpus) < 2:
        return None
    return frozenset(cpus[:-1]), frozenset(cpus[-1:])


def pin_threads(pid: int | str, cpus) -> int:
    """Put every thread of process ``pid`` ("self" for this one) on ``cpus``; returns how many."""
    done = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            os.sched_setaffinity(int(tid), cpus)
            done += 1
        except OSError:   # a thread that just ended, or a platform that refuses
            pass
    return done


def blas_fits(gui_cpus) -> bool:
    """Whether the window's NumPy has no more BLAS threads than ``gui_cpus``: OpenBLAS with more
    threads than the CPUs it may run on spins against itself (a QR 100x slower), so the window is
    pinned only then. Unknown (NumPy loaded before ``viz``, as from some scripts) does not fit."""
    threads = blas.WINDOW_THREADS
    return threads is not None and threads <= len(gui_cpus)


def split_for_app() -> bool:
    """Pin this process's threads to all CPUs but one and have trainers start on that one; whether it did.

    Not done when ``UNCRUMPLE_PIN_CPUS=0``, with one CPU, or when the window's BLAS has more threads
    than the CPUs it would keep (:func:`blas_fits`).
    """
    global TRAINER_CPUS, ALL_CPUS
    if os.environ.get("UNCRUMPLE_PIN_CPUS", "1") == "0" or not hasattr(os, "sched_getaffinity"):
        return False
    allowed = frozenset(os.sched_getaffinity(0))
    split = plan(allowed)
    if split is None:
        return False
    gui, trainer = split
    if not blas_fits(gui):
        return False
    if not pin_threads("self", gui):
        return False
    TRAINER_CPUS, ALL_CPUS = trainer, allowed
    return True


def free_this_thread() -> None:
    """Let the calling thread run on every CPU the app may use (a view's background job: its work
    then shares the trainer's CPU rather than the GUI thread's); no-op when the app did not split."""
    if ALL_CPUS is not None:
        try:
            os.sched_setaffinity(0, ALL_CPUS)     # 0: this thread only (Linux)
        except OSError:
            pass


def place_trainer(pid: int | None) -> None:
    """Put a just-started trainer process on :data:`TRAINER_CPUS` (no-op when unset)."""
    if TRAINER_CPUS is not None and pid is not None:
        pin_threads(pid, TRAINER_CPUS)
