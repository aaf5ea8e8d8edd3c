"""What a lesson's check can ask about the live run: :class:`Facts`, built by the window.

A fact that is not known yet (no epoch trained) is NaN, ``""`` or False, so a comparison with it is
false (:mod:`core.lessons.checks`). :func:`run_facts` derives the run's facts from plain values
(the configuration, the epoch logs), so the GUI only gathers them.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from core.run.config import TrainingConfig

NAN = math.nan
#: a run whose newest loss is this many times its first one has diverged
DIVERGED_FACTOR = 10.0


@dataclass(frozen=True)
class Facts:
    """The live run as a lesson's check sees it.

    Attributes
    ----------
    epoch, step : int
        The trainer's newest epoch and update count.
    loss, accuracy, val_loss, val_accuracy : float
        The newest completed epoch's metrics (NaN before the first epoch).
    first_loss : float
        The first epoch's training loss of this run (NaN before).
    best_val_accuracy : float
        The best validation accuracy of any epoch so far (NaN before).
    diverged : bool
        The run stopped on a NaN/inf loss, or its newest loss is more than
        :data:`DIVERGED_FACTOR` times its first.
    playing : bool
        Training is running now.
    timeline_epoch : int
        The epoch the views show (the scrubbed one; the newest when live).
    preset : str
        The preset the run started from (``""`` if none).
    dataset, optimizer, activation : str
        The run's data set, optimizer and first hidden layer's activation (``""`` without one).
    learning_rate, momentum : float
    batch_size, hidden_layers, units, epochs_planned : int
        ``units`` is the first hidden layer's (0 without one); ``epochs_planned`` 0 means no end.
    workspace : str
        The workspace shown.
    drawn : int
        Digits the learner has drawn on the Draw view in this run.
    """

    epoch: int = 0
    step: int = 0
    loss: float = NAN
    accuracy: float = NAN
    val_loss: float = NAN
    val_accuracy: float = NAN
    first_loss: float = NAN
    best_val_accuracy: float = NAN
    diverged: bool = False
    playing: bool = False
    timeline_epoch: int = 0
    preset: str = ""
    dataset: str = ""
    optimizer: str = ""
    activation: str = ""
    learning_rate: float = NAN
    momentum: float = NAN
    batch_size: int = 0
    hidden_layers: int = 0
    units: int = 0
    epochs_planned: int = 0
    workspace: str = ""
    drawn: int = 0


#: every fact's name, in the order of :class:`Facts`
FACT_NAMES = tuple(f.name for f in dataclasses.fields(Facts))
#: each fact's kind: "num" (int, float), "bool" or "str"
FACT_KINDS = {f.name: {"int": "num", "float": "num", "bool": "bool", "str": "str"}[f.type]
              for f in dataclasses.fields(Facts)}


def _metric(log: dict | None, key: str) -> float:
    if not log:
        return NAN
    value = log.get(key)
    try:
        return float(value)
    except (TypeError, ValueError):
        return NAN


def run_facts(config: TrainingConfig | None, epoch_logs=(), *, epoch: int = 0, step: int = 0,
              stopped_on_nan: bool = False, playing: bool = False, timeline_epoch: int | None = None,
              preset: str = "", workspace: str = "", drawn: int = 0) -> Facts:
    """The :class:`Facts` of a run from its configuration and its epoch logs.

    Parameters
    ----------
    config : TrainingConfig or None
        The run's configuration, live edits included (None: not known yet).
    epoch_logs : sequence of dict
        Every completed epoch's ``{"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}``, in order.
    epoch, step : int
        The trainer's newest epoch and update count.
    stopped_on_nan : bool
        The trainer stopped because the loss or the weights stopped being numbers.
    playing : bool
    timeline_epoch : int, optional
        The epoch shown; default ``epoch`` (live).
    preset, workspace : str
    drawn : int

    Returns
    -------
    Facts
    """
    logs = [log for log in epoch_logs if isinstance(log, dict)]
    last = logs[-1] if logs else None
    loss, first = _metric(last, "loss"), _metric(logs[0] if logs else None, "loss")
    vals = [v for v in (_metric(log, "val_accuracy") for log in logs) if not math.isnan(v)]
    diverged = bool(stopped_on_nan) or (not math.isfinite(loss) and last is not None and "loss" in last) or (
        math.isfinite(first) and first > 0 and math.isfinite(loss) and loss > DIVERGED_FACTOR * first)
    cfg = {}
    if config is not None:
        hidden = tuple(config.hidden)
        cfg = dict(dataset="csv" if config.csv_path else str(config.dataset), optimizer=str(config.optimizer),
                   activation=str(hidden[0][1]) if hidden else "", learning_rate=float(config.learning_rate),
                   momentum=float(config.momentum), batch_size=int(config.batch_size),
                   hidden_layers=len(hidden), units=int(hidden[0][0]) if hidden else 0,
                   epochs_planned=int(config.epochs or 0))
    return Facts(epoch=int(epoch), step=int(step), loss=loss, accuracy=_metric(last, "accuracy"),
                 val_loss=_metric(last, "val_loss"), val_accuracy=_metric(last, "val_accuracy"),
                 first_loss=first, best_val_accuracy=max(vals) if vals else NAN, diverged=diverged,
                 playing=bool(playing), timeline_epoch=int(epoch if timeline_epoch is None else timeline_epoch),
                 preset=str(preset), workspace=str(workspace), drawn=int(drawn), **cfg)
