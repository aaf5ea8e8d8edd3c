"""The curves' data: a run's loss and accuracy for every batch and every epoch, as the curves view draws them.

NumPy only (no Qt), so all of it is testable without a display. :class:`CurveHistory` holds a run's
curves (what a snapshot adds, a branch cuts off, a run file saves and reopens, the hover readout
says); :func:`envelope` keeps every extreme of the faint every-batch band, :func:`thin` samples a
smooth curve evenly, :func:`ema` is the smoothing slider's exponential moving average, and
:class:`Growing` holds the buffers.

The x axis is the epoch as a float: a batch ``s`` trained when the snapshot was taken at ``(epoch,
batch)`` sits at ``epoch + batch / batches_per_epoch - (step - s) / batches_per_epoch``, which is
``s / batches_per_epoch`` while the batch size stays the same, and the end of epoch ``e`` sits
exactly at ``e``, where its per-epoch point is.
"""
from __future__ import annotations

import math

import numpy as np

#: the smoothing slider's largest value (1 would freeze the smoothed curve)
SMOOTHING_MAX = 0.99
#: the smoothing a new view starts with
SMOOTHING_DEFAULT = 0.9
#: a curve is handed to pyqtgraph as at most this many min/max pairs: a pair per two or three
#: pixel columns of a typical dock, which looks the same as every point and paints ~10x faster
MAX_BINS = 300
#: points of a smoothed curve handed to the plot (a smooth line needs one every few pixels)
SMOOTH_POINTS = 240
#: what is kept of each epoch's log (NaN where a log lacks it)
EPOCH_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")


