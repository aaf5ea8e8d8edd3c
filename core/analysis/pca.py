"""Principal axes of wide data fast: randomized subspace iteration (shared by the projections,
the input plane and the separability measure)."""
from __future__ import annotations

import numpy as np

#: wider than this, PCA uses randomized subspace iteration: a width x width eigendecomposition of
#: a 4,096-unit layer took minutes on the GUI thread, a few (n, width) products take milliseconds
EXACT_PCA_WIDTH = 128


def randomized_pca(xc, dims, iterations=6, oversample=10, seed=0):
    """Top ``dims`` principal axes of centred (n, w) ``xc`` (Halko, Martinsson and Tropp 2011).

    Returns ``(components (dims, w), variances (dims,), total variance)``; the fixed
    ``seed`` makes the same data give the same basis.
    """
    n, w = xc.shape
    k = min(dims + oversample, w, n)
    q = xc @ np.random.default_rng(seed).standard_normal((w, k))
    for _ in range(int(iterations)):
        q, _ = np.linalg.qr(q)
        q, _ = np.linalg.qr(xc @ (xc.T @ q))
    _, sv, vt = np.linalg.svd(q.T @ xc, full_matrices=False)
    total = float(np.sum(xc * xc)) / max(n - 1, 1)
    return vt[:dims].copy(), sv[:dims] ** 2 / max(n - 1, 1), total
