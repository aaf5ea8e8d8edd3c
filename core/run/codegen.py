"""The run a :class:`~core.run.config.TrainingConfig` describes, written out as a Keras 3 or a PyTorch script.

>>> from core.run.config import TrainingConfig
>>> from core.run.codegen import keras_code, pytorch_code
>>> print(keras_code(TrainingConfig(), input_dim=2, n_classes=2))     # doctest: +SKIP

Both scripts are complete and run with only their framework and NumPy installed (no
Uncrumple): ``load_data()`` makes the app's data set itself with the same seed, to the bit
(plain NumPy written by :mod:`core.run.codegen_data`; an MNIST-type set is loaded with
``keras.datasets`` or ``torchvision``), ``build_model()`` makes the network, ``main()`` trains
it under ``if __name__ == "__main__"``. The network, loss, optimizer (with Keras's
hyperparameter names and values, read from :func:`core.run.config.make_optimizer`), batch
size, epochs and seed are the app's; the initial weights and the shuffling are the
framework's, so the curves match in kind, not digit for digit.

A regression run's scripts end in one linear unit, report the mean absolute error (Keras's
``metrics=["mae"]``) and, in PyTorch, use ``mse_loss``, ``l1_loss`` or ``huber_loss`` (delta 1.0,
Keras's Huber) on the output itself.
"""
from __future__ import annotations

from core.engine.validation import check_int
from core.run.codegen_data import data_imports, data_lines, data_summary
from core.run.config import (OUTPUT_ACTIVATION, TrainingConfig, is_image_dataset, is_regression, make_optimizer,
                             output_activation)

__all__ = ["keras_code", "pytorch_code", "DEFAULT_EPOCHS"]

#: epochs written into a script when the config trains until paused (``epochs=None``)
DEFAULT_EPOCHS = 100

KERAS_OPTIMIZER = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}

TORCH_ACTIVATION = {  # "" = no module (linear)
    "linear": "",
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.2)",  # Keras's default negative_slope (PyTorch's is 0.01)
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
}

#: per loss: (data_loss body, docstring, target conversion, probabilities, predicted class)
TORCH_LOSS = {
    "binary_crossentropy": (
        "nn.functional.binary_cross_entropy_with_logits(logits, target)",
        "Keras's sigmoid + binary_crossentropy, fused on the logits (numerically stable).",
        "torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)",
        "torch.sigmoid(logits)", "(logits > 0).long().reshape(-1)"),
    "mse": (
        "nn.functional.mse_loss(torch.sigmoid(logits), target)",
        "Keras's sigmoid output + mean squared error on the probabilities.",
        "torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)",
        "torch.sigmoid(logits)", "(logits > 0).long().reshape(-1)"),
    "categorical_crossentropy": (
        "nn.functional.cross_entropy(logits, target)",
        "Keras's softmax + categorical_crossentropy, fused on the logits. Keras takes one-hot\n"
        "    targets; cross_entropy with class indices is the same loss.",
        "torch.as_tensor(y, dtype=torch.long)",
        "torch.softmax(logits, dim=1)", "logits.argmax(dim=1)"),
    "sparse_categorical_crossentropy": (
        "nn.functional.cross_entropy(logits, target)",
        "Keras's softmax + sparse_categorical_crossentropy, fused on the logits.",
        "torch.as_tensor(y, dtype=torch.long)",
        "torch.softmax(logits, dim=1)", "logits.argmax(dim=1)"),
}

#: per regression loss: (data_loss body on the linear output, docstring)
TORCH_REGRESSION_LOSS = {
    "mse": ("nn.functional.mse_loss(output, target)", "Keras's mse: the mean squared error."),
    "mae": ("nn.functional.l1_loss(output, target)", "Keras's mae: the mean absolute error."),
    "huber": ("nn.functional.huber_loss(output, target, delta=1.0)",
              "Keras's Huber (delta 1.0): 0.5 e**2 where |e| <= 1, |e| - 0.5 beyond."),
}

