"""Where the main window's docks sit: built from the registry, arranged by workspace, remembered.

Every view is a dock (movable, closable, floatable). The window shows one workspace at a time
(:mod:`viz.app.layout.workspaces`): its docks arranged in columns of tabbed panes, the others hidden.
What the user changes inside a workspace (a dock moved, resized, closed, another one shown) is kept
for that workspace, across switches and launches; View → Reset layout rebuilds the workspace as
designed. The central widget is hidden while docks fill the window; where a workspace has nothing
to show it explains why (:class:`viz.app.layout.empty_workspace.EmptyWorkspace`).
"""
from __future__ import annotations

import contextlib

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget, QScrollArea, QTabBar

from viz.app.layout import docks as registry
from viz.app import settings as st
from viz.app.layout import workspaces as ws
from viz.app.layout.empty_workspace import EmptyWorkspace
from viz.app.layout.lazy_docks import LazyDocks, new_dock, refresh_when_shown
from viz.app.layout.paint_hold import PaintHold

#: the window size the workspaces' pixel sizes are designed for
DESIGN_SIZE = (1280, 800)
#: the width at 1280×800 of a pinned dock's own column (the Lessons panel while a lesson is open),
#: and the least width it keeps there
PINNED_WIDTH, PINNED_MIN_WIDTH = 320, 280
_AREA = Qt.DockWidgetArea.LeftDockWidgetArea


