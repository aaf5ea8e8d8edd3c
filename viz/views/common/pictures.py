"""Saving a view: PNG (at twice the screen's size) or SVG figures of a widget's plots, the save-file
dialog, and animated GIFs.

The pictures are shared by the optimizer race, the loss-surface view and the 1D slice;
the GIF writer (:func:`gif_steps`, with Pillow) and its progress dialog
(:func:`run_with_progress`) by the stage animation.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from viz.export.white_export import FIGURE_SCALE, save_figure_png, save_figure_svg


def export_png(widget: QtWidgets.QWidget, path: str, scale: float = FIGURE_SCALE) -> bool:
    """Save ``widget``'s plots and legends (not its buttons) as a PNG on white (in either theme),
    ``scale`` times the size on screen; returns whether it was written."""
    return save_figure_png(widget, str(path), scale)


def export_svg(widget: QtWidgets.QWidget, path: str) -> bool:
    """Save ``widget``'s plots and legends as SVG on white (vector lines and text; heat maps stay bitmaps)."""
    return save_figure_svg(widget, str(path))


IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


def export_image(widget: QtWidgets.QWidget, path: str) -> bool:
    """PNG or SVG by the file name's suffix (PNG when it has neither)."""
    if not path:
        return False
    if str(path).lower().endswith(".svg"):
        return export_svg(widget, path)
    if not str(path).lower().endswith(".png"):
        path = f"{path}.png"
    return export_png(widget, path)


def ask_path(parent, title, filter_, default):
    """A file name from a save dialog, or "" when cancelled."""
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, default, filter_)
    return path


# ---- animated GIF (Pillow) ----------------------------------------------------------------------
GIF_MISSING = ("GIF export needs Pillow, which is not installed: pip install Pillow "
               "(it comes with pip install uncrumple).")
GIF_COLORS = 128          # palette size: the plots use a few class colours, tints and greys
TICK_BUDGET_S = 0.04      # work done per event-loop turn while exporting with a progress dialog


def pillow():
    """The ``PIL.Image`` module; RuntimeError with :data:`GIF_MISSING` when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise RuntimeError(GIF_MISSING) from exc
    return Image


def grab_rgb(widget: QtWidgets.QWidget):
    """A picture of ``widget`` as an RGB ndarray of shape (h, w, 3), uint8 (a copy)."""
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def gif_steps(grab, positions, show, path: str, fps: float = 20.0):
    """Write an animated GIF frame by frame: a generator yielding ``(done, total)`` as it goes.

    Parameters
    ----------
    grab : callable () -> ndarray of shape (h, w, 3), uint8
        The picture now (see :func:`grab_rgb`).
    positions : sequence
        ``show(p)`` is called with each in turn before its frame is grabbed.
    show : callable
    path : str
    fps : float
        Frames per second (GIF delays are whole hundredths of a second).

    Notes
    -----
    One palette of :data:`GIF_COLORS` colours, taken from the first and the last
    frames, is used for every frame without dithering: colours do not flicker and
    the file stays small (consecutive frames share most pixels, which Pillow's
    ``optimize`` then stores once). Pillow writes the file in a thread of its own
    (its encoder releases the GIL); the generator yields while it works. Closing
    the generator early (a cancel) writes nothing and removes a half-written file.
    Frames are grabbed one per ``next()``; total = len(positions) + 1 (the write).
    """
    import os
    import threading
    image = pillow()
    positions = list(positions)
    if not positions:
        raise ValueError("Nothing to record: the animation has no frames.")
    total, frames, done = len(positions) + 1, [], False
    writer = None
    try:
        show(positions[-1])
        last = grab()
        show(positions[0])
        first = grab()
        both = image.fromarray(np.vstack([first, last]) if first.shape == last.shape else first)
        palette = both.quantize(GIF_COLORS, method=image.Quantize.FASTOCTREE)
        for i, p in enumerate(positions):
            if i:
                show(p)
            rgb = first if i == 0 else grab()
            frames.append(image.fromarray(rgb).quantize(palette=palette, dither=image.Dither.NONE))
            yield i + 1, total
        errors = []

        def write():
            try:
                frames[0].save(str(path), format="GIF", save_all=True, append_images=frames[1:],
                               duration=max(20, int(round(1000.0 / fps))), loop=0, optimize=True)
            except (OSError, ValueError) as exc:
                errors.append(exc)

        writer = threading.Thread(target=write, name="uncrumple-gif", daemon=True)
        writer.start()
        while writer.is_alive():
            writer.join(0.02)
            yield total - 1, total
        if errors:
            raise errors[0]
        done = True
        yield total, total
    finally:
        if writer is not None:
            writer.join()
        if not done and writer is not None and os.path.exists(str(path)):
            os.remove(str(path))


def run_steps(steps) -> None:
    """Run a :func:`gif_steps`-like generator to its end (no progress shown)."""
    for _ in steps:
        pass


def run_with_progress(parent: QtWidgets.QWidget, steps, title: str, text: str, on_done) -> QtWidgets.QProgressDialog:
    """Drive generator ``steps`` (yielding ``(done, total)``) from the event loop with a progress dialog.

    Each turn of the event loop runs steps for at most :data:`TICK_BUDGET_S`, so the
    window keeps repainting; Cancel closes the generator. ``on_done(error)`` is called
    once at the end: ``None`` after success, the exception after a failure, and
    ``"cancelled"`` after a cancel. Returns the dialog (its ``timer`` drives the steps).
    """
    import time
    dialog = QtWidgets.QProgressDialog(text, "Cancel", 0, 1, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setToolTip("Recording the animation frame by frame; Cancel stops it and writes nothing.")
    timer = dialog.timer = QtCore.QTimer(dialog)
    timer.setInterval(0)

    def finish(result):
        timer.stop()
        dialog.close()
        dialog.deleteLater()
        on_done(result)

    busy = []

    def tick():
        if busy:                  # a modal dialog's setValue processes events: never re-enter the generator
            return
        busy.append(True)
        try:
            _tick()
        finally:
            busy.clear()

    def _tick():
        if dialog.wasCanceled():
            steps.close()
            finish("cancelled")
            return
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < TICK_BUDGET_S:
                done, total = next(steps)
                dialog.setMaximum(total)
                dialog.setValue(done)
        except StopIteration:
            finish(None)
        except (OSError, ValueError, RuntimeError) as exc:
            finish(exc)

    timer.timeout.connect(tick)
    timer.start()
    return dialog
