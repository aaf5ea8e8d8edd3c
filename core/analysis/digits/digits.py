"""The maths behind the digits views: predictions, errors, drawings, weight tiles, maps.

>>> from core.analysis.digits.digits import confusion_matrix, preprocess_drawing
>>> cm = confusion_matrix(y_test, probs.argmax(1))       # (10, 10): rows true, columns predicted
>>> x = preprocess_drawing(canvas)                        # any (h, w) grayscale -> (28, 28) like MNIST

Everything here is NumPy only (no Qt); the views in :mod:`viz.views.digits.digits` only draw it. The tensor
lab's shape rules are :mod:`core.analysis.digits.shape_flow`'s.
"""
from __future__ import annotations

import math

import numpy as np

from core.engine.validation import check_array, check_int
from core.engine.layers import Dense
from core.engine.model import Sequential
from core.analysis.uncrumple.projection import Projection, fit_projection

__all__ = [
    "FASHION_CLASSES", "image_side", "model_from_weights", "predict_probs", "confusion_matrix",
    "misclassified", "accuracy_and_loss", "generalization_gap", "preprocess_drawing", "center_of_mass",
    "resample_matrix", "tile_mosaic", "symmetric_levels", "image_levels", "representations",
    "pca_2d", "DigitMaps",
]

#: Fashion-MNIST's class names (label 0..9)
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
#: MNIST convention: the centre of mass of a digit sits at pixel (14, 14) (0-based row, column
#: indices; measured on the offline sample: mean 13.99 and 14.00, std 0.29)
MNIST_CENTER = 14.0


def image_side(width) -> int:
    """The side of the square images whose flattened rows have ``width`` values (784 -> 28)."""
    width = check_int("width", width)
    side = math.isqrt(width)
    if side * side != width or side < 4:
        raise ValueError(f"Argument `width` must be the square of a side >= 4 (flattened square images). "
                         f"Received: width={width}")
    return side


# --------------------------------------------------------------------------- the network from its weights
def model_from_weights(weights, activations) -> Sequential:
    """A Dense-only ``Sequential`` holding ``weights`` ([W (in, out), b (out,)] per layer).

    ``activations`` has one name per layer (e.g. ``["relu", "softmax"]``). The layer
    sizes come from the weights, so any run's snapshot can be evaluated without its config.
    """
    weights = [np.asarray(w, np.float32) for w in weights]
    activations = list(activations)
    if len(weights) != 2 * len(activations) or not weights:
        raise ValueError(f"Argument `weights` must hold a kernel and a bias per layer ({len(activations)} "
                         f"layers). Received: {len(weights)} arrays")
    layers = [Dense(w.shape[1], act, input_shape=(w.shape[0],) if i == 0 else None, kernel_initializer="zeros")
              for i, (w, act) in enumerate(zip(weights[::2], activations))]
    model = Sequential(layers, seed=0)
    model.set_weights(weights)
    return model


def predict_probs(model, x, batch_size=2048) -> np.ndarray:
    """``model``'s outputs for ``x`` (n, d) in chunks: (n, k) float32 (class probabilities for softmax)."""
    x = np.asarray(x, np.float32)
    out = [model._predict(x[i:i + batch_size]) if hasattr(model, "_predict") else model.predict(x[i:i + batch_size])
           for i in range(0, len(x), batch_size)]
    return np.concatenate(out).astype(np.float32, copy=False) if out else np.zeros((0, 0), np.float32)


