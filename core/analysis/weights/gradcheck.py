"""Backpropagation checked against central finite differences, for a few weights per layer.

:func:`gradient_check` works on a float64 copy of the model (the layers compute
with whatever dtype their weights have), so the model's own weights, gradients,
buffers and optimizer state are never touched. For each sampled weight ``w``::

    numerical = (L(w + eps) - L(w - eps)) / (2 eps)
    relative error = |backprop - numerical| / max(|backprop|, |numerical|, FLOOR)

The relative error of a correct gradient is the finite difference's own error: its
truncation error grows like eps**2 (measured on trained spiral nets: up to 2e-4 at
eps = 1e-3, 1e-6 at 1e-4, 3e-6 at 1e-5 where rounding takes over), so the default
step is 1e-5, which float64 allows (float32 would need ~1e-3 and a tolerance of
~1e-2).

The difference has an error of its own, and only an error beyond it counts against
backprop. Each row's ``fd_error`` estimates it: the rounding of the loss (about 1e4
float64 ulps of the loss per eps, the ``resolution``) plus the truncation error, twice
``|D(eps) - D(2 eps)| / 3`` for the central differences ``D`` with steps eps and 2 eps
(``D(h) = g + c h**2 + ...``; twice, for the higher orders). On a long-trained network a
weight's gradient can be tiny next to the curvature around it (saturated tanh or sigmoid
units); judged by their plain relative error, such correct gradients were called wrong.

The difference is taken of the loss backprop differentiates. For a fused output
(softmax or sigmoid with a crossentropy) that is the crossentropy computed from the
logits: the fused gradient ``p - y`` does not see Keras's clipping of probabilities to
[1e-7, 1 - 1e-7], which flattens the reported loss of saturated samples; differencing the
clipped loss called a trained-and-then-diverged network's correct gradients wrong.

A relu (or leaky relu) unit whose pre-activation crosses 0 between ``w - 2 eps`` and
``w + 2 eps`` has a kink there: the finite difference is then wrong, not backprop, so
such entries are marked ``kink`` and left out of the verdict.
"""
from __future__ import annotations

import copy

import numpy as np

from core.engine.validation import check_array, check_int, check_positive
from core.engine.layers import Dense

#: the smallest denominator of a relative error (also see the resolution in _check_one)
FLOOR = 1e-12
#: a finite difference resolves gradients down to RESOLUTION * float64 eps * |loss| / eps
RESOLUTION = 1e4
#: the truncation estimate |D(eps) - D(2 eps)| / 3 leaves out higher orders: this factor covers them
TRUNCATION_SAFETY = 2.0
#: verdict thresholds on the largest relative error
AGREE, DOUBT = 1e-4, 1e-2
#: activations with a kink at 0
KINKED = ("relu", "leaky_relu")


def _float64_copy(model):
    """A model sharing nothing mutable with ``model``: float64 weights, fresh buffers, no optimizer."""
    clone = copy.copy(model)
    clone.layers = []
    for layer in model.layers:
        c = copy.copy(layer)
        if isinstance(layer, Dense):
            c.kernel = layer.kernel.astype(np.float64)
            c.bias = layer.bias.astype(np.float64)
            c.dkernel = np.zeros_like(c.kernel)
            c.dbias = np.zeros_like(c.bias)
            c._a = c._dx = c._x = None
        clone.layers.append(c)
    clone.optimizer = None
    clone._flat = None
    clone._delta = None
    return clone


def _sample(rng, shape, k):
    """``k`` distinct flat indices into an array of ``shape`` (all of them if it has fewer)."""
    size = int(np.prod(shape))
    k = min(k, size)
    return np.sort(rng.choice(size, k, replace=False)) if k < size else np.arange(size)


