"""The batched forward pass behind :mod:`core.analysis.loss.landscape` and :mod:`core.analysis.loss.slices`.

:func:`_evaluate` gives the loss and accuracy at many weight vectors ``centre + c @ dirs``
at once, chunk by chunk, each exactly as ``model.evaluate`` (float32) would: the network at
G weight vectors at once (:class:`_Net`), then the loss of its G outputs at once
(:data:`BATCHED_LOSSES`).
"""
from __future__ import annotations

import numpy as np

from core.engine import losses as losses_mod
from core.engine.layers import Dense, Dropout
from core.engine.validation import check_array, check_int
from core.analysis.loss.planes import require_built

CHUNK_ELEMENTS = 1 << 19
"""Floats per activation buffer of one chunk (2 MB in float32): small enough for the CPU's cache,
large enough to amortise Python's overhead (2**18..2**20 are within 10 % on the 2-8-8-1 benchmark)."""


class Cancelled(Exception):
    """Raised by :func:`core.analysis.loss.landscape.evaluate_grid` (and friends) when ``cancel()``
    returned True; nothing is returned, and the caller (a worker) reports "cancelled"."""


# ---- the network at G weight vectors at once ---------------------------------------------------
class _Net:
    """A model's Dense stack with every weight affine in m coefficients: for a chunk of
    coefficient rows ``c`` (G, m), the flat weights are ``centre + c @ dirs``.

    Layout and tricks (measured on the 2-8-8-1 benchmark, see bench/landscape.py):

    - activations are feature-major, (G, units, n), so softmax aside every operation
      runs along the long contiguous sample axis;
    - each hidden buffer has an extra row of ones, (G, units + 1, n), and each later
      kernel an extra column holding the bias, so ``W h + b`` is one stacked matmul
      (G, units, d_in + 1) @ (G, d_in + 1, n) (a separate broadcast add cost 50 % more);
    - the first layer is linear in ``c``: its pre-activation is
      ``A[0] + sum_d c_d A[d + 1]`` (:meth:`first_products`), one small matmul per chunk
      however wide x is; on a grid row (``b`` fixed) it is ``(A[0] + b A[2]) + a_j A[1]``
      with ``a_j A[1]`` precomputed for every column: a single add.
    """

    def __init__(self, model, centre, dirs):
        offsets, start = {}, 0
        for p in model.params:
            offsets[id(p)] = (start, start + p.size)
            start += p.size
        if start != centre.size:
            raise ValueError(f"The plane has {centre.size} values; the model has {start} parameters.")
        self.centre, self.dirs, self.m = centre, np.stack(dirs), len(dirs)
        self.layers = []
        for layer in model.layers:
            if isinstance(layer, Dropout):
                continue                                   # the identity at inference
            if not isinstance(layer, Dense):
                raise ValueError(f"Loss landscapes support Dense and Dropout layers. Received: "
                                 f"{type(layer).__name__}")
            reg = layer.kernel_regularizer
            self.layers.append(dict(
                kernel=offsets.get(id(layer.kernel)), bias=offsets.get(id(layer.bias)),
                kernel_const=layer.kernel.copy(), bias_const=layer.bias.copy(),   # if frozen
                shape=layer.kernel.shape, units=layer.units, act=layer.activation,
                l2=getattr(reg, "l2", None) if reg is not None else None))
        self.width = max(l["units"] + 1 for l in self.layers)

    def _segment(self, c, span):
        """(K, e - s) float32: ``centre[s:e] + c @ dirs[:, s:e]`` for the coefficient rows ``c``, summed
        direction by direction in float64 then cast, exactly as the whole flat vector would be."""
        s, e = span
        seg = np.empty((len(c), e - s))
        seg[:] = self.centre[s:e]
        for d in range(self.m):                  # no BLAS: small, and safe from its threads
            seg += c[:, d:d + 1] * self.dirs[d, s:e]
        return seg.astype(np.float32)

    def _kernel(self, c, layer, g):
        """(G, units, d_in) float32: the transposed kernels at the coefficient rows ``c``."""
        if layer["kernel"] is None:
            return np.broadcast_to(layer["kernel_const"].T, (g,) + layer["shape"][::-1])
        return self._segment(c, layer["kernel"]).reshape((g,) + layer["shape"]).transpose(0, 2, 1)

    def _bias(self, c, layer, g):
        if layer["bias"] is None:
            return np.broadcast_to(layer["bias_const"], (g, layer["units"]))
        return self._segment(c, layer["bias"])

    def buffers(self, chunk, n):
        """Per layer a (chunk, units + 1, n) float32 buffer whose last row is ones
        (the last layer's has no such row)."""
        bufs = []
        for k, layer in enumerate(self.layers):
            last = k == len(self.layers) - 1
            b = np.empty((chunk, layer["units"] + (0 if last else 1), n), dtype=np.float32)
            if not last:
                b[:, -1] = 1.0
            bufs.append(b)
        return bufs

    def first_products(self, x):
        """A[0] = (x @ Wc + bc).T and A[d + 1] = (x @ Wd + bd).T, each (units, n), so that
        the first layer's pre-activation at c is A[0] + sum_d c_d A[d + 1].

        Returns
        -------
        ndarray of shape (m + 1, units * n), float32
        """
        l0 = self.layers[0]
        vectors = [self.centre] + list(self.dirs)
        rows = []
        for k, v in enumerate(vectors):
            if l0["kernel"] is None:
                kern = l0["kernel_const"] if k == 0 else np.zeros(l0["shape"], np.float32)
            else:
                kern = v[l0["kernel"][0]:l0["kernel"][1]].reshape(l0["shape"]).astype(np.float32)
            if l0["bias"] is None:
                bias = l0["bias_const"] if k == 0 else np.zeros(l0["units"], np.float32)
            else:
                bias = v[l0["bias"][0]:l0["bias"][1]].astype(np.float32)
            rows.append(kern.T @ x.T + bias[:, None])
        return np.stack(rows).reshape(self.m + 1, -1)

    @staticmethod
    def _activate(layer, z):
        v = z.transpose(0, 2, 1)                 # (G, n, units): the axis softmax expects last
        layer["act"].forward(v, v)

    def weights(self, c):
        """The later layers' weights at coefficient rows ``c`` (K, m), ready for :meth:`forward`.

        Returns
        -------
        waugs : list of ndarray
            Per layer (None for the first) the transposed kernels with the bias as an
            extra column, (K, units, d_in + 1) float32 -- built from ``centre + c @ dirs``
            cast to float32, exactly the weights ``set_weights`` would store.
        regs : ndarray of shape (K,)
            The L2 penalty at each row.
        """
        k_rows = len(c)
        # only the later layers' weights (and the L2 layers' kernels) are made: the first layer is
        # linear in c (first_products), and its kernel is most of an image network's weights
        waugs = [None]
        for layer in self.layers[1:]:
            d_in = layer["shape"][0]
            waug = np.empty((k_rows, layer["units"], d_in + 1), dtype=np.float32)
            waug[:, :, :d_in] = self._kernel(c, layer, k_rows)
            waug[:, :, d_in] = self._bias(c, layer, k_rows)
            waugs.append(waug)
        regs = np.zeros(k_rows)
        for layer in self.layers:
            if layer["l2"]:
                w = self._kernel(c, layer, k_rows).reshape(k_rows, -1).astype(np.float64)
                regs += layer["l2"] * np.einsum("gi,gi->g", w, w)
        return waugs, regs

    def weights_bytes(self, rows) -> int:
        """Memory :meth:`weights` takes for ``rows`` coefficient rows."""
        later = sum(l["units"] * (l["shape"][0] + 1) for l in self.layers[1:])
        l2 = sum(l["units"] * l["shape"][0] for l in self.layers if l["l2"])
        return rows * (later * 16 + l2 * 20)

    def forward(self, g, fill_first, waugs, n, bufs):
        """Outputs for a chunk of G points.

        Parameters
        ----------
        g : int, the number of points
        fill_first : callable(z)
            Writes the first layer's pre-activations into ``z`` of shape (G, 1, units * n)
            (a view into ``bufs[0]``).
        waugs : the chunk's rows of :meth:`weights`
        n : int, the number of samples
        bufs : the output of :meth:`buffers` (for at least G points)

        Returns
        -------
        ndarray of shape (G, units_out, n), float32 (a view of ``bufs[-1]``)
        """
        l0 = self.layers[0]
        u0 = l0["units"]
        buf = bufs[0]
        fill_first(buf.reshape(len(buf), 1, -1)[:g, :, :u0 * n])
        h = buf[:g]                                                # (G, units + 1, n), ones last
        self._activate(l0, h[:, :u0])
        for k, layer in enumerate(self.layers[1:], start=1):
            out = bufs[k][:g]
            z = out[:, :layer["units"]]
            np.matmul(waugs[k], h, out=z)                          # W h + b: (G, units, n)
            self._activate(layer, z)
            h = out
        return h


