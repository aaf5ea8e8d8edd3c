"""A run's epoch logs kept within a budget, as the timeline keeps its checkpoints.

A small network flat out finishes ~350 epochs a second: 200,000 log dicts after ten minutes, ~100 MB
of the window's memory. :func:`thin_epoch_logs` keeps every log while there are at most
:data:`MAX_EPOCH_LOGS`; past that it keeps the newest :data:`RECENT_EPOCH_LOGS`, every epoch the
timeline keeps a checkpoint of, and of the older ones every 2nd, 4th, 8th ... epoch (the smallest
power-of-two stride that leaves at most half the budget, so thinning happens again only after as many
new epochs). :func:`find_epoch_log` looks an epoch up in the kept logs.
"""
from __future__ import annotations

import bisect

#: epoch logs kept at most (a log is ~0.5 kB; a few MB in all)
MAX_EPOCH_LOGS = 8192
#: the newest epoch logs always kept, every one
RECENT_EPOCH_LOGS = 1024


def _epoch(log: dict) -> int:
    return int(log.get("epoch", 0))


def thin_epoch_logs(logs: list, keep=(), limit: int = MAX_EPOCH_LOGS, recent: int = RECENT_EPOCH_LOGS) -> list:
    """The logs to keep of ``logs`` (oldest first, each ``{"epoch": e, ...}``, epochs increasing).

    Parameters
    ----------
    logs : list of dict
    keep : iterable of int
        Epochs always kept (those the timeline has a checkpoint of).
    limit : int
        At most this many are kept, the epochs of ``keep`` aside; ``logs`` itself is returned when
        it is no longer than ``limit`` plus the length of ``keep``.
    recent : int
        The newest this many are always kept.

    Returns
    -------
    list of dict
        At most ``limit // 2`` logs plus those of ``keep``: the newest ``recent``, the epochs of
        ``keep``, and the older ones whose epoch is a multiple of the smallest power of two that
        brings them within the budget.
    """
    keep = set(int(e) for e in keep)
    if len(logs) <= limit + len(keep):
        return logs
    recent = min(int(recent), limit // 2)
    old, new = logs[:len(logs) - recent], logs[len(logs) - recent:]
    room = max(limit // 2 - len(new), 0)
    stride = 2
    while sum(1 for log in old if _epoch(log) % stride == 0) > room and stride < 2**62:
        stride *= 2
    return [log for log in old if _epoch(log) % stride == 0 or _epoch(log) in keep] + new


def find_epoch_log(logs: list, epoch: int) -> dict | None:
    """The log of ``epoch`` in ``logs`` (sorted by epoch), or None when it is not kept."""
    i = bisect.bisect_right(logs, epoch, key=_epoch) - 1     # the last one, should an epoch come twice
    if i >= 0 and _epoch(logs[i]) == epoch:
        return logs[i]
    return None
