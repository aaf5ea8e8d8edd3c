"""The status bar's figures: what the trainer does, and the epoch, step, loss and accuracy of the
epoch the views show (a regression run's mean absolute error, "MAE", in place of the accuracy).

Live, the figures follow the run (the last completed epoch's loss and accuracy; before the first
epoch ends, the last batch's). When the timeline shows an older epoch, every view shows that
epoch, and so does the status bar: its epoch marked "(timeline)", its step, and the loss and
accuracy logged at its end; back on the live run, the live figures return.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QLabel

from viz import style

#: (key, tooltip, the widest text expected, so the label never changes width)
STATUS_FIELDS = (
    ("state", "What the trainer is doing; when it stops by itself, why.", "paused"),
    ("epoch", "Completed epochs; \"(timeline)\" when the views show an earlier epoch from the timeline.",
     "epoch 00000 (timeline)"),
    ("step", "Optimizer updates so far (of all the run will make, when its epochs are set).",
     "step 00000000/00,000,000"),
    ("loss", ("Training loss of the epoch shown (before the first epoch ends: of the last batch), "
              "and validation loss."), "loss 0.0000000 (val 0.0000000)"),
    ("accuracy", "Training accuracy of the epoch shown, and validation accuracy.",
     "MAE 0.0001234 (val 0.0001234)"),
)
#: the metric label's tooltip, by the run's metric (:attr:`core.run.messages.RunData.metric`)
METRIC_TIPS = {"accuracy": STATUS_FIELDS[-1][1],
               "mae": "Mean absolute error of the epoch shown (the average distance between the network's "
                      "output and the target), and on the validation data."}

#: the widest text of the transport toolbar's counters
COUNTERS_WIDEST = "Epoch 00000  ·  batch 0000/0000  ·  step 00000000"

#: what the state label says for each trainer state
STATE_TEXT = {"starting": "starting the trainer…", "ready": "ready", "training": "training",
              "paused": "paused", "finished": "finished", "stopped": "stopped"}


def fmt(value) -> str:
    """A loss as 4 significant digits, "–" when missing or not a number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{v:.4g}"


def pct(value) -> str:
    """An accuracy (a fraction) as a percentage with one decimal, "–" when missing."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{100 * v:.1f}%"


def loss_text(log: dict | None, batch: float = math.nan) -> str:
    """``"loss 0.1234 (val 0.2345)"`` from an epoch log, or from the last batch's loss when no log."""
    if not log:
        return f"loss {fmt(batch)}"
    return f"loss {fmt(log.get('loss'))}" + (f" (val {fmt(log['val_loss'])})" if "val_loss" in log else "")


def metric_text(log: dict | None, batch: float = math.nan, metric: str = "accuracy") -> str:
    """The run's metric in words: :func:`accuracy_text`, or for ``metric="mae"``
    ``"MAE 0.1234 (val 0.2345)"`` (from the last batch's when no log)."""
    if metric != "mae":
        return accuracy_text(log, batch)
    if not log:
        return f"MAE {fmt(batch)}"
    return f"MAE {fmt(log.get('mae'))}" + (f" (val {fmt(log['val_mae'])})" if "val_mae" in log else "")


def accuracy_text(log: dict | None, batch: float = math.nan) -> str:
    """``"accuracy 95.0% (val 93.5%)"`` from an epoch log, or from the last batch's when no log."""
    if not log:
        return f"accuracy {pct(batch)}"
    return (f"accuracy {pct(log.get('accuracy'))}"
            + (f" (val {pct(log['val_accuracy'])})" if "val_accuracy" in log else ""))


