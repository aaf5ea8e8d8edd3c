"""The curves' data: a run's loss and metric for every batch and every epoch, as the curves view draws them.

The metric is the run's (:attr:`core.run.messages.RunData.metric`): the accuracy of a classification,
the mean absolute error (``"mae"``) of a regression; the batch column ``acc`` and the epoch columns
``metric`` and ``val_metric`` hold it.

NumPy only (no Qt), so all of it is testable without a display. :class:`CurveHistory` holds a run's
curves (what a snapshot adds, a branch cuts off, a run file saves and reopens, the hover readout
says); :func:`envelope` keeps every extreme of the faint every-batch band, :func:`thin` samples a
smooth curve evenly, and :func:`ema` is the smoothing slider's exponential moving average. The
history holds its batches and epochs in :class:`viz.views.training.multires.MultiRes` series: the
newest exactly, older ones as min / max / mean buckets, so a run of any length fits in a few MB
and a frame costs the same at minute 1 and at hour 10.

The x axis is the epoch as a float: a batch ``s`` trained when the snapshot was taken at ``(epoch,
batch)`` sits at ``epoch + batch / batches_per_epoch - (step - s) / batches_per_epoch``, which is
``s / batches_per_epoch`` while the batch size stays the same, and the end of epoch ``e`` sits
exactly at ``e``, where its per-epoch point is.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from viz.views.training.multires import MultiRes

#: the smoothing slider's largest value (1 would freeze the smoothed curve)
SMOOTHING_MAX = 0.99
#: the smoothing a new view starts with
SMOOTHING_DEFAULT = 0.9
#: a curve is handed to pyqtgraph as at most this many min/max pairs: a pair per two or three
#: pixel columns of a typical dock, which looks the same as every point and paints ~10x faster
MAX_BINS = 300
#: points of a smoothed curve handed to the plot (a smooth line needs one every few pixels)
SMOOTH_POINTS = 240
#: what is kept of each epoch's log (NaN where a log lacks it): the loss and the run's metric, on the
#: training and the validation data (``metric`` is the log's ``"accuracy"`` or ``"mae"``)
EPOCH_COLUMNS = ("loss", "metric", "val_loss", "val_metric")
#: how the readout names each metric, and the format of its values
METRIC_WORDS = {"accuracy": ("accuracy", ".3f"), "mae": ("MAE", ".4g")}
#: the newest batches kept exactly (older ones in buckets): 4 MB, ~12 s of a small network flat out
RECENT_BATCHES = 2**17
#: the newest epochs kept exactly
RECENT_EPOCHS = 2**14
#: buckets of older batches (epochs) kept at most: several per pixel column of any screen
MAX_BUCKETS = 4096


def envelope(x: np.ndarray, y: np.ndarray, bins: int = MAX_BINS):
    """Peak-decimate a curve to at most ``2 * bins`` points that keep every extreme.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        ``x`` increasing.

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= 2 * bins
        Unchanged when ``n <= 2 * bins``; otherwise per bin (``bins`` of them, evenly spaced in x)
        the minimum and maximum of its samples, at its first and last sample's x, so the drawn band
        matches the full curve.
    """
    n = len(x)
    if n <= 2 * bins:
        return x, y
    # bins evenly spaced in x, not in samples: a long run's old rows (buckets) are sparse in x, its
    # newest batches dense; a bin no sample falls in is left out
    edges = np.linspace(float(x[0]), float(x[-1]), bins + 1)[:-1]
    starts = np.unique(np.searchsorted(x, edges, side="left"))
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
    """At most ``points`` samples of a smooth curve evenly spaced in x, first and last included.

    A smoothed curve has no spikes to keep, and an antialiased 2-px line costs ~3x as
    much with a min/max pair per pixel as with a point every two or three pixels. Evenly in
    x, not by index: a long run's old rows (buckets) are far apart, its newest batches close.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
        ``x`` increasing.

    Returns
    -------
    (x, y) : ndarrays of shape (m,), m <= max(points, 2); unchanged when ``n <= points``
    """
    n = len(x)
    if n <= points:
        return x, y
    at = np.linspace(float(x[0]), float(x[-1]), max(int(points), 2))
    idx = np.unique(np.clip(np.searchsorted(x, at, side="right") - 1, 0, n - 1))   # the last at or before
    idx[0], idx[-1] = 0, n - 1
    return x[idx], y[idx]


@functools.lru_cache(maxsize=8)
def _powers(a: float) -> tuple[np.ndarray, np.ndarray]:
    """``alpha ** -j`` and ``alpha ** j`` for ``j`` in a block of :func:`ema` (the same for every
    snapshot: made once per smoothing)."""
    block = int(min(1024, max(1, 100.0 / -math.log10(a))))
    j = np.arange(block, dtype=np.float64)
    up, down = a ** -j, a ** j
    up.flags.writeable = down.flags.writeable = False
    return up, down


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
    up, down = _powers(a)
    block = len(up)
    for i in range(0, len(x), block):
        chunk = x[i:i + block]
        m = len(chunk)
        s = down[:m] * (a * prev + (1.0 - a) * np.cumsum(up[:m] * chunk))
        out[i:i + m] = s
        prev = float(s[-1])
        if not math.isfinite(prev):  # a non-finite value poisons the rest; restart after it
            prev = float(chunk[-1]) if math.isfinite(chunk[-1]) else 0.0
    return out


class CurveHistory:
    """A run's loss and metric: every batch (raw and smoothed) and every epoch's log, in bounded memory.

    The newest :data:`RECENT_BATCHES` batches and :data:`RECENT_EPOCHS` epochs are kept exactly;
    older ones as buckets of consecutive batches (epochs) with their minimum, maximum, mean and last
    value (:class:`viz.views.training.multires.MultiRes`), at most :data:`MAX_BUCKETS` of them: a run
    of any length holds a few MB, and the faint band still shows every spike.

    Parameters
    ----------
    alpha : float
        The smoothing (see :func:`ema`).
    metric : {"accuracy", "mae"}
        The run's metric: which epoch log keys fill the ``metric`` columns.

    Attributes
    ----------
    batch_rows : MultiRes
        Every batch: ``x`` (the epoch position, see the module docstring; never decreasing), ``key``
        (the step), values ``loss``, ``acc`` (the batch's metric) and the smoothed ``sloss``, ``sacc``.
    epoch_rows : MultiRes
        Every epoch's log: ``x`` and ``key`` the epoch, values ``loss``, ``metric``, ``val_loss``,
        ``val_metric`` (NaN where a log lacks it).
    alpha : float
        The smoothing in force (change it with :meth:`set_alpha`).
    metric : str
        The metric in force (change it with :meth:`set_metric`).
    last_step : int
        The step of the newest snapshot added (or of the last batch loaded or kept).
    """

    def __init__(self, alpha: float = SMOOTHING_DEFAULT, metric: str = "accuracy"):
        self.batch_rows = MultiRes(("loss", "acc", "sloss", "sacc"), RECENT_BATCHES, MAX_BUCKETS)
        self.epoch_rows = MultiRes(EPOCH_COLUMNS, RECENT_EPOCHS, MAX_BUCKETS)
        self.alpha = alpha
        self.metric = "accuracy"
        self.set_metric(metric)
        self.last_step = 0

    def set_metric(self, metric: str) -> None:
        """Read the epoch logs' ``metric`` (``"accuracy"`` or ``"mae"``) from now on (a new run)."""
        if metric not in METRIC_WORDS:
            raise ValueError(f"Argument `metric` must be one of {', '.join(map(repr, METRIC_WORDS))}. "
                             f"Received: metric={metric!r}")
        self.metric = metric

    @property
    def batches(self):
        """The newest batches, exact (a :class:`~viz.views.training.multires.Growing` with columns
        ``x``, ``key`` (the step), ``loss``, ``acc``, ``sloss``, ``sacc``)."""
        return self.batch_rows.exact

    @property
    def n_batches(self) -> int:
        """Batches trained that the curves cover (exact or in a bucket)."""
        return self.batch_rows.count

    @property
    def nbytes(self) -> int:
        """Bytes the curves hold (allocated)."""
        return self.batch_rows.nbytes + self.epoch_rows.nbytes

    def clear(self) -> None:
        """Forget every batch and epoch."""
        self.batch_rows.clear()
        self.epoch_rows.clear()
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
            rows = self.batch_rows
            if len(rows):  # keep x increasing even if the batch size changed mid-run
                x = np.maximum(x, self._last("x"))
            x = np.maximum.accumulate(x)
            loss = np.asarray(snap.batch_losses, dtype=np.float32)
            acc = np.asarray(snap.batch_accuracies, dtype=np.float32)
            prev_l = self._last("sloss") if len(rows) else None
            prev_a = self._last("sacc") if len(rows) else None
            rows.append(x=x, key=steps, loss=loss, acc=acc,
                        sloss=ema(loss, self.alpha, prev_l), sacc=ema(acc, self.alpha, prev_a))
        self._add_epochs(snap.epochs)
        return bool(len(steps)), bool(snap.epochs)

    def _last(self, column: str) -> float:
        """The newest batch's ``x`` or smoothed value (a bucket's last when no batch is exact)."""
        rows = self.batch_rows
        if rows.exact.n:
            return float(rows.exact.view(column)[-1])
        return float(rows.buckets.view("x1" if column == "x" else f"{column}_last")[-1])

    def _add_epochs(self, logs) -> None:
        if logs:
            epochs = np.array([e.get("epoch", np.nan) for e in logs], dtype=np.float64)
            keep = np.isfinite(epochs)       # the trainer numbers its epochs in order
            if len(self.epoch_rows):          # an epoch already held is left out
                keep &= epochs > self.epoch_rows.x()[-1]
            if not keep.any():
                return
            m = self.metric
            keys = {"loss": "loss", "metric": m, "val_loss": "val_loss", "val_metric": f"val_{m}"}
            values = {c: np.array([e.get(k, np.nan) for e in logs], dtype=np.float32)[keep] for c, k in keys.items()}
            self.epoch_rows.append(x=epochs[keep], key=epochs[keep].astype(np.int64), **values)

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Forget every batch after ``step`` and every epoch after ``epoch`` (a branch starts there).

        Parameters
        ----------
        epoch : int
        step : int or None
            None: the batches up to the end of ``epoch`` (those at x <= ``epoch``) are kept.

        Notes
        -----
        A bucket of old batches is kept only when all of it is before the cut.
        """
        rows = self.batch_rows
        if step is None:
            rows.keep_until("x", float(epoch))
            keys = rows.keys()
            step = int(keys[-1]) if len(keys) else 0
        else:
            rows.keep_until("key", step)
        self.epoch_rows.keep_until("key", epoch)
        self.last_step = step

    def saved(self) -> dict:
        """The batch curves as a run file saves them: ``batch_steps``, ``batch_x``, ``batch_losses``,
        ``batch_accuracies``.

        Every batch of the newest :data:`RECENT_BATCHES` is exact; an older row is the mean of the
        batches since the row before it (its step minus the previous row's step: a gap of more than
        one step marks a row that stands for that many batches), at its last batch's step and x.
        """
        rows = self.batch_rows
        return {"batch_steps": rows.keys().astype(np.int64), "batch_x": rows.x().astype(np.float64),
                "batch_losses": rows.means("loss").copy(), "batch_accuracies": rows.means("acc").copy()}

    def load(self, curves: dict, epoch_logs=()) -> tuple[bool, bool]:
        """Replace everything by saved curves (see :meth:`saved`) and epoch logs.

        Rows that stand for more than one batch (their step more than one after the row before)
        become buckets (their mean is all that is known of them); the rest are exact.

        Returns
        -------
        (batches, epochs) : tuple of bool
            Whether there were batches, and epoch logs.
        """
        self.clear()
        loss = np.asarray(curves.get("batch_losses", ()), dtype=np.float32)
        if len(loss):
            acc = np.asarray(curves.get("batch_accuracies", np.full(len(loss), np.nan)), dtype=np.float32)
            x = np.asarray(curves["batch_x"], dtype=np.float64)
            steps = np.asarray(curves["batch_steps"]).astype(np.int64)
            counts = np.diff(np.append(0, steps))
            wide = np.flatnonzero(counts > 1)
            split = int(wide[-1]) + 1 if len(wide) else 0     # rows before it: buckets; after: exact
            rows = self.batch_rows
            if split:
                rows.add_buckets(x[:split], steps[:split], np.maximum(counts[:split], 1),
                                 loss=loss[:split], acc=acc[:split], sloss=loss[:split], sacc=acc[:split])
            rows.append(x=x[split:], key=steps[split:], loss=loss[split:], acc=acc[split:],
                        sloss=loss[split:], sacc=acc[split:])
            self._smooth()
            self.last_step = int(steps[-1])
        self._add_epochs(epoch_logs)
        return bool(len(loss)), bool(epoch_logs)

    def set_alpha(self, alpha: float) -> bool:
        """Smooth with ``alpha`` (clipped to ``[0, SMOOTHING_MAX]``) from now on and recompute the
        smoothed columns; whether there were batches to recompute."""
        self.alpha = min(max(float(alpha), 0.0), SMOOTHING_MAX)
        if not len(self.batch_rows):
            return False
        self._smooth()
        return True

    def _smooth(self) -> None:
        """Recompute the smoothed columns: exactly over the exact batches; over the buckets, an
        average of their means weighted as ``alpha`` to the power of their size (an approximation)."""
        rows, prev = self.batch_rows, {}
        b = rows.buckets
        if b.n:
            a = float(self.alpha) ** rows.size if self.alpha > 0 else 0.0
            for v, out in (("loss", "sloss"), ("acc", "sacc")):
                s = ema(b.view(f"{v}_mean"), min(a, SMOOTHING_MAX) if self.alpha > 0 else 0.0)
                b.view(f"{out}_lo")[:] = b.view(f"{out}_hi")[:] = b.view(f"{out}_mean")[:] = s
                b.view(f"{out}_last")[:] = s
                prev[out] = float(s[-1])
        e = rows.exact
        if e.n:
            e.view("sloss")[:] = ema(e.view("loss"), self.alpha, prev.get("sloss"))
            e.view("sacc")[:] = ema(e.view("acc"), self.alpha, prev.get("sacc"))

    # ---- what the plots draw ---------------------------------------------------------------------
    def raw_band(self, key: str, i0: int = 0, i1: int | None = None):
        """The every-batch band of ``key`` (``"loss"`` or ``"acc"``) over rows ``i0:i1``, every extreme
        kept (see :meth:`MultiRes.band`), peak-decimated to at most ``2 * MAX_BINS`` points."""
        x, y = self.batch_rows.band(key, i0, i1)
        return envelope(x, y)

    def smooth_line(self, key: str, i0: int = 0, i1: int | None = None):
        """The smoothed curve of ``key`` (``"sloss"`` or ``"sacc"``) over rows ``i0:i1``, thinned."""
        rows = self.batch_rows
        return thin(rows.x()[i0:i1], rows.last_values(key)[i0:i1])

    def epoch_line(self, key: str):
        """Epoch log ``key``'s finite values by epoch, every extreme kept, at most ``2 * MAX_BINS`` points."""
        x, y = self.epoch_rows.band(key)
        keep = np.isfinite(y) & np.isfinite(x)
        return envelope(x[keep], y[keep])

    @property
    def n_epochs(self) -> int:
        """Epoch logs the curves cover."""
        return self.epoch_rows.count

    def metric_high(self) -> float | None:
        """The highest finite metric value, batches and epochs (None when there is none)."""
        parts = [self.batch_rows.bounds("acc"), self.epoch_rows.bounds("metric"), self.epoch_rows.bounds("val_metric")]
        y = np.concatenate([p[np.isfinite(p)] for p in parts])
        return float(y.max()) if len(y) else None

    def loss_bounds(self, log: bool):
        """(low, high) of every finite loss, batches and epochs, in log10 when ``log`` (positive
        losses only); (None, None) when there is none."""
        parts = [self.batch_rows.bounds("loss"), self.epoch_rows.bounds("loss"), self.epoch_rows.bounds("val_loss")]
        y = np.concatenate([p[np.isfinite(p)] for p in parts])
        if log:
            y = y[y > 0]
            y = np.log10(y) if len(y) else y
        if not len(y):
            return None, None
        return float(y.min()), float(y.max())

    def between(self, x0: float, x1: float) -> slice:
        """The rows (see :class:`MultiRes`) from epoch position ``x0`` to ``x1``, with one more on each side."""
        x = self.batch_rows.x()
        i0 = max(int(np.searchsorted(x, x0)) - 1, 0)
        i1 = min(int(np.searchsorted(x, x1)) + 1, len(x))
        return slice(i0, i1)

    def x_at(self, i: int) -> float:
        """Row ``i``'s epoch position (a bucket's: its last batch's)."""
        return float(self.batch_rows.x()[i])

    def nearest(self, x: float) -> int | None:
        """The row nearest epoch position ``x``, or the old bucket that spans it (None without batches or
        a finite x)."""
        if not len(self.batch_rows) or not math.isfinite(x):
            return None
        b = self.batch_rows.buckets
        j = int(np.searchsorted(b.view("x1"), x))
        if j < b.n and b.view("x0")[j] <= x:         # inside an old bucket: that bucket
            return j
        xs = self.batch_rows.x()
        i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        if i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            i -= 1
        return i

    def describe(self, i: int) -> str:
        """Row ``i``'s values — a batch's, or a bucket's mean and range — and the nearest epoch end's
        validation values, as the readout says them."""
        rows = self.batch_rows
        b = rows.buckets
        word, f = METRIC_WORDS[self.metric]
        if i < b.n:
            c = b.view
            text = (f"epochs {c('x0')[i]:.2f}–{c('x1')[i]:.2f} · {int(c('count')[i]):,} batches to step "
                    f"{int(c('key')[i])} · loss mean {c('loss_mean')[i]:.4g} "
                    f"(lowest {c('loss_lo')[i]:.4g}, highest {c('loss_hi')[i]:.4g}) · "
                    f"{word} mean {c('acc_mean')[i]:{f}}")
            e = int(round(float(c("x1")[i])))
        else:
            j = i - b.n
            ex = rows.exact
            xj = float(ex.view("x")[j])
            text = (f"epoch {xj:.3f} · step {int(ex.view('key')[j])} · "
                    f"loss {ex.view('loss')[j]:.4g} (smoothed {ex.view('sloss')[j]:.4g}) · "
                    f"{word} {ex.view('acc')[j]:{f}} (smoothed {ex.view('sacc')[j]:{f}})")
            e = int(round(xj))
        ep = self.epoch_rows.exact
        row = np.flatnonzero(ep.view("key") == e)
        if len(row):
            parts = [f"{name} {ep.view(k)[row[0]]:.4g}" for k, name in
                     (("val_loss", "val_loss"), ("val_metric", f"val_{self.metric}"))
                     if np.isfinite(ep.view(k)[row[0]])]
            if parts:
                text += f" · end of epoch {e}: " + ", ".join(parts)
        return text