def envelope(x: np.ndarray, y: np.ndarray, bins: int = MAX_BINS):
    """Peak-decimate a curve to at most ``2 * bins`` points that keep every extreme.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        ``x`` increasing.

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= 2 * bins
        Unchanged when ``n <= 2 * bins``; otherwise per bin of consecutive samples its
        minimum and maximum, in x order, so the drawn band matches the full curve.
    """
    n = len(x)
    if n <= 2 * bins:
        return x, y
    size = -(-n // bins)                      # samples per bin, rounded up
    starts = np.arange(0, n, size)            # the last bin may be shorter
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(y, starts)
        hi = np.fmax.reduceat(y, starts)
    m = len(starts)
    ends = np.append(starts[1:], n) - 1
    xs = np.empty(2 * m, dtype=np.float32)
    ys = np.empty_like(xs)
    xs[0::2] = x[starts]
    xs[1::2] = x[ends]
    ys[0::2] = lo
    ys[1::2] = hi
    return xs, ys


def thin(x: np.ndarray, y: np.ndarray, points: int = SMOOTH_POINTS):
    """At most ``points`` evenly spaced samples of a smooth curve, first and last included.

    A smoothed curve has no spikes to keep, and an antialiased 2-px line costs ~3x as
    much with a min/max pair per pixel as with a point every two or three pixels.

    Parameters
    ----------
    x, y : ndarray of shape (n,)

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= max(points, 2); unchanged when ``n <= points``
    """
    n = len(x)
    if n <= points:
        return x, y
    idx = np.linspace(0, n - 1, max(int(points), 2)).astype(np.intp)
    return x[idx], y[idx]


def ema(values: np.ndarray, alpha: float, start: float | None = None) -> np.ndarray:
    """Exponential moving average ``s[k] = alpha * s[k-1] + (1 - alpha) * values[k]``.

    Parameters
    ----------
    values : ndarray of shape (n,)
    alpha : float in [0, 1)
        0 returns the values unchanged.
    start : float or None
        ``s[-1]``, the smoothed value before ``values[0]``; None starts at ``values[0]``.

    Returns
    -------
    ndarray of shape (n,), float32

    Notes
    -----
    Vectorised in blocks: inside a block of length ``B``, ``s[k] = alpha**(k+1) * s[-1]
    + (1 - alpha) * alpha**k * cumsum(alpha**-j * values[j])[k]``, with ``B`` small
    enough that ``alpha**-B`` stays far from overflow.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.empty(len(x), dtype=np.float32)
    if len(x) == 0:
        return out
    a = min(max(float(alpha), 0.0), SMOOTHING_MAX)
    if a == 0.0:
        out[:] = x
        return out
    prev = float(x[0]) if start is None or not math.isfinite(start) else float(start)
    block = int(min(1024, max(1, 100.0 / -math.log10(a))))
    j = np.arange(block, dtype=np.float64)
    up, down = a ** -j, a ** j
    for i in range(0, len(x), block):
        chunk = x[i:i + block]
        m = len(chunk)
        s = down[:m] * (a * prev + (1.0 - a) * np.cumsum(up[:m] * chunk))
        out[i:i + m] = s
        prev = float(s[-1])
        if not math.isfinite(prev):  # a non-finite value poisons the rest; restart after it
            prev = float(chunk[-1]) if math.isfinite(chunk[-1]) else 0.0
    return out


class Growing:
    """Parallel float32 columns that double their capacity when full."""

    def __init__(self, names, capacity=1024):
        self.names = tuple(names)
        self.n = 0
        self.cols = {k: np.empty(capacity, dtype=np.float32) for k in self.names}

    def append(self, **arrays) -> None:
        m = len(next(iter(arrays.values())))
        need = self.n + m
        cap = len(self.cols[self.names[0]])
        if need > cap:
            while cap < need:
                cap *= 2
            for k in self.names:
                grown = np.empty(cap, dtype=np.float32)
                grown[:self.n] = self.cols[k][:self.n]
                self.cols[k] = grown
        for k, v in arrays.items():
            self.cols[k][self.n:need] = v
        self.n = need

    def view(self, name) -> np.ndarray:
        return self.cols[name][:self.n]

    def clear(self) -> None:
        self.n = 0


class CurveHistory:
    """A run's loss and accuracy: every batch (raw and smoothed) and every epoch's log.

    Parameters
    ----------
    alpha : float
        The smoothing (see :func:`ema`).

    Attributes
    ----------
    batches : Growing
        Columns ``x`` (the epoch position, see the module docstring), ``step``, ``loss``, ``acc``
        and the smoothed ``sloss``, ``sacc``; ``x`` never decreases.
    epochs : Growing
        One row per epoch log, columns :data:`EPOCH_KEYS`.
    alpha : float
        The smoothing in force (change it with :meth:`set_alpha`).
    last_step : int
        The step of the newest snapshot added (or of the last batch loaded or kept).
    """

    def __init__(self, alpha: float = SMOOTHING_DEFAULT):
        self.batches = Growing(("x", "step", "loss", "acc", "sloss", "sacc"))
        self.epochs = Growing(EPOCH_KEYS, capacity=64)   # per-epoch logs, NaN where missing
        self.alpha = alpha
        self.last_step = 0

    def clear(self) -> None:
        """Forget every batch and epoch."""
        self.batches.clear()
        self.epochs.clear()
        self.last_step = 0

    def add(self, snap) -> tuple[bool, bool]:
        """Append a :class:`core.engine.snapshot.Snapshot`'s batch values and epoch logs.

        Returns
        -------
        (batches, epochs) : tuple of bool
            Whether it brought batches, and epoch logs.
        """
        self.last_step = snap.step
        steps = np.asarray(snap.batch_steps)
        if len(steps):
            bpe = max(int(snap.batches_per_epoch), 1)
            now = snap.epoch + snap.batch / bpe
            x = now - (snap.step - steps.astype(np.float64)) / bpe
            b = self.batches
            if b.n:  # keep x increasing even if the batch size changed mid-run
                x = np.maximum(x, float(b.view("x")[-1]))
            x = np.maximum.accumulate(x)
            loss = np.asarray(snap.batch_losses, dtype=np.float32)
            acc = np.asarray(snap.batch_accuracies, dtype=np.float32)
            prev_l = float(b.view("sloss")[-1]) if b.n else None
            prev_a = float(b.view("sacc")[-1]) if b.n else None
            b.append(x=x, step=steps, loss=loss, acc=acc,
                     sloss=ema(loss, self.alpha, prev_l), sacc=ema(acc, self.alpha, prev_a))
        self._add_epochs(snap.epochs)
        return bool(len(steps)), bool(snap.epochs)

    def _add_epochs(self, logs) -> None:
        if logs:
            self.epochs.append(**{k: np.array([e.get(k, np.nan) for e in logs], dtype=np.float32)
                                  for k in EPOCH_KEYS})

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Forget every batch after ``step`` and every epoch after ``epoch`` (a branch starts there).

        Parameters
        ----------
        epoch : int
        step : int or None
            None: the batches up to the end of ``epoch`` (those at x <= ``epoch``) are kept.
        """
        b = self.batches
        if step is None:
            b.n = int(np.searchsorted(b.view("x"), np.float32(epoch), side="right"))
            step = int(b.view("step")[-1]) if b.n else 0
        else:
            b.n = int(np.searchsorted(b.view("step"), step, side="right"))
        self.epochs.n = int(np.searchsorted(self.epochs.view("epoch"), epoch, side="right"))
        self.last_step = step

    def saved(self) -> dict:
        """The batch curves as a run file saves them: ``batch_steps``, ``batch_x``, ``batch_losses``,
        ``batch_accuracies``."""
        b = self.batches
        return {"batch_steps": b.view("step").astype(np.int64), "batch_x": b.view("x").astype(np.float64),
                "batch_losses": b.view("loss").copy(), "batch_accuracies": b.view("acc").copy()}

    def load(self, curves: dict, epoch_logs=()) -> tuple[bool, bool]:
        """Replace everything by saved curves (see :meth:`saved`) and epoch logs.

        Returns
        -------
        (batches, epochs) : tuple of bool
            Whether there were batches, and epoch logs.
        """
        self.clear()
        loss = np.asarray(curves.get("batch_losses", ()), dtype=np.float32)
        if len(loss):
            acc = np.asarray(curves.get("batch_accuracies", np.full(len(loss), np.nan)), dtype=np.float32)
            self.batches.append(x=np.asarray(curves["batch_x"]), step=np.asarray(curves["batch_steps"]),
                                loss=loss, acc=acc, sloss=ema(loss, self.alpha), sacc=ema(acc, self.alpha))
            self.last_step = int(curves["batch_steps"][-1])
        self._add_epochs(epoch_logs)
        return bool(len(loss)), bool(epoch_logs)

    def set_alpha(self, alpha: float) -> bool:
        """Smooth with ``alpha`` (clipped to ``[0, SMOOTHING_MAX]``) from now on and recompute the
        smoothed columns; whether there were batches to recompute."""
        self.alpha = min(max(float(alpha), 0.0), SMOOTHING_MAX)
        b = self.batches
        if not b.n:
            return False
        b.cols["sloss"][:b.n] = ema(b.view("loss"), self.alpha)
        b.cols["sacc"][:b.n] = ema(b.view("acc"), self.alpha)
        return True

    def loss_bounds(self, log: bool):
        """(low, high) of every finite loss, batches and epochs, in log10 when ``log`` (positive
        losses only); (None, None) when there is none."""
        parts = [self.batches.view("loss"), self.epochs.view("loss"), self.epochs.view("val_loss")]
        y = np.concatenate([p[np.isfinite(p)] for p in parts])
        if log:
            y = y[y > 0]
            y = np.log10(y) if len(y) else y
        if not len(y):
            return None, None
        return float(y.min()), float(y.max())

    def between(self, x0: float, x1: float) -> slice:
        """The batches from epoch position ``x0`` to ``x1``, with one more on each side."""
        x = self.batches.view("x")
        i0 = max(int(np.searchsorted(x, x0)) - 1, 0)
        i1 = min(int(np.searchsorted(x, x1)) + 1, len(x))
        return slice(i0, i1)

    def nearest(self, x: float) -> int | None:
        """The index of the batch nearest epoch position ``x`` (None without batches or a finite x)."""
        b = self.batches
        if not b.n or not math.isfinite(x):
            return None
        xs = b.view("x")
        i = int(np.clip(np.searchsorted(xs, x), 0, b.n - 1))
        if i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            i -= 1
        return i

    def describe(self, i: int) -> str:
        """Batch ``i``'s values, and its nearest epoch end's validation values, as the readout says them."""
        b = self.batches
        xs = b.view("x")
        text = (f"epoch {xs[i]:.3f} · step {int(b.view('step')[i])} · "
                f"loss {b.view('loss')[i]:.4g} (smoothed {b.view('sloss')[i]:.4g}) · "
                f"accuracy {b.view('acc')[i]:.3f} (smoothed {b.view('sacc')[i]:.3f})")
        e = int(round(float(xs[i])))
        row = np.flatnonzero(self.epochs.view("epoch") == e)
        if len(row):
            parts = [f"{k} {self.epochs.view(k)[row[0]]:.4g}" for k in ("val_loss", "val_accuracy")
                     if np.isfinite(self.epochs.view(k)[row[0]])]
            if parts:
                text += f" · end of epoch {e}: " + ", ".join(parts)
        return text
