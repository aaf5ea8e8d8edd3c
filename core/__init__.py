"""Uncrumple's engine: a small Keras-shaped neural network library in NumPy.

No Qt here: everything the app draws is computed by this package, so a notebook
or a script can use it too.
"""
from . import activations, datasets, initializers, losses, optimizers, regularizers
from .layers import Dense, Dropout
from .model import Sequential
from .training import History, Snapshot, Trainer
from .config import TrainingConfig
from .io import load_model

__version__ = "0.1.0"
__all__ = ["Sequential", "Dense", "Dropout", "History", "Snapshot", "Trainer", "TrainingConfig", "load_model",
           "activations", "datasets", "initializers", "losses", "optimizers", "regularizers"]