# ---- the losses of G outputs at once -----------------------------------------------------------
def _mean_rows(t):
    """Mean of each row of a (G, ...) float32 array (float32 pairwise sums), as float64."""
    t = t.reshape(len(t), -1)
    return np.add.reduce(t, axis=-1).astype(np.float64) / t.shape[1]


def _dense_accuracy(y):
    """Keras's "accuracy" for dense targets (k, n): f(p of shape (G, k, n)) -> (G,)."""
    if y.shape[0] == 1:
        truth = y[0] > 0.5
        return lambda p: np.count_nonzero((p[:, 0] > 0.5) == truth, axis=-1) / p.shape[-1]
    truth = np.argmax(y, axis=0)
    return lambda p: np.count_nonzero(np.argmax(p, axis=1) == truth, axis=-1) / p.shape[-1]


def _bce_batched(y):
    """Binary crossentropy and accuracy: y (k, n) -> f(p (G, k, n)) -> ((G,), (G,))."""
    lo, hi = losses_mod.EPSILON, 1.0 - losses_mod.EPSILON
    accuracy = _dense_accuracy(y)
    if y.shape[0] == 1 and np.all((y == 0) | (y == 1)):
        # y log q + (1 - y) log(1 - q) is log(t), t = y q + (1 - y)(1 - q) the probability given
        # to the true class, and q (2y - 1) + (1 - y) is exactly q or 1 - q: one log per value.
        # Keras counts a hit when (p > 0.5) == (y > 0.5): t > 0.5 for y = 1, t >= 0.5 for y = 0.
        sign, offset = (2 * y - 1).astype(np.float32), (1 - y).astype(np.float32)
        below_half = np.nextafter(np.float32(0.5), np.float32(0))
        threshold = np.where(y > 0.5, np.float32(0.5), below_half).astype(np.float32)

        def f(p):
            np.clip(p, lo, hi, out=p)
            p *= sign
            p += offset
            hits = np.count_nonzero(p > threshold, axis=-1)[:, 0] / p.shape[-1]
            np.log(p, out=p)
            return -_mean_rows(p), hits
    else:
        def f(p):
            hits = accuracy(p)
            np.clip(p, lo, hi, out=p)
            t = y * np.log(p) + (1 - y) * np.log(1 - p)
            return -_mean_rows(t), hits
    return f


