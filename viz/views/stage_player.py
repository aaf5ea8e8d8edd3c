"""The stage animation: a continuous slider over the stages, play/pause/loop/speed, GIF export.

The points and the input grid move smoothly from the input to the output:
slider value ``s`` in ``[0, n_stages - 1]`` shows :func:`core.geometry.path_frame`
of the per-stage projected coordinates (exact at every stage, a straight-line
blend in between), so the user watches a layer rotate, shift and fold the space.
The network follows training through a :class:`viz.views.layers.Tracer`.
:class:`StagePanel` (one stage's plot: data by class, the grid coloured by the
prediction) is shared with the layers view and the layer lab.
"""
from __future__ import annotations

import pathlib
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.geometry import path_frame, path_position
from viz import style
from viz.views.export import GIF_MISSING, gif_steps, grab_rgb, record_gif, run_steps  # noqa: F401
from viz.views.layers import MIN_INTERVAL, Tracer, behind_tab, bounds, stage_title

#: slider ticks per stage (the slider is "continuous" at this resolution)
TICKS = 100
FRAME_MS = 33


class StagePanel:
    """One stage's plot: the deformed grid coloured by the network's prediction, the data by class.

    The grid's segments take the predicted class of their first point (tinted class
    colours: the decision regions, bent as the stage bends space; grey where there is
    no prediction). 1-unit stages, whose grid collapses onto a line, show the grid
    points as faint dots instead (``regions``).

    Drawing is cheap when little changes: :meth:`show` skips the points or the grid
    when their arrays equal the last ones drawn, items with nothing to draw are
    hidden (not painted), and :meth:`set_range`, :meth:`set_title`,
    :meth:`set_aspect_locked`, :meth:`show_values` touch the plot only on a change
    (a new range regenerates both axes' tick pictures; a new title or tick style
    re-lays out the panel).
    """

    MAX_DOTS = 800

    def __init__(self, plot: pg.PlotItem, n_classes: int = 2):
        self.plot = plot
        style.apply_plot_style(plot)
        plot.showGrid(x=False, y=False)
        plot.setAspectLocked(True)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setStyle(tickLength=-4)
            plot.getAxis(axis).enableAutoSIPrefix(False)   # no axis label to carry a prefix; saves a relabel per range
        self.lines = [pg.PlotCurveItem(pen=pg.mkPen(style.tint(style.class_color(c), 0.3), width=1), antialias=False)
                      for c in range(n_classes)]
        self.lines.append(pg.PlotCurveItem(pen=pg.mkPen(style.with_alpha(style.MUTED, 140), width=1), antialias=False))
        self.regions = [pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(style.tint(style.class_color(c), 0.5)),
                                           pxMode=True) for c in range(n_classes)]
        self.points = []
        for c in range(n_classes):
            pen, brush = style.point_pen_brush(c, validation=False)
            self.points.append(pg.ScatterPlotItem(size=5, pen=pen, brush=brush, pxMode=True))
        for z, item in enumerate(self.regions + self.lines + self.points):
            item.setZValue(z)
            item.setVisible(False)
            plot.addItem(item)
        self._dots = False
        self.image = None
        self._n_classes = n_classes
        self._shown_grid = None     # (gxy, predicted, dots) last drawn
        self._shown_data = None     # (xy, labels) last drawn
        self._shown_regions = None  # (predicted, extent) last drawn
        self._range = None          # (x0, x1, y0, y1) last set
        self._aspect = True
        self._values = True
        # an aspect-locked view widens its range to a new shape and keeps the widened one: set ours again
        plot.getViewBox().sigResized.connect(self._resized)

    # ---- cheap, change-only setters ------------------------------------------------------------
    def set_range(self, rng, slack: float = 0.0) -> bool:
        """View ``(x0, x1, y0, y1)``, unless every edge is within ``slack`` × the shown span; whether it moved."""
        rng = tuple(float(v) for v in rng)
        if self._range is not None:
            old = np.asarray(self._range)
            span = np.repeat([old[1] - old[0], old[3] - old[2]], 2)
            if np.all(np.abs(np.asarray(rng) - old) <= slack * span):
                return False
        self._range = rng
        self.plot.setRange(xRange=rng[:2], yRange=rng[2:], padding=0)
        # pyqtgraph moves the items at the next paint, which then asks for a second paint; move them now
        self.plot.getViewBox().updateMatrix()
        return True

    def _resized(self, *_args) -> None:
        if self._range is not None:
            x0, x1, y0, y1 = self._range
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def forget_range(self) -> None:
        """The next :meth:`set_range` applies whatever the slack."""
        self._range = None

    def set_title(self, text: str) -> None:
        if text != self.plot.titleLabel.text:
            style.title(self.plot, text)

    def set_aspect_locked(self, locked: bool) -> None:
        if bool(locked) != self._aspect:
            self._aspect = bool(locked)
            self.plot.setAspectLocked(self._aspect)
            self._range = None          # the shown range changes with the lock: set it again

    def show_values(self, on: bool) -> None:
        """Tick values on the left axis or not."""
        if bool(on) != self._values:
            self._values = bool(on)
            self.plot.getAxis("left").setStyle(showValues=self._values)

    # ---- drawing ---------------------------------------------------------------------------------
    def show_regions(self, predicted: np.ndarray, extent) -> None:
        """The predicted class over the input plane as an image (2D inputs' first panel)."""
        if self.image is None:
            self.image = pg.ImageItem(axisOrder="row-major")
            self.image.setZValue(-10)
            self.image.setLookupTable(style.class_colormap(self._n_classes).getLookupTable(nPts=256))
            self.plot.addItem(self.image)
        extent = tuple(float(v) for v in extent)
        if self._shown_regions is not None and self._shown_regions[1] == extent \
                and np.array_equal(self._shown_regions[0], predicted):
            return
        self._shown_regions = (np.array(predicted, copy=True), extent)
        res = int(round(np.sqrt(len(predicted))))
        img = np.ascontiguousarray(predicted.reshape(res, res), dtype=np.float32)
        self.image.setImage(img, levels=(0.0, float(self._n_classes - 1)), autoLevels=False)
        x0, x1, y0, y1 = extent
        dx, dy = (x1 - x0) / max(res - 1, 1), (y1 - y0) / max(res - 1, 1)
        self.image.setRect(QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))

    def show(self, xy, labels, gxy, predicted, connect_idx, connect, dots=False) -> None:
        """Draw data ``xy`` (n, 2) by ``labels`` and the grid ``gxy`` (m, 2) by ``predicted``.

        ``connect_idx`` / ``connect``: the grid's polylines (``Grid.lines.ravel()`` and
        ``Grid.connect()``); ``dots``: draw the grid points as dots instead of lines.
        Arrays equal to the last ones drawn are not drawn again.
        """
        if not (self._shown_grid is not None and self._shown_grid[2] == dots
                and _same(self._shown_grid[0], gxy) and _same(self._shown_grid[1], predicted)):
            self._show_grid(gxy, predicted, connect_idx, connect, dots)
            self._shown_grid = (np.array(gxy, copy=True), np.array(predicted, copy=True), dots)
        if not (self._shown_data is not None and _same(self._shown_data[0], xy)
                and _same(self._shown_data[1], labels)):
            for c, item in enumerate(self.points):
                sel = xy[labels == c]
                _scatter(item, sel[np.isfinite(sel).all(axis=1)])
            self._shown_data = (np.array(xy, copy=True), np.array(labels, copy=True))

    def _show_grid(self, gxy, predicted, connect_idx, connect, dots) -> None:
        lx = gxy[connect_idx]
        ok = np.isfinite(lx).all(axis=1)
        lx = np.ascontiguousarray(np.where(ok[:, None], lx, 0.0), dtype=np.float32)
        seg = connect & ok & np.roll(ok, -1) & (not dots)
        cls = predicted[connect_idx]
        n = len(self.lines) - 1
        for c, item in enumerate(self.lines):
            mask = seg & ((cls == c) if c < n else ((cls < 0) | (cls >= n)))
            if mask.any():
                item.setData(lx[:, 0], lx[:, 1], connect=mask)
                item.setVisible(True)
            elif item.isVisible():
                item.setData([], [])
                item.setVisible(False)
        if dots or self._dots:
            step = max(1, len(gxy) // self.MAX_DOTS)
            for c, item in enumerate(self.regions):
                sel = gxy[::step][predicted[::step] == c] if dots else np.zeros((0, 2))
                _scatter(item, sel[np.isfinite(sel).all(axis=1)])
            self._dots = dots

    def clear(self) -> None:
        for item in self.regions + self.points:
            _scatter(item, np.zeros((0, 2)))
        for item in self.lines:
            item.setData([], [])
            item.setVisible(False)
        self._shown_grid = self._shown_data = self._shown_regions = None


def _same(a, b) -> bool:
    """``a`` and ``b`` hold the same values (NaN equal to NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _scatter(item: pg.ScatterPlotItem, pos: np.ndarray) -> None:
    """Set a scatter's points; an empty one is hidden, so it is never painted.

    As many points as before (the usual case: the same samples, moved) are moved in
    place: ``setData`` would restyle every point one by one (~0.5 ms per item), and
    every point of these items has the item's one symbol, size, pen and brush.
    """
    n = len(pos)
    if n and item.isVisible() and len(item.data) == n:
        item.data["x"], item.data["y"] = pos[:, 0], pos[:, 1]
        item.prepareGeometryChange()     # what setData does after adding points, less the restyling
        item.informViewBoundsChanged()
        item.bounds = [None, None]
        item.invalidate()
        item.sigPlotChanged.emit(item)
        return
    if n or item.isVisible():
        item.setData(pos=pos)
    item.setVisible(bool(n))


class StagePlayer(QtWidgets.QWidget):
    """One large panel that plays the stages as an animation.

    Public: ``slider``, ``play_button``, ``loop_box``, ``stop_box`` (pause at each
    stage), ``speed`` (stages per second), ``panel`` (a StagePanel), ``tracer``,
    ``set_position(s)``, ``position()``, ``last_position()``, ``frame()`` (the
    points drawn now, (n, 2)), ``export_gif(path)`` (all at once), ``record_gif(path)``
    (frame by frame with a progress dialog, what the Export GIF… button does).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer()
        self.traced = None
        self._drawn_version = 0
        self._last_draw = 0.0
        self._s = 0.0
        self._frame = np.zeros((0, 2), np.float32)
        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(FRAME_MS)
        self._clock.timeout.connect(self._advance)
        self._tick_time = 0.0
        self._later = QtCore.QTimer(self, singleShot=True)
        self._later.timeout.connect(self.refresh)
        self.recording = False
        self._build()

    def _build(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(260, 220)
        self.panel = StagePanel(self.graphics.addPlot(row=0, col=0))
        self.play_button = QtWidgets.QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the data's journey through the network, stage by stage.")
        self.play_button.toggled.connect(self._play_toggled)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag to move the points and the grid between stages; whole steps are the stages.")
        self.slider.valueChanged.connect(lambda v: self.set_position(v / TICKS, from_slider=True))
        self.loop_box = QtWidgets.QCheckBox("Loop")
        self.loop_box.setChecked(True)
        self.loop_box.setToolTip("Start again from the input when the output is reached.")
        self.stop_box = QtWidgets.QCheckBox("Pause at stages")
        self.stop_box.setToolTip("Stop playing at every stage; press Play to go on.")
        self.speed = QtWidgets.QDoubleSpinBox()
        self.speed.setRange(0.1, 5.0)
        self.speed.setSingleStep(0.1)
        self.speed.setValue(0.7)
        self.speed.setSuffix(" stages/s")
        self.speed.setToolTip("How fast the animation moves, in stages per second.")
        self.gif_button = QtWidgets.QPushButton("Export GIF…")
        self.gif_button.setToolTip("Save the whole animation, input to output, as an animated GIF, with progress "
                                   "and Cancel.")
        self.gif_button.clicked.connect(self._ask_gif)
        self.caption = QtWidgets.QLabel("No run yet.")
        self.caption.setStyleSheet(style.READOUT_CSS)
        from viz.views.stages3d import Stages3DView, Switch3D   # stages3d imports this module
        self.switch3d = Switch3D(self, self.graphics, lambda: Stages3DView(show_stage_combo=False),
                                 "Play the stages in a rotatable 3D view (3-unit stages and 3-D data as they are).",
                                 on_shown=lambda v: v.set_position(self._s))
        row = QtWidgets.QHBoxLayout()
        for w in (self.play_button, self.slider, self.speed, self.loop_box, self.stop_box, self.switch3d.button,
                  self.gif_button):
            row.addWidget(w, 1 if w is self.slider else 0)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.graphics, 1)
        lay.addWidget(self.caption)
        lay.addLayout(row)

    # ---- contract ----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Stop playing and forget the run."""
        self.play_button.setChecked(False)
        self.switch3d.clear()
        self.tracer.clear()
        self.traced = None
        self._drawn_version = 0
        self._later.stop()
        self.panel.clear()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self._s = 0.0
        self.caption.setText("No run yet.")

    def set_data(self, extras: dict) -> None:
        """Rebuild the run's network (see :class:`Tracer`) and show the input."""
        self.clear()
        self.switch3d.set_data(extras)
        if not self.tracer.set_data(extras):
            self.caption.setText(self.tracer.message)
            return
        self._retrace()

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights; no drawing."""
        extras = snap.extras or {}
        if "data" in extras and "config" in extras and not self.tracer.ready:
            self.set_data(extras)
        self.tracer.add_snapshot(snap)
        self.switch3d.add_snapshot(snap)

    def refresh(self) -> bool:
        """Re-trace with the newest weights (at most every ``MIN_INTERVAL`` s); whether it drew.

        Behind another dock tab it draws nothing (and stays due); see :func:`viz.views.layers.behind_tab`.
        """
        self.switch3d.refresh()
        if self.recording:             # a GIF is being recorded: every frame from the same weights
            return False
        if not self.tracer.ready or self.tracer.version == self._drawn_version or behind_tab(self):
            return False
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return False
        return self._retrace()

    # ---- position ----------------------------------------------------------------------------------
    def last_position(self) -> float:
        """The slider value of the output stage."""
        return float(len(self.traced.coords) - 1) if self.traced else 0.0

    def position(self) -> float:
        return self._s

    def frame(self) -> np.ndarray:
        """The data points as drawn now, (n, 2) float32."""
        return self._frame

    def set_position(self, s: float, from_slider: bool = False) -> None:
        """Show the frame at slider value ``s`` (clipped to the stages)."""
        self._s = min(max(float(s), 0.0), self.last_position())
        if not from_slider:
            self.slider.blockSignals(True)
            self.slider.setValue(round(self._s * TICKS))
            self.slider.blockSignals(False)
        self._show()
        if self.switch3d.active:
            self.switch3d.view.set_position(self._s)

    def _retrace(self) -> bool:
        version = self.tracer.version
        traced = self.tracer.trace()
        self._drawn_version = version
        self._last_draw = time.monotonic()
        if traced is None:
            self.caption.setText(self.tracer.message or "Nothing to show.")
            return False
        self.traced = traced
        self._bounds = [bounds(c, pad=0.2) for c in traced.coords]
        self.slider.blockSignals(True)
        self.slider.setRange(0, (len(traced.coords) - 1) * TICKS)
        self.slider.setValue(round(self._s * TICKS))
        self.slider.blockSignals(False)
        self.set_position(self._s)
        return True

    def _show(self) -> None:
        tr = self.traced
        if tr is None:
            return
        s = self._s
        xy = path_frame(tr.coords, s)[:, :2]
        gxy = path_frame(tr.grid_coords, s)[:, :2]
        self._frame = np.ascontiguousarray(xy, dtype=np.float32)
        grid = self.tracer.grid
        self.panel.show(self._frame, self.tracer.y, gxy, tr.predicted, grid.lines.ravel(), grid.connect())
        i, t = path_position(len(tr.coords), s)
        j = min(i + 1, len(tr.coords) - 1)
        near = j if t >= 0.5 else i
        self.panel.set_title(stage_title(tr.stages[near], tr.projections[near]))
        a, b = np.array(self._bounds[i]), np.array(self._bounds[j])
        self.panel.set_range((1 - t) * a + t * b)
        if t in (0.0, 1.0) or i == j:
            where = f"stage {near + 1} of {len(tr.coords)}: {tr.stages[near].name}"
        else:
            where = f"{tr.stages[i].name} → {tr.stages[j].name} ({t:.0%})"
        self.caption.setText(f"Epoch {self.tracer.epoch} · {where}")

    # ---- playing -----------------------------------------------------------------------------------
    def _play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.traced is not None:
            if self._s >= self.last_position():
                self.set_position(0.0)
            self._tick_time = time.monotonic()
            self._clock.start()
        else:
            self._clock.stop()

    def _advance(self) -> None:
        now = time.monotonic()
        dt, self._tick_time = now - self._tick_time, now
        if behind_tab(self):   # nobody sees it: hold the animation where it is
            return
        s = self._s + self.speed.value() * min(dt, 0.2)
        last = self.last_position()
        if self.stop_box.isChecked() and np.floor(s) > np.floor(self._s):
            self.set_position(np.floor(s))
            self.play_button.setChecked(False)
            return
        if s >= last:
            if self.loop_box.isChecked():
                s = 0.0 if self._s >= last else last
            else:
                self.set_position(last)
                self.play_button.setChecked(False)
                return
        self.set_position(s)

    # ---- recording ---------------------------------------------------------------------------------
    def frame_positions(self, frames_per_stage: int = 12) -> np.ndarray:
        """Slider values of the recorded frames: input to output, ``frames_per_stage`` per stage."""
        last = self.last_position()
        return np.linspace(0.0, last, int(round(last * frames_per_stage)) + 1)

    def _record(self, frames_per_stage):
        """``(grab, positions, show)`` for :func:`viz.views.export.gif_steps`: the 2D plot, stepped along."""
        if self.traced is None:
            raise ValueError("Nothing to record yet: start a run first.")
        return lambda: grab_rgb(self.graphics), self.frame_positions(frames_per_stage), self.set_position

    def render_frames(self, frames_per_stage: int = 12) -> list[np.ndarray]:
        """RGB images (h, w, 3) uint8 of the whole animation, input to output."""
        if self.traced is None:
            return []
        keep = self._s
        grab, positions, show = self._record(frames_per_stage)
        out = []
        for s in positions:
            show(s)
            out.append(grab())
        self.set_position(keep)
        return out

    def export_gif(self, path: str, fps: float = 20, frames_per_stage: int = 12) -> None:
        """Write the animation, input to output, to ``path`` as a looping GIF (Pillow), all at once.

        RuntimeError (:data:`GIF_MISSING`) when Pillow is missing; the shown position is kept.
        The Export GIF… button does the same frame by frame with a progress dialog.
        """
        keep = self._s
        try:
            run_steps(gif_steps(*self._record(frames_per_stage), path, fps))
        finally:
            self.set_position(keep)

    def export_frames(self, folder, frames_per_stage: int = 12) -> int:
        """Save the animation's frames as numbered PNGs in ``folder`` (no extra package needed)."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        keep, n = self._s, 0
        for n, s in enumerate(self.frame_positions(frames_per_stage)):
            self.set_position(s)
            if not self.graphics.grab().save(str(folder / f"frame_{n:04d}.png")):
                raise OSError(f"Could not write into {folder}")
        self.set_position(keep)
        return n + 1

    def _ask_gif(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export animation", "uncrumple.gif", "GIF (*.gif)")
        if path:
            self.record_gif(path)

    def record_gif(self, path: str, fps: float = 20, frames_per_stage: int = 12):
        """Export the GIF frame by frame from the event loop, with a cancellable progress dialog.

        See :func:`viz.views.export.record_gif`; returns the dialog, or None when it could not start.
        """
        return record_gif(self, path, fps, frames_per_stage)
