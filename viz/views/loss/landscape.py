"""The loss surface of the network being trained, with its descent path.

``core.analysis.loss.landscape`` does the maths: the planes (:func:`core.analysis.loss.landscape.random_plane`,
:func:`~core.analysis.loss.landscape.pca_plane`, :func:`~core.analysis.loss.landscape.weight_plane`), the grid
(:func:`~core.analysis.loss.landscape.evaluate_grid`, run here in a ``QThread`` with progress and
cancel) and the projection of the recorded weights (``Plane.project_path``). The
view records the weights of every heavy snapshot (at most :data:`MAX_RECORDS`,
thinned evenly), draws the heat map with contour lines, the path, a marker per
epoch and the current point, and offers to recompute when the path leaves the grid.

The weight record is :mod:`viz.views.loss.weight_record`, the grid worker
:mod:`viz.views.loss.surface_worker` (run by :mod:`viz.views.loss.landscape_compute`), the widgets
:mod:`viz.views.loss.landscape_ui`.

:func:`make_docks` gives the main window this module's docks and the race's and
the 1D slice's.
"""
from __future__ import annotations

import csv
import functools

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.analysis.loss import landscape
from core.run.config import TrainingConfig, build_model, targets_for
from viz import style
from viz.export.pictures import export_png, export_svg
from viz.views.loss.landscape_compute import SurfaceComputation
from viz.views.loss.landscape_ui import PATH_COLOR, PLANES, build_landscape_ui, choose_default_plane  # noqa: F401
from viz.views.loss.landscape_ui import label_axes, show_names, surface_title, sync_controls
from viz.views.loss.race import RaceView
from viz.views.loss.slice1d import SliceView
from viz.views.loss.surface3d import attach_3d
from viz.views.loss.weight_record import MAX_RECORD_BYTES, MAX_RECORDS, _Recorder  # noqa: F401 - re-exported

MAX_POINTS = 1000             # grid evaluation uses at most this many training points


