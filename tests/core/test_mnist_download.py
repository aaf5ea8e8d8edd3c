"""Tests of the MNIST downloader and of where load_mnist looks. No test touches the internet:
downloads are served by a local ``http.server`` on 127.0.0.1."""
import hashlib
import os
import socket

import pytest

from mnist_support import (  # noqa: F401 - not every test file uses every helper
    IDX_NAMES, SHARED_CSV, DownloadCancelled, assert_same_data, assets_dir, cache_dir, ROOT,
    datasets, describe_tensor, download, idx_bytes, leftovers, load_fashion_mnist, load_idx_folder,
    load_mnist, load_mnist_or_sample, load_mnist_sample, make_arrays, mnist_module, preprocess_images,
    read_idx, to_categorical, write_idx_folder, write_npz,
)


# --------------------------------------------------------------------------- downloader
def test_download_success_reports_progress_and_verifies(tmp_path, server):
    body = os.urandom(200_000)
    server.routes["/data.bin"] = (body, "ok")
    calls = []
    dest = tmp_path / "cache" / "data.bin"
    got = download(server.url("/data.bin"), dest, sha256=hashlib.sha256(body).hexdigest(),
                   progress=lambda done, total: calls.append((done, total)), chunk_size=16_384)
    assert got == dest and dest.read_bytes() == body
    assert calls[0] == (0, len(body)) and calls[-1] == (len(body), len(body))
    assert len(calls) >= 1 + len(body) // 16_384
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and all(t == len(body) for _, t in calls)
    assert leftovers(dest.parent) == ["data.bin"]  # no temp file left


def test_download_without_content_length_reports_unknown_total(tmp_path, server):
    body = b"x" * 50_000
    server.routes["/nolen"] = (body, "nolength")
    calls = []
    dest = download(server.url("/nolen"), tmp_path / "f", progress=lambda d, t: calls.append((d, t)),
                    chunk_size=10_000)
    assert dest.read_bytes() == body
    assert calls[-1] == (len(body), None) and all(t is None for _, t in calls)


def test_download_checksum_mismatch_removes_temp_and_keeps_dest(tmp_path, server):
    body = b"not mnist at all" * 1000
    server.routes["/bad"] = (body, "ok")
    wrong = "0" * 64
    with pytest.raises(ValueError) as err:
        download(server.url("/bad"), tmp_path / "mnist.npz", sha256=wrong)
    msg = str(err.value)
    assert wrong in msg and hashlib.sha256(body).hexdigest() in msg and "expected" in msg
    assert leftovers(tmp_path) == []  # temp removed, nothing at dest

    (tmp_path / "mnist.npz").write_bytes(b"old good copy")  # an existing file is never clobbered
    with pytest.raises(ValueError):
        download(server.url("/bad"), tmp_path / "mnist.npz", sha256=wrong)
    assert (tmp_path / "mnist.npz").read_bytes() == b"old good copy"
    assert leftovers(tmp_path) == ["mnist.npz"]


def test_download_truncated_transfer_is_detected(tmp_path, server):
    body = os.urandom(30_000)
    server.routes["/cut"] = (body, "truncated")
    with pytest.raises(ConnectionError, match="cut short") as err:
        download(server.url("/cut"), tmp_path / "f.npz", chunk_size=8192)
    assert "31,000" in str(err.value) and "30,000" in str(err.value)
    assert leftovers(tmp_path) == []


def test_download_cancel_mid_transfer(tmp_path, server):
    body = os.urandom(300_000)
    server.routes["/big"] = (body, "ok")
    seen = []

    def cancel():
        return bool(seen) and seen[-1] >= 40_000

    with pytest.raises(DownloadCancelled, match="cancelled"):
        download(server.url("/big"), tmp_path / "big.bin", progress=lambda d, t: seen.append(d),
                 cancel=cancel, chunk_size=8192)
    assert 40_000 <= seen[-1] < len(body)
    assert leftovers(tmp_path) == []


def test_download_cancel_before_start(tmp_path, server):
    server.routes["/x"] = (b"abc", "ok")
    with pytest.raises(DownloadCancelled):
        download(server.url("/x"), tmp_path / "x", cancel=lambda: True)
    assert leftovers(tmp_path) == []


def test_download_offline_gives_connection_error(tmp_path, closed_port_url):
    with pytest.raises(ConnectionError, match="offline"):
        download(closed_port_url, tmp_path / "mnist.npz", timeout=5)
    assert leftovers(tmp_path) == []


def test_download_http_error(tmp_path, server):
    with pytest.raises(ConnectionError, match="404"):
        download(server.url("/nothing-here"), tmp_path / "f")
    assert leftovers(tmp_path) == []


