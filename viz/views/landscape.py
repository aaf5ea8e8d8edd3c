"""The loss surface of the network being trained, with its descent path.

``core.landscape`` does the maths: the planes (:func:`core.landscape.random_plane`,
:func:`~core.landscape.pca_plane`, :func:`~core.landscape.weight_plane`), the grid
(:func:`~core.landscape.evaluate_grid`, run here in a ``QThread`` with progress and
cancel) and the projection of the recorded weights (``Plane.project_path``). The
view records the weights of every heavy snapshot (at most :data:`MAX_RECORDS`,
thinned evenly), draws the heat map with contour lines, the path, a marker per
epoch and the current point, and offers to recompute when the path leaves the grid.

:func:`make_docks` gives the main window this module's docks and the race's and
the 1D slice's.
"""
from __future__ import annotations

import csv
import threading

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core import landscape
from core.config import TrainingConfig, build_model, targets_for
from viz import style
from viz.views.race import IMAGE_FILTER, HeatMap, ask_path, export_image, export_png, export_svg

MAX_RECORDS = 2000            # recorded weight vectors kept (thinned evenly beyond)
MAX_RECORD_BYTES = 64 << 20   # ...and at most this much memory for them
MAX_POINTS = 1000             # grid evaluation uses at most this many training points
PLANES = {"random": "Random directions (filter-normalised)", "pca": "PCA of the trajectory",
          "weights": "Two chosen weights"}
TITLES = {"random": "random filter-normalised plane", "pca": "PCA plane of the trajectory",
          "weights": "two weights, the others frozen"}
PATH_COLOR = "#D55E00"


