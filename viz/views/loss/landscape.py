"""The loss surface of the network being trained, with its descent path.

``core.analysis.loss`` does the maths: the planes (:func:`core.analysis.loss.planes.make_plane` of a
:class:`~core.analysis.loss.planes.PlaneChoice`: random, PCA of the path or two weights), the grid
(:func:`~core.analysis.loss.landscape.evaluate_grid`) and the projection of the recorded weights
(``Plane.project_path``), all three in one background job with progress and cancel
(:class:`viz.views.common.jobs.JobRunner`): the GUI thread only hands it the choice and the record's
read-only rows. The view records the weights of every heavy snapshot
(:class:`viz.views.loss.weight_record.WeightRecord`: at most ``MAX_RECORDS``, thinned evenly), draws
the heat map with contour lines, the path, a marker per epoch and the current point, and offers to
recompute when the path leaves the grid. Its "3D" button shows the same grid and path in a
:class:`viz.views.loss.surface3d.Surface3DView`.

The default plane is the PCA of the recorded path (the plane that shows where the weights went;
a random plane shows the whole path as one dot), and with *Auto* (on by default) the view
computes the surface by itself, off the GUI thread, while it is on screen: once the path has
:data:`AUTO_MIN_RECORDS` points, then whenever training is paused or stepped, the path has
left the grid, or the path has doubled in length since the last surface -- never sooner than
:data:`BUSY_FACTOR` times what the last surface took (the job uses at most a fifth of a core).
Until there is a path, a notice says what it waits for.

A network of exactly two weights gets the plane of both by default: its true loss surface (the
book's fig. 2.12).
"""
from __future__ import annotations

import csv
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.loss import landscape, planes
from core.run.config import targets_for
from viz import style
from viz.views.common.flow import control_row
from viz.views.common.gl3d import Switch3D
from viz.views.common.heatmap import HeatMap
from viz.views.common.jobs import JobRunner
from viz.views.common.notice import OverlayNotice
from viz.views.common.pictures import export_png, export_svg
from viz.views.common.view import View
from viz.views.loss.surface3d import PATH_COLOR, Surface3DView
from viz.views.loss.weight_record import WeightRecord

MAX_POINTS = 1000             # grid evaluation uses at most this many training points
#: a surface costs about (grid points x samples x weights) multiply-adds; the default grid and sample
#: are cut so one costs at most this much (a 61 x 61 grid of a small network, a 21 x 21 one for MNIST)
COST_BUDGET = 4e10
AUTO_MIN_RECORDS = 8          # recorded weight vectors before the first automatic surface
BUSY_FACTOR = 4               # after a surface that took t seconds, no automatic one before 4 t
PLANES = {"pca": "PCA of the path", "random": "Random directions (filter-normalised)",
          "weights": "Two chosen weights"}
TITLES = {"random": "random plane", "pca": "plane of the path",
          "weights": "two weights, the others frozen"}
EMPTY_TITLE = "Loss surface"
WAITING = ("Waiting for a path: the loss surface is drawn by itself once training has moved the weights "
           "(press Play or Step).")
WHOLE_NETWORK = "the whole network: this is the true loss surface"


def label_axes(plot, labels) -> None:
    """Name the bottom and left axes, their ticks in plain numbers.

    pyqtgraph 0.14's ``enableAutoSIPrefix(False)`` (in :func:`viz.style.label`) still picks a
    scale from the range shown at that moment and keeps it: labelled while showing ±0.5,
    an axis then reads 3.2 as 3200. No SI range at all, and the scale is 1.
    """
    for side, text in zip(("bottom", "left"), labels):
        style.label(plot, side, text)
        axis = plot.getAxis(side)
        axis.setSIPrefixEnableRanges(())
        axis.updateAutoSIPrefix()


