"""The loss-surface view's background computation: the plane, the grid worker's thread and its results.

:class:`SurfaceComputation` is a mixin of :class:`viz.views.loss.landscape.LandscapeView` (listed
before ``QWidget`` in its bases). The grid is evaluated by a
:class:`viz.views.loss.surface_worker.GridWorker` moved to a ``QThread``; :meth:`shutdown` cancels
and joins it. The view itself declares the ``computed``, ``cancelled`` and ``failed`` signals
and the ``_on_*`` slots that take the worker's results: slots of a plain mixin are not the
QObject's, so the worker's thread would run them.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from core.analysis.loss import landscape
from core.run.config import build_model
from viz.views.loss.landscape_ui import two_weight_labels
from viz.views.loss.surface_worker import GridWorker


class SurfaceComputation:
    """Computing the surface in a worker thread (see :class:`~viz.views.loss.landscape.LandscapeView`)."""

    # ---- computing -----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None

    def make_plane(self):
        """The chosen plane through the current weights (raises ValueError when it cannot be made)."""
        if self._model is None or self._rec.current is None:
            raise ValueError("No weights recorded yet: start training first.")
        hist, _ = self._rec.history()
        hist = hist[np.isfinite(hist).all(axis=1)]      # diverged (NaN) weights: centre on the last finite ones
        if not len(hist):
            raise ValueError("Every recorded set of weights is NaN or infinite: reset the run.")
        shapes = [w.shape for w in self._model.get_weights()]
        self._model.set_weights(landscape.unflatten(hist[-1], shapes))
        kind = self.plane_combo.currentData()
        if kind == "random":
            return landscape.random_plane(self._model, seed=self.seed_spin.value())
        if kind == "weights":
            return two_weight_labels(self, landscape.weight_plane(self._model, self.i_spin.value(),
                                                                  self.j_spin.value()))
        return landscape.pca_plane(hist, shapes=shapes)

    def compute(self) -> bool:
        """Start evaluating the surface in a background thread; returns False (with a message) if it cannot."""
        self.shutdown()
        try:
            plane = self.make_plane()
        except ValueError as exc:
            self._say(str(exc))
            return False
        hist, _ = self._rec.history()
        path = plane.project_path(hist)
        s = self.span_spin.value()
        if plane.kind == "pca":
            extent = landscape.extent_for(path, margin=0.25)
        else:
            e = landscape.extent_for(path, margin=0.1)
            extent = (min(e[0], -s), max(e[1], s), min(e[2], -s), max(e[3], s))
        self._pending = plane
        # the worker gets its own model: the GUI thread may set this one's weights meanwhile
        model = build_model(self._config, self._x.shape[1], self._model.layers[-1].units)
        self._job += 1
        self._worker = GridWorker(self._job, model, self._x, self._y, plane, self.res_spin.value(), extent)
        self._thread = QtCore.QThread()
        self._thread.setObjectName("uncrumple-landscape")
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        for sig in (self._worker.finished, self._worker.failed, self._worker.cancelled):
            sig.connect(self._thread.quit)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.compute_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._say("Computing the surface…")
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop the computation (the old surface stays)."""
        if self._worker is not None:
            self._worker.cancel()

    def shutdown(self) -> None:
        """Cancel and join the worker thread, if any (on clear, close and quit)."""
        if self._thread is not None:
            self._worker.cancel()
            self._thread.quit()
            self._thread.wait()
            self._done()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def _done(self):
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread.deleteLater()
        self._thread = self._worker = None
        self.compute_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