class GridWorker(QtCore.QObject):
    """Evaluates one grid off the GUI thread; no parent, moved to a QThread.

    Signals carry the job number first, so a result that was already queued when its
    job was abandoned is recognised and dropped: ``progress(int, float)``,
    ``finished(int, object)`` (the :class:`core.landscape.Grid`), ``failed(int, str)``,
    ``cancelled(int)``; exactly one of the last three is emitted.
    """

    progress = QtCore.Signal(int, float)
    finished = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self, job, model, x, y, plane, resolution, extent):
        super().__init__()
        self.job = job
        self._job = (model, x, y, plane, resolution, extent)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the computation to stop before its next chunk (thread-safe)."""
        self._cancel.set()

    @QtCore.Slot()
    def run(self) -> None:
        model, x, y, plane, resolution, extent = self._job
        try:
            grid = landscape.evaluate_grid(model, x, y, plane, resolution=resolution, span=extent,
                                           progress=lambda f: self.progress.emit(self.job, f),
                                           cancel=self._cancel.is_set)
        except landscape.Cancelled:
            self.cancelled.emit(self.job)
        except Exception as exc:          # noqa: BLE001 - reported to the GUI, never raised in the thread
            self.failed.emit(self.job, f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(self.job, grid)


class _Recorder:
    """Weight vectors of the heavy snapshots, at most ``cap``, thinned evenly (every 2^k-th kept)."""

    def __init__(self):
        self.clear()

    def clear(self, size=0):
        self.cap = max(16, min(MAX_RECORDS, MAX_RECORD_BYTES // max(4 * size, 1)))
        self.w = np.zeros((0, size), np.float32)
        self.epochs = np.zeros(0, np.int64)
        self.n, self.stride, self.seen = 0, 1, 0
        self.generation = 0                             # bumped when thinned: cached projections go stale
        self.current, self.current_epoch, self.current_in = None, 0, False

    def add(self, flat, epoch):
        self.current, self.current_epoch, self.current_in = flat, epoch, False
        self.seen += 1
        if (self.seen - 1) % self.stride:
            return
        self.current_in = True
        if self.n == len(self.w):
            if self.n >= self.cap:                      # full: keep every other one, record half as often
                keep = slice(0, self.n, 2)
                self.n = len(self.w[keep])
                self.w[:self.n], self.epochs[:self.n] = self.w[keep].copy(), self.epochs[keep].copy()
                self.stride *= 2
                self.generation += 1
            else:
                grow = min(self.cap, max(64, 2 * self.n))
                self.w = np.resize(self.w, (grow, self.w.shape[1]))
                self.epochs = np.resize(self.epochs, grow)
        self.w[self.n], self.epochs[self.n] = flat, epoch
        self.n += 1

    def history(self):
        """Recorded vectors (k, P) plus the current one last, and their epochs."""
        w, e = self.w[:self.n], self.epochs[:self.n]
        if self.current is not None and not self.current_in:
            w, e = np.vstack([w, self.current[None]]), np.append(e, self.current_epoch)
        return w, e


class LandscapeView(QtWidgets.QWidget):
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
        self._names = []
        self._rec = _Recorder()
        self._data_source = None
        self._thread = self._worker = None
        self._job = 0                                   # numbers the computations
        self.grid = self.plane = None
        self._offset = (0.0, 0.0)
        self._proj_key, self._proj = None, np.zeros((0, 2))
        self._plane_token = 0                           # bumped per plane shown and per clear
        self._dirty = False
        self._build()
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- construction --------------------------------------------------------------------------
    def _build(self):
        self.plane_combo = QtWidgets.QComboBox()
        for key, text in PLANES.items():
            self.plane_combo.addItem(text, key)
        self.plane_combo.setToolTip("The plane through weight space: two random filter-normalised directions "
                                    "(Li et al. 2018), the top two principal components of the recorded path, "
                                    "or two chosen weights with all others frozen.")
        self.plane_combo.currentIndexChanged.connect(self._sync_controls)
        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setRange(0, 9999)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("Seed of the random directions: the same seed gives the same plane.")
        self.i_spin, self.j_spin = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        self.i_name, self.j_name = QtWidgets.QLabel(), QtWidgets.QLabel()
        for k, (spin, name) in enumerate(((self.i_spin, self.i_name), (self.j_spin, self.j_name))):
            spin.setRange(0, 0)
            spin.setValue(k)
            spin.setPrefix("weight " if k == 0 else "and ")
            axis = "horizontal" if k == 0 else "vertical"
            spin.setToolTip(f"Flat index (get_weights order) of the weight on the {axis} axis; its name is shown "
                            "beside it.")
            spin.valueChanged.connect(self._show_names)
            name.setStyleSheet(style.READOUT_CSS)
        self.res_spin = QtWidgets.QSpinBox()
        self.res_spin.setRange(5, 301)
        self.res_spin.setValue(61)
        self.res_spin.setPrefix("grid ")
        self.res_spin.setToolTip("Grid points per side; the cost grows with its square.")
        self.span_spin = QtWidgets.QDoubleSpinBox()
        self.span_spin.setRange(0.01, 100.0)
        self.span_spin.setValue(1.0)
        self.span_spin.setPrefix("span ±")
        self.span_spin.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.span_spin.setToolTip("Half width of the grid around the current weights (widened to hold the path).")
        self.log_check = QtWidgets.QCheckBox("Log colours")
        self.log_check.setToolTip("Colour by log10 of the loss, so the valley floor shows detail.")
        self.log_check.toggled.connect(lambda _: self._show_grid())
        self.compute_button = QtWidgets.QPushButton("Compute surface")
        self.compute_button.setToolTip("Evaluate the loss on the grid of the chosen plane, centred on the current "
                                       "weights (in the background).")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the computation.")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)
        self.progress.setToolTip("Progress of the grid evaluation.")
        self.progress.setVisible(False)
        png = QtWidgets.QPushButton("Image…")
        png.setToolTip("Save a picture of the surface as PNG or SVG.")
        png.clicked.connect(lambda: export_image(self.graphics, ask_path(self, "Export image", IMAGE_FILTER,
                                                                       "surface.png")))
        csv_b = QtWidgets.QPushButton("CSV…")
        csv_b.setToolTip("Save the grid (a, b, loss, accuracy) as CSV.")
        csv_b.clicked.connect(lambda: (p := ask_path(self, "Export grid", "CSV (*.csv)", "surface.csv"))
                              and self.export_csv(p))
        row1, row2 = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()
        for w in (self.plane_combo, self.seed_spin, self.i_spin, self.i_name, self.j_spin, self.j_name):
            row1.addWidget(w)
        row1.addStretch(1)
        for w in (self.res_spin, self.span_spin, self.log_check, self.compute_button, self.cancel_button,
                  self.progress):
            row2.addWidget(w)
        row2.addStretch(1)
        row2.addWidget(png)
        row2.addWidget(csv_b)

        self.notice = QtWidgets.QLabel('The path has left the plotted area. <a href="#">Recompute</a>')
        self.notice.setStyleSheet(style.NOTICE_CSS)
        self.notice.setToolTip("The weights moved beyond the grid; recompute to see where they are now.")
        self.notice.linkActivated.connect(lambda _: self.compute())
        self.notice.setVisible(False)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(240)   # a dock never squeezes the plot flat
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        self.plot.showGrid(x=False, y=False)
        style.title(self.plot, "Loss surface")
        self.heat = HeatMap(self.plot, label="loss")
        self.message = pg.TextItem("Train a little, then press “Compute surface”.", color=style.MUTED,
                                   anchor=(0.5, 0.5))
        self.plot.addItem(self.message, ignoreBounds=True)
        self.path = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOR, width=2), connect="finite")
        self.epoch_marks = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#ffffff", width=0.8),
                                              brush=pg.mkBrush(PATH_COLOR))
        self.current = pg.ScatterPlotItem(symbol="star", size=18, pen=pg.mkPen(style.FOREGROUND, width=1),
                                          brush=pg.mkBrush("#ffdd33"))
        self.start_mark = pg.ScatterPlotItem(symbol="s", size=9, pen=pg.mkPen(PATH_COLOR, width=1.5),
                                             brush=pg.mkBrush("#ffffff"))
        for z, item in enumerate((self.path, self.epoch_marks, self.start_mark, self.current)):
            item.setZValue(10 + z)
            self.plot.addItem(item)
        entries = [(pg.PlotDataItem(pen=pg.mkPen(PATH_COLOR, width=2)), "descent path"),
                   (pg.ScatterPlotItem(size=7, brush=pg.mkBrush(PATH_COLOR), pen=pg.mkPen("#ffffff")), "epoch"),
                   (pg.ScatterPlotItem(symbol="s", size=8, brush=pg.mkBrush("#ffffff"),
                                       pen=pg.mkPen(PATH_COLOR, width=1.5)), "start"),
                   (pg.ScatterPlotItem(symbol="star", size=12, brush=pg.mkBrush("#ffdd33"),
                                       pen=pg.mkPen(style.FOREGROUND)), "now")]
        self.legend = style.make_legend(entries, len(entries))
        self.graphics.addItem(self.legend, row=1, col=0)
        self.graphics.ci.layout.setRowMaximumHeight(1, 30)
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setStyleSheet(style.READOUT_CSS)
        self.readout.setToolTip("Plane coordinates and loss under the mouse.")
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.notice)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.readout)
        self._sync_controls()

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
        self._names = landscape.parameter_names(self._model)
        self._rec.clear(len(self._names))
        for spin in (self.i_spin, self.j_spin):
            spin.setRange(0, len(self._names) - 1)
        if self.i_spin.value() == self.j_spin.value():
            self.j_spin.setValue(1 if self.i_spin.value() == 0 else 0)
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

    # ---- computing -----------------------------------------------------------------------------
    @property
    def n_recorded(self) -> int:
        return self._rec.n

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
            return landscape.weight_plane(self._model, self.i_spin.value(), self.j_spin.value())
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

    def show_grid(self, grid, plane) -> None:
        """Show a computed :class:`core.landscape.Grid` of ``plane`` and the path projected on it."""
        self.grid, self.plane = grid, plane
        self._plane_token += 1
        self.readout.setText(" ")
        self._show_grid()
        self._draw_path()

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
    def _show_grid(self) -> None:
        g, p = self.grid, self.plane
        if g is None:
            return
        ox, oy = self._offset = ((p.centre[p.indices[0]], p.centre[p.indices[1]]) if p.kind == "weights"
                                 else (0.0, 0.0))
        a0, a1, b0, b1 = g.extent
        self.heat.show(g.losses, (a0 + ox, a1 + ox, b0 + oy, b1 + oy), log=self.log_check.isChecked(), clip=95.0)
        self.message.setVisible(False)
        style.label(self.plot, "bottom", p.labels[0])
        style.label(self.plot, "left", p.labels[1])
        style.title(self.plot, f"Loss surface: {TITLES[p.kind]}, centred on epoch {self._rec.current_epoch}")
        self.plot.setRange(xRange=(a0 + ox, a1 + ox), yRange=(b0 + oy, b1 + oy), padding=0.02)

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
        kind = self.plane_combo.currentData()
        self.seed_spin.setVisible(kind == "random")
        for w in (self.i_spin, self.j_spin, self.i_name, self.j_name):
            w.setVisible(kind == "weights")
        self.span_spin.setEnabled(kind != "pca")

    def _show_names(self, *_):
        for spin, lab in ((self.i_spin, self.i_name), (self.j_spin, self.j_name)):
            lab.setText(self._names[spin.value()] if spin.value() < len(self._names) else "")

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


def make_docks(window) -> list[tuple[str, str, QtWidgets.QWidget]]:
    """``(title, objectName, widget)`` for the loss-surface, optimizer-race and 1D-slice docks.

    The window adds them as docks and registers those with ``add_snapshot`` with its
    session. The surface view's worker thread is joined when ``window`` closes.
    """
    from viz.views.race import RaceView
    from viz.views.slice1d import SliceView
    surface = LandscapeView()
    if window is not None:
        window.installEventFilter(_CloseWatcher(surface))
    return [("Loss surface", "lossSurfaceDock", surface),
            ("Optimizer race", "optimizerRaceDock", RaceView()),
            ("1D slice", "slice1dDock", SliceView())]
