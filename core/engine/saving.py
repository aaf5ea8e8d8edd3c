"""Saving models: one ``.npz`` holding the weights and a JSON header (the file format; a saved
model is read back by :func:`core.engine.model.load_model`).

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so
a crash never leaves half a file under the user's name. A truncated, foreign or
newer-version file raises ``ValueError`` saying what is wrong with it.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np


MODEL_FORMAT = "uncrumple-model"
MODEL_VERSION = 1


def atomic_write_npz(path, arrays: dict, meta: dict) -> None:
    """Write ``arrays`` plus ``meta`` (as JSON under ``__meta__``) to ``path`` atomically."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".uncrumple-", suffix=".npz.tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_npz(path, expected_format: str, max_version: int):
    """``(meta, arrays)`` from a file written by :func:`atomic_write_npz`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"No such file: {path}")
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable Uncrumple file (truncated or not an .npz): {exc}") from None
    if "__meta__" not in arrays:
        raise ValueError(f"{path} is an .npz file but not an Uncrumple file (it has no header).")
    try:
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} has a corrupt header: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != expected_format:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path} is not an {expected_format} file (format: {found!r}).")
    version = meta.get("version")
    if not isinstance(version, int) or version > max_version:
        raise ValueError(f"{path} was written by a newer Uncrumple (format version {version}); "
                         f"this one reads up to version {max_version}.")
    return meta, arrays


def save_model(model, path) -> None:
    """Save architecture, weights, compile settings and optimizer state (``model.save(path)``)."""
    if not model.built:
        raise ValueError("Cannot save a model that is not built yet.")
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "model": model.get_config(),
            "input_dim": model.input_dim,
            "compile": None if model.loss is None else {
                "loss": model.loss.name, "metrics": model.metrics,
                "optimizer": model.optimizer.get_config()}}
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    if model.optimizer is not None and model.optimizer.iterations:
        state = model.optimizer.get_state()
        meta["optimizer_iterations"] = state["iterations"]
        arrays.update({f"opt{i}": s for i, s in enumerate(state["slots"])})
    atomic_write_npz(path, arrays, meta)
