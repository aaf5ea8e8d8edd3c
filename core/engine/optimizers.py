"""Keras 3 optimizers (SGD, RMSprop, Adagrad, Adam) in NumPy.

Names, defaults and update rules follow ``keras/src/optimizers``. Parameters are
updated in place: the slots (momentum, velocity, ...) and one scratch buffer per
parameter are allocated once by :meth:`Optimizer.build`, and each step runs
ufuncs into them (``out=`` / in-place operators), so float32 parameters stay
float32 and a step allocates no arrays.

With numba installed (``pip install uncrumple[fast]``) each step runs instead as one
compiled pass per parameter (:mod:`core.engine.fused`), ~4x cheaper for big networks
and with the same bits: the same float operations in the same order. ``UNCRUMPLE_FUSED=0``
keeps the NumPy path; :func:`update_path` says which one runs.

Each class lists its hyperparameters, Keras names and defaults, in
:attr:`Optimizer.HYPERPARAMETERS` (read off its constructor), the one source the
run configuration and the controls derive theirs from.

Subnormal floats: a slot that decays (a moving average of ``g**2`` or a momentum
whose gradient stays at 0, e.g. a dead relu unit) shrinks geometrically below the
smallest normal float (~1.2e-38) and then stays a subnormal number for good (with
``rho = 0.9`` it ends at the smallest one, 1.4e-45: 0.9 times it rounds back to it),
which many CPUs handle 10-20x more slowly: an epoch of the book's network got 75 %
slower over three epochs.
Every :data:`FLUSH_EVERY` steps the decaying slots are flushed: entries below the
smallest normal float are set to 0, as a CPU running with flush-to-zero would
(TensorFlow's CPU kernels do); each entry is then subnormal for at most 16 steps,
once. Nothing else changes: wherever no subnormal occurs the bits are those
of the plain formula, and the flush depends only on ``iterations``, so the same
seed still gives the same run, and a restored state goes on bit-identically.

Example::

    opt = get("adam")
    opt.apply([w, b], [dw, db])      # w, b updated in place; opt.iterations == 1
"""
from __future__ import annotations

import inspect
import math
import os
from types import MappingProxyType

import numpy as np

from core.engine.validation import check_int, check_number

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "OPTIMIZERS", "get"]


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Argument `{name}` must be True or False. Received: {name}={value!r}")
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


#: the smallest normal float32: state below it is flushed to 0 (see the module docstring)
TINY = np.finfo(np.float32).tiny
#: the decaying slots are flushed after every this many steps. A flush costs ~2 passes over the
#: slot (a seventh of an RMSprop step); a decaying entry then stays subnormal for at most 16
#: steps instead of for good, and once 0 it stays 0 while its gradient does.
FLUSH_EVERY = 16


