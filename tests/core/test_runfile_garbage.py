"""Run files that lie about their size or are not run files at all: one plain ``ValueError``, never a
MemoryError or NumPy's advice about ``allow_pickle`` (issue 17, item 8)."""
import io
import json
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy

from core.run.runfile import load_run, save_run
from test_runfile import trained_run


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "r.uncrumple.npz"
    save_run(path, trained_run()[1])
    return path.read_bytes()


def _members(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(path, members: dict, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_with_header(shape, dtype="<f4", payload=b""):
    f = io.BytesIO()
    npy.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
    return f.getvalue() + payload


def test_a_header_declaring_more_than_memory_is_refused_without_allocating(tmp_path, good_bytes):
    members = _members(good_bytes)
    data = np.load(io.BytesIO(members["current_w.npy"]))
    members["current_w.npy"] = _npy_with_header((10**12,), payload=data.tobytes())   # 4 TB declared
    path = tmp_path / "liar.uncrumple.npz"
    _zip(path, members)
    with pytest.raises(ValueError, match="not an Uncrumple run file") as info:
        load_run(path)
    assert "current_w" in str(info.value) and "4.0 TB" in str(info.value)


def test_a_run_larger_than_the_memory_limit_is_refused(tmp_path, good_bytes):
    path = tmp_path / "r.uncrumple.npz"
    path.write_bytes(good_bytes)
    with pytest.raises(ValueError, match=r"too big to open: its arrays need .* of memory"):
        load_run(path, max_bytes=1000)
    assert load_run(path, max_bytes=10**9).current.epoch == 3     # the same file fits a larger limit


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_get_one_plain_message(tmp_path, seed):
    path = tmp_path / "noise.uncrumple.npz"
    path.write_bytes(np.random.default_rng(seed).bytes(5000))
    with pytest.raises(ValueError, match="is not an Uncrumple run file") as info:
        load_run(path)
    assert "pickle" not in str(info.value).split(str(path))[-1]


def test_a_pickle_is_refused_without_numpy_advice(tmp_path):
    import pickle
    path = tmp_path / "p.uncrumple.npz"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="is not an Uncrumple run file") as info:
        load_run(path)
    assert "pickle" not in str(info.value).split(str(path))[-1].lower()


def test_an_object_array_is_refused_without_numpy_advice(tmp_path):
    meta = json.dumps({"format": "uncrumple-run", "version": 1}).encode()
    path = tmp_path / "o.uncrumple.npz"
    np.savez(path, __meta__=np.frombuffer(meta, np.uint8), current_w=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="is not an Uncrumple run file") as info:
        load_run(path)
    assert "allow_pickle" not in str(info.value) and "current_w" in str(info.value)


def test_a_zip_of_other_files_is_refused(tmp_path):
    path = tmp_path / "doc.uncrumple.npz"
    _zip(path, {"word/document.xml": b"<xml/>"})
    with pytest.raises(ValueError, match=r"is not an Uncrumple run file: .*'word/document.xml'"):
        load_run(path)


def test_corrupt_compressed_data_is_refused(tmp_path, good_bytes):
    members = _members(good_bytes)
    packed = tmp_path / "packed.npz"
    _zip(packed, members, zipfile.ZIP_DEFLATED)
    raw = bytearray(packed.read_bytes())
    with zipfile.ZipFile(packed) as z:
        info = z.getinfo("current_w.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 20, start + 60):               # scramble the deflate stream past its header
        raw[i] ^= 0x5A
    path = tmp_path / "corrupt.uncrumple.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="is not an Uncrumple run file"):
        load_run(path)


def test_a_header_too_short_for_its_data_is_refused(tmp_path, good_bytes):
    members = _members(good_bytes)
    members["current_w.npy"] = _npy_with_header((5,), payload=b"\0" * 8)     # 20 bytes declared, 8 held
    path = tmp_path / "short.uncrumple.npz"
    _zip(path, members)
    with pytest.raises(ValueError, match=r"is not an Uncrumple run file: .*current_w.*declares 20 bytes"):
        load_run(path)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        load_run(tmp_path)

