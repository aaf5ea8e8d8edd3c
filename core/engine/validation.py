"""Argument checks shared by the whole engine.

Every check raises ``ValueError`` in Keras's style, naming the argument, what is
allowed and what was received::

    Argument `learning_rate` must be > 0. Received: learning_rate=-0.1
"""
from __future__ import annotations

import math
import numbers
from typing import Iterable

import numpy as np


def _received(name: str, value) -> str:
    return f"Received: {name}={value!r}"


def check_number(name: str, value, *, low=None, high=None,
                 low_inclusive: bool = False, high_inclusive: bool = True) -> float:
    """Return ``value`` as a float after checking it is a finite real in range.

    ``low``/``high`` of ``None`` mean unbounded on that side.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"Argument `{name}` must be a number. {_received(name, value)}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"Argument `{name}` must be a finite number. {_received(name, value)}")
    if low is not None:
        if (v < low) if low_inclusive else (v <= low):
            raise ValueError(f"Argument `{name}` must be {_bounds(low, high, low_inclusive, high_inclusive)}. "
                             f"{_received(name, value)}")
    if high is not None:
        if (v > high) if high_inclusive else (v >= high):
            raise ValueError(f"Argument `{name}` must be {_bounds(low, high, low_inclusive, high_inclusive)}. "
                             f"{_received(name, value)}")
    return v


def _bounds(low, high, low_inclusive, high_inclusive) -> str:
    if high is None:
        return f"{'>=' if low_inclusive else '>'} {low:g}"
    if low is None:
        return f"{'<=' if high_inclusive else '<'} {high:g}"
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    return f"in the range {left}{low:g}, {high:g}{right}"


def check_positive(name: str, value) -> float:
    """A finite number > 0 (learning rates, epsilons)."""
    return check_number(name, value, low=0)


def check_non_negative(name: str, value) -> float:
    """A finite number >= 0 (noise, L2 factors)."""
    return check_number(name, value, low=0, low_inclusive=True)


def check_unit_interval(name: str, value, *, high_inclusive: bool = True) -> float:
    """A finite number in [0, 1] (or [0, 1) with ``high_inclusive=False``)."""
    return check_number(name, value, low=0, high=1, low_inclusive=True,
                        high_inclusive=high_inclusive)


def check_int(name: str, value, *, low: int = 1, high: int | None = None) -> int:
    """An integer (not a bool, not a float) with ``low <= value <= high``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"Argument `{name}` must be an integer >= {low}"
                         f"{'' if high is None else f' and <= {high}'}. {_received(name, value)}")
    v = int(value)
    if v < low or (high is not None and v > high):
        allowed = f">= {low}" if high is None else f"in the range [{low}, {high}]"
        raise ValueError(f"Argument `{name}` must be an integer {allowed}. {_received(name, value)}")
    return v


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    """One of ``choices`` (case-sensitive strings)."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"Argument `{name}` must be one of {', '.join(repr(c) for c in choices)}. "
                         f"{_received(name, value)}")
    return value


def check_array(name: str, value, *, ndim=None, dtype=np.float32, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as an ndarray of ``dtype`` after checking it is finite and non-empty.

    ``ndim`` may be an int or a tuple of allowed ints.
    """
    try:
        arr = np.asarray(value, dtype=dtype) if dtype is not None else np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Argument `{name}` must be a numeric array. Could not convert it: {exc}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(f"Argument `{name}` must have {' or '.join(map(str, allowed))} dimensions. "
                             f"Received: {name}.shape={arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"Argument `{name}` must not be empty. Received: {name}.shape={arr.shape}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"Argument `{name}` contains {bad} NaN or infinite value(s); "
                         f"every value must be finite.")
    return arr
