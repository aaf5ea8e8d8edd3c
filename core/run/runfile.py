"""Saving and opening a whole run: configuration, history, every kept epoch, the current state.

One ``.npz`` file (written atomically, see :func:`core.engine.saving.atomic_write_npz`) holds
the arrays — each checkpoint's flat weights and optimizer slots, the batch curves —
and a JSON header with the format name and version, the configuration, the epoch
logs and each checkpoint's counters and random-generator states. Opening checks
everything before returning, so a bad file never half-replaces the run on screen. Before any
array is read, :func:`core.engine.saving.check_archive` reads only the ``.npy`` headers inside the zip: a garbage or
foreign file gets one plain message ("… is not an Uncrumple run file: …"), a header that lies about
its size is refused, and so is a file whose arrays would not fit in memory — never a
``MemoryError`` or NumPy's advice about ``allow_pickle``.

>>> save_run("spiral.uncrumple.npz", SavedRun(config, current, checkpoints, epoch_logs, curves))
>>> run = load_run("spiral.uncrumple.npz")
>>> trainer.restore(run.current, run.epoch_logs)    # goes on bit-identically
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from core.engine import optimizers
from core.engine.validation import check_int
from core.datasets.tabular import count_csv_rows
from core.run.config import MAX_SAMPLES, TrainingConfig
from core.engine.saving import MAX_ARRAY_BYTES, atomic_write_npz, read_npz
from core.engine.checkpoint import Checkpoint
from core.run.resources import USABLE_FRACTION, available_bytes

RUN_FORMAT = "uncrumple-run"
#: 2: a CSV run uses at most ``n_samples`` rows of its file (version 1 files trained on every row)
RUN_VERSION = 2
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


def _rng_problem(rng) -> str:
    """Why ``rng`` cannot be a checkpoint's random-generator states (what ``Trainer.restore`` sets), or ""."""
    if not isinstance(rng, dict):
        return f"its random-generator state is {type(rng).__name__}, not a dict of states"
    for name in ("order", "model"):
        if name not in rng:
            return f"its random-generator state has no {name!r} entry"
        try:
            np.random.default_rng().bit_generator.state = rng[name]
        except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError) as exc:
            return f"its random-generator state {name!r} cannot be restored ({type(exc).__name__}: {exc})"
    return ""


def _optimizer_problem(c: Checkpoint, name: str, config: TrainingConfig) -> str:
    """Why ``c``'s optimizer state or hyperparameters could not be restored, or ""."""
    it = c.optimizer["iterations"]
    if it < 0:
        return f"its optimizer state has iterations={it} (must be >= 0)"
    opt = optimizers.OPTIMIZERS[config.optimizer]
    slots, k = c.optimizer["slots"], len(opt._SLOTS)
    for j, a in enumerate(slots):
        if a.dtype != np.float32:
            return f"its optimizer state's array {name}_s{j} is {a.dtype}, not float32 like its weights"
    size = sum(a.size for a in slots)
    groups = [slots[i:i + k] for i in range(0, len(slots), k)] if k else []
    if slots and (not k or len(slots) % k or size != k * c.weights.size
                  or any(a.shape != g[0].shape for g in groups for a in g)):
        return (f"its optimizer state ({name}_s0 ... {name}_s{len(slots) - 1}: "
                f"{[a.shape for a in slots][:6]}) is not {k} arrays the size of its "
                f"{c.weights.size} weights, as {config.optimizer} keeps")
    for key, value in c.hyperparameters.items():
        try:
            if key == "batch_size":
                check_int("batch_size", value, low=1)
            elif key in opt.HYPERPARAMETERS:
                opt.check_hyperparameter(key, value)
        except (TypeError, ValueError) as exc:
            return f"its hyperparameters are invalid: {exc}"
    return ""


def _max_train(config: TrainingConfig) -> int:
    """The most training samples ``config``'s data can have (its sample count, or the cap)."""
    return config.n_samples if isinstance(config.n_samples, int) and config.n_samples > 0 else MAX_SAMPLES


def _position_problem(c: Checkpoint, config: TrainingConfig) -> str:
    """Why ``c``'s counters cannot be a point a trainer of ``config`` reached, or ""."""
    if min(c.epoch, c.step, c.batch) < 0 or c.position < 0:
        return (f"its counters are negative (epoch {c.epoch}, step {c.step}, batch {c.batch}, "
                f"position {c.position})")
    if c.position > _max_train(config):
        return (f"its position {c.position} (samples into the epoch) is past the end of an epoch: "
                f"its data set has at most {_max_train(config)} training samples")
    if len(c.partial) != 3:
        return f"its running epoch totals {list(c.partial)} are not (loss, hits, seen)"
    seen = int(c.partial[2])
    if c.position != seen:
        return f"its position {c.position} (samples into the epoch) differs from the {seen} samples it has seen"
    if (c.batch == 0) != (c.position == 0) or c.batch > c.position:
        return f"its batch {c.batch} does not match its position {c.position} in the epoch"
    if c.step < c.epoch + c.batch:
        return f"its step {c.step} is fewer than the batches of epoch {c.epoch} plus batch {c.batch}"
    return ""


