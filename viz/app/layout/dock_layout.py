"""Where the main window's docks sit: built from the registry, the image docks for image runs, the
default layout at 1280×800 and the one saved at close.

Every view is a dock (movable, closable, floatable): the controls on the left, tabs led by the
decision boundary in the middle and tabs led by the curves on the right (the columns of
:data:`viz.app.docks.DOCKS`). QMainWindow needs a central widget, so it gets a hidden empty one.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QScrollArea, QTabBar, QWidget

from viz.app import docks as registry
from viz.app import settings as st
from viz.app.lazy_docks import LazyDocks, new_dock, refresh_when_shown

#: widths of the controls, the boundary and the curves when the docks are first made
FIRST_WIDTHS = (330, 480, 580)


class DockLayout(QObject):
    """The docks of ``window`` and their layout.

    Parameters
    ----------
    window : QMainWindow
        Has ``session`` (for the views built late, see :class:`viz.app.lazy_docks.LazyDocks`).
    leads : dict
        The widget of each column's first dock, by dock name (``dock_controls``, ``dock_boundary``,
        ``dock_curves``): the window builds them itself.
    lazy : bool
        Build the other views once the window is shown (the app), else now.

    Attributes
    ----------
    docks : tuple of QDockWidget
        Every dock, in the registry's order.
    image_docks, planar_docks : tuple of QDockWidget
        The docks for image runs (the digits views), and those for runs with 2-D or 3-D inputs.
    lazy : LazyDocks
        Builds the views behind the tabs.
    """

    def __init__(self, window, leads: dict, lazy: bool):
        super().__init__(window)
        self._window = window
        placeholder = QWidget()
        placeholder.setObjectName("central_placeholder")
        placeholder.setMaximumSize(0, 0)
        placeholder.hide()
        window.setCentralWidget(placeholder)
        window.setDockNestingEnabled(True)
        first = [new_dock(window, spec, self._scrolled(leads[spec.name]) if spec.column == registry.LEFT
                          else leads[spec.name]) for spec in registry.column_leads()]
        by_column = {spec.column: dock for spec, dock in zip(registry.column_leads(), first)}
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, by_column[registry.LEFT])
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, by_column[registry.MIDDLE])
        window.splitDockWidget(by_column[registry.MIDDLE], by_column[registry.RIGHT], Qt.Orientation.Horizontal)
        window.resizeDocks(first, list(FIRST_WIDTHS), Qt.Orientation.Horizontal)
        # the other views: tabs behind each column's first; built now, or (the app) after the window is
        # shown (see viz.app.lazy_docks)
        self.lazy = LazyDocks(window, lazy, registry.ViewMaker(window))
        made = {d.objectName(): d for d in first}
        for column in (registry.MIDDLE, registry.RIGHT):
            tabs = self.lazy.add(registry.tabbed(column), tab_with=by_column[column])
            made.update((d.objectName(), d) for d in tabs)
        self.docks = tuple(made[spec.name] for spec in registry.DOCKS)
        self.image_docks = self._suiting(registry.IMAGES)
        self.planar_docks = self._suiting(registry.PLANAR)
        for dock in self.image_docks:
            dock.hide()
        self.dock("dock_boundary").raise_()
        # None until the first run's data arrive: a layout saved during an image run (digits tabs
        # shown, planar ones hidden) is restored as it was, and the first run sets what it needs
        self._images_shown = None
        for spec in registry.column_leads()[1:]:
            refresh_when_shown(made[spec.name], leads[spec.name])
        self._default_state = None
        self._restored = False

    @staticmethod
    def _scrolled(controls) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(controls.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        return scroll

    def _suiting(self, suits: str) -> tuple:
        names = {spec.name for spec in registry.DOCKS if spec.suits == suits}
        return tuple(d for d in self.docks if d.objectName() in names)

    def dock(self, name: str) -> QDockWidget:
        """The dock whose ``objectName`` is ``name``."""
        return next(d for d in self.docks if d.objectName() == name)

    # ---- image runs -----------------------------------------------------------------------------
    def show_images(self, images: bool) -> None:
        """An image run brings the digits tabs forward in place of the views that need 2-D or 3-D
        inputs; a 2-D run puts them back."""
        if images != self._images_shown:
            for dock in self.image_docks:
                dock.setVisible(images)
            for dock in self.planar_docks:
                dock.setVisible(not images)
            (self.image_docks[0] if images else self.dock("dock_boundary")).raise_()
            QTimer.singleShot(0, self, self.tidy_tabs)
        self._images_shown = images

    # ---- layout ---------------------------------------------------------------------------------
    def restore(self, settings) -> None:
        """Keep the layout as built for :meth:`reset`, then restore the geometry and docks saved at
        the last close (a visible default when there are none or they are unusable)."""
        self._default_state = self._window.saveState(st.LAYOUT_VERSION)
        self._restored = st.restore_window(self._window, settings)

    def save(self, settings) -> None:
        """Store the window's geometry and dock layout for the next launch."""
        st.save_window(self._window, settings)

    def shown(self) -> None:
        """The window was shown: build the views behind the tabs in the background, tidy the tabs,
        and on a first launch (or with an unusable saved layout) give the docks sensible sizes."""
        self.lazy.start()
        QTimer.singleShot(0, self, self.tidy_tabs)
        if not self._restored:
            self._restored = True
            QTimer.singleShot(0, self, self.default_sizes)

    def reset(self) -> None:
        """Every dock visible again, in its original place (the image docks for an image run)."""
        self._window.restoreState(self._default_state, st.LAYOUT_VERSION)
        images = bool(self._images_shown)
        for dock in self.docks:
            dock.setFloating(False)
            if dock in self.image_docks:
                dock.setVisible(images)
            else:
                dock.setVisible(not (images and dock in self.planar_docks))
        for first in (self.image_docks[0] if images else self.dock("dock_boundary"), self.dock("dock_curves")):
            first.raise_()
        self.default_sizes()
        QTimer.singleShot(0, self, self.tidy_tabs)

    @Slot()
    def default_sizes(self) -> None:
        """Controls a quarter of the width, the boundary and the curves sharing the rest."""
        width = max(self._window.width(), 900)
        controls = min(380, width // 4)
        rest = width - controls
        self._window.resizeDocks([self.dock(s.name) for s in registry.column_leads()],
                                 [controls, rest * 9 // 20, rest * 11 // 20], Qt.Orientation.Horizontal)

    @Slot()
    def tidy_tabs(self) -> None:
        """Hide the stray tab bars a restored layout leaves (see :func:`hide_stray_tab_bars`)."""
        hide_stray_tab_bars(self._window)


def hide_stray_tab_bars(window) -> int:
    """Hide the dock tab bars Qt leaves behind after ``restoreState`` (they float over the views).

    A live tab bar sits right under the dock in front of its group; a stray one (stale tab
    texts, drawn mid-window) sits under no dock. Returns how many were hidden.
    """
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    hidden = 0
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is not window or not bar.isVisible():
            continue
        g = bar.geometry()
        texts = {bar.tabText(i) for i in range(bar.count())}
        under_a_dock = any(abs(d.geometry().bottom() + 1 - g.top()) <= 3 and d.windowTitle() in texts
                           and d.geometry().left() <= g.left() + 3 and g.left() <= d.geometry().right()
                           for d in docks)
        if not under_a_dock:
            bar.hide()
            hidden += 1
        else:   # whole titles, scrolled with the arrows when they do not fit ("D…" tells nothing)
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
    return hidden
