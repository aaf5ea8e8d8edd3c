"""How uncrumpled is a representation: the accuracy of a linear separator of the classes.

For one representation ``values`` of shape (n, width) and labels ``y``,
:func:`linear_separability` fits a linear classifier with NumPy and returns its
*training* accuracy:

1. features are standardised (constant features are dropped, so a dead unit or a
   saturated sigmoid adds nothing);
2. an L2-regularised logistic regression is fitted by damped Newton's method
   (backtracking line search, so it converges also on separable data, where the
   unregularised optimum is at infinity);
3. for two classes, Fisher's LDA direction (with a small ridge) is computed too,
   and along each of the two directions the threshold is chosen that classifies
   most samples correctly. The larger accuracy is returned: each is the accuracy
   of an actual linear separator, so the result is a lower bound on the best one,
   and at least what the logistic regression alone scores. If Newton's system is
   singular or not finite, LDA alone is used.

Everything is deterministic (no random initialisation; a subsample, if any, uses
a fixed seed). :func:`stages_separability` applies this to every stage of a network
(:func:`core.analysis.uncrumple.geometry.stages`), :func:`separability` to a model and its data.
"""
from __future__ import annotations

import numpy as np

from core.analysis import pca
from core.engine.validation import check_array, check_int, check_non_negative
from core.analysis.uncrumple.geometry import stages

__all__ = ["linear_separability", "stages_separability", "separability"]

_RIDGE_LDA = 1e-3


def _labels(y, n):
    """Labels as class indices 0..k-1, shape (n,), and the number of classes k."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot or probabilities
        y = y.argmax(axis=1)
    elif y.ndim == 2:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"Argument `y` must hold one label per sample ({n}). Received: y.shape={np.shape(y)}")
    _, idx = np.unique(y, return_inverse=True)
    return idx.reshape(-1), int(idx.max()) + 1 if len(idx) else 0


def _standardise(x):
    """Standardised non-constant columns of ``x`` (float64), shape (n, k)."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    keep = sd > 1e-6 * (1.0 + np.abs(mu))  # below this, float32 rounding noise
    return (x[:, keep] - mu[keep]) / sd[keep]


