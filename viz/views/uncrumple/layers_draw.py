"""Drawing the uncrumpling views: titles, row labels, view ranges, and the layers grid's panels.

The :class:`viz.views.uncrumple.layers.LayersView` keeps the run and the timing (what to trace,
when to draw); this module makes its grid of panels (:func:`layout_panels`) and draws
one panel from a :class:`viz.views.uncrumple.layers.Traced` (:func:`draw_panel`). The title and
range helpers are shared with the stage player, the 3D stages and the layer lab
(they import them from :mod:`viz.views.uncrumple.layers`, which re-exports them).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from shiboken6 import isValid

from viz import style
from viz.views.common import gl3d

#: the grid's top right corner, beside the input panel
GUIDE = ("Each row is one layer:<br>dot(x, W) turns and stretches,<br>+ b shifts, the activation bends."
         "<br>Click a panel: play from it.<br>Right-click: pick the units.")


@dataclass
class Traced:
    """What every uncrumpling view draws, for one set of weights.

    Attributes
    ----------
    stages, grid_stages : list of core.analysis.uncrumple.geometry.Stage
        The data's and the grid's stages.
    projections : list of core.analysis.uncrumple.geometry.Projection
    coords, grid_coords : list of ndarray of shape (n, 2) / (m, 2), float32
    predicted : ndarray of shape (m,), int
        The network's class for every grid point (the decision regions).
    """

    stages: list
    grid_stages: list
    projections: list
    coords: list
    grid_coords: list
    predicted: np.ndarray


def _xy(c, dims=2) -> np.ndarray:
    """(n, k) projected coordinates as (n, dims) float32 (zero-padded: a 1-unit stage on a line)."""
    c = np.asarray(c, np.float32)
    if c.shape[1] >= dims:
        return np.ascontiguousarray(c[:, :dims])
    out = np.zeros((len(c), dims), np.float32)
    out[:, :c.shape[1]] = c
    return out


def notice_3d(gl: bool) -> str:
    """What the 3D notice says, with or without OpenGL (:mod:`viz.views.common.gl3d`)."""
    if gl:
        return ("3D data and 3-unit stages are shown on a 2D projection here (each title says which); "
                "press 3D to rotate them in 3D.")
    return f"{gl3d.fallback_text()} 3D data and 3-unit stages are drawn flat; each title says which projection."


def stage_title(stage, projection, note="") -> str:
    """Two-line HTML title: the stage, then the projection (and ``note``)."""
    return (f"<span style='font-size:10pt'>{stage.name}</span><br>"
            f"<span style='font-size:8pt; color:{style.palette().muted}'>{projection.title}{note}</span>")


def panel_title(stage, projection, note="") -> tuple[str, str]:
    """``(full, short)`` one-line titles of a panel in the grid: ``"dot(x, W) · PCA of 8 units (…)"``
    and ``"dot(x, W)"`` (the layer's name and projection are in its row label)."""
    short = stage.name.split(": ", 1)[-1]
    return f"{short} · {projection.title}{note}", short


def row_text(name: str, lines=(), projection=None) -> str:
    """A row label's HTML: ``name`` in bold, then ``lines``, then the projection's shares, muted."""
    muted = []
    if projection is not None and projection.kind == "pca":
        muted = [label for label in projection.labels if label]
    elif projection is not None and projection.kind == "units":
        muted = [projection.title]
    tail = "".join(f"<br><span style='font-size:8pt; color:{style.palette().muted}'>{m}</span>" for m in muted)
    return f"<b>{name}</b>" + "".join(f"<br>{t}" for t in lines) + tail


def _narrow_min(label) -> None:
    """Let a LabelItem be narrower than its text (it never forces the view wider than the dock)."""
    update_min = label.updateMin

    def small_min():
        update_min()
        label.setMinimumWidth(1)
    label.updateMin = small_min
    label.setMinimumWidth(1)


def fit_title(plot, full: str, short: str) -> None:
    """Set a one-line title showing ``full`` if it fits the panel, else ``short`` (elided if need be);
    ``titleLabel.text`` and the tooltip keep ``full``. Re-fitted whenever the panel is resized."""
    label = plot.titleLabel
    if getattr(label, "_fit", None) == (full, short):
        return
    if not hasattr(label, "_fit"):
        _narrow_min(label)
        label.geometryChanged.connect(lambda: _fit_now(label))
    label._fit = (full, short)
    plot.setTitle(full, color=style.palette().foreground, size=style.TITLE_SIZE)
    _fit_now(label)


def _fit_now(label) -> None:
    if not isValid(label) or not isValid(label.item):   # a resize signal from a panel being deleted
        return
    full, short = getattr(label, "_fit", ("", ""))
    if not full or getattr(label, "_fitting", False):
        return
    font = label.item.font()
    font.setPointSizeF(float(style.TITLE_SIZE[:-2]))
    metrics, width = QtGui.QFontMetricsF(font), max(label.width() - 6, 12)
    shown = full if metrics.horizontalAdvance(full) <= width else \
        metrics.elidedText(short, QtCore.Qt.TextElideMode.ElideRight, width)
    label._fitting = True
    try:
        pg.LabelItem.setText(label, shown)
        label.text = full
        label.setToolTip(full)
    finally:
        label._fitting = False


def bounds(*arrays, pad=0.08):
    """``(x0, x1, y0, y1)`` around the finite rows of (n, 2) arrays (robust 1-99 % range)."""
    pts = np.concatenate([a[np.isfinite(a).all(axis=1)] for a in arrays if len(a)] or [np.zeros((1, 2))])
    if len(pts) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


# ---- the layers grid -----------------------------------------------------------------------------
def layout_panels(graphics: pg.GraphicsLayoutWidget, model, n_classes: int, n_features: int):
    """Lay out the layers grid in ``graphics``: row 0 the input's label, its panel and a short guide;
    row k layer k's label and its three panels (dot, + b, activation). Three panels a row and
    one-line titles fit a ~430 px dock.

    Returns
    -------
    panels : list of viz.views.uncrumple.stage_player.StagePanel
        One per stage, in stage order.
    row_labels : list of pyqtgraph.LabelItem
        One per row (the input, then each layer); each has ``_lines``, its text lines.
    """
    from viz.views.uncrumple.stage_player import StagePanel   # stage_player imports viz.views.uncrumple.layers
    dense = model.dense_layers
    panels = []
    for i in range(1 + 3 * len(dense)):
        row, col = (0, 1) if i == 0 else (1 + (i - 1) // 3, 1 + (i - 1) % 3)
        panels.append(StagePanel(graphics.addPlot(row=row, col=col), n_classes))
    row_labels = []
    d = n_features
    for r, lines in enumerate([(f"{d} feature{'s' if d != 1 else ''}",)]
                              + [(f"{layer.units} unit{'s' if layer.units != 1 else ''}", layer.activation.name)
                                 for layer in dense]):
        label = graphics.addLabel(row_text("input" if r == 0 else f"layer {r}", lines), row=r, col=0,
                                  color=style.palette().foreground, size="9pt")
        label._lines = lines
        row_labels.append(label)
    guide = graphics.addLabel(GUIDE, row=0, col=2, colspan=2, color=style.palette().muted, size="8pt", justify="left")
    _narrow_min(guide)
    lay = graphics.ci.layout
    lay.setColumnStretchFactor(0, 0)
    for c in (1, 2, 3):
        lay.setColumnStretchFactor(c, 1)
    graphics.setMinimumHeight(min(1 + len(dense), 3) * 130)   # scroll-free; the dock grows it
    return panels, row_labels


def spread_1d(xy: np.ndarray, jitters: dict) -> np.ndarray:
    """A 1-unit stage's (n, 2) coordinates with y replaced by a fixed jitter scaled to the x range.

    ``jitters`` caches the (n,) jitter per n, so the points do not hop between frames.
    """
    x = xy[:, 0]
    fin = x[np.isfinite(x)]
    span = float(np.ptp(fin)) if len(fin) else 1.0
    jitter = jitters.get(len(x))
    if jitter is None:
        jitter = jitters[len(x)] = np.random.default_rng(len(x)).uniform(-0.5, 0.5, len(x)).astype(np.float32)
    return np.column_stack([x, jitter * max(span, 1e-3) * 0.4]).astype(np.float32)


def draw_panel(panel, row_labels, tracer, traced, i: int, lines, jitters: dict, slack: float) -> None:
    """Draw stage ``i`` of ``traced`` in ``panel``: the points by class, the grid's polylines
    (``lines`` = ``(indices, connect)`` of :meth:`core.analysis.uncrumple.geometry.Grid.connect`) coloured by the
    prediction, for a 2-D input the decision regions, the title, the row label's projection and
    the range (which follows the data only beyond ``slack``)."""
    xy, gxy = traced.coords[i], traced.grid_coords[i]
    line = traced.stages[i].width == 1
    if line:   # one unit: the value across, a fixed jitter up, so the points do not hide each other
        xy, gxy = spread_1d(xy, jitters), spread_1d(gxy, jitters)
    panel.set_aspect_locked(not line)
    panel.show(xy, tracer.y, gxy, traced.predicted, lines[0], lines[1], dots=line)
    if i == 0 and tracer.x.shape[1] == 2:   # the grid points are a row-major image of the plane
        g = tracer.grid.points
        panel.show_regions(traced.predicted, (g[:, 0].min(), g[:, 0].max(), g[:, 1].min(), g[:, 1].max()))
    st, proj = traced.stages[i], traced.projections[i]
    fit_title(panel.plot, *panel_title(st, proj, " · spread up and down" if line else ""))
    if st.kind in ("input", "activation"):   # the row label names the layer's projection once
        label = row_labels[st.layer + 1]
        text = row_text("input" if st.layer < 0 else f"layer {st.layer + 1}", label._lines, proj)
        if text != label.text:
            label.setText(text)
    panel.set_range(bounds(xy, pad=0.25), slack=slack)
    panel.show_values(not line)


def save_graphics(graphics: pg.GraphicsLayoutWidget, path: str, title: str = "Uncrumple: layers") -> None:
    """Save ``graphics`` as SVG (for a ``.svg`` name) or PNG; OSError if the PNG cannot be written."""
    if str(path).lower().endswith(".svg"):   # Qt's SVG painter (pyqtgraph's SVG exporter fails on Qt 6.11 paths)
        from PySide6.QtSvg import QSvgGenerator
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(graphics.size())
        gen.setViewBox(graphics.rect())
        gen.setTitle(title)
        painter = QtGui.QPainter(gen)
        graphics.render(painter)
        painter.end()
    elif not graphics.grab().save(str(path)):
        raise OSError(f"Could not write {path}")


def panel_menu(view, i: int, at) -> None:
    """The right-click menu of panel ``i`` of a LayersView ``view`` at screen point ``at``: projection, units, save."""
    menu = QtWidgets.QMenu(view)
    auto = menu.addAction("Automatic projection (as is, or PCA)")
    pick = menu.addAction("Show chosen units…")
    save = menu.addAction("Save image…")
    pick.setEnabled(view.traced is not None and view.traced.stages[i].width > 1)
    chosen = menu.exec(at)
    if chosen is auto:
        view.use_units(i, None)
    elif chosen is pick:
        width = view.traced.stages[i].width
        text, ok = QtWidgets.QInputDialog.getText(view, "Show units", f"Two units, 0 to {width - 1} (e.g. 0, 1):")
        if ok:
            try:
                view.use_units(i, [int(t) for t in text.replace(",", " ").split()][:2])
            except ValueError as exc:
                view._set_notice(str(exc))
    elif chosen is save:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(view, "Save image", "layers.png",
                                                        "PNG (*.png);;SVG (*.svg)")
        if path:
            view.export_image(path)
