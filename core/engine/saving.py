"""Saving models: one ``.npz`` holding the weights and a JSON header (the file format; a saved
model is read back by :func:`core.engine.model.load_model`).

Writes are atomic (a temporary file in the same folder, then ``os.replace``), so
a crash never leaves half a file under the user's name. A truncated, foreign or
newer-version file raises ``ValueError`` saying what is wrong with it. Before any array is
read, :func:`check_archive` reads only the ``.npy`` headers inside the zip (run files and model
files alike): a garbage or foreign file gets one plain message ("… is not an Uncrumple model
file: …"), a header that lies about its size is refused, and so is a file whose arrays would
take more memory than allowed — never a ``MemoryError`` or NumPy's advice about ``allow_pickle``.
"""
from __future__ import annotations

import json
import math
import os
import struct
import tempfile
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy


MODEL_FORMAT = "uncrumple-model"
MODEL_VERSION = 1
#: what a file of each format is called in messages
FILE_KINDS = {MODEL_FORMAT: "model file", "uncrumple-run": "run file"}
#: the most an Uncrumple file's arrays may add up to, whatever the memory: twice the largest timeline
#: budget the window offers (8 GB), far above any run or model the app writes
MAX_ARRAY_BYTES = 16 * 2**30
#: what reading a damaged or foreign zip of .npy files raises, besides ``ValueError``
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
                  NotImplementedError, RuntimeError, struct.error)


def atomic_write(path, write, suffix: str = ".tmp", mode: str = "wb") -> None:
    """Write a file at ``path`` atomically: ``write(f)`` fills a temporary file beside it, which then
    replaces ``path`` (a failure or Ctrl+C midway leaves the old file, and no temporary one)."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".uncrumple-", suffix=suffix, dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, mode, **({"newline": ""} if "b" not in mode else {})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_npz(path, arrays: dict, meta: dict) -> None:
    """Write ``arrays`` plus ``meta`` (as JSON under ``__meta__``) to ``path`` atomically."""
    atomic_write(path, lambda f: np.savez(f, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                                          **arrays), suffix=".npz.tmp")


class _NotOurs(Exception):
    """Why an archive is not an Uncrumple file (turned into a ``ValueError`` naming the file)."""


def format_size(n: float) -> str:
    """``"4.0 TB"``, ``"38.2 GB"``, ``"12.0 kB"``, ``"64 bytes"`` (powers of 1000, as a file manager shows them)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def _member_bytes(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Bytes member ``info`` unpacks to, after checking its .npy header against its size."""
    name = info.filename
    if not name.endswith(".npy"):
        raise _NotOurs(f"its member {name!r} is not a NumPy array")
    with z.open(info) as f:
        version = npy.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = npy.read_array_header_2_0(f)
        else:
            raise _NotOurs(f"its array {name[:-4]!r} has .npy format version {version}")
        header = f.tell()
    if dtype.hasobject:
        raise _NotOurs(f"its array {name[:-4]!r} holds Python objects, which no Uncrumple file does")
    if any(d < 0 for d in shape):
        raise _NotOurs(f"its array {name[:-4]!r} has the shape {shape}")
    declared, held = math.prod(shape) * dtype.itemsize, info.file_size - header
    if declared != held:
        raise _NotOurs(f"its array {name[:-4]!r} declares {format_size(declared)} but holds {format_size(held)}")
    return info.file_size


def check_archive(path, max_bytes: int = MAX_ARRAY_BYTES, kind: str = "file") -> None:
    """Refuse ``path`` (``ValueError``) unless it is a zip of plain ``.npy`` arrays whose headers
    match their sizes and whose sizes add up to at most ``max_bytes``. Reads the headers only.

    Parameters
    ----------
    path : str or os.PathLike
    max_bytes : int
        The most memory the file's arrays may take.
    kind : str
        What the file should be, for the messages: ``"run file"``, ``"model file"``.

    Raises
    ------
    ValueError
        ``"… is not an Uncrumple model file: its array 'w0' declares 4.0 TB but holds 64 bytes."``,
        ``"… is too big to open: its arrays need … of memory; at most … can be used now."``, a
        folder, a missing or unreadable file.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not a {kind}.")
    if not os.path.exists(path):
        raise ValueError(f"No such file: {path}")
    try:
        with open(path, "rb") as fh:
            try:
                with zipfile.ZipFile(fh) as z:
                    total = sum(_member_bytes(z, info) for info in z.infolist())
            except zipfile.BadZipFile:
                raise _NotOurs("it is not an .npz archive (another kind of file, or a truncated copy)") from None
            except (*ARCHIVE_ERRORS, ValueError) as exc:
                raise _NotOurs(f"it cannot be read as an .npz archive ({exc})") from None
    except _NotOurs as why:
        raise ValueError(f"{path} is not an Uncrumple {kind}: {why}.") from None
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if total > max_bytes:
        raise ValueError(f"{path} is too big to open: its arrays need {format_size(total)} of memory; "
                         f"at most {format_size(max_bytes)} can be used now.")


def read_npz(path, expected_format: str, max_version: int, max_bytes: int = MAX_ARRAY_BYTES):
    """``(meta, arrays)`` from a file written by :func:`atomic_write_npz`.

    The archive is checked first (:func:`check_archive`, its arrays at most ``max_bytes``), so
    a bad file raises one plain ``ValueError`` naming it, never ``MemoryError``.
    """
    path = os.fspath(path)
    kind = FILE_KINDS.get(expected_format, "file")
    check_archive(path, max_bytes, kind)
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except MemoryError:
        raise ValueError(f"{path} is too big to open: its arrays do not fit in the memory available now.") from None
    except (*ARCHIVE_ERRORS, ValueError) as exc:    # damage past the headers (corrupt compressed data)
        raise ValueError(f"{path} is not an Uncrumple {kind}: it cannot be read ({exc}).") from None
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
