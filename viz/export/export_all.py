"""Export: every view of the window as a figure (its plots and legends, PNG at twice the size on
screen and SVG, on white), and the training history as CSV.

``export_all_views(window, folder)`` saves each dock except the controls, including docks
that are tabs behind another tab or closed: each is brought to the front (or shown) in turn,
drawn, saved, and the window's tabs and closed docks are put back as they were. A view with
thousands of scatter points is written as PNG only (:func:`svg_refusal`): SVG would embed each
point as a picture, megabytes and seconds to minutes of GUI-thread work. Plots get a
white background and the light theme's dark text for the pictures, whatever the screen shows
(the dark theme included; :mod:`viz.export.white_export`).

``export_history_csv(path, epochs, ...)`` writes the per-epoch logs (and the per-batch losses
next to them), the numbers behind the curves.
"""
from __future__ import annotations

import contextlib
import csv
import numbers
import os
import re

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from viz.export.white_export import SAVERS
from viz.views.common.view import View

CONTROLS_DOCK = "dock_controls"
EPOCH_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
BATCH_COLUMNS = ("step", "loss", "accuracy", "batches")   # batches: how many updates the row averages (1 = exact)

#: a view whose scatter plots hold more points than this is written as PNG instead of SVG: Qt's SVG
#: painter embeds every point as a picture of its own (the layers of an image run: 10,500 points,
#: a 9 MB file and seconds of GUI-thread work, minutes under load, with no way to cancel)
MAX_SVG_POINTS = 2000


def scatter_points(widget: QtWidgets.QWidget) -> int:
    """How many points the shown scatter plots (and plot symbols) inside ``widget`` draw."""
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    return sum(len(item.data) for v in views for item in v.scene().items()
               if isinstance(item, pg.ScatterPlotItem) and item.isVisible())


def svg_refusal(widget: QtWidgets.QWidget) -> str:
    """Why ``widget`` is written as PNG rather than SVG (too many points), or "" when SVG is fine."""
    n = scatter_points(widget)
    return f"{n:,} points are too many for SVG" if n > MAX_SVG_POINTS else ""


class Exported(list):
    """The paths written (a list), and ``notes``: what was done differently, one line per view,
    such as ``"Digit map: PNG (12,000 points are too many for SVG)"``; and ``cancelled``."""

    def __init__(self, paths=(), notes=(), cancelled=False):
        super().__init__(paths)
        self.notes = list(notes)
        self.cancelled = cancelled


# ---- every dock ---------------------------------------------------------------------------------
def slug(title: str) -> str:
    """A file stem from a dock title: ``"Loss surface"`` -> ``"loss-surface"``."""
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s or "view"


def dock_content(dock: QtWidgets.QDockWidget) -> QtWidgets.QWidget | None:
    """The view inside a dock: the scroll area's widget when the view scrolls (all of it, not the
    visible part), else the dock's widget. A view the app has not built yet is built now."""
    lazy = getattr(dock.parent(), "lazy_docks", None)
    if lazy is not None:
        lazy.ensure(dock)
    w = dock.widget()
    if isinstance(w, QtWidgets.QScrollArea) and w.widget() is not None:
        return w.widget()
    return w


def draw_for_picture(content) -> None:
    """Bring ``content`` up to date now, if it is a view: its ``refresh()``, then its ``finish()``
    (views that spread their work over event-loop turns do the turns still due), so the picture is
    never half built. Other docks (the controls) are pictured as they are."""
    if isinstance(content, View):
        content.refresh()
        content.finish()


def view_docks(window) -> list[QtWidgets.QDockWidget]:
    """The window's docks except the controls, in creation order."""
    return [d for d in window.findChildren(QtWidgets.QDockWidget) if d.objectName() != CONTROLS_DOCK]


def _settle() -> None:
    QtWidgets.QApplication.processEvents()
    QtWidgets.QApplication.processEvents()   # a raised tab lays out, then its view redraws


@contextlib.contextmanager
def tabs_put_back(docks):
    """Within the block, :func:`bring_forward` may raise any of ``docks`` and show closed ones for a
    picture; afterwards the closed ones are hidden again and the tabs that were in front raised."""
    # a tab behind another is "visible" but moved off the window: its visible region is empty
    front = [d for d in docks if d.isVisible() and not d.visibleRegion().isEmpty()]
    closed = [d for d in docks if not d.toggleViewAction().isChecked()]
    try:
        yield
    finally:
        for dock in closed:
            dock.hide()
        for dock in front:
            dock.raise_()
        _settle()


def bring_forward(dock: QtWidgets.QDockWidget, content) -> None:
    """Show ``dock`` if closed, raise it, let it lay out, and draw ``content`` for a picture."""
    if not dock.toggleViewAction().isChecked():
        dock.show()
    dock.raise_()
    _settle()
    draw_for_picture(content)