class LandscapeView(View):
    """Heat map of the loss on a plane through weight space, with the descent path on it.

    Public items: ``plane_combo``, ``seed_spin``, ``i_spin``, ``j_spin``, ``res_spin``,
    ``span_spin``, ``log_check``, ``auto_check``, ``compute_button``, ``cancel_button``, ``progress``,
    ``plot``, ``heat``, ``path``, ``epoch_marks``, ``start_mark``, ``current``, ``legend``, ``readout``,
    ``waiting`` (what the view waits for before its first surface), ``notice`` (offers to
    recompute when *Auto* is off), ``grid`` (the newest Grid), ``plane``,
    ``switch3d`` (the "3D" button and its view), ``runner`` (the job computing a grid).
    Signals ``computed()``, ``cancelled()``, ``failed(str)`` after each computation.
    """

    computed = QtCore.Signal()
    cancelled = QtCore.Signal()
    failed = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model = None                              # the run's network: planes, weight names
        self._x = self._y = None                        # the grid's sample of training points, its targets
        self._names = 0                                 # how many weights the network has
        self._rec = WeightRecord()
        self._plane_before = None                       # the plane chosen before a two-weight network's
        self.grid = self.plane = None
        self._offset = (0.0, 0.0)
        self._proj_key, self._proj = None, np.zeros((0, 2))
        self._plane_token = 0                           # bumped per plane shown and per clear
        self._dirty = False
        self._settled = False                           # training paused or stepped since the last surface
        self._seen_at_try = -1                          # rec.seen when the last surface was started
        self._seen_at_grid = 0                          # ...and for the surface shown
        self._auto_after = 0.0                          # monotonic time before which no automatic surface
        self._started = 0.0
        self._outside = False                           # the path has left the grid shown
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.progress.connect(self._on_progress)
        self._build_widgets()

    # ---- the view's lifecycle --------------------------------------------------------------------
    def clear(self) -> None:
        """Stop any computation, forget the run, the recorded path and the surface: the title, axes,
        colour scale and readout are those of an empty view again."""
        self.shutdown()
        self._model = self._x = self._y = None
        self._rec.clear(self._rec.size)
        self.grid = self.plane = None
        self._plane_token += 1
        self.heat.clear()
        self.heat.colorbar.setLevels(values=(0.0, 1.0))
        self.heat.colorbar.getAxis("left").setLabel("loss", **style.palette().label_style)
        for item in (self.path, self.epoch_marks, self.current, self.start_mark):
            item.setData([], [])
        self.switch3d.clear()
        style.title(self.plot, EMPTY_TITLE)
        label_axes(self.plot, ("", ""))
        self.plot.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0.02)
        self._offset = (0.0, 0.0)
        self.readout.setText(" ")
        self.notice.setVisible(False)
        self.waiting.setText(WAITING)
        self.waiting.setVisible(True)
        self._dirty = self._settled = self._outside = False
        self._seen_at_try, self._seen_at_grid, self._auto_after = -1, 0, 0.0
        super().clear()

    def build(self, run) -> None:
        """The run's network (planes, weight names), the sample of training points the grid is evaluated
        on and the grid's resolution, both cut so a surface costs at most :data:`COST_BUDGET`."""
        self._model = run.model()
        self._names = self._model.count_params()     # weights are named one at a time (407,000 for MNIST)
        x, labels = np.asarray(run.x_train, np.float32), run.targets_train
        n = int(min(len(x), MAX_POINTS, max(200, COST_BUDGET / (61 ** 2 * max(self._names, 1)))))
        if len(x) > n:
            pick = np.sort(np.random.default_rng(0).choice(len(x), n, replace=False))
            x, labels = x[pick], labels[pick]
        self._x, self._y = x, targets_for(run.config, labels, run.n_classes)
        side = int(np.sqrt(COST_BUDGET / (len(x) * max(self._names, 1))))
        self.res_spin.setValue(int(np.clip(side, 15, 61)))
        self._rec.clear(self._names)
        for spin in (self.i_spin, self.j_spin):
            spin.setRange(0, self._names - 1)
        if self.i_spin.value() == self.j_spin.value():
            self.j_spin.setValue(1 if self.i_spin.value() == 0 else 0)
        self._choose_default_plane()
        self._show_names()

    def add_snapshot(self, snap) -> None:
        """Record the weights of a heavy snapshot (light ones carry none); marks dirty. A snapshot
        with the trainer's checkpoint means training is paused or stepped: the weights rest."""
        if snap.weights and self._model is not None:
            flat = np.concatenate([np.ravel(w) for w in snap.weights]).astype(np.float32, copy=False)
            if flat.size == self._rec.size:
                self._rec.add(flat, snap.epoch)
                self._dirty = True
                self._settled = snap.checkpoint is not None

    def draw(self) -> bool:
        """Redraw the path (projected on the current plane) if new weights came, and start an
        automatic surface when one is due (:meth:`auto_due`); whether it drew."""
        drew = False
        if self._dirty:
            self._dirty = False
            if self.plane is not None:
                self._draw_path()
                drew = True
        if self.auto_due():
            self.compute()
            drew = True
        return drew

    def auto_due(self) -> bool:
        """Whether an automatic surface is due now: *Auto* is on, nothing is being computed, the path
        has at least :data:`AUTO_MIN_RECORDS` points and grew since the last try, the last surface's
        rest time is over, and there is no surface yet, training is paused or stepped, the path
        left the grid, or it has doubled since the surface shown."""
        rec = self._rec
        if (not self.auto_check.isChecked() or self.busy or self._model is None or rec.n < AUTO_MIN_RECORDS
                or rec.seen <= self._seen_at_try or time.monotonic() < self._auto_after):
            return False
        return self.grid is None or self._settled or self._outside or rec.seen >= 2 * self._seen_at_grid

    @property
    def n_recorded(self) -> int:
        """How many weight vectors the path holds."""
        return self._rec.n

    # ---- computing the surface -------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether a surface is being computed."""
        return self.runner.busy

    def make_plane(self):
        """The chosen plane through the current weights, made here on the calling thread (for scripts and
        tests: :meth:`compute` makes it in its background job). Raises ValueError when it cannot be made."""
        choice, rows = self._plane_inputs()
        return self._two_weight_labels(planes.make_plane(choice, self.run.model(), np.stack(rows)))

    def _plane_inputs(self):
        """What the background job makes the plane from: the chosen :class:`~core.analysis.loss.planes.PlaneChoice`
        and the recorded weights (a tuple of the record's read-only rows, the newest set last).

        Nothing heavy here: making any plane of an MNIST network on the GUI thread held it for up to
        2.7 s (a PCA plane's SVD, a random plane's directions, every weight's name for a weight plane,
        stacking the record: the monkey, issue 17). Raises ValueError when there is nothing to make a
        plane from."""
        rec = self._rec
        if self._model is None or rec.current is None:
            raise ValueError("No weights recorded yet: start training first.")
        rows = tuple(rec.rows) + (() if rec.current_in else (rec.current,))
        choice = planes.PlaneChoice(kind=self.plane_combo.currentData(), seed=self.seed_spin.value(),
                                    i=self.i_spin.value(), j=self.j_spin.value())
        return choice, rows

    def compute(self) -> bool:
        """Start evaluating the surface in a background job; returns False (with a message) if it cannot.

        The job makes the plane (from a network of its own and the recorded weights), projects the
        recorded path on it and evaluates the grid: the GUI thread only hands over immutable inputs."""
        self.shutdown()
        self._seen_at_try, self._settled = self._rec.seen, False
        try:
            choice, rows = self._plane_inputs()
        except ValueError as exc:
            self._say(str(exc))
            if self.grid is None and self._model is not None:
                self.waiting.setText(f"{WAITING}\n{exc}" if self._rec.n else WAITING)
            return False
        kind, s = choice.kind, self.span_spin.value()
        run, x, y, resolution = self.run, self._x, self._y, self.res_spin.value()
        recorded, generation = self._rec.n, self._rec.generation

        def job(cancel, progress):
            model = run.model()                 # a network of the job's own: the GUI thread's is not touched
            hist = np.stack(rows)
            plane = planes.make_plane(choice, model, hist)
            path = plane.project_path(hist)
            if plane.kind == "pca":
                extent = landscape.extent_for(path, margin=0.25)
            else:
                e = landscape.extent_for(path, margin=0.1)
                extent = (min(e[0], -s), max(e[1], s), min(e[2], -s), max(e[3], s))
            grid = landscape.evaluate_grid(model, x, y, plane, resolution=resolution, span=extent,
                                           progress=progress, cancel=cancel)
            return plane, grid, (generation, path[:recorded])

        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.compute_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._say("Computing the surface…")
        if self.grid is None:
            self.waiting.setText(f"Computing the loss surface on the {TITLES[kind]}…")
        self._started = time.monotonic()
        self.runner.watch(self)
        self.runner.start(job, "uncrumple-landscape")
        return True

    def cancel(self) -> None:
        """Stop the computation (the old surface stays); its thread is joined (a chunk takes a few ms)."""
        if not self.busy:
            return
        self.runner.shutdown()
        self._done()
        self.progress.setValue(0)
        self._say("Cancelled.")
        self.cancelled.emit()

    def shutdown(self) -> None:
        """Cancel and join the computation, if any (on clear, close and quit)."""
        self.runner.shutdown()
        self._done()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def _done(self) -> None:
        self.compute_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _on_progress(self, fraction: float) -> None:
        self.progress.setValue(int(1000 * fraction))

    def _rest(self) -> None:
        """No automatic surface before ``BUSY_FACTOR`` times what this one took."""
        self._auto_after = time.monotonic() + BUSY_FACTOR * (time.monotonic() - self._started)

    def _on_finished(self, result) -> None:
        plane, grid, projected = result
        self._done()
        self._rest()
        self._seen_at_grid = self._seen_at_try
        self.show_grid(grid, self._two_weight_labels(plane), projected)
        self.computed.emit()
        self.redraw_wanted.emit()       # weights that came meanwhile: the clock draws them and may start the next

    def _on_failed(self, text: str) -> None:
        self._done()
        self._rest()
        self._say(f"Could not compute the surface: {text}")
        if self.grid is None and self._model is not None:
            self.waiting.setText(f"{WAITING}\n{text}")
        self.failed.emit(text)

    # ---- drawing ---------------------------------------------------------------------------------
    def show_grid(self, grid, plane, projected=None) -> None:
        """Show a computed :class:`core.analysis.loss.landscape.Grid` of ``plane`` and the path projected on it.

        ``projected``, if given, is ``(generation, xy)``: the first ``len(xy)`` recorded rows of that
        generation of the record already projected on ``plane`` (by the job), so the GUI thread does not
        project the whole record again."""
        self.grid, self.plane = grid, plane
        self._plane_token += 1
        if projected is not None and projected[0] == self._rec.generation and len(projected[1]) <= self._rec.n:
            self._proj_key, self._proj = (self._plane_token, self._rec.generation), projected[1]
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
        self.waiting.setVisible(False)
        label_axes(self.plot, p.labels)
        style.title(self.plot, self._surface_title(p, self._rec.current_epoch))
        self.plot.setRange(xRange=(a0 + ox, a1 + ox), yRange=(b0 + oy, b1 + oy), padding=0.02)
        self._surface_3d()

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
        self._outside = not landscape.covers(self.grid.extent, xy - np.array(self._offset))
        self.notice.setVisible(self._outside and not self.busy and not self.auto_check.isChecked())
        self._path_3d()

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

    def _surface_3d(self) -> None:
        """The grid in the 3D view, once that view is made."""
        view, g = self.switch3d.view, self.grid
        if view is None or g is None:
            return
        ox, oy = self._offset
        view.show_surface(np.asarray(g.a) + ox, np.asarray(g.b) + oy, g.losses, log=self.log_check.isChecked(),
                          clip=95.0, labels=tuple(self.plane.labels))

    def _path_3d(self) -> None:
        """The path in the 3D view, once that view is made."""
        view = self.switch3d.view
        if view is None or self.plane is None or self.grid is None:
            return
        xy, epochs = self.projected_path()
        view.show_path(np.asarray(xy) + np.array(self._offset), epochs)

    def _say(self, text: str) -> None:
        self.readout.setText(text)

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

    # ---- the plane: its controls, names and title ------------------------------------------------
    def _sync_controls(self, *_) -> None:
        """Show the controls of the chosen plane only."""
        kind = self.plane_combo.currentData()
        self.seed_spin.setVisible(kind == "random")
        for w in (self.i_spin, self.j_spin, self.i_name, self.j_name):
            w.setVisible(kind == "weights")
        self.span_spin.setEnabled(kind != "pca")

    def _on_plane_chosen(self, *_) -> None:
        """Another plane: with *Auto*, its surface at once (once there is a path)."""
        if self.auto_check.isChecked() and self._rec.n >= AUTO_MIN_RECORDS and self.run is not None:
            self.compute()

    def _show_names(self, *_) -> None:
        """The chosen weights' names beside their spin boxes (``w1: dense W[0,0]`` for a two-weight network)."""
        for spin, lab in ((self.i_spin, self.i_name), (self.j_spin, self.j_name)):
            i = spin.value()
            name = planes.parameter_name(self._model, i) if self._model is not None and i < self._names else ""
            lab.setText(f"w{i + 1}: {name}" if name and self._is_whole_network() else name)

    def _is_whole_network(self, plane=None) -> bool:
        """The run's network has exactly two weights (and ``plane``, if given, is spanned by them)."""
        return self._names == 2 and (plane is None or plane.kind == "weights")

    def _choose_default_plane(self) -> None:
        """A network of exactly two weights gets the "Two chosen weights" plane of both: the true loss
        surface (the book's fig. 2.12); the next bigger network gets back the plane chosen before."""
        combo = self.plane_combo
        if self._is_whole_network():
            if self._plane_before is None:
                self._plane_before = combo.currentData()
            combo.setCurrentIndex(combo.findData("weights"))
            self.i_spin.setValue(0)
            self.j_spin.setValue(1)
        elif self._plane_before is not None:
            combo.setCurrentIndex(combo.findData(self._plane_before))
            self._plane_before = None

    def _two_weight_labels(self, plane):
        """``plane`` with axes named ``w1``, ``w2`` (in the chosen order) when it spans the whole network."""
        if self._is_whole_network(plane):
            plane.labels = tuple(f"w{k + 1}" for k in plane.indices)
        return plane

    def _surface_title(self, plane, epoch) -> str:
        if self._is_whole_network(plane):
            return f"{WHOLE_NETWORK[0].upper()}{WHOLE_NETWORK[1:]}, epoch {epoch}"
        return f"Loss surface: {TITLES[plane.kind]}, centred on epoch {epoch}"

    # ---- export ----------------------------------------------------------------------------------
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

    # ---- construction ----------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        """The controls, the plot items, the "3D" button and the layout."""
        self.plane_combo = QtWidgets.QComboBox()
        for key, text in PLANES.items():
            self.plane_combo.addItem(text, key)
        self.plane_combo.setToolTip("The plane through weight space: the two directions the recorded path moved "
                                    "along most (its principal components: the path shows best), two random "
                                    "filter-normalised directions (Li et al. 2018), or two chosen weights with "
                                    "all others frozen.")
        self.plane_combo.currentIndexChanged.connect(self._sync_controls)
        self.plane_combo.currentIndexChanged.connect(self._on_plane_chosen)
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
            name.setStyleSheet(style.palette().readout_css)
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
        self.auto_check = QtWidgets.QCheckBox("Auto")
        self.auto_check.setChecked(True)
        self.auto_check.setToolTip("Compute the surface by itself in the background: once there is a path, when "
                                   "training is paused or stepped, and now and then while it runs.")
        self.compute_button = QtWidgets.QPushButton("Compute")
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
        row = control_row(self, (self.plane_combo, self.seed_spin, self.i_spin, self.i_name,
                                 self.j_spin, self.j_name, self.res_spin, self.span_spin,
                                 self.log_check, self.auto_check, self.compute_button, self.cancel_button,
                                 self.progress),
                          "surface", "Export grid", "Save the grid (a, b, loss, accuracy) as CSV.",
                          lambda p: self.export_csv(p))

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(240)   # a dock never squeezes the plot flat
        self.notice = OverlayNotice(self.graphics, 'The path has left the plotted area. <a href="#">Recompute</a>')
        self.notice.setToolTip("The weights moved beyond the grid; recompute to see where they are now.")
        self.notice.linkActivated.connect(lambda _: self.compute())
        self.notice.setVisible(False)
        self.waiting = OverlayNotice(self.graphics, WAITING)
        self.waiting.setToolTip("The surface is the loss of the network at every point of a plane through its "
                                "weights; the plane is chosen from the path the weights took while training.")
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        self.plot.showGrid(x=False, y=False)
        style.title(self.plot, EMPTY_TITLE)
        self.heat = HeatMap(self.plot, label="loss")
        self.path = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOR, width=2), connect="finite")
        self.epoch_marks = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#ffffff", width=0.8),
                                              brush=pg.mkBrush(PATH_COLOR))
        self.current = pg.ScatterPlotItem(symbol="star", size=18, pen=pg.mkPen(style.palette().foreground, width=1),
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
                                       pen=pg.mkPen(style.palette().foreground)), "now")]
        self.legend = style.make_legend(entries, len(entries))
        self.graphics.addItem(self.legend, row=1, col=0)
        self.graphics.ci.layout.setRowMaximumHeight(1, 30)
        self.readout = QtWidgets.QLabel(" ")
        self.readout.setStyleSheet(style.palette().readout_css)
        self.readout.setToolTip("Plane coordinates and loss under the mouse.")
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addWidget(row)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.readout)
        self._sync_controls()
        # "3D": the surface and path in OpenGL, in place of the plot (the button ends the control row)
        self.switch3d = Switch3D(self, self.graphics, Surface3DView,
                                 "Show the loss surface in 3D with the descent path on it (drag to rotate).",
                                 on_shown=lambda _view: (self._surface_3d(), self._path_3d()))
        row.layout().addWidget(self.switch3d.button)