def _mse_batched(y):
    accuracy = _dense_accuracy(y)

    def f(p):
        hits = accuracy(p)
        p -= y
        np.square(p, out=p)
        return _mean_rows(p), hits
    return f


def _cce_batched(y):
    accuracy = _dense_accuracy(y)

    def f(p):
        q = np.clip(p / p.sum(axis=1, keepdims=True), losses_mod.EPSILON, 1.0 - losses_mod.EPSILON)
        return np.mean(-np.sum(y * np.log(q), axis=1), axis=-1, dtype=np.float64), accuracy(p)
    return f


def _scce_batched(y):
    idx = y[None, None, :]

    def f(p):
        hits = np.count_nonzero(np.argmax(p, axis=1) == y, axis=-1) / p.shape[-1]
        q = np.take_along_axis(p, idx, axis=1)[:, 0] / p.sum(axis=1)
        q = np.clip(q, losses_mod.EPSILON, 1.0 - losses_mod.EPSILON)
        return -np.mean(np.log(q), axis=-1, dtype=np.float64), hits
    return f


def _generic_batched(loss, y_rows):
    """Any other :class:`core.engine.losses.Loss`: its own ``value`` and ``correct``, one point at a time."""
    def f(p):
        values = np.array([loss.value(y_rows, p[g].T) for g in range(len(p))])
        hits = np.array([np.mean(loss.correct(y_rows, p[g].T)) for g in range(len(p))])
        return values, hits
    return f


