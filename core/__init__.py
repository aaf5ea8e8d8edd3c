"""Uncrumple's engine: a small Keras-shaped neural network library in NumPy.

No Qt here: everything the app draws is computed by this package, so a notebook
or a script can use it too.
"""
from core.engine import activations, initializers, losses, optimizers, regularizers
from core import datasets
from core.engine.layers import Dense, Dropout
from core.engine.model import Sequential
from core.engine.snapshot import History, Snapshot
from core.engine.training import Trainer
from core.run.config import TrainingConfig
from core.engine.model import load_model

__version__ = "0.1.0"
__all__ = ["Sequential", "Dense", "Dropout", "History", "Snapshot", "Trainer", "TrainingConfig", "load_model",
           "activations", "datasets", "initializers", "losses", "optimizers", "regularizers"]
