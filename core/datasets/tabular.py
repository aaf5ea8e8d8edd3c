"""Tabular data: a user's own CSV file (all of it or a seeded sample) and a train/validation split."""
from __future__ import annotations

import csv
import math
import os
import random
from dataclasses import dataclass

import numpy as np

from core.engine.validation import check_array, check_int, check_unit_interval
from core.datasets.synthetic import _check_seed

__all__ = ["train_val_split", "load_csv", "read_csv", "count_csv_rows", "CsvData", "CsvCancelled",
           "LABEL_NAMES", "LABEL_RULE"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT32 = np.iinfo(np.int32)


# --------------------------------------------------------------------------- split
def train_val_split(x, y, validation_split=0.2, seed=0, stratify=True):
    """Shuffle and split samples into a training and a validation part.

    The split is stratified: each distinct label contributes
    ``round(count * validation_split)`` of its samples to the validation part.
    With ``stratify=False`` (real-valued regression targets) the samples form one group:
    ``round(n * validation_split)`` of them, chosen at random, are held out.

    Parameters
    ----------
    x : array_like, shape (n, d)
        Inputs; converted to float32, must be finite.
    y : array_like, shape (n,)
        Labels (dtype kept).
    validation_split : float in [0, 1)
        Fraction of samples held out. ``0`` gives empty validation arrays of
        shapes ``(0, d)`` and ``(0,)``.
    seed : int >= 0 or None
        Seed of the shuffle.
    stratify : bool
        Split each label's samples apart (classes); False: all samples as one group.

    Returns
    -------
    (x_train, y_train), (x_val, y_val)
        ``x_*`` float32 of shape ``(m, d)``, ``y_*`` of shape ``(m,)``; the two
        parts together hold every sample exactly once.

    Raises
    ------
    ValueError
        If an argument is invalid or the training part would be empty.
    """
    x = check_array("x", x, ndim=2)
    y = check_array("y", y, ndim=1, dtype=None)
    if len(x) != len(y):
        raise ValueError("Arguments `x` and `y` must have the same number of samples. "
                         f"Received: x.shape={x.shape}, y.shape={y.shape}")
    split = check_unit_interval("validation_split", validation_split, high_inclusive=False)
    rng = np.random.default_rng(_check_seed(seed))

    train_parts, val_parts = [], []
    groups = [y == label for label in np.unique(y)] if stratify else [np.ones(len(y), dtype=bool)]
    for group in groups:
        idx = rng.permutation(np.flatnonzero(group))
        n_val = int(math.floor(len(idx) * split + 0.5))
        val_parts.append(idx[:n_val])
        train_parts.append(idx[n_val:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    val_idx = rng.permutation(np.concatenate(val_parts))
    if len(train_idx) == 0:
        raise ValueError(f"Argument `validation_split` leaves no training samples out of "
                         f"{len(y)}. Received: validation_split={validation_split!r}")
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])


# --------------------------------------------------------------------------- CSV
#: header names that mark the label column, in order of preference (``y`` only without an ``x`` column)
LABEL_NAMES = ("label", "class", "target", "y")
LABEL_RULE = ("the label column is the one named label, class, target or y (y only when no column is "
              "named x), otherwise the last column")
#: data rows between two calls of ``read_csv``'s ``progress``
PROGRESS_EVERY = 65_536


class CsvCancelled(Exception):
    """Raised by :func:`read_csv` when its ``progress`` callback returns ``False``."""


@dataclass(frozen=True)
class CsvData:
    """What :func:`read_csv` read: the samples used and where they came from.

    Attributes
    ----------
    x : ndarray of float32, shape (n, d)
        The feature columns of the rows used, in file order.
    y : ndarray of int32 (or float32 for a regression read), shape (n,)
        Their labels (class numbers), or the real-valued targets when read with
        ``regression=True``.
    n_rows : int
        Data rows in the file (``n_rows > len(y)`` when ``max_rows`` took a sample).
    label_column : int
        The label column, counted from 1.
    label_name : str or None
        The label column's header, or None when the file has no header.
    path : str
    real_valued : bool
        True when the label column holds a value that is not a whole number (a measurement:
        the file is for regression, :func:`csv_task`).
    """

    x: np.ndarray
    y: np.ndarray
    n_rows: int
    label_column: int
    label_name: str | None
    path: str
    real_valued: bool = False

    @property
    def sampled(self) -> bool:
        """True when only a sample of the file's rows is used."""
        return len(self.y) < self.n_rows

    def label_source(self) -> str:
        """Which column holds the labels, e.g. ``"column 3 ('label')"`` (:data:`LABEL_RULE` says why)."""
        name = f" ({self.label_name!r})" if self.label_name is not None else ""
        return f"column {self.label_column}{name}"


def load_csv(path):
    """Load an integer-labelled data set from a CSV file: ``(x, y)`` of every row.

    Each row is a sample: its features and its label. The label column is the one named
    ``label``, ``class``, ``target`` or ``y`` in the header (``y`` only when no column is named
    ``x``), otherwise the last column. Cells may be separated by commas, semicolons, tabs or
    spaces (guessed from the first row). The first row is taken as a header and skipped when
    none of its cells is a number. Blank lines and lines starting with ``#`` are ignored.
    Labels must be integers; integral floats such as ``1.0`` are accepted. See
    :func:`read_csv` for a sample of a big file, progress and cancelling.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read (UTF-8, optionally with a byte-order mark).

    Returns
    -------
    x : ndarray of float32, shape (n, d)
    y : ndarray of int32, shape (n,)

    Raises
    ------
    ValueError
        With the file name (and line number where one applies) if the file is
        missing or unreadable, empty, has fewer than 2 columns, ragged rows, a
        non-numeric, NaN, infinite or float32-overflowing cell, or a label that
        is not an integer.
    """
    data = read_csv(path)
    return data.x, data.y


def read_csv(path, max_rows=None, seed=0, progress=None, regression=False) -> CsvData:
    """Read a CSV file as :func:`load_csv` does, at most ``max_rows`` of its rows.

    With ``regression=True`` the label column is a real-valued target (float32, any finite
    value); otherwise it must hold whole numbers (class labels), and a measurement there is
    refused with a message saying to choose Regression.

    A file with more data rows than ``max_rows`` gives a uniform random sample of them
    (reservoir sampling, Vitter's algorithm L, seeded: the same file and seed give the same
    rows), kept in file order. The whole file is still read, but only the sampled rows are
    parsed and held in memory, so a 10-million-row file takes seconds and little memory. (The
    first ``max_rows`` rows would let reading stop early, but files are often sorted by class:
    their first rows would hold a single class.) Only the rows used are checked for bad cells.

    Parameters
    ----------
    path : str or os.PathLike
    max_rows : int >= 1 or None
        The most rows to use; None: all of them.
    seed : int >= 0 or None
        Seed of the sample.
    progress : callable or None
        ``progress(rows_read) -> bool``, called every :data:`PROGRESS_EVERY` data rows and
        once at the end of the file; returning ``False`` stops reading with :class:`CsvCancelled`.
    regression : bool
        Read the label column as real-valued targets (float32) instead of class labels.

    Returns
    -------
    CsvData

    Raises
    ------
    ValueError
        As :func:`load_csv`, or for an invalid ``max_rows``.
    CsvCancelled
        When ``progress`` returned ``False``.
    """
    if max_rows is not None:
        check_int("max_rows", max_rows, low=1)
    # Python's generator: algorithm L draws ~3 numbers per replacement, ~10x faster than NumPy's one by one
    rng = random.Random(int(np.random.default_rng(_check_seed(seed)).integers(2**63)))
    try:
        name = os.fspath(path)
    except TypeError:
        raise ValueError(f"Argument `path` must be a file path. Received: path={path!r}") from None
    if not os.path.exists(name):
        raise ValueError(f"CSV file not found: {name!r}")
    if not os.path.isfile(name):
        raise ValueError(f"CSV path is not a file: {name!r}")

    def fail(lineno, message):
        raise ValueError(f"CSV file {name!r}, line {lineno}: {message}")

    try:
        with open(name, encoding="utf-8-sig", newline="") as fh:
            first, header, kept, n_rows = _scan(fh, max_rows, rng, progress)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"CSV file {name!r} could not be read as UTF-8 text: {exc}") from None
    if first is None:
        raise ValueError(f"CSV file {name!r} is empty: it has no data rows.")
    delimiter = next((d for d in (",", ";", "\t") if d in first[1]), None)
    try:
        rows = [(i, _cells(i, line, delimiter)) for i, line in ([first] if header else []) + kept]
    except _LineError as exc:
        fail(exc.lineno, exc.message)
    header = rows.pop(0) if header else None
    if not rows:
        raise ValueError(f"CSV file {name!r} has a header row but no data rows.")
    first_line, first_cells = header if header is not None else rows[0]
    n_cols = len(first_cells)
    if n_cols < 2:
        fail(first_line, f"found {n_cols} column, need at least 2 "
                         f"(one or more feature columns and the label column).")
    for lineno, cells in rows:
        if len(cells) != n_cols:
            fail(lineno, f"found {len(cells)} columns, expected {n_cols} as on line {first_line}.")
    label = _label_column(header[1]) if header is not None else n_cols - 1
    if isinstance(label, str):
        fail(first_line, label)

    try:
        values = np.array([cells for _, cells in rows], dtype=np.float64)
    except ValueError:
        values = None
    if values is None:  # find the culprit for the message
        for lineno, cells in rows:
            for col, cell in enumerate(cells, start=1):
                if not _is_number(cell):
                    hint = " (a header row is only recognised if none of its cells is a number)" \
                        if lineno == rows[0][0] and header is None else ""
                    fail(lineno, f"column {col}: cannot read {cell!r} as a number{hint}.")
        raise ValueError(f"CSV file {name!r} could not be read as numbers.")  # pragma: no cover

    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        fail(rows[r][0], f"column {c + 1}: value {rows[r][1][c]!r} is not finite (NaN or infinity).")
    features = np.delete(values, label, axis=1)
    bad = np.abs(features) > _FLOAT32_MAX
    if bad.any():
        r, c = np.argwhere(bad)[0]
        c = c + (c >= label)
        fail(rows[r][0], f"column {c + 1}: value {rows[r][1][c]!r} is too large for float32.")
    labels = values[:, label]
    real_valued = bool(np.any(labels != np.round(labels)))
    label_name = header[1][label] if header is not None else None
    if regression:
        if np.any(np.abs(labels) > _FLOAT32_MAX):
            r = int(np.flatnonzero(np.abs(labels) > _FLOAT32_MAX)[0])
            fail(rows[r][0], f"column {label + 1} (label): value {rows[r][1][label]!r} is too large for float32.")
        return CsvData(x=features.astype(np.float32), y=labels.astype(np.float32), n_rows=n_rows,
                       label_column=label + 1, label_name=label_name, path=name, real_valued=real_valued)
    bad = (labels != np.round(labels)) | (labels < _INT32.min) | (labels > _INT32.max)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        fail(rows[r][0], f"column {label + 1} (label): {rows[r][1][label]!r} is not an integer "
                         f"label; labels must be whole numbers such as 0 and 1 ({LABEL_RULE}). "
                         f"A column of measurements cannot be the label of a classifier: to fit "
                         f"its values, choose the task Regression.")
    return CsvData(x=features.astype(np.float32), y=labels.astype(np.int32), n_rows=n_rows,
                   label_column=label + 1, label_name=label_name, path=name, real_valued=real_valued)


