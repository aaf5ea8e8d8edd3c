"""The data part of the scripts :mod:`core.run.codegen` writes: plain NumPy, no Uncrumple.

A script for a generated data set makes it itself: ``make_data(n, noise, seed)`` is the
generator of :mod:`core.datasets.synthetic` written out, and ``train_val_split`` the split
of :mod:`core.datasets.tabular`, so the same seed gives the app's arrays to the bit
(``tests/core/test_codegen.py`` checks every generator). A regression set's script writes out its
target function from :data:`core.datasets.regression.TARGETS` (its very source) and the one
stream of :mod:`core.datasets.regression`, with the unstratified split of real-valued targets.
A CSV run reads the file with a
small reader of the same rules (the label column, a seeded random sample of at most ``n_samples``
rows in file order, the labels the loss needs), so it trains on the app's rows; an MNIST-type run loads the images as a user of the
framework would (``keras.datasets``, ``torchvision.datasets``), preprocessed as the app does.
"""
from __future__ import annotations

import inspect
import json
import textwrap

from core.datasets import DIMENSIONS, REGRESSION_DIMENSIONS
from core.datasets import regression as regression_sets
from core.run.config import OUTPUT_ACTIVATION, csv_rows, is_image_dataset, is_regression

__all__ = ["data_lines", "data_imports", "data_summary"]

#: per generator: the lines that make ``x0`` (class 0) and ``x1`` (class 1) from ``rng``, ``n0``, ``n1``
GENERATOR_BODY = {
    "moons": """
        t0 = rng.uniform(0.0, np.pi, n0)
        t1 = rng.uniform(0.0, np.pi, n1)
        x0 = np.column_stack([np.cos(t0), np.sin(t0)])                  # the upper half circle
        x1 = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])      # the lower one, shifted
        shift = np.array([0.5, 0.25])
        x0, x1 = x0 - shift, x1 - shift
        """,
    "circles": """
        t0 = rng.uniform(0.0, 2 * np.pi, n0)
        t1 = rng.uniform(0.0, 2 * np.pi, n1)
        x0 = np.column_stack([np.cos(t0), np.sin(t0)])          # radius 1
        x1 = 0.5 * np.column_stack([np.cos(t1), np.sin(t1)])    # radius 0.5, inside
        """,
    "xor": """
        def quadrants(m, same_sign):
            mag = rng.uniform(0.1, 1.0, size=(m, 2))
            s = rng.choice([-1.0, 1.0], size=m)
            return mag * np.column_stack([s, s if same_sign else -s])

        x0 = quadrants(n0, True)     # quadrants I and III
        x1 = quadrants(n1, False)    # quadrants II and IV
        """,
    "spiral": """
        turns, r_in, r_out = 1.5, 0.15, 1.3

        def arm(m, phase):
            t = rng.uniform(0.0, 1.0, m)
            angle = 2 * np.pi * turns * t + phase
            r = r_in + (r_out - r_in) * t
            return np.column_stack([r * np.cos(angle), r * np.sin(angle)])

        x0 = arm(n0, 0.0)
        x1 = arm(n1, np.pi)          # the second arm, half a turn on
        """,
    "gaussians": """
        x0 = rng.normal(-0.6, 0.3, size=(n0, 2))
        x1 = rng.normal(0.6, 0.3, size=(n1, 2))
        """,
    "paper_ball": """
        # a square sheet crumpled by CRUMPLE's twists; the classes lie 0.2 either side of it
        flat = np.column_stack([rng.uniform(-1.0, 1.0, size=(n0 + n1, 2)), np.zeros(n0 + n1)])
        surface = crumple(flat)
        eps = 1e-5   # the surface's normal from central differences along the sheet
        du = (crumple(flat + [eps, 0, 0]) - crumple(flat - [eps, 0, 0])) / (2 * eps)
        dv = (crumple(flat + [0, eps, 0]) - crumple(flat - [0, eps, 0])) / (2 * eps)
        normal = np.cross(du, dv)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        side = np.repeat([-0.2, 0.2], [n0, n1])[:, None]
        x = surface + side * normal
        x0, x1 = x[:n0], x[n0:]
        """,
    "swiss_roll": """
        turns, r_in, r_out = 1.25, 0.35, 1.35

        def sheet(m, phase):
            t = rng.uniform(0.0, 1.0, m)
            angle = 2 * np.pi * turns * t + phase
            r = r_in + (r_out - r_in) * t
            height = rng.uniform(-1.0, 1.0, m)
            return np.column_stack([r * np.cos(angle), height, r * np.sin(angle)])

        x0 = sheet(n0, 0.0)
        x1 = sheet(n1, np.pi)
        """,
    "spheres": """
        def unit_vectors(m):
            v = rng.normal(size=(m, 3))
            return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

        x0 = unit_vectors(n0)                                     # the shell of radius 1
        radius = 0.5 * rng.uniform(0.0, 1.0, n1) ** (1.0 / 3.0)   # uniform in the ball's volume
        x1 = unit_vectors(n1) * radius[:, None]
        """,
}