TORCH_OPTIMIZER_NOTE = {
    "sgd": "# SGD: Keras keeps m = momentum * m - lr * g, PyTorch b = momentum * b + g and steps -lr * b:\n"
           "# the same steps (also with Nesterov) while the learning rate is constant.",
    "rmsprop": "# RMSprop: Keras divides by sqrt(v + epsilon), PyTorch by sqrt(v) + eps, so the epsilon is\n"
               "# placed differently: steps differ where gradients are tiny (|g| <~ 1e-3), not elsewhere.\n"
               "# Keras's rho is PyTorch's alpha.",
    "adagrad": "# Adagrad: Keras divides by sqrt(acc + epsilon), PyTorch by sqrt(acc) + eps; with the\n"
               "# accumulator starting at 0.1 the difference is negligible.",
    "adam": "# Adam: Keras adds epsilon to sqrt(v) before the bias correction, PyTorch after it;\n"
            "# Keras's epsilon equals PyTorch's eps * sqrt(1 - beta_2**t): the same once t is large.",
}


# ---- shared pieces ------------------------------------------------------------------------------
def _num(value) -> str:
    """A number as Python source (``0.03``, ``1e-07``, ``True``)."""
    return repr(bool(value)) if isinstance(value, bool) else repr(value)


def _check(config: TrainingConfig, input_dim, n_classes) -> tuple[int, int, int]:
    """Validate and return ``(input_dim, n_classes, output units)`` (a regression run: 1 unit)."""
    if not isinstance(config, TrainingConfig):
        raise ValueError(f"Argument `config` must be a TrainingConfig. Received: config={config!r}")
    config.validate()
    input_dim = check_int("input_dim", input_dim)
    if is_regression(config):
        return input_dim, 1, 1
    n_classes = check_int("n_classes", n_classes, low=2)
    out_units = 1 if OUTPUT_ACTIVATION[config.loss] == "sigmoid" and n_classes == 2 else n_classes
    if out_units > 1 and config.loss in ("binary_crossentropy", "mse"):
        raise ValueError(f"Loss '{config.loss}' is for two classes; the data has {n_classes}. "
                         "Use 'sparse_categorical_crossentropy'.")
    return input_dim, n_classes, out_units


def _header(framework: str, config: TrainingConfig, install: str, input_dim: int, out_units: int) -> list[str]:
    net = " -> ".join([f"{input_dim} inputs", *(f"{u} {a}" for u, a in config.hidden),
                       f"{out_units} {output_activation(config)}"])
    return [
        '"""' + f"{framework} script written by Uncrumple.",
        "",
        f"Data:      {data_summary(config)}",
        f"Network:   {net}" + (f", dropout {config.dropout}" if config.dropout else "")
        + (f", L2 {config.l2}" if config.l2 else ""),
        f"Training:  {config.loss}, {config.optimizer}, batch size {config.batch_size}",
        f"Needs:     {install}",
        "",
        *_where_data(config),
        "The network, loss, optimizer, batch size and seed are the app's; the initial weights and the",
        f"shuffling are {framework}'s, so the curves match Uncrumple's in kind, not digit for digit.",
        '"""',
    ]


def _where_data(config: TrainingConfig) -> list[str]:
    if is_image_dataset(config):
        return ["It runs anywhere these are installed, without Uncrumple; the framework downloads the images."]
    if config.csv_path:
        return ["It runs anywhere these are installed, without Uncrumple: it reads your CSV file as the app",
                "does and splits it with the app's seed, to the same samples."]
    return ["It runs anywhere these are installed, without Uncrumple: the data are made here with the",
            "app's seed, to the same numbers."]


def _constants(config: TrainingConfig) -> list[str]:
    epochs = (f"EPOCHS = {config.epochs}" if config.epochs is not None else
              f"EPOCHS = {DEFAULT_EPOCHS}  # Uncrumple trains until you pause it; {DEFAULT_EPOCHS} is a sensible start")
    return [f"SEED = {config.seed}", f"BATCH_SIZE = {config.batch_size}", epochs]


def _has_validation(config: TrainingConfig) -> bool:
    """Image sets validate on their test set; the others hold out ``validation_split``."""
    return is_image_dataset(config) or config.validation_split > 0