class DockLayout(QObject):
    """The docks of ``window`` and their layout, one workspace at a time.

    Parameters
    ----------
    window : QMainWindow
        Has ``session`` (for the views built late, see :class:`viz.app.layout.lazy_docks.LazyDocks`).
    leads : dict
        The widgets the window builds itself, by dock name (:data:`viz.app.layout.docks.WITH_WINDOW`).
    lazy : bool
        Build the other views once the window is shown (the app), else now.

    Attributes
    ----------
    docks : tuple of QDockWidget
        Every dock, in the registry's order.
    image_docks : tuple of QDockWidget
        The docks for image runs (the digits views).
    lazy : LazyDocks
        Builds the views behind the tabs.
    empty : EmptyWorkspace
        The central widget: shown only where the workspace has no dock to show.
    paint_hold : PaintHold
        Holds the plots' paints while the layout changes (Reset layout, a switch of workspace, a
        pinned dock, a run of another kind; presentation mode uses it too).

    Signals
    -------
    workspace_changed(str)
        Another workspace is shown (its name).
    """

    workspace_changed = Signal(str)

    def __init__(self, window, leads: dict, lazy: bool):
        super().__init__(window)
        self._window = window
        self.empty = EmptyWorkspace()
        window.setCentralWidget(self.empty)
        window.setDockNestingEnabled(True)
        made = {}
        for name in registry.WITH_WINDOW:
            spec = registry.spec(name)
            widget = leads[name]
            made[name] = new_dock(window, spec, self._scrolled(widget) if name == "dock_controls" else widget)
            window.addDockWidget(_AREA, made[name])
            if name != "dock_controls":
                refresh_when_shown(made[name], widget)
        self.lazy = LazyDocks(window, lazy, registry.ViewMaker(window))
        others = [s for s in registry.DOCKS if s.name not in registry.WITH_WINDOW]
        made.update((d.objectName(), d) for d in self.lazy.add(others))
        self.docks = tuple(made[spec.name] for spec in registry.DOCKS)
        self._by_name = made
        self.image_docks = self._suiting(registry.IMAGES)
        self._kind = registry.PLANAR    # the kind of run the docks are shown for (registry.run_kind)
        self._current = ws.DEFAULT
        self._states: dict[str, tuple[str, QByteArray]] = {}   # workspace -> (kind, saved state)
        # one timer, not a singleShot per change: a pending singleShot would keep a closed window alive
        self._empty_timer = QTimer(self, singleShot=True, interval=0)
        self._empty_timer.timeout.connect(self.check_empty)
        for dock in self.docks:
            dock.visibilityChanged.connect(self._later_check_empty)
        self._restored = False          # the layout came from the settings
        self._pinned = None             # a dock shown in every workspace (see pin)
        self._pinned_into: set = set()  # the workspaces pinning put it in (unpinned, it leaves them)
        self.paint_hold = PaintHold(window)
        self.arrange()

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
        return self._by_name[name]

    def suits_run(self, dock) -> bool:
        """Whether ``dock`` suits the kind of run shown (the digits views an image run, the planar
        ones a 2-D or 3-D classification, the fitted curve a 1-D regression, the fitted surface a
        2-D one; see :func:`viz.app.layout.docks.run_kind`)."""
        return registry.spec(dock.objectName()).suits_kind(self._kind)

    @property
    def kind(self) -> str:
        """The kind of run the docks are shown for (:data:`viz.app.layout.docks.KINDS`)."""
        return self._kind

    # ---- workspaces -----------------------------------------------------------------------------
    @property
    def workspace(self) -> str:
        """The name of the workspace shown."""
        return self._current

    def show_workspace(self, name: str) -> None:
        """Show workspace ``name`` as the user left it (as designed the first time); the one shown
        now is remembered as it is."""
        ws.workspace(name)    # a ValueError naming the choices for an unknown one
        if name == self._current:
            return
        self._states[self._current] = (self._kind, self._window.saveState(st.LAYOUT_VERSION))
        self.paint_hold.hold()      # the plots paint once the docks have their places and sizes
        self._current = name
        saved = self._states.get(name)
        if saved is None or not self._window.restoreState(saved[1], st.LAYOUT_VERSION):
            self.arrange()
        elif saved[0] != self._kind:
            self._show_for_run()
        self._place_pinned()
        QTimer.singleShot(0, self, self.tidy_tabs)
        self.workspace_changed.emit(name)

    @contextlib.contextmanager
    def visiting(self):
        """Within the block, ``show_home(dock)`` shows the workspace ``dock`` belongs to; afterwards
        the workspace shown before is back as it was, and every workspace's layout is as it was
        (Export all views draws each view in its workspace)."""
        here = self._current
        states = dict(self._states)
        states[here] = (self._kind, self._window.saveState(st.LAYOUT_VERSION))

        def show_home(dock) -> None:
            self.show_workspace(ws.home_of(dock.objectName()).name)

        try:
            yield show_home
        finally:
            self._states = states
            if self._current != here:
                self._current = here
                self._window.restoreState(states[here][1], st.LAYOUT_VERSION)
                self._place_pinned()
                self.check_empty()
                QTimer.singleShot(0, self, self.tidy_tabs)
                self.workspace_changed.emit(here)
            del self._states[here]

    def arrange(self) -> None:
        """Lay the shown workspace out as designed: its docks in columns of tabbed panes, the first
        of each pane in front, the docks that do not suit the run hidden, every other dock hidden."""
        w = self._window
        space = ws.workspace(self._current)
        names = space.dock_names()
        for dock in self.docks:
            dock.setFloating(False)
            if dock.objectName() not in names:
                dock.hide()
        for name in names:
            w.removeDockWidget(self.dock(name))
        tops = [self.dock(c.panes[0].docks[0]) for c in space.columns]
        w.addDockWidget(_AREA, tops[0])
        for left, right in zip(tops, tops[1:]):
            w.splitDockWidget(left, right, Qt.Orientation.Horizontal)
        for column in space.columns:
            above = self.dock(column.panes[0].docks[0])
            for pane in column.panes[1:]:
                lead = self.dock(pane.docks[0])
                w.splitDockWidget(above, lead, Qt.Orientation.Vertical)
                above = lead
            for pane in column.panes:
                lead = self.dock(pane.docks[0])
                for other in pane.docks[1:]:
                    w.tabifyDockWidget(lead, self.dock(other))
        for name in names:
            self.dock(name).show()
        self._show_for_run()
        self.size_docks()
        self._place_pinned()

    def _show_for_run(self) -> None:
        """In the shown workspace, the docks that suit the run shown and the others hidden; the
        first shown dock of each pane in front."""
        space = ws.workspace(self._current)
        for pane in (p for c in space.columns for p in c.panes):
            docks = [self.dock(n) for n in pane.docks]
            for dock in docks:
                dock.setVisible(self.suits_run(dock))
            front = next((d for d in docks if self.suits_run(d)), None)
            if front is not None:
                front.raise_()
        self._place_pinned()             # an open lesson stays in front
        self.check_empty()

    @Slot()
    def _later_check_empty(self) -> None:
        self._empty_timer.start()

    @Slot()
    def check_empty(self) -> None:
        """Show the central explanation when no dock is shown (the Digits workspace in a 2-D or a
        regression run, or every panel closed), hide it otherwise."""
        if any(d.isVisibleTo(self._window) and not d.isFloating() for d in self.docks):
            self.empty.show_for(None)
        elif self._current == "digits" and self._kind != registry.IMAGES:
            self.empty.show_for("images", self._kind)
        else:
            self.empty.show_for("closed")

    @Slot()
    def size_docks(self) -> None:
        """Give the shown workspace's columns and panes their designed sizes, scaled to the window."""
        w = self._window
        space = ws.workspace(self._current)
        sx = max(w.width(), 640) / DESIGN_SIZE[0]
        sy = max(w.height(), 480) / DESIGN_SIZE[1]
        tops, widths = [], []
        for column in space.columns:
            shown = [self._shown_in(p) for p in column.panes]
            first = next((d for d in shown if d is not None), None)
            if first is not None:
                tops.append(first)
                widths.append(int(column.width * sx))
            panes = [(d, p.height) for d, p in zip(shown, column.panes) if d is not None and p.height]
            if len(panes) > 1:
                w.resizeDocks([d for d, _ in panes], [int(h * sy) for _, h in panes], Qt.Orientation.Vertical)
        if len(tops) > 1:
            w.resizeDocks(tops, widths, Qt.Orientation.Horizontal)

    def _shown_in(self, pane):
        return next((self.dock(n) for n in pane.docks if self.dock(n).isVisibleTo(self._window)), None)

    # ---- a dock in every workspace -------------------------------------------------------------
    @property
    def pinned(self) -> str | None:
        """The dock shown in every workspace (its name), or None."""
        return self._pinned

    def pin(self, name: str | None) -> None:
        """Keep dock ``name`` shown in every workspace (the Lessons panel while a lesson is open), or
        None: no dock is. In each workspace it goes in front of the Controls if they are shown (from
        behind another tab too: the Learn workspace keeps the lessons behind the Network), else in a
        column of its own at the right, :data:`PINNED_WIDTH` wide; where the user then moves it, it stays."""
        if name is not None:
            registry.spec(name)   # KeyError for a dock the registry does not have
        if name != self._pinned:
            self.paint_hold.hold()      # the docks make room for it (or take its place) over two turns
        if name is None and self._pinned is not None:
            self._pinned_into = {(n, self._pinned) for n, _ in self._pinned_into if n != self._current}
            self.dock(self._pinned).setMinimumWidth(0)
        self._pinned = name
        self._place_pinned()

    def _place_pinned(self) -> None:
        """Show the pinned dock in the workspace shown; a dock pinning put here before leaves it, once
        unpinned (it stays in the workspace where it was unpinned, and in those that have it by design)."""
        w = self._window
        if self._pinned is None:
            for entry in [e for e in self._pinned_into if e[0] == self._current]:
                self._pinned_into.discard(entry)
                if entry[1] not in ws.workspace(self._current).dock_names():
                    self.dock(entry[1]).hide()
            return
        dock = self.dock(self._pinned)
        controls = self.dock("dock_controls")
        entry = (self._current, self._pinned)
        beside_controls = controls in w.tabifiedDockWidgets(dock)
        if dock.isVisibleTo(w) and (entry in self._pinned_into or beside_controls or dock.isFloating()):
            self._pinned_into.add(entry)
            dock.raise_()                # where it was put in this workspace (or the user moved it)
            return
        self._pinned_into.add(entry)
        if controls is not dock and controls.isVisibleTo(w) and not controls.isFloating():
            dock.setMinimumWidth(0)
            w.tabifyDockWidget(controls, dock)
            dock.show()
        else:                             # the workspaces use the left area: the right one is free
            w.removeDockWidget(dock)
            dock.setFloating(False)
            dock.setMinimumWidth(PINNED_MIN_WIDTH)       # its text stays readable beside any view
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.show()
            self._size_pinned()
            QTimer.singleShot(0, self, self._size_pinned)    # again once the workspace has its sizes
        dock.raise_()

    @Slot()
    def _size_pinned(self) -> None:
        """The pinned dock's own column :data:`PINNED_WIDTH` wide (scaled to the window)."""
        if self._pinned is None:
            return
        w, dock = self._window, self.dock(self._pinned)
        if w.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea and not dock.isFloating():
            sx = max(w.width(), 640) / DESIGN_SIZE[0]
            w.resizeDocks([dock], [int(PINNED_WIDTH * sx)], Qt.Orientation.Horizontal)

    # ---- the kind of run -------------------------------------------------------------------------
    def show_kind(self, kind: str) -> None:
        """Show the docks that suit a run of ``kind`` (:func:`viz.app.layout.docks.run_kind`) where the
        workspace has them, in place of the others: an image run shows the digits views where a 2-D
        classification shows its boundary, a regression run its fitted curve or surface."""
        if kind not in registry.KINDS:
            raise ValueError(f"Argument `kind` must be one of {', '.join(map(repr, registry.KINDS))}. "
                             f"Received: kind={kind!r}")
        if kind == self._kind:     # what the user closed stays closed
            return
        self._kind = kind
        self.paint_hold.hold()          # other docks in the panes: the plots paint once they are sized
        self._show_for_run()
        QTimer.singleShot(0, self, self.tidy_tabs)

    def show_images(self, images: bool) -> None:
        """:meth:`show_kind` for an image run (``images``) or a 2-D classification."""
        self.show_kind(registry.IMAGES if images else registry.PLANAR)

    # ---- saving ---------------------------------------------------------------------------------
    def restore(self, settings) -> None:
        """Restore the geometry, the workspace shown at the last close and each workspace's layout
        (the designed layout where there is none or it is unusable)."""
        st.restore_geometry(self._window, settings)
        self._states = {}
        for space in ws.WORKSPACES:
            saved = st.load_workspace(settings, space.name)
            if saved is not None:
                self._states[space.name] = (self._saved_kind(saved[0]), saved[1])
        current = st.load_current_workspace(settings)
        if current not in {space.name for space in ws.WORKSPACES}:
            current = ws.DEFAULT
        self._current = current
        saved = self._states.pop(current, None)
        if saved is not None and self._window.restoreState(saved[1], st.LAYOUT_VERSION):
            self._kind = self._saved_kind(saved[0])
            self._restored = True
        else:
            self.arrange()
        self._place_pinned()
        self.workspace_changed.emit(current)

    def save(self, settings) -> None:
        """Store the window's geometry, the workspace shown and every workspace's layout."""
        self._states[self._current] = (self._kind, self._window.saveState(st.LAYOUT_VERSION))
        st.save_geometry(self._window, settings)
        # the settings keep whether a layout was made for an image run (a regression run's is shown
        # for its kind again with its first snapshot)
        st.save_workspaces(settings, self._current,
                           {n: (kind == registry.IMAGES, state) for n, (kind, state) in self._states.items()})

    @staticmethod
    def _saved_kind(saved) -> str:
        """The kind of run a saved layout was made for (older settings hold True for an image run)."""
        if isinstance(saved, str) and saved in registry.KINDS:
            return saved
        return registry.IMAGES if saved is True else registry.PLANAR

    def shown(self) -> None:
        """The window was shown: build the views behind the tabs in the background, tidy the tabs,
        and on a first launch (or with an unusable saved layout) give the docks their sizes."""
        self.lazy.start()
        QTimer.singleShot(0, self, self.tidy_tabs)
        if not self._restored:
            self._restored = True
            QTimer.singleShot(0, self, self.size_docks)

    def reset(self) -> None:
        """The shown workspace as designed again (its docks in their places, none floating)."""
        self._states.pop(self._current, None)
        self.paint_hold.hold()      # each plot painted three times, 1.0-1.2 s in the monkey
        self.arrange()
        QTimer.singleShot(0, self, self.size_docks)
        QTimer.singleShot(0, self, self.tidy_tabs)

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
        if bar.parentWidget() is not window or not bar.isVisible() or not bar.count():
            continue   # an empty bar draws nothing
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
