"""What the trainer process sends the window: typed, frozen, read-only.

The engine's :class:`core.engine.snapshot.Snapshot` says where training is (counters, batch
losses, epoch logs, weights, checkpoints). A run adds the heavy parts the views draw from, each a
frozen dataclass with named fields:

* :class:`RunData` — once per start or reset: the configuration, the data (a sample of a large
  set), the facts derived from them (class count, input size) and the model factory the views use
  (:meth:`RunData.model`), so that no view parses a config or counts classes itself;
* :class:`BoundaryGrid` — the network's P(class 1) over the input plane (a regression run's
  fitted value), with heavy snapshots;
* :class:`BatchUpdate` — the last batch's gradients and the update it made, after a step.

:class:`RunSnapshot` is a ``Snapshot`` with these three (any may be None) plus ``scrubbed``: True
for an epoch shown from the timeline rather than the live run.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from core.analysis.boundary import Plane
from core.engine.checkpoint import Checkpoint
from core.engine.model import Sequential
from core.engine.snapshot import Snapshot
from core.run.config import TrainingConfig, build_model, is_regression


def class_labels(y) -> np.ndarray:
    """Integer class labels from labels of shape (n,), (n, 1) or one-hot (n, k).

    Returns
    -------
    ndarray of shape (n,), int64
        Non-finite labels count as class 0.
    """
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return np.rint(np.where(np.isfinite(y), y, 0)).astype(np.int64)


def output_classes(model: Sequential) -> int:
    """The classes a classifier built by :func:`core.run.config.build_model` tells apart: one sigmoid
    unit for two classes, else one unit per class; 1 for a regression network (one linear unit)."""
    last = model.layers[-1]
    if last.activation.name == "linear" and int(last.units) == 1:
        return 1
    return max(2, int(last.units))


@dataclass(frozen=True, eq=False)
class RunData:
    """A run as the views need it: its configuration, its data and what follows from them.

    Attributes
    ----------
    config : TrainingConfig
        The run's configuration (live edits are not in it: snapshots carry the values in force).
    x_train, y_train : ndarray of shape (n, d) float32 and (n,) int
        The training samples the views draw: all of them, or the first ``MAX_SENT_TRAIN``.
        For a regression run ``y_train`` holds the float32 targets, shape (n,).
    x_val, y_val : ndarray of shape (m, d) float32 and (m,) int
        Likewise for validation.
    n_train, n_val : int
        How many samples the trainer has (the arrays above may hold fewer).
    n_classes : int
        The class count the network was built for (its output layer follows from it); 1 for a
        regression run (one linear output unit).
    summary : str
        The network's ``summary()`` text.
    plane : Plane or None
        For 2-D and 3-D inputs, the fixed plane the boundary is drawn on (3-D: principal axes).
    x_train_2d, x_val_2d : ndarray of shape (n, 2) and (m, 2), or None
        The samples projected on ``plane``.
    """

    config: TrainingConfig
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_train: int
    n_val: int
    n_classes: int
    summary: str = ""
    plane: Plane | None = None
    x_train_2d: np.ndarray | None = None
    x_val_2d: np.ndarray | None = None

    @property
    def input_dim(self) -> int:
        """Features per sample (784 for MNIST-type images)."""
        return int(self.x_train.shape[1])

    @property
    def is_images(self) -> bool:
        """True for 28×28 image runs (the digits views replace the planar ones)."""
        return self.input_dim == 784

    @property
    def is_regression(self) -> bool:
        """True when the run fits real-valued targets (``config.task == "regression"``)."""
        return is_regression(self.config)

    @property
    def metric(self) -> str:
        """The name of the metric the epoch logs hold beside the loss: ``"accuracy"`` or ``"mae"``
        (and ``"val_" + metric``); a snapshot's ``batch_accuracies`` hold its per-batch values."""
        return "mae" if self.is_regression else "accuracy"

    @property
    def metric_title(self) -> str:
        """The metric in words, for a title or an axis: ``"Accuracy"`` or ``"Mean absolute error"``."""
        return "Mean absolute error" if self.is_regression else "Accuracy"

    @property
    def labels_train(self) -> np.ndarray:
        """``y_train`` as integer class labels, shape (n,). Not for a regression run (its targets
        are real numbers: use ``y_train``)."""
        return class_labels(self.y_train)

    @property
    def labels_val(self) -> np.ndarray:
        """``y_val`` as integer class labels, shape (m,). Not for a regression run (use ``y_val``)."""
        return class_labels(self.y_val)

    @property
    def targets_train(self) -> np.ndarray:
        """What the loss compares the output with, shape (n,): the class labels, or a regression run's
        real-valued targets (shape them for the loss with :func:`core.run.config.targets_for`)."""
        return self.y_train if self.is_regression else self.labels_train

    def model(self) -> Sequential:
        """A new network with this run's architecture, ready for ``set_weights`` (the one factory).

        Raises
        ------
        ValueError
            If the configuration cannot be built (it was, in the trainer, so only for a run
            file edited by hand).
        """
        return build_model(self.config, self.input_dim, self.n_classes)


@dataclass(frozen=True, eq=False)
class BoundaryGrid:
    """The network's output over a square grid of the input plane.

    Attributes
    ----------
    grid : ndarray of shape (r, r), float32
        P(class 1) (or the score the loss thresholds) at each grid point, row-major; for a
        regression run the network's output, the fitted value (a 2-D run's surface; a 1-D
        regression run has no grid: its curve comes from the weights).
    extent : tuple of float
        ``(x_min, x_max, y_min, y_max)`` of the grid in plane coordinates.
    labels : tuple of str
        The plane's axis names.
    """

    grid: np.ndarray
    extent: tuple
    labels: tuple


@dataclass(frozen=True, eq=False)
class BatchUpdate:
    """The last batch's gradients and the change it made to the weights.

    Attributes
    ----------
    grads : tuple of ndarray
        ∂L/∂w for each weight array, in ``get_weights`` order.
    update : tuple of ndarray
        The weights after the step minus those before, same order.
    """

    grads: tuple
    update: tuple


@dataclass(frozen=True)
class RunSnapshot(Snapshot):
    """A :class:`Snapshot` with the run's heavy parts (each None when not sent).

    Attributes
    ----------
    run : RunData or None
        With the first snapshot after a start or a reset: views then start over.
    boundary : BoundaryGrid or None
        With heavy snapshots of 2-D and 3-D runs.
    batch_update : BatchUpdate or None
        After a step, and with heavy snapshots while training.
    checkpoint : Checkpoint or None
        With a snapshot that pauses (the state a run is saved from, a slice's optimizer state).
    scrubbed : bool
        True for an epoch shown from the timeline rather than the live run.
    """

    run: RunData | None = None
    boundary: BoundaryGrid | None = None
    batch_update: BatchUpdate | None = None
    checkpoint: Checkpoint | None = None
    scrubbed: bool = False

    @classmethod
    def of(cls, snap: Snapshot, **parts) -> "RunSnapshot":
        """``snap`` with the heavy ``parts`` (keyword arguments named as the attributes above)."""
        base = {f.name: getattr(snap, f.name) for f in fields(Snapshot)}
        return cls(**base, **parts)
