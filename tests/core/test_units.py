"""Every unit's output over the input plane, and one unit's sum written out (core.analysis.units)."""
from __future__ import annotations

import numpy as np
import pytest

import core
from core.analysis.boundary import decision_grid, input_plane
from core.analysis.units import input_names, unit_formula, unit_grids


def net(hidden=((3, "tanh"),), d=2, out=(1, "sigmoid"), seed=0):
    layers = [core.Dense(u, activation=a) for u, a in hidden] + [core.Dense(out[0], activation=out[1])]
    model = core.Sequential(layers, seed=seed)
    model.build(d)
    return model


def test_grids_are_every_layers_activation_at_each_grid_point():
    model = net(((4, "tanh"), (3, "relu")))
    plane = input_plane(np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32))
    extent = (-2.0, 2.0, -1.0, 3.0)
    grids = unit_grids(model, plane, extent, resolution=5)
    assert [g.shape for g in grids] == [(2, 5, 5), (4, 5, 5), (3, 5, 5), (1, 5, 5)]
    assert all(g.dtype == np.float32 and g.flags.c_contiguous for g in grids)
    # row i is y, column j is x: the input pictures are the coordinates themselves
    np.testing.assert_allclose(grids[0][0, 3], np.linspace(-2, 2, 5), atol=1e-6)     # x1 along a row
    np.testing.assert_allclose(grids[0][1][:, 2], np.linspace(-1, 3, 5), atol=1e-6)  # x2 up a column
    # a point's activations are those of the network on that point
    point = np.float32([[-1.0, 2.0]])                 # column 1, row 3
    acts = [t.output for t in model.trace(point)]
    for l, a in enumerate(acts, start=1):
        np.testing.assert_allclose(grids[l][:, 3, 1], a[0], rtol=1e-5, atol=1e-6)
    assert grids[2].min() >= 0.0                       # relu
    # the output picture is the decision boundary's grid
    np.testing.assert_allclose(grids[-1][0], decision_grid(model, plane, extent, 5), rtol=1e-6)


def test_three_d_inputs_are_the_plane_lifted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 3)).astype(np.float32) * np.float32([3, 1, 0.2])
    plane = input_plane(x)
    model = net(d=3)
    grids = unit_grids(model, plane, (-1.0, 1.0, -1.0, 1.0), resolution=4)
    assert grids[0].shape == (3, 4, 4)
    lifted = plane.lift(np.float32([[1.0, -1.0]]))[0]   # column 3, row 0
    np.testing.assert_allclose(grids[0][:, 0, 3], lifted, rtol=1e-6)
    with pytest.raises(ValueError, match="3-D space"):
        unit_grids(net(d=2), plane, (-1.0, 1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="resolution"):
        unit_grids(model, plane, (-1.0, 1.0, -1.0, 1.0), resolution=1)


def set_unit(model, layer, kernel, bias):
    dense = model.dense_layers[layer]
    dense.kernel[...] = np.asarray(kernel, np.float32)
    dense.bias[...] = np.asarray(bias, np.float32)


def test_formula_of_a_first_layer_unit_with_real_numbers():
    model = net()
    set_unit(model, 0, [[0.52, 1.0, 0.0], [-1.3, 0.0, 0.0]], [0.1, 0.0, 0.0])
    text = unit_formula(model, 0, 0, np.float32([0.4, -1.1]))
    z = 0.52 * 0.4 + 1.3 * 1.1 + 0.1
    assert text.splitlines() == [
        "tanh(0.52·x1 − 1.3·x2 + 0.1)",
        f"= tanh(0.52·0.4 − 1.3·(−1.1) + 0.1) = tanh({z:.3g}) = {np.tanh(z):.3g}"]


def test_formula_of_a_later_layer_names_the_previous_outputs_and_shortens_long_sums():
    model = net(((10, "relu"), (2, "linear")))
    x = np.float32([0.3, -0.2])
    text = unit_formula(model, 1, 1, x)
    lines = text.splitlines()
    assert lines[0].startswith("a1") or lines[0].startswith("−") and "·a1" in lines[0]
    assert "·a10" in text and "+ … (2 more)" in text and "·a8" not in text
    assert "relu" not in lines[0]                      # a linear unit has no wrapper
    h = np.maximum(x @ model.dense_layers[0].kernel + model.dense_layers[0].bias, 0)
    want = float(h @ model.dense_layers[1].kernel[:, 1] + model.dense_layers[1].bias[1])
    assert text.endswith(f"= {want:.3g}".replace("-", "−"))
    assert input_names(0, 3) == ["x1", "x2", "x3"] and input_names(2, 2) == ["a1", "a2"]


def test_formula_of_a_softmax_unit_shows_its_z_and_the_softmax():
    model = net(out=(3, "softmax"))
    x = np.float32([0.5, 0.5])
    text = unit_formula(model, 1, 2, x)
    p = model.predict(x[None])[0, 2]
    assert text.startswith("z = ") and text.endswith(f"softmax of the layer's z: {p:.3g}")