# ---- Keras --------------------------------------------------------------------------------------
def keras_code(config: TrainingConfig, input_dim: int, n_classes: int) -> str:
    """A runnable Keras 3 script training the network ``config`` describes.

    Parameters
    ----------
    config : TrainingConfig
        A valid configuration.
    input_dim : int
        Number of input features (2 or 3 for the built-in data sets).
    n_classes : int
        Number of classes (>= 2); sets the width of a softmax output. Ignored for a
        regression config (one linear output).

    Returns
    -------
    str
        Python source: imports, ``load_data()``, ``build_model()`` (compiled), ``main()``.
    """
    input_dim, n_classes, out_units = _check(config, input_dim, n_classes)
    reg = f", kernel_regularizer=regularizers.L2({_num(config.l2)})" if config.l2 else ""
    layer_lines = [f"        keras.Input(shape=({input_dim},)),"]
    for units, act in config.hidden:
        layer_lines.append(f'        layers.Dense({units}, activation="{act}"{reg}),')
        if config.dropout:
            layer_lines.append(f"        layers.Dropout({_num(config.dropout)}),")
    layer_lines.append(f'        layers.Dense({out_units}, activation="{output_activation(config)}"{reg}),')
    opt = make_optimizer(config).get_config()
    args = ", ".join(f"{k}={_num(v)}" for k, v in opt.items() if k != "name")
    one_hot = config.loss == "categorical_crossentropy"
    regression = is_regression(config)
    metric = "mae" if regression else "accuracy"
    val = _has_validation(config)
    lines = [
        *_header("Keras", config, "Keras 3 with a backend (pip install keras tensorflow, or jax, or torch), NumPy",
                 input_dim, out_units),
        *data_imports(config),
        "import keras",
        "from keras import layers" + (", regularizers" if config.l2 else ""),
        "",
        *_constants(config),
        *([] if regression else [f"N_CLASSES = {n_classes}"]),
        *data_lines(config, "keras"),
        "",
        "",
        "def build_model():",
        '    """The network, compiled. Dense layers start as Keras\'s defaults: glorot_uniform kernels,'
        ' zero biases."""',
        "    model = keras.Sequential([",
        *layer_lines,
        "    ])",
        "    model.compile(",
        f"        optimizer=keras.optimizers.{KERAS_OPTIMIZER[config.optimizer]}({args}),",
        f'        loss="{config.loss}",',
        f'        metrics=["{metric}"],',
        "    )",
        "    return model",
        "",
        "",
        "def main():",
        "    keras.utils.set_random_seed(SEED)",
        "    (x_train, y_train), (x_val, y_val) = load_data()",
    ]
    if one_hot:
        lines += ["    # categorical_crossentropy takes one-hot targets",
                  "    y_train = keras.utils.to_categorical(y_train, N_CLASSES)",
                  "    y_val = keras.utils.to_categorical(y_val, N_CLASSES)"]
    lines += [
        "    model = build_model()",
        "    model.summary()",
        "    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True,",
        f"              validation_data={'(x_val, y_val)' if val else 'None'})",
    ]
    if val and regression:
        lines += ["    loss, mae = model.evaluate(x_val, y_val, verbose=0)",
                  '    print(f"validation loss {loss:.4f}, mean absolute error {mae:.4f}")']
    elif val:
        lines += ["    loss, accuracy = model.evaluate(x_val, y_val, verbose=0)",
                  '    print(f"validation loss {loss:.4f}, accuracy {accuracy:.1%}")']
    lines += ["", "", 'if __name__ == "__main__":', "    main()", ""]
    return "\n".join(lines)


def _torch_classification_parts(config: TrainingConfig) -> list[str]:
    """``data_loss`` on the logits, ``targets``, ``probabilities`` and ``predicted_class`` for the loss."""
    body, doc, target, proba, predicted = TORCH_LOSS[config.loss]
    return [
        "def data_loss(logits, target):",
        f'    """{doc}"""',
        f"    return {body}",
        "",
        "",
        "def targets(y):",
        '    """Integer labels as the loss wants them."""',
        f"    return {target}",
        "",
        "",
        "def probabilities(logits):",
        f"    return {proba}",
        "",
        "",
        "def predicted_class(logits):",
        f"    return {predicted}",
        "",
        "",
    ]


def _torch_regression_parts(config: TrainingConfig) -> list[str]:
    """``data_loss`` on the linear output and ``targets`` (a column of real numbers)."""
    body, doc = TORCH_REGRESSION_LOSS[config.loss]
    return [
        "def data_loss(output, target):",
        f'    """{doc}"""',
        f"    return {body}",
        "",
        "",
        "def targets(y):",
        '    """The real-valued targets as a column, shape (n, 1), like the output."""',
        "    return torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)",
        "",
        "",
    ]


