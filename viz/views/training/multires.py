"""A multi-resolution series: the newest rows exact, older ones as min / max / mean buckets, in bounded memory.

A run of an hour flat out trains ~40 million batches; keeping each one grew the window by ~40 MB a
minute and made every frame slower. :class:`MultiRes` keeps the newest ``recent`` rows exactly (a
:class:`Growing` table) and folds older ones, half the window at a time, into buckets of consecutive
rows that keep each value's minimum, maximum, mean and last value. When there are more than
``max_buckets`` buckets, neighbours are merged pairwise (a bucket then spans twice as many rows), so
the memory stays under ``recent`` exact rows plus ``max_buckets`` buckets whatever the length, and a
spike anywhere in the run is still in some bucket's minimum or maximum.

NumPy only (no Qt). Rows are indexed oldest first across both parts: ``0 .. len(buckets) - 1`` are
the buckets, then the exact rows.
"""
from __future__ import annotations

import numpy as np


class Growing:
    """Parallel columns that double their capacity when full.

    Parameters
    ----------
    dtypes : dict of str to dtype
        Each column's name and type.
    capacity : int
        Rows allocated at first.
    """

    def __init__(self, dtypes: dict, capacity: int = 1024):
        self.names = tuple(dtypes)
        self.n = 0
        self.cols = {k: np.empty(capacity, dtype=t) for k, t in dtypes.items()}

    def append(self, **arrays) -> None:
        """Append equal-length arrays, one per column."""
        m = len(next(iter(arrays.values())))
        need = self.n + m
        cap = len(self.cols[self.names[0]])
        if need > cap:
            while cap < need:
                cap *= 2
            for k in self.names:
                grown = np.empty(cap, dtype=self.cols[k].dtype)
                grown[:self.n] = self.cols[k][:self.n]
                self.cols[k] = grown
        for k, v in arrays.items():
            self.cols[k][self.n:need] = v
        self.n = need

    def drop_first(self, m: int) -> None:
        """Forget the ``m`` oldest rows (the rest move to the front; the capacity stays)."""
        m = min(int(m), self.n)
        for col in self.cols.values():
            col[:self.n - m] = col[m:self.n]
        self.n -= m

    def view(self, name) -> np.ndarray:
        """Column ``name``'s rows (a view, valid until the next append)."""
        return self.cols[name][:self.n]

    def clear(self) -> None:
        self.n = 0

    @property
    def nbytes(self) -> int:
        """Bytes allocated (the capacity, not the rows held)."""
        return sum(c.nbytes for c in self.cols.values())


