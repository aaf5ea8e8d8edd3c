"""How uncrumpled is a representation for a regression run: R² of a linear fit of the target from it.

The regression analogue of :mod:`core.analysis.uncrumple.separability`. A network ending in one linear
unit computes its output as a linear function of its last hidden layer: training makes that layer's
representation one from which a straight (flat) fit gives the target. :func:`linear_r2` fits the
target ``y`` from one representation ``values`` of shape (n, width) by least squares (with an
intercept) and returns the fit's *training* R², ``1 - SS_res / SS_tot``: 0 for a fit no better than
the mean, 1 for a perfect one. A sine on one input scores about 0.0–0.6 at the input and near 1 at
the last hidden layer of a network that fits it: each layer makes the target more linear.

Features are standardised (constant ones dropped); a representation wider than ``max_features`` is
reduced to its top principal components first (as separability does), so the fit is cheap and does
not merely memorise. Deterministic (a subsample, if any, uses a fixed seed). NumPy only.
"""
from __future__ import annotations

import numpy as np

from core.analysis import pca
from core.engine.validation import check_array, check_int

__all__ = ["linear_r2", "stages_linearity"]

_RIDGE = 1e-6


def linear_r2(values, y, *, max_features: int | None = None) -> float:
    """R² of the least-squares linear fit (with intercept) of ``y`` from ``values``.

    Parameters
    ----------
    values : array_like of shape (n, width)
    y : array_like of shape (n,) or (n, 1)
        Real-valued targets.
    max_features : int, optional
        Wider representations are fitted on their top ``max_features`` principal components.

    Returns
    -------
    float
        In [0, 1] (a fit is never worse than the mean on its training data); NaN when ``y`` is
        constant or no row is finite.
    """
    x = check_array("values", values, ndim=2).astype(np.float64)
    t = np.asarray(y, np.float64).reshape(-1)
    if len(t) != len(x):
        raise ValueError(f"Argument `y` must hold one target per row of `values` ({len(x)}). "
                         f"Received: y.shape={np.shape(y)}")
    ok = np.isfinite(x).all(axis=1) & np.isfinite(t)
    x, t = x[ok], t[ok]
    if len(t) < 2:
        return float("nan")
    tc = t - t.mean()
    total = float(tc @ tc)
    if total <= 1e-12 * max(len(t), 1):
        return float("nan")
    mu, sd = x.mean(axis=0), x.std(axis=0)
    keep = sd > 1e-6 * (1.0 + np.abs(mu))
    if not keep.any():
        return 0.0
    z = (x[:, keep] - mu[keep]) / sd[keep]
    if max_features is not None and z.shape[1] > check_int("max_features", max_features):
        comps, _top, _total = pca.randomized_pca(z, int(max_features)) if z.shape[1] > pca.EXACT_PCA_WIDTH \
            else _exact_pca(z, int(max_features))
        z = z @ comps.T
    gram = z.T @ z + _RIDGE * len(z) * np.eye(z.shape[1])
    w = np.linalg.solve(gram, z.T @ tc)
    res = tc - z @ w
    return float(np.clip(1.0 - float(res @ res) / total, 0.0, 1.0))


def _exact_pca(z: np.ndarray, k: int) -> tuple:
    evals, evecs = np.linalg.eigh(z.T @ z)
    order = np.argsort(-evals, kind="stable")[:k]
    return evecs[:, order].T, evals[order], float(np.clip(evals, 0, None).sum())


def stages_linearity(stage_list, y, *, max_samples: int = 5000, max_features: int | None = None) -> np.ndarray:
    """:func:`linear_r2` of every stage, in order (on a fixed-seed subsample of ``max_samples`` rows).

    A ``+ b`` stage is a translation of the ``dot`` stage before it, which a fit with an intercept
    does not see: it takes that stage's value.

    Returns
    -------
    ndarray of shape (len(stage_list),), float32
    """
    out = np.empty(len(stage_list), np.float32)
    if not stage_list:
        return out
    n = len(stage_list[0].values)
    max_samples = check_int("max_samples", max_samples, low=2)
    rows = None if n <= max_samples else np.sort(np.random.default_rng(0).choice(n, max_samples, replace=False))
    t = np.asarray(y, np.float64).reshape(-1)
    t = t if rows is None else t[rows]
    for i, st in enumerate(stage_list):
        prev = stage_list[i - 1] if i else None
        if st.kind == "bias" and prev is not None and prev.kind == "dot" and prev.layer == st.layer:
            out[i] = out[i - 1]
            continue
        v = np.asarray(st.values)
        if len(v) != n:
            raise ValueError(f"Every stage must hold the same samples; {st.name!r} has {len(v)} rows.")
        out[i] = linear_r2(v if rows is None else v[rows], t, max_features=max_features)
    return out
