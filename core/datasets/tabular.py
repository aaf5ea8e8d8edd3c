"""Tabular data: a user's own CSV file and a train/validation split."""
from __future__ import annotations

import csv
import math
import os

import numpy as np

from core.engine.validation import check_array, check_unit_interval
from core.datasets.synthetic import _check_seed

__all__ = ["train_val_split", "load_csv"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT32 = np.iinfo(np.int32)


# --------------------------------------------------------------------------- split
def train_val_split(x, y, validation_split=0.2, seed=0):
    """Shuffle and split samples into a training and a validation part.

    The split is stratified: each distinct label contributes
    ``round(count * validation_split)`` of its samples to the validation part.

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
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
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
def load_csv(path):
    """Load a two-class (or any integer-labelled) data set from a CSV file.

    Each row is ``x1, x2, ..., xd, label``. Cells may be separated by commas,
    semicolons, tabs or spaces (guessed from the first row). The first row is
    taken as a header and skipped when none of its cells is a number. Blank
    lines and lines starting with ``#`` are ignored. Labels must be integers;
    integral floats such as ``1.0`` are accepted.

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
    try:
        name = os.fspath(path)
    except TypeError:
        raise ValueError(f"Argument `path` must be a file path. Received: path={path!r}") from None
    if not os.path.exists(name):
        raise ValueError(f"CSV file not found: {name!r}")
    if not os.path.isfile(name):
        raise ValueError(f"CSV path is not a file: {name!r}")
    try:
        with open(name, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"CSV file {name!r} could not be read as UTF-8 text: {exc}") from None

    def fail(lineno, message):
        raise ValueError(f"CSV file {name!r}, line {lineno}: {message}")

    try:
        rows = _split_rows(text)  # [(lineno, [cell, ...]), ...]
    except _LineError as exc:
        fail(exc.lineno, exc.message)
    if not rows:
        raise ValueError(f"CSV file {name!r} is empty: it has no data rows.")
    header = None
    if not any(_is_number(cell) for cell in rows[0][1]):
        header = rows.pop(0)
        if not rows:
            raise ValueError(f"CSV file {name!r} has a header row but no data rows.")
    first_line, first = header if header is not None else rows[0]
    n_cols = len(first)
    if n_cols < 2:
        fail(first_line, f"found {n_cols} column, need at least 2 "
                         f"(one or more feature columns, then the label column).")
    for lineno, cells in rows:
        if len(cells) != n_cols:
            fail(lineno, f"found {len(cells)} columns, expected {n_cols} as on line {first_line}.")

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
    bad = np.abs(values[:, :-1]) > _FLOAT32_MAX
    if bad.any():
        r, c = np.argwhere(bad)[0]
        fail(rows[r][0], f"column {c + 1}: value {rows[r][1][c]!r} is too large for float32.")
    labels = values[:, -1]
    bad = (labels != np.round(labels)) | (labels < _INT32.min) | (labels > _INT32.max)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        fail(rows[r][0], f"column {n_cols} (label): {rows[r][1][-1]!r} is not an integer "
                         f"label; labels must be whole numbers such as 0 and 1.")
    return values[:, :-1].astype(np.float32), labels.astype(np.int32)


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _split_rows(text):
    """Return ``[(line_number, [stripped cells])]`` for the non-blank, non-comment lines."""
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return []
    sample = lines[0][1]
    delimiter = next((d for d in (",", ";", "\t") if d in sample), None)
    if delimiter is None:
        return [(i, line.split()) for i, line in lines]
    rows = []
    for i, line in lines:  # one reader per line keeps line numbers exact
        try:
            cells = next(csv.reader([line], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            raise _LineError(i, f"malformed CSV row ({exc}).") from None
        rows.append((i, [cell.strip() for cell in cells]))
    return rows


class _LineError(Exception):
    def __init__(self, lineno, message):
        super().__init__(message)
        self.lineno, self.message = lineno, message