class LandscapeView(SurfaceComputation, QtWidgets.QWidget):
    """Heat map of the loss on a plane through weight space, with the descent path on it.

    Public items: ``plane_combo``, ``seed_spin``, ``i_spin``, ``j_spin``, ``res_spin``,
    ``span_spin``, ``log_check``, ``compute_button``, ``cancel_button``, ``progress``,
    ``plot``, ``heat``, ``path``, ``epoch_marks``, ``current``, ``readout``,
    ``notice`` (offers to recompute), ``grid`` (the newest Grid), ``plane``.
    Signals ``computed()``, ``cancelled()``, ``failed(str)`` after each computation.
    """

    computed = QtCore.Signal()
    cancelled = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._config = None
        self._model = None
        self._x = self._y = None
        self._names = 0                              # how many weights the network has
        self._rec = _Recorder()
        self._data_source = None
        self._thread = self._worker = None
        self._job = 0                                   # numbers the computations
        self.grid = self.plane = None
        self._offset = (0.0, 0.0)
        self._proj_key, self._proj = None, np.zeros((0, 2))
        self._plane_token = 0                           # bumped per plane shown and per clear
        self._dirty = False
        build_landscape_ui(self)
        self.view3d = attach_3d(self)                   # "3D" button: the surface and path in OpenGL
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- contract ------------------------------------------------------------------------------
    def clear(self) -> None:
        """Stop any computation, forget the recorded path and the surface."""
        self.shutdown()
        self._rec.clear(self._rec.w.shape[1])
        self.grid = self.plane = None
        self._plane_token += 1
        self.heat.clear()
        for item in (self.path, self.epoch_marks, self.current, self.start_mark):
            item.setData([], [])
        self.view3d.clear()
        self.notice.setVisible(False)
        self.message.setVisible(True)
        self._dirty = False

    def set_data(self, extras: dict) -> None:
        """A new run: ``extras`` of its first snapshot (``"config"``, ``"data"``)."""
        self.clear()
        extras = extras or {}
        data, cfg = extras.get("data"), extras.get("config")
        self._data_source = data
        if not data or cfg is None:
            return
        config = cfg if isinstance(cfg, TrainingConfig) else TrainingConfig.from_dict(cfg)
        x, y = np.asarray(data["x_train"], np.float32), np.asarray(data["y_train"])
        y_all = np.concatenate([y, np.asarray(data.get("y_val", y[:0]))])
        n_classes = int(y_all.max()) + 1
        self._config, self._model = config, build_model(config, x.shape[1], n_classes)
        if len(x) > MAX_POINTS:
            pick = np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False)
            x, y = x[np.sort(pick)], y[np.sort(pick)]
        self._x, self._y = x, targets_for(config, y, n_classes)
        self._names = self._model.count_params()     # weights are named one at a time (407,000 for MNIST)
        self._rec.clear(self._names)
        for spin in (self.i_spin, self.j_spin):
            spin.setRange(0, self._names - 1)
        if self.i_spin.value() == self.j_spin.value():
            self.j_spin.setValue(1 if self.i_spin.value() == 0 else 0)
        choose_default_plane(self)      # a two-weight network: its exact surface, the book's fig. 2.12
        self._show_names()

    def add_snapshot(self, snap) -> None:
        """Record the weights of a heavy snapshot (light ones carry none); marks dirty."""
        extras = snap.extras or {}
        if "data" in extras and extras["data"] is not self._data_source:
            self.set_data(extras)
        if snap.weights and self._model is not None:
            flat = landscape.flatten(snap.weights).astype(np.float32)
            if flat.size == self._rec.w.shape[1]:
                self._rec.add(flat, snap.epoch)
                self._dirty = True

    def refresh(self) -> bool:
        """Redraw the path (projected on the current plane) if new weights came; returns whether it drew."""
        if not self._dirty:
            return False
        self._dirty = False
        self._draw_path()
        return True

    @property
    def n_recorded(self) -> int:
        return self._rec.n

    # ---- the worker's results (slots of this QObject: queued to the GUI thread) ------------
    @QtCore.Slot(int, float)
    def _on_progress(self, job, frac):
        if job == self._job:
            self.progress.setValue(int(1000 * frac))

    @QtCore.Slot(int, object)
    def _on_finished(self, job, grid):
        if job != self._job or self._worker is None:       # abandoned (cancelled, cleared) meanwhile
            return
        self._done()
        self.show_grid(grid, self._pending)
        self.computed.emit()

    @QtCore.Slot(int)
    def _on_cancelled(self, job):
        if job != self._job or self._worker is None:
            return
        self._done()
        self.progress.setValue(0)
        self._say("Cancelled.")
        self.cancelled.emit()

    @QtCore.Slot(int, str)
    def _on_failed(self, job, text):
        if job != self._job or self._worker is None:
            return
        self._done()
        self._say(f"Could not compute the surface: {text}")
        self.failed.emit(text)

    # ---- drawing -------------------------------------------------------------------------------
    def show_grid(self, grid, plane) -> None:
        """Show a computed :class:`core.analysis.loss.landscape.Grid` of ``plane`` and the path projected on it."""
        self.grid, self.plane = grid, plane
        self._plane_token += 1
        self.readout.setText(" ")
        self._show_grid()
        self._draw_path()

    def _show_grid(self) -> None:
        g, p = self.grid, self.plane
        if g is None:
            return
        ox, oy = self._offset = ((p.centre[p.indices[0]], p.centre[p.indices[1]]) if p.kind == "weights"
                                 else (0.0, 0.0))
        a0, a1, b0, b1 = g.extent
        self.heat.show(g.losses, (a0 + ox, a1 + ox, b0 + oy, b1 + oy), log=self.log_check.isChecked(), clip=95.0)
        self.message.setVisible(False)
        label_axes(self.plot, p.labels)
        style.title(self.plot, surface_title(self, p, self._rec.current_epoch))
        self.plot.setRange(xRange=(a0 + ox, a1 + ox), yRange=(b0 + oy, b1 + oy), padding=0.02)
        self.view3d.update_surface()

    def _draw_path(self) -> None:
        p = self.plane
        if p is None:
            return
        xy, epochs = self.projected_path()
        xy = np.ascontiguousarray(xy + np.array(self._offset), dtype=np.float64)
        self.path.setData(xy[:, 0], xy[:, 1], connect="finite")
        marks = np.flatnonzero(np.diff(epochs) > 0) + 1
        self.epoch_marks.setData(pos=xy[marks])
        self.start_mark.setData(pos=xy[:1])
        self.current.setData(pos=xy[-1:])
        inside = landscape.covers(self.grid.extent, xy - np.array(self._offset))
        self.notice.setVisible(not inside and not self.busy)
        self.view3d.update_path()

    def projected_path(self):
        """The recorded path on the current plane, (k, 2) plane coordinates, and each point's epoch.

        Projections are cached: only weights recorded since the last call are projected
        (everything again after the plane changed or the record was thinned).
        """
        rec, p = self._rec, self.plane
        key = (self._plane_token, rec.generation)
        if self._proj_key != key or len(self._proj) > rec.n:
            self._proj_key, self._proj = key, np.zeros((0, 2))
        if len(self._proj) < rec.n:
            self._proj = np.vstack([self._proj, p.project_path(rec.w[len(self._proj):rec.n])])
        xy, epochs = self._proj, rec.epochs[:rec.n]
        if rec.current is not None and not rec.current_in:
            xy = np.vstack([xy, p.project_path(rec.current[None])])
            epochs = np.append(epochs, rec.current_epoch)
        return xy, epochs

    def showEvent(self, event):  # noqa: N802 - Qt override
        """Hidden views are not refreshed: catch up when shown."""
        super().showEvent(event)
        QtCore.QTimer.singleShot(0, self, self.refresh)

    def _say(self, text: str) -> None:
        self.readout.setText(text)

    def _sync_controls(self, *_):
        sync_controls(self)

    def _show_names(self, *_):
        show_names(self)

    def _on_mouse_moved(self, pos) -> None:
        if self.grid is None or not self.plot.sceneBoundingRect().contains(pos):
            return
        pt = self.plot.vb.mapSceneToView(pos)
        self.show_readout(pt.x(), pt.y())

    def show_readout(self, x: float, y: float) -> str:
        """Show (and return) the coordinates and loss at plot point ``(x, y)``."""
        ij = self.heat.value_at(x, y)
        if ij is None or self.grid is None:
            text = f"a = {x:.4g}, b = {y:.4g}"
        else:
            i, j = ij
            loss, acc = float(self.grid.losses[i, j]), float(self.grid.accuracy[i, j])
            ox, oy = self._offset
            names = self.plane.labels if self.plane.kind == "weights" else ("a", "b")
            text = (f"{names[0]} = {self.grid.a[j] + ox:.4g}, {names[1]} = {self.grid.b[i] + oy:.4g}"
                    f"   loss = {loss:.4g}   accuracy = {acc:.3f}")
        self.readout.setText(text)
        return text

    # ---- export --------------------------------------------------------------------------------
    def export_png(self, path: str) -> bool:
        """Save the surface plot as a PNG image."""
        return export_png(self.graphics, path)

    def export_svg(self, path: str) -> bool:
        """Save the plots as an SVG drawing."""
        return export_svg(self.graphics, path)

    def export_csv(self, path: str) -> None:
        """Write the grid as rows ``a, b, loss, accuracy`` (a along d1, b along d2)."""
        g = self.grid
        if g is None:
            raise ValueError("No surface computed yet.")
        bb, aa = np.meshgrid(g.b, g.a, indexing="ij")
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["a", "b", "loss", "accuracy"])
            for row in zip(aa.ravel(), bb.ravel(), g.losses.ravel(), g.accuracy.ravel()):
                w.writerow([repr(float(v)) for v in row])


