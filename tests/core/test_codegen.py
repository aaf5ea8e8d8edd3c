"""Show code: the Keras and PyTorch scripts written from a TrainingConfig.

The scripts need only their framework and NumPy: no ``import core`` anywhere, and the data
made inline are the app's to the bit, for every generator. The Keras script's
``build_model()`` runs against a small stand-in ``keras`` module that records what it is asked
to build; where Keras is installed, the scripts also run for real in a process that cannot
import Uncrumple, and their first losses (from the engine's initial weights) are the engine's.
The PyTorch script is run for real when torch is importable, and checked against our own
engine: same parameter count, same outputs, losses and gradients for the same weights, same
optimizer step.
"""
from __future__ import annotations

import ast
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from core.engine import activations, losses, optimizers
from core import datasets
from core.run.codegen import (DEFAULT_EPOCHS, TORCH_ACTIVATION, TORCH_LOSS, TORCH_REGRESSION_LOSS, keras_code,
                              pytorch_code)
from core.run.config import (OUTPUT_ACTIVATION, REGRESSION_LOSSES, build_model, load_data, make_optimizer,
                             targets_for, TrainingConfig)

LOSSES = list(OUTPUT_ACTIVATION)     # a classifier's losses (regression: tests/core/test_regression_codegen.py)
OPTIMIZERS = list(optimizers.OPTIMIZERS)
ACTIVATIONS = list(activations.ACTIVATIONS)


def _configs():
    """Every optimizer, loss and activation, with and without dropout and L2, 0..4 hidden layers."""
    for i, (opt, loss, act) in enumerate(itertools.product(OPTIMIZERS, LOSSES, ACTIVATIONS)):
        n_layers = i % 5
        hidden = tuple((3 + k, ACTIVATIONS[(ACTIVATIONS.index(act) + k) % len(ACTIVATIONS)])
                       for k in range(n_layers))
        yield TrainingConfig(hidden=hidden, loss=loss, optimizer=opt, momentum=0.5 * (i % 2),
                             nesterov=bool(i % 4 == 1), dropout=0.25 * (i % 3 == 0),
                             l2=0.01 * (i % 2 == 0), epochs=None if i % 2 else 7, learning_rate=0.02)


def test_tables_cover_every_activation_and_loss():
    assert set(TORCH_ACTIVATION) == set(ACTIVATIONS)
    assert set(TORCH_LOSS) == set(OUTPUT_ACTIVATION) and set(TORCH_REGRESSION_LOSS) == set(REGRESSION_LOSSES)
    assert set(TORCH_LOSS) | set(TORCH_REGRESSION_LOSS) == set(losses.LOSSES)


def test_every_config_compiles():
    n = 0
    for config in _configs():
        for k in (2, 3) if config.loss not in ("mse", "binary_crossentropy") else (2,):
            for make in (keras_code, pytorch_code):
                compile(make(config, 2, k), f"<{make.__name__}>", "exec")
                n += 1
    assert n == 2 * (4 * 4 * 6 + 4 * 2 * 6)   # two scripts; softmax losses also with 3 classes


def test_keras_key_lines():
    c = TrainingConfig()
    code = keras_code(c, 2, 2)
    assert 'layers.Dense(16, activation="tanh")' in code
    assert code.count('layers.Dense(16, activation="tanh")') == 2
    assert 'layers.Dense(1, activation="sigmoid")' in code
    assert "keras.Input(shape=(2,))" in code
    assert "optimizer=keras.optimizers.Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-07)" in code
    assert 'loss="binary_crossentropy"' in code
    assert "BATCH_SIZE = 32" in code and "SEED = 0" in code
    assert f"EPOCHS = {DEFAULT_EPOCHS}  #" in code
    assert "N_SAMPLES = 400\nNOISE = 0.05\nVALIDATION_SPLIT = 0.2\n" in code
    assert "x, y = make_data(N_SAMPLES, NOISE, SEED)" in code
    assert "return train_val_split(x, y, VALIDATION_SPLIT, SEED)" in code
    assert "Dropout" not in code and "regularizers" not in code
    assert "Network:   2 inputs -> 16 tanh -> 16 tanh -> 1 sigmoid\n" in code


