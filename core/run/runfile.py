"""Saving and opening a whole run: configuration, history, every kept epoch, the current state.

One ``.npz`` file (written atomically, see :func:`core.engine.saving.atomic_write_npz`) holds
the arrays — each checkpoint's flat weights and optimizer slots, the batch curves —
and a JSON header with the format name and version, the configuration, the epoch
logs and each checkpoint's counters and random-generator states. Opening checks
everything before returning, so a bad file never half-replaces the run on screen.

>>> save_run("spiral.uncrumple.npz", SavedRun(config, current, checkpoints, epoch_logs, curves))
>>> run = load_run("spiral.uncrumple.npz")
>>> trainer.restore(run.current, run.epoch_logs)    # goes on bit-identically
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.run.config import TrainingConfig
from core.engine.saving import atomic_write_npz, read_npz
from core.engine.checkpoint import Checkpoint

RUN_FORMAT = "uncrumple-run"
RUN_VERSION = 1
#: the suffix File → Save run adds
RUN_SUFFIX = ".uncrumple.npz"
CURVE_KEYS = ("batch_steps", "batch_x", "batch_losses", "batch_accuracies")


@dataclass(frozen=True, eq=False)
class SavedRun:
    """A run as saved on disk.

    Attributes
    ----------
    config : TrainingConfig
    current : Checkpoint
        Where training stands (possibly in the middle of an epoch).
    checkpoints : tuple of Checkpoint
        The timeline's kept epochs, ascending.
    epoch_logs : tuple of dict
        ``{"epoch": e, "loss": .., "accuracy": .., "val_loss": .., "val_accuracy": .., "stats": ..}``
        for every completed epoch.
    curves : dict of ndarray
        Per-batch curves: ``batch_steps`` (int64), ``batch_x`` (epochs as float64),
        ``batch_losses`` and ``batch_accuracies`` (float32), all of one length.
    info : dict
        Free-form extras (e.g. ``{"branches": [...]}``).
    """

    config: TrainingConfig
    current: Checkpoint
    checkpoints: tuple = ()
    epoch_logs: tuple = ()
    curves: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def _ckpt_meta(c: Checkpoint) -> dict:
    return {"epoch": c.epoch, "step": c.step, "batch": c.batch, "position": c.position,
            "partial": list(c.partial), "shapes": [list(s) for s in c.shapes],
            "iterations": int(c.optimizer["iterations"]), "n_slots": len(c.optimizer["slots"]),
            "rng": c.rng, "hyperparameters": c.hyperparameters, "logs": c.logs}


def _jsonable(obj):
    """Turn NumPy scalars and arrays inside ``obj`` into plain JSON values (NaN stays NaN)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def save_run(path, run: SavedRun) -> None:
    """Write ``run`` to ``path`` atomically (a temporary file, then a rename)."""
    arrays, metas = {}, []
    for name, c in [("current", run.current)] + [(f"c{i}", c) for i, c in enumerate(run.checkpoints)]:
        arrays[f"{name}_w"] = c.weights
        for j, s in enumerate(c.optimizer["slots"]):
            arrays[f"{name}_s{j}"] = s
        metas.append(_ckpt_meta(c))
    n = None
    for key in CURVE_KEYS:
        if key in run.curves:
            a = np.asarray(run.curves[key])
            if n is not None and len(a) != n:
                raise ValueError(f"Curve `{key}` has {len(a)} points; the others have {n}.")
            n = len(a)
            arrays[f"curve_{key}"] = a
    meta = {"format": RUN_FORMAT, "version": RUN_VERSION, "config": run.config.to_dict(),
            "current": metas[0], "checkpoints": metas[1:],
            "epoch_logs": _jsonable(list(run.epoch_logs)), "info": _jsonable(run.info)}
    atomic_write_npz(path, arrays, _jsonable(meta))


