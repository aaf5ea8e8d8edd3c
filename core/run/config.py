"""``TrainingConfig``: everything that defines a run, frozen, validated and JSON-friendly.

The GUI's controls produce one; the child process builds the data, the model and
the :class:`core.engine.training.Trainer` from it with :func:`build_trainer`.

A run's ``task`` is ``"classification"`` (the default) or ``"regression"`` (:data:`TASKS`).
Classification data sets are the two-class generators (:data:`core.datasets.GENERATORS`), a CSV
file, or the MNIST-format image sets of :data:`IMAGE_DATASETS` (``"mnist"``,
``"fashion_mnist"``, ``"mnist_sample"``). For image sets, as in the book, the
validation data *is* the test set (``validation_split`` and ``noise`` are ignored),
``n_samples`` caps the training images (the first ``n_samples``; ``None`` or 0: all of
them) and ``"mnist"`` falls back to the offline sample when the full set is not on
this computer (:func:`data_notice` says so; nothing is ever downloaded here).

Regression fits a real number: its data sets are :data:`core.datasets.REGRESSION_GENERATORS`
(1-D curves and 2-D surfaces) or a CSV file whose label column holds the targets; its loss is
one of :data:`REGRESSION_LOSSES`, its network ends in one linear unit and is compiled with
``metrics=["mae"]`` (the logs hold ``"mae"`` and ``"val_mae"`` instead of the accuracy).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass

import numpy as np

from core.engine import activations, optimizers
from core import datasets
from core.engine.validation import (check_choice, check_int, check_non_negative, check_number,
                                    check_unit_interval)
from core.engine.layers import Dense, Dropout
from core.engine.model import Sequential
from core.engine.regularizers import L2

OUTPUT_ACTIVATION = {  # the output layer each loss calls for (two-class data)
    "binary_crossentropy": "sigmoid",
    "mse": "sigmoid",
    "categorical_crossentropy": "softmax",
    "sparse_categorical_crossentropy": "softmax",
}
MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_SAMPLES = 200_000
#: MNIST-format image sets: name -> what the user reads. 28x28 uint8 images become
#: (n, 784) float32 / 255 rows; labels 0-9; the test set is the validation data.
IMAGE_DATASETS = {
    "mnist": "MNIST handwritten digits (60,000 train + 10,000 test; the offline sample "
             "when the full set is not found)",
    "fashion_mnist": "Fashion-MNIST clothes (60,000 train + 10,000 test)",
    "mnist_sample": "MNIST offline sample shipped with the app (4,000 train + 1,000 test digits)",
}
IMAGE_CLASSES = 10
#: What a run learns: class labels, or a real number at every point.
TASKS = ("classification", "regression")
#: The losses of a regression run (its output is one linear unit): Keras's names.
REGRESSION_LOSSES = ("mse", "mae", "huber")


def dataset_names(task: str | None = None) -> list[str]:
    """Every valid ``TrainingConfig.dataset`` for ``task`` (None: for any task).

    Classification: the generators, then the image sets; regression: the regression
    generators (:data:`core.datasets.REGRESSION_GENERATORS`).
    """
    classification = list(datasets.GENERATORS) + list(IMAGE_DATASETS)
    regression = list(datasets.REGRESSION_GENERATORS)
    return {"classification": classification, "regression": regression}.get(task, classification + regression)


def losses_for(task: str) -> tuple[str, ...]:
    """The valid ``TrainingConfig.loss`` values for ``task`` (a name of :data:`TASKS`)."""
    return REGRESSION_LOSSES if task == "regression" else tuple(OUTPUT_ACTIVATION)


def is_regression(config) -> bool:
    """True when the config fits real-valued targets (``task="regression"``)."""
    return config.task == "regression"


def output_activation(config) -> str:
    """The output layer's activation: linear for regression, else what the loss calls for."""
    return "linear" if is_regression(config) else OUTPUT_ACTIVATION[config.loss]


def is_image_dataset(config) -> bool:
    """True when the config trains on an MNIST-format image set (not a CSV)."""
    return not config.csv_path and config.dataset in IMAGE_DATASETS


