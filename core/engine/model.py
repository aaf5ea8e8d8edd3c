"""``Sequential``: a stack of layers with Keras's public API.

>>> model = Sequential([Dense(8, "tanh", input_shape=(2,)), Dense(1, "sigmoid")], seed=0)
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
"""
from __future__ import annotations

import math
import os

import numpy as np

from core.engine import losses as losses_mod
from core.engine import optimizers as optimizers_mod
from core.engine.validation import check_array, check_choice, check_int
from core.engine.layers import Dense, Layer, LayerTrace
from core.engine.layers import from_config as layers_from_config
from core.engine.saving import MODEL_FORMAT, MODEL_VERSION, read_npz, save_model

PREDICT_CHUNK = 8192  # rows per chunk in predict/evaluate, to bound memory


# ---- metrics: each summed over a batch (an epoch's value is the sum over its batches / samples) ----
def _accuracy_sum(loss, y, p) -> int:
    """Correct predictions (Keras's ``"accuracy"`` for the loss)."""
    return int(np.count_nonzero(loss.correct(y, p)))


def _mae_sum(loss, y, p) -> float:
    """Every sample's mean absolute error over the output units, summed (Keras's ``"mae"``)."""
    return float(np.sum(np.mean(np.abs(p - y), axis=-1), dtype=np.float64))


_METRIC_SUMS = {"accuracy": _accuracy_sum, "mae": _mae_sum}
#: metric name -> what it measures (a key of ``_METRIC_SUMS``)
METRICS = {"accuracy": "accuracy", "acc": "accuracy", "mae": "mae"}