#: helpers a generator's body calls, written before ``make_data``
GENERATOR_HELPERS = {
    "paper_ball": """
        #: the twists that crumple the sheet: (axis, angle per unit along the axis, per unit from it)
        CRUMPLE = (((1.0, 0.0, 0.0), 2.0, 0.0),
                   ((0.0, 0.0, 1.0), 0.0, 2.0),
                   ((0.0, 1.0, 0.0), 1.5, 0.0))


        def crumple(p):
            \"\"\"Points ``p`` of shape (m, 3) twisted about each axis through the origin (Rodrigues).\"\"\"
            for axis, along_rate, radial_rate in CRUMPLE:
                k = np.asarray(axis) / np.linalg.norm(axis)
                along = p @ k
                radial = np.linalg.norm(p - np.outer(along, k), axis=1)
                theta = along_rate * along + radial_rate * radial
                c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
                p = p * c + np.cross(k, p) * s + np.outer(along, k) * (1.0 - c)
            return p
        """,
}

_MAKE_DATA = '''
    def make_data(n, noise, seed):
        """{doc}

        The same seed gives the same numbers as Uncrumple's ``core.datasets.make({name!r}, ...)``:
        x of shape (n, {d}) float32, y of shape (n,) int32 labels 0 and 1, rows shuffled.
        """
        rng = np.random.default_rng(seed)
        n0, n1 = n // 2, n - n // 2          # class 0, class 1

{body}

        x = np.concatenate([x0, x1]).astype(np.float64)
        y = np.repeat(np.array([0, 1], dtype=np.int32), [len(x0), len(x1)])
        x = x + noise * rng.normal(size=x.shape)            # the jitter
        order = rng.permutation(len(x))                     # shuffled rows
        return np.ascontiguousarray(x[order], dtype=np.float32), y[order]
    '''

_MAKE_REGRESSION = '''
    def make_data(n, noise, seed):
        """{doc}

        The same seed gives the same numbers as Uncrumple's ``core.datasets.make_regression({name!r}, ...)``:
        x of shape (n, {d}) float32 uniform in [-1.5, 1.5], y of shape (n,) float32 targets.
        """
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.5, 1.5, size=(n, {d}))
        y = target(x) + noise * rng.normal(size=n)            # the target plus noise
        return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.float32)
    '''

_SPLIT_REGRESSION = '''
    def train_val_split(x, y, validation_split, seed):
        """Uncrumple's split of real-valued targets: a shuffled round(n * validation_split) samples
        for validation, the rest for training (both shuffled again)."""
        rng = np.random.default_rng(seed)
        idx = rng.permutation(np.arange(len(y)))
        n_val = int(np.floor(len(idx) * validation_split + 0.5))
        train = rng.permutation(idx[n_val:])
        val = rng.permutation(idx[:n_val])
        return (x[train], y[train]), (x[val], y[val])
    '''

_SPLIT = '''
    def train_val_split(x, y, validation_split, seed):
        """Uncrumple's split: from each class a shuffled round(count * validation_split) samples
        for validation, the rest for training (both shuffled again)."""
        rng = np.random.default_rng(seed)
        train, val = [], []
        for label in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == label))
            n_val = int(np.floor(len(idx) * validation_split + 0.5))
            val.append(idx[:n_val])
            train.append(idx[n_val:])
        train = rng.permutation(np.concatenate(train))
        val = rng.permutation(np.concatenate(val))
        return (x[train], y[train]), (x[val], y[val])
    '''