def gradient_check(model, x, y, n_per_layer=8, eps=1e-5, seed=0) -> dict:
    """Compare backprop's gradient with a central finite difference on a few weights per layer.

    Parameters
    ----------
    model : core.Sequential
        Built and compiled. Left exactly as it was (weights, gradients, optimizer).
    x : ndarray of shape (n, d_in)
        A batch of inputs.
    y : ndarray
        Its targets, in any form the model's loss accepts (labels, one-hot, (n, 1)).
    n_per_layer : int
        Weights sampled per Dense layer: about three quarters from the kernel and
        the rest (at least one) from the bias.
    eps : float
        The finite-difference step (float64 arithmetic; see the module's note).
    seed : int
        Seeds which weights are sampled.

    Returns
    -------
    dict
        ``rows`` : list of dict, one per sampled weight, with ``layer`` (index among the
        Dense layers), ``name``, ``param`` (``"kernel"`` or ``"bias"``), ``index`` (tuple),
        ``label`` (e.g. ``"kernel[3, 1]"``), ``backprop``, ``numerical`` (the central
        difference with step eps), ``fd_error`` (its estimated error: rounding plus
        truncation), ``rel_error`` (``max(0, |backprop - numerical| - fd_error)`` over
        ``max(|backprop|, |numerical|)``: the relative error beyond the difference's own),
        ``kink`` (bool) and ``resolution`` (float: the rounding part of ``fd_error``, the
        smallest gradient the difference resolves).
        ``layers`` : list of dict with ``name`` and ``max_rel_error`` (kinks excluded).
        ``max_rel_error`` : float (kinks excluded; 0.0 when every row is a kink).
        ``ok`` : bool, ``max_rel_error < AGREE``.
        ``verdict`` : str, one line for the user.
        ``dtype`` : ``"float64"``; ``eps`` : float; ``n_samples`` : int.
    """
    if not getattr(model, "built", False) or model.loss is None:
        raise ValueError("Argument `model` must be built and compiled for a gradient check. "
                         f"Received: built={getattr(model, 'built', False)}, loss={getattr(model, 'loss', None)}")
    n_per_layer = check_int("n_per_layer", n_per_layer)
    eps = check_positive("eps", eps)
    x = check_array("x", x, ndim=2, dtype=np.float64)
    if x.shape[1] != model.input_dim:
        raise ValueError(f"Argument `x` must have {model.input_dim} features. Received: x.shape={x.shape}")
    yt = model.loss.targets(y, model.output_dim)
    if len(yt) != len(x):
        raise ValueError(f"Arguments `x` and `y` must have the same number of samples. "
                         f"Received: x.shape={x.shape}, y.shape={np.shape(y)}")
    if yt.dtype.kind == "f":
        yt = yt.astype(np.float64)
    clone = _float64_copy(model)
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        clone._loss_and_grads(x, yt, training=False)
        inputs, pre = _layer_inputs(clone, x)
        rows = []
        for k, (i, layer) in enumerate((i, l) for i, l in enumerate(clone.layers) if isinstance(l, Dense)):
            n_bias = max(1, n_per_layer // 4) if layer.use_bias and n_per_layer > 1 else 0
            picks = [("kernel", layer.kernel, layer.dkernel, n_per_layer - n_bias)]
            if n_bias:
                picks.append(("bias", layer.bias, layer.dbias, n_bias))
            for pname, param, grad, count in picks:
                for flat in _sample(rng, param.shape, count):
                    idx = np.unravel_index(flat, param.shape)
                    rows.append(_check_one(clone, i, (inputs[i], pre[i]), yt, param, grad, idx, eps, k,
                                           layer.name, pname))
    layers = []
    for k, layer in enumerate(model.dense_layers):
        errs = [r["rel_error"] for r in rows if r["layer"] == k and not r["kink"]]
        layers.append({"name": layer.name, "max_rel_error": _max(errs)})
    worst = _max([r["rel_error"] for r in rows if not r["kink"]])
    return {"rows": rows, "layers": layers, "max_rel_error": worst, "ok": bool(worst < AGREE),
            "verdict": verdict(worst, sum(r["kink"] for r in rows), len(rows)),
            "dtype": "float64", "eps": eps, "n_samples": len(x)}


def _max(values) -> float:
    values = [v for v in values]
    if not values:
        return 0.0
    return float("nan") if any(v != v for v in values) else float(max(values))


def verdict(max_rel_error: float, kinks: int = 0, total: int = 0) -> str:
    """One line for the user, e.g. ``"max relative error 3e-06: backprop agrees"``."""
    e = max_rel_error
    if e != e:
        head = "max relative error NaN: the loss or a gradient is not finite"
    elif e == 0:
        head = "no error beyond the finite difference's own: backprop agrees"
    elif e < AGREE:
        head = f"max relative error {e:.1g}: backprop agrees"
    elif e < DOUBT:
        head = f"max relative error {e:.1g}: probably fine (float rounding or a near-kink), look closer"
    else:
        head = f"max relative error {e:.1g}: backprop DISAGREES with the finite difference"
    if kinks:
        head += f" ({kinks} of {total} weights skipped: a relu kink lies within ±eps)"
    return head


def _layer_inputs(model, x):
    """Every layer's input (inference path) and, for Dense layers, its pre-activation ``z``."""
    inputs, pre, h = [], [], x
    for layer in model.layers:
        inputs.append(h)
        if isinstance(layer, Dense):
            z = h @ layer.kernel
            z += layer.bias
            pre.append(z)
            h = layer.activation.forward(z.copy(), np.empty_like(z))
        else:
            pre.append(None)
            h = layer.call(h)
    return inputs, pre


def _loss_from(model, start, z, yt):
    """The loss given the pre-activation ``z`` of layer ``start``, and the on/off pattern of every kink.

    Only layer ``start`` and those after it are evaluated: a weight of layer ``start``
    changes nothing before it. A fused crossentropy output's loss is computed from its logits
    (:func:`crossentropy_from_logits`), the function whose derivative the fused backprop is.
    """
    pattern, h = [], None
    layers = model.layers[start:]
    for j, layer in enumerate(layers):
        if isinstance(layer, Dense):
            if h is not None:
                z = h @ layer.kernel
                z += layer.bias
            if layer.activation.name in KINKED:
                pattern.append(z > 0)
            if j == len(layers) - 1 and layer.fused and model.loss.name.endswith("crossentropy"):
                return crossentropy_from_logits(model.loss.name, yt, z) + model.regularization_loss(), pattern
            h = layer.activation.forward(z, z)
        else:
            h = layer.call(h)
    return model.loss.value(yt, h) + model.regularization_loss(), pattern


def crossentropy_from_logits(loss_name: str, y, z) -> float:
    """A fused output's crossentropy from its logits, without clipping probabilities.

    Parameters
    ----------
    loss_name : str
        ``"binary_crossentropy"`` (sigmoid output), ``"categorical_crossentropy"`` or
        ``"sparse_categorical_crossentropy"`` (softmax output).
    y : ndarray of shape (n, k), or (n,) integer labels for the sparse loss
    z : ndarray of shape (n, k)
        The output layer's pre-activation.

    Returns
    -------
    float
        With ``p = sigmoid(z)`` or ``softmax(z)``, the mean over samples of
        ``-sum(y log p + (1 - y) log(1 - p)) / k`` or ``-sum(y log p)``, computed stably in
        ``z``; its gradient in ``z`` is the fused delta ``(p - y) / size`` or ``(p - y) / n``
        (for rows of ``y`` summing to 1).
    """
    if loss_name == "binary_crossentropy":   # -y log p - (1 - y) log(1 - p) = softplus(z) - y z
        per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return float(np.mean(np.mean(per, axis=-1)))
    top = z.max(axis=-1, keepdims=True)
    lse = (top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True)))[:, 0]
    if loss_name == "sparse_categorical_crossentropy":
        return float(np.mean(lse - z[np.arange(len(z)), y]))
    return float(np.mean(lse * y.sum(axis=-1) - (y * z).sum(axis=-1)))