def csv_task(path, max_rows=10_000, seed=0) -> str:
    """The task a CSV file is for: ``"regression"`` when its label column holds a value that is
    not a whole number (a measurement), else ``"classification"``.

    Reads (a seeded sample of at most ``max_rows`` rows of) the file; for the GUI to choose the
    task when the user opens a CSV. Raises ``ValueError`` as :func:`read_csv` for a bad file.
    """
    data = read_csv(path, max_rows=max_rows, seed=seed, regression=True)
    return "regression" if data.real_valued else "classification"


def count_csv_rows(path) -> int:
    """About how many data rows a CSV file has (its lines, less a header), quickly.

    Counts line ends in the raw bytes (about 0.2 s for 200 MB); blank and comment lines are
    counted too. Raises ``OSError`` if the file cannot be read.
    """
    n, last, first = 0, b"\n", b""
    with open(os.fspath(path), "rb") as fh:
        while chunk := fh.read(1 << 22):
            if not first:
                first = chunk.split(b"\n", 1)[0]
            n += chunk.count(b"\n")
            last = chunk[-1:]
    n += last != b"\n"
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return n
    delimiter = next((d for d in (",", ";", "\t") if d in text), None)
    cells = text.split(delimiter) if delimiter else text.split()
    return n - (not any(_is_number(c.strip()) for c in cells))


