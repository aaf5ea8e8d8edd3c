"""Memory a run needs, against the memory this computer has: refuse up front what cannot fit.

:func:`estimate_parts` adds up, in bytes (float32 everywhere, as the engine trains):

* ``weights``: the parameters, their gradients, the last finite copy kept for a NaN stop
  and the copy a snapshot carries to the window (4 arrays of every parameter's size);
* ``optimizer``: the optimizer's slots (``SGD``: 1 with momentum, ``RMSprop`` 1-2, ``Adam``
  2) plus its one scratch buffer per parameter;
* ``activations``: a batch's forward pass (the dot product, the bias sum and the
  activation of every layer) and its backward deltas, and the decision-boundary grid's
  forward pass (``grid_resolution ** 2`` points);
* ``data``: the training and validation features (float32) and labels (int64; a regression
  run's float32 targets are counted at that size too).

:func:`check_fits` raises a ``ValueError`` saying how much is needed and how much is
available; :func:`config_errors` does so for a :class:`core.run.config.TrainingConfig`
without loading its data (``TrainingConfig.errors()`` reports it on ``hidden``).
"""
from __future__ import annotations

import os

import numpy as np

from core.datasets import DIMENSIONS, REGRESSION_DIMENSIONS
from core.engine.validation import check_int

FLOAT = np.dtype(np.float32).itemsize
LABEL = np.dtype(np.int64).itemsize
#: fraction of the available memory a run may take (the window, the OS and the views need the rest)
USABLE_FRACTION = 0.8
#: image sets: (training images, test images, inputs, classes)
IMAGE_SHAPES = {"mnist": (60_000, 10_000, 784, 10), "fashion_mnist": (60_000, 10_000, 784, 10),
                "mnist_sample": (4_000, 1_000, 784, 10)}


def _slots(config) -> int:
    name = getattr(config, "optimizer", "adam")
    if name == "sgd":
        return 1 if getattr(config, "momentum", 0) else 0
    if name == "rmsprop":
        return 2 if getattr(config, "momentum", 0) else 1
    return {"adagrad": 1, "adam": 2}.get(name, 2)


def layer_sizes(config, input_dim: int, n_classes: int) -> list[int]:
    """Units per layer, input first: ``[input_dim, *hidden units, outputs]`` (a regression run: one output)."""
    regression = getattr(config, "task", "classification") == "regression"
    out = 1 if regression or n_classes == 2 and config.loss in ("binary_crossentropy", "mse") else n_classes
    return [input_dim, *(int(u) for u, _ in config.hidden), out]


def estimate_parts(config, n_train: int, input_dim: int, n_classes: int, n_val: int = 0) -> dict[str, int]:
    """Bytes needed by each part of a run (see the module docstring); keys in the order shown to users.

    Parameters
    ----------
    config : TrainingConfig
    n_train, n_val : int
        Training and validation samples.
    input_dim : int
        Features per sample.
    n_classes : int
    """
    for name, v, low in (("n_train", n_train, 0), ("input_dim", input_dim, 1), ("n_classes", n_classes, 1),
                         ("n_val", n_val, 0)):
        check_int(name, v, low=low)
    sizes = layer_sizes(config, input_dim, n_classes)
    bias = 1 if getattr(config, "use_bias", True) else 0
    params = sum(a * b + b * bias for a, b in zip(sizes[:-1], sizes[1:]))
    units = sum(sizes[1:])
    batch = min(int(config.batch_size), max(n_train, 1))
    grid = int(getattr(config, "grid_resolution", 64)) ** 2
    return {
        "weights": 4 * params * FLOAT,
        "optimizer": (_slots(config) + 1) * params * FLOAT,
        "activations": (4 * batch + 3 * grid) * units * FLOAT + grid * input_dim * FLOAT,
        "data": (n_train + n_val) * (input_dim * FLOAT + LABEL),
    }


def estimate_bytes(config, n_train: int, input_dim: int, n_classes: int, n_val: int = 0) -> int:
    """Total bytes of :func:`estimate_parts`."""
    return sum(estimate_parts(config, n_train, input_dim, n_classes, n_val).values())


def available_bytes() -> int | None:
    """Memory available for a new program now (``MemAvailable`` of /proc/meminfo), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``"38.2 GB"``, ``"512.0 MB"``, ``"12.0 kB"`` (powers of 1000, as a file manager shows them)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def check_fits(config, n_train: int, input_dim: int, n_classes: int, n_val: int = 0,
               available: int | None = None) -> int:
    """Raise ``ValueError`` when the run needs more than :data:`USABLE_FRACTION` of the available memory.

    Returns the estimate in bytes. ``available`` defaults to :func:`available_bytes`;
    when that is unknown nothing is refused.
    """
    parts = estimate_parts(config, n_train, input_dim, n_classes, n_val)
    need = sum(parts.values())
    if available is None:
        available = available_bytes()
    if available is not None and need > USABLE_FRACTION * available:
        detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in parts.items())
        raise ValueError(f"This network needs about {format_bytes(need)} ({detail}); this computer has "
                         f"{format_bytes(available)} available. Use fewer or narrower layers, fewer samples "
                         f"or a smaller batch.")
    return need


def data_shape(config) -> tuple[int, int, int, int] | None:
    """``(n_train, n_val, input_dim, n_classes)`` a config will train on, without loading the data.

    None for a CSV file (its width is only known once read). A regression run has
    ``n_classes`` 1 (its one output).
    """
    if config.csv_path:
        return None
    if config.dataset in IMAGE_SHAPES:         # an MNIST-format image set
        n_tr, n_val, d, k = IMAGE_SHAPES[config.dataset]
        if config.n_samples:
            n_tr = min(n_tr, int(config.n_samples))
        return n_tr, n_val, d, k
    n = int(config.n_samples)
    n_val = int(n * config.validation_split)
    if config.dataset in REGRESSION_DIMENSIONS:
        return n - n_val, n_val, int(REGRESSION_DIMENSIONS[config.dataset]), 1
    return n - n_val, n_val, int(DIMENSIONS[config.dataset]), 2


def config_errors(config, available: int | None = None) -> None:
    """:func:`check_fits` for a valid :class:`core.run.config.TrainingConfig` (nothing for a CSV)."""
    shape = data_shape(config)
    if shape is not None:
        n_train, n_val, d, k = shape
        check_fits(config, n_train, d, k, n_val, available=available)