class StatusNumbers(QObject):
    """The permanent labels of a window's status bar, and the transport toolbar's counters.

    Parameters
    ----------
    status_bar : QStatusBar
        The labels are added to it as permanent widgets (see :data:`STATUS_FIELDS`).
    counters : QLabel, optional
        The transport toolbar's "Epoch e · batch b/n · step s".
    parent : QObject, optional

    Attributes
    ----------
    labels : dict of str to QLabel
        By key: ``"state"``, ``"epoch"``, ``"step"``, ``"loss"``, ``"accuracy"`` (the run's metric:
        the mean absolute error of a regression run).
    timeline_shown : bool
        True while the figures are those of an epoch shown from the timeline.

    Notes
    -----
    :meth:`follow` connects it to a session and a timeline controller. Without them, feed it:
    :meth:`on_snapshot` with every live snapshot, :meth:`on_refresh` at each redraw,
    :meth:`show` with the snapshot the views show (a scrubbed one, or a live one when the
    timeline goes back to live), :meth:`on_state` with the trainer's state.
    """

    def __init__(self, status_bar, counters: QLabel | None = None, parent=None):
        super().__init__(parent)
        self.counters = counters
        if counters is not None:   # wide enough for either text, at any font size (presentation mode)
            style.fix_label_width(counters, COUNTERS_WIDEST, extra=16)
        self.labels: dict[str, QLabel] = {}
        for key, tip, widest in STATUS_FIELDS:
            label = QLabel()
            label.setObjectName(f"status_{key}")
            label.setToolTip(tip)
            label.setContentsMargins(6, 0, 6, 0)
            if key == "state":   # grows for a long "stopped: ..." reason
                label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 12)
            else:                # fixed size: changing numbers must not relayout the window 30 times a second
                style.fix_label_width(label, widest)
            status_bar.addPermanentWidget(label)
            self.labels[key] = label
        self.labels["state"].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline_shown = False
        self.epoch_log = lambda epoch: None     # the logs of a kept epoch (the timeline's)
        self.total_epochs = lambda: 0           # the run's epochs, 0 when unbounded
        self._log: dict = {}                    # the live run's last epoch log
        self._batch = (math.nan, math.nan)      # its last batch's loss and accuracy (or MAE)
        self._metric = "accuracy"               # the run's metric (RunData.metric)
        self._session = None

    def follow(self, session, timeline=None) -> None:
        """Show the figures of ``session`` (a :class:`viz.run.session.Session`) and of the epochs
        ``timeline`` (a :class:`viz.run.timeline.TimelineController`) shows."""
        session.snapshot_ready.connect(self.on_snapshot)
        session.refreshed.connect(self.on_refresh)
        session.state_changed.connect(self._on_state_changed)
        self._session = session
        self.total_epochs = self._session_epochs
        if timeline is not None:
            timeline.shown.connect(self.show)
            self.epoch_log = timeline.epoch_log
        self.on_state(session.state, session.message)

    def _session_epochs(self) -> int:
        return self._session.config.epochs or 0

    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        self.on_state(state, self._session.message)

    # ---- from the session -------------------------------------------------------------------------
    @Slot(str, str)
    def on_state(self, state: str, message: str = "") -> None:
        """Say what the trainer does (and why it stopped, when it did)."""
        text = STATE_TEXT.get(state, state)
        if message and state in ("finished", "stopped"):
            text = f"{text}: {message}"
        label = self.labels["state"]
        label.setText(text)
        label.setToolTip(text if message else STATUS_FIELDS[0][1])

    @Slot(object)
    def on_snapshot(self, snap) -> None:
        """Keep a live snapshot's logs; show it now unless training (the redraws show those) or
        the timeline shows another epoch."""
        if snap is None:
            return
        if snap.run is not None:
            self._log, self._batch = {}, (math.nan, math.nan)
            self._metric = getattr(snap.run, "metric", "accuracy")
            self.labels["accuracy"].setToolTip(METRIC_TIPS.get(self._metric, METRIC_TIPS["accuracy"]))
        if snap.epochs:
            self._log = snap.epochs[-1]
        if len(snap.batch_losses):
            accs = snap.batch_accuracies
            self._batch = (float(snap.batch_losses[-1]), float(accs[-1]) if len(accs) else math.nan)
        if snap.state != "training" and not self.timeline_shown:
            self.show(snap)

    @Slot(object)
    def on_refresh(self, snap) -> None:
        """The views were redrawn: show the live figures, unless the timeline shows another epoch."""
        if snap is not None and not self.timeline_shown:
            self.show(snap)

    @Slot(object)
    def show(self, snap) -> None:
        """Show ``snap``'s figures: a scrubbed snapshot's (``snap.scrubbed``) from its epoch's log,
        marked "(timeline)"; a live one's from the live run's last logs."""
        if snap is None:
            return
        self.timeline_shown = bool(getattr(snap, "scrubbed", False))
        total_epochs = self.total_epochs()
        total = f"/{snap.batches_per_epoch * total_epochs:,}" if total_epochs else ""   # "2,345 updates in all"
        lab = self.labels
        if self.timeline_shown:
            log = self.epoch_log(snap.epoch)
            lab["epoch"].setText(f"epoch {snap.epoch} (timeline)")
            lab["loss"].setText(loss_text(log))
            lab["accuracy"].setText(metric_text(log, metric=self._metric))
            counters = f"Epoch {snap.epoch} (timeline)  ·  step {snap.step}"
        else:
            lab["epoch"].setText(f"epoch {snap.epoch}")
            lab["loss"].setText(loss_text(self._log, self._batch[0]))
            lab["accuracy"].setText(metric_text(self._log, self._batch[1], self._metric))
            counters = f"Epoch {snap.epoch}  ·  batch {snap.batch}/{snap.batches_per_epoch}  ·  step {snap.step}"
        lab["step"].setText(f"step {snap.step}{total}")
        if self.counters is not None:
            self.counters.setText(counters)