# ---- docks for the main window -------------------------------------------------------------------
class _CloseWatcher(QtCore.QObject):
    """Joins the landscape view's thread when the main window closes."""

    def __init__(self, view):
        super().__init__(view)
        self._view = view

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QtCore.QEvent.Type.Close:
            self._view.shutdown()
        return False


def _surface(window):
    surface = LandscapeView()
    if window is not None:
        window.installEventFilter(_CloseWatcher(surface))
    return surface


def dock_factories(window) -> list[tuple[str, str, object]]:
    """``(title, objectName, factory)`` for the loss-surface, optimizer-race and 1D-slice docks.

    The surface view's worker thread is joined when ``window`` closes.
    """
    return [("Loss surface", "lossSurfaceDock", functools.partial(_surface, window)),
            ("Optimizer race", "optimizerRaceDock", RaceView),
            ("1D slice", "slice1dDock", SliceView)]


def make_docks(window) -> list[tuple[str, str, QtWidgets.QWidget]]:
    """``(title, objectName, widget)`` for the loss-surface, optimizer-race and 1D-slice docks.

    The window adds them as docks and registers those with ``add_snapshot`` with its
    session. The surface view's worker thread is joined when ``window`` closes.
    """
    return [(title, name, make()) for title, name, make in dock_factories(window)]
