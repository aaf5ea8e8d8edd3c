"""Keras 3 optimizers (SGD, RMSprop, Adagrad, Adam) in NumPy.

Names, defaults and update rules follow ``keras/src/optimizers``. Parameters are
updated in place: the slots (momentum, velocity, ...) and one scratch buffer per
parameter are allocated once by :meth:`Optimizer.build`, and each step runs
ufuncs into them (``out=`` / in-place operators), so float32 parameters stay
float32 and a step allocates no arrays.

Example::

    opt = get("adam")
    opt.apply([w, b], [dw, db])      # w, b updated in place; opt.iterations == 1
"""
from __future__ import annotations

import math

import numpy as np

from core.engine.validation import check_int, check_number

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "OPTIMIZERS", "get"]


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Argument `{name}` must be a boolean. Received: {name}={value!r}")
    return bool(value)


class _Hyper:
    """Validated hyperparameter: ``_Hyper(low=0, ...)`` checks with ``check_number``
    (integer bounds, so messages read "must be > 0" as in Keras); ``_Hyper(check=f)`` uses ``f``."""

    def __init__(self, check=None, **bounds):
        self.check = check or (lambda name, value: check_number(name, value, **bounds))

    def __set_name__(self, owner, name):
        self.name, self.attr = name, "_" + name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj, value):
        setattr(obj, self.attr, self.check(self.name, value))


_POSITIVE = dict(low=0)                                                     # > 0
_NON_NEGATIVE = dict(low=0, low_inclusive=True)                             # >= 0
_UNIT_CLOSED = dict(low=0, high=1, low_inclusive=True)                      # [0, 1]
_UNIT_OPEN = dict(low=0, high=1, low_inclusive=True, high_inclusive=False)  # [0, 1)


