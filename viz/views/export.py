"""Saving a view: PNG or SVG pictures of a widget, and the save-file dialog.

Shared by the optimizer race, the loss-surface view and the 1D slice.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


def export_png(widget: QtWidgets.QWidget, path: str) -> bool:
    """Save a picture of ``widget`` as PNG; returns whether it was written."""
    return bool(widget.grab().save(str(path), "PNG"))


def export_svg(widget: QtWidgets.QWidget, path: str) -> bool:
    """Save ``widget`` as SVG (vector lines and text; heat maps stay bitmaps)."""
    from PySide6.QtSvg import QSvgGenerator
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(widget.size())
    gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
    gen.setResolution(widget.logicalDpiX())     # else text and plot items scale apart
    painter = QtGui.QPainter(gen)
    try:
        widget.render(painter)
    finally:
        ok = painter.end()
    return bool(ok)


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
