"""Every initializer's limits and spread against Keras's formulas, on large draws.

A kernel of shape (300, 700) has 210,000 weights: its extremes come within 0.1 % of a
uniform's limit, and its standard deviation within 1 % of the formula's. The shape is far
from square, so a limit from fan-in alone (or fan-out alone) is far off.
"""
import numpy as np
import pytest

import core
from core.engine import initializers

FAN_IN, FAN_OUT = 300, 700
SHAPE = (FAN_IN, FAN_OUT)

#: name -> (distribution, scale): the limit of a uniform, the std of a (truncated) normal
KERAS = {
    "glorot_uniform": ("uniform", np.sqrt(6 / (FAN_IN + FAN_OUT))),
    "he_uniform": ("uniform", np.sqrt(6 / FAN_IN)),
    "lecun_uniform": ("uniform", np.sqrt(3 / FAN_IN)),
    "random_uniform": ("uniform", 0.05),
    "glorot_normal": ("truncated", np.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_normal": ("truncated", np.sqrt(2 / FAN_IN)),
    "lecun_normal": ("truncated", np.sqrt(1 / FAN_IN)),
    "random_normal": ("normal", 0.05),
    "zeros": ("constant", 0.0),
    "ones": ("constant", 1.0),
}


def test_every_initializer_is_checked_here():
    assert set(KERAS) == set(initializers.INITIALIZERS)


@pytest.mark.parametrize("name", sorted(KERAS))
def test_limits_and_spread_follow_keras(name):
    kind, scale = KERAS[name]
    w = initializers.get(name)(SHAPE, np.random.default_rng(0))
    assert w.shape == SHAPE and w.dtype == np.float32
    if kind == "constant":
        assert np.all(w == scale)
        return
    assert abs(w.mean()) < 0.01 * scale
    if kind == "uniform":
        assert np.abs(w).max() <= np.float32(scale)
        assert w.min() < -0.999 * scale and w.max() > 0.999 * scale    # it reaches both ends
        assert w.std() == pytest.approx(scale / np.sqrt(3), rel=0.01)
    elif kind == "truncated":
        # std `scale` once values beyond two of the untruncated std are redrawn
        cut = 2 * scale / 0.87962566103423978
        assert np.abs(w).max() <= np.float32(cut) and np.abs(w).max() > 0.99 * cut
        assert w.std() == pytest.approx(scale, rel=0.01)
    else:
        assert w.std() == pytest.approx(scale, rel=0.01)
        assert np.abs(w).max() > 4 * scale     # not truncated: 210,000 draws pass 4 std ~13 times


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "lecun_uniform"])
def test_a_bias_vector_counts_its_length_as_both_fans(name):
    kind, _ = KERAS[name]
    w = initializers.get(name)((50_000,), np.random.default_rng(1))
    fans = {"glorot_uniform": np.sqrt(6 / 100_000), "he_normal": np.sqrt(2 / 50_000),
            "lecun_uniform": np.sqrt(3 / 50_000)}[name]
    spread = w.std() * (np.sqrt(3) if kind == "uniform" else 1.0)
    assert spread == pytest.approx(fans, rel=0.02)


def test_same_generator_same_draw_and_dense_uses_glorot_of_its_shape():
    a = initializers.glorot_uniform(SHAPE, np.random.default_rng(5))
    np.testing.assert_array_equal(a, initializers.glorot_uniform(SHAPE, np.random.default_rng(5)))
    model = core.Sequential([core.Dense(FAN_OUT, input_shape=(FAN_IN,))], seed=5)
    kernel, bias = model.get_weights()
    np.testing.assert_array_equal(kernel, a)                # Keras's default kernel initializer
    assert not bias.any()                                   # and zero biases


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="`kernel_initializer` must be one of .*'lecun_normal'"):
        core.Dense(3, kernel_initializer="orthogonal")
