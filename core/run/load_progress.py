"""Progress of reading a run's data in the trainer process, and cancelling it from the window.

A big CSV file takes seconds to read (10 million rows: about 7 s). While :func:`core.run.serve.serve`
builds a run, :class:`LoadReporter` is the ``progress`` callback of
:func:`core.datasets.read_csv`: every 65,536 rows it

* sends a :class:`LoadProgress` (``("loading", LoadProgress)``), at most :data:`REPORT_HZ` times a
  second and only once reading has taken :data:`REPORT_AFTER_S` (a small file shows nothing);
* looks for commands from the window: ``("cancel_load",)`` or ``("stop",)`` stop the reading
  (``False`` makes ``read_csv`` raise :class:`core.datasets.CsvCancelled`); any other command is
  kept in :attr:`LoadReporter.pending`, to be obeyed once the run is built, in order.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from core.datasets.tabular import count_csv_rows

#: seconds of reading before the first progress message (a quick load shows no dialog)
REPORT_AFTER_S = 0.3
#: most progress messages a second
REPORT_HZ = 5.0


@dataclass(frozen=True)
class LoadProgress:
    """How far the trainer has read a data file.

    Attributes
    ----------
    path : str
        The file being read.
    rows_read : int
        Data rows read so far.
    rows_total : int or None
        About how many data rows the file has (a count of its lines; blank and comment lines
        count too), or None when it could not be counted.
    seconds : float
        Time spent reading so far.
    """

    path: str
    rows_read: int
    rows_total: int | None
    seconds: float

    @property
    def name(self) -> str:
        """The file's name without its folder, e.g. ``"data.csv"``."""
        return os.path.basename(self.path) or self.path

    @property
    def fraction(self) -> float | None:
        """Rows read over rows in the file, in [0, 1], or None when the total is unknown."""
        if not self.rows_total:
            return None
        return min(1.0, self.rows_read / self.rows_total)

    def text(self) -> str:
        """``"Reading data.csv… 1,200,000 of about 10,000,000 rows"``."""
        total = f" of about {self.rows_total:,}" if self.rows_total else ""
        return f"Reading {self.name}… {self.rows_read:,}{total} rows"


def cancelled_text(path: str) -> str:
    """What the window says after the user cancelled reading ``path``: ``"Loading data.csv was cancelled."``."""
    return f"Loading {os.path.basename(path) or path} was cancelled."


class LoadReporter:
    """``read_csv``'s ``progress`` callback in the trainer process (see the module's notes).

    Parameters
    ----------
    path : str
        The file being read (named in the messages; its lines are counted for the total).
    send : callable
        ``send(progress)`` delivers a :class:`LoadProgress` to the window.
    poll : callable
        ``poll() -> tuple or None``: the next command from the window if one is waiting, else None
        (never blocks).
    clock : callable
        Seconds, monotonic (tests pass their own).

    Attributes
    ----------
    pending : list of tuple
        Commands that arrived while reading, other than cancel and stop, in order.
    cancelled : bool
        ``("cancel_load",)`` arrived.
    stop_requested : bool
        ``("stop",)`` arrived: the trainer should leave once reading has stopped.
    sent : int
        Progress messages sent.
    """

    def __init__(self, path: str, send, poll, clock=time.perf_counter):
        self.path = os.fspath(path)
        self._send, self._poll, self._clock = send, poll, clock
        self._start = clock()
        self._last = None
        self._total: int | None | bool = False    # False: not counted yet
        self.pending: list[tuple] = []
        self.cancelled = self.stop_requested = False
        self.sent = 0

    def __call__(self, rows_read: int) -> bool:
        """Report ``rows_read`` if due, read the waiting commands; False stops the reading."""
        while (cmd := self._poll()) is not None:
            if cmd[0] == "cancel_load":
                self.cancelled = True
            elif cmd[0] == "stop":
                self.stop_requested = True
            else:
                self.pending.append(cmd)
        if self.cancelled or self.stop_requested:
            return False
        now = self._clock()
        if now - self._start >= REPORT_AFTER_S and (self._last is None or now - self._last >= 1.0 / REPORT_HZ):
            self._send(LoadProgress(path=self.path, rows_read=int(rows_read), rows_total=self._rows_total(),
                                    seconds=now - self._start))
            self._last = self._clock()
            self.sent += 1
        return True

    def _rows_total(self) -> int | None:
        if self._total is False:      # counted once, when reading turns out to be slow (~0.2 s per 200 MB)
            try:
                self._total = count_csv_rows(self.path)
            except OSError:
                self._total = None
        return self._total
