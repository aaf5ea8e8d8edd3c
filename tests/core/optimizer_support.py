"""Shared data of the optimizer tests: starting weights, six steps of gradients, one optimizer of each kind."""
from __future__ import annotations

import numpy as np

from core.engine.optimizers import SGD, Adagrad, Adam, RMSprop

RNG = np.random.default_rng(1234)
W0 = [RNG.normal(size=(3, 2)).astype(np.float32), RNG.normal(size=(4,)).astype(np.float32)]
GRADS = [[RNG.normal(size=w.shape).astype(np.float32) for w in W0] for _ in range(6)]
ALL = [lambda: SGD(0.05, momentum=0.9, nesterov=True), lambda: RMSprop(0.01, momentum=0.5),
       lambda: Adagrad(0.1), lambda: Adam(0.01)]


def fresh_params():
    return [w.copy() for w in W0]
