"""The stage animation: a continuous slider over the stages, play/pause/loop/speed, GIF export.

The points and the input grid move smoothly from the input to the output:
slider value ``s`` in ``[0, n_stages - 1]`` shows :func:`core.analysis.uncrumple.geometry.path_frame`
of the per-stage projected coordinates (exact at every stage, a straight-line
blend in between), so the user watches a layer rotate, shift and fold the space.
The network follows training through a :class:`viz.views.uncrumple.tracer.Tracer`; the plot
is a :class:`viz.views.uncrumple.stage_panel.StagePanel`. The GIF is written frame by frame
with :mod:`viz.views.common.pictures`.
"""
from __future__ import annotations

import pathlib
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.analysis.uncrumple.geometry import path_frame, path_position
from viz import style
from viz.views.common.gl3d import Switch3D
from viz.views.common.pictures import GIF_MISSING, gif_steps, grab_rgb, run_steps, run_with_progress
from viz.views.common.view import View
from viz.views.common.visibility import behind_tab, unseen
from viz.views.uncrumple.stage_panel import StagePanel, bounds, stage_title
from viz.views.uncrumple.stages3d import Stages3DView
from viz.views.uncrumple.target_colors import TargetBar, target_limit
from viz.views.uncrumple.trace_jobs import TraceJobs
from viz.views.uncrumple.tracer import Tracer

#: slider ticks per stage (the slider is "continuous" at this resolution)
TICKS = 100
FRAME_MS = 33


