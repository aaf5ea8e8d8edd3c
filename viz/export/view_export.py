"""Export one view as a figure, PNG or SVG: a File submenu listing every dock, and a right-click on a
dock's title or tab.

A figure is the view's plots and legends only, on white, without its buttons, boxes and hint
text: PNG at twice the size on screen, or SVG (:func:`viz.export.white_export.save_figure_png`,
:func:`~viz.export.white_export.save_figure_svg`).

``export_view_menu(window)`` gives a "Export view" menu with one entry per view dock
(its full title), each asking for a file name (``<slug>.png`` by default; ``.svg``
writes SVG) and saving that dock's view (:func:`~viz.export.export_all.dock_content`). ``export_dock(dock, path)`` does the saving
for scripts and tests: a dock that is a tab behind another, or closed, is brought to
the front (or shown) for the picture and put back afterwards.

``install_context_export(window)`` adds "Export this view as PNG (2×)…" and "… as SVG…" on
top of the window's usual dock menu when the user right-clicks a dock's title bar or
its tab (the views' own right-click menus, inside the plots, are left alone).

A view with thousands of scatter points is saved as PNG even when SVG is asked for (the
status bar says so): Qt's SVG painter would embed every point as a picture of its own.
"""
from __future__ import annotations

import os
import weakref

from PySide6 import QtCore, QtGui, QtWidgets

from viz.export.export_all import SAVERS, bring_forward, dock_content, slug, svg_refusal, tabs_put_back, view_docks
from viz.export.white_export import FIGURE_SCALE, save_figure_png

IMAGE_FILTERS = {"png": "PNG image, twice the size on screen (*.png)", "svg": "SVG drawing (*.svg)"}
#: the right-click menu's entries, by format
CONTEXT_TEXTS = {"png": "Export this view as PNG (2×)…", "svg": "Export this view as SVG…"}


def full_title(dock: QtWidgets.QDockWidget) -> str:
    """The dock's title in full (the tab may show a short one)."""
    return dock.property("fullTitle") or dock.windowTitle()


def _main_window(dock):
    w = dock.parentWidget()
    while w is not None and not isinstance(w, QtWidgets.QMainWindow):
        w = w.parentWidget()
    return w


def export_dock(dock: QtWidgets.QDockWidget, path: str, scale: float = FIGURE_SCALE) -> str:
    """Save ``dock``'s view to ``path`` as a figure on white (its plots and legends): SVG for a
    ``.svg`` name, else PNG ``scale`` times the size on screen; the path written, or "" when
    nothing was.

    A dock behind another tab is raised for the picture, a closed one shown, and the
    window's tabs and closed docks are put back as they were. A view with more than
    :data:`viz.export.export_all.MAX_SVG_POINTS` scatter points asked for as SVG is written as
    PNG next to it (``<stem>.png``, see :func:`viz.export.export_all.svg_refusal`).
    """
    path = str(path)
    fmt = "svg" if path.lower().endswith(".svg") else "png"
    if fmt == "png" and not path.lower().endswith(".png"):
        path += ".png"
    content = dock_content(dock)
    if content is None:
        return False
    window = _main_window(dock)
    group = view_docks(window) if window is not None else []
    with tabs_put_back(group if dock in group else [*group, dock]):
        bring_forward(dock, content)
        if fmt == "svg" and svg_refusal(content):
            fmt, path = "png", os.path.splitext(path)[0] + ".png"
        saved = save_figure_png(content, path, scale) if fmt == "png" else SAVERS[fmt](content, path)
        return path if saved else ""


def ask_and_export(dock: QtWidgets.QDockWidget, fmt: str = "png", parent=None) -> str:
    """Ask for a file name (``<slug>.<fmt>`` by default) and save ``dock``'s view; the path, or "" if not saved."""
    parent = parent or _main_window(dock) or dock
    filters = [IMAGE_FILTERS[fmt]] + [f for k, f in IMAGE_FILTERS.items() if k != fmt]
    path, chosen = QtWidgets.QFileDialog.getSaveFileName(parent, f"Export {full_title(dock)}",
                                                         f"{slug(full_title(dock))}.{fmt}", ";;".join(filters))
    if not path:
        return ""
    if not os.path.splitext(path)[1]:
        path += ".svg" if chosen == IMAGE_FILTERS["svg"] else ".png"
    written = export_dock(dock, path)
    if written:
        refusal = svg_refusal(dock_content(dock)) if written != path else ""
        bar = getattr(parent, "statusBar", None)
        if callable(bar):
            bar().showMessage(f"Saved {written}" + (f" as PNG ({refusal})" if refusal else ""), 8000)
        return written
    QtWidgets.QMessageBox.warning(parent, "Export view", f"Could not write {path}.")
    return ""


