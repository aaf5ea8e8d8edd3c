"""What the layer and network views compute for regression runs (issue 20): each unit's curve over x
for a network on one input, and the R² of a straight fit of the target from each stage."""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis.uncrumple.geometry import stages
from core.analysis.uncrumple.linearity import linear_r2, stages_linearity
from core.analysis.units import unit_curves
from core.run.config import TrainingConfig
from core.run.serve import _Run

SINE = TrainingConfig(task="regression", dataset="sine", loss="mse", hidden=((8, "tanh"), (8, "tanh")),
                      n_samples=200, optimizer="adam", learning_rate=0.01)


@pytest.fixture(scope="module")
def sine_run():
    run = _Run(SINE)
    for _ in range(60):
        run.trainer.train_epoch()
    return run


def test_unit_curves_are_every_layers_output_along_x(sine_run):
    model = sine_run.trainer.model
    x, curves = unit_curves(model, (-2.0, 1.5), 50)
    assert x.dtype == np.float32 and x[0] == -2.0 and x[-1] == 1.5 and np.all(np.diff(x) > 0)
    assert [c.shape for c in curves] == [(1, 50), (8, 50), (8, 50), (1, 50)]
    assert all(c.dtype == np.float32 and c.flags.c_contiguous for c in curves)
    np.testing.assert_array_equal(curves[0][0], x)
    np.testing.assert_allclose(curves[-1][0], model.predict(x[:, None])[:, 0], rtol=1e-5, atol=1e-6)
    hidden = np.tanh(x[:, None] @ model.dense_layers[0].kernel + model.dense_layers[0].bias)
    np.testing.assert_allclose(curves[1], hidden.T, rtol=1e-4, atol=1e-5)


def test_unit_curves_refuse_a_network_on_two_inputs_and_a_bad_span(sine_run):
    two = _Run(TrainingConfig(task="regression", dataset="bumps", loss="mse", n_samples=100)).trainer.model
    with pytest.raises(ValueError, match="one input; this one takes 2"):
        unit_curves(two, (0.0, 1.0))
    with pytest.raises(ValueError, match=r"x0 < x1. Received: span=\(1.0, 1.0\)"):
        unit_curves(sine_run.trainer.model, (1.0, 1.0))


def test_r2_of_a_straight_fit_is_one_for_a_linear_target_and_low_for_a_sine():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.5, 1.5, (300, 2)).astype(np.float32)
    assert linear_r2(x, 2 * x[:, 0] - x[:, 1] + 0.3) == pytest.approx(1.0, abs=1e-6)
    assert linear_r2(x[:, :1], np.sin(3 * x[:, 0])) < 0.5
    assert linear_r2(np.sin(3 * x[:, :1]), np.sin(3 * x[:, 0])) == pytest.approx(1.0, abs=1e-6)
    assert np.isnan(linear_r2(x, np.ones(300)))                     # nothing to explain
    assert linear_r2(np.ones((300, 3)), x[:, 0]) == 0.0               # constant features explain nothing
    with pytest.raises(ValueError, match=r"one target per row of `values` \(300\)"):
        linear_r2(x, np.zeros(5))


def test_the_trained_network_makes_the_sine_linear_layer_by_layer(sine_run):
    """The regression analogue of separability: the input explains little of a sine by a straight fit,
    the last hidden layer of a network that fits it nearly all; ``+ b`` takes its dot stage's value."""
    run = sine_run.snapshot(with_run=True).run
    st = stages(sine_run.trainer.model, run.x_train)
    r2 = stages_linearity(st, run.y_train, max_features=32)
    assert r2.shape == (len(st),) and r2.dtype == np.float32
    assert r2[0] < 0.6 and r2[-4] > 0.95 and r2[-1] > 0.95        # input; last hidden activation; output
    assert r2[2] == r2[1] and r2[5] == r2[4]                          # + b: a translation
    assert np.all((r2 >= 0) & (r2 <= 1))
