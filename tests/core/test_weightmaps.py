"""core.analysis.weights.weightmaps against hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig, build_model
from core.analysis.weights.weightmaps import (LOG_RATIO_RANGE, diagram_layout, display_matrix, link_bins, log_ratio,
                             sticky_level, symmetric_levels, top_units, unit_activations)


# ---- display_matrix -----------------------------------------------------------------------------
def test_a_small_matrix_is_shown_as_is():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    d = display_matrix(a)
    assert d.values.dtype == np.float32 and d.values.flags.c_contiguous
    np.testing.assert_array_equal(d.values, a)
    np.testing.assert_array_equal(d.row_edges, [0, 1, 2])
    np.testing.assert_array_equal(d.col_edges, [0, 1, 2, 3])
    assert not d.downsampled


def test_maxabs_keeps_the_sign_of_the_largest_magnitude_in_each_block():
    a = np.array([[1.0, -5.0, 2.0, 0.5, 9.0],
                  [3.0, 0.0, -1.0, -7.0, 0.0],
                  [0.1, 0.2, 0.3, 0.4, -0.5]])
    d = display_matrix(a, max_cells=(2, 2))          # blocks of 2 x 3 (the last ones smaller)
    np.testing.assert_array_equal(d.row_edges, [0, 2, 3])
    np.testing.assert_array_equal(d.col_edges, [0, 3, 5])
    np.testing.assert_array_equal(d.values, np.float32([[-5.0, 9.0], [0.3, -0.5]]))
    assert d.source(0, 1) == (0, 2, 3, 5)
    assert d.downsampled


def test_mean_and_max_ignore_the_padding_of_the_last_block():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mean = display_matrix(a, max_cells=(1, 2), reduce="mean")
    np.testing.assert_allclose(mean.values, [[(1 + 2 + 4 + 5) / 4, (3 + 6) / 2]])
    mx = display_matrix(-a, max_cells=(1, 2), reduce="max")
    np.testing.assert_allclose(mx.values, [[-1.0, -3.0]])


def test_a_nan_in_a_block_shows_as_nan_in_every_reduction():
    a = np.ones((4, 4))
    a[0, 0] = np.nan
    for how in ("maxabs", "mean", "max"):
        v = display_matrix(a, max_cells=(2, 2), reduce=how).values
        assert np.isnan(v[0, 0]) and np.isfinite(v[1:, :]).all() and np.isfinite(v[0, 1])


def test_mnist_kernel_fits_256_cells_and_a_bias_becomes_one_row():
    w = np.random.default_rng(0).normal(size=(784, 512)).astype(np.float32)
    d = display_matrix(w)
    assert d.values.shape == (196, 256)          # blocks of 4 x 2
    r0, r1, c0, c1 = d.source(10, 20)
    block = w[r0:r1, c0:c1]
    assert (r0, r1, c0, c1) == (40, 44, 40, 42)
    assert d.values[10, 20] == block.flat[np.argmax(np.abs(block))]
    b = display_matrix(np.arange(512.0), max_cells=(1, 256), reduce="mean")
    assert b.values.shape == (1, 256) and b.values[0, 0] == 0.5


def test_display_matrix_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`a` must have 1 or 2 dimensions"):
        display_matrix(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="`reduce`"):
        display_matrix(np.zeros((2, 2)), reduce="median")
    with pytest.raises(ValueError, match="`max_cells`"):
        display_matrix(np.zeros((2, 2)), max_cells=(0, 3))


# ---- levels ---------------------------------------------------------------------------------------
def test_symmetric_levels_are_the_percentile_of_the_magnitudes():
    a = np.array([-4.0, 1.0, 2.0, 3.0])
    assert symmetric_levels(a, percentile=100) == (-4.0, 4.0)
    lo, hi = symmetric_levels([a, np.array([[-10.0]])], percentile=50)
    assert hi == pytest.approx(3.0) and lo == -hi     # median of |.| over 1, 2, 3, 4, 10


@pytest.mark.parametrize("arrays, expected", [
    (np.full((3, 3), np.nan), (-1.0, 1.0)),
    (np.zeros((0, 4)), (-1.0, 1.0)),
    (np.zeros((5, 5)), (-1.0, 1.0)),
    (np.full((4, 4), -0.25), (-0.25, 0.25)),
    (np.array([np.inf, -np.inf, 2.0, np.nan]), (-2.0, 2.0)),
    ([], (-1.0, 1.0)),
])
def test_symmetric_levels_are_finite_for_degenerate_arrays(arrays, expected):
    assert symmetric_levels(arrays, percentile=100) == pytest.approx(expected)


def test_symmetric_levels_of_mostly_zeros_use_the_largest_magnitude():
    a = np.zeros(1000)
    a[3] = -0.5
    assert symmetric_levels(a) == (-0.5, 0.5)


def test_symmetric_levels_of_huge_values_stay_finite():
    lo, hi = symmetric_levels(np.array([3e38, -3e38], np.float32))
    assert np.isfinite([lo, hi]).all() and hi > 1e38 and lo == -hi


def test_sticky_level_changes_only_when_the_values_leave_it_by_a_lot():
    assert sticky_level(None, 0.3) == 0.3
    assert sticky_level(1.0, 1.4) == 1.0          # within 1.5x: colours stay comparable
    assert sticky_level(1.0, 0.4) == 1.0          # above 1/3
    assert sticky_level(1.0, 1.6) == 1.6          # outgrew it
    assert sticky_level(1.0, 0.3) == 0.3          # shrank well below it


# ---- log ratio ------------------------------------------------------------------------------------
def test_log_ratio_against_hand_values_and_zeros():
    u = np.array([0.001, 0.1, 0.0, 1.0, 0.0, np.nan])
    w = np.array([1.0, 0.1, 2.0, 0.0, 0.0, 1.0])
    r = log_ratio(u, w)
    assert r.dtype == np.float32
    np.testing.assert_allclose(r[:5], [-3.0, 0.0, LOG_RATIO_RANGE[0], LOG_RATIO_RANGE[1], LOG_RATIO_RANGE[0]],
                               atol=1e-6)
    assert np.isnan(r[5])
    with pytest.raises(ValueError, match="same shape"):
        log_ratio(np.zeros(2), np.zeros(3))


# ---- diagram ------------------------------------------------------------------------------------
def test_diagram_of_a_2_3_1_net_has_every_link_with_its_weight():
    w1 = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    w2 = np.array([[1.0], [-2.0], [3.0]], np.float32)
    d = diagram_layout((2, 3, 1), kernels=[w1, w2])
    assert len(d.positions) == 6 and len(d.edges) == 2 * 3 + 3 * 1
    np.testing.assert_array_equal(d.positions[:, 0], [0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(d.positions[:, 1], [0.5, -0.5, 1, 0, -1, 0])
    # link input 1 -> unit 2 of layer 1 is w1[1, 2]
    k = int(np.flatnonzero((d.edges[:, 0] == 1) & (d.edges[:, 1] == 4))[0])
    assert d.weights[k] == w1[1, 2] and d.edge_layer[k] == 0 and tuple(d.edge_index[k]) == (1, 2)
    np.testing.assert_array_equal(d.weights[-3:], [1.0, -2.0, 3.0])
    assert d.more == [] and d.hidden == [0, 0, 0]


def test_wide_layers_show_the_units_with_the_largest_outgoing_weights():
    rng = np.random.default_rng(1)
    w1 = rng.normal(size=(40, 20)).astype(np.float32) * 0.01
    w1[[3, 17, 33], :] = 1.0                       # three inputs with big outgoing weights
    w2 = rng.normal(size=(20, 2)).astype(np.float32)
    units = top_units((40, 20, 2), [w1, w2], max_units=3)
    np.testing.assert_array_equal(units[0], [3, 17, 33])
    np.testing.assert_array_equal(units[1], np.sort(np.argsort(-np.abs(w2).sum(axis=1))[:3]))
    d = diagram_layout((40, 20, 2), max_units=3, kernels=[w1, w2])
    assert d.hidden == [37, 17, 0]
    assert [(l, n) for l, n, _ in d.more] == [(0, 37), (1, 17)]
    assert len(d.edges) == 3 * 3 + 3 * 2
    # the output layer (no outgoing weights) is ranked by its incoming weights
    assert list(top_units((3, 5), [np.array([[0, 9, 0, 1, 0]] * 3, np.float32)], max_units=2)[1]) == [1, 3]


def test_diagram_checks_kernel_shapes():
    with pytest.raises(ValueError, match=r"kernels\[0\]"):
        diagram_layout((2, 3), kernels=[np.zeros((3, 2))])
    with pytest.raises(ValueError, match="layer_sizes"):
        diagram_layout((2,))


def test_link_bins_are_proportional_to_magnitude():
    bins = link_bins([0.0, 0.1, -0.5, 0.99, 1.0, 7.0, np.nan], scale=1.0, n_bins=5)
    np.testing.assert_array_equal(bins, [0, 0, 2, 4, 4, 4, 4])


def test_unit_activations_follow_the_formula():
    model = build_model(TrainingConfig(hidden=((3, "tanh"),)), 2)
    w1, b1, w2, b2 = model.get_weights()
    x = np.array([0.3, -0.7], np.float32)
    acts = unit_activations(model, x)
    h = np.tanh(x @ w1 + b1)
    p = 1 / (1 + np.exp(-(h @ w2 + b2)))
    assert [a.shape for a in acts] == [(2,), (3,), (1,)]
    np.testing.assert_allclose(acts[1], h, rtol=1e-5)
    np.testing.assert_allclose(acts[2], p, rtol=1e-5)
    batch = unit_activations(model, np.stack([x, -x]))
    assert batch[1].shape == (2, 3)
    np.testing.assert_allclose(batch[1][0], h, rtol=1e-5)
