"""Data sets: two-class toy generators, a CSV loader and a train/validation split.

>>> from core.datasets import make, train_val_split
>>> x, y = make("spiral", n=500, noise=0.1, seed=0)      # x (500, 2) float32, y (500,) int32
>>> (x_tr, y_tr), (x_va, y_va) = train_val_split(x, y, validation_split=0.2)

Regression sets (a real number to fit; :mod:`core.datasets.regression`):

>>> from core.datasets import make_regression
>>> x, y = make_regression("sine", n=200, noise=0.1, seed=0)   # x (200, 1), y (200,) float32

MNIST and Fashion-MNIST, shaped like ``keras.datasets.mnist.load_data()``:

>>> from core.datasets import load_mnist_or_sample, preprocess_images, to_categorical
>>> ((x_train, y_train), (x_test, y_test)), notice = load_mnist_or_sample()
>>> x, y = preprocess_images(x_train), to_categorical(y_train)   # (n, 784), (n, 10) float32
"""
from core.datasets.synthetic import (
    DIMENSIONS,
    GENERATORS,
    circles,
    gaussians,
    make,
    moons,
    paper_ball,
    spheres,
    spiral,
    swiss_roll,
    xor,
)
from core.datasets.regression import (
    REGRESSION_DIMENSIONS,
    REGRESSION_GENERATORS,
    make_regression,
)
from core.datasets.tabular import (CsvCancelled, CsvData, count_csv_rows, csv_task, load_csv, read_csv,
                                   train_val_split)
from core.datasets.download import DownloadCancelled  # the function: core.datasets.download.download
from core.datasets.idx import load_idx_folder, read_idx
from core.datasets.mnist import (
    FASHION_MNIST_DIR,
    MNIST_SHA256,
    MNIST_URL,
    assets_dir,
    cache_dir,
    load_fashion_mnist,
    load_mnist,
    load_mnist_or_sample,
    load_mnist_sample,
)
from core.datasets.preprocess import describe_tensor, preprocess_images, to_categorical

__all__ = [
    "moons", "circles", "xor", "spiral", "gaussians",
    "paper_ball", "swiss_roll", "spheres",
    "GENERATORS", "DIMENSIONS", "make",
    "REGRESSION_GENERATORS", "REGRESSION_DIMENSIONS", "make_regression",
    "train_val_split", "load_csv", "read_csv", "count_csv_rows", "csv_task", "CsvData", "CsvCancelled",
    "load_mnist", "load_fashion_mnist", "load_mnist_sample", "load_mnist_or_sample",
    "preprocess_images", "to_categorical", "describe_tensor",
    "read_idx", "load_idx_folder", "cache_dir", "assets_dir",
    "DownloadCancelled", "MNIST_URL", "MNIST_SHA256", "FASHION_MNIST_DIR",
]
