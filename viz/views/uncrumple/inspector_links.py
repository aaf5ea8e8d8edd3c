"""The neuron inspector's links: the strongest weights of a layer, found without sorting the whole kernel."""
from __future__ import annotations

import numpy as np

#: links drawn per layer at most in the small network diagram (the strongest ones)
MAX_EDGES = 3000
#: links weaker than this share of the layer's strongest weight are never drawn
EDGE_SHARE = 0.15


def strongest_links(w: np.ndarray, k: int = MAX_EDGES, share: float = EDGE_SHARE):
    """Rows and columns of the (at most) ``k`` largest ``|w|`` above ``share`` of the largest, strongest first.

    The same links as sorting every weight (ties aside), found from a candidate threshold
    read off a strided sample of ``|w|`` (a 4096 x 4096 kernel is never sorted).

    Parameters
    ----------
    w : ndarray of shape (d_in, units)
    k : int
    share : float

    Returns
    -------
    ii, jj : ndarray of int, of equal length <= k
    """
    a = np.abs(w if np.isfinite(w).all() else np.nan_to_num(w)).ravel()
    big = float(a.max()) if a.size else 0.0
    big = big or 1.0
    cut = share * big
    if a.size > 8 * k:                  # a threshold that keeps ~2 k candidates, from a sample
        stride = max(1, a.size // 200_000)
        sample = a[::stride]
        keep = min(len(sample) - 1, max(0, len(sample) - 2 * k * len(sample) // a.size - 1))
        cut = max(cut, float(np.partition(sample, keep)[keep]))
    idx = np.flatnonzero(a > cut)
    if len(idx) < k and cut > share * big:            # the sample's threshold was too high: all of them
        idx = np.flatnonzero(a > share * big)
    if len(idx) > k:
        idx = idx[np.argpartition(-a[idx], k - 1)[:k]]
    idx = idx[np.argsort(-a[idx], kind="stable")]
    return np.unravel_index(idx, w.shape)