BATCHED_LOSSES = {
    "binary_crossentropy": _bce_batched,
    "mse": _mse_batched,
    "categorical_crossentropy": _cce_batched,
    "sparse_categorical_crossentropy": _scce_batched,
}
"""Loss name -> ``make(y) -> f(p) -> (losses, accuracy)``, each of shape (G,): the losses of
:mod:`core.engine.losses` (mean over samples, Keras's ``sum_over_batch_size``, the same 1e-7
clipping) and Keras's "accuracy" (the rules of ``Loss.correct``) for G outputs at once,
laid out feature-major: ``p`` of shape (G, k, n) and ``y`` the transposed targets (k, n),
or (n,) int labels for the sparse loss. ``f`` may overwrite ``p``."""


# ---- the evaluation ----------------------------------------------------------------------------
def _check_model_xy(model, x, y):
    require_built(model)
    if model.loss is None:
        raise ValueError("The model must be compiled (it needs a loss): call model.compile(optimizer, loss).")
    x = check_array("x", x, ndim=2)
    if x.shape[1] != model.input_dim:
        raise ValueError(f"The model expects inputs with {model.input_dim} features. Received: x.shape={x.shape}")
    if y is None:
        raise ValueError("Argument `y` must be given.")
    y_arr = check_array("y", y, dtype=None, ndim=(1, 2))
    if len(y_arr) != len(x):
        raise ValueError(f"Arguments `x` and `y` must have the same number of samples. "
                         f"Received: x.shape={x.shape}, y.shape={y_arr.shape}")
    return np.ascontiguousarray(x), model.loss.targets(y_arr, model.output_dim)


ROW_TABLE_BYTES = 64 << 20
"""Largest tables of ``a_j * A[1]`` and ``A[0] + b_i * A[2]`` (resolution x first-layer
units x n floats each) for the grid's single-add first layer; beyond it the first layer
is a small matmul per chunk."""

PRECOMPUTE_BYTES = 64 << 20
"""Largest size of every point's weights computed at once before the chunks (the
2-8-8-1 grid of 101 x 101 needs 17 MB); beyond it they are computed per chunk."""


