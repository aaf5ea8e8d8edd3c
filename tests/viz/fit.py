"""What "fits" means at 1280×800 (issue 16), measured on real widgets: no scroll bar shown around a
view, no plot with axes smaller than :data:`MIN_PLOT` pixels, no cut title or label.

Used by the workspace tests (every view of every workspace in the real window) and by each view's
own layout tests (the view alone at the size its workspace gives it, :data:`SLOTS`).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtWidgets

#: the smallest plot with axes a projected lecture can still read (width, height in pixels)
MIN_PLOT = (150, 110)

#: the space (width, height in px, inside the dock's title and tab bars) each view gets in its
#: workspace at 1280×800; see viz.app.layout.workspaces
SLOTS = {
    "network": (440, 620), "boundary": (540, 380), "curves": (540, 230),
    "layers": (740, 620), "stages": (500, 300), "separability": (500, 260), "inspector": (500, 260),
    "lab": (500, 260), "fit_curve": (540, 380), "fit_surface": (540, 380),
    "surface": (680, 620), "slice": (560, 290), "race": (560, 260),
    "weights": (620, 620), "distributions": (620, 620),
    "digits": (620, 590), "draw": (620, 590), "tensor_lab": (620, 590), "tiles": (620, 590),
    "confusion": (620, 590), "errors": (620, 590), "digit_map": (620, 590),
}


def _shown(widget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def small_plots(widget, min_size=MIN_PLOT) -> list[str]:
    """Every shown pyqtgraph plot (a PlotItem with at least one axis shown; colour bars are not plots)
    inside ``widget`` drawn smaller than ``min_size``, described as ``"title: W×H"``.

    A frameless GraphicsView's own visible region is empty (its viewport covers it): the viewport's
    says whether the plot is on screen."""
    out = []
    for view in widget.findChildren(pg.GraphicsView):
        if not _shown(view) or view.viewport().visibleRegion().isEmpty():
            continue
        for item in view.scene().items():
            if not isinstance(item, pg.PlotItem) or isinstance(item, pg.ColorBarItem) or not item.isVisible():
                continue
            if not any(item.getAxis(n).isVisible() for n in ("left", "bottom", "right", "top")):
                continue
            rect = item.mapRectToScene(item.boundingRect())
            size = view.mapFromScene(rect).boundingRect()
            w, h = size.width(), size.height()
            if w < min_size[0] or h < min_size[1]:
                title = item.titleLabel.text if item.titleLabel.isVisible() else ""
                out.append(f"{type(widget).__name__} plot {title!r}: {w}×{h}")
    return out


def scroll_bars(widget) -> list[str]:
    """The scroll areas inside (or being) ``widget`` that show a scroll bar."""
    areas = [widget] if isinstance(widget, QtWidgets.QAbstractScrollArea) else []
    areas += widget.findChildren(QtWidgets.QAbstractScrollArea)
    out = []
    for area in areas:
        if not _shown(area) or isinstance(area, (QtWidgets.QGraphicsView, QtWidgets.QTextEdit,
                                                 QtWidgets.QPlainTextEdit, QtWidgets.QAbstractItemView)):
            continue
        for bar, which in ((area.horizontalScrollBar(), "horizontal"), (area.verticalScrollBar(), "vertical")):
            if bar.isVisible() and bar.maximum() > 0:
                inner = area.widget() if isinstance(area, QtWidgets.QScrollArea) else None
                out.append(f"{which} scroll bar around {type(inner).__name__}")
    return out


def cut_labels(widget) -> list[str]:
    """Shown one-line labels whose text is wider than the label (a cut or elided title), and
    pyqtgraph titles wider than their plot."""
    out = []
    for label in widget.findChildren(QtWidgets.QLabel):
        if not _shown(label) or label.wordWrap() or not label.text() or "<" in label.text():
            continue
        if "\n" in label.text() or label.pixmap() is not None and not label.pixmap().isNull():
            continue
        need = label.fontMetrics().horizontalAdvance(label.text())
        room = label.contentsRect().width() - 2 * label.margin() - label.indent() if label.indent() > 0 \
            else label.contentsRect().width() - 2 * label.margin()
        if need > room + 1:
            out.append(f"label {label.text()!r}: needs {need} px, has {room}")
    for view in widget.findChildren(pg.GraphicsView):
        if not _shown(view) or view.viewport().visibleRegion().isEmpty():
            continue
        for item in view.scene().items():
            if isinstance(item, pg.PlotItem) and item.isVisible() and item.titleLabel.isVisible():
                text_w = item.titleLabel.item.boundingRect().width()
                if item.titleLabel.text and text_w > item.boundingRect().width() + 1:
                    out.append(f"plot title {item.titleLabel.text!r}: needs {text_w:.0f} px, "
                               f"has {item.boundingRect().width():.0f}")
    return out


def misfits(widget, min_size=MIN_PLOT) -> list[str]:
    """Everything in ``widget`` that does not fit: small plots, scroll bars, cut labels."""
    return small_plots(widget, min_size) + scroll_bars(widget) + cut_labels(widget)


def in_slot(qtbot, view, slot: str):
    """``view`` shown alone at the size its workspace gives it (:data:`SLOTS`), laid out."""
    w, h = SLOTS[slot]
    qtbot.addWidget(view)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    QtWidgets.QApplication.processEvents()
    return view
