"""Weight regularizers (Keras names): ``L2(l2)`` adds ``l2 * sum(W**2)`` to the loss."""
from __future__ import annotations

import numpy as np

from core.engine.validation import check_non_negative


class L2:
    """L2 weight penalty ``l2 * sum(W ** 2)``, gradient ``2 * l2 * W``.

    Parameters
    ----------
    l2 : float, default 0.01
        The factor (Keras's default). Must be finite and >= 0.
    """

    def __init__(self, l2=0.01):
        self.l2 = check_non_negative("l2", l2)

    def __call__(self, w: np.ndarray) -> float:
        return self.l2 * float(np.dot(w.ravel(), w.ravel()))

    def add_gradient(self, w: np.ndarray, grad: np.ndarray) -> None:
        """``grad += 2 * l2 * w`` in place."""
        if self.l2:
            grad += np.float32(2 * self.l2) * w

    def get_config(self) -> dict:
        return {"name": "l2", "l2": self.l2}

    def __repr__(self):
        return f"L2(l2={self.l2})"


def get(identifier):
    """``None``, an ``L2`` instance, a float (an L2 factor) or a config dict."""
    if identifier is None or isinstance(identifier, L2):
        return identifier
    if isinstance(identifier, dict):
        return L2(identifier.get("l2", 0.01))
    if isinstance(identifier, str) and identifier.lower() == "l2":
        return L2()
    if isinstance(identifier, (int, float)) and not isinstance(identifier, bool):
        return L2(identifier)
    raise ValueError("Argument `kernel_regularizer` must be None, 'l2', a number or "
                     f"core.engine.regularizers.L2(...). Received: kernel_regularizer={identifier!r}")