def export_all_views(window, folder: str, formats=("png", "svg"), progress=None,
                     include_closed=False, docks=None, before=None) -> list[str]:
    """Save every view dock of ``window`` (not the controls) into ``folder``, on white.

    Parameters
    ----------
    window : QMainWindow
        A shown window (a never-shown one has no sizes to draw at).
    folder : str
        Created if missing. Files are named after the dock titles: ``loss-surface.png``.
    formats : iterable of {"png", "svg"}
    include_closed : bool
        Also the docks the user (or the window, e.g. the digits views of a 2-D run) closed:
        shown just for the picture.
    progress : callable, optional
        ``progress(done, total, title) -> bool`` before each view (and, when there are
        two formats, again before the second); False stops the export (the files written
        so far stay). For a view written as PNG instead of SVG, ``title`` says so.
    docks : list of QDockWidget, optional
        The docks to save, in order; default: every view dock (the open ones, unless
        ``include_closed``).
    before : callable, optional
        ``before(dock)`` is called before each dock is brought forward (the app shows the dock's
        workspace, so each view is drawn at the size it is designed for).

    Returns
    -------
    Exported
        The paths written, dock by dock, in the order of ``formats``. A view with more than
        :data:`MAX_SVG_POINTS` scatter points is written as PNG instead of SVG (SVG would
        take seconds to minutes and megabytes); ``notes`` names each such view.
    """
    formats = tuple(str(f).lower().lstrip(".") for f in formats)
    bad = [f for f in formats if f not in SAVERS]
    if bad:
        raise ValueError(f"Argument `formats` must hold 'png' and/or 'svg'. Received: formats={formats!r}")
    os.makedirs(folder, exist_ok=True)
    if docks is None:
        docks = [d for d in view_docks(window) if include_closed or d.toggleViewAction().isChecked()]
    written, used = Exported(), set()
    with tabs_put_back(docks):
        for i, dock in enumerate(docks):
            content = dock_content(dock)
            if content is None:
                continue
            title = dock.property("fullTitle") or dock.windowTitle()
            if progress is not None and not progress(i, len(docks), title):
                written.cancelled = True
                break
            if before is not None:
                before(dock)
            bring_forward(dock, content)
            stem = base = slug(title)
            k = 2
            while stem in used:
                stem, k = f"{base}-{k}", k + 1
            used.add(stem)
            if not _save_formats(content, os.path.join(folder, stem), formats, written,
                                 lambda text, i=i: progress is None or progress(i, len(docks), text),
                                 title):
                written.cancelled = True
                break
    return written


def _save_formats(content, stem: str, formats, written: Exported, go_on, title: str) -> bool:
    """Save ``content`` as ``stem.<fmt>`` for each format into ``written``; a dense view's SVG
    becomes a PNG (noted). ``go_on(text)`` (the progress label) is asked before every format
    but the first; False (cancelled) stops and is returned."""
    refusal = svg_refusal(content) if "svg" in formats else ""
    if refusal:
        written.notes.append(f"{title}: PNG ({refusal})")
    label = f"{title} (PNG: {refusal})" if refusal else title
    for n, fmt in enumerate(formats):
        if n and not go_on(label):
            return False
        if fmt == "svg" and refusal:
            if "png" in formats:
                continue                      # its PNG is written anyway
            fmt = "png"
        path = f"{stem}.{fmt}"
        if SAVERS[fmt](content, path):
            written.append(path)
    return True


# ---- history ------------------------------------------------------------------------------------
def _cell(value) -> str:
    """A CSV cell: empty when missing, integers as such, floats round-tripping (``nan``, ``inf`` spelt out)."""
    if value is None:
        return ""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, np.floating):      # float32 batch values: the shortest digits of float32
        return str(value)
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


def export_history_csv(path: str, epochs, batch_steps=(), batch_losses=(), batch_accuracies=(),
                       metric: str = "accuracy") -> list[str]:
    """Write the epoch logs to ``path`` and, when given, the batch losses to ``<stem>-batches.csv``.

    Parameters
    ----------
    path : str
        The epoch CSV: columns ``epoch, loss, accuracy, val_loss, val_accuracy``, one row per
        epoch dict (a missing value is an empty cell; other keys such as ``"stats"`` are left out).
    epochs : list of dict
        As in ``Snapshot.epochs``: ``{"epoch": e, "loss": ..., "accuracy": ..., ...}``.
    batch_steps, batch_losses, batch_accuracies : sequences of equal length
        Per-batch values; written to ``<stem>-batches.csv`` (columns ``step, loss, accuracy,
        batches``) when there are any. ``batch_accuracies`` may be empty. ``batches`` is the step
        gap to the row before: 1 for an exact update, more for a row that is the mean of that many
        (the curves keep the newest updates exactly and older ones as means).
    metric : {"accuracy", "mae"}
        The run's metric (``RunData.metric``): a regression run's columns are ``mae`` and ``val_mae``
        in place of ``accuracy`` and ``val_accuracy`` (its ``batch_accuracies`` hold each batch's MAE).

    Returns
    -------
    list of str
        The paths written (the epoch file first).
    """
    steps, batch_l, batch_a = list(batch_steps), list(batch_losses), list(batch_accuracies)
    if len(steps) != len(batch_l) or (batch_a and len(batch_a) != len(steps)):
        raise ValueError("Arguments `batch_steps`, `batch_losses` and `batch_accuracies` must have the same "
                         f"length. Received: {len(steps)}, {len(batch_l)}, {len(batch_a)}")
    columns = tuple(c.replace("accuracy", metric) for c in EPOCH_COLUMNS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for i, logs in enumerate(epochs):
            row = {"epoch": i + 1, **{k: v for k, v in dict(logs).items() if k in columns}}
            w.writerow([_cell(row.get(k)) for k in columns])
    written = [str(path)]
    if steps:
        stem, ext = os.path.splitext(str(path))
        batch_path = f"{stem}-batches{ext or '.csv'}"
        with open(batch_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(tuple(c.replace("accuracy", metric) for c in BATCH_COLUMNS))
            prev = 0     # past the exact window a row is the mean of the updates since the row before it
            for i, (step, loss) in enumerate(zip(steps, batch_l)):
                w.writerow([_cell(step), _cell(loss), _cell(batch_a[i]) if batch_a else "", str(int(step) - prev)])
                prev = int(step)
        written.append(batch_path)
    return written