class Sequential:
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
    name : str
    seed : int or None
        Seeds the weight initialisation and dropout masks: the same seed gives
        bit-identical weights.
    """

    def __init__(self, layers=None, name="sequential", seed=None):
        self.name = name
        self.seed = seed
        self.layers: list[Layer] = []
        self.built = False
        self.optimizer = None
        self.loss = None
        self.metrics: list[str] = []
        self._metric_sum = _accuracy_sum
        self._delta = None
        for layer in layers or []:
            self.add(layer)
        if self.layers and getattr(self.layers[0], "input_shape", None) is not None:
            self.build()

    # ---- structure ------------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (before the model is built)."""
        if not isinstance(layer, Layer):
            raise ValueError(f"Only core layers can be added to a Sequential model. Received: {layer!r}")
        if self.built:  # as in Keras: adding a layer rebuilds (same seed, same weights)
            self.built = False
        if layer.name is None:
            kind = type(layer).__name__.lower()
            count = sum(type(l) is type(layer) for l in self.layers)
            layer.name = kind if count == 0 else f"{kind}_{count}"
        self.layers.append(layer)

    @property
    def dense_layers(self) -> list[Dense]:
        return [l for l in self.layers if isinstance(l, Dense)]

    def build(self, input_dim=None) -> None:
        """Create every layer's weights for inputs of ``input_dim`` features."""
        if not self.layers:
            raise ValueError("The model has no layers; add at least one Dense layer.")
        first = self.layers[0]
        if input_dim is None:
            if getattr(first, "input_shape", None) is None:
                raise ValueError("The model's input size is unknown: pass input_shape=(d,) to the first "
                                 "layer, call model.build(d), or call fit() on data.")
            input_dim = first.input_shape[0]
        input_dim = check_int("input_dim", input_dim)
        self.rng = np.random.default_rng(self.seed)
        dim = input_dim
        for layer in self.layers:
            layer.build(dim, self.rng)
            dim = layer.output_dim
        self.input_dim = input_dim
        self.output_dim = dim
        self.built = True
        self._bind_flat()
        self._mark_fused()

    def _bind_flat(self) -> None:
        """Put every weight (and every gradient) in one flat buffer, the layers holding views.

        The optimizer then updates all weights with one pass of each ufunc instead of one
        per array: the same arithmetic, element by element, in far fewer Python calls.
        """
        params = self.params
        if not params:
            self._flat = None
            return
        dtype = params[0].dtype
        total = sum(p.size for p in params)
        flat_p, flat_g = np.empty(total, dtype), np.zeros(total, dtype)
        at = 0
        for layer in self.layers:
            views_p, views_g = [], []
            for p in layer.params:
                vp = flat_p[at:at + p.size].reshape(p.shape)
                vp[...] = p
                views_p.append(vp)
                views_g.append(flat_g[at:at + p.size].reshape(p.shape))
                at += p.size
            if views_p:
                layer.bind(views_p, views_g)
        self._flat = (flat_p, flat_g)

    def _apply_gradients(self) -> None:
        """One optimizer update of every weight from the gradients in ``self.grads``."""
        flat = self._flat
        if flat is not None and all(p.base is flat[0] for p in self.params):
            self.optimizer.apply([flat[0]], [flat[1]])
        else:  # a layer's arrays were replaced (not through set_weights): update them one by one
            self.optimizer.apply(self.params, self.grads)

    def _ensure_built(self, x):
        if not self.built:
            self.build(x.shape[1])
        elif x.shape[1] != self.input_dim:
            raise ValueError(f"The model expects inputs with {self.input_dim} features. "
                             f"Received: x.shape={x.shape}")

    @property
    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads]

    def count_params(self) -> int:
        return int(sum(p.size for p in self.params))

    # ---- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics.

        ``metrics`` is None or a list of ``"accuracy"`` and ``"acc"``, or ``["mae"]`` (the mean
        absolute error, for regression): each is logged under the name given, as Keras does
        (``metrics=["acc"]`` gives ``"acc"`` and ``"val_acc"``; ``["mae"]``: ``"mae"``, ``"val_mae"``).
        """
        if loss is None:
            raise ValueError("Argument `loss` must be given, one of "
                             f"{', '.join(repr(k) for k in losses_mod.LOSSES)}. Received: loss=None")
        self.optimizer = optimizers_mod.get(optimizer)
        self.loss = losses_mod.get(loss)
        metrics = [metrics] if isinstance(metrics, str) else list(metrics or [])
        for m in metrics:
            check_choice("metrics", m, METRICS)
        kinds = {METRICS[m] for m in metrics}
        if len(kinds) > 1:
            raise ValueError("Argument `metrics` must be accuracy metrics ('accuracy', 'acc') or 'mae', "
                             f"not both. Received: metrics={metrics!r}")
        self.metrics = list(dict.fromkeys(metrics))   # the names, in order, each once
        self._metric_sum = _METRIC_SUMS[kinds.pop()] if kinds else _accuracy_sum
        self._mark_fused()

    def metric_logs(self, value) -> dict:
        """``{name: value}`` for every metric name compiled (``"accuracy"``, ``"acc"``, ``"mae"``), or ``{}``."""
        return {name: value for name in self.metrics}

    def metric_sum(self, y, p):
        """The compiled metric summed over the batch: correct predictions (an int) for accuracy,
        the sum of every sample's mean absolute error (a float) for ``"mae"``; divided by the
        samples seen it is the metric. The trainer adds these up over an epoch.

        Parameters
        ----------
        y : ndarray
            Targets as :meth:`check_xy` returns them.
        p : ndarray of shape (n, units)
            The network's output.
        """
        return self._metric_sum(self.loss, y, p)

    def _mark_fused(self):
        if not self.built or self.loss is None:
            return
        dense = self.dense_layers
        for layer in dense:
            layer.fused = False
        last = self.layers[-1]
        if isinstance(last, Dense):
            last.fused = (last.activation.name, self.loss.name) in losses_mod.FUSED

    def _require_compiled(self):
        if self.loss is None:
            raise ValueError("The model must be compiled before training or evaluation: "
                             "call model.compile(optimizer, loss).")

    # ---- data checks ----------------------------------------------------------------------------
    def check_xy(self, x, y):
        """Check training data and put it in the form :meth:`train_step` takes.

        Builds the model from ``x`` if it is not built yet; the model must be compiled.

        Parameters
        ----------
        x : array_like of shape (n, d_in)
            Finite numbers.
        y : array_like of shape (n,) or (n, k)
            Numeric labels or targets for the compiled loss.

        Returns
        -------
        x : ndarray of shape (n, d_in), float32, C-contiguous
        y : ndarray
            The loss's targets (e.g. sparse labels as integers, one-hot rows as float32).

        Raises
        ------
        ValueError
            Shapes, types or values that do not fit the model or its loss.
        """
        x = check_array("x", x, ndim=2)
        if y is None:
            raise ValueError("Argument `y` must be given.")
        y_arr = np.asarray(y)
        if y_arr.dtype.kind not in "biuf":
            raise ValueError(f"Argument `y` must be numeric. Received dtype {y_arr.dtype}.")
        y_arr = check_array("y", y_arr, dtype=None, ndim=(1, 2))
        if len(x) != len(y_arr):
            raise ValueError(f"Arguments `x` and `y` must have the same number of samples. "
                             f"Received: x.shape={x.shape}, y.shape={y_arr.shape}")
        self._ensure_built(x)
        self._require_compiled()
        return np.ascontiguousarray(x), self.loss.targets(y_arr, self.output_dim)

    _check_xy = check_xy    # the name the model's own methods use

    # ---- forward / backward ---------------------------------------------------------------------
    def _forward(self, x, training):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def _backward(self, y, p):
        n = len(p)
        if (self._delta is None or self._delta.shape[0] < n or self._delta.shape[1] != p.shape[1]
                or self._delta.dtype != p.dtype):
            self._delta = np.empty(p.shape, dtype=p.dtype)
        delta = self._delta[:n]
        if self.layers[-1].fused:
            losses_mod.fused_delta(self.loss.name, y, p, delta)
        else:
            self.loss.gradient(y, p, delta)
        first_param = next(i for i, l in enumerate(self.layers) if l.params)
        for i in range(len(self.layers) - 1, -1, -1):
            delta = self.layers[i].backward(delta, need_input_grad=i > first_param)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def _loss_and_grads(self, x, y, training=True):
        """One forward and backward pass; grads land in ``self.grads``.

        Returns
        -------
        loss : float
            The batch loss (with regularization) for the weights *before* any update.
        hits : int or float
            The batch's :meth:`metric_sum` (correct predictions, or summed absolute errors).
        """
        p = self._forward(x, training)
        loss = self.loss.value(y, p) + self.regularization_loss()
        hits = self.metric_sum(y, p)
        self._backward(y, p)
        return loss, hits

    # ---- public training API --------------------------------------------------------------------
    def train_step(self, x, y) -> tuple[float, int]:
        """One gradient update on a batch already checked by :meth:`check_xy`: the forward and
        backward pass, then the optimizer's step (what :meth:`train_on_batch` does, without
        checking its arguments again; the trainer calls it for every batch).

        Parameters
        ----------
        x : ndarray of shape (n, d_in), float32
        y : ndarray
            Targets as :meth:`check_xy` returns them. Neither is checked again here.

        Returns
        -------
        loss : float
            The batch loss (with regularization) for the weights *before* the update.
        hits : int or float
            The batch's :meth:`metric_sum` (before the update): correct predictions, or for
            ``metrics=["mae"]`` the summed absolute errors.

        Notes
        -----
        When ``loss`` is not finite (NaN or inf) nothing is updated: the weights, the
        optimizer's state and ``optimizer.iterations`` stay as they were. Floating-point
        warnings follow the caller's ``np.errstate``. The gradients stay in ``self.grads``.
        """
        loss, hits = self._loss_and_grads(x, y)
        if math.isfinite(loss):
            self._apply_gradients()
        return loss, hits

    def weights_finite(self) -> bool:
        """Whether every weight is a finite number (one pass over all of them)."""
        flat = self._flat
        if flat is not None and all(p.base is flat[0] for p in self.params):
            return bool(np.isfinite(flat[0]).all())
        return all(bool(np.isfinite(p).all()) for p in self.params)

    def reset_rng(self) -> None:
        """Restart the model's random generator (dropout masks) from its seed, as :meth:`build` does."""
        self.rng = np.random.default_rng(self.seed)
        for layer in self.layers:
            if hasattr(layer, "_rng"):
                layer._rng = self.rng

    def train_on_batch(self, x, y, return_dict=False):
        """One gradient update on one batch; returns the loss computed *before* the update
        (and the batch metric when compiled with one), as Keras does."""
        x, y = self._check_xy(x, y)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            loss, hits = self._loss_and_grads(x, y)
            self._apply_gradients()
        logs = {"loss": loss, **self.metric_logs(hits / len(x))}
        if return_dict:
            return logs
        return loss if not self.metrics else list(logs.values())

    def gradients(self, x, y, training=False) -> list[np.ndarray]:
        """dLoss/dweight for every weight, in ``get_weights`` order (copies)."""
        x, y = self._check_xy(x, y)
        self._loss_and_grads(x, y, training=training)
        return [g.copy() for g in self.grads]

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, validation_split=0.0,
            shuffle=True, verbose=1, seed=None):
        """Train for ``epochs`` epochs; returns a :class:`core.engine.snapshot.History`.

        As Keras: ``validation_split`` holds out the *last* ``n - floor(n * (1 - split))``
        samples of ``x``/``y`` (before shuffling); every epoch ends with a partial batch
        when ``batch_size`` does not divide the training samples, and a ``batch_size``
        larger than them trains one batch of all of them; ``History.epoch`` counts from 0.
        """
        from core.engine.training import Trainer, split_tail  # training builds on the model
        if validation_data is None and validation_split:
            (x, y), validation_data = split_tail(x, y, validation_split)
        trainer = Trainer(self, x, y, batch_size=batch_size, epochs=epochs,
                          validation_data=validation_data, shuffle=shuffle, seed=seed)
        trainer.fit(verbose=verbose)
        return trainer.history

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """The network's output for ``x`` of shape (n, d_in) -> (n, units), float32."""
        x = check_array("x", x, ndim=2)
        self._ensure_built(x)
        return self._predict(x)

    @np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")
    def _predict(self, x):
        out = np.empty((len(x), self.output_dim), dtype=np.float32)
        for start in range(0, len(x), PREDICT_CHUNK):
            h = x[start:start + PREDICT_CHUNK]
            for layer in self.layers:
                h = layer.call(h)
            out[start:start + PREDICT_CHUNK] = h
        return out

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=False):
        """Loss (with regularization) and the metric (accuracy or mae) on ``x``, ``y``, without updating."""
        x, y = self._check_xy(x, y)
        p = self._predict(x)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            logs = {"loss": self.loss.value(y, p) + self.regularization_loss()}
        if self.metrics:
            logs.update(self.metric_logs(float(self.metric_sum(y, p) / len(x))))
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics else list(logs.values())

    # ---- weights --------------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight: per layer the kernel (d_in, units), then the bias (units,)."""
        return [p.copy() for p in self.params]

    def set_weights(self, weights) -> None:
        """Set every weight from a list shaped like ``get_weights()``."""
        params = self.params
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(f"set_weights expects a list of {len(params)} arrays. "
                             f"Received a list of {len(weights)}.")
        for i, (p, w) in enumerate(zip(params, weights)):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"Weight {i} must have shape {p.shape}. Received shape {w.shape}.")
            p[...] = w

    # ---- views ----------------------------------------------------------------------------------
    def trace(self, x) -> list[LayerTrace]:
        """For every Dense layer, its three stages ``dot(x, W)``, ``+ b`` and the activation.

        Parameters
        ----------
        x : ndarray of shape (n, d_in)

        Returns
        -------
        list of LayerTrace
            One per Dense layer (Dropout is the identity at inference and has no stage).
        """
        h = check_array("x", x, ndim=2)
        self._ensure_built(h)
        out = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                t = layer.stages(h)
                out.append(t)
                h = t.output
        return out

    def summary(self, print_fn=print) -> str:
        """Print (and return) a Keras-like table of layers, output shapes and parameter counts."""
        if not self.built:
            raise ValueError("The model is not built yet: call build(d) or fit() first.")
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            rows.append((f"{layer.name} ({type(layer).__name__})", f"(None, {layer.output_dim})",
                         f"{sum(p.size for p in layer.params):,}"))
        w = [max(len(r[i]) for r in rows) + 3 for i in range(3)]
        text = [f'Model: "{self.name}"', "=" * sum(w)]
        for k, r in enumerate(rows):
            text.append(r[0].ljust(w[0]) + r[1].ljust(w[1]) + r[2].rjust(w[2]))
            text.append("=" * sum(w) if k == 0 else "-" * sum(w))
        total = self.count_params()
        text.append(f" Total params: {total:,} ({total * 4 / 1024:.2f} KB, float32)")
        text.append(f" Trainable params: {total:,}")
        text = "\n".join(text)
        if print_fn is not None:
            print_fn(text)
        return text

    def save(self, path) -> None:
        """Save the model (architecture, weights, compile settings, optimizer state) to ``.npz``."""
        save_model(self, path)

    def get_config(self) -> dict:
        return {"name": self.name, "seed": self.seed,
                "layers": [layer.get_config() for layer in self.layers]}


def load_model(path) -> Sequential:
    """A model saved by ``model.save(path)`` (:func:`core.engine.saving.save_model`), ready to predict
    or train."""
    meta, arrays = read_npz(path, MODEL_FORMAT, MODEL_VERSION)
    try:
        cfg = meta["model"]
        model = Sequential([layers_from_config(c) for c in cfg["layers"]], name=cfg.get("name", "sequential"),
                           seed=cfg.get("seed"))
        if not model.built:
            model.build(meta["input_dim"])
        weights = [arrays[f"w{i}"] for i in range(len(model.params))]
        model.set_weights(weights)
        comp = meta.get("compile")
        if comp:
            model.compile(optimizers_mod.get(comp["optimizer"]), comp["loss"], comp.get("metrics"))
            if "optimizer_iterations" in meta:
                n_slots = sum(1 for k in arrays if k.startswith("opt"))
                model.optimizer.set_state({"iterations": meta["optimizer_iterations"],
                                           "slots": [arrays[f"opt{i}"] for i in range(n_slots)]})
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{os.fspath(path)} is damaged: {exc}") from None
    return model
