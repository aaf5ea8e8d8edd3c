"""A Keras-style progress line for ``fit`` and the command line."""
from __future__ import annotations

import sys
import time


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9750 - val_loss: ...`` in Keras's order."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class Progbar:
    """Prints ``12/469 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - loss: 0.3`` lines.

    Parameters
    ----------
    target : int
        Number of steps in the epoch.
    stream : file, default sys.stdout
    interval : float
        Seconds between redraws of the bar (the final line is always printed).
    """

    def __init__(self, target, stream=None, interval=0.05, width=20):
        self.target = target
        self.stream = stream or sys.stdout
        self.interval = interval
        self.width = width
        self.start = time.perf_counter()
        self._last = 0.0
        self._dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, current, logs=None, finalize=False):
        now = time.perf_counter()
        if not finalize and (not self._dynamic or now - self._last < self.interval):
            return
        self._last = now
        elapsed = now - self.start
        filled = int(self.width * current / max(self.target, 1))
        bar = "━" * filled + "─" * (self.width - filled)
        per_step = elapsed / max(current, 1)
        if finalize:
            timing = f"{elapsed:.0f}s {per_step * 1000:.0f}ms/step"
        else:
            timing = f"{per_step * (self.target - current):.0f}s"
        line = f"{current}/{self.target} {bar} {timing}"
        if logs:
            line += " - " + format_logs(logs)
        if self._dynamic:
            self.stream.write("\r" + line + ("\n" if finalize else ""))
        elif finalize:
            self.stream.write(line + "\n")
        self.stream.flush()