#: a classifier's ``evaluate`` and ``main``: loss and accuracy per epoch
_TORCH_CLASSIFICATION_MAIN = [
    "def evaluate(model, x, y):",
    '    """(loss, accuracy) on all of x, y with dropout off."""',
    "    model.eval()",
    "    with torch.no_grad():",
    "        logits = model(x)",
    "        accuracy = (predicted_class(logits) == y).float().mean().item()",
    "        return loss_fn(model, logits, targets(y)).item(), accuracy",
    "",
    "",
    "def main():",
    "    torch.manual_seed(SEED)",
    "    (x_train, y_train), (x_val, y_val) = load_data()",
    "    x_train, x_val = torch.as_tensor(x_train), torch.as_tensor(x_val)",
    "    y_train = torch.as_tensor(y_train, dtype=torch.long)",
    "    y_val = torch.as_tensor(y_val, dtype=torch.long)",
    "    model = build_model()",
    "    optimizer = make_optimizer(model)",
    "    shuffler = torch.Generator().manual_seed(SEED)",
    "    for epoch in range(1, EPOCHS + 1):",
    "        model.train()",
    "        order = torch.randperm(len(x_train), generator=shuffler)   # shuffled every epoch, as Keras's fit",
    "        total, hits = 0.0, 0",
    "        for start in range(0, len(order), BATCH_SIZE):   # the last batch may be smaller",
    "            idx = order[start:start + BATCH_SIZE]",
    "            logits = model(x_train[idx])",
    "            loss = loss_fn(model, logits, targets(y_train[idx]))",
    "            optimizer.zero_grad()",
    "            loss.backward()",
    "            optimizer.step()",
    "            total += loss.item() * len(idx)",
    "            hits += (predicted_class(logits) == y_train[idx]).sum().item()",
    "        n = len(x_train)",
    '        line = f"Epoch {epoch}/{EPOCHS} - loss: {total / n:.4f} - accuracy: {hits / n:.4f}"',
]

#: a regression network's ``evaluate`` and ``main``: loss and mean absolute error per epoch
_TORCH_REGRESSION_MAIN = [
    "def evaluate(model, x, y):",
    '    """(loss, mean absolute error) on all of x, y with dropout off."""',
    "    model.eval()",
    "    with torch.no_grad():",
    "        output, target = model(x), targets(y)",
    "        mae = (output - target).abs().mean().item()",
    "        return loss_fn(model, output, target).item(), mae",
    "",
    "",
    "def main():",
    "    torch.manual_seed(SEED)",
    "    (x_train, y_train), (x_val, y_val) = load_data()",
    "    x_train, x_val = torch.as_tensor(x_train), torch.as_tensor(x_val)",
    "    y_train, y_val = torch.as_tensor(y_train), torch.as_tensor(y_val)",
    "    model = build_model()",
    "    optimizer = make_optimizer(model)",
    "    shuffler = torch.Generator().manual_seed(SEED)",
    "    for epoch in range(1, EPOCHS + 1):",
    "        model.train()",
    "        order = torch.randperm(len(x_train), generator=shuffler)   # shuffled every epoch, as Keras's fit",
    "        total, abs_error = 0.0, 0.0",
    "        for start in range(0, len(order), BATCH_SIZE):   # the last batch may be smaller",
    "            idx = order[start:start + BATCH_SIZE]",
    "            output, target = model(x_train[idx]), targets(y_train[idx])",
    "            loss = loss_fn(model, output, target)",
    "            optimizer.zero_grad()",
    "            loss.backward()",
    "            optimizer.step()",
    "            total += loss.item() * len(idx)",
    "            abs_error += (output - target).abs().sum().item()",
    "        n = len(x_train)",
    '        line = f"Epoch {epoch}/{EPOCHS} - loss: {total / n:.4f} - mae: {abs_error / n:.4f}"',
]


# ---- PyTorch ------------------------------------------------------------------------------------
def _torch_optimizer(config: TrainingConfig) -> str:
    opt = make_optimizer(config).get_config()
    lr = _num(opt["learning_rate"])
    name = config.optimizer
    if name == "sgd":
        extra = ""
        if opt["momentum"]:
            extra = f", momentum={_num(opt['momentum'])}" + (", nesterov=True" if opt["nesterov"] else "")
        return f"torch.optim.SGD(model.parameters(), lr={lr}{extra})"
    if name == "rmsprop":
        return (f"torch.optim.RMSprop(model.parameters(), lr={lr}, alpha={_num(opt['rho'])}, "
                f"eps={_num(opt['epsilon'])}, momentum={_num(opt['momentum'])})")
    if name == "adagrad":
        return (f"torch.optim.Adagrad(model.parameters(), lr={lr}, "
                f"initial_accumulator_value={_num(opt['initial_accumulator_value'])}, eps={_num(opt['epsilon'])})")
    return (f"torch.optim.Adam(model.parameters(), lr={lr}, betas=({_num(opt['beta_1'])}, "
            f"{_num(opt['beta_2'])}), eps={_num(opt['epsilon'])})")


