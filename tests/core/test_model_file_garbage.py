"""Model files that lie about their size or are not model files: one plain ``ValueError`` naming the
file, never a MemoryError or NumPy's advice about ``allow_pickle`` (issue 17, item 8)."""
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy

from core.engine import saving
from core.engine.layers import Dense
from core.engine.model import Sequential, load_model


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    model = Sequential([Dense(8, "tanh", input_shape=(2,)), Dense(1, "sigmoid")], seed=0)
    model.compile("adam", "binary_crossentropy", ["accuracy"])
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    model.fit(x, (x[:, 0] > 0).astype(np.int32), epochs=1, batch_size=8, verbose=0)
    path = tmp_path_factory.mktemp("good") / "m.npz"
    model.save(path)
    return path.read_bytes()


def _members(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_with_header(shape, dtype="<f4", payload=b""):
    f = io.BytesIO()
    npy.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
    return f.getvalue() + payload


def _no_numpy_advice(exc, path) -> bool:
    tail = str(exc.value).split(str(path))[-1].lower()
    return "pickle" not in tail and "allow" not in tail


def test_the_good_file_loads(tmp_path, good_bytes):
    path = tmp_path / "m.npz"
    path.write_bytes(good_bytes)
    assert load_model(path).count_params() == 8 * 2 + 8 + 8 + 1


def test_a_header_declaring_more_than_memory_is_refused_without_allocating(tmp_path, good_bytes):
    members = _members(good_bytes)
    data = np.load(io.BytesIO(members["w0.npy"]))
    members["w0.npy"] = _npy_with_header((10**12,), payload=data.tobytes())   # 4 TB declared
    path = tmp_path / "liar.npz"
    _zip(path, members)
    with pytest.raises(ValueError, match="is not an Uncrumple model file") as info:
        load_model(path)
    assert "'w0' declares 4.0 TB but holds 64 bytes" in str(info.value)


def test_an_honest_file_larger_than_the_limit_is_refused_before_reading(tmp_path, good_bytes):
    path = tmp_path / "m.npz"
    path.write_bytes(good_bytes)
    with pytest.raises(ValueError, match=r"m.npz is too big to open: its arrays need .* of memory; at most "
                                         r"1.0 kB can be used now\."):
        saving.read_npz(path, saving.MODEL_FORMAT, saving.MODEL_VERSION, max_bytes=1000)


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_get_one_plain_message(tmp_path, seed):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(seed).bytes(5000))
    with pytest.raises(ValueError, match="is not an Uncrumple model file: it is not an .npz archive") as info:
        load_model(path)
    assert _no_numpy_advice(info, path)


def test_a_pickle_and_an_object_array_are_refused_without_numpy_advice(tmp_path):
    path = tmp_path / "p.npz"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="is not an Uncrumple model file") as info:
        load_model(path)
    assert _no_numpy_advice(info, path)
    meta = json.dumps({"format": saving.MODEL_FORMAT, "version": 1}).encode()
    np.savez(path, __meta__=np.frombuffer(meta, np.uint8), w0=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="is not an Uncrumple model file: its array 'w0' holds Python objects") \
            as info:
        load_model(path)
    assert _no_numpy_advice(info, path)


def test_a_folder_and_a_run_file_are_refused(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not a model file"):
        load_model(tmp_path)
    meta = json.dumps({"format": "uncrumple-run", "version": 1}).encode()
    path = tmp_path / "r.npz"
    np.savez(path, __meta__=np.frombuffer(meta, np.uint8))
    with pytest.raises(ValueError, match="not an uncrumple-model file"):
        load_model(path)