def test_keras_optimizers_and_regularization():
    code = keras_code(TrainingConfig(optimizer="sgd", momentum=0.9, nesterov=True, learning_rate=0.1,
                                     l2=0.001, dropout=0.2, epochs=12, hidden=((4, "relu"),)), 3, 2)
    assert "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)" in code
    assert 'layers.Dense(4, activation="relu", kernel_regularizer=regularizers.L2(0.001))' in code
    assert "layers.Dropout(0.2)" in code and "EPOCHS = 12\n" in code
    assert "keras.Input(shape=(3,))" in code
    code = keras_code(TrainingConfig(optimizer="rmsprop", rho=0.8, momentum=0.1), 2, 2)
    assert "keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.1, epsilon=1e-07)" in code
    code = keras_code(TrainingConfig(optimizer="adagrad"), 2, 2)
    assert "keras.optimizers.Adagrad(learning_rate=0.01, initial_accumulator_value=0.1, epsilon=1e-07)" in code


def test_csv_path_and_categorical_targets():
    c = TrainingConfig(csv_path='C:\\Users\\Nick\\my "points".csv', loss="categorical_crossentropy")
    code = keras_code(c, 4, 3)
    assert r'x, y = load_csv("C:\\Users\\Nick\\my \"points\".csv")' in code
    compile(code, "<keras>", "exec")
    assert 'layers.Dense(3, activation="softmax")' in code
    assert "keras.utils.to_categorical(y_train, N_CLASSES)" in code
    assert r'load_csv("C:\\Users\\Nick\\my \"points\".csv")' in pytorch_code(c, 4, 3)


def test_no_validation_split():
    code = keras_code(TrainingConfig(validation_split=0.0), 2, 2)
    assert "validation_data=None" in code and "evaluate" not in code
    assert "val_loss" not in pytorch_code(TrainingConfig(validation_split=0.0), 2, 2)


@pytest.mark.parametrize("args, match", [
    ((TrainingConfig(), 2, 3), "is for two classes"),
    ((TrainingConfig(), 0, 2), "input_dim"),
    ((TrainingConfig(), 2, 1), "n_classes"),
    ((TrainingConfig(learning_rate=-1.0), 2, 2), "learning_rate"),
    (({"loss": "mse"}, 2, 2), "TrainingConfig"),
])
def test_invalid_arguments(args, match):
    for make in (keras_code, pytorch_code):
        with pytest.raises(ValueError, match=match):
            make(*args)


def test_generated_load_data_is_the_apps():
    c = TrainingConfig(dataset="moons", n_samples=60, noise=0.2, seed=3)
    got, want = _exec_keras(keras_code(c, 2, 2))["load_data"](), load_data(c)
    for got_pair, want_pair in zip(got, want):
        for g, w in zip(got_pair, want_pair):
            np.testing.assert_array_equal(g, w)


# ---- Keras, against a stand-in module -----------------------------------------------------------
def _fake_keras():
    """A ``keras`` module that records layers, counts Dense parameters and keeps compile()'s kwargs."""
    keras = types.ModuleType("keras")
    layers_mod, regs, opts = (types.ModuleType(f"keras.{n}") for n in ("layers", "regularizers", "optimizers"))

    class Record:
        def __init__(self, *args, **kwargs):
            self.kind, self.args, self.kwargs = type(self).__name__, args, kwargs

    class Sequential(Record):
        def compile(self, **kwargs):
            self.compiled = kwargs

        def count_params(self):
            width, total = self.args[0][0].kwargs["shape"][0], 0
            for layer in self.args[0][1:]:
                if layer.kind == "Dense":
                    total += (width + 1) * layer.args[0]
                    width = layer.args[0]
            return total

    keras.Sequential, keras.Input = Sequential, type("Input", (Record,), {})
    layers_mod.Dense, layers_mod.Dropout = type("Dense", (Record,), {}), type("Dropout", (Record,), {})
    regs.L2 = type("L2", (Record,), {})
    for name in ("SGD", "RMSprop", "Adagrad", "Adam"):
        setattr(opts, name, type(name, (Record,), {}))
    keras.layers, keras.regularizers, keras.optimizers = layers_mod, regs, opts
    return keras, layers_mod, regs


