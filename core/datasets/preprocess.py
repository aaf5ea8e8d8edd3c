"""Preprocessing exactly as the book: images to (n, 784) float32 / 255, labels one-hot."""
from __future__ import annotations

import numpy as np

from core.engine.validation import check_int

# --------------------------------------------------------------------------- preprocessing
def preprocess_images(x) -> np.ndarray:
    """The book's preprocessing: ``(n, 28, 28)`` uint8 → ``(n, 784)`` float32 in [0, 1].

    Exactly ``x.reshape((n, 28 * 28)).astype("float32") / 255``. Any ``(n, h, w)`` works
    (giving ``(n, h * w)``); the input must be uint8 so the scaling is right.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError("Argument `x` must have 3 dimensions (n, 28, 28). "
                         f"Received: x.shape={x.shape}")
    if x.dtype != np.uint8:
        raise ValueError("Argument `x` must be uint8 pixels (0-255), like MNIST's images. "
                         f"Received: x.dtype={x.dtype}")
    return x.reshape((x.shape[0], x.shape[1] * x.shape[2])).astype(np.float32) / np.float32(255)


def to_categorical(y, num_classes=10) -> np.ndarray:
    """Integer labels → one-hot float32 rows, like ``keras.utils.to_categorical``.

    ``y`` of shape (n,) (or (n, 1)) with integer values in ``[0, num_classes)``;
    ``num_classes=None`` uses ``max(y) + 1``. Returns shape (n, num_classes).
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"Argument `y` must have shape (n,). Received: y.shape={y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError("Argument `y` must hold integer class labels. "
                             "Received a float array with non-integer values.")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise ValueError(f"Argument `y` must hold integer class labels. Received: y.dtype={y.dtype}")
    if num_classes is None:
        if y.size == 0:
            raise ValueError("Argument `num_classes` must be given when `y` is empty.")
        num_classes = int(y.max()) + 1
    num_classes = check_int("num_classes", num_classes, low=1)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"Argument `y` must hold labels in [0, {num_classes - 1}]. "
                         f"Received: min={y.min()}, max={y.max()}")
    out = np.zeros((y.shape[0], num_classes), dtype=np.float32)
    out[np.arange(y.shape[0]), y.astype(np.intp)] = 1.0
    return out


def describe_tensor(a) -> str:
    """``"ndim=3, shape=(60000, 28, 28), dtype=uint8"`` — the book's three attributes."""
    a = np.asarray(a)
    return f"ndim={a.ndim}, shape={tuple(a.shape)}, dtype={a.dtype.name}"
