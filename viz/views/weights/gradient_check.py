"""The gradient check on demand (issue 6): backprop against finite differences, with the weights on screen.

:class:`GradientCheckPanel` is the button, the verdict and the table in the side pane of the
distributions view (:mod:`viz.views.weights.distributions`). A check takes the run's network
(``run.model()``, kept for the next check) with the weights shown now and runs
:func:`core.analysis.weights.gradcheck.gradient_check` on one batch of training data drawn with
the weights' epoch as seed; sizes stay small for big networks (784-512-512-10 then takes ~60 ms
on a busy core instead of ~0.9 s).
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.weights.gradcheck import AGREE, DOUBT, gradient_check
from core.run.config import targets_for
from viz import style

#: samples in the check's batch at most, and weights sampled per layer; fewer for nets of BIG_NET
#: weights or more
CHECK_BATCH, CHECK_BATCH_BIG = 64, 16
CHECK_PER_LAYER, CHECK_PER_LAYER_BIG, BIG_NET = 8, 4, 100_000
#: what the verdict says before the first check
IDLE = "Backprop against finite differences, on demand."


def one_blas_thread():
    """A context with BLAS on one thread, when threadpoolctl is installed.

    Measured here with the trainer's child busy on one of two cores: a 16x784 by 784x512
    float64 product took ~100 ms with OpenBLAS's two threads fighting for the free core
    and 0.5 ms on one thread. Without threadpoolctl this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def check_one_batch(model, run, seed: int):
    """The gradient check of ``model`` (with the weights to check) on a batch of ``run``'s training data.

    Parameters
    ----------
    model : Sequential
        The run's network (``run.model()``) holding the weights to check.
    run : RunData
        Its training samples and labels, configuration (batch size, loss) and class count.
    seed : int
        Seeds the choice of the batch's samples (the weights' epoch: the same epoch, the same batch).

    Returns
    -------
    result : dict
        :func:`core.analysis.weights.gradcheck.gradient_check`'s result.
    n : int
        Samples in the batch.
    ms : float
        Milliseconds the check took.

    Raises
    ------
    ValueError
        When the check cannot run.
    """
    x, y = run.x_train, run.targets_train
    big = model.count_params() >= BIG_NET
    n = min(len(x), run.config.batch_size, CHECK_BATCH_BIG if big else CHECK_BATCH)
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    t0 = time.perf_counter()
    with one_blas_thread():
        result = gradient_check(model, x[idx], targets_for(run.config, y[idx], run.n_classes),
                                n_per_layer=CHECK_PER_LAYER_BIG if big else CHECK_PER_LAYER)
    return result, n, (time.perf_counter() - t0) * 1000


def fill_check_table(table: QtWidgets.QTableWidget, result: dict) -> None:
    """One row per checked weight of a :func:`core.analysis.weights.gradcheck.gradient_check` result: kinks grey, disagreements flagged."""
    rows = result["rows"]
    table.setRowCount(len(rows))
    grey = QtGui.QColor("#8a8a8a")
    for r, row in enumerate(rows):
        err = row["rel_error"]
        tiny = max(abs(row["backprop"]), abs(row["numerical"])) < row.get("resolution", 0.0)
        note = "  (kink)" if row["kink"] else ("  (tiny)" if tiny else "")
        fd = row.get("fd_error")
        texts = [f"{row['layer'] + 1} ({row['name']})", row["label"], f"{row['backprop']:.6g}",
                 f"{row['numerical']:.6g}", f"{err:.1e}{note}"]
        bad = not row["kink"] and not err < AGREE
        back = QtGui.QColor("#f6c6c0" if not err < DOUBT else "#fbe7b5") if bad else None
        for c, text in enumerate(texts):
            item = QtWidgets.QTableWidgetItem(text)
            if c == 3 and fd is not None:   # in a tooltip: "± 2.2e-07" in the cell wrapped in a side pane
                item.setToolTip(f"{row['numerical']:.10g} ± {fd:.2g} (the difference's own error: "
                                "rounding, and truncation estimated from a step of 2ε)")
            if c >= 2:
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            if row["kink"]:
                item.setForeground(grey)
            if back is not None:
                item.setBackground(back)
                item.setForeground(QtGui.QColor(style.INK))   # dark text on the pale flag, any theme
            table.setItem(r, c, item)