class Optimizer:
    """Base class: slots, state and config; subclasses implement ``_update``.

    Attributes
    ----------
    name : str
        Registry name (``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adam"``).
    learning_rate : float
        Step size, > 0 and finite; may be changed between steps.
    iterations : int
        Number of :meth:`apply` calls so far.
    """

    name = "optimizer"
    learning_rate = _Hyper(**_POSITIVE)
    _HYPERPARAMETERS: tuple = ("learning_rate",)
    _SLOTS: tuple = ()                   # slot names; one array per parameter each

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._signature = None           # ((shape, dtype), ...) of the built parameters
        self._slots: list[tuple] = []    # per parameter: one array per _SLOTS name
        self._scratch: list = []         # per parameter: one work buffer

    @staticmethod
    def _signature_of(arrays) -> tuple:
        return tuple((getattr(a, "shape", None), getattr(a, "dtype", None)) for a in arrays)

    def _slot_initial_value(self, slot: str) -> float:
        return 0.0

    def build(self, params) -> None:
        """Allocate slots and scratch buffers for ``params``, zeroing any old state.

        Parameters
        ----------
        params : list of ndarray
            Floating arrays of any shapes; each slot copies its parameter's
            shape and dtype. ``iterations`` is left unchanged.
        """
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
                raise ValueError(f"Argument `params[{i}]` must be a floating-point ndarray. Received: "
                                 f"params[{i}]={type(p).__name__} of dtype {getattr(p, 'dtype', None)}")
        self._slots = [tuple(np.full_like(p, self._slot_initial_value(s)) for s in self._SLOTS)
                       for p in params]
        self._scratch = [np.empty_like(p) for p in params]
        self._signature = self._signature_of(params)

    def reset(self) -> None:
        """Drop all slots and set ``iterations`` back to 0 (hyperparameters are kept)."""
        self.iterations, self._signature, self._slots, self._scratch = 0, None, [], []

    def apply(self, params, grads) -> None:
        """Update every parameter in place by one step, then ``iterations += 1``.

        Parameters
        ----------
        params : list of ndarray
            Writable floating arrays, modified in place. Slots are (re)built on
            first use or when shapes/dtypes differ from the last build.
        grads : list of array_like
            ``grads[i]`` has the shape of ``params[i]``.
        """
        params, grads = list(params), list(grads)
        if len(params) != len(grads):
            raise ValueError(f"Arguments `params` and `grads` must have the same length. "
                             f"Received: len(params)={len(params)}, len(grads)={len(grads)}")
        if self._signature != self._signature_of(params):
            self.build(params)
        for i, (p, g) in enumerate(zip(params, grads)):
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ValueError(f"Argument `grads[{i}]` must have the shape of `params[{i}]` "
                                 f"{p.shape}. Received: grads[{i}].shape={g.shape}")
            self._update(p, g, self._slots[i], self._scratch[i])
        self.iterations += 1

    def _update(self, w, g, slots, s) -> None:
        """One in-place step of ``w`` from ``g``, its ``slots`` and scratch ``s`` (all ``w.shape``)."""
        raise NotImplementedError

    def set_hyperparameter(self, name: str, value) -> None:
        """Validate and set hyperparameter ``name``; it takes effect on the next step."""
        if name not in self._HYPERPARAMETERS:
            raise ValueError(f"Argument `name` must be one of {', '.join(map(repr, self._HYPERPARAMETERS))} "
                             f"for {type(self).__name__}. Received: name={name!r}")
        setattr(self, name, value)

    def get_config(self) -> dict:
        """``{"name": ..., "learning_rate": ..., <other hyperparameters>}`` (JSON-safe)."""
        return {"name": self.name, **{h: getattr(self, h) for h in self._HYPERPARAMETERS}}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """Build an optimizer from :meth:`get_config` output (``Optimizer`` dispatches on "name")."""
        config = dict(config)
        name = str(config.pop("name", cls.name)).lower()
        target = OPTIMIZERS.get(name) if cls is Optimizer else cls
        if target is None or target.name != name:
            valid = OPTIMIZERS if cls is Optimizer else (cls.name,)
            raise ValueError(f"Argument `config['name']` must be one of {', '.join(map(repr, valid))}. "
                             f"Received: config['name']={name!r}")
        unknown = sorted(set(config) - set(target._HYPERPARAMETERS))
        if unknown:
            raise ValueError(f"Unknown key(s) {unknown} in `config` for {target.__name__}; "
                             f"allowed: {', '.join(('name',) + target._HYPERPARAMETERS)}")
        return target(**config)

    def get_state(self) -> dict:
        """Copy of the mutable state, enough to resume bit-identically.

        Returns
        -------
        dict
            ``{"iterations": int, "slots": list of ndarray}``. ``slots`` is
            parameter-major: for each parameter, a copy of each ``_SLOTS`` array
            (``len(params) * len(_SLOTS)`` arrays); empty before the first build.
        """
        return {"iterations": int(self.iterations),
                "slots": [a.copy() for per_param in self._slots for a in per_param]}

    def set_state(self, state: dict) -> None:
        """Restore :meth:`get_state` output (all or nothing), building slots from their shapes."""
        if not isinstance(state, dict):
            raise ValueError(f"Argument `state` must be a dict. Received: state={state!r}")
        iterations = check_int("state['iterations']", state.get("iterations"), low=0)
        slots, k = [np.asarray(a) for a in state.get("slots", [])], max(len(self._SLOTS), 1)
        groups = [slots[i:i + k] for i in range(0, len(slots), k)]
        if len(slots) % k or any(self._signature_of(g) != self._signature_of(g[:1]) * k for g in groups):
            raise ValueError(f"Argument `state['slots']` must hold {k} arrays of one shape and dtype "
                             f"per parameter. Received: {[(a.shape, str(a.dtype)) for a in slots]}")
        if not groups:
            self._signature, self._slots, self._scratch = None, [], []
        elif self._signature != self._signature_of(g[0] for g in groups):
            self.build([g[0] for g in groups])
        for mine, theirs in zip(self._slots, groups):
            for dst, src in zip(mine, theirs):
                np.copyto(dst, src)
        self.iterations = iterations

    def __repr__(self) -> str:
        args = ", ".join(f"{h}={getattr(self, h)!r}" for h in self._HYPERPARAMETERS)
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as ``keras.optimizers.SGD``.

    ``momentum == 0``: ``w -= lr * g``. Otherwise ``m = momentum * m - lr * g``
    then ``w += m``, or with ``nesterov`` ``w += momentum * m - lr * g``. The
    momentum slot is always allocated, so momentum can be switched on later.
    """

    name = "sgd"
    momentum = _Hyper(**_UNIT_CLOSED)
    nesterov = _Hyper(check=_check_bool)
    _HYPERPARAMETERS = ("learning_rate", "momentum", "nesterov")
    _SLOTS = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov

    def _update(self, w, g, slots, s):
        (m,), mu = slots, self.momentum
        np.multiply(g, self.learning_rate, out=s)        # s = lr * g
        if mu == 0:
            w -= s
            return
        m *= mu
        m -= s                                           # m = mu * m - lr * g
        if self.nesterov:                                # w += mu * m - lr * g
            w -= s
            w += np.multiply(m, mu, out=s)
        else:
            w += m


class RMSprop(Optimizer):
    """RMSprop with optional plain momentum, as ``keras.optimizers.RMSprop`` (uncentered).

    ``v = rho * v + (1 - rho) * g**2``; ``inc = lr * g / sqrt(v + epsilon)``;
    ``w -= inc``, or with momentum ``m = momentum * m + inc; w -= m``.
    """

    name = "rmsprop"
    rho = _Hyper(**_UNIT_OPEN)
    momentum = _Hyper(**_UNIT_CLOSED)
    epsilon = _Hyper(**_POSITIVE)
    _HYPERPARAMETERS = ("learning_rate", "rho", "momentum", "epsilon")
    _SLOTS = ("velocity", "momentum")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def _update(self, w, g, slots, s):
        v, m = slots
        np.square(g, out=s)
        s *= 1.0 - self.rho
        v *= self.rho
        v += s                                           # v = rho * v + (1 - rho) * g**2
        np.sqrt(np.add(v, self.epsilon, out=s), out=s)
        np.divide(g, s, out=s)
        s *= self.learning_rate                          # s = lr * g / sqrt(v + epsilon)
        if self.momentum > 0:
            m *= self.momentum
            m += s
            w -= m
        else:
            w -= s


class Adagrad(Optimizer):
    """Adagrad, as ``keras.optimizers.Adagrad``.

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``. ``acc`` starts at
    ``initial_accumulator_value`` (read when the slots are built).
    """

    name = "adagrad"
    initial_accumulator_value = _Hyper(**_NON_NEGATIVE)
    epsilon = _Hyper(**_POSITIVE)
    _HYPERPARAMETERS = ("learning_rate", "initial_accumulator_value", "epsilon")
    _SLOTS = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slot_initial_value(self, slot):
        return self.initial_accumulator_value

    def _update(self, w, g, slots, s):
        (acc,) = slots
        acc += np.square(g, out=s)
        np.sqrt(np.add(acc, self.epsilon, out=s), out=s)
        np.divide(g, s, out=s)
        s *= self.learning_rate
        w -= s


class Adam(Optimizer):
    """Adam, as ``keras.optimizers.Adam`` (without amsgrad).

    With ``t = iterations + 1`` and ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``:
    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``w -= alpha * m / (sqrt(v) + epsilon)``.
    """

    name = "adam"
    beta_1 = _Hyper(**_UNIT_OPEN)
    beta_2 = _Hyper(**_UNIT_OPEN)
    epsilon = _Hyper(**_POSITIVE)
    _HYPERPARAMETERS = ("learning_rate", "beta_1", "beta_2", "epsilon")
    _SLOTS = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update(self, w, g, slots, s):
        m, v = slots
        t = self.iterations + 1
        alpha = self.learning_rate * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        np.subtract(g, m, out=s)
        s *= 1.0 - self.beta_1
        m += s
        np.square(g, out=s)
        s -= v
        s *= 1.0 - self.beta_2
        v += s
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= alpha
        w -= s


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam}


def get(identifier) -> Optimizer:
    """Resolve ``identifier`` to an optimizer.

    A name (case-insensitive, a key of :data:`OPTIMIZERS`) gives a new instance
    with Keras defaults; an :class:`Optimizer` is returned as is; a dict goes to
    :meth:`Optimizer.from_config`. Anything else raises ``ValueError``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return Optimizer.from_config(identifier)
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    raise ValueError(f"Argument `identifier` must be one of {', '.join(map(repr, OPTIMIZERS))}, "
                     f"an Optimizer instance or a config dict. Received: identifier={identifier!r}")