@dataclass(frozen=True)
class TrainingConfig:
    """One run: data, architecture, loss, optimizer and hyperparameters, seed.

    ``task`` is ``"classification"`` or ``"regression"`` (:data:`TASKS`); a regression run
    needs a regression data set (or a CSV file), a loss of :data:`REGRESSION_LOSSES`, and gets
    one linear output unit. ``hidden`` is a tuple of ``(units, activation)`` pairs; the output
    layer of a classifier follows from the loss (one sigmoid unit, or one softmax unit per class). ``use_bias=False``
    drops every layer's bias (``hidden=()`` then gives a network of ``d`` weights).

    For the image sets (:data:`IMAGE_DATASETS`) ``n_samples`` is the number of training
    images used (``None`` or 0: all; more than there are: all), the test set is the
    validation data, and ``data_path`` (a ``mnist.npz`` or a folder with it or the four
    IDX files) is searched first. For a CSV file (``csv_path``) ``n_samples`` is the most rows
    used (``None`` or 0: all, up to :data:`MAX_SAMPLES`), a seeded random sample of a bigger file.

    The defaults are the app's first run, chosen to stay good when left running: the spiral,
    2 -> 16 tanh -> 16 tanh -> 1 sigmoid, Adam at learning rate 0.01 with batches of 32. Over
    3,000 epochs every seed of 0-11 ends at >= 97.5 % validation accuracy and none drops below
    96 % after epoch 500 (``bench/default_run.py``); 8-8 units, a learning rate of 0.03 or batches
    of 10 spiked and lost up to a third of their accuracy after having learned.
    """

    dataset: str = "spiral"
    n_samples: int | None = 400
    noise: float = 0.05
    validation_split: float = 0.2
    csv_path: str | None = None
    data_path: str | None = None
    hidden: tuple = ((16, "tanh"), (16, "tanh"))
    use_bias: bool = True
    loss: str = "binary_crossentropy"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    batch_size: int = 32
    epochs: int | None = None
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    grid_resolution: int = 64
    task: str = "classification"

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple((u, a) for u, a in (tuple(h) for h in self.hidden)))

    # ---- validation -----------------------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        """Every invalid field with its message (empty when the config is valid)."""
        checks = {
            "task": lambda: check_choice("task", self.task, TASKS),
            "dataset": self._check_dataset,
            "n_samples": self._check_samples,
            "data_path": self._check_data_path,
            "noise": lambda: check_non_negative("noise", self.noise),
            "validation_split": lambda: check_unit_interval("validation_split", self.validation_split,
                                                            high_inclusive=False),
            "hidden": self._check_hidden,
            "use_bias": lambda: self._check_bool("use_bias", self.use_bias),
            "loss": self._check_loss,
            "optimizer": lambda: check_choice("optimizer", self.optimizer, optimizers.OPTIMIZERS),
            **{name: functools.partial(self._check_optimizer_field, name) for name in optimizer_fields()},
            "batch_size": self._check_batch,
            "epochs": lambda: self.epochs is None or check_int("epochs", self.epochs),
            "l2": lambda: check_non_negative("l2", self.l2),
            "dropout": lambda: check_number("dropout", self.dropout, low=0.0, high=1.0,
                                            low_inclusive=True, high_inclusive=False),
            "seed": lambda: check_int("seed", self.seed, low=0, high=2**32 - 1),
            "grid_resolution": lambda: check_int("grid_resolution", self.grid_resolution, low=2, high=512),
        }
        found = {}
        for name, check in checks.items():
            try:
                check()
            except (ValueError, TypeError) as exc:
                found[name] = str(exc)
        if not found:   # a valid config must also fit in memory (core.run.resources); reported on the layers
            from core.run.resources import config_errors
            try:
                config_errors(self)
            except ValueError as exc:
                found["hidden"] = str(exc)
        return found

    def validate(self) -> "TrainingConfig":
        """Raise ``ValueError`` with the first problem; return self when valid."""
        errs = self.errors()
        if errs:
            raise ValueError(next(iter(errs.values())))
        return self

    @staticmethod
    def _check_bool(name, value):
        if not isinstance(value, bool):
            raise ValueError(f"Argument `{name}` must be True or False. Received: {name}={value!r}")

    def _check_optimizer_field(self, name):
        """Check an optimizer hyperparameter by the rules of every optimizer that has it."""
        value = getattr(self, name)
        for cls in optimizers.OPTIMIZERS.values():
            if name in cls.HYPERPARAMETERS:
                if isinstance(cls.HYPERPARAMETERS[name], bool):
                    self._check_bool(name, value)      # JSON-friendly: True or False, not a NumPy bool
                cls.check_hyperparameter(name, value)

    def _check_dataset(self):
        if self.csv_path:
            return
        if self.task in TASKS and self.dataset in dataset_names() and self.dataset not in dataset_names(self.task):
            other = next(t for t in TASKS if self.dataset in dataset_names(t))
            raise ValueError(f"Data set {self.dataset!r} is a {other} data set; the task {self.task!r} needs "
                             f"one of {', '.join(map(repr, dataset_names(self.task)))} (or a CSV file). "
                             f"Received: dataset={self.dataset!r}, task={self.task!r}")
        check_choice("dataset", self.dataset, dataset_names(self.task if self.task in TASKS else None))

    def _check_loss(self):
        if self.task not in TASKS:
            return check_choice("loss", self.loss, [*OUTPUT_ACTIVATION, *REGRESSION_LOSSES])
        allowed = losses_for(self.task)
        if self.loss not in allowed and self.loss in [*OUTPUT_ACTIVATION, *REGRESSION_LOSSES]:
            other = next(t for t in TASKS if self.loss in losses_for(t))
            raise ValueError(f"Loss {self.loss!r} is a {other} loss; the task {self.task!r} needs one of "
                             f"{', '.join(map(repr, allowed))}. Received: loss={self.loss!r}, task={self.task!r}")
        check_choice("loss", self.loss, allowed)

    def _check_hidden(self):
        if len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"Argument `hidden` must have at most {MAX_LAYERS} layers. "
                             f"Received: {len(self.hidden)} layers")
        for i, (units, act) in enumerate(self.hidden):
            check_int(f"hidden[{i}].units", units, low=1, high=MAX_UNITS)
            check_choice(f"hidden[{i}].activation", act, activations.ACTIVATIONS)

    def _check_samples(self):
        if is_image_dataset(self) or self.csv_path:   # a cap: None or 0 is all (a CSV: up to MAX_SAMPLES)
            if not (self.n_samples is None or type(self.n_samples) is int and self.n_samples == 0):
                check_int("n_samples", self.n_samples, low=1, high=MAX_SAMPLES)
        else:
            check_int("n_samples", self.n_samples, low=4, high=MAX_SAMPLES)

    def _check_data_path(self):
        if self.data_path is not None and not (isinstance(self.data_path, str) and self.data_path):
            raise ValueError("Argument `data_path` must be None or a path to a mnist.npz file or "
                             f"a folder. Received: data_path={self.data_path!r}")

    def _check_batch(self):
        check_int("batch_size", self.batch_size)
        if is_image_dataset(self):
            if type(self.n_samples) is int and self.batch_size > self.n_samples > 0:
                raise ValueError(f"Argument `batch_size` must be <= the number of training samples "
                                 f"({self.n_samples}). Received: batch_size={self.batch_size}")
            return
        if (isinstance(self.n_samples, int) and isinstance(self.validation_split, float | int)
                and 0 <= self.validation_split < 1):   # an invalid split is reported on its own field
            n_train = self.n_samples - int(self.n_samples * self.validation_split)
            if not self.csv_path and self.batch_size > n_train > 0:
                raise ValueError(f"Argument `batch_size` must be <= the number of training samples "
                                 f"({n_train}). Received: batch_size={self.batch_size}")

    # ---- conversions ----------------------------------------------------------------------------
    def replace(self, **changes) -> "TrainingConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = [list(h) for h in self.hidden]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainingConfig":
        """Build from a dict, ignoring unknown keys; raises ``ValueError`` if invalid."""
        if not isinstance(d, dict):
            raise ValueError(f"A training configuration must be a JSON object. Received: {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        try:
            if "hidden" in kwargs:
                kwargs["hidden"] = tuple((h[0], h[1]) for h in kwargs["hidden"])
            return cls(**kwargs).validate()
        except (TypeError, IndexError, KeyError) as exc:
            raise ValueError(f"Invalid training configuration: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> "TrainingConfig":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"Invalid JSON in training configuration: {exc}") from None


# ---- which fields are which ---------------------------------------------------------------------
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(TrainingConfig))


def optimizer_fields(name: str | None = None) -> tuple[str, ...]:
    """The ``TrainingConfig`` fields that are optimizer hyperparameters, in the config's order.

    Read off the optimizer classes (:attr:`core.engine.optimizers.Optimizer.HYPERPARAMETERS`):
    a hyperparameter is a config field when the config has a field of its Keras name
    (``epsilon`` and Adagrad's ``initial_accumulator_value`` are not: they keep their defaults).

    Parameters
    ----------
    name : str or None
        An optimizer's name (``"sgd"``, ...): its fields only; None: those of every optimizer.
    """
    classes = list(optimizers.OPTIMIZERS.values()) if name is None else [optimizers.OPTIMIZERS[name]]
    return tuple(f for f in _CONFIG_FIELDS if any(f in cls.HYPERPARAMETERS for cls in classes))


LIVE_FIELDS = frozenset({"batch_size", "epochs", *optimizer_fields()})
"""The fields a running trainer takes mid-run (``batch_size``, ``epochs`` and every optimizer
hyperparameter); a change to any other field needs a new run."""


# ---- building a run -----------------------------------------------------------------------------
def load_data(config: TrainingConfig, progress=None):
    """``((x_train, y_train), (x_val, y_val))`` for the config's data set.

    A regression run gives float32 targets ``y`` of shape (n,). Image sets give ``x`` of shape (n, 784) float32 in [0, 1] and int32 labels 0-9,
    the test set as the validation data (see :func:`load_data_with_notice`).
    """
    return load_data_with_notice(config, progress)[0]


def load_data_with_notice(config: TrainingConfig, progress=None):
    """``(data, notice)``: :func:`load_data`'s result and the notice to show the user.

    ``notice`` is ``""`` except when ``dataset="mnist"`` fell back to the offline sample
    (then it says why and what that means for the accuracy) or when a CSV file has more rows
    than the run uses (then it says how many of how many). Never downloads.

    A CSV run uses at most ``n_samples`` rows (``None`` or 0: all, up to :data:`MAX_SAMPLES`),
    a seeded random sample of a bigger file (:func:`core.datasets.read_csv`); ``progress``
    (``progress(rows_read) -> bool``, ``False`` cancels with :class:`core.datasets.CsvCancelled`)
    follows its reading. The labels must suit the loss (:func:`check_labels`).

    Raises
    ------
    FileNotFoundError
        ``"fashion_mnist"`` not installed (the message says how to get it), or the
        offline sample missing (a broken installation).
    ValueError
        A data file that is not valid MNIST format, a single-class data set, labels that do
        not suit the loss.
    """
    if is_image_dataset(config):
        return _load_images(config)
    notice, source = "", ""
    regression = is_regression(config)
    if config.csv_path:
        csv = datasets.read_csv(config.csv_path, max_rows=csv_rows(config), seed=config.seed, progress=progress,
                                regression=regression)
        x, y = csv.x, csv.y
        source = f"{csv.label_source()} of CSV file {csv.path!r} ({datasets.tabular.LABEL_RULE})"
        if csv.sampled:
            notice = _csv_notice(csv.path, len(y), csv.n_rows, config.seed)
    elif regression:
        x, y = datasets.make_regression(config.dataset, n=config.n_samples, noise=config.noise, seed=config.seed)
    else:
        x, y = datasets.make(config.dataset, n=config.n_samples, noise=config.noise, seed=config.seed)
    if regression:    # real-valued targets, float32: no classes to check; a random (unstratified) split
        return datasets.train_val_split(x, y, config.validation_split, seed=config.seed, stratify=False), notice
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"The data has a single class ({classes[0]}); a classifier needs at least two.")
    check_labels(y, config.loss, source)
    return datasets.train_val_split(x, y, config.validation_split, seed=config.seed), notice


