"""Tests for core.datasets: generators, tables, train/validation split, CSV loading.

Run ``python tests/core/test_datasets.py`` for a quick printed summary of every data set.
"""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:  # when run as a script
    sys.path.insert(0, ROOT)

from core.datasets import (  # noqa: E402
    DIMENSIONS, GENERATORS, circles, gaussians, load_csv, make, moons, paper_ball,
    spheres, spiral, swiss_roll, train_val_split, xor,
)

NAMES = list(GENERATORS)
NOT_LINEAR = [name for name in NAMES if name != "gaussians"]


def linear_accuracy(x, y):
    """Training accuracy of a least-squares linear classifier (plane + bias)."""
    a = np.column_stack([x.astype(np.float64), np.ones(len(x))])
    w, *_ = np.linalg.lstsq(a, 2.0 * y - 1.0, rcond=None)
    return float(np.mean((a @ w > 0) == (y == 1)))


def min_class_distance(x, y):
    a, b = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min())


# --------------------------------------------------------------------------- tables
def test_tables_list_all_eight_generators():
    assert NAMES == ["moons", "circles", "xor", "spiral", "gaussians",
                     "paper_ball", "swiss_roll", "spheres"]
    assert set(DIMENSIONS) == set(GENERATORS)
    assert [DIMENSIONS[n] for n in NAMES] == [2, 2, 2, 2, 2, 3, 3, 3]
    assert GENERATORS["spiral"] is spiral and GENERATORS["paper_ball"] is paper_ball
    for f in (moons, circles, xor, gaussians, swiss_roll, spheres):
        assert GENERATORS[f.__name__] is f


