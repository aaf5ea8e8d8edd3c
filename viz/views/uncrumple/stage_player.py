"""The stage animation: a continuous slider over the stages, play/pause/loop/speed, GIF export.

The points and the input grid move smoothly from the input to the output:
slider value ``s`` in ``[0, n_stages - 1]`` shows :func:`core.analysis.uncrumple.geometry.path_frame`
of the per-stage projected coordinates (exact at every stage, a straight-line
blend in between), so the user watches a layer rotate, shift and fold the space.
The network follows training through a :class:`viz.views.uncrumple.layers.Tracer`.
:class:`StagePanel` (one stage's plot: data by class, the grid coloured by the
prediction; in :mod:`viz.views.uncrumple.stage_panel`) is shared with the layers view and the layer lab.
"""
from __future__ import annotations

import pathlib
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.uncrumple.geometry import path_frame, path_position
from viz import style
from viz.export.pictures import GIF_MISSING, gif_steps, grab_rgb, record_gif, run_steps  # noqa: F401
from viz.views.uncrumple.layers import MIN_INTERVAL, Tracer, behind_tab, bounds, stage_title
from viz.views.uncrumple.stage_panel import StagePanel  # noqa: F401  (re-exported: other views import it from here)
from viz.views.common.visibility import in_shown_window, unseen

#: slider ticks per stage (the slider is "continuous" at this resolution)
TICKS = 100
FRAME_MS = 33


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
        self._extras = self._early = None
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
        self.caption.setStyleSheet(style.palette().readout_css)
        from viz.views.uncrumple.stages3d import Stages3DView, Switch3D   # stages3d imports this module
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
        self._extras = self._early = None     # a run kept by set_data, not built yet; its newest weights
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
        """Keep the run; its network (see :class:`Tracer`) is built and the input shown by the next
        :meth:`refresh` while the player can be seen (at once in no shown window): image runs hide
        its dock, and a PCA of 784 pixels has no place in the turn where every view takes the run."""
        self.clear()
        self.switch3d.set_data(extras)
        self._extras = extras
        if not in_shown_window(self) and self._setup():
            self._retrace()

    def _setup(self) -> bool:
        """Build the network of the run kept by :meth:`set_data` (with the newest weights since) and its
        input grid (a PCA plane for images); the trace, more PCAs, is left to the next turn."""
        extras, snap = self._extras, self._early
        self._extras = self._early = None
        if not self.tracer.set_data(extras):
            self.caption.setText(self.tracer.message)
            return False
        if snap is not None:
            self.tracer.add_snapshot(snap)
        self.tracer.grid   # noqa: B018  (made now: its own turn)
        self.caption.setText("Preparing the run's stages…")
        return True

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights; no drawing."""
        extras = snap.extras or {}
        if "data" in extras and "config" in extras and not self.tracer.ready and self._extras is None:
            self.set_data(extras)
        self.switch3d.add_snapshot(snap)
        if self._extras is not None:                   # the run is not built yet: keep the newest weights
            self._early = snap if snap.weights else self._early
            return
        self.tracer.add_snapshot(snap)

    def refresh(self) -> bool:
        """Re-trace with the newest weights (at most every ``MIN_INTERVAL`` s); whether it drew.

        While the player cannot be seen (a closed dock, a tab behind another:
        :func:`viz.views.common.visibility.unseen`) it draws nothing and stays due.
        """
        self.switch3d.refresh()
        if self.recording:             # a GIF is being recorded: every frame from the same weights
            return False
        if unseen(self):
            return False
        if self._extras is not None:
            if self._setup():
                self._later.start(0)   # the trace on the next turn: each stays short while the run starts
            return False
        if not self.tracer.ready or self.tracer.version == self._drawn_version:
            return False
        wait = MIN_INTERVAL - (time.monotonic() - self._last_draw)
        if wait > 0:
            if not self._later.isActive():
                self._later.start(int(wait * 1000) + 1)
            return False
        return self._retrace()

    def finish(self) -> None:
        """Do now what waits for the next turns (before an image is taken, say): build and trace the run."""
        if self._extras is not None:
            self._setup()
        if self.tracer.ready and self.tracer.version != self._drawn_version and not self.recording:
            self._later.stop()
            self._retrace()
        if self.switch3d.active:
            self.switch3d.view.finish()

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
        """``(grab, positions, show)`` for :func:`viz.export.pictures.gif_steps`: the 2D plot, stepped along."""
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

        See :func:`viz.export.pictures.record_gif`; returns the dialog, or None when it could not start.
        """
        return record_gif(self, path, fps, frames_per_stage)