def csv_rows(config: TrainingConfig) -> int:
    """The most rows a CSV run uses: ``n_samples`` (None or 0: :data:`MAX_SAMPLES`)."""
    return min(config.n_samples or MAX_SAMPLES, MAX_SAMPLES)


def _csv_notice(path, used, total, seed=None, about=False) -> str:
    sample = "a random sample" + (f" (seed {seed})" if seed is not None else "")
    return (f"This run uses {used:,} of {'about' if about else 'the'} {total:,} rows of {path!r}: {sample}. "
            f"Samples (n_samples) sets how many; 0 means all of them, up to {MAX_SAMPLES:,}.")


def _and(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_labels(y, loss: str, source: str = "") -> None:
    """Raise ``ValueError`` unless the integer labels ``y`` suit ``loss``.

    ``binary_crossentropy`` and ``mse`` (one sigmoid output) need labels 0 and 1; the
    categorical losses need the classes numbered 0, 1, ..., n-1 with none missing. The message
    names the labels found and how to renumber them (``source`` says where they come from, e.g. "column 3 of CSV file 'a.csv'").

    Parameters
    ----------
    y : ndarray of int, shape (n,)
    loss : str
        A key of :data:`OUTPUT_ACTIVATION`.
    source : str
        Where the labels come from, for the message (``""``: "the data").
    """
    found = np.unique(y)
    source = source or "the data"
    shown = _and(found[:8].tolist()) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
    if OUTPUT_ACTIVATION[loss] == "sigmoid":
        if set(found.tolist()) <= {0, 1}:
            return
        if len(found) == 2:
            fix = _and(f"{a} to {b}" for a, b in zip(found.tolist(), (0, 1)) if a != b)
            raise ValueError(f"Loss {loss!r} needs labels 0 or 1; found {shown} in {source}: map {fix}.")
        raise ValueError(f"Loss {loss!r} is for two classes, labelled 0 and 1; found {len(found)} labels "
                         f"({shown}) in {source}. For {len(found)} classes use "
                         f"'sparse_categorical_crossentropy' with labels 0 to {len(found) - 1}.")
    if np.array_equal(found, np.arange(len(found))):
        return
    n = len(found)
    if found[0] >= 0 and n <= 20 and found[-1] - found[0] + 1 == n:
        fix = (f"subtract {found[0]} from every label" if n > 2 else
               f"map {_and(f'{a} to {b}' for a, b in zip(found.tolist(), range(n)))}")
        raise ValueError(f"Loss {loss!r} needs the classes numbered 0 to {n - 1}; found {shown} in "
                         f"{source}: that is {n} classes, not {found[-1] + 1}; {fix}.")
    missing = sorted(set(range(max(int(found[-1]) + 1, 0))) - set(found.tolist()))
    why = ("negative labels" if found[0] < 0 else
           f"no sample of class {_and(missing[:8])}" + (" ..." if len(missing) > 8 else ""))
    raise ValueError(f"Loss {loss!r} needs the classes numbered 0 to n-1 with every class present; "
                     f"found {n} labels ({shown}) in {source}: {why}. Number the classes 0 to {n - 1}"
                     f" (a label column must hold class numbers, not a measurement).")


def _load_images(config):
    notice = ""
    if config.dataset == "mnist" and not _mnist_found(config):
        data = datasets.load_mnist_sample()
        notice = _sample_notice(data)
    elif config.dataset == "mnist":  # found; an unreadable file falls back, naming the problem
        data, notice = datasets.load_mnist_or_sample(config.data_path, download=False)
        notice = notice or ""
    elif config.dataset == "fashion_mnist":
        data = datasets.load_fashion_mnist(config.data_path)
    else:
        data = datasets.load_mnist_sample()
    (x_train, y_train), (x_test, y_test) = data
    n = len(x_train) if not config.n_samples else min(config.n_samples, len(x_train))
    return ((datasets.preprocess_images(x_train[:n]), y_train[:n].astype(np.int32)),
            (datasets.preprocess_images(x_test), y_test.astype(np.int32))), notice


def _mnist_found(config) -> bool:
    from core.datasets.mnist import _find_source, mnist_search_paths
    return any(_find_source(p) is not None for p in mnist_search_paths(config.data_path))


def _sample_notice(data) -> str:
    (x_train, _), (x_test, _) = data
    return (f"The full MNIST (60,000 + 10,000 digits) was not found on this computer, so this run "
            f"uses the offline sample: {len(x_train):,} training and {len(x_test):,} test digits "
            "(expect a lower test accuracy than the book's 97.8 %). To get the full set, run "
            "`python -m core train --preset mnist --download`, or copy Keras's mnist.npz to "
            f"{datasets.cache_dir()}.")


def data_notice(config: TrainingConfig) -> str:
    """What the GUI should show beside the data set: ``""``, or why the offline sample is used.

    Cheap enough for the GUI thread (a few milliseconds): it looks for the MNIST files and
    reads the small offline sample to count it; it neither loads the full set nor downloads.
    Same text as :func:`load_data_with_notice` gives, except when a file is found but
    unreadable (here ``""``; loading then falls back with a notice naming the problem).
    For a CSV file with more rows than the run uses it says so from a quick count of its lines
    (about 0.2 s for 200 MB; blank and comment lines count too, so "about").
    """
    if config.csv_path:
        return _csv_estimate(config)
    if not is_image_dataset(config) or config.dataset != "mnist" or _mnist_found(config):
        return ""
    return _sample_notice(datasets.load_mnist_sample())


def _csv_estimate(config) -> str:
    """A CSV run's notice from a quick count of the file's lines (``""`` if it has few rows)."""
    cap = csv_rows(config)
    try:
        if os.path.getsize(config.csv_path) <= 2 * cap:   # a data row takes 2 bytes at least ("1\n")
            return ""
        total = datasets.count_csv_rows(config.csv_path)
    except OSError:
        return ""      # loading says what is wrong with the file
    return _csv_notice(config.csv_path, cap, total, about=True) if total > cap else ""


def build_model(config: TrainingConfig, input_dim: int, n_classes: int = 2) -> Sequential:
    """The compiled network the config describes.

    A regression network ends in one linear unit and is compiled with ``metrics=["mae"]``
    (``n_classes`` is then ignored); a classifier in one sigmoid unit (two classes with a
    sigmoid loss) or ``n_classes`` softmax units, compiled with ``metrics=["accuracy"]``.
    """
    reg = L2(config.l2) if config.l2 else None
    layers = []
    for i, (units, act) in enumerate(config.hidden):
        layers.append(Dense(units, act, input_shape=(input_dim,) if i == 0 else None, kernel_regularizer=reg,
                            use_bias=config.use_bias))
        if config.dropout:
            layers.append(Dropout(config.dropout))
    out_act = output_activation(config)
    out_units = 1 if is_regression(config) or out_act == "sigmoid" and n_classes == 2 else n_classes
    if out_units > 1 and config.loss in ("binary_crossentropy", "mse"):
        raise ValueError(f"Loss '{config.loss}' is for two classes; the data has {n_classes}. "
                         "Use 'sparse_categorical_crossentropy'.")
    layers.append(Dense(out_units, out_act, input_shape=(input_dim,) if not layers else None,
                        kernel_regularizer=reg, use_bias=config.use_bias))
    model = Sequential(layers, seed=config.seed)
    model.build(input_dim)
    model.compile(optimizer=make_optimizer(config), loss=config.loss,
                  metrics=["mae"] if is_regression(config) else ["accuracy"])
    return model


def make_optimizer(config: TrainingConfig):
    """The config's optimizer: its hyperparameters that are config fields (:func:`optimizer_fields`)
    from the config, the others (``epsilon``, ...) at their Keras defaults."""
    return optimizers.OPTIMIZERS[config.optimizer](
        **{name: getattr(config, name) for name in optimizer_fields(config.optimizer)})


def targets_for(config: TrainingConfig, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels shaped for the loss: one-hot for categorical crossentropy; float32 targets for regression."""
    if is_regression(config):
        return np.asarray(y, dtype=np.float32)
    if config.loss == "categorical_crossentropy":
        return np.eye(n_classes, dtype=np.float32)[y]
    return y


def build_trainer(config: TrainingConfig, data=None):
    """Data, model and :class:`Trainer` for a validated config.

    The trainer gets :func:`core.analysis.weights.stats.epoch_stats` for the epochs it records.

    Returns
    -------
    trainer : Trainer
    data : ((x_train, y_train), (x_val, y_val))
        Integer labels, or float32 targets for a regression run.
    """
    from core.analysis.weights.stats import epoch_stats
    from core.engine.training import Trainer
    config.validate()
    data = data or load_data(config)
    (x_tr, y_tr), (x_val, y_val) = data
    if len(x_tr) == 0:
        raise ValueError("The data set is empty after the validation split.")
    if config.batch_size > len(x_tr):   # as TrainingConfig says of generated data (Keras's Trainer would take one batch)
        raise ValueError(f"Argument `batch_size` must be <= the number of training samples ({len(x_tr)}). "
                         f"Received: batch_size={config.batch_size}")
    n_classes = (IMAGE_CLASSES if is_image_dataset(config) else 1 if is_regression(config)
                 else int(max(y_tr.max(), y_val.max() if len(y_val) else 0)) + 1)
    model = build_model(config, x_tr.shape[1], n_classes)
    val = (x_val, targets_for(config, y_val, n_classes)) if len(x_val) else None
    trainer = Trainer(model, x_tr, targets_for(config, y_tr, n_classes), batch_size=config.batch_size,
                      epochs=config.epochs, validation_data=val, shuffle=True, seed=config.seed,
                      epoch_stats=epoch_stats)
    return trainer, data