def _scan(fh, max_rows, rng, progress):
    """Read the lines: ``(first, is_header, kept, n_rows)``.

    ``first`` is the first non-blank, non-comment ``(lineno, line)`` (None for none), ``kept``
    the data rows used (a reservoir sample of at most ``max_rows``, in file order) and
    ``n_rows`` the number of data rows.
    """
    first, header, kept, n = None, False, [], 0
    k = max_rows
    nxt = w = None
    for lineno, line in enumerate(fh, start=1):
        s = line.lstrip()
        if not s or s[0] == "#":
            continue
        if first is None:
            first = (lineno, line)
            try:
                header = not any(_is_number(c) for c in _cells(lineno, line, next(
                    (d for d in (",", ";", "\t") if d in line), None)))
            except _LineError:
                header = False   # reported when the row is parsed
            if header:
                continue
        if k is None or n < k:
            kept.append((lineno, line))
            if n + 1 == k:   # the reservoir is full: where algorithm L replaces next
                w = math.exp(math.log(_open_unit(rng)) / k)
                nxt = n + _skip(rng, w) + 1
        elif n == nxt:
            kept[rng.randrange(k)] = (lineno, line)
            w *= math.exp(math.log(_open_unit(rng)) / k)
            nxt = n + _skip(rng, w) + 1
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0 and progress(n) is False:
            raise CsvCancelled(f"Reading the CSV file was cancelled after {n:,} rows.")
    if progress is not None and progress(n) is False:
        raise CsvCancelled(f"Reading the CSV file was cancelled after {n:,} rows.")
    if k is not None and n > k:
        kept.sort()
    return first, header, kept, n