def _load_ckpt(path, name: str, m, arrays) -> Checkpoint:
    try:
        w = arrays[f"{name}_w"]
        slots = [arrays[f"{name}_s{j}"] for j in range(int(m["n_slots"]))]
        shapes = tuple(tuple(int(d) for d in s) for s in m["shapes"])
        if w.dtype != np.float32 or w.ndim != 1 or w.size != sum(math.prod(s) for s in shapes):
            raise ValueError(f"weights {w.shape} {w.dtype} do not match shapes {list(shapes)}")
        return Checkpoint(epoch=int(m["epoch"]), step=int(m["step"]), batch=int(m["batch"]),
                          position=int(m["position"]), partial=tuple(m["partial"]), weights=w,
                          shapes=shapes, optimizer={"iterations": int(m["iterations"]), "slots": slots},
                          rng=m["rng"], hyperparameters=dict(m["hyperparameters"]), logs=dict(m["logs"]))
    except KeyError as exc:
        raise ValueError(f"{path} is damaged: checkpoint {name!r} is unreadable (missing {exc}).") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path} is damaged: checkpoint {name!r} is unreadable ({exc}).") from None


def _shapes_problem(config: TrainingConfig, shapes) -> str:
    """Why weight ``shapes`` cannot be the network of ``config`` (input width and classes aside), or ""."""
    per_layer = 2 if getattr(config, "use_bias", True) else 1
    n_dense = len(config.hidden) + 1
    if len(shapes) != per_layer * n_dense:
        return f"{len(shapes)} weight arrays for {n_dense} Dense layers"
    kernels = [shapes[i] for i in range(0, len(shapes), per_layer)]
    for i, ((units, _), k) in enumerate(zip(config.hidden, kernels)):
        if len(k) != 2 or k[1] != units:
            return f"layer {i + 1} has kernel {tuple(k)}, the configuration {units} units"
    for a, b in zip(kernels, kernels[1:]):
        if a[1] != b[0]:
            return f"kernels {tuple(a)} and {tuple(b)} do not chain"
    return ""


def load_run(path) -> SavedRun:
    """Read a run written by :func:`save_run`; ``ValueError`` says what is wrong with a bad file."""
    meta, arrays = read_npz(path, RUN_FORMAT, RUN_VERSION)
    try:
        config = TrainingConfig.from_dict(meta["config"])
    except KeyError:
        raise ValueError(f"{path} is damaged: it has no training configuration.") from None
    except ValueError as exc:
        raise ValueError(f"{path} holds an invalid training configuration: {exc}") from None
    if "current" not in meta or not isinstance(meta.get("checkpoints", []), list):
        raise ValueError(f"{path} is damaged: it has no current training state.")
    current = _load_ckpt(path, "current", meta["current"], arrays)
    checkpoints = tuple(_load_ckpt(path, f"c{i}", m, arrays) for i, m in enumerate(meta["checkpoints"]))
    epochs = [c.epoch for c in checkpoints]
    if epochs != sorted(set(epochs)) or any(e > current.epoch for e in epochs):
        raise ValueError(f"{path} is damaged: its epochs {epochs} are out of order "
                         f"or after the current epoch {current.epoch}.")
    shapes = {c.shapes for c in checkpoints} | {current.shapes}
    if len(shapes) != 1:
        raise ValueError(f"{path} is damaged: its checkpoints have different weight shapes.")
    problem = _shapes_problem(config, current.shapes)
    if problem:
        raise ValueError(f"{path} is damaged: its weights do not fit its configuration ({problem}).")
    curves = {k: arrays[f"curve_{k}"] for k in CURVE_KEYS if f"curve_{k}" in arrays}
    if len({len(a) for a in curves.values()}) > 1:
        raise ValueError(f"{path} is damaged: its batch curves have different lengths.")
    logs = meta.get("epoch_logs", [])
    if not isinstance(logs, list) or not all(isinstance(e, dict) and "epoch" in e for e in logs):
        raise ValueError(f"{path} is damaged: its epoch logs are not a list of epochs.")
    return SavedRun(config=config, current=current, checkpoints=checkpoints, epoch_logs=tuple(logs),
                   curves=curves, info=dict(meta.get("info") or {}))