class GradientCheckPanel(QtWidgets.QWidget):
    """The "Check gradients" button, the verdict beside it and the table of checked weights below.

    The view holding it connects ``button`` to its own action, which knows the run and the
    weights shown, and calls :meth:`run_check`.

    Attributes
    ----------
    button : QPushButton
    verdict : QLabel
        The verdict of the last check, or why none could run.
    table : QTableWidget
        One row per checked weight.
    result : dict or None
        The last check's result.
    model : Sequential or None
        The network the checks ran on (the run's, with the weights last checked).
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        row = QtWidgets.QHBoxLayout()
        self.button = QtWidgets.QPushButton("Check gradients")
        self.button.setToolTip(
            "Compare backprop's gradient with a central finite difference (float64) for a few weights per "
            "layer, on one batch of training data with the weights shown now.")
        row.addWidget(self.button)
        self.verdict = QtWidgets.QLabel(IDLE, wordWrap=True)
        self.verdict.setToolTip("The largest relative error |backprop − numerical| / max(|backprop|, |numerical|).")
        row.addWidget(self.verdict, 1)
        box.addLayout(row)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["layer", "parameter", "backprop", "numerical", "relative error"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        for c in (0, 1, 4):
            header.setSectionResizeMode(c, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Sampled weights: backprop's dL/dw, the finite difference (L(w+ε) − L(w−ε)) / 2ε "
                              "(hover it for its own error: rounding, and truncation estimated from a second step "
                              "of 2ε) and the relative error beyond that error. Grey '(kink)' rows straddle a relu kink and are "
                              "not judged; '(tiny)' gradients are below what the difference resolves.")
        box.addWidget(self.table, 1)
        self.clear()

    def clear(self) -> None:
        """Forget the network and the last check."""
        self.model = self._model_run = None
        self.result = None
        self.table.setRowCount(0)
        self.verdict.setText(IDLE)

    def run_check(self, run, weights, epoch: int) -> dict | None:
        """Check ``weights`` (of epoch ``epoch``) in ``run``'s network on one batch; fill the table and the verdict.

        Parameters
        ----------
        run : RunData or None
        weights : tuple of ndarray
            In ``get_weights`` order (empty: none yet).
        epoch : int

        Returns
        -------
        dict or None
            The check's result, or None when it could not run (the verdict says why).
        """
        model, why = self._network(run, weights)
        if model is None:
            self.verdict.setText(why)
            self.table.setRowCount(0)
            return None
        try:
            result, n, ms = check_one_batch(model, run, epoch)
        except ValueError as exc:
            self.verdict.setText(f"Gradient check failed: {exc}")
            return None
        self.result = result
        fill_check_table(self.table, result)
        self.verdict.setText(f"<b>{result['verdict']}</b><br>epoch {epoch}, {len(result['rows'])} "
                             f"weights, a batch of {n} samples, float64, ε = {result['eps']:g} ({ms:.0f} ms)")
        return result

    def _network(self, run, weights):
        """``(model, "")``: the run's network (made once per run) holding ``weights``; or ``(None, why not)``."""
        if run is None:
            return None, "No run yet: start training first."
        if not weights:
            return None, "No weights yet: wait for the first snapshot."
        if not all(np.isfinite(np.asarray(w, np.float64)).all() for w in weights):
            return None, "The weights are not finite (training diverged): nothing to check."
        try:
            if self._model_run is not run:
                self.model, self._model_run = run.model(), run
            self.model.set_weights(weights)
        except ValueError as exc:
            self.model = self._model_run = None
            return None, f"Cannot rebuild this run's network: {exc}"
        return self.model, ""