_CSV = '''
    LABEL_NAMES = ("label", "class", "target", "y")   # the label column's names, in order of preference


    def label_column(header):
        \"\"\"The label column: the one named label, class, target or y (y only when no column is
        named x), otherwise the last; as Uncrumple chooses it.\"\"\"
        names = [name.strip().strip("'\\"").strip().lower() for name in header]
        for wanted in LABEL_NAMES:
            if wanted == "y" and "x" in names:
                continue
            found = [i for i, name in enumerate(names) if name == wanted]
            if len(found) > 1:
                raise ValueError(f"Columns {[i + 1 for i in found]} are all named {wanted!r}; rename one.")
            if found:
                return found[0]
        return len(header) - 1


    def sample_rows(rows, k, seed):
        \"\"\"At most ``k`` of ``rows``: a uniform random sample kept in file order (reservoir sampling,
        Vitter's algorithm L), the very rows Uncrumple uses with this seed. ``k`` None: all of them.\"\"\"
        if k is None:
            return list(rows)
        rng = random.Random(int(np.random.default_rng(seed).integers(2**63)))

        def unit():       # uniform in (0, 1)
            u = rng.random()
            while u == 0.0:
                u = rng.random()
            return u

        def skip(w):      # how many rows to pass over before the next replacement
            return int(math.log(unit()) / math.log1p(-min(w, 1.0 - 1e-16)))

        kept, w, next_row = [], None, None
        for n, row in enumerate(rows):
            if n < k:
                kept.append((n, row))
                if n + 1 == k:    # the reservoir is full
                    w = math.exp(math.log(unit()) / k)
                    next_row = n + skip(w) + 1
            elif n == next_row:
                kept[rng.randrange(k)] = (n, row)
                w *= math.exp(math.log(unit()) / k)
                next_row = n + skip(w) + 1
        return [row for _, row in sorted(kept)]


    def load_csv(path, max_rows=MAX_ROWS, seed=SEED):
        \"\"\"(x, y) from a CSV file: one sample a row, its features and an integer label.

        Cells are separated by commas, semicolons, tabs or spaces; a first row without a number
        is a header (it names the label column, see label_column); blank lines and lines starting
        with # are skipped. A file of more than ``max_rows`` rows gives a random sample of them
        (``seed``); None: every row.
        \"\"\"
        with open(path, encoding="utf-8-sig", newline="") as f:
            lines = (line for line in f if line.strip() and not line.lstrip().startswith("#"))
            first = next(lines)
            delimiter = next((d for d in (",", ";", "\\t") if d in first), None)

            def cells(line):
                line = line.rstrip("\\r\\n")
                if delimiter is None:
                    return line.split()
                return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]

            def is_number(cell):
                try:
                    float(cell)
                except ValueError:
                    return False
                return True

            header = None if any(is_number(cell) for cell in cells(first)) else cells(first)

            def data_rows():
                if header is None:
                    yield first
                yield from lines

            rows = sample_rows(data_rows(), max_rows, seed)
        values = np.array([cells(line) for line in rows], dtype=np.float64)
        label = label_column(header) if header else values.shape[1] - 1
        return np.delete(values, label, axis=1).astype(np.float32), values[:, label].astype(np.int32)
    '''

#: the labels a loss needs, checked by the script as the app does (one sigmoid output: 0 and 1)
_CHECK_BINARY = '''
    def check_labels(y):
        \"\"\"Loss {loss!r} needs labels 0 or 1 (map -1 to 0, or 1 and 2 to 0 and 1, in the file).\"\"\"
        found = np.unique(y)
        if not set(found.tolist()) <= {{0, 1}}:
            raise ValueError(f"Loss {loss!r} needs labels 0 or 1; found {{found.tolist()}}.")
    '''
_CHECK_CLASSES = '''
    def check_labels(y):
        \"\"\"Loss {loss!r} needs the classes numbered 0, 1, ..., n-1 with every class present.\"\"\"
        found = np.unique(y)
        if not np.array_equal(found, np.arange(len(found))):
            raise ValueError(f"Loss {loss!r} needs the classes numbered 0 to {{len(found) - 1}}; "
                             f"found {{found.tolist()}}.")
    '''

#: image set -> (Keras loader, torchvision class, training images at most, test images, what it is)
IMAGES = {
    "mnist": ("mnist", "MNIST", None, None, "MNIST handwritten digits"),
    "fashion_mnist": ("fashion_mnist", "FashionMNIST", None, None, "Fashion-MNIST clothes"),
    "mnist_sample": ("mnist", "MNIST", 4000, 1000, "MNIST handwritten digits"),
}