def _exec_keras(code, datasets_module=None):
    """The generated script's namespace, with ``keras`` the stand-in (and ``keras.datasets``)."""
    keras, layers_mod, regs = _fake_keras()
    keras.datasets = datasets_module
    saved = {k: sys.modules.get(k) for k in ("keras", "keras.layers", "keras.regularizers")}
    sys.modules.update({"keras": keras, "keras.layers": layers_mod, "keras.regularizers": regs})
    try:
        ns = {"__name__": "generated"}
        exec(compile(code, "<keras>", "exec"), ns)   # binds the stand-ins as the script's globals
        return ns
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


@pytest.mark.parametrize("config", list(_configs())[::7], ids=lambda c: f"{c.optimizer}-{c.loss}-{len(c.hidden)}")
def test_keras_model_matches_ours(config):
    k = 2 if config.loss in ("mse", "binary_crossentropy") else 3
    model = _exec_keras(keras_code(config, 3, k))["build_model"]()
    ours = build_model(config, 3, k)
    assert model.count_params() == ours.count_params()
    dense = [layer for layer in model.args[0] if layer.kind == "Dense"]
    assert [(d.args[0], d.kwargs["activation"]) for d in dense[:-1]] == list(config.hidden)
    assert dense[-1].kwargs["activation"] == ours.layers[-1].activation.name
    assert all(("kernel_regularizer" in d.kwargs) == bool(config.l2) for d in dense)
    assert all(d.kwargs["kernel_regularizer"].args == (config.l2,) for d in dense if config.l2)
    assert sum(layer.kind == "Dropout" for layer in model.args[0]) == len(config.hidden) * bool(config.dropout)
    opt = model.compiled["optimizer"]
    want = make_optimizer(config).get_config()
    assert opt.kind.lower() == want.pop("name") and opt.kwargs == want
    assert model.compiled["loss"] == config.loss and model.compiled["metrics"] == ["accuracy"]


# ---- PyTorch, for real --------------------------------------------------------------------------
def _torch_script(config, input_dim, n_classes):
    ns = {"__name__": "generated"}
    exec(compile(pytorch_code(config, input_dim, n_classes), "<pytorch>", "exec"), ns)
    return ns


def _copy_weights(ours, torch_model):
    import torch
    linear = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    weights = ours.get_weights()
    with torch.no_grad():
        for layer, kernel, bias in zip(linear, weights[::2], weights[1::2]):
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
            layer.bias.copy_(torch.from_numpy(bias))
    return linear


def _tiny_data(config, k, n=24):
    x, y = datasets.make("gaussians" if k == 2 else "spiral", n=n, noise=0.3, seed=1)
    y = (y if k == 2 else np.arange(n) % k).astype(np.int64)
    return x.astype(np.float32), y


@pytest.mark.parametrize("config", list(_configs())[::5], ids=lambda c: f"{c.optimizer}-{c.loss}-{len(c.hidden)}")
def test_pytorch_model_matches_ours(config):
    torch = pytest.importorskip("torch")
    k = 2 if config.loss in ("mse", "binary_crossentropy") else 3
    config = config.replace(dropout=0.0) if config.dropout else config   # masks differ; checked elsewhere
    ns = _torch_script(config, 2, k)
    torch.manual_seed(0)
    model = ns["build_model"]()
    ours = build_model(config, 2, k)
    assert sum(p.numel() for p in model.parameters()) == ours.count_params()
    _copy_weights(ours, model)
    x, y = _tiny_data(config, k)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    logits = model(xt)
    np.testing.assert_allclose(ns["probabilities"](logits).detach().numpy(), ours.predict(x), rtol=1e-4, atol=1e-5)
    loss = ns["loss_fn"](model, logits, ns["targets"](yt))
    our_loss = ours.evaluate(x, targets_for(config, y, k))[0]
    assert loss.item() == pytest.approx(our_loss, rel=1e-3, abs=1e-5)
    loss.backward()
    grads = [g for m in model if isinstance(m, torch.nn.Linear) for g in (m.weight.grad.T, m.bias.grad)]
    for g, want in zip(grads, ours.gradients(x, targets_for(config, y, k))):
        np.testing.assert_allclose(g.numpy(), want, rtol=2e-3, atol=1e-5)