def pytorch_code(config: TrainingConfig, input_dim: int, n_classes: int) -> str:
    """A runnable PyTorch script with the Keras semantics of the run ``config`` describes.

    Glorot-uniform kernels (``xavier_uniform_``) and zero biases; the last layer gives
    logits and the output activation lives in the loss (``binary_cross_entropy_with_logits``,
    ``cross_entropy``); L2 is added to the loss as ``l2 * sum(W**2)`` over the kernels, as
    Keras's ``kernel_regularizer`` does (not ``weight_decay``); optimizer differences from
    Keras are explained in comments.

    Parameters
    ----------
    config, input_dim, n_classes
        As for :func:`keras_code`.

    Returns
    -------
    str
        Python source: ``load_data()``, ``build_model()``, ``make_optimizer(model)``,
        ``data_loss``, ``loss_fn(model, logits, target)``, ``targets(y)``,
        ``probabilities(logits)``, ``predicted_class(logits)``, ``main()``.
    """
    input_dim, n_classes, out_units = _check(config, input_dim, n_classes)
    regression = is_regression(config)
    modules, width = [], input_dim
    for units, act in config.hidden:
        modules.append(f"nn.Linear({width}, {units}),")
        if TORCH_ACTIVATION[act]:
            modules.append(TORCH_ACTIVATION[act] + ",")
        if config.dropout:
            modules.append(f"nn.Dropout({_num(config.dropout)}),")
        width = units
    if regression:
        modules.append(f"nn.Linear({width}, 1),  # the output: one linear unit, the fitted value")
    else:
        modules.append(f"nn.Linear({width}, {out_units}),  # logits: the {OUTPUT_ACTIVATION[config.loss]} "
                       "is applied in data_loss")
    val = _has_validation(config)
    lines = [
        *_header("PyTorch", config, "PyTorch, NumPy" + (", torchvision (for the images)" if is_image_dataset(config)
                                                         else ""), input_dim, out_units),
        *data_imports(config),
        "import torch",
        "from torch import nn",
        "",
        *_constants(config),
        f"L2 = {_num(config.l2)}  # Keras's kernel_regularizer=L2(l2): l2 * sum(W**2) per kernel, added to the loss",
        *data_lines(config, "pytorch"),
        "",
        "",
        "def build_model():",
        f'    """The network, ending in {"its output" if regression else "logits"}. nn.Linear keeps its weight '
        'as (out, in): a Keras kernel',
        '    transposed."""',
        "    model = nn.Sequential(",
        *("        " + m for m in modules),
        "    )",
        "    for layer in model:",
        "        if isinstance(layer, nn.Linear):   # Keras's Dense defaults",
        "            nn.init.xavier_uniform_(layer.weight)   # glorot_uniform",
        "            nn.init.zeros_(layer.bias)",
        "    return model",
        "",
        "",
        TORCH_OPTIMIZER_NOTE[config.optimizer],
        "def make_optimizer(model):",
        f"    return {_torch_optimizer(config)}",
        "",
        "",
        *(_torch_regression_parts(config) if regression else _torch_classification_parts(config)),
        "def loss_fn(model, logits, target):",
        '    """The loss Keras reports and minimises: the data loss plus the L2 penalty on the kernels."""',
        "    loss = data_loss(logits, target)",
        "    if L2:   # not weight_decay: that would also shrink biases and, for Adam, not match Keras",
        "        kernels = [layer.weight for layer in model if isinstance(layer, nn.Linear)]",
        "        loss = loss + L2 * sum((w ** 2).sum() for w in kernels)",
        "    return loss",
        "",
        "",
        *(_TORCH_REGRESSION_MAIN if regression else _TORCH_CLASSIFICATION_MAIN),
    ]
    if val:
        name = "mae" if regression else "accuracy"
        lines += [f"        val_loss, val_{name} = evaluate(model, x_val, y_val)",
                  f'        line += f" - val_loss: {{val_loss:.4f}} - val_{name}: {{val_{name}:.4f}}"']
    lines += ["        print(line)", "", "", 'if __name__ == "__main__":', "    main()", ""]
    return "\n".join(lines)