def test_make_matches_direct_call():
    x1, y1 = make("spiral", n=50, noise=0.2, seed=3)
    x2, y2 = spiral(n=50, noise=0.2, seed=3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert make("paper_ball")[0].shape == (500, 3)


@pytest.mark.parametrize("name", ["nope", "Spiral", "", None, 3])
def test_make_unknown_name_lists_valid_names(name):
    with pytest.raises(ValueError, match="Argument `name` must be one of") as info:
        make(name)
    assert all(repr(n) in str(info.value) for n in NAMES)
    assert f"Received: name={name!r}" in str(info.value)


def test_core_datasets_imports_only_numpy():
    code = ("import sys, core.datasets; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'sklearn', 'PySide6', 'PyQt5', 'PyQt6', 'matplotlib', 'torch')]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- generators
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [2, 7, 500])
def test_shapes_dtypes_balance(name, n):
    x, y = make(name, n=n)
    assert x.shape == (n, DIMENSIONS[name]) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int32
    assert x.flags.c_contiguous
    assert np.isfinite(x).all()
    assert set(np.unique(y)) <= {0, 1}
    assert np.sum(y == 0) == n // 2 and np.sum(y == 1) == n - n // 2


@pytest.mark.parametrize("name", NAMES)
def test_values_of_order_one(name):
    clean, _ = make(name, n=2000, noise=0.0)
    assert np.percentile(np.abs(clean), 99.5) <= 1.5
    if name != "gaussians":  # the only generator with unbounded clean points
        assert np.abs(clean).max() <= 1.6
    x, _ = make(name, n=2000)
    assert 0.3 < x.std(axis=0).min() and x.std(axis=0).max() < 1.0


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_per_seed(name):
    x1, y1 = make(name, n=100, seed=5)
    x2, y2 = make(name, n=100, seed=5)
    assert x1.tobytes() == x2.tobytes() and y1.tobytes() == y2.tobytes()
    x3, y3 = make(name, n=100, seed=6)
    assert not np.array_equal(x1, x3)
    x4, y4 = make(name, n=100, seed=None)
    assert x4.shape == x1.shape and np.sum(y4) == 50


@pytest.mark.parametrize("name", NAMES)
def test_noise_only_jitters_the_clean_points(name):
    x0, y0 = make(name, n=400, noise=0.0, seed=1)
    x1, y1 = make(name, n=400, noise=0.1, seed=1)
    assert np.array_equal(y0, y1)
    assert not np.array_equal(x0, x1)
    jitter = (x1.astype(np.float64) - x0).std()
    assert 0.08 < jitter < 0.12  # noise is a standard deviation in x's units


@pytest.mark.parametrize("name", NOT_LINEAR)
@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_not_linearly_separable(name, noise):
    x, y = make(name, n=1000, noise=noise)
    assert linear_accuracy(x, y) < 0.95


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_gaussians_linearly_separable(noise):
    x, y = gaussians(n=1000, noise=noise)
    assert linear_accuracy(x, y) >= 0.95


@pytest.mark.parametrize("seed", [0, 1])
def test_paper_ball_sheets_do_not_collide(seed):
    x, y = paper_ball(n=2000, noise=0.0, seed=seed)
    assert min_class_distance(x, y) > 0.15  # sheets are 0.4 apart, folds bring them to ~0.2


@pytest.mark.parametrize("name", ["moons", "circles", "spiral", "swiss_roll", "spheres"])
def test_clean_classes_are_apart(name):
    x, y = make(name, n=1000, noise=0.0)
    assert min_class_distance(x, y) > 0.2


# --------------------------------------------------------------------------- bad arguments
BAD_ARGS = [
    ("n", 1), ("n", 0), ("n", -5), ("n", 2.0), ("n", True), ("n", "10"), ("n", None),
    ("noise", -1), ("noise", -0.01), ("noise", float("nan")), ("noise", float("inf")),
    ("noise", "0.1"), ("noise", True), ("noise", None),
    ("seed", -1), ("seed", 1.5), ("seed", "0"), ("seed", True),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("arg,value", BAD_ARGS)
def test_bad_arguments_raise(name, arg, value):
    with pytest.raises(ValueError) as info:
        GENERATORS[name](**{arg: value})
    message = str(info.value)
    assert f"Argument `{arg}`" in message and f"Received: {arg}={value!r}" in message


def test_bad_argument_message_is_keras_style():
    with pytest.raises(ValueError, match=r"^Argument `noise` must be >= 0. Received: noise=-1$"):
        moons(noise=-1)
    with pytest.raises(ValueError, match=r"^Argument `n` must be an integer >= 2. Received: n=1$"):
        make("xor", n=1)


def test_numpy_integers_accepted():
    x, y = spiral(n=np.int64(10), noise=np.float32(0.05), seed=np.int32(2))
    assert x.shape == (10, 2)


# --------------------------------------------------------------------------- split
def _indexed(n=101, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = (np.arange(n) % 3 == 0).astype(np.int32)
    return x, y


def test_split_sizes_stratified_and_complete():
    x, y = _indexed()
    (xt, yt), (xv, yv) = train_val_split(x, y, validation_split=0.2, seed=0)
    assert xt.dtype == np.float32 and yt.dtype == np.int32
    n1 = int(y.sum())
    assert np.sum(yv == 1) == math.floor(n1 * 0.2 + 0.5)
    assert np.sum(yv == 0) == math.floor((101 - n1) * 0.2 + 0.5)
    assert len(xt) + len(xv) == 101 and abs(len(xv) - 20) <= 1
    rows = np.concatenate([xt, xv])[:, 0] // 3
    assert sorted(rows.astype(int)) == list(range(101))
    assert np.array_equal(np.concatenate([yt, yv]), y[rows.astype(int)])
    assert not np.array_equal(xt[:, 0], np.sort(xt[:, 0]))  # shuffled


def test_split_deterministic_per_seed():
    x, y = moons(n=200)
    a = train_val_split(x, y, seed=3)
    b = train_val_split(x, y, seed=3)
    c = train_val_split(x, y, seed=4)
    assert all(np.array_equal(p, q) for p, q in zip(a[0] + a[1], b[0] + b[1]))
    assert not np.array_equal(a[1][0], c[1][0])


def test_split_zero_gives_empty_validation():
    x, y = _indexed(10, 2)
    (xt, yt), (xv, yv) = train_val_split(x, y, validation_split=0)
    assert xt.shape == (10, 2) and yt.shape == (10,)
    assert xv.shape == (0, 2) and yv.shape == (0,) and xv.dtype == np.float32


@pytest.mark.parametrize("value", [1, 1.0, -0.1, 1.5, float("nan"), "0.2", True, None])
def test_split_bad_fraction(value):
    x, y = _indexed(10, 2)
    with pytest.raises(ValueError, match=r"Argument `validation_split`.*Received: validation_split="):
        train_val_split(x, y, validation_split=value)


def test_split_empty_training_part_raises():
    with pytest.raises(ValueError, match=r"no training samples.*validation_split=0.9"):
        train_val_split(np.zeros((1, 2)), np.zeros(1, dtype=np.int32), validation_split=0.9)


def test_split_bad_arrays():
    with pytest.raises(ValueError, match="same number of samples"):
        train_val_split(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="Argument `x` must have 2 dimensions"):
        train_val_split(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="Argument `x` contains 1 NaN"):
        train_val_split(np.array([[np.nan, 0.0], [1.0, 1.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="Argument `seed`.*Received: seed=-2"):
        train_val_split(np.zeros((5, 2)), np.zeros(5), seed=-2)


# --------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("header,comments,delimiter", [
    ("", "# ", ","), ("x1,x2,x3,label", "", ","), ("x1,x2,x3,label", "# ", ","),
    ("", "", " "), ("x1 x2 x3 label", "", " "), ("", "", ";"), ("a\tb\tc\td", "", "\t"),
])
def test_csv_round_trip(tmp_path, header, comments, delimiter):
    x, y = swiss_roll(n=50, seed=2)
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([x, y]), fmt=["%.9g"] * 3 + ["%d"],
               delimiter=delimiter, header=header, comments=comments)
    x2, y2 = load_csv(path)
    assert x2.dtype == np.float32 and y2.dtype == np.int32
    assert np.array_equal(x2, x) and np.array_equal(y2, y)
    x3, _ = load_csv(str(path))
    assert np.array_equal(x3, x)


def test_csv_float_labels_other_ints_blank_lines_and_bom(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("\ufeff\"x\", \"y\" ,label\n\n1, 2, 1.0\n# a comment\n3,4,-2\n  \n5e-1,-6,0e0\n",
                    encoding="utf-8")
    x, y = load_csv(path)
    assert np.array_equal(x, np.array([[1, 2], [3, 4], [0.5, -6]], dtype=np.float32))
    assert np.array_equal(y, np.array([1, -2, 0], dtype=np.int32))


CSV_ERRORS = [
    ("", r"is empty"),
    ("\n  \n# only comments\n", r"is empty"),
    ("x1,x2,label\n", r"has a header row but no data rows"),
    ("1\n2\n", r"line 1: found 1 column, need at least 2"),
    ("label\n1\n", r"line 1: found 1 column, need at least 2"),
    ("1,2,0\n3,4,1\n5,6\n", r"line 3: found 2 columns, expected 3 as on line 1"),
    ("x,y,label\n1,2,0\n\n3,4,1,7\n", r"line 4: found 4 columns, expected 3 as on line 1"),
    ("1,2,0\n3,abc,1\n", r"line 2: column 2: cannot read 'abc' as a number"),
    ("1,2,0\n3,,1\n", r"line 2: column 2: cannot read '' as a number"),
    ("1,2,0\n3,4,one\n", r"line 2: column 3: cannot read 'one' as a number"),
    ("1.5,x,0\n3,4,1\n", r"line 1: column 2: cannot read 'x' as a number \(a header row"),
    ("1,2,0\nnan,4,1\n", r"line 2: column 1: value 'nan' is not finite"),
    ("1,2,0\n3,-inf,1\n", r"line 2: column 2: value '-inf' is not finite"),
    ("1,2,0\n3,4,inf\n", r"line 2: column 3: value 'inf' is not finite"),
    ("1,2,0\n1e300,4,1\n", r"line 2: column 1: value '1e300' is too large for float32"),
    ("1,2,0\n3,4,0.5\n", r"line 2: column 3 \(label\): '0.5' is not an integer label"),
    ("1,2,0\n3,4,1e12\n", r"line 2: column 3 \(label\): '1e12' is not an integer label"),
    ("1,2,0\n3,\"4,1\n", r"line 2: malformed CSV row"),
]


@pytest.mark.parametrize("text,pattern", CSV_ERRORS)
def test_csv_errors_name_file_and_line(tmp_path, text, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=pattern) as info:
        load_csv(path)
    assert str(path) in str(info.value)


def test_csv_missing_file_directory_bad_encoding_and_bad_path(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(ValueError, match="CSV file not found") as info:
        load_csv(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(ValueError, match="not a file"):
        load_csv(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("x\xe9,y,label\n1,2,0\n".encode("latin-1"))
    with pytest.raises(ValueError, match="could not be read as UTF-8"):
        load_csv(latin)
    with pytest.raises(ValueError, match=r"Argument `path` must be a file path. Received: path=3"):
        load_csv(3)


# --------------------------------------------------------------------------- quick look
def _summary():
    """Print a few statistics of every data set (no plotting needed)."""
    print(f"{'name':11s} {'d':>1s} {'min':>6s} {'max':>6s}  {'std per axis':18s} "
          f"{'lin acc':>7s} {'min dist (clean)':>16s}")
    for name in NAMES:
        x, y = make(name, n=1000)
        clean, yc = make(name, n=1000, noise=0.0)
        std = " ".join(f"{s:.2f}" for s in x.std(axis=0))
        print(f"{name:11s} {DIMENSIONS[name]:1d} {x.min():6.2f} {x.max():6.2f}  {std:18s} "
              f"{linear_accuracy(x, y):7.3f} {min_class_distance(clean, yc):16.3f}")


if __name__ == "__main__":
    _summary()