def _hyperparameters_of(cls) -> MappingProxyType:
    """``{name: Keras default}`` from the constructor's keyword arguments, in their order."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return MappingProxyType({p.name: (None if p.default is p.empty else p.default) for p in params})


def flush_subnormals(a: np.ndarray, mask: np.ndarray, signed: bool = True) -> None:
    """Set every entry of ``a`` smaller in magnitude than the smallest normal float32 to 0.

    Parameters
    ----------
    a : ndarray of float32 or float64
        Modified in place; normal numbers, zeros, infinities and NaNs are left as they are.
    mask : ndarray of bool, of ``a``'s shape
        Work buffer (overwritten).
    signed : bool
        False when ``a`` holds no negative numbers (a moving average of ``g**2``): one
        comparison instead of two.

    Notes
    -----
    The cut-off is float32's, also for float64 arrays: a float64 state holding such
    values is the float64 image of float32 training (e.g. :func:`core.analysis.loss.slices.next_step`),
    and its values stay those float32 would keep.
    """
    np.less(a, TINY, out=mask)
    if signed:
        np.greater(a, -TINY, out=mask, where=mask)
    np.copyto(a, 0, where=mask)


_FUSED = False    # not looked for yet; then the module core.engine.fused, or None
#: parameters smaller than this take the NumPy path even with numba: calling a compiled kernel
#: costs a few microseconds, more than NumPy's ufuncs on a small network (the bits are the same)
FUSED_MIN_SIZE = 4096


def fused_module():
    """:mod:`core.engine.fused` when numba is installed and ``UNCRUMPLE_FUSED`` is not ``"0"``, else None.

    Looked for on the first step, not on import (numba is slow to import).
    """
    global _FUSED
    if _FUSED is False:
        _FUSED = None
        if os.environ.get("UNCRUMPLE_FUSED", "1") != "0":
            try:
                from core.engine import fused
                _FUSED = fused
            except ImportError:
                pass
    return _FUSED


def allow_fused(allowed: bool) -> None:
    """Whether this process may take the fused (numba) update; it may by default.

    The window process says no (:func:`viz.app.main.create_window`): its few optimizer steps (the
    Slice's preview of the next update) gain nothing from it, while importing and compiling numba
    there held the GUI thread for ~6 s on an MNIST run. The bits are the same either way.
    """
    global _FUSED
    _FUSED = False if allowed else None


def update_path() -> str:
    """Which update the optimizers run: ``"NumPy"`` or e.g. ``"fused (numba 0.68.1)"`` (same bits either way)."""
    return "NumPy" if fused_module() is None else f"fused (numba {fused_module().numba.__version__})"


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
    HYPERPARAMETERS : mapping of str to object
        Class attribute: every hyperparameter with its Keras name and default, in the
        constructor's order (read off ``__init__``), e.g. ``RMSprop.HYPERPARAMETERS ==
        {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07}``.
        :meth:`get_config`, :meth:`from_config`, :meth:`set_hyperparameter` and the run
        configuration (``core.run.config``) all follow it.
    """

    name = "optimizer"
    learning_rate = _Hyper(**_POSITIVE)
    HYPERPARAMETERS: MappingProxyType = MappingProxyType({"learning_rate": None})
    _SLOTS: tuple = ()                   # slot names; one array per parameter each

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.HYPERPARAMETERS = _hyperparameters_of(cls)

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._signature = None           # ((shape, dtype), ...) of the built parameters
        self._slots: list[tuple] = []    # per parameter: one array per _SLOTS name
        self._scratch: list = []         # per parameter: one work buffer
        self._masks: list = []           # per parameter: a bool buffer for the flush

    @classmethod
    def check_hyperparameter(cls, name: str, value):
        """Check ``value`` for hyperparameter ``name`` of this class; return it as it would be kept.

        Raises
        ------
        ValueError
            ``name`` is not one of :attr:`HYPERPARAMETERS`, or ``value`` is out of range
            (the message names the argument, as Keras's do).
        """
        if name not in cls.HYPERPARAMETERS:
            raise ValueError(f"Argument `name` must be one of {', '.join(map(repr, cls.HYPERPARAMETERS))} "
                             f"for {cls.__name__}. Received: name={name!r}")
        return getattr(cls, name).check(name, value)

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
        self._masks = [np.empty(p.shape, dtype=bool) for p in params]
        self._signature = self._signature_of(params)

    def reset(self) -> None:
        """Drop all slots and set ``iterations`` back to 0 (hyperparameters are kept)."""
        self.iterations, self._signature, self._slots, self._scratch, self._masks = 0, None, [], [], []

    def apply(self, params, grads) -> None:
        """Update every parameter in place by one step, then ``iterations += 1``.

        Parameters
        ----------
        params : list of ndarray
            Writable floating arrays, modified in place. Slots are (re)built on
            first use or when shapes/dtypes differ from the last build.
        grads : list of array_like
            ``grads[i]`` has the shape of ``params[i]``.

        Notes
        -----
        After every :data:`FLUSH_EVERY`-th step (``iterations + 1`` a multiple of it), the
        slots that decay are flushed (:func:`flush_subnormals`).
        """
        params, grads = list(params), list(grads)
        if len(params) != len(grads):
            raise ValueError(f"Arguments `params` and `grads` must have the same length. "
                             f"Received: len(params)={len(params)}, len(grads)={len(grads)}")
        if self._signature != self._signature_of(params):
            self.build(params)
        flush = (self.iterations + 1) % FLUSH_EVERY == 0
        fused = fused_module()
        for i, (p, g) in enumerate(zip(params, grads)):
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ValueError(f"Argument `grads[{i}]` must have the shape of `params[{i}]` "
                                 f"{p.shape}. Received: grads[{i}].shape={g.shape}")
            if (fused is not None and p.size >= FUSED_MIN_SIZE and p.dtype == g.dtype and p.dtype.kind == "f"
                    and p.dtype.itemsize in (4, 8) and p.flags.c_contiguous and g.flags.c_contiguous):
                self._fused(fused, p.reshape(-1), g.reshape(-1), [a.reshape(-1) for a in self._slots[i]], flush)
                continue
            decaying = self._update(p, g, self._slots[i], self._scratch[i])
            if flush:
                for slot, signed in decaying:
                    flush_subnormals(slot, self._masks[i], signed)
        self.iterations += 1

    def _fused(self, fused, w, g, slots, flush) -> None:
        """:meth:`_update` and the flush in one pass (:mod:`core.engine.fused`), on 1-D views."""
        raise NotImplementedError

    def _update(self, w, g, slots, s) -> tuple:
        """One in-place step of ``w`` from ``g``, its ``slots`` and scratch ``s`` (all ``w.shape``).

        Returns
        -------
        tuple of (ndarray, bool)
            The slots this step left decaying, to flush, each with whether it can be negative.
        """
        raise NotImplementedError

    def set_hyperparameter(self, name: str, value) -> None:
        """Validate and set hyperparameter ``name``; it takes effect on the next step."""
        self.check_hyperparameter(name, value)
        setattr(self, name, value)

    def get_config(self) -> dict:
        """``{"name": ..., "learning_rate": ..., <other hyperparameters>}`` (JSON-safe)."""
        return {"name": self.name, **{h: getattr(self, h) for h in self.HYPERPARAMETERS}}

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
        unknown = sorted(set(config) - set(target.HYPERPARAMETERS))
        if unknown:
            raise ValueError(f"Unknown key(s) {unknown} in `config` for {target.__name__}; "
                             f"allowed: {', '.join(('name', *target.HYPERPARAMETERS))}")
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
            self._signature, self._slots, self._scratch, self._masks = None, [], [], []
        elif self._signature != self._signature_of(g[0] for g in groups):
            self.build([g[0] for g in groups])
        for mine, theirs in zip(self._slots, groups):
            for dst, src in zip(mine, theirs):
                np.copyto(dst, src)
        self.iterations = iterations

    def __repr__(self) -> str:
        args = ", ".join(f"{h}={getattr(self, h)!r}" for h in self.HYPERPARAMETERS)
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
    _SLOTS = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum, self.nesterov = momentum, nesterov

    def _fused(self, fused, w, g, slots, flush):
        fused.sgd(w, g, slots[0], self.learning_rate, self.momentum, self.nesterov, flush)

    def _update(self, w, g, slots, s):
        (m,), mu = slots, self.momentum
        np.multiply(g, self.learning_rate, out=s)        # s = lr * g
        if mu == 0:
            w -= s
            return ()
        m *= mu
        m -= s                                           # m = mu * m - lr * g
        if self.nesterov:                                # w += mu * m - lr * g
            w -= s
            w += np.multiply(m, mu, out=s)
        else:
            w += m
        return ((m, True),)


class RMSprop(Optimizer):
    """RMSprop with optional plain momentum, as ``keras.optimizers.RMSprop`` (uncentered).

    ``v = rho * v + (1 - rho) * g**2``; ``inc = lr * g / sqrt(v + epsilon)``;
    ``w -= inc``, or with momentum ``m = momentum * m + inc; w -= m``.
    """

    name = "rmsprop"
    rho = _Hyper(**_UNIT_OPEN)
    momentum = _Hyper(**_UNIT_CLOSED)
    epsilon = _Hyper(**_POSITIVE)
    _SLOTS = ("velocity", "momentum")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def _fused(self, fused, w, g, slots, flush):
        fused.rmsprop(w, g, slots[0], slots[1], self.learning_rate, self.rho, self.epsilon, self.momentum, flush)

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
            return (v, False), (m, True)
        w -= s
        return ((v, False),)


class Adagrad(Optimizer):
    """Adagrad, as ``keras.optimizers.Adagrad``.

    ``acc += g**2``; ``w -= lr * g / sqrt(acc + epsilon)``. ``acc`` starts at
    ``initial_accumulator_value`` (read when the slots are built).
    """

    name = "adagrad"
    initial_accumulator_value = _Hyper(**_NON_NEGATIVE)
    epsilon = _Hyper(**_POSITIVE)
    _SLOTS = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slot_initial_value(self, slot):
        return self.initial_accumulator_value

    def _fused(self, fused, w, g, slots, flush):
        fused.adagrad(w, g, slots[0], self.learning_rate, self.epsilon)

    def _update(self, w, g, slots, s):
        (acc,) = slots
        acc += np.square(g, out=s)
        np.sqrt(np.add(acc, self.epsilon, out=s), out=s)
        np.divide(g, s, out=s)
        s *= self.learning_rate
        w -= s
        return ()                                        # acc never decays


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
    _SLOTS = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _alpha(self) -> float:
        t = self.iterations + 1
        return self.learning_rate * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)

    def _fused(self, fused, w, g, slots, flush):
        fused.adam(w, g, slots[0], slots[1], self._alpha(), self.beta_1, self.beta_2, self.epsilon, flush)

    def _update(self, w, g, slots, s):
        m, v = slots
        alpha = self._alpha()
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
        return (m, True), (v, False)


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
