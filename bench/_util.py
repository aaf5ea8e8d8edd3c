"""Helpers shared by the bench/ scripts: timing a block while measuring how busy the rest of
the machine was (from /proc/stat), waiting for a quiet machine, medians of unloaded runs.

Importing this module also puts the repository root on ``sys.path`` so the scripts, run as
``python bench/<script>.py`` from the root, can ``import core``.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

try:
    import threadpoolctl
except ImportError:  # pragma: no cover - the scripts report it in their headers
    threadpoolctl = None


def busy_seconds() -> float:
    """CPU seconds all processes on the machine spent busy (user, nice, system, irq, softirq)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class Timer:
    """Wall time of a block (``seconds``), this process's CPU time in it (``cpu``), and how many
    cores other processes used meanwhile (``foreign``)."""

    def __enter__(self):
        self.busy0, self.cpu0, self.t0 = busy_seconds(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        # /proc/stat counts in clock ticks (10 ms): short blocks read as noise, clamp at 0
        self.foreign = max(0.0, (busy_seconds() - self.busy0 - self.cpu) / max(self.seconds, 1e-9))
        return False


class Quiet:
    """Before a timed run, wait until other processes use at most ``loaded`` cores over a
    ``window``-second sample, for at most ``max_wait`` seconds (0: never wait). ``waited`` adds
    up the seconds spent waiting."""

    def __init__(self, loaded: float, window: float, max_wait: float = 0.0):
        self.loaded, self.window, self.max_wait, self.waited = loaded, window, max_wait, 0.0

    def wait(self, limit: float | None = None) -> bool:
        """Wait (up to ``limit`` seconds, default ``max_wait``); True when the machine went quiet."""
        limit = self.max_wait if limit is None else limit
        t0 = time.perf_counter()
        quiet = False
        while time.perf_counter() - t0 < limit:
            busy0, cpu0, w0 = busy_seconds(), time.process_time(), time.perf_counter()
            time.sleep(self.window)
            foreign = (busy_seconds() - busy0 - (time.process_time() - cpu0)) / (time.perf_counter() - w0)
            if foreign <= self.loaded:
                quiet = True
                break
        self.waited += time.perf_counter() - t0
        return quiet


def median(values):
    return statistics.median(values) if values else float("nan")


def summarize(samples, loaded):
    """samples: list of (seconds, foreign cores) -> (estimate, how many were unloaded).

    The median of the repetitions where other processes used at most ``loaded`` cores, when there
    are at least two; else the minimum of all (other processes only ever add time, so on a loaded
    machine the fastest run is the best estimate; the caller prints the unloaded count so a reader
    can tell)."""
    clean = [s for s, f in samples if f <= loaded]
    if len(clean) >= 2 or len(samples) == 1:
        return median(clean or [s for s, _ in samples]), len(clean)
    return min(s for s, _ in samples), len(clean)


def optional(name):
    """``(module, None)``, or ``(None, why)`` when ``name`` cannot be imported."""
    try:
        module = __import__(name)
        return module, None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return None, f"{type(exc).__name__}: {exc}"
