"""Tests for core.analysis.loss.slices through core.analysis.loss.landscape: the 1D slice, the next step, the two-weight model (issue 5)."""
from __future__ import annotations

import numpy as np
import pytest

from core import load_model
from core.engine import optimizers
from core.analysis.loss import landscape as L

from landscape_support import spiral_model

RTOL = 1e-4


# ---- 1D slice and the next step ----------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.05, momentum=0.9),
    lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: optimizers.RMSprop(0.01, momentum=0.5),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.Adam(0.01),
], ids=["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam"])
def test_next_step_is_the_step_a_full_batch_update_takes(make):
    model, x, y = spiral_model(epochs=0)
    model.compile(make(), "binary_crossentropy", metrics=["accuracy"])
    for _ in range(3):                               # some optimizer state to carry along
        model.train_on_batch(x[:50], y[:50])
    before, state = model.get_weights(), model.optimizer.get_state()
    step = L.next_step(model, x, y)
    np.testing.assert_array_equal(L.flatten(model.get_weights()), L.flatten(before))   # untouched
    assert model.optimizer.get_state()["iterations"] == state["iterations"]
    for s0, s1 in zip(state["slots"], model.optimizer.get_state()["slots"]):
        np.testing.assert_array_equal(s0, s1)
    model.train_on_batch(x, y)                       # the real step, float32
    actual = L.flatten(model.get_weights()) - L.flatten(before)
    np.testing.assert_allclose(step, actual, rtol=2e-3, atol=1e-6)
    assert np.linalg.norm(step - actual) <= 1e-3 * np.linalg.norm(actual)


def test_next_step_of_plain_sgd_is_minus_lr_times_the_gradient():
    model, x, y = spiral_model()
    model.compile(optimizers.SGD(0.3), "binary_crossentropy")
    grads = L.flatten(model.gradients(x, y))
    # exact up to float64 rounding of (w - lr g) - w
    np.testing.assert_allclose(L.next_step(model, x, y), -0.3 * grads, rtol=1e-9, atol=1e-15)


def test_slice_1d_follows_the_next_step():
    model, x, y = spiral_model()
    model.compile(optimizers.SGD(0.5), "binary_crossentropy", metrics=["accuracy"])
    s = L.slice_1d(model, x, y, span=0.5, resolution=11)
    assert s.t.shape == s.losses.shape == s.accuracy.shape == (11,)
    assert s.loss == pytest.approx(model.evaluate(x, y)[0], rel=RTOL)
    assert s.losses[5] == pytest.approx(s.loss, rel=1e-6)            # t = 0 in the middle
    assert np.linalg.norm(s.direction) == pytest.approx(1.0)
    grad = L.flatten(model.gradients(x, y))
    assert s.step == pytest.approx(0.5 * np.linalg.norm(grad), rel=1e-9)   # lr * |g| along -g
    assert s.slope == pytest.approx(-np.linalg.norm(grad), rel=1e-6)        # downhill
    saved = model.get_weights()
    for k in (0, 3, 10):
        model.set_weights(L.unflatten(s.centre + s.t[k] * s.direction, [w.shape for w in saved]))
        assert s.losses[k] == pytest.approx(model.evaluate(x, y)[0], rel=RTOL)
    model.set_weights(saved)


def test_slice_1d_along_one_parameter_and_its_slope():
    model, x, y = spiral_model()
    s = L.slice_1d(model, x, y, direction=24 + 3 * 8, span=1e-3, resolution=3)
    assert s.label == "dense_1 W[3,0]"
    finite_difference = (float(s.losses[2]) - float(s.losses[0])) / 2e-3
    assert s.slope == pytest.approx(finite_difference, rel=2e-2, abs=1e-3)
    custom = L.slice_1d(model, x, y, direction=model.get_weights(), span=0.1, resolution=3)
    assert custom.label == "t"
    with pytest.raises(ValueError, match="direction"):
        L.slice_1d(model, x, y, direction=np.zeros(model.count_params()))


# ---- the two-parameter model ------------------------------------------------------------------
def test_two_weight_model_has_exactly_two_weights_and_its_plane_is_the_whole_space():
    model = L.two_weight_model(seed=0)
    x, y = L.two_weight_data(seed=0)
    assert model.count_params() == 2 and [w.shape for w in model.get_weights()] == [(2, 1)]
    assert L.parameter_names(model) == ["dense W[0,0]", "dense W[1,0]"]
    plane = L.weight_plane(model, 0, 1)
    history = [model.get_weights()]
    for _ in range(5):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, seed=0)
        history.append(model.get_weights())
    assert not model.layers[0].bias.any()                   # the bias never moved
    path = plane.project_path(history)
    np.testing.assert_allclose(path + plane.centre, np.stack([L.flatten(w) for w in history]), atol=1e-12)
    assert model.evaluate(x, y)[0] < L.evaluate_points(model, x, y, plane, [[0.0, 0.0]])[0][0]
    # the surface at the path's points is the true loss there (fig. 2.12)
    losses, _ = L.evaluate_points(model, x, y, plane, path)
    for k, w in enumerate(history):
        model.set_weights(w)
        assert losses[k] == pytest.approx(model.evaluate(x, y)[0], rel=RTOL)


def test_two_weight_model_round_trips_through_save_and_load_model(tmp_path):
    model = L.two_weight_model(seed=3, optimizer="adam", learning_rate=0.1)
    x, y = L.two_weight_data(n=100, seed=3)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=0)       # optimizer state is saved too
    model.save(tmp_path / "two.npz")
    back = load_model(tmp_path / "two.npz")
    assert back.count_params() == 2 and [w.shape for w in back.get_weights()] == [(2, 1)]
    assert back.layers[0].use_bias is False and back.get_config() == model.get_config()
    assert L.parameter_names(back) == ["dense W[0,0]", "dense W[1,0]"]
    np.testing.assert_array_equal(back.get_weights()[0], model.get_weights()[0])
    assert back.evaluate(x, y) == model.evaluate(x, y)
    np.testing.assert_array_equal(L.next_step(back, x, y), L.next_step(model, x, y))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, seed=1)      # and both go on identically
    back.fit(x, y, epochs=1, batch_size=32, verbose=0, seed=1)
    np.testing.assert_array_equal(back.get_weights()[0], model.get_weights()[0])
    assert not back.layers[0].bias.any()


def test_two_weight_data_has_its_minimum_in_view():
    model = L.two_weight_model(seed=0)
    x, y = L.two_weight_data(seed=0)
    plane = L.weight_plane(model, 0, 1)
    c = plane.centre
    grid = L.evaluate_grid(model, x, y, plane, resolution=41, span=(-c[0] - 2, 8 - c[0], -c[1] - 2, 8 - c[1]))
    i, j = np.unravel_index(np.argmin(grid.losses), grid.losses.shape)
    assert 0 < i < 40 and 0 < j < 40                        # an interior minimum: a bowl
    assert grid.accuracy[i, j] > 0.85