def _open_unit(rng) -> float:
    """A uniform random number in (0, 1)."""
    while (u := rng.random()) == 0.0:   # pragma: no cover - one chance in 2**53
        pass
    return u


def _skip(rng, w) -> int:
    """Algorithm L: how many rows to pass over before the next replacement."""
    return int(math.log(_open_unit(rng)) / math.log1p(-min(w, 1.0 - 1e-16)))


def _label_column(names):
    """The label column's index from the header's names, or an error message (a str)."""
    norm = [n.strip().strip("'\"").strip().lower() for n in names]
    for wanted in LABEL_NAMES:
        if wanted == "y" and "x" in norm:
            continue
        found = [i for i, n in enumerate(norm) if n == wanted]
        if len(found) > 1:
            return (f"columns {' and '.join(str(i + 1) for i in found)} are both named {wanted!r}; "
                    f"rename one ({LABEL_RULE}).")
        if found:
            return found[0]
    return len(names) - 1


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cells(lineno, line, delimiter):
    """The stripped cells of one line (``delimiter`` None: split on white space)."""
    line = line.rstrip("\r\n")
    if delimiter is None:
        return line.split()
    try:   # one reader per line keeps line numbers exact
        cells = next(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _LineError(lineno, f"malformed CSV row ({exc}).") from None
    return [cell.strip() for cell in cells]


class _LineError(Exception):
    def __init__(self, lineno, message):
        super().__init__(message)
        self.lineno, self.message = lineno, message
