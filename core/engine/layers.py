"""Layers: ``Dense`` (``output = activation(dot(x, W) + b)``) and ``Dropout``.

Keras's split is kept: ``__init__`` stores configuration, ``build`` creates the
weights, ``forward``/``backward`` run a batch. Training buffers (activations and
deltas) are allocated once for the largest batch and reused as views, so an epoch
allocates almost nothing.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from core.engine import activations, initializers, regularizers
from core.engine.validation import check_int, check_number

LayerTrace = namedtuple("LayerTrace", "name activation dot biased output")
LayerTrace.__doc__ = """One Dense layer's three stages for inputs ``x`` of shape (n, d_in):
``dot = x @ W``, ``biased = dot + b`` and ``output = activation(biased)``,
each an ndarray of shape (n, units)."""


def _grow(buf, shape, dtype=np.float32):
    """Return ``buf`` if it can hold ``shape`` rows of ``dtype``, else a new buffer."""
    if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:] or buf.dtype != dtype:
        return np.empty(shape, dtype=dtype)
    return buf


class Layer:
    """Base class: no parameters, identity."""

    trainable = True

    def __init__(self, name=None):
        self.name = name
        self.built = False
        self.input_dim = None

    def build(self, input_dim, rng):
        self.input_dim = input_dim
        self.built = True

    @property
    def output_dim(self):
        return self.input_dim

    @property
    def params(self):
        return []

    @property
    def grads(self):
        return []

    def regularization_loss(self) -> float:
        return 0.0

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, "name": self.name}


class Dense(Layer):
    """A densely connected layer: ``activation(dot(x, W) + b)``.

    Parameters
    ----------
    units : int
        Number of output units (>= 1).
    activation : str or None
        One of ``core.engine.activations.ACTIVATIONS``; None means linear.
    input_shape : tuple of int, optional
        ``(d_in,)``, for the first layer of a model.
    kernel_initializer, bias_initializer : str
        Names from ``core.engine.initializers.INITIALIZERS``.
    kernel_regularizer : core.engine.regularizers.L2, float or None
    use_bias : bool
        False gives ``activation(dot(x, W))``: the bias stays at zero and is not a weight.

    Attributes
    ----------
    kernel : ndarray of shape (d_in, units), float32
    bias : ndarray of shape (units,), float32
    """

    def __init__(self, units, activation=None, input_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, use_bias=True, name=None):
        super().__init__(name)
        self.units = check_int("units", units)
        if not isinstance(use_bias, bool):
            raise ValueError(f"Argument `use_bias` must be True or False. Received: use_bias={use_bias!r}")
        self.use_bias = use_bias
        self.activation = activations.get(activation)
        if input_shape is not None:
            if isinstance(input_shape, int) and not isinstance(input_shape, bool):
                input_shape = (input_shape,)
            if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 1:
                raise ValueError("Argument `input_shape` must be a tuple of one integer, (d_in,). "
                                 f"Received: input_shape={input_shape!r}")
            input_shape = (check_int("input_shape", input_shape[0]),)
        self.input_shape = input_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer, "bias_initializer")
        self._kernel_init_name = kernel_initializer if isinstance(kernel_initializer, str) else None
        self._bias_init_name = bias_initializer if isinstance(bias_initializer, str) else None
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel = self.bias = None
        self.fused = False  # set by the model when activation+loss share one delta
        self._a = self._dx = None
        self._x = None

    def build(self, input_dim, rng):
        super().build(input_dim, rng)
        self.kernel = np.ascontiguousarray(self.kernel_initializer((input_dim, self.units), rng), dtype=np.float32)
        self.bias = np.ascontiguousarray(self.bias_initializer((self.units,), rng), dtype=np.float32)
        self.dkernel = np.zeros_like(self.kernel)
        self.dbias = np.zeros_like(self.bias)

    @property
    def output_dim(self):
        return self.units

    @property
    def params(self):
        return [self.kernel, self.bias] if self.use_bias else [self.kernel]

    @property
    def grads(self):
        return [self.dkernel, self.dbias] if self.use_bias else [self.dkernel]

    def regularization_loss(self) -> float:
        return self.kernel_regularizer(self.kernel) if self.kernel_regularizer else 0.0

    def bind(self, params, grads) -> None:
        """Use ``params``/``grads`` (views into the model's flat buffers) as the weights."""
        self.kernel, self.dkernel = params[0], grads[0]
        if self.use_bias:
            self.bias, self.dbias = params[1], grads[1]

    # ---- training path (buffered) ------------------------------------------------------------
    def forward(self, x, training=False):
        """Compute the activations of a batch.

        Parameters
        ----------
        x : ndarray of shape (n, d_in), float32

        Returns
        -------
        ndarray of shape (n, units)
            A view of this layer's buffer, valid until the next ``forward``.
        """
        n = x.shape[0]
        self._a = _grow(self._a, (n, self.units), self.kernel.dtype)
        a = self._a[:n]
        np.matmul(x, self.kernel, out=a)
        a += self.bias
        self.activation.forward(a, a)
        self._x = x
        return a

    def backward(self, delta, need_input_grad=True):
        """Backpropagate ``delta`` and fill ``dkernel`` and ``dbias``.

        Parameters
        ----------
        delta : ndarray of shape (n, units)
            dL/da (or dL/dz when ``self.fused``); overwritten with dL/dz.
        need_input_grad : bool
            False for the first layer: dL/dx is then not computed.

        Returns
        -------
        ndarray of shape (n, d_in) or None
            dL/dx, a view of this layer's buffer.
        """
        n = delta.shape[0]
        if not self.fused:
            self.activation.backward(self._a[:n], delta)
        np.matmul(self._x.T, delta, out=self.dkernel)
        if self.use_bias:
            np.sum(delta, axis=0, out=self.dbias)
        if self.kernel_regularizer is not None:
            self.kernel_regularizer.add_gradient(self.kernel, self.dkernel)
        if not need_input_grad:
            return None
        self._dx = _grow(self._dx, (n, self.input_dim), self.kernel.dtype)
        dx = self._dx[:n]
        np.matmul(delta, self.kernel.T, out=dx)
        return dx

    # ---- inference path (fresh arrays) -------------------------------------------------------
    def call(self, x):
        """``activation(dot(x, W) + b)`` as a new array; x : (n, d_in) -> (n, units)."""
        z = x @ self.kernel
        z += self.bias
        return self.activation.forward(z, z)

    def stages(self, x) -> LayerTrace:
        """The three stages for the views: ``dot(x, W)``, ``+ b``, activation."""
        dot = np.asarray(x, dtype=np.float32) @ self.kernel
        biased = dot + self.bias
        out = self.activation.forward(biased.copy(), np.empty_like(biased))
        return LayerTrace(self.name, self.activation.name, dot, biased, out)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(units=self.units, activation=self.activation.name, use_bias=self.use_bias,
                   kernel_initializer=self._kernel_init_name, bias_initializer=self._bias_init_name,
                   kernel_regularizer=None if self.kernel_regularizer is None
                   else self.kernel_regularizer.get_config())
        if self.input_shape is not None:
            cfg["input_shape"] = list(self.input_shape)
        return cfg


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and
    scale the rest by ``1 / (1 - rate)``; identity at inference.

    Parameters
    ----------
    rate : float in [0, 1)
    """

    def __init__(self, rate, name=None):
        super().__init__(name)
        self.rate = check_number("rate", rate, low=0.0, high=1.0, low_inclusive=True, high_inclusive=False)
        self.fixed_mask = None  # tests set this to make the mask deterministic
        self._rng = None
        self._mask = self._out = None

    def build(self, input_dim, rng):
        super().build(input_dim, rng)
        self._rng = rng

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._mask_n = None
            return x
        n = x.shape[0]
        if self.fixed_mask is not None:
            mask = np.asarray(self.fixed_mask, dtype=np.float32)[:n]
        else:
            self._mask = _grow(self._mask, x.shape, np.float32)
            mask = self._mask[:n]
            self._rng.random(out=mask, dtype=np.float32)
            np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
            mask *= np.float32(1.0 / (1.0 - self.rate))
        self._cur_mask = mask
        self._mask_n = n
        self._out = _grow(self._out, x.shape, x.dtype)
        out = self._out[:n]
        np.multiply(x, mask, out=out)
        return out

    def backward(self, delta, need_input_grad=True):
        if self._mask_n is not None:
            delta *= self._cur_mask
        return delta

    def call(self, x):
        return x

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["rate"] = self.rate
        return cfg


LAYERS = {"Dense": Dense, "Dropout": Dropout}


def from_config(cfg: dict) -> Layer:
    """Rebuild a layer from ``get_config()``."""
    cfg = dict(cfg)
    cls_name = cfg.pop("class_name", None)
    if cls_name not in LAYERS:
        raise ValueError(f"Unknown layer class {cls_name!r}; expected one of {sorted(LAYERS)}.")
    if cls_name == "Dense":
        if cfg.get("kernel_initializer") is None:
            cfg.pop("kernel_initializer", None)
        if cfg.get("bias_initializer") is None:
            cfg.pop("bias_initializer", None)
        if cfg.get("input_shape") is not None:
            cfg["input_shape"] = tuple(cfg["input_shape"])
    return LAYERS[cls_name](**cfg)
