"""The view docks besides the window's own: each a scrollable dock, its view built at once or when first needed.

Building every view takes the window ~0.9 s (twenty views, ~50 plots); the app shows
its window first with the controls, the curves and the boundary, then builds the
other views one at a time while the event loop is idle, and at once any whose dock
the user brings to the front. A view built late is registered with the session like
any other and is handed the run's data and its newest weights, so it draws what the
others draw.

:class:`LazyDocks` takes :class:`viz.app.layout.docks.DockSpec` entries and a ``make(spec)`` that
builds a spec's view (a :class:`viz.app.layout.docks.ViewMaker`).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea

#: milliseconds between two background builds: input and paints get through in between
IDLE_BUILD_MS = 15
#: what the user may do with every dock
DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable)


class ViewArea(QScrollArea):
    """A view's scroll area that scrolls only when the dock is smaller than the view's minimum size.

    QScrollArea's own resizing asks a widget with a word-wrapped label for its height for the
    width, which pyqtgraph views answer with their preferred height (~500 px): scroll bars around
    views that fit. Here the view gets the viewport's size, or its minimum where that is larger.
    """

    def __init__(self, view=None):
        super().__init__()
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidgetResizable(False)
        if view is not None:
            self.setWidget(view)

    def setWidget(self, view) -> None:  # noqa: N802 - Qt override
        """Hold ``view`` (the one before is deleted, as QScrollArea does)."""
        super().setWidget(view)
        view.installEventFilter(self)
        self._fit()

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self._fit)
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    @Slot()
    def _fit(self) -> None:
        view = self.widget()
        if view is None:
            return
        least = view.minimumSizeHint().expandedTo(view.minimumSize())
        port = self.maximumViewportSize()           # without scroll bars
        size = QSize(max(port.width(), least.width()), max(port.height(), least.height()))
        if size.width() > port.width():            # a horizontal bar takes height from the viewport
            size.setHeight(max(port.height() - self.horizontalScrollBar().sizeHint().height(), least.height()))
        if size.height() > port.height():
            size.setWidth(max(port.width() - self.verticalScrollBar().sizeHint().width(), least.width()))
        if view.size() != size:
            view.resize(size)


def new_dock(window, spec, widget) -> QDockWidget:
    """A dock of ``window`` for ``spec`` (its tab title, objectName and full title) holding ``widget``."""
    dock = QDockWidget(spec.tab, window)
    dock.setObjectName(spec.name)
    dock.setProperty("fullTitle", spec.title)     # exports say it in full; the tab and View menu, short
    dock.setWidget(widget)
    dock.setFeatures(DOCK_FEATURES)
    return dock


def refresh_when_shown(dock, view) -> None:
    """Redraw a dock's view when it comes to the front (it was skipped while hidden).

    In the main window the session's redrawer does it, one view per step: "Reset layout"
    shows a dozen docks at once, and refreshing them all inside that click froze the
    window for ~2 s on an MNIST run (the monkey). Elsewhere the view refreshes at once.
    """
    def shown(visible: bool) -> None:
        if not visible:
            return
        session = getattr(dock.parent(), "session", None)
        if session is not None and not session.closed:
            session.redrawer.request()
        else:
            view.refresh()

    dock.visibilityChanged.connect(shown)


class LazyDocks(QObject):
    """Docks whose views are built now (``lazy=False``) or on first sight / when idle.

    Parameters
    ----------
    window : QMainWindow
        Has ``session`` (a :class:`viz.run.session.Session`).
    lazy : bool
        Put a placeholder in each dock and build its view later.
    make : callable
        ``make(spec)`` builds the view of a :class:`viz.app.layout.docks.DockSpec`.

    Signals
    -------
    built(object)
        A view was built and registered (its dock holds it now).
    """

    built = Signal(object)

    def __init__(self, window, lazy: bool, make):
        super().__init__(window)
        self._window = window
        self._make = make
        self.lazy = bool(lazy)
        self.views: list = []          # built views, in build order
        self._pending: dict = {}       # dock -> spec, in build order
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_BUILD_MS)
        self._idle.timeout.connect(self._build_next)

    @property
    def pending(self) -> int:
        """How many views are still to be built."""
        return len(self._pending)

    def add(self, specs) -> list:
        """Docks for ``specs``, in the window's dock area (the workspace puts them in place);
        returns the docks (views not registered yet).

        Each view scrolls in its dock, so one view's controls never force a wide window (1280x800
        must fit). Only the tab in front is drawn: a view whose dock is hidden behind another tab
        is skipped by the session's redraws and refreshed when it comes to the front.
        """
        widgets = [self._placeholder(spec) if self.lazy else self._make(spec) for spec in specs]
        docks = []
        for spec, widget in zip(specs, widgets):
            dock = new_dock(self._window, spec, ViewArea(widget))
            refresh_when_shown(dock, widget)
            self._window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            docks.append(dock)
        for dock, spec, widget in zip(docks, specs, widgets):
            if self.lazy:
                self._pending[dock] = spec
                dock.visibilityChanged.connect(self._on_visibility)
            else:
                self.views.append(widget)
        return docks

    @staticmethod
    def _placeholder(spec) -> QLabel:
        """What a dock shows until its view is built (a fast eye sees words, not a blank tab)."""
        holder = QLabel(f"Preparing the {spec.title} view…")
        holder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        holder.setObjectName("lazy_placeholder")
        return holder

    def register_built(self) -> None:
        """Register the views built so far with the session (the eager path, after wiring)."""
        for view in self.views:
            if hasattr(view, "add_snapshot"):
                self._window.session.add_view(view)

    def start(self) -> None:
        """Begin building the pending views in the background (call once the window is shown)."""
        if self._pending and not self._idle.isActive():
            self._idle.start()

    def build_all(self) -> None:
        """Build every pending view now (before an export, a screenshot, a test)."""
        for dock in list(self._pending):
            self.ensure(dock)

    def ensure(self, dock):
        """The view in ``dock``, built now if it was pending (None for a dock this does not hold)."""
        spec = self._pending.pop(dock, None)
        if spec is None:
            scroll = dock.widget()
            return scroll.widget() if hasattr(scroll, "widget") else scroll
        try:
            dock.visibilityChanged.disconnect(self._on_visibility)
        except (RuntimeError, TypeError):
            pass
        view = self._make(spec)
        dock.widget().setWidget(view)       # the placeholder goes (the scroll area deletes it)
        refresh_when_shown(dock, view)
        self.views.append(view)
        session = self._window.session
        session.add_view(view)              # hands it the run's data
        if session.latest_full is not None:
            view.add_snapshot(session.latest_full)
        if not dock.visibleRegion().isEmpty():
            view.refresh()
        self.built.emit(view)
        return view

    @Slot(bool)
    def _on_visibility(self, visible: bool) -> None:
        dock = self.sender()
        if visible and dock in self._pending:
            # after the dock has its size: a view built at 0x0 lays itself out twice
            QTimer.singleShot(0, self, lambda d=dock: d in self._pending and self.ensure(d))

    @Slot()
    def _build_next(self) -> None:
        if self._window.session.closed or not self._pending:
            return
        self.ensure(next(iter(self._pending)))
        if self._pending:
            self._idle.start()
