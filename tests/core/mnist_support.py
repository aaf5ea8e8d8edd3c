"""Helpers and fixtures shared by the MNIST tests (generated files, a local HTTP server)."""
import gzip
import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # when run as a script
    sys.path.insert(0, str(ROOT))

import core.datasets as datasets  # noqa: E402
from core.datasets import (  # noqa: E402
    DownloadCancelled, assets_dir, cache_dir, describe_tensor, load_fashion_mnist,
    load_idx_folder, load_mnist, load_mnist_or_sample, load_mnist_sample, preprocess_images,
    read_idx, to_categorical,
)
from core.datasets import mnist as mnist_module  # noqa: E402
from core.datasets.download import download  # noqa: E402

SHARED_CSV = ROOT.parent / "shared" / "data" / "mnist_5k.csv.gz"
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}


# --------------------------------------------------------------------------- fixtures
def make_arrays(n_train=12, n_test=5, seed=0):
    rng = np.random.default_rng(seed)
    return ((rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             rng.integers(0, 10, n_train, dtype=np.uint8)),
            (rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             rng.integers(0, 10, n_test, dtype=np.uint8)))


def write_npz(path, n_train=12, n_test=5, seed=0, compressed=False):
    (x_train, y_train), (x_test, y_test) = data = make_arrays(n_train, n_test, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save = np.savez_compressed if compressed else np.savez
    with open(path, "wb") as f:  # a file object keeps the exact name (no ".npz" added)
        save(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return data


def idx_bytes(arr, type_code=0x08, byte_order=">"):
    arr = np.asarray(arr)
    header = struct.pack(">BBBB", 0, 0, type_code, arr.ndim)
    header += b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(byte_order)).tobytes()


def write_idx_folder(folder, data, gz=True):
    (x_train, y_train), (x_test, y_test) = data
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"train_images": x_train, "train_labels": y_train,
             "test_images": x_test, "test_labels": y_test}
    for part, arr in parts.items():
        raw = idx_bytes(arr)
        if gz:
            (folder / (IDX_NAMES[part] + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / IDX_NAMES[part]).write_bytes(raw)
    return folder


def assert_same_data(got, want):
    for (gx, gy), (wx, wy) in zip(got, want):
        assert gx.dtype == np.uint8 and gy.dtype == np.uint8
        assert gx.ndim == 3 and gx.shape[1:] == (28, 28) and gy.ndim == 1
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty HOME and XDG cache, so no real cache or Keras folder is seen."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("UNCRUMPLE_ASSETS", raising=False)
    return home


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that hangs up (cancel) is fine
        pass


@pytest.fixture
def server():
    """A local HTTP server; ``server.routes[path] = (body, mode)`` with mode
    "ok", "nolength" (no Content-Length), "truncated" (announces 1000 bytes more than it sends)
    or "missing" (404). ``server.url(path)`` gives the address."""
    routes = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body, mode = routes.get(self.path, (b"", "missing"))
            if mode == "missing":
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if mode == "ok":
                self.send_header("Content-Length", str(len(body)))
            elif mode == "truncated":
                self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.routes = routes
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def closed_port_url():
    """An address on 127.0.0.1 where nothing listens (connection refused: "offline")."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/mnist.npz"


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir()) if Path(folder).exists() else []
