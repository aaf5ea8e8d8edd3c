"""Issue 20: the losses mae and huber, the metric mae, and a regression trainer's checkpoints."""
import numpy as np
import pytest

import core
from core.engine import losses
from core.run.config import TrainingConfig, build_trainer
from test_gradients import check, make_model

Y = np.array([[0.5], [-1.0], [2.0], [0.0]], dtype=np.float32)
P = np.array([[0.25], [1.5], [-0.5], [0.9]], dtype=np.float32)      # errors -0.25, 2.5, -2.5, 0.9


def test_values_follow_keras_formulas():
    e = np.abs(P - Y)[:, 0]
    assert losses.get("mae")(Y, P) == pytest.approx(np.mean(e))
    huber = np.where(e <= 1.0, 0.5 * e ** 2, 1.0 * (e - 0.5))
    assert losses.get("huber")(Y, P) == pytest.approx(np.mean(huber))
    assert losses.get("huber")(Y, P) == pytest.approx((0.5 * 0.0625 + 2.0 + 2.0 + 0.5 * 0.81) / 4)
    assert losses.get("mean_absolute_error").name == "mae"


@pytest.mark.parametrize("loss", ["mae", "huber"])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_backprop_of_the_regression_losses_matches_finite_differences(loss, hidden):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3))
    y = 2.0 * rng.normal(size=(6, 1))        # errors both inside and beyond Huber's delta of 1
    model = make_model(hidden, "linear", loss, 1)
    assert model.layers[-1].fused
    check(model, x, y)


@pytest.mark.parametrize("loss", ["mae", "huber"])
def test_the_unfused_path_matches_finite_differences_too(loss):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 3))
    y = rng.normal(size=(6, 2)) * 0.5
    model = make_model("tanh", "tanh", loss, 2)
    assert not model.layers[-1].fused
    check(model, x, y)


def test_the_fused_delta_equals_the_loss_gradient_for_a_linear_output():
    for name in ("mae", "huber"):
        fused = losses.fused_delta(name, Y, P, np.empty_like(P))
        plain = losses.get(name).gradient(Y, P, np.empty_like(P))
        np.testing.assert_array_equal(fused, plain)
    np.testing.assert_allclose(losses.fused_delta("huber", Y, P, np.empty_like(P))[:, 0],
                               np.array([-0.25, 1.0, -1.0, 0.9]) / 4)


def test_the_mae_metric_is_logged_as_keras_names_it():
    model = core.Sequential([core.Dense(4, "tanh", input_shape=(1,)), core.Dense(1, "linear")], seed=0)
    model.compile("adam", "mse", metrics=["mae"])
    x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    y = np.sin(3 * x[:, 0])
    logs = model.evaluate(x, y, return_dict=True)
    p = model.predict(x)[:, 0]
    assert set(logs) == {"loss", "mae"}
    assert logs["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-6)
    history = model.fit(x, y, epochs=2, batch_size=7, validation_split=0.25, verbose=0, seed=0)
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    with pytest.raises(ValueError, match=r"accuracy metrics .* or 'mae', not both"):
        model.compile("adam", "mse", metrics=["mae", "accuracy"])


def test_a_regression_snapshot_holds_each_batch_mae():
    # one batch of the whole training set: its MAE (before the update) is the mean |error| of all
    config = TrainingConfig(task="regression", dataset="poly", loss="huber", n_samples=100, batch_size=80)
    trainer, ((x, y), _) = build_trainer(config)
    p = trainer.model.predict(x)[:, 0]
    trainer.train_batch()
    snap = trainer.snapshot()
    assert snap.batch_accuracies.shape == (1,)
    assert snap.batch_accuracies[0] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-5)
    assert snap.batch_losses[0] == pytest.approx(losses.get("huber")(y, p[:, None]), rel=1e-5)


def test_a_regression_trainer_restored_mid_epoch_goes_on_bit_for_bit():
    config = TrainingConfig(task="regression", dataset="bumps", loss="mae", n_samples=120, batch_size=10)
    a, _ = build_trainer(config)
    for _ in range(15):                       # one epoch of 10 batches and 5 of the next
        a.train_batch()
    ckpt = a.checkpoint()
    assert isinstance(ckpt.partial[1], float) and ckpt.partial[1] > 0      # summed absolute errors
    logs = [{"epoch": 1, **{k: v[0] for k, v in a.history.history.items()}}]
    b, _ = build_trainer(config)
    b.restore(ckpt, logs)
    for _ in range(12):
        a.train_batch()
        b.train_batch()
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        assert np.array_equal(wa.view(np.uint32), wb.view(np.uint32))
    assert a.history.history == b.history.history
    assert set(a.history.history) == {"loss", "mae", "val_loss", "val_mae"}