def _logistic_scores(z, targets, l2, max_iter):
    """Scores ``A @ w`` of L2 logistic regressions fitted by damped Newton, one per row of ``targets``.

    ``z`` is (n, k) standardised features, ``targets`` (c, n) in {0, 1} (one row per one-vs-rest
    problem; a single row for two classes). Returns (n, c) scores. Raises
    ``np.linalg.LinAlgError`` if a Newton system is singular or not finite.

    The c fits run side by side, each exactly as it would alone (its own iterations, line search
    and stopping rule: fits that have stopped are left out of the next steps), in a few NumPy
    operations on (c, n) and (c, k + 1, k + 1) arrays per Newton step. One fit at a time, an MNIST
    stage's ten fits took thousands of small NumPy calls, each too small to let go of the GIL: run
    in a background job under load, they kept the window's thread waiting (the monkey, issue 17).
    """
    n, k = z.shape
    targets = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    a = np.empty((n, k + 1))
    a[:, :k] = z
    a[:, k] = 1.0
    reg = np.full(k + 1, l2)
    reg[k] = 1e-10  # the intercept is (practically) not regularised
    diag = np.diag_indices(k + 1)

    def objective(w, y):          # w (m, k + 1), y (m, n) -> (m,)
        s = w @ a.T
        return np.mean(np.logaddexp(0.0, s) - y * s, axis=1) + 0.5 * np.sum(reg * w * w, axis=1)

    c = len(targets)
    w = np.zeros((c, k + 1))
    f = objective(w, targets)
    active = np.ones(c, bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        wi, yi, fi = w[idx], targets[idx], f[idx]
        p = 0.5 * (1.0 + np.tanh(0.5 * (wi @ a.T)))                    # (m, n)
        g = (p - yi) @ a / n + reg * wi                                 # (m, k + 1)
        moving = np.max(np.abs(g), axis=1) >= 1e-10
        active[idx[~moving]] = False
        if not moving.all():
            idx, wi, yi, fi, p, g = idx[moving], wi[moving], yi[moving], fi[moving], p[moving], g[moving]
            if not len(idx):
                break
        h = (a.T[None] * (p * (1.0 - p))[:, None, :]) @ a / n           # (m, k + 1, k + 1)
        h[:, diag[0], diag[1]] += reg
        d = np.linalg.solve(h, g[..., None])[..., 0]
        if not np.all(np.isfinite(d)):
            raise np.linalg.LinAlgError("non-finite Newton step")
        slope = np.sum(g * d, axis=1)
        # backtracking, every fit its own step: halve until the Armijo condition holds (or 1e-12)
        step = np.ones(len(idx))
        w_new, f_new = wi.copy(), np.full(len(idx), np.inf)
        pending = np.ones(len(idx), bool)
        while pending.any():
            q = np.flatnonzero(pending)
            w_try = wi[q] - step[q, None] * d[q]
            f_try = objective(w_try, yi[q])
            w_new[q], f_new[q] = w_try, f_try
            ok = f_try <= fi[q] - 1e-4 * step[q] * slope[q]
            pending[q[ok]] = False
            step[q[~ok]] *= 0.5
            pending &= step > 1e-12
        better = f_new < fi
        done = fi - f_new < 1e-13 * np.maximum(1.0, np.abs(fi))
        active[idx[~better | done]] = False
        keep = idx[better]
        w[keep], f[keep] = w_new[better], f_new[better]
    return a @ w.T


def _lda_scores(z, y01):
    """Scores along Fisher's direction ``(Sw + ridge I)^-1 (mu1 - mu0)``."""
    z0, z1 = z[y01 == 0], z[y01 == 1]
    mu0, mu1 = z0.mean(axis=0), z1.mean(axis=0)
    sw = ((z0 - mu0).T @ (z0 - mu0) + (z1 - mu1).T @ (z1 - mu1)) / max(len(z) - 2, 1)
    sw[np.diag_indices_from(sw)] += _RIDGE_LDA
    return z @ np.linalg.solve(sw, mu1 - mu0)


def _best_threshold_hits(scores, y01):
    """Most samples classified correctly by ``scores > threshold -> class 1``, any threshold."""
    order = np.argsort(scores, kind="stable")
    s, ys = scores[order], y01[order]
    n, n1 = len(ys), int(ys.sum())
    zeros_below = np.concatenate([[0], np.cumsum(1 - ys)])  # split k: first k predicted 0
    ones_below = np.concatenate([[0], np.cumsum(ys)])
    hits = zeros_below + (n1 - ones_below)
    valid = np.ones(n + 1, bool)
    valid[1:n] = s[1:] > s[:-1]  # never split between equal scores
    return int(hits[valid].max())


def _prepare(n, y, max_samples):
    """Class indices, class count and the rows to fit on (None: all), shared by every stage."""
    labels, k = _labels(y, n)
    rows = None
    if max_samples is not None and n > check_int("max_samples", max_samples, low=2):
        rows = np.sort(np.random.default_rng(0).choice(n, max_samples, replace=False))
        labels = labels[rows]
    return labels, k, rows


#: the principal axes of a wide stage are fitted on at most this many values (rows x width): a
#: fixed-seed subsample of rows, never fewer than :data:`FIT_MIN_ROWS` (a 1,500 x 4,096 stage took
#: over a second on a busy core; its 256-row fit is 4x cheaper). Narrower stages use every row.
FIT_VALUES = 1_000_000
FIT_MIN_ROWS = 256


def _reduce(x, max_features):
    """Wide representations on their top ``max_features`` principal components (randomized PCA):
    a linear separator in the reduced space is one in the full space, and the Newton steps'
    width x width systems stay small (784 pixels x 10 classes took seconds).

    The axes are fitted on at most ``max(FIT_MIN_ROWS, 4 * max_features, FIT_VALUES // width)``
    rows (a subsample drawn with seed 0, centred on the mean of all rows); every row is then
    projected on them. Deterministic: the same values give the same result."""
    if max_features is None or x.shape[1] <= max_features:
        return x
    n, width = x.shape
    xc = x - x.mean(axis=0)
    rows = max(FIT_MIN_ROWS, 4 * max_features, FIT_VALUES // width)
    fit = xc if rows >= n else xc[np.sort(np.random.default_rng(0).choice(n, rows, replace=False))]
    comps, _, _ = pca.randomized_pca(fit, max_features, iterations=3)
    return xc @ comps.T


def _accuracy(x, labels, k, l2, max_iter, max_features=None):
    x = _reduce(x, max_features)
    n = len(x)
    if k <= 1:
        return 1.0
    z = _standardise(x)
    if z.shape[1] == 0:
        return float(np.bincount(labels).max() / n)
    if k > 2:  # one-vs-rest logistic regressions, predict the largest score
        onehot = (labels[None, :] == np.arange(k)[:, None]).astype(float)      # (k, n)
        try:
            scores = _logistic_scores(z, onehot, l2, max_iter)
        except np.linalg.LinAlgError:
            scores = np.column_stack([_lda_scores(z, t) for t in onehot])
        return float(np.mean(scores.argmax(axis=1) == labels))
    y01 = labels.astype(float)
    best = 0
    try:
        best = _best_threshold_hits(_logistic_scores(z, y01[None], l2, max_iter)[:, 0], labels)
    except np.linalg.LinAlgError:
        pass
    best = max(best, _best_threshold_hits(_lda_scores(z, y01), labels))
    return float(best / n)


def linear_separability(values, y, *, l2=1e-3, max_iter=50, max_samples=5000, max_features=None) -> float:
    """Training accuracy of a linear separator of the classes in one representation.

    Parameters
    ----------
    values : array_like of shape (n, width)
        One representation of the samples (a stage's values).
    y : array_like of shape (n,) or (n, 1), or one-hot (n, k)
        Class labels (any values; two classes expected, more are handled one-vs-rest).
    l2 : float
        L2 penalty of the logistic regression on standardised features.
    max_iter : int
        Newton iterations at most (it converges in about 10-25).
    max_samples : int or None
        Fit on at most this many samples (a fixed-seed subsample), to bound the time.
    max_features : int or None
        Fit on at most this many principal components of a wider representation
        (a lower bound of the full-width accuracy, and a bounded time). For a very wide
        one the components are fitted on a fixed-seed subsample of rows
        (:data:`FIT_VALUES` values at most, :data:`FIT_MIN_ROWS` rows at least).

    Returns
    -------
    float
        In [0, 1]; 1.0 means a hyperplane separates the classes perfectly. With one
        class, 1.0; with no usable feature, the majority class's share.
    """
    x = check_array("values", values, ndim=2)
    labels, k, rows = _prepare(len(x), y, max_samples)
    if rows is not None:
        x = x[rows]
    return _accuracy(x.astype(np.float64), labels, k, check_non_negative("l2", l2),
                     check_int("max_iter", max_iter), max_features)


def stages_separability(stage_list, y, *, l2=1e-3, max_iter=50, max_samples=5000,
                        max_features=None) -> np.ndarray:
    """:func:`linear_separability` of every stage, in order.

    A ``+ b`` stage is a translation of the ``dot`` stage just before it, and
    standardisation removes translations, so its value is the dot stage's
    (identical by construction, and computed once).

    Parameters
    ----------
    stage_list : list of core.analysis.uncrumple.geometry.Stage
    y : array_like of shape (n,)
    l2, max_iter, max_samples, max_features
        As :func:`linear_separability` (labels and subsample are prepared once).

    Returns
    -------
    ndarray of shape (len(stage_list),), float32
    """
    l2 = check_non_negative("l2", l2)
    max_iter = check_int("max_iter", max_iter)
    out = np.empty(len(stage_list), dtype=np.float32)
    if not stage_list:
        return out
    labels, k, rows = _prepare(len(stage_list[0].values), y, max_samples)
    for i, st in enumerate(stage_list):
        prev = stage_list[i - 1] if i else None
        if st.kind == "bias" and prev is not None and prev.kind == "dot" and prev.layer == st.layer:
            out[i] = out[i - 1]
            continue
        x = check_array(st.name, st.values, ndim=2)
        if len(x) != len(stage_list[0].values):
            raise ValueError(f"Every stage must hold the same samples; {st.name!r} has {len(x)} rows.")
        out[i] = _accuracy((x if rows is None else x[rows]).astype(np.float64), labels, k, l2, max_iter,
                           max_features)
    return out


def separability(model, x, y, **kwargs) -> np.ndarray:
    """Linear separability of the two classes at every stage (public API of issue 4).

    Parameters
    ----------
    model : core.Sequential
    x : array_like of shape (n, d)
    y : array_like of shape (n,)
    **kwargs
        ``l2``, ``max_iter``, ``max_samples`` of :func:`linear_separability`.

    Returns
    -------
    ndarray of shape (1 + 3 * n_dense,), float32
        The training accuracy of a linear separator in each stage's representation,
        in the order of :func:`core.analysis.uncrumple.geometry.stages` (input first).
    """
    return stages_separability(stages(model, x), y, **kwargs)