class _ExportViewMenu(QtWidgets.QMenu):
    """The "Export view" menu; it holds its window weakly (a closure in a Qt connection would
    keep a closed window alive)."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__("Export &view", window)
        self._window = weakref.ref(window)
        self.setToolTipsVisible(True)
        tip = "Save one view's plots and legends on white: a PNG picture twice the size on screen, or an SVG drawing."
        self.setToolTip(tip)
        self.menuAction().setStatusTip(tip)
        self.aboutToShow.connect(self.fill)
        self.fill()

    @QtCore.Slot()
    def fill(self) -> None:
        self.clear()
        window = self._window()
        if window is None:
            return
        for dock in view_docks(window):
            title = full_title(dock)
            closed = "" if dock.toggleViewAction().isChecked() else " (closed)"
            act = self.addAction(f"{title}{closed}…")
            act.setToolTip(f"Save the {title} view's plots as PNG (twice the size on screen) or SVG "
                           "(by the file name's suffix).")
            act.setStatusTip(act.toolTip())
            act.setData(dock.objectName())
            act.triggered.connect(self._export)

    @QtCore.Slot()
    def _export(self) -> None:
        act, window = self.sender(), self._window()
        if act is None or window is None:
            return
        dock = window.findChild(QtWidgets.QDockWidget, act.data())
        if dock is not None:
            ask_and_export(dock, "png", window)


def export_view_menu(window: QtWidgets.QMainWindow) -> QtWidgets.QMenu:
    """A menu "Export view" with one entry per view dock of ``window``, rebuilt each time it opens."""
    return _ExportViewMenu(window)


# ---- right-click on a dock's title bar or tab ----------------------------------------------------
class ContextExport(QtCore.QObject):
    """The event filter of :func:`install_context_export`; ``menu_at(pos)`` builds the menu (for tests)."""

    def __init__(self, window):
        super().__init__(window)
        self._window = weakref.ref(window)   # weakly: the window owns this filter

    @property
    def window(self):
        ref = self.__dict__.get("_window")    # None while the interpreter tears the objects down
        return ref() if ref is not None else None

    def dock_at(self, pos: QtCore.QPoint):
        """The view dock whose title bar or tab is at window point ``pos``, else None."""
        child = self.window.childAt(pos)
        if isinstance(child, QtWidgets.QTabBar) and child.parentWidget() is self.window:
            index = child.tabAt(child.mapFrom(self.window, pos))
            text = child.tabText(index) if index >= 0 else None
            return next((d for d in view_docks(self.window) if d.windowTitle() == text), None)
        while child is not None and not isinstance(child, QtWidgets.QDockWidget):
            child = child.parentWidget()
        if child is None or child not in view_docks(self.window):
            return None
        content = child.widget()
        inside = content is not None and content.isVisible() and content.geometry().contains(
            child.mapFrom(self.window, pos))
        return None if inside else child

    def menu_at(self, pos: QtCore.QPoint):
        """The menu for a right-click at window point ``pos``: the exports, then the window's own dock menu."""
        dock = self.dock_at(pos)
        if dock is None:
            return None
        menu = self.window.createPopupMenu() or QtWidgets.QMenu(self.window)
        first = menu.actions()[0] if menu.actions() else None
        for fmt, text in CONTEXT_TEXTS.items():
            act = QtGui.QAction(text, menu)
            act.setStatusTip(f"Save the {full_title(dock)} view's plots and legends as {fmt.upper()} on white.")
            act.triggered.connect(lambda _=False, d=dock, f=fmt: ask_and_export(d, f, self.window))
            menu.insertAction(first, act)
        if first is not None:
            menu.insertSeparator(first)
        return menu

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QtCore.QEvent.Type.ContextMenu and obj is not None and obj is self.window:
            menu = self.menu_at(event.pos())
            if menu is not None:
                menu.exec(event.globalPos())
                menu.deleteLater()
                return True
        return False


def install_context_export(window: QtWidgets.QMainWindow) -> ContextExport:
    """Right-clicking a view dock's title bar or tab offers to export that view; returns the filter."""
    filt = ContextExport(window)
    window.installEventFilter(filt)
    return filt
