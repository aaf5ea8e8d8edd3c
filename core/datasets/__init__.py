"""Data sets: two-class toy generators, a CSV loader and a train/validation split.

>>> from core.datasets import make, train_val_split
>>> x, y = make("spiral", n=500, noise=0.1, seed=0)      # x (500, 2) float32, y (500,) int32
>>> (x_tr, y_tr), (x_va, y_va) = train_val_split(x, y, validation_split=0.2)
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
from core.datasets.tabular import load_csv, train_val_split

__all__ = [
    "moons", "circles", "xor", "spiral", "gaussians",
    "paper_ball", "swiss_roll", "spheres",
    "GENERATORS", "DIMENSIONS", "make",
    "train_val_split", "load_csv",
]
