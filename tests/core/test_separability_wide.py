"""core.analysis.uncrumple.separability on very wide stages: the principal axes are fitted on a bounded, fixed-seed subsample."""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis import pca as _pca
from core.analysis.uncrumple import separability as sep
from core.analysis.uncrumple.geometry import Stage


def wide_blobs(n=600, width=3000, seed=0):
    """Two classes apart along one direction of a wide, mostly noisy representation."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    direction = rng.standard_normal(width)
    x = rng.standard_normal((n, width)) + np.outer(4.0 * (2 * y - 1), direction / np.linalg.norm(direction))
    return x.astype(np.float32), y


def test_the_fit_of_a_wide_stage_sees_a_bounded_subsample(monkeypatch):
    seen = []
    real = _pca.randomized_pca
    monkeypatch.setattr(_pca, "randomized_pca", lambda xc, *a, **k: seen.append(xc.shape) or real(xc, *a, **k))
    x, y = wide_blobs()
    out = sep._reduce(x.astype(np.float64), 32)
    rows = max(sep.FIT_MIN_ROWS, 4 * 32, sep.FIT_VALUES // 3000)
    assert seen == [(rows, 3000)] and rows * 3000 <= max(sep.FIT_VALUES, sep.FIT_MIN_ROWS * 3000)
    assert out.shape == (600, 32)                                   # every row is projected
    # the axes are those of the subsample drawn with seed 0, centred on the mean of every row
    xc = x.astype(np.float64) - x.astype(np.float64).mean(axis=0)
    pick = np.sort(np.random.default_rng(0).choice(600, rows, replace=False))
    comps = real(xc[pick], 32, iterations=3)[0]
    np.testing.assert_allclose(out, xc @ comps.T, rtol=1e-10, atol=1e-10)


def test_narrow_stages_are_fitted_on_every_row(monkeypatch):
    seen = []
    real = _pca.randomized_pca
    monkeypatch.setattr(_pca, "randomized_pca", lambda xc, *a, **k: seen.append(xc.shape) or real(xc, *a, **k))
    x, y = wide_blobs(n=500, width=200)
    sep._reduce(x.astype(np.float64), 32)
    assert seen == [(500, 200)]


def test_wide_separability_is_deterministic_and_still_finds_the_separator():
    x, y = wide_blobs()
    stage = [Stage("wide", 0, "activation", x, "relu")]
    a = sep.stages_separability(stage, y, max_samples=1500, max_features=32)
    b = sep.stages_separability(stage, y, max_samples=1500, max_features=32)
    np.testing.assert_array_equal(a, b)
    assert a[0] == pytest.approx(1.0)                               # the classes are 8 sigma apart
    assert sep.linear_separability(x, y, max_features=32) == pytest.approx(a[0])
