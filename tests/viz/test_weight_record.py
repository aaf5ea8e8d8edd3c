"""The loss surface's weight record: O(1) recording, thinning without copying weights, bounded memory."""
from __future__ import annotations

import numpy as np
import pytest

from viz.views.loss import weight_record
from viz.views.loss.weight_record import MAX_RECORD_BYTES, MAX_RECORDS, WeightRecord

MNIST_WEIGHTS = 784 * 512 + 512 + 512 * 10 + 10       # 407,050


class _CountingNumpy:
    """numpy, counting the calls that copy a whole array (resize, stack, vstack, concatenate)."""

    COPIES = ("resize", "stack", "vstack", "concatenate", "append")

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        attr = getattr(np, name)
        if name in self.COPIES:
            def counted(*args, **kwargs):
                self.calls.append(name)
                return attr(*args, **kwargs)
            return counted
        return attr


def test_recording_and_thinning_copy_no_recorded_weights(monkeypatch):
    spy = _CountingNumpy()
    monkeypatch.setattr(weight_record, "np", spy)
    rec = WeightRecord()
    rec.clear(MNIST_WEIGHTS)
    assert rec.cap == MAX_RECORD_BYTES // (4 * MNIST_WEIGHTS) == 41
    first = np.full(MNIST_WEIGHTS, 0.5, np.float32)
    rec.add(first, 0)
    kept = rec.rows[0]
    for k in range(1, 3 * rec.cap):
        rec.add(np.full(MNIST_WEIGHTS, k, np.float32), k)
    assert spy.calls == []                               # no O(total) copy per snapshot, nor when thinning
    assert rec.rows[0] is kept                           # thinning keeps the same row objects
    assert rec.generation >= 2 and rec.stride >= 2
    assert rec.n <= rec.cap
    assert not any(np.shares_memory(a, b) for a, b in zip(rec.rows, rec.rows[1:]))
    assert all(r.shape == (MNIST_WEIGHTS,) and r.dtype == np.float32 and not r.flags.writeable for r in rec.rows)


def test_a_recorded_row_is_a_copy_of_what_was_added():
    rec = WeightRecord()
    rec.clear(4)
    flat = np.arange(4, dtype=np.float32)
    rec.add(flat, 1)
    flat[:] = 99                                         # the caller reuses its buffer
    np.testing.assert_array_equal(rec.rows[0], [0, 1, 2, 3])


def test_history_stacks_once_and_is_cached_until_the_record_changes():
    rec = WeightRecord()
    rec.clear(3)
    w, e = rec.history()
    assert w.shape == (0, 3) and len(e) == 0
    for k in range(5):
        rec.add(np.full(3, k, np.float32), k // 2)
    w, e = rec.history()
    np.testing.assert_array_equal(w[:, 0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(e, [0, 0, 1, 1, 2])
    assert rec.history()[0] is w and not w.flags.writeable
    rec.add(np.full(3, 5, np.float32), 2)
    assert rec.history()[0] is not w and rec.history()[0][-1, 0] == 5


def test_the_rows_slice_like_the_old_array():
    """LandscapeView.projected_path reads ``rec.w[a:b]`` and ``rec.w.shape[1]``: only the rows asked for."""
    rec = WeightRecord()
    rec.clear(2)
    assert rec.w.shape == (0, 2) and rec.w[0:0].shape == (0, 2)
    for k in range(6):
        rec.add(np.array([k, -k], np.float32), k)
    np.testing.assert_array_equal(rec.w[2:4], [[2, -2], [3, -3]])
    assert rec.w.shape == (6, 2) and len(rec.w) == 6
    np.testing.assert_array_equal(rec.epochs, np.arange(6))


def test_recorder_is_bounded_even_and_ends_with_the_current_point():
    rec = WeightRecord()
    rec.clear(3)
    for k in range(10 * MAX_RECORDS):
        rec.add(np.full(3, k, np.float32), k // 100)
    hist, epochs = rec.history()
    assert len(hist) <= MAX_RECORDS + 1 and rec.n <= MAX_RECORDS
    steps = np.diff(hist[:-1, 0])
    assert steps.min() == steps.max() == rec.stride       # evenly spaced
    assert hist[-1, 0] == 10 * MAX_RECORDS - 1            # the current point is always last
    np.testing.assert_array_equal(epochs, hist[:, 0].astype(np.int64) // 100)


@pytest.mark.parametrize("size", [0, 1, 10**9])
def test_cap_stays_sane_for_any_size(size):
    rec = WeightRecord()
    rec.clear(size)
    assert 16 <= rec.cap <= MAX_RECORDS


def test_clear_forgets_everything_and_bumps_the_generation():
    rec = WeightRecord()
    rec.clear(2)
    rec.add(np.zeros(2, np.float32), 0)
    gen = rec.generation
    rec.clear(2)
    assert rec.n == 0 and rec.current is None and rec.generation > gen
    assert rec.history()[0].shape == (0, 2)