def _block(text: str) -> list[str]:
    return textwrap.dedent(text).strip("\n").splitlines()


def _num(value) -> str:
    return repr(bool(value)) if isinstance(value, bool) else repr(value)


def data_imports(config) -> list[str]:
    """The import lines the data part needs (an image set's framework is imported by the script)."""
    if is_image_dataset(config):
        return ["import numpy as np"]
    return (["import csv", "import math", "import random", ""] if config.csv_path else []) \
        + ["import numpy as np"]


def data_summary(config) -> str:
    """What the data are, for the script's docstring."""
    if is_image_dataset(config):
        n_train = _n_train(config)
        used = f"the first {n_train:,} training images" if n_train else "every training image"
        return f"{IMAGES[config.dataset][4]}: {used}, the test images for validation"
    if config.csv_path:
        return (f"your CSV file {json.dumps(str(config.csv_path))}, at most {csv_rows(config):,} of its rows "
                "(a random sample of a bigger file, as the app takes)")
    if is_regression(config):
        return f'{config.n_samples} "{config.dataset}" points (regression: a real number to fit), noise {config.noise}'
    return f'{config.n_samples} "{config.dataset}" points, noise {config.noise}'


def data_lines(config, framework: str) -> list[str]:
    """Constants and functions ending in ``load_data()`` -> ``((x_train, y_train), (x_val, y_val))``.

    Parameters
    ----------
    config : core.run.config.TrainingConfig
    framework : str
        ``"keras"`` or ``"pytorch"``: which library loads an image set.

    Returns
    -------
    list of str
        Source lines (no imports: see :func:`data_imports`), ``SEED`` defined before them.
    """
    if is_image_dataset(config):
        return _image_lines(config, framework)
    regression = is_regression(config)
    lines = [f"VALIDATION_SPLIT = {_num(config.validation_split)}"]
    if config.csv_path and regression:
        lines += [f"MAX_ROWS = {csv_rows(config)}  # the app's n_samples: the most rows of the file a run uses",
                  "", "", *_block(_csv_regression())]
        load = f"    x, y = load_csv({json.dumps(str(config.csv_path))})"
        doc = (f'    """((x_train, y_train), (x_val, y_val)) from your CSV file: the rows the app uses, '
               f'{config.validation_split:.0%} for validation."""')
    elif config.csv_path:
        check = _CHECK_BINARY if OUTPUT_ACTIVATION[config.loss] == "sigmoid" else _CHECK_CLASSES
        lines += [f"MAX_ROWS = {csv_rows(config)}  # the app's n_samples: the most rows of the file a run uses",
                  "", "", *_block(_CSV), "", "", *_block(check.format(loss=config.loss))]
        load = f"    x, y = load_csv({json.dumps(str(config.csv_path))})\n    check_labels(y)"
        doc = (f'    """((x_train, y_train), (x_val, y_val)) from your CSV file: the rows the app uses, '
               f'{config.validation_split:.0%} for validation."""')
    elif regression:
        name = config.dataset
        lines = [f"N_SAMPLES = {config.n_samples}", f"NOISE = {_num(config.noise)}"] + lines + ["", ""]
        lines += _target_lines(name) + ["", ""]
        lines += _block(_MAKE_REGRESSION.format(doc=f'The "{name}" regression data: {regression_sets.DESCRIPTIONS[name]}.',
                                                name=name, d=REGRESSION_DIMENSIONS[name]))
        load = "    x, y = make_data(N_SAMPLES, NOISE, SEED)"
        doc = (f'    """((x_train, y_train), (x_val, y_val)): the app\'s {config.n_samples} "{name}" points '
               f'(noise {config.noise}), {config.validation_split:.0%} for validation."""')
    else:
        name = config.dataset
        lines = [f"N_SAMPLES = {config.n_samples}", f"NOISE = {_num(config.noise)}"] + lines + ["", ""]
        if name in GENERATOR_HELPERS:
            lines += _block(GENERATOR_HELPERS[name]) + ["", ""]
        body = textwrap.indent(textwrap.dedent(GENERATOR_BODY[name]).strip("\n"), " " * 8)
        lines += _block(_MAKE_DATA.format(doc=f'The "{name}" data set: two classes of points.', name=name,
                                          d=DIMENSIONS[name], body=body))
        load = "    x, y = make_data(N_SAMPLES, NOISE, SEED)"
        doc = (f'    """((x_train, y_train), (x_val, y_val)): the app\'s {config.n_samples} "{name}" points '
               f'(noise {config.noise}), {config.validation_split:.0%} for validation."""')
    split = _SPLIT_REGRESSION if regression else _SPLIT
    lines += ["", "", *_block(split), "", "", "def load_data():", doc, load,
              "    return train_val_split(x, y, VALIDATION_SPLIT, SEED)"]
    return lines


