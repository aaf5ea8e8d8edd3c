"""Reading the original IDX files of MNIST and Fashion-MNIST (``.gz`` or raw), and checking
MNIST-format arrays (:func:`checked_split`, also used for Keras's ``mnist.npz`` by :mod:`core.datasets.mnist`)."""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

_IMAGE_SHAPE = (28, 28)
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_IDX_MAX_BYTES = 1 << 32  # refuse headers announcing more than 4 GiB of data
_IDX_PARTS = {  # part -> (file stems tried, expected ndim)
    "train_images": (("train-images-idx3-ubyte", "train-images.idx3-ubyte"), 3),
    "train_labels": (("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"), 1),
    "test_images": (("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"), 3),
    "test_labels": (("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"), 1),
}


def _open_maybe_gzip(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed, detected from its first bytes).

    Returns an array of the file's shape, in native byte order (uint8 for MNIST).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not an IDX file (bad magic number), is truncated, has extra bytes
        after the data, or is a corrupt gzip stream.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    try:
        with _open_maybe_gzip(path) as f:
            header = f.read(4)
            if len(header) < 4:
                raise ValueError(f"{path} is not an IDX file: it is only {len(header)} byte(s) long.")
            if header[0] != 0 or header[1] != 0 or header[2] not in _IDX_DTYPES or header[3] == 0:
                raise ValueError(
                    f"{path} is not an IDX file: bad magic number 0x{header.hex()} "
                    "(expected 0x0000 then a type code 08/09/0B/0C/0D/0E and the number of "
                    "dimensions, e.g. 0x00000803 for MNIST images, 0x00000801 for labels).")
            dtype, ndim = _IDX_DTYPES[header[2]], header[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise ValueError(f"{path} is truncated: its header announces {ndim} dimension(s) "
                                 "but ends before listing them.")
            shape = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
            expected = math.prod(shape) * dtype.itemsize
            if expected > _IDX_MAX_BYTES:
                raise ValueError(f"{path}: its header announces a {shape} array "
                                 f"({expected:,} bytes), which is implausibly large.")
            data = f.read(expected + 1)
    except ValueError:
        raise
    except Exception as exc:  # OSError, EOFError, zlib.error from a corrupt or cut gzip stream
        raise ValueError(f"{path} could not be read as an IDX file: {type(exc).__name__}: {exc}") from None
    if len(data) < expected:
        raise ValueError(f"{path} is truncated: its header announces shape {shape} "
                         f"({expected:,} bytes of data) but only {len(data):,} bytes follow.")
    if len(data) > expected:
        raise ValueError(f"{path} has unexpected bytes after the {expected:,} bytes of data its "
                         f"header announces (shape {shape}); it is not a valid IDX file.")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _find_idx_file(folder: Path, stems) -> Path | None:
    for stem in stems:
        for name in (stem + ".gz", stem):
            p = folder / name
            if p.is_file():
                return p
    return None


def idx_files(folder: Path) -> dict:
    """The four MNIST-format IDX files of ``folder``: part name -> path (``.gz`` preferred), or None if absent."""
    return {part: _find_idx_file(folder, stems) for part, (stems, _) in _IDX_PARTS.items()}


def load_idx_folder(folder):
    """Read the four MNIST-format IDX files of a folder (``.gz`` or raw).

    Returns ``((x_train, y_train), (x_test, y_test))`` like :func:`load_mnist`.
    Raises ``FileNotFoundError`` naming the missing files, ``ValueError`` for bad files.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"Folder not found: {folder}")
    files = idx_files(folder)
    missing = [_IDX_PARTS[p][0][0] + "[.gz]" for p, f in files.items() if f is None]
    if missing:
        raise FileNotFoundError(f"{folder} lacks the IDX file(s) {', '.join(missing)}.")
    arrays = {part: read_idx(f) for part, f in files.items()}
    for part, arr in arrays.items():
        ndim = _IDX_PARTS[part][1]
        if arr.ndim != ndim or arr.dtype != np.uint8:
            raise ValueError(f"{files[part]} holds a {arr.dtype} array of shape {arr.shape}; "
                             f"an MNIST-format {part.replace('_', ' ')} file holds uint8 data "
                             f"with {ndim} dimension(s).")
    return checked_split(arrays["train_images"], arrays["train_labels"],
                         arrays["test_images"], arrays["test_labels"], str(folder))


def checked_split(x_train, y_train, x_test, y_test, source: str):
    """``((x_train, y_train), (x_test, y_test))`` as MNIST-format uint8 arrays, checked.

    Images must have shape (n, 28, 28) and labels (n,), as many as the images, with integer
    values in 0..255 (converted to uint8). ``source`` names the file in the ``ValueError``.
    """
    out = []
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim != 3 or x.shape[1:] != _IMAGE_SHAPE:
            raise ValueError(f"{source}: x_{split} has shape {x.shape}; MNIST-format images "
                             f"have shape (n, 28, 28).")
        if y.ndim != 1:
            raise ValueError(f"{source}: y_{split} has shape {y.shape}; labels have shape (n,).")
        if len(x) != len(y):
            raise ValueError(f"{source}: x_{split} holds {len(x)} images but y_{split} holds "
                             f"{len(y)} labels.")
        x = _as_uint8(x, f"x_{split}", source)
        y = _as_uint8(y, f"y_{split}", source)
        out.append((x, y))
    return tuple(out)


def _as_uint8(a: np.ndarray, name: str, source: str) -> np.ndarray:
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{source}: {name} has dtype {a.dtype}; expected uint8.")
    if a.size and (a.min() < 0 or a.max() > 255):
        raise ValueError(f"{source}: {name} has values outside 0..255; expected uint8.")
    return a.astype(np.uint8)
