"""The Distributions view's on-demand gradient check: rebuild the run's network with the weights on
screen, then :func:`core.analysis.weights.gradcheck.gradient_check` on one sampled batch (sizes kept small for big nets)."""
from __future__ import annotations

import time

import numpy as np

from core.run.config import TrainingConfig, build_model, targets_for
from core.analysis.weights.gradcheck import gradient_check
from viz.views.weights.distributions_parts import one_blas_thread
from viz.views.uncrumple.layers import labels_of

#: the gradient check: samples in its batch at most and sampled weights per layer, fewer for nets of
#: BIG_NET weights or more (784-512-512-10 then takes ~60 ms on a busy core instead of ~0.9 s)
CHECK_BATCH, CHECK_BATCH_BIG = 64, 16
CHECK_PER_LAYER, CHECK_PER_LAYER_BIG, BIG_NET = 8, 4, 100_000


def rebuild(config: dict | None, data: dict | None, weights, built=None):
    """``(built, "")`` with ``built = (model, config, x, y, n_classes)`` holding ``weights``, or
    ``(None, why not)``. ``built`` from an earlier call is reused (only its weights change)."""
    if config is None or not data:
        return None, "No run yet: start training first."
    if not weights:
        return None, "No weights yet: wait for the first snapshot."
    if not all(np.isfinite(np.asarray(w, np.float64)).all() for w in weights):
        return None, "The weights are not finite (training diverged): nothing to check."
    try:
        if built is None:
            cfg = TrainingConfig.from_dict(config)
            x = np.asarray(data["x_train"], np.float32)
            y = labels_of(data["y_train"])
            n_classes = max(2, int(y.max(initial=0)) + 1)
            built = (build_model(cfg, x.shape[1], n_classes), cfg, x, y, n_classes)
        built[0].set_weights(weights)
    except (KeyError, ValueError, TypeError) as exc:
        return None, f"Cannot rebuild this run's network: {exc}"
    return built, ""


def check_one_batch(built, seed: int):
    """The gradient check of ``built``'s network on a batch drawn with ``seed``: ``(result, batch
    size, milliseconds)``. Raises ValueError when the check cannot run."""
    model, config, x, y, n_classes = built
    big = model.count_params() >= BIG_NET
    n = min(len(x), config.batch_size, CHECK_BATCH_BIG if big else CHECK_BATCH)
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    t0 = time.perf_counter()
    with one_blas_thread():
        result = gradient_check(model, x[idx], targets_for(config, y[idx], n_classes),
                                n_per_layer=CHECK_PER_LAYER_BIG if big else CHECK_PER_LAYER)
    return result, n, (time.perf_counter() - t0) * 1000