# --------------------------------------------------------------------------- errors and accuracy
def confusion_matrix(y_true, y_pred, n_classes=10) -> np.ndarray:
    """Counts of (true, predicted) pairs: ``cm[i, j]`` = samples of class i predicted as j.

    Returns ndarray of shape (n_classes, n_classes) int64; rows sum to each class's count.
    """
    n_classes = check_int("n_classes", n_classes)
    t = np.asarray(y_true).reshape(-1).astype(np.int64)
    p = np.asarray(y_pred).reshape(-1).astype(np.int64)
    if t.shape != p.shape:
        raise ValueError(f"Arguments `y_true` and `y_pred` must have the same length. "
                         f"Received: {t.shape[0]} and {p.shape[0]}")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes):
        raise ValueError(f"Labels must be in [0, {n_classes - 1}]. Received: min={min(t.min(), p.min())}, "
                         f"max={max(t.max(), p.max())}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def misclassified(y_true, probs) -> np.ndarray:
    """Indices of the wrongly predicted samples, most confident mistakes first.

    ``probs`` (n, k): the order is by the probability given to the wrong prediction
    (descending, ties by index). Returns ndarray of shape (m,) int64.
    """
    p = np.asarray(probs, np.float32)
    t = np.asarray(y_true).reshape(-1).astype(np.int64)
    if p.ndim != 2 or len(p) != len(t):
        raise ValueError(f"Argument `probs` must have shape (n, k) with n = len(y_true) = {len(t)}. "
                         f"Received: probs.shape={p.shape}")
    pred = p.argmax(axis=1)
    wrong = np.flatnonzero(pred != t)
    conf = np.nan_to_num(p[wrong, pred[wrong]], nan=0.0)
    return wrong[np.argsort(-conf, kind="stable")]


def accuracy_and_loss(y_true, probs) -> tuple[float, float]:
    """Accuracy and mean categorical crossentropy (probabilities clipped to [1e-7, 1]) of ``probs`` (n, k)."""
    p = np.asarray(probs, np.float64)
    t = np.asarray(y_true).reshape(-1).astype(np.int64)
    if len(t) == 0:
        return float("nan"), float("nan")
    acc = float(np.mean(p.argmax(axis=1) == t))
    loss = float(-np.mean(np.log(np.clip(p[np.arange(len(t)), t], 1e-7, 1.0))))
    return acc, loss


def generalization_gap(train_acc, test_acc, train_loss, test_loss, threshold=0.02) -> dict:
    """The train-test gap and a one-line verdict (overfitting when train beats test by > ``threshold``).

    Returns ``{"acc_gap": train_acc - test_acc, "loss_gap": test_loss - train_loss,
    "overfitting": bool, "text": str}``.
    """
    acc_gap, loss_gap = float(train_acc) - float(test_acc), float(test_loss) - float(train_loss)
    over = bool(np.isfinite(acc_gap) and acc_gap > threshold)
    if not np.isfinite(acc_gap):
        text = "No accuracy yet."
    elif over:
        text = (f"Overfitting: train accuracy is {acc_gap:.1%} above test ({train_acc:.1%} vs {test_acc:.1%}); "
                f"test loss {test_loss:.3f} vs train {train_loss:.3f}.")
    else:
        text = f"No overfitting yet: train {train_acc:.1%}, test {test_acc:.1%} (gap {acc_gap:+.1%})."
    return {"acc_gap": acc_gap, "loss_gap": loss_gap, "overfitting": over, "text": text}


# --------------------------------------------------------------------------- drawings, MNIST style
def resample_matrix(n_in, n_out, offset=0.0, scale=None) -> np.ndarray:
    """An (n_out, n_in) float64 matrix mapping a row of ``n_in`` pixels onto ``n_out`` pixels.

    Input pixel j covers ``[j, j + 1)`` and lands on ``[offset + j * scale, offset + (j + 1) * scale)``
    in output coordinates (``scale`` defaults to ``n_out / n_in``). Shrinking (scale <= 1) is area
    averaging (each output pixel gets its overlap share of every input pixel); enlarging is
    bilinear (a tent of width 1 around each output pixel's centre). Either way the total mass
    is kept (up to what falls outside) and the first moment moves by exactly ``offset``.
    """
    scale = n_out / n_in if scale is None else float(scale)
    i = np.arange(n_out)[:, None]
    if scale <= 1.0:   # area: the overlap of input pixel j's [lo, lo + scale) with output pixel [i, i + 1)
        lo = offset + np.arange(n_in)[None, :] * scale
        return np.clip(np.minimum(lo + scale, i + 1) - np.maximum(lo, i), 0, None)
    # bilinear: output pixel i's centre, in input index coordinates, between two input centres
    src = (i + 0.5 - offset) / scale - 0.5
    out = np.clip(1 - np.abs(src - np.arange(n_in)[None, :]), 0, None)
    return out


def center_of_mass(img) -> tuple[float, float]:
    """(row, column) of an image's centre of mass in 0-based pixel indices; the centre when blank."""
    a = np.asarray(img, np.float64)
    total = a.sum()
    if not total > 0:
        return (a.shape[0] - 1) / 2, (a.shape[1] - 1) / 2
    return (float(a.sum(axis=1) @ np.arange(a.shape[0]) / total),
            float(a.sum(axis=0) @ np.arange(a.shape[1]) / total))


def preprocess_drawing(img, size=28, box=20, threshold=0.05) -> np.ndarray:
    """A grayscale drawing of any size made to look like an MNIST digit.

    As MNIST was made: the ink's bounding box (pixels above ``threshold`` x the
    maximum) is scaled to fit a ``box`` x ``box`` square keeping its aspect ratio
    (area averaging when shrinking, bilinear when enlarging), then placed in a
    ``size`` x ``size`` field so that its centre of mass is at pixel (14, 14) — the
    MNIST convention in 0-based row and column indices (for ``size`` 28; ``size / 2``
    in general) — to within half a pixel (a whole-pixel shift, as MNIST's, so the
    strokes stay sharp). The result is scaled so its peak is 1.

    Parameters
    ----------
    img : array_like of shape (h, w)
        Ink intensity, white ink on black (higher = more ink), any non-negative scale.

    Returns
    -------
    ndarray of shape (size, size) float32 in [0, 1]; all zeros for a blank drawing.
    """
    a = check_array("img", img, ndim=2, dtype=np.float64)
    size, box = check_int("size", size), check_int("box", box)
    if box > size:
        raise ValueError(f"Argument `box` must be <= size ({size}). Received: box={box}")
    a = np.clip(a, 0, None)
    out = np.zeros((size, size), np.float32)
    peak = a.max()
    if not peak > 0:
        return out
    rows = np.flatnonzero((a > threshold * peak).any(axis=1))
    cols = np.flatnonzero((a > threshold * peak).any(axis=0))
    crop = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = resample_matrix(h, nh) @ crop @ resample_matrix(w, nw).T      # (nh, nw) inside box x box
    cy, cx = center_of_mass(small)
    centre = size / 2
    # a whole-pixel shift, as MNIST's (its centres of mass are at 14.0 +- 0.3): no blur, the box stays box wide
    placed = (resample_matrix(nh, size, round(centre - cy), 1.0) @ small
              @ resample_matrix(nw, size, round(centre - cx), 1.0).T)
    top = placed.max()
    if top > 0:
        out[...] = placed / top
    return out


# --------------------------------------------------------------------------- weight tiles
def tile_mosaic(kernel, start=0, count=64, columns=8, side=None, pad=1) -> tuple[np.ndarray, int]:
    """First-layer units' weights as side x side tiles in one mosaic image.

    Parameters
    ----------
    kernel : ndarray of shape (side * side, units)
        Column u holds unit u's weights on the input pixels.
    start, count : int
        The units shown: ``start .. start + count - 1`` (fewer at the end).
    columns : int
        Tiles per row of the mosaic.
    pad : int
        NaN pixels between tiles.

    Returns
    -------
    mosaic : ndarray of shape (rows * (side + pad) - pad, columns * (side + pad) - pad) float32
        NaN between tiles and in empty slots.
    shown : int
        Units shown.
    """
    k = np.asarray(kernel, np.float32)
    if k.ndim != 2:
        raise ValueError(f"Argument `kernel` must have shape (pixels, units). Received: kernel.shape={k.shape}")
    side = image_side(k.shape[0]) if side is None else check_int("side", side)
    count, columns = check_int("count", count), check_int("columns", columns)
    start = check_int("start", start, low=0)
    units = list(range(start, min(start + count, k.shape[1])))
    rows = max(1, -(-len(units) // columns))
    step = side + pad
    mosaic = np.full((rows * step - pad, columns * step - pad), np.nan, np.float32)
    for n, u in enumerate(units):
        r, c = divmod(n, columns)
        mosaic[r * step:r * step + side, c * step:c * step + side] = k[:, u].reshape(side, side)
    return mosaic, len(units)


def symmetric_levels(a, percentile=99.0) -> tuple[float, float]:
    """``(-m, m)`` with m the ``percentile`` of |finite values| (never 0, never inf): for a diverging map."""
    v = np.abs(np.asarray(a, np.float64))
    v = v[np.isfinite(v)]
    m = float(np.percentile(v, percentile)) if v.size else 1.0
    if not (m > 0 and np.isfinite(m)):
        m = float(v.max()) if v.size and np.isfinite(v.max()) and v.max() > 0 else 1.0
    return -m, m


def image_levels(a) -> tuple[float, float]:
    """Finite ``(lo, hi)`` with lo < hi for showing any array as an image (NaN/inf/constant safe)."""
    v = np.asarray(a, np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


# --------------------------------------------------------------------------- PCA maps per layer
def representations(model, x) -> list[tuple[str, np.ndarray]]:
    """The input and every Dense layer's output for ``x``: ``[("input", x), ("layer 1 (relu)", h1), ...]``."""
    h = np.asarray(x, np.float32)
    out = [("input", h)]
    for i, t in enumerate(model.trace(h)):
        out.append((f"layer {i + 1} ({t.activation})", t.output))
    return out


def pca_2d(values, align_to=None, noun="unit") -> Projection:
    """The first two principal components of (n, width) ``values`` (:func:`core.analysis.uncrumple.projection.fit_projection`,
    which is fast for wide layers too)."""
    return fit_projection(np.asarray(values, np.float32), 2, noun=noun, align_to=align_to)


class DigitMaps:
    """2D PCA maps of each representation with a basis fixed for the whole run.

    Each representation's PCA is fitted the first time it is seen (the first weights
    of the run) and kept across epochs, so the points move while the axes stay put:
    the map shows classes pulling apart. :meth:`refit` fits again on the next call,
    keeping each axis's sign (``align_to``). The fits are :func:`pca_2d` (the
    :class:`core.analysis.uncrumple.projection.Projection` of :func:`core.analysis.uncrumple.projection.fit_projection`,
    computed faster for wide layers).
    """

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.projections: dict[int, Projection] = {}
        self._stale: set = set()

    def refit(self) -> None:
        """Fit every representation's axes again the next time it is projected."""
        self._stale = set(self.projections)

    def project(self, model, x, which=None) -> list[tuple[str, np.ndarray | None, Projection | None]]:
        """``[(name, coords (n, 2) float32, projection), ...]`` for the input and each layer.

        ``which`` (an index into that list) projects only that representation; the
        others then come back as ``(name, None, None)`` (cheaper for a view showing one).
        """
        out = []
        with np.errstate(all="ignore"):
            for i, (name, h) in enumerate(representations(model, x)):
                if which is not None and i != which:
                    out.append((name, None, None))
                    continue
                h = np.nan_to_num(h, nan=0.0, posinf=0.0, neginf=0.0)
                old = self.projections.get(i)
                if old is None or old.width != h.shape[1] or i in self._stale:
                    old = pca_2d(h, align_to=old, noun="pixel" if i == 0 else "unit")
                    self.projections[i] = old
                    self._stale.discard(i)
                out.append((name, old.project(h), old))
        return out