def _finite_sum(v: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per run of rows from each start: the sum of the finite values, and their count."""
    ok = np.isfinite(v)
    return (np.add.reduceat(np.where(ok, v, 0).astype(np.float64), starts),
            np.add.reduceat(ok.astype(np.float64), starts))


class MultiRes:
    """A series of rows keyed by an increasing ``x`` and ``key``: exact while recent, bucketed when old.

    Parameters
    ----------
    values : tuple of str
        The value columns (float32); NaN where a row has none.
    recent : int
        Exact rows kept at most (the oldest half is folded into buckets when there are more).
    max_buckets : int
        Buckets kept at most (neighbours are merged pairwise past it). Even, >= 2.
    key_dtype : dtype
        The type of the ``key`` column (a step: int64).

    Attributes
    ----------
    exact : Growing
        The newest rows: ``x`` (float32), ``key`` and every value column.
    buckets : Growing
        Older rows in buckets, oldest first: ``x0``, ``x1`` (the first and last row's x), ``key``
        (the last row's), ``count`` (rows in it) and per value ``v``: ``v_lo``, ``v_hi``, ``v_mean``
        (over its finite values; NaN when none), ``v_n`` (how many were finite) and ``v_last``.
    size : int
        Rows per bucket made now (doubles with every pairwise merge).
    """

    def __init__(self, values, recent: int, max_buckets: int, key_dtype=np.int64):
        self.values = tuple(values)
        self.recent = int(recent)
        self.max_buckets = max(2, int(max_buckets) // 2 * 2)
        self.exact = Growing({"x": np.float32, "key": key_dtype, **{v: np.float32 for v in self.values}},
                             capacity=min(1024, self.recent))
        cols = {"x0": np.float32, "x1": np.float32, "key": key_dtype, "count": np.int64}
        for v in self.values:
            cols.update({f"{v}_lo": np.float32, f"{v}_hi": np.float32, f"{v}_mean": np.float32,
                         f"{v}_n": np.int64, f"{v}_last": np.float32})
        self.buckets = Growing(cols, capacity=64)
        self._first_size = max(1, (self.recent // 2) // (self.max_buckets // 2))
        self.size = self._first_size

    # ---- size ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        """Rows held: buckets plus exact rows."""
        return self.buckets.n + self.exact.n

    @property
    def count(self) -> int:
        """Rows added (and not cut off): every bucket's count plus the exact rows."""
        return int(self.buckets.view("count").sum()) + self.exact.n

    @property
    def nbytes(self) -> int:
        """Bytes allocated by both parts."""
        return self.exact.nbytes + self.buckets.nbytes

    def clear(self) -> None:
        self.exact.clear()
        self.buckets.clear()
        self.size = self._first_size

    # ---- adding ----------------------------------------------------------------------------------
    def append(self, x, key, **values) -> None:
        """Append exact rows (``x`` and ``key`` increasing, after every row held); the oldest half of
        the exact rows is folded into buckets whenever they would be more than ``recent``."""
        cols = {"x": np.asarray(x), "key": np.asarray(key), **{k: np.asarray(v) for k, v in values.items()}}
        m, done = len(cols["x"]), 0
        while done < m:
            room = self.recent - self.exact.n
            if room <= 0:
                self.fold(self.exact.n - self.recent // 2)
                continue
            take = min(room, m - done)
            self.exact.append(**{k: v[done:done + take] for k, v in cols.items()})
            done += take

    def fold(self, m: int) -> None:
        """Fold the ``m`` oldest exact rows into buckets of :attr:`size` rows, then keep to the budget."""
        e = self.exact
        m = min(int(m), e.n)
        if m <= 0:
            return
        starts = np.arange(0, m, self.size)
        ends = np.append(starts[1:], m) - 1
        x, key = e.view("x")[:m], e.view("key")[:m]
        cols = {"x0": x[starts], "x1": x[ends], "key": key[ends], "count": np.diff(np.append(starts, m))}
        for v in self.values:
            a = e.view(v)[:m]
            with np.errstate(invalid="ignore"):
                lo, hi = np.fmin.reduceat(a, starts), np.fmax.reduceat(a, starts)
            s, n = _finite_sum(a, starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(n > 0, s / np.maximum(n, 1), np.nan)
            cols.update({f"{v}_lo": lo, f"{v}_hi": hi, f"{v}_mean": mean, f"{v}_n": n, f"{v}_last": a[ends]})
        self.buckets.append(**cols)
        e.drop_first(m)
        while self.buckets.n > self.max_buckets:
            self._merge_pairs()

    def add_buckets(self, x, key, count, **means) -> None:
        """Append buckets known only by their mean (a reopened run's older rows): min = max = mean."""
        cols = {"x0": x, "x1": x, "key": key, "count": count}
        for v in self.values:
            mean = np.asarray(means[v], dtype=np.float32)
            cols.update({f"{v}_lo": mean, f"{v}_hi": mean, f"{v}_mean": mean,
                         f"{v}_n": np.where(np.isfinite(mean), np.asarray(count), 0), f"{v}_last": mean})
        self.buckets.append(**cols)
        while self.buckets.n > self.max_buckets:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        """Merge buckets 0+1, 2+3, ... (an odd last one stays alone): half as many, each twice as wide."""
        b = self.buckets
        n = b.n
        pairs = n // 2
        a_, b_ = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        merged = {}
        for k in ("x0",):
            merged[k] = b.view(k)[a_]
        for k in ("x1", "key"):
            merged[k] = b.view(k)[b_]
        merged["count"] = b.view("count")[a_] + b.view("count")[b_]
        for v in self.values:
            lo, hi, mean, cnt = (b.view(f"{v}_{s}") for s in ("lo", "hi", "mean", "n"))
            merged[f"{v}_lo"] = np.fmin(lo[a_], lo[b_])
            merged[f"{v}_hi"] = np.fmax(hi[a_], hi[b_])
            n2 = cnt[a_] + cnt[b_]
            s = (np.where(cnt[a_] > 0, mean[a_], 0).astype(np.float64) * cnt[a_]
                 + np.where(cnt[b_] > 0, mean[b_], 0).astype(np.float64) * cnt[b_])
            with np.errstate(invalid="ignore", divide="ignore"):
                merged[f"{v}_mean"] = np.where(n2 > 0, s / np.maximum(n2, 1), np.nan)
            merged[f"{v}_n"] = n2
            merged[f"{v}_last"] = b.view(f"{v}_last")[b_]
        odd = {k: b.view(k)[2 * pairs:].copy() for k in b.names} if n % 2 else None
        merged = {k: np.array(v) for k, v in merged.items()}
        b.clear()
        b.append(**merged)
        if odd is not None:
            b.append(**odd)
        self.size *= 2

    # ---- cutting ---------------------------------------------------------------------------------
    def keep_until(self, column: str, value) -> None:
        """Forget every row after the last one whose ``column`` (``"x"`` or ``"key"``) is <= ``value``;
        a bucket is kept only when all of it is (its last row's x or key)."""
        e, b = self.exact, self.buckets
        e.n = int(np.searchsorted(e.view(column), value, side="right"))
        if e.n == 0:
            b.n = int(np.searchsorted(b.view("x1" if column == "x" else "key"), value, side="right"))

    # ---- reading ---------------------------------------------------------------------------------
    def _rows(self, bucket_column: str, exact_column: str) -> np.ndarray:
        """A bucket column followed by an exact one: a view of the exact rows when there is no bucket
        (valid until the next change), else a new array."""
        if not self.buckets.n:
            return self.exact.view(exact_column)
        return np.concatenate([self.buckets.view(bucket_column), self.exact.view(exact_column)])

    def x(self) -> np.ndarray:
        """Each row's x, oldest first (a bucket's: its last row's), float32."""
        return self._rows("x1", "x")

    def keys(self) -> np.ndarray:
        """Each row's key (a bucket's: its last row's)."""
        return self._rows("key", "key")

    def means(self, v: str) -> np.ndarray:
        """Value ``v`` per row: a bucket's mean, an exact row's value (float32)."""
        return self._rows(f"{v}_mean", v)

    def last_values(self, v: str) -> np.ndarray:
        """Value ``v`` per row: a bucket's last row's, an exact row's own (float32)."""
        return self._rows(f"{v}_last", v)

    def band(self, v: str, i0: int = 0, i1: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``i0:i1`` of value ``v`` as points that keep every extreme: a bucket as two points,
        ``(x0, min)`` and ``(x1, max)``, an exact row as itself; x never decreases.

        Returns
        -------
        (x, y) : float32 ndarrays
        """
        nb = self.buckets.n
        i1 = len(self) if i1 is None else i1
        b0, b1 = min(i0, nb), min(i1, nb)
        e0, e1 = max(i0 - nb, 0), max(i1 - nb, 0)
        b = self.buckets
        bx = np.empty(2 * (b1 - b0), dtype=np.float32)
        by = np.empty(2 * (b1 - b0), dtype=np.float32)
        bx[0::2], bx[1::2] = b.view("x0")[b0:b1], b.view("x1")[b0:b1]
        by[0::2], by[1::2] = b.view(f"{v}_lo")[b0:b1], b.view(f"{v}_hi")[b0:b1]
        if b0 == b1:
            return self.exact.view("x")[e0:e1], self.exact.view(v)[e0:e1]
        return (np.concatenate([bx, self.exact.view("x")[e0:e1]]),
                np.concatenate([by, self.exact.view(v)[e0:e1]]))

    def bounds(self, v: str) -> np.ndarray:
        """Every extreme of value ``v``: the buckets' minima and maxima and the exact values."""
        b = self.buckets
        return np.concatenate([b.view(f"{v}_lo"), b.view(f"{v}_hi"), self.exact.view(v)])