def _target_lines(name: str) -> list[str]:
    """``target(x)`` of a regression set: the source of its function in :mod:`core.datasets.regression`
    (so the script computes the same bits), with the constants it uses."""
    source = textwrap.dedent(inspect.getsource(regression_sets.TARGETS[name]))
    source = source.replace(f"def {regression_sets.TARGETS[name].__name__}(x):",
                            f'def target(x):\n    """The target: {regression_sets.DESCRIPTIONS[name]}; x of shape (m, d)."""', 1)
    constants = []
    for constant in ("BUMPS", "BUMP_WIDTH"):
        if constant in source:
            constants.append(f"{constant} = {getattr(regression_sets, constant)!r}")
    return constants + (["", ""] if constants else []) + source.strip("\n").splitlines()


def _csv_regression() -> str:
    """The CSV reader of :data:`_CSV` for real-valued targets (float32, not integer labels)."""
    text = _CSV.replace("values[:, label].astype(np.int32)", "values[:, label].astype(np.float32)")
    return text.replace("its features and an integer label.", "its features and a real-valued target.")


def _n_train(config) -> int | None:
    """Training images an image run uses: ``n_samples`` (0 or None: all), at most the set's own cap."""
    cap = IMAGES[config.dataset][2]
    n = config.n_samples or None
    return min(n, cap) if n and cap else n or cap


def _image_lines(config, framework: str) -> list[str]:
    keras_name, torch_name, _, test_cap, what = IMAGES[config.dataset]
    n_train = _n_train(config)
    lines = [f"N_TRAIN = {n_train}  # training images used ({'None: all' if n_train is None else 'the first ones'})"]
    if test_cap:
        lines.append(f"N_TEST = {test_cap}")
    lines += ["", ""]
    note = []
    if config.dataset == "mnist_sample":
        note = ["    # Uncrumple trained on its offline sample of 4,000 training and 1,000 test digits (400",
                "    # and 100 of each digit); the first ones of the full MNIST stand in for them here."]
    elif config.dataset == "mnist":
        note = ["    # (Where the full MNIST was not found, Uncrumple used its offline sample of 4,000 + 1,000",
                "    # digits instead: expect a somewhat higher accuracy here.)"]
    if framework == "keras":
        load = [f"    # Keras downloads {what} on first use (into ~/.keras/datasets)",
                f"    (x_train, y_train), (x_test, y_test) = keras.datasets.{keras_name}.load_data()"]
    else:
        load = [f"    # torchvision (pip install torchvision) downloads {what} on first use, into ./data",
                "    from torchvision import datasets",
                f"    train = datasets.{torch_name}(\"data\", train=True, download=True)",
                f"    test = datasets.{torch_name}(\"data\", train=False, download=True)",
                "    x_train, y_train = train.data.numpy(), train.targets.numpy()",
                "    x_test, y_test = test.data.numpy(), test.targets.numpy()"]
    return lines + [
        "def load_data():",
        f'    """((x_train, y_train), (x_test, y_test)): {what}, 28 x 28 pixels flattened to 784',
        "    values in [0, 1], labels 0-9; the test set is the validation data, as in the book.\"\"\"",
        *note,
        *load,
        "    x_train, y_train = x_train[:N_TRAIN], y_train[:N_TRAIN]",
        *(["    x_test, y_test = x_test[:N_TEST], y_test[:N_TEST]"] if test_cap else []),
        "",
        "    def flat(images):   # (n, 28, 28) uint8 -> (n, 784) float32 in [0, 1]",
        "        return images.reshape(len(images), 28 * 28).astype(np.float32) / np.float32(255)",
        "",
        "    return (flat(x_train), y_train.astype(np.int32)), (flat(x_test), y_test.astype(np.int32))",
    ]