def test_download_timeout(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # accepts, never answers
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
        with pytest.raises(ConnectionError, match="timed out|offline"):
            download(url, tmp_path / "f", timeout=0.3)
    finally:
        listener.close()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kwargs, match", [
    ({"url": ""}, "url"),
    ({"sha256": "abc"}, "sha256"),
    ({"timeout": 0}, "timeout"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"progress": 3}, "progress"),
])
def test_download_argument_checks(tmp_path, kwargs, match):
    args = {"url": "http://127.0.0.1:9/x", "dest": tmp_path / "f"} | kwargs
    with pytest.raises(ValueError, match=match):
        download(**args)


# --------------------------------------------------------------------------- search order
def test_cache_dir_follows_xdg(tmp_path, home, monkeypatch):
    assert cache_dir() == tmp_path / "xdg-cache" / "uncrumple"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == home / ".cache" / "uncrumple"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert cache_dir() == home / ".cache" / "uncrumple"


def test_search_order_path_then_cache_then_keras(tmp_path, home, monkeypatch):
    keras = write_npz(home / ".keras" / "datasets" / "mnist.npz", n_train=3, seed=1)
    assert_same_data(load_mnist(download=False), keras)

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    keras_home = write_npz(tmp_path / "kh" / "datasets" / "mnist.npz", n_train=4, seed=4)
    assert_same_data(load_mnist(download=False), keras_home)  # $KERAS_HOME before ~/.keras

    ours = write_npz(cache_dir() / "mnist.npz", n_train=5, seed=2)
    assert_same_data(load_mnist(download=False), ours)  # the app's cache before Keras's

    given = write_npz(tmp_path / "given.npz", n_train=7, seed=3)
    assert_same_data(load_mnist(tmp_path / "given.npz", download=False), given)  # the path first

    # a path where nothing is goes on down the list
    assert_same_data(load_mnist(tmp_path / "no-such-file.npz", download=False), ours)


def test_nothing_found_without_download_lists_places(tmp_path, home):
    with pytest.raises(FileNotFoundError) as err:
        load_mnist(tmp_path / "mine.npz", download=False)
    msg = str(err.value)
    for place in [tmp_path / "mine.npz", cache_dir() / "mnist.npz", home / ".keras" / "datasets" / "mnist.npz"]:
        assert str(place) in msg
    assert "download=False" in msg and datasets.MNIST_URL in msg


def test_load_mnist_downloads_into_cache_then_reuses_it(tmp_path, home, server, monkeypatch,
                                                        closed_port_url):
    want = write_npz(tmp_path / "served.npz", n_train=20, n_test=6, seed=5, compressed=True)
    body = (tmp_path / "served.npz").read_bytes()
    server.routes["/tf-keras-datasets/mnist.npz"] = (body, "ok")
    monkeypatch.setattr(mnist_module, "MNIST_URL", server.url("/tf-keras-datasets/mnist.npz"))
    monkeypatch.setattr(mnist_module, "MNIST_SHA256", hashlib.sha256(body).hexdigest())
    calls = []
    got = load_mnist(progress=lambda d, t: calls.append((d, t)))
    assert_same_data(got, want)
    assert calls[-1] == (len(body), len(body))
    assert (cache_dir() / "mnist.npz").read_bytes() == body
    assert leftovers(cache_dir()) == ["mnist.npz"]

    monkeypatch.setattr(mnist_module, "MNIST_URL", closed_port_url)  # now offline: the cache serves
    assert_same_data(load_mnist(), want)


def test_load_mnist_checksum_mismatch_saves_nothing(tmp_path, home, server, monkeypatch):
    server.routes["/mnist.npz"] = (b"<html>captive portal</html>", "ok")
    monkeypatch.setattr(mnist_module, "MNIST_URL", server.url("/mnist.npz"))
    with pytest.raises(ValueError, match=datasets.MNIST_SHA256):
        load_mnist()
    assert leftovers(cache_dir()) == []


def test_load_mnist_offline_message(tmp_path, home, monkeypatch, closed_port_url):
    monkeypatch.setattr(mnist_module, "MNIST_URL", closed_port_url)
    with pytest.raises(ConnectionError) as err:
        load_mnist(tmp_path / "mine.npz", timeout=5)
    msg = str(err.value)
    assert msg.startswith("No network")
    assert "Places searched" in msg and "To use MNIST offline" in msg
    for place in [tmp_path / "mine.npz", cache_dir() / "mnist.npz", home / ".keras" / "datasets" / "mnist.npz"]:
        assert str(place) in msg
    assert leftovers(cache_dir()) == []


def test_load_mnist_cancel(tmp_path, home, server, monkeypatch):
    body = os.urandom(100_000)
    server.routes["/mnist.npz"] = (body, "ok")
    monkeypatch.setattr(mnist_module, "MNIST_URL", server.url("/mnist.npz"))
    with pytest.raises(DownloadCancelled):
        load_mnist(cancel=lambda: True)
    with pytest.raises(DownloadCancelled):  # load_mnist_or_sample lets a cancel through
        load_mnist_or_sample(cancel=lambda: True)
    assert leftovers(cache_dir()) == []
