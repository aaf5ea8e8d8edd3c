"""The uncrumpling in 3D (issue 4): the data and the input grid at any stage, rotatable with the mouse.

3-D inputs (paper ball, swiss roll, nested spheres) and 3-unit stages are drawn as
they are, wider stages on their first three principal components (fixed for the
run, see :class:`core.analysis.uncrumple.projection.ProjectionCache`), narrower ones flat (z = 0). The
points are one ``GLScatterPlotItem`` coloured by class, a light mesh joins each point to its
nearest neighbours of the same class (:func:`core.analysis.uncrumple.geometry.sheet_mesh`: the
paper ball's two sheets read as two sheets, and every stage shows how a layer flattens them),
and the grid is one ``GLLinePlotItem`` of segments tinted by the network's prediction (hidden by
default for 3-D data, whose lattice would hide the sheets: the *Grid* box), in a light box
with labelled axes. ``set_position(s)`` shows slider value ``s`` of the stage
player (:func:`core.analysis.uncrumple.geometry.path_frame`: exact at each stage, blended between).

Without OpenGL (:func:`viz.views.common.gl3d.opengl_available`) the same view draws the
2D projection of the 2D views with the notice :data:`viz.views.common.gl3d.FALLBACK_NOTICE`.
The layers view and the stage player show it in place of their plot with a
:class:`viz.views.common.gl3d.Switch3D` (their "3D" button).

A heavy network's trace (:attr:`viz.views.uncrumple.tracer.Tracer.heavy`, an MNIST one or a wide
one: up to seconds) runs in a worker thread (``jobs``), as the stage player's does; a light one's in
the turn that asks for it.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.uncrumple.geometry import path_frame, path_position, sheet_mesh
from viz import style
from viz.views.common import gl3d
from viz.views.common.notice import notice_label
from viz.views.common.view import View
from viz.views.common.visibility import unseen
from viz.views.uncrumple.stage_panel import StagePanel, bounds, stage_title
from viz.views.uncrumple.target_colors import target_limit, target_rgba
from viz.views.uncrumple.trace_jobs import TraceJobs
from viz.views.uncrumple.tracer import Tracer

#: the camera follows the data only when the box moves by more than this fraction of its size
CAMERA_SLACK = 0.15
POINT_SIZE = 7
#: neighbours each point is joined to in a class's mesh
MESH_NEIGHBOURS = 4
START_ELEVATION, START_AZIMUTH = 22, -60


class Stages3DView(View):
    """One stage (or a blend of two) of the run in a rotatable 3D view.

    Public: ``tracer`` (a :class:`viz.views.uncrumple.tracer.Tracer` with 3 dims, or 2 without GL),
    ``gl`` (whether OpenGL is used), ``notice``, ``title``, ``stage_combo``,
    ``reset_button``, ``scatter`` / ``grid_lines`` (GL items, or None), ``panel`` (the 2D
    fallback's StagePanel, or None), ``set_position(s)``, ``position()``, ``points()``
    ((n, 3) positions drawn, class by class in ``tracer.y`` order), ``segments()``.

    The run's network and input grid are made on the first refresh on screen (``deferred``), its
    first trace (a PCA per stage) on the event-loop turn after (at once for a view not shown).
    """

    deferred = True
    #: heavy snapshots are traced and drawn at most this often (seconds)
    min_interval = 0.2

    def __init__(self, parent=None, use_gl: bool | None = None, show_stage_combo: bool = True):
        super().__init__(parent)
        self.gl = gl3d.opengl_available() if use_gl is None else bool(use_gl)
        self.tracer = Tracer(dims=3 if self.gl else 2)
        self.traced = None
        self._s = 0.0
        self._box = None
        self._points = np.zeros((0, 3), np.float32)
        self._segments = np.zeros((0, 3), np.float32)
        # a new run's first trace, on the turn after its network and grid were made
        self._first_trace = QtCore.QTimer(self, singleShot=True, interval=0)
        self._first_trace.timeout.connect(self.retrace)
        self.jobs = TraceJobs(self, self.tracer, "uncrumple-3d-trace")   # one at a time, here or in a worker
        self.jobs.finished.connect(self._on_traced)
        self.notice = notice_label("" if self.gl else gl3d.fallback_text())
        self.notice.setToolTip("Install PyOpenGL and run on a display with OpenGL (e.g. Mesa) to rotate the "
                               f"stages in 3D; {gl3d.ENV_DISABLE}=1 forces this 2D view.")
        self.title = QtWidgets.QLabel("No run yet.")
        self.title.setStyleSheet(style.palette().readout_css)
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.stage_combo = QtWidgets.QComboBox()
        self.stage_combo.setToolTip("The stage shown in 3D: the input, then dot(x, W), + b and the activation "
                                    "of every layer.")
        self.stage_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.stage_combo.activated.connect(lambda i: self.set_position(float(i)))
        self.stage_combo.setVisible(show_stage_combo)
        self.reset_button = gl3d.reset_button(self.reset_view)
        self.reset_button.setEnabled(self.gl)
        self.grid_box = QtWidgets.QCheckBox("Grid")
        self.grid_box.setToolTip("Show the grid of the input space, bent as each stage bends it (off for 3-D data: "
                                 "its lattice would hide the sheets).")
        self.grid_box.toggled.connect(lambda _on: self.set_position(self._s))
        self.grid_box.setEnabled(self.gl)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.stage_combo)
        top.addWidget(self.grid_box)
        top.addWidget(self.reset_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.notice)
        lay.addLayout(top)
        self.scatter = self.grid_lines = self.mesh_lines = self.panel = self.glview = None
        self._mesh = np.zeros((0, 2), np.intp)
        if self.gl:
            self._build_gl()
            lay.addWidget(self.glview, 1)
        else:
            self.graphics = pg.GraphicsLayoutWidget()
            self.graphics.setMinimumSize(240, 200)
            self.panel = StagePanel(self.graphics.addPlot(row=0, col=0))
            lay.addWidget(self.graphics, 1)

    def _build_gl(self) -> None:
        glmod = gl3d.gl()
        self.glview = gl3d.make_view()
        self.axes = gl3d.Axes3D(self.glview)
        self.grid_lines = glmod.GLLinePlotItem(mode="lines", width=1, glOptions="translucent")
        self.mesh_lines = glmod.GLLinePlotItem(mode="lines", width=1, glOptions="translucent")
        self.scatter = glmod.GLScatterPlotItem(size=POINT_SIZE, pxMode=True, glOptions="translucent")
        self.glview.addItem(self.grid_lines)
        self.glview.addItem(self.mesh_lines)
        self.glview.addItem(self.scatter)
        self.glview.setCameraPosition(elevation=START_ELEVATION, azimuth=START_AZIMUTH)

    # ---- lifecycle -----------------------------------------------------------------------------------
    def clear(self) -> None:
        self.jobs.forget()
        self.tracer.clear()
        self._mesh = np.zeros((0, 2), np.intp)
        if self.mesh_lines is not None:
            self.mesh_lines.setData(pos=np.zeros((0, 3), np.float32))
            self.mesh_lines.setVisible(False)
        self.traced = None
        self._first_trace.stop()
        self._box = None
        self.stage_combo.clear()
        self.title.setText("No run yet.")
        self._set_items(np.zeros((0, 3), np.float32), np.zeros((0, 4), np.float32),
                        np.zeros((0, 3), np.float32), np.zeros((0, 4), np.float32))
        if self.panel is not None:
            self.panel.clear()
        super().clear()

    def build(self, run) -> None:
        """Take the run's network (with the newest weights that came since) and its input grid (a PCA
        plane for images); the first trace, more PCAs, on the next turn while the view is shown."""
        if not self.tracer.set_run(run):
            self.title.setText(self.tracer.message)
            return
        self._s = self._first_3d_stage()
        if not self.tracer.heavy:
            self.tracer.grid   # noqa: B018  (made now: its own turn; a heavy run's in the worker)
        self.grid_box.setChecked(self.gl and self.tracer.x.shape[1] != 3)
        if self.gl:
            tr = self.tracer
            sheets = np.zeros(len(tr.y), np.int64) if tr.regression else tr.y   # a regression run: one sheet
            self._mesh = sheet_mesh(tr.x, sheets, MESH_NEIGHBOURS)
            self._mesh_colors = np.repeat(self._colors(tr.y[self._mesh[:, 0]], alpha=0.3, tint=0.2), 2, axis=0)
        self.title.setText("Preparing the run's stages…")
        if self.isVisible():
            self._first_trace.start()
        else:
            self.retrace()

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights; no drawing."""
        self.tracer.add_snapshot(snap)

    def draw(self) -> bool:
        """Re-trace with the newest weights and redraw; whether it did.

        Nothing while the view cannot be seen (:func:`viz.views.common.visibility.unseen`): a 3D view
        behind the 2D panels or in a closed dock.
        """
        if unseen(self) or self._first_trace.isActive() or not self.jobs.due:
            return False
        return self.retrace()

    def finish(self) -> None:
        """Do now what waits for the next turns (before an image is taken, say): build and trace the run."""
        super().finish()
        if self.jobs.busy:
            result, _error = self.jobs.wait()
            if result is not None:
                self._use(self.tracer.accept(result))
        if self.jobs.due:
            self._first_trace.stop()
            self._use(self.jobs.trace_now())

    def retrace(self) -> bool:
        """Trace the newest weights and draw the current position: now, or for a heavy network in the
        worker (False: drawn when it is done)."""
        self._first_trace.stop()
        if self.tracer.heavy:
            self.jobs.start_trace()             # the one under way, if any, asks for the next when done
            return False
        return self._use(self.jobs.trace_now())

    def closeEvent(self, event):  # noqa: N802 - Qt override
        """Stop and join a trace under way (in a window, the runner also stops when the window closes)."""
        self.jobs.shutdown()
        super().closeEvent(event)

    def _on_traced(self, result) -> None:
        """The worker's trace is done: show it, and trace the weights that came meanwhile."""
        if result is None:
            return
        self._use(self.tracer.accept(result))
        if self.jobs.due and not unseen(self):
            self.retrace()

    def _use(self, traced) -> bool:
        """Show ``traced`` at the current position; whether there was one."""
        if traced is None:
            self.title.setText(self.tracer.message or "Nothing to show.")
            return False
        self.traced = traced
        names = [st.name for st in traced.stages]
        if [self.stage_combo.itemText(i) for i in range(self.stage_combo.count())] != names:
            self.stage_combo.clear()
            self.stage_combo.addItems(names)
        self._line_colors = self._grid_colors(traced.predicted)
        self._point_colors = self._colors(self.tracer.y, alpha=0.9)
        self._stage_boxes = [gl3d.robust_box(_three(c), _three(g)) for c, g in zip(traced.coords, traced.grid_coords)]
        self.set_position(self._s)
        return True

    # ---- position ----------------------------------------------------------------------------------
    def position(self) -> float:
        return self._s

    def last_position(self) -> float:
        return float(len(self.traced.coords) - 1) if self.traced else 0.0

    def set_position(self, s: float) -> None:
        """Show slider value ``s`` in [0, n_stages - 1]: stage ``s`` when whole, else a blend."""
        self._s = min(max(float(s), 0.0), self.last_position())
        tr = self.traced
        if tr is None:
            return
        i, t = path_position(len(tr.coords), self._s)
        j = min(i + 1, len(tr.coords) - 1)
        near = j if t >= 0.5 else i
        pts = np.ascontiguousarray(_three(path_frame(tr.coords, self._s, dims=3)))
        gpts = _three(path_frame(tr.grid_coords, self._s, dims=3))
        if self.stage_combo.currentIndex() != near:
            self.stage_combo.setCurrentIndex(near)
        head = stage_title(tr.stages[near], tr.projections[near]).replace("<br>", " &nbsp; ")
        self.title.setText(f"{head} <span style='color:{style.palette().muted}'>· epoch {self.tracer.epoch}</span>")
        if self.gl:
            seg, seg_col = self._grid_segments(gpts)
            ok = np.isfinite(pts).all(axis=1)
            self._set_items(pts[ok], self._point_colors[ok], seg, seg_col)
            self._set_mesh(pts)
            self._points = pts
            (lo_i, hi_i), (lo_j, hi_j) = self._stage_boxes[i], self._stage_boxes[j]
            self._follow((1 - t) * lo_i + t * lo_j, (1 - t) * hi_i + t * hi_j, tr.projections[near].labels)
        else:
            self._points = pts
            grid = self.tracer.grid
            self.panel.show(np.ascontiguousarray(pts[:, :2]), self.tracer.y, np.ascontiguousarray(gpts[:, :2]),
                            tr.predicted, grid.lines.ravel(), grid.connect())
            a, b = np.array(bounds(pts[:, :2], pad=0.2)), np.array(bounds(tr.coords[j][:, :2], pad=0.2))
            self.panel.set_range((1 - t) * a + t * b if i != j else a, slack=0.1)

    def points(self) -> np.ndarray:
        """The data points at the current position, (n, 3) float32 (z = 0 in the 2D fallback)."""
        return self._points

    def segments(self) -> np.ndarray:
        """The grid's finite segments as drawn, (2k, 3) float32 (pairs of ends)."""
        return self._segments

    def reset_view(self) -> None:
        """The starting angle, zoomed to fit the current stage."""
        if self.glview is None:
            return
        self._box = None
        if self.traced is not None:
            lo, hi = gl3d.robust_box(self._points)
            self._follow(lo, hi, None, elevation=START_ELEVATION, azimuth=START_AZIMUTH)
        else:
            self.glview.setCameraPosition(elevation=START_ELEVATION, azimuth=START_AZIMUTH)

    def grab_image(self):
        """The 3D picture as a QImage (the fallback's plot without GL)."""
        return gl3d.grab(self.glview) if self.glview is not None else self.graphics.grab().toImage()

    # ---- drawing helpers -----------------------------------------------------------------------------
    def _first_3d_stage(self) -> float:
        """The input if it is 3-D, else the first 3-unit stage, else the input."""
        model, x = self.tracer.model, self.tracer.x
        if x.shape[1] == 3:
            return 0.0
        for k, layer in enumerate(model.dense_layers):
            if layer.units == 3:
                return float(1 + 3 * k + 2)
        return 0.0

    def _colors(self, y, alpha: float, tint: float = 0.0) -> np.ndarray:
        """(n, 4) colours of points with labels ``y``: by class, or for a regression run by target value."""
        if self.tracer.regression:
            return target_rgba(y, target_limit(self.tracer.y), alpha)
        return gl3d.class_rgba(y, self.tracer.n_classes, alpha=alpha, tint=tint)

    def _grid_colors(self, predicted) -> np.ndarray:
        start = self.tracer.grid.lines[:, :-1].ravel()
        return np.repeat(gl3d.class_rgba(predicted[start], self.tracer.n_classes, alpha=0.45, tint=0.25), 2, axis=0)

    def _grid_segments(self, gpts):
        lines = self.tracer.grid.lines
        a, b = gpts[lines[:, :-1].ravel()], gpts[lines[:, 1:].ravel()]
        ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
        seg = np.empty((2 * int(ok.sum()), 3), np.float32)
        seg[0::2], seg[1::2] = a[ok], b[ok]
        col = self._line_colors.reshape(-1, 2, 4)[ok].reshape(-1, 4)
        return seg, col

    def _set_mesh(self, pts) -> None:
        """The classes' meshes (:data:`MESH_NEIGHBOURS` edges a point) through the points ``pts`` as drawn."""
        if self.mesh_lines is None:
            return
        ends = pts[self._mesh.ravel()] if len(self._mesh) else np.zeros((0, 3), np.float32)
        ok = np.isfinite(ends).reshape(-1, 6).all(axis=1)
        seg = np.ascontiguousarray(ends.reshape(-1, 2, 3)[ok].reshape(-1, 3), np.float32)
        col = np.ascontiguousarray(self._mesh_colors.reshape(-1, 2, 4)[ok].reshape(-1, 4), np.float32)
        self.mesh_lines.setData(pos=seg, color=col)
        self.mesh_lines.setVisible(len(seg) > 0)

    def mesh(self) -> np.ndarray:
        """The meshes' index pairs into the points, (m, 2) (empty without OpenGL)."""
        return self._mesh

    def _set_items(self, pts, colors, seg, seg_colors) -> None:
        if self.scatter is None:
            return
        self._segments = seg
        self.scatter.setData(pos=pts, color=np.ascontiguousarray(colors, np.float32))
        self.grid_lines.setData(pos=seg, color=np.ascontiguousarray(seg_colors, np.float32))
        self.grid_lines.setVisible(len(seg) > 0 and self.grid_box.isChecked())
        self.scatter.setVisible(len(pts) > 0)

    def _follow(self, lo, hi, labels, elevation=None, azimuth=None) -> None:
        """Keep the camera on box ``lo``..``hi`` (moves only beyond ``CAMERA_SLACK``); relabel the axes."""
        lo, hi = np.asarray(lo, np.float32), np.asarray(hi, np.float32)
        size = float(np.max(hi - lo))
        names = tuple(labels or ()) + ("", "", "")
        names = tuple(n or "" for n in names[:3])
        if self.axes.shown is None or self.axes.shown[2] != names:
            self.axes.set_box(lo, hi, names)
        if self._box is not None:
            old_lo, old_hi = self._box
            if max(np.abs(lo - old_lo).max(), np.abs(hi - old_hi).max()) <= CAMERA_SLACK * size and elevation is None:
                return
        self._box = (lo, hi)
        self.axes.set_box(lo, hi, names)
        gl3d.camera_fit(self.glview, lo, hi, elevation=elevation, azimuth=azimuth)


def _three(c) -> np.ndarray:
    """(n, k) coordinates as (n, 3) float32 (zero-padded)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] == 3:
        return c
    out = np.zeros((len(c), 3), np.float32)
    out[:, :min(3, c.shape[1])] = c[:, :3]
    return out