def morph_of(n_stages: int, s: float) -> int:
    """Which layer's morph slider value ``s`` shows: k (from 1) while the data moves from layer k-1's
    output (or the input) to layer k's activation, both ends included (the input: layer 1's);
    0 for a network without layers."""
    if n_stages <= 1:
        return 0
    i, t = path_position(n_stages, s)
    target = i + 1 if t > 0.0 else i        # the stage being reached (a whole stage: itself)
    return max(1, (target + 2) // 3)


def morph_ranges(stage_list, coords, pad: float = 0.15) -> list:
    """One fixed ``(x0, x1, y0, y1)`` per morph (:func:`morph_of`): the input's, then for each layer
    one range around its input and its three stages, so the axes stay put while a layer rotates,
    shifts and folds the data (they change once, where the next layer starts)."""
    out = [bounds(coords[0], pad=pad)]
    for k in range((len(coords) - 1) // 3):
        start = 3 * k                       # the layer's input: the input or the previous activation
        out.append(bounds(*(np.asarray(c)[:, :2] for c in coords[start:start + 4]), pad=pad))
    return out


class StagePlayer(View):
    """One large panel that plays the stages as an animation.

    Public: ``slider``, ``play_button``, ``loop_box``, ``stop_box`` (pause at each
    stage), ``speed`` (stages per second), ``panel`` (a StagePanel), ``tracer``,
    ``set_position(s)``, ``position()``, ``last_position()``, ``frame()`` (the
    points drawn now, (n, 2)), ``export_gif(path)`` (all at once), ``record_gif(path)``
    (frame by frame with a progress dialog, what the Export GIF… button does), ``switch3d``.

    The run's network and input grid (a PCA plane for images) are made on the first refresh on
    screen (``deferred``: image runs hide the player's dock), its first trace on the event-loop
    turn after (at once for a player not shown). A heavy network's traces (:attr:`Tracer.heavy`:
    MNIST's) run in a worker thread (``jobs``), its input grid with them.
    """

    deferred = True
    #: heavy snapshots are traced and drawn at most this often (seconds)
    min_interval = 0.2

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tracer = Tracer()
        self.traced = None
        self._s = 0.0
        self._frame = np.zeros((0, 2), np.float32)
        self._clock = QtCore.QTimer(self)
        self._clock.setInterval(FRAME_MS)
        self._clock.timeout.connect(self._advance)
        self._tick_time = 0.0
        # a new run's first trace, on the turn after its network and grid were made
        self._first_trace = QtCore.QTimer(self, singleShot=True, interval=0)
        self._first_trace.timeout.connect(self._retrace)
        self.recording = False
        self.gif_dialog = None
        self.jobs = TraceJobs(self, self.tracer, "uncrumple-player-trace")   # one at a time, here or in a worker
        self.jobs.finished.connect(self._on_traced)
        self._make_widgets()

    def _make_widgets(self) -> None:
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
        self.caption.setMinimumWidth(1)
        self.switch3d = Switch3D(self, self.graphics, lambda: Stages3DView(show_stage_combo=False),
                                 "Play the stages in a rotatable 3D view (3-unit stages and 3-D data as they are).",
                                 on_shown=lambda v: v.set_position(self._s))
        self.stop_box.setText("Stop at stages")
        self.speed.setSuffix("/s")
        self.speed.setToolTip("How fast the animation moves, in stages per second.")
        row = QtWidgets.QHBoxLayout()          # the transport: fits a 500 px wide dock
        for w in (self.play_button, self.slider, self.speed, self.loop_box):
            row.addWidget(w, 1 if w is self.slider else 0)
        below = QtWidgets.QHBoxLayout()        # where we are, and what else to do
        self.target_bar = TargetBar()          # a regression run's colours
        self.target_bar.setVisible(False)
        below.addWidget(self.target_bar)
        below.addWidget(self.caption, 1)
        for w in (self.stop_box, self.switch3d.button, self.gif_button):
            below.addWidget(w)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        lay.addWidget(self.graphics, 1)
        lay.addLayout(row)
        lay.addLayout(below)

    # ---- lifecycle -----------------------------------------------------------------------------------
    def clear(self) -> None:
        """Stop playing and forget the run."""
        self.play_button.setChecked(False)
        self.switch3d.clear()
        self.jobs.forget()
        self.tracer.clear()
        self.traced = None
        self._first_trace.stop()
        self.panel.clear()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self._s = 0.0
        self.target_bar.setVisible(False)
        self.caption.setText("No run yet.")
        super().clear()

    def set_run(self, run) -> None:
        """The 3D view gets the run at once (it puts off its own build); the player's by :meth:`build`."""
        self.switch3d.set_run(run)
        super().set_run(run)

    def build(self, run) -> None:
        """Take the run's network (with the newest weights that came since) and its input grid (a PCA
        plane for images); the trace, more PCAs, on the next turn while the player is shown."""
        self.switch3d.refresh()                          # the 3D view, when it is shown in place of the plot
        if not self.tracer.set_run(run):
            self.caption.setText(self.tracer.message)
            return
        if self.tracer.regression:
            self.target_bar.set_limit(target_limit(self.tracer.y))
        self.target_bar.setVisible(self.tracer.regression)
        if not self.tracer.heavy:
            self.tracer.grid   # noqa: B018  (made now: its own turn; a heavy run's in the worker)
        self.caption.setText("Preparing the run's stages…")
        if self.isVisible():
            self._first_trace.start()
        else:
            self._retrace()

    def add_snapshot(self, snap) -> None:
        """Keep a heavy snapshot's weights; no drawing."""
        self.switch3d.add_snapshot(snap)
        self.tracer.add_snapshot(snap)

    def draw(self) -> bool:
        """Re-trace with the newest weights; whether it drew.

        While the player cannot be seen (a closed dock, a tab behind another:
        :func:`viz.views.common.visibility.unseen`) it draws nothing and stays due; while a GIF
        is being recorded every frame comes from the same weights.
        """
        self.switch3d.refresh()
        if self.recording or unseen(self) or self._first_trace.isActive() or not self.jobs.due:
            return False
        return self._retrace()

    def finish(self) -> None:
        """Do now what waits for the next turns (before an image is taken, say): build and trace the run."""
        super().finish()
        if self.jobs.busy:
            result, _error = self.jobs.wait()
            self._on_traced(result)
        if self.jobs.due and not self.recording:
            self._use(self.jobs.trace_now())
        self.switch3d.finish()

    def closeEvent(self, event):  # noqa: N802 - Qt override
        """Stop and join a trace under way (in a window, the runner also stops when the window closes)."""
        self.jobs.shutdown()
        super().closeEvent(event)

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
        """Trace the newest weights: now, or for a heavy network in the worker (False: drawn when done)."""
        self._first_trace.stop()
        if not self.tracer.heavy:
            return self._use(self.jobs.trace_now())
        self.jobs.start_trace()                 # the one under way, if any, asks for the next when done
        return False

    def _on_traced(self, result) -> None:
        """A worker's trace is done: show it (not halfway through a recording: traced again after),
        and trace the weights that came meanwhile."""
        if result is None:
            return
        if self.recording:
            self.jobs.drawn_version = 0
            return
        self._use(self.tracer.accept(result))
        if self.jobs.due and not unseen(self):
            self._retrace()                     # newer weights came meanwhile

    def _use(self, traced) -> bool:
        """Show ``traced`` at the current position; whether there was one."""
        if traced is None:
            self.caption.setText(self.tracer.message or "Nothing to show.")
            return False
        self.traced = traced
        self._ranges = morph_ranges(traced.stages, traced.coords)
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
        self.panel.set_range(self._ranges[morph_of(len(tr.coords), s)])
        if t in (0.0, 1.0) or i == j:
            where = f"stage {near + 1} of {len(tr.coords)}"
        else:
            where = f"stage {i + 1} → {j + 1} ({t:.0%})"
        self.caption.setText(f"Epoch {self.tracer.epoch} · {where}")
        self.caption.setToolTip(f"{tr.stages[i].name} → {tr.stages[j].name}" if i != j and 0 < t < 1
                                else tr.stages[near].name)

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
        """``(grab, positions, show)`` for :func:`viz.views.common.pictures.gif_steps`: the 2D plot, stepped along."""
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
        """Export the GIF frame by frame from the event loop, with a cancellable progress dialog
        (:func:`viz.views.common.pictures.run_with_progress`).

        Playing stops, the button is disabled and the weights shown are held (``recording``)
        while recording, and the shown position comes back at the end; the caption then says
        "Saved <path>" (or that it was cancelled). Without Pillow the frames are saved as PNG files
        in a folder beside ``path`` and a message says what to install. Returns the progress
        dialog (also ``gif_dialog``), or None when it did not start.
        """
        keep = self._s
        try:
            steps = gif_steps(*self._record(frames_per_stage), path, fps)
            next(steps)          # Pillow's presence, the palette and the first frame, now
        except RuntimeError:
            folder = pathlib.Path(path).with_suffix("")
            n = self.export_frames(folder, frames_per_stage)
            QtWidgets.QMessageBox.information(self, "Export GIF", f"{GIF_MISSING}\nSaved the {n} frames as PNG "
                                              f"files in {folder} instead.")
            return None
        except (OSError, ValueError) as exc:
            self.set_position(keep)
            QtWidgets.QMessageBox.warning(self, "Export GIF", str(exc))
            return None
        self.play_button.setChecked(False)
        self.gif_button.setEnabled(False)
        self.recording = True           # no retrace with newer weights halfway through

        def done(result):
            self.recording = False
            self.gif_button.setEnabled(True)
            self.set_position(keep)
            if result is None:
                self.caption.setText(f"Saved {path}")
            elif result == "cancelled":
                self.caption.setText("GIF export cancelled; nothing was written.")
            else:
                QtWidgets.QMessageBox.warning(self, "Export GIF", f"Could not write {path}: {result}")

        self.gif_dialog = run_with_progress(self, steps, "Export GIF", f"Recording {path}…", done)
        return self.gif_dialog