def _check_state(path, config: TrainingConfig, current: Checkpoint, checkpoints, logs) -> None:
    """Refuse (``ValueError``) a state a trainer could not restore or that contradicts itself."""
    for name, c in [("current", current)] + [(f"c{i}", c) for i, c in enumerate(checkpoints)]:
        problem = _position_problem(c, config) or _rng_problem(c.rng) or _optimizer_problem(c, name, config)
        if problem:
            raise ValueError(f"{path} is damaged: checkpoint {name!r} cannot be restored: {problem}.")
    last = None
    for c in checkpoints:
        if c.batch or c.position:
            raise ValueError(f"{path} is damaged: its kept epoch {c.epoch} is not at an epoch's end "
                             f"(batch {c.batch}).")
        if c.step > current.step or (last is not None and c.step <= last.step):
            raise ValueError(f"{path} is damaged: its kept epoch {c.epoch} is at step {c.step}, "
                             f"out of order with the other epochs and the current step {current.step}.")
        last = c
    for e in logs:
        epoch = e["epoch"]
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
            raise ValueError(f"{path} is damaged: its epoch logs hold the epoch {epoch!r}.")
        if epoch > current.epoch:
            raise ValueError(f"{path} is damaged: its epoch logs go to epoch {epoch}, but its current "
                             f"state is at epoch {current.epoch}.")


def _every_row(path, config: TrainingConfig) -> TrainingConfig:
    """The config of a CSV run saved before the row cap (format version 1): it trained on every row
    of its file, whatever ``n_samples`` said; ``n_samples=None`` does the same up to the cap."""
    try:
        rows = count_csv_rows(config.csv_path)
    except OSError as exc:
        raise ValueError(f"{path} cannot be opened: its data file {config.csv_path} cannot be read "
                         f"({exc.strerror or exc}).") from None
    if rows > MAX_SAMPLES:
        raise ValueError(f"{path} was saved before runs used at most {MAX_SAMPLES:,} rows of a CSV file; it "
                         f"trained on every row of {config.csv_path}, which has {rows:,}, and cannot go on as it "
                         "was. Open its configuration instead to start a run on a sample of the rows.")
    return config.replace(n_samples=None)


def _check_data(path, config: TrainingConfig) -> None:
    """Refuse a run whose data file cannot be found (a CSV moved or deleted since it was saved)."""
    csv = config.csv_path
    if csv and not os.path.isfile(csv):
        what = "is a folder, not a CSV file" if os.path.isdir(csv) else "is not there (moved or deleted?)"
        raise ValueError(f"{path} cannot be opened: the run's data file {csv} {what}. Put it back "
                         f"there, or open its configuration and choose the CSV again.")


def _load_curves(path, arrays) -> dict:
    """The batch curves: all of steps, epochs and losses or none (accuracies default to NaN)."""
    curves = {k: arrays[f"curve_{k}"] for k in CURVE_KEYS if f"curve_{k}" in arrays}
    if not curves:
        return curves
    for k in CURVE_KEYS[:3]:
        if k not in curves:
            raise ValueError(f"{path} is damaged: its batch curves are incomplete: `{k}` is missing "
                             f"(a run file has all of {', '.join(CURVE_KEYS[:3])} or none).")
    for k, a in curves.items():
        if a.ndim != 1 or a.dtype.kind not in "iuf":
            raise ValueError(f"{path} is damaged: its batch curve `{k}` is {a.shape} {a.dtype}, "
                             f"not one row of numbers.")
    if len({len(a) for a in curves.values()}) > 1:
        raise ValueError(f"{path} is damaged: its batch curves have different lengths.")
    if "batch_accuracies" not in curves:
        curves["batch_accuracies"] = np.full(len(curves["batch_losses"]), np.nan, np.float32)
    return curves


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


def memory_limit() -> int:
    """Bytes a run file's arrays may take: :data:`~core.run.resources.USABLE_FRACTION` of the memory
    available now, at most :data:`~core.engine.saving.MAX_ARRAY_BYTES`."""
    available = available_bytes()
    return MAX_ARRAY_BYTES if available is None else min(MAX_ARRAY_BYTES, int(USABLE_FRACTION * available))


def load_run(path, max_bytes: int | None = None) -> SavedRun:
    """Read a run written by :func:`save_run`; ``ValueError`` says what is wrong with a bad file.

    ``max_bytes`` bounds the memory its arrays may take (default: :func:`memory_limit`); a file
    that needs more is refused before anything is read.
    """
    meta, arrays = read_npz(path, RUN_FORMAT, RUN_VERSION, memory_limit() if max_bytes is None else max_bytes)
    try:
        config = TrainingConfig.from_dict(meta["config"])
    except KeyError:
        raise ValueError(f"{path} is damaged: it has no training configuration.") from None
    except ValueError as exc:
        raise ValueError(f"{path} holds an invalid training configuration: {exc}") from None
    if meta["version"] < 2 and config.csv_path:
        _check_data(path, config)
        config = _every_row(path, config)
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
    curves = _load_curves(path, arrays)
    logs = meta.get("epoch_logs", [])
    if not isinstance(logs, list) or not all(isinstance(e, dict) and "epoch" in e for e in logs):
        raise ValueError(f"{path} is damaged: its epoch logs are not a list of epochs.")
    _check_state(path, config, current, checkpoints, logs)
    _check_data(path, config)
    return SavedRun(config=config, current=current, checkpoints=checkpoints, epoch_logs=tuple(logs),
                   curves=curves, info=dict(meta.get("info") or {}))
