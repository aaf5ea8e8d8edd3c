"""core.analysis.regression: a fitted curve as the sum of its units, a fitted surface, their scales."""
from __future__ import annotations

import numpy as np
import pytest

import core
from core.analysis.boundary import decision_grid, input_plane
from core.analysis.regression import (MAX_SHOWN, contour_levels, curve_axis, curve_fit, surface_grid,
                                      value_levels)


def trained(hidden=((16, "tanh"),), inputs=1, epochs=30, dropout=0.0):
    """A small regression network trained on a sine (one input) or a saddle (two)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.5, 1.5, (200, inputs)).astype(np.float32)
    y = (np.sin(2 * x[:, 0]) if inputs == 1 else x[:, 0] * x[:, 1]).astype(np.float32)
    layers = []
    for units, act in hidden:
        layers.append(core.Dense(units, act, input_shape=(inputs,) if not layers else None))
        if dropout:
            layers.append(core.Dropout(dropout))
    layers.append(core.Dense(1, "linear", input_shape=(inputs,) if not layers else None))
    model = core.Sequential(layers, seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model, x, y


def test_the_units_contributions_and_the_bias_add_up_to_the_networks_output():
    model, x, _ = trained(hidden=((8, "relu"), (12, "tanh")))
    fit = curve_fit(model, curve_axis(x))
    np.testing.assert_allclose(fit.fitted, model.predict(fit.x[:, None])[:, 0], atol=1e-6)
    np.testing.assert_allclose(fit.contributions.sum(axis=0) + fit.bias, fit.fitted, atol=1e-5)
    out = model.dense_layers[-1]
    assert fit.bias == pytest.approx(float(out.bias[0]))
    np.testing.assert_array_equal(fit.weights, out.kernel[:, 0])
    hidden = np.tanh(np.maximum(fit.x[:, None] @ model.dense_layers[0].kernel + model.dense_layers[0].bias, 0)
                     @ model.dense_layers[1].kernel + model.dense_layers[1].bias)
    np.testing.assert_allclose(fit.contributions[4], hidden[:, 4] * out.kernel[4, 0], atol=1e-5)
    assert fit.contributions.shape == (12, len(fit.x)) and fit.contributions.dtype == np.float32
    assert fit.names[0] == "Layer 2 · unit 1" and fit.names[11] == "Layer 2 · unit 12"


def test_dropout_is_the_identity_in_the_fit():
    model, x, _ = trained(dropout=0.3)
    fit = curve_fit(model, curve_axis(x))
    np.testing.assert_allclose(fit.contributions.sum(axis=0) + fit.bias, model.predict(fit.x[:, None])[:, 0],
                               atol=1e-5)


def test_without_a_hidden_layer_the_fit_is_the_input_times_its_weight():
    model, x, _ = trained(hidden=())
    fit = curve_fit(model, curve_axis(x))
    assert fit.names == ("x1",)
    np.testing.assert_allclose(fit.contributions[0], fit.x * model.dense_layers[0].kernel[0, 0], atol=1e-6)


def test_many_units_show_the_largest_and_count_the_rest():
    model, x, _ = trained(hidden=((40, "tanh"),), epochs=3)
    fit = curve_fit(model, curve_axis(x))
    size = np.abs(fit.contributions).max(axis=1)
    shown, more = fit.shown()
    assert len(shown) == MAX_SHOWN and more == 40 - MAX_SHOWN
    assert size[shown].min() >= np.delete(size, shown).max()
    assert list(shown) == sorted(shown)
    every, none_more = fit.shown(100)
    assert every.tolist() == list(range(40)) and none_more == 0


def test_the_curve_reaches_beyond_the_data_and_survives_odd_inputs():
    x = np.array([-1.0, 0.5, 2.0, np.nan], np.float32)
    axis = curve_axis(x)
    assert axis.dtype == np.float32 and np.all(np.diff(axis) > 0)
    assert axis[0] == pytest.approx(-1.75) and axis[-1] == pytest.approx(2.75)   # a quarter of the span
    assert curve_axis([3.0], n=5).tolist() == pytest.approx([2.25, 2.625, 3.0, 3.375, 3.75])   # 1 wide, widened
    assert curve_axis([np.nan], n=3).tolist() == pytest.approx([-1.5, 0.0, 1.5])
    with pytest.raises(ValueError, match="`n`"):
        curve_axis(x, n=1)


def test_a_classifier_or_a_network_on_two_inputs_has_no_curve_and_the_message_says_why():
    clf = core.Sequential([core.Dense(4, "tanh", input_shape=(1,)), core.Dense(1, "sigmoid")], seed=0)
    clf.build(1)
    with pytest.raises(ValueError, match="one linear unit.*'sigmoid'"):
        curve_fit(clf, [0.0, 1.0])
    two, _, _ = trained(inputs=2, epochs=1)
    with pytest.raises(ValueError, match="one input.*2"):
        curve_fit(two, [0.0, 1.0])


def test_the_surface_is_the_networks_output_on_the_grid():
    model, x, _ = trained(hidden=((16, "tanh"), (8, "tanh")), inputs=2, epochs=10)
    plane = input_plane(x)
    extent = (-1.7, 1.6, -1.5, 1.8)
    grid = surface_grid(model, plane, extent, resolution=9)
    a, b = np.linspace(-1.7, 1.6, 9, dtype=np.float32), np.linspace(-1.5, 1.8, 9, dtype=np.float32)
    np.testing.assert_allclose(grid[3, 5], model.predict(np.array([[a[5], b[3]]], np.float32))[0, 0], atol=1e-6)
    np.testing.assert_array_equal(grid, decision_grid(model, plane, extent, 9))
    assert grid.dtype == np.float32 and grid.shape == (9, 9)
    with pytest.raises(ValueError, match="`resolution`"):
        surface_grid(model, plane, extent, resolution=1)


def test_the_colour_scale_spans_the_targets_and_contours_sit_at_round_values_inside_it():
    lo, hi = value_levels(np.array([-1.0, 0.5]), np.array([1.0, np.nan]))
    assert (lo, hi) == pytest.approx((-1.1, 1.1))
    assert value_levels(np.array([np.nan])) == (-1.0, 1.0)
    assert value_levels(np.array([2.0, 2.0])) == (1.5, 2.5)
    assert value_levels(np.array([-0.5, 2.0]), pad=0.0, symmetric=True) == (-2.0, 2.0)
    assert value_levels(np.array([0.0]), symmetric=True) == (-1.0, 1.0)
    levels = contour_levels(-1.1, 1.1)
    assert levels.tolist() == pytest.approx([-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0])
    assert contour_levels(0.03, 0.97).tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    assert len(contour_levels(1.0, 1.0)) == 0
    for lo, hi in ((-3.2, 17.0), (1e-4, 3e-4), (-0.5, 0.4)):
        levels = contour_levels(lo, hi)
        assert 4 <= len(levels) <= 12 and levels.min() > lo and levels.max() < hi