def _check_one(model, start, cache, yt, param, grad, idx, eps, k, name, pname) -> dict:
    """One weight's central difference. Moving kernel[a, b] by ±eps moves only column b of
    the layer's pre-activation, by ±eps * x[:, a] (a bias entry: by ±eps), so the layer's
    own product is not recomputed; the weight itself still moves for the regularization term.
    The steps are ±eps and ±2 eps: the second difference estimates the first one's truncation error."""
    h, z0 = cache
    col = idx[-1]
    old = param[idx]
    losses = {}
    try:
        for steps in (1.0, -1.0, 2.0, -2.0):
            param[idx] = old + steps * eps
            z = z0.copy()
            z[:, col] += h[:, idx[0]] * (steps * eps) if pname == "kernel" else steps * eps
            losses[steps] = _loss_from(model, start, z, yt)
    finally:
        param[idx] = old
    values = [v for v, _ in losses.values()]
    numerical = (losses[1.0][0] - losses[-1.0][0]) / (2 * eps)
    wide = (losses[2.0][0] - losses[-2.0][0]) / (4 * eps)
    backprop = float(grad[idx])
    resolution = RESOLUTION * np.finfo(np.float64).eps * max(max(map(abs, values)), 1.0) / eps
    fd_error = resolution + TRUNCATION_SAFETY * abs(numerical - wide) / 3
    scale = max(abs(backprop), abs(numerical), FLOOR)
    rel = (max(0.0, abs(backprop - numerical) - fd_error) / scale
           if np.isfinite(scale) and np.isfinite(fd_error) else float("nan"))
    patterns = [p for _, p in losses.values()]
    kink = any(not np.array_equal(a, b) for p in patterns[1:] for a, b in zip(patterns[0], p))
    label = f"{pname}[{', '.join(str(int(j)) for j in idx)}]"
    return {"layer": k, "name": name, "param": pname, "index": tuple(int(j) for j in idx), "label": label,
            "backprop": backprop, "numerical": float(numerical), "fd_error": float(fd_error),
            "rel_error": float(rel), "kink": bool(kink), "resolution": float(resolution)}