def _evaluate(model, x, y, centre, dirs, coefs=None, progress=None, cancel=None, chunk_elements=None,
              workers=1, axes=None, row_table_bytes=None, precompute_bytes=None):
    """Loss and accuracy at ``centre + coefs @ dirs`` for every row of coefs (G, m), or,
    with ``axes=(a, b)`` (m = 2), at every point of the grid, row-major (b outer).
    The three limits default (None) to this module's constants, read at call time.

    Returns
    -------
    losses, accuracy : ndarray of shape (G,), float32
    """
    x, yt = _check_model_xy(model, x, y)
    workers = check_int("workers", workers, low=1)
    y_fm = yt if yt.ndim == 1 else np.ascontiguousarray(yt.T)     # feature-major targets (k, n)
    n = len(x)
    if axes is not None:
        a_ax, b_ax = (np.asarray(v, dtype=np.float64) for v in axes)
        r = len(a_ax)
        coefs = np.column_stack([np.tile(a_ax, len(b_ax)), np.repeat(b_ax, r)])   # g = i r + j
    coefs = np.asarray(coefs, dtype=np.float64).reshape(-1, len(dirs))
    total = len(coefs)
    losses = np.empty(total, dtype=np.float32)
    accuracy = np.empty(total, dtype=np.float32)
    if total == 0:
        return losses, accuracy
    with np.errstate(all="ignore"):
        net = _Net(model, centre, dirs)
        first = net.first_products(x)
        make = BATCHED_LOSSES.get(model.loss.name)
        loss_of = make(y_fm) if make is not None else _generic_batched(model.loss, yt)
        budget = CHUNK_ELEMENTS if chunk_elements is None else check_int("chunk_elements", chunk_elements)
        chunk = max(1, budget // (n * net.width))
        table = bases = None
        table_limit = ROW_TABLE_BYTES if row_table_bytes is None else row_table_bytes
        if axes is not None:                     # chunks never cross a grid row: b is fixed in each
            pieces = -(-r // min(chunk, r))
            chunk = -(-r // pieces)
            tasks = [(i * r + j, i * r + min(j + chunk, r)) for i in range(len(b_ax)) for j in range(0, r, chunk)]
            if 2 * max(r, len(b_ax)) * first.shape[1] * 4 <= table_limit:
                table = np.multiply(a_ax.astype(np.float32)[:, None], first[1])            # (r, units n)
                bases = first[0] + b_ax.astype(np.float32)[:, None] * first[2]            # (rows, units n)
        else:
            chunk = min(chunk, total)
            tasks = [(s, min(s + chunk, total)) for s in range(0, total, chunk)]
        limit = PRECOMPUTE_BYTES if precompute_bytes is None else precompute_bytes
        pre = net.weights(coefs) if net.weights_bytes(total) <= limit else None
        workers = min(workers, len(tasks))
        buffers = [net.buffers(chunk, n) for _ in range(workers)]

        def run(task, bufs):
            with np.errstate(all="ignore"):         # errstate is per thread
                s, e = task
                if pre is not None:
                    waugs, regs = [w if w is None else w[s:e] for w in pre[0]], pre[1][s:e]
                else:
                    waugs, regs = net.weights(coefs[s:e])
                if table is not None:
                    i, j = divmod(s, r)
                    fill = lambda z: np.add(table[j:j + e - s, None, :], bases[i], out=z)      # noqa: E731
                else:
                    caug = np.empty((e - s, 1, net.m + 1), dtype=np.float32)
                    caug[:, 0, 0] = 1.0
                    caug[:, 0, 1:] = coefs[s:e]
                    fill = lambda z: np.matmul(caug, first, out=z)                         # noqa: E731
                p = net.forward(e - s, fill, waugs, n, bufs)
                values, accuracy[s:e] = loss_of(p)
                losses[s:e] = values + regs

        pool = None
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor
            pool = ThreadPoolExecutor(workers - 1, thread_name_prefix="landscape")
        try:
            # waves of `workers` chunks: this thread runs one, the pool the others; progress and
            # cancel are only ever called from this (the caller's) thread, between waves
            for w0 in range(0, len(tasks), workers):
                if cancel is not None and cancel():
                    raise Cancelled("loss landscape evaluation cancelled")
                wave = tasks[w0:w0 + workers]
                futures = [pool.submit(run, t, buffers[k + 1]) for k, t in enumerate(wave[1:])] if pool else []
                run(wave[0], buffers[0])
                for f in futures:
                    f.result()
                if progress is not None:
                    progress(wave[-1][1] / total)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    return losses, accuracy