@pytest.mark.parametrize("optimizer, extra", [("sgd", {}), ("sgd", {"momentum": 0.9}),
                                              ("sgd", {"momentum": 0.9, "nesterov": True}),
                                              ("adagrad", {}), ("adam", {})])
def test_pytorch_optimizer_steps_like_ours(optimizer, extra):
    torch = pytest.importorskip("torch")
    config = TrainingConfig(optimizer=optimizer, learning_rate=0.05, l2=0.01, hidden=((6, "relu"),), **extra)
    ns = _torch_script(config, 2, 2)
    model, ours = ns["build_model"](), build_model(config, 2, 2)
    _copy_weights(ours, model)
    opt = ns["make_optimizer"](model)
    x, y = _tiny_data(config, 2)
    for _ in range(3):
        loss = ns["loss_fn"](model, model(torch.from_numpy(x)), ns["targets"](torch.from_numpy(y)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        ours.train_on_batch(x, y)
    got = [p for m in model if isinstance(m, torch.nn.Linear) for p in (m.weight.detach().T, m.bias.detach())]
    for g, want in zip(got, ours.get_weights()):
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-3, atol=1e-4)


def test_pytorch_script_trains_an_epoch(capsys, monkeypatch):
    pytest.importorskip("torch")
    c = TrainingConfig(n_samples=60, epochs=2, dropout=0.1, l2=0.001, loss="sparse_categorical_crossentropy")
    code, ns = pytorch_code(c, 2, 2), {"__name__": "generated"}
    for name in [m for m in sys.modules if m.split(".")[0] in ("core", "viz")]:
        monkeypatch.setitem(sys.modules, name, None)     # any import of Uncrumple fails now
    with pytest.raises(ImportError):
        exec("from core.datasets import make", {})
    exec(compile(code, "<pytorch>", "exec"), ns)
    ns["main"]()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Epoch 1/2 - loss: ") and "val_accuracy" in out[-1] and len(out) == 2


# ---- the scripts need nothing of Uncrumple ------------------------------------------------------
def _every_kind_of_data():
    yield from (TrainingConfig(dataset=name) for name in datasets.GENERATORS)
    yield TrainingConfig(csv_path="points.csv", loss="sparse_categorical_crossentropy")
    for name in ("mnist", "fashion_mnist", "mnist_sample"):
        yield TrainingConfig(dataset=name, n_samples=None, loss="categorical_crossentropy",
                             hidden=((16, "relu"),), batch_size=128)


@pytest.mark.parametrize("config", list(_every_kind_of_data()), ids=lambda c: c.csv_path or c.dataset)
def test_no_script_imports_uncrumple(config):
    dim, k = (784, 10) if config.dataset in ("mnist", "fashion_mnist", "mnist_sample") else (3, 2)
    for make in (keras_code, pytorch_code):
        tree = ast.parse(make(config, dim, k))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        roots = {name.split(".")[0] for name in imported}
        assert roots <= {"numpy", "csv", "math", "random", "keras", "torch", "torchvision"}, (make.__name__, roots)


@pytest.mark.parametrize("name", list(datasets.GENERATORS))
def test_inline_generator_gives_the_apps_arrays_to_the_bit(name):
    ns = _exec_keras(keras_code(TrainingConfig(dataset=name), 2, 2))
    for n, noise, seed in ((400, 0.05, 0), (41, 0.0, 7), (10, 0.3, 123456789)):
        x, y = ns["make_data"](n, noise, seed)
        want_x, want_y = datasets.make(name, n=n, noise=noise, seed=seed)
        assert x.dtype == want_x.dtype and y.dtype == want_y.dtype
        np.testing.assert_array_equal(x, want_x)
        np.testing.assert_array_equal(y, want_y)


@pytest.mark.parametrize("config", [TrainingConfig(dataset="spheres", n_samples=99, noise=0.1, seed=4,
                                                   validation_split=0.3),
                                    TrainingConfig(dataset="xor", n_samples=50, validation_split=0.0)],
                         ids=["spheres", "no-validation"])
def test_inline_split_gives_the_apps_samples(config):
    for make in (keras_code, pytorch_code):
        if make is pytorch_code:
            pytest.importorskip("torch")
            got = _torch_script(config, 3, 2)["load_data"]()
        else:
            got = _exec_keras(make(config, 3, 2))["load_data"]()
        for got_pair, want_pair in zip(got, load_data(config)):
            for g, w in zip(got_pair, want_pair):
                assert g.dtype == w.dtype and g.shape == w.shape
                np.testing.assert_array_equal(g, w)


def test_inline_csv_reader_reads_as_the_app(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("\ufeffx1; x2 ;label\n# a comment\n0.5;1e-3;1\n\n-2;3.25;0\n7;-0.125;2\n1;1;1\n"
                    "2;2;0\n3;3;2\n", encoding="utf-8")
    config = TrainingConfig(csv_path=str(path), loss="sparse_categorical_crossentropy", validation_split=0.34)
    got = _exec_keras(keras_code(config, 2, 3))["load_csv"](str(path))
    want = datasets.load_csv(str(path))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    got = _exec_keras(keras_code(config, 2, 3))["load_data"]()
    for got_pair, want_pair in zip(got, load_data(config)):
        for g, w in zip(got_pair, want_pair):
            np.testing.assert_array_equal(g, w)
    spaces = tmp_path / "spaces.txt"
    spaces.write_text("1 2 0\n3   4 1\n")
    np.testing.assert_array_equal(_exec_keras(keras_code(config, 2, 3))["load_csv"](str(spaces))[0],
                                  datasets.load_csv(str(spaces))[0])


def _images_module(arrays):
    """``keras.datasets`` and ``torchvision.datasets`` stand-ins handing out ``arrays``."""
    (x_train, y_train), (x_test, y_test) = arrays

    class Tensor:
        def __init__(self, a):
            self.a = a

        def numpy(self):
            return self.a

    class Set:
        def __init__(self, root, train, download):
            assert download and root == "data"
            self.data, self.targets = (Tensor(x_train), Tensor(y_train)) if train else (Tensor(x_test), Tensor(y_test))

    loader = types.SimpleNamespace(load_data=lambda: arrays)
    return types.SimpleNamespace(mnist=loader, fashion_mnist=loader, MNIST=Set, FashionMNIST=Set)


@pytest.mark.parametrize("n_samples", [None, 1500])
def test_image_sets_are_loaded_by_the_framework_and_prepared_as_the_app(n_samples, monkeypatch):
    # the offline sample's digits, handed out as keras.datasets / torchvision would hand out MNIST
    config = TrainingConfig(dataset="mnist_sample", n_samples=n_samples, loss="sparse_categorical_crossentropy",
                            hidden=((16, "relu"),), batch_size=128)
    sample = datasets.load_mnist_sample()
    want = load_data(config)
    assert len(want[0][0]) == (n_samples or 4000)
    module = _images_module(sample)
    code = keras_code(config, 784, 10)
    assert "keras.datasets.mnist.load_data()" in code and f"N_TRAIN = {n_samples or 4000}" in code
    keras_got = _exec_keras(code, datasets_module=module)["load_data"]()
    monkeypatch.setitem(sys.modules, "torchvision", types.SimpleNamespace(datasets=module))
    monkeypatch.setitem(sys.modules, "torchvision.datasets", module)
    ns = {"__name__": "generated"}
    source = pytorch_code(config, 784, 10)
    assert "import torch\nfrom torch import nn\n" in source
    source = source.replace("import torch\nfrom torch import nn\n", "nn = None\n")   # load_data needs no torch
    exec(compile(source, "<pytorch>", "exec"), ns)
    torch_got = ns["load_data"]()
    for got in (keras_got, torch_got):
        for got_pair, want_pair in zip(got, want):
            for g, w in zip(got_pair, want_pair):
                assert g.dtype == w.dtype and g.shape == w.shape
                np.testing.assert_array_equal(g, w)
    fashion = keras_code(config.replace(dataset="fashion_mnist"), 784, 10)
    assert "keras.datasets.fashion_mnist.load_data()" in fashion and "N_TEST" not in fashion
    assert 'datasets.FashionMNIST("data", train=True, download=True)' in pytorch_code(
        config.replace(dataset="fashion_mnist"), 784, 10)


# ---- the Keras script for real, where Keras is installed -------------------------------------------
KERAS_CONFIGS = [
    TrainingConfig(n_samples=200, epochs=2),                                       # spiral, adam, bce
    TrainingConfig(dataset="moons", n_samples=150, loss="categorical_crossentropy", optimizer="sgd",
                   momentum=0.9, l2=0.001, hidden=((6, "relu"),), batch_size=16, validation_split=0.3,
                   learning_rate=0.05),
    TrainingConfig(dataset="swiss_roll", n_samples=120, loss="sparse_categorical_crossentropy",
                   optimizer="rmsprop", hidden=((5, "leaky_relu"), (4, "sigmoid")), batch_size=7,
                   learning_rate=0.01),
]

_DRIVER = """
import importlib.util, json, sys
sys.modules["core"] = None     # the scripts must run without Uncrumple
sys.modules["viz"] = None
import numpy as np
import keras

results = []
for path, weights in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    (x, y), (x_val, y_val) = script.load_data()
    if "to_categorical" in open(path).read():
        y = keras.utils.to_categorical(y, script.N_CLASSES)
        y_val = keras.utils.to_categorical(y_val, script.N_CLASSES)
    model = script.build_model()
    start = np.load(weights)
    model.set_weights([start[f"w{i}"] for i in range(len(start.files))])
    h = model.fit(x, y, batch_size=script.BATCH_SIZE, epochs=2, shuffle=False, validation_data=(x_val, y_val),
                  verbose=0)
    script.EPOCHS = 1
    script.main()                  # as written: shuffled, Keras's own initial weights
    results.append({k: [float(v) for v in vals] for k, vals in h.history.items()})
print("RESULTS " + json.dumps(results))
"""


def _keras_backend():
    if importlib.util.find_spec("keras") is None:
        return None
    wanted = os.environ.get("KERAS_BACKEND")
    for name in ([wanted] if wanted else ["torch", "jax", "tensorflow"]):
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@pytest.mark.skipif(_keras_backend() is None, reason="Keras 3 with a backend (torch, jax or tensorflow) is not "
                                                   "installed: the generated Keras script cannot be run here")
def test_keras_script_runs_without_uncrumple_and_starts_as_the_engine(tmp_path):
    jobs, ours = [], []
    for i, config in enumerate(KERAS_CONFIGS):
        (x, y), (x_val, y_val) = load_data(config)
        k = int(max(y.max(), y_val.max())) + 1
        model = build_model(config, x.shape[1], k)
        weights = tmp_path / f"w{i}.npz"
        np.savez(weights, **{f"w{j}": w for j, w in enumerate(model.get_weights())})
        script = tmp_path / f"script{i}.py"
        script.write_text(keras_code(config, x.shape[1], k), encoding="utf-8")
        jobs.append((str(script), str(weights)))
        h = model.fit(x, targets_for(config, y, k), epochs=2, batch_size=config.batch_size, shuffle=False,
                      validation_data=(x_val, targets_for(config, y_val, k)), verbose=0)
        ours.append(h.history)
    env = dict(os.environ, KERAS_BACKEND=_keras_backend())
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(_DRIVER), json.dumps(jobs)], capture_output=True,
                         text=True, timeout=600, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULTS ")]
    theirs = json.loads(lines[-1][len("RESULTS "):])
    assert out.stdout.count("validation loss") == len(KERAS_CONFIGS)     # each main() ran to its end
    for config, mine, keras_history in zip(KERAS_CONFIGS, ours, theirs):
        assert set(keras_history) == set(mine)
        for key in mine:
            np.testing.assert_allclose(keras_history[key], mine[key], rtol=1e-5, atol=1e-7,
                                       err_msg=f"{config.dataset} {config.optimizer} {key}")
