"""Issue 20: Show code for a regression run — the data made to the bit, one linear unit, mae."""
import ast
import sys

import numpy as np
import pytest

from core.datasets import REGRESSION_GENERATORS
from core.run.codegen import keras_code, pytorch_code
from core.run.config import REGRESSION_LOSSES, TrainingConfig, build_model, load_data, make_optimizer
from test_codegen import _copy_weights, _exec_keras, _torch_script
from test_codegen_csv import assert_same, script_namespace


def _regression(dataset="sine", **changes):
    base = dict(task="regression", dataset=dataset, loss="mse", n_samples=90, noise=0.2, seed=4,
                validation_split=0.3)
    return TrainingConfig(**{**base, **changes})


def _flat(pairs):
    return [a for pair in pairs for a in pair]


@pytest.mark.parametrize("name", list(REGRESSION_GENERATORS))
def test_the_generated_data_are_the_apps_to_the_bit(name):
    config = _regression(name)
    got, want = _flat(script_namespace(config)["load_data"]()), _flat(load_data(config))
    assert_same(got, want)
    assert got[1].dtype == np.float32


def test_a_regression_csv_is_read_as_real_targets_and_split_as_the_app_does(tmp_path):
    path = tmp_path / "r.csv"
    rng = np.random.default_rng(0)
    path.write_text("x1,x2,target\n" + "".join(f"{a:.4f},{b:.4f},{a * b + 0.123:.5f}\n"
                                               for a, b in rng.normal(size=(70, 2))))
    config = TrainingConfig(csv_path=str(path), task="regression", loss="mae", n_samples=50, seed=2)
    got, want = _flat(script_namespace(config)["load_data"]()), _flat(load_data(config))
    assert_same(got, want)
    assert got[1].dtype == np.float32 and len(got[1]) + len(got[3]) == 50


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_the_keras_script_ends_in_one_linear_unit_and_reports_mae(loss):
    config = _regression("bumps", loss=loss, l2=0.01)
    model = _exec_keras(keras_code(config, 2, 1))["build_model"]()
    ours = build_model(config, 2)
    dense = [layer for layer in model.args[0] if layer.kind == "Dense"]
    assert (dense[-1].args[0], dense[-1].kwargs["activation"]) == (1, "linear")
    assert model.count_params() == ours.count_params()
    assert model.compiled["loss"] == loss and model.compiled["metrics"] == ["mae"]
    want = make_optimizer(config).get_config()
    assert model.compiled["optimizer"].kwargs == {k: v for k, v in want.items() if k != "name"}
    assert "mean absolute error" in keras_code(config, 2, 1) and "N_CLASSES" not in keras_code(config, 2, 1)


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_the_pytorch_loss_and_gradients_are_ours(loss):
    torch = pytest.importorskip("torch")
    config = _regression("saddle", loss=loss, l2=0.01, hidden=((5, "tanh"), (4, "relu")))
    ns = _torch_script(config, 2, 1)
    model, ours = ns["build_model"](), build_model(config, 2)
    _copy_weights(ours, model)
    x = np.random.default_rng(1).uniform(-1.5, 1.5, size=(12, 2)).astype(np.float32)
    y = (3.0 * x[:, 0] * x[:, 1]).astype(np.float32)       # errors inside and beyond Huber's delta
    out = model(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), ours.predict(x), rtol=1e-5, atol=1e-6)
    loss_value = ns["loss_fn"](model, out, ns["targets"](torch.from_numpy(y)))
    assert loss_value.item() == pytest.approx(ours.evaluate(x, y)[0], rel=1e-5)
    loss_value.backward()
    grads = [g for m in model if isinstance(m, torch.nn.Linear) for g in (m.weight.grad.T, m.bias.grad)]
    for g, want in zip(grads, ours.gradients(x, y)):
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-4, atol=1e-6)
    _, mae = ns["evaluate"](model, torch.from_numpy(x), torch.from_numpy(y))
    assert mae == pytest.approx(ours.evaluate(x, y)[1], rel=1e-5)


def test_the_pytorch_script_trains_without_uncrumple(capsys, monkeypatch):
    pytest.importorskip("torch")
    code, ns = pytorch_code(_regression("abs", loss="huber", epochs=2, l2=0.001), 1, 1), {"__name__": "generated"}
    for name in [m for m in sys.modules if m.split(".")[0] in ("core", "viz")]:
        monkeypatch.setitem(sys.modules, name, None)     # any import of Uncrumple fails now
    exec(compile(code, "<pytorch>", "exec"), ns)
    ns["main"]()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("Epoch 1/2 - loss: ") and " - mae: " in out[0]
    assert "val_mae" in out[-1] and "accuracy" not in "".join(out)


@pytest.mark.parametrize("config", [_regression(name) for name in REGRESSION_GENERATORS]
                         + [TrainingConfig(csv_path="points.csv", task="regression", loss="mse")],
                         ids=lambda c: c.csv_path or c.dataset)
def test_no_regression_script_imports_uncrumple(config):
    for make in (keras_code, pytorch_code):
        tree = ast.parse(make(config, 2, 1))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert {name.split(".")[0] for name in imported} <= {"numpy", "csv", "math", "random", "keras", "torch"}
