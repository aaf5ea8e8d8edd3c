"""The view docks beside the boundary and the curves, built when they are first needed.

Building every view takes the window ~0.9 s (twenty views, ~50 plots); the app shows
its window first with the controls, the curves and the boundary, then builds the
other views one at a time while the event loop is idle, and at once any whose dock
the user brings to the front. A view built late is registered with the session like
any other and is handed the run's data and its newest weights, so it draws what the
others draw.

:class:`LazyDocks` takes ``(title, objectName, factory)`` specs, where ``factory``
is a view class or any callable returning the view (or an already built widget).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QWidget

from viz.app import actions as actions_mod

#: milliseconds between two background builds: input and paints get through in between
IDLE_BUILD_MS = 15


class LazyDocks(QObject):
    """Docks whose views are built now (``lazy=False``) or on first sight / when idle.

    Parameters
    ----------
    window : QMainWindow
        Has ``session`` (a :class:`viz.run.session.Session`).
    lazy : bool
        Put a placeholder in each dock and build its view later.

    Signals
    -------
    built(object)
        A view was built and registered (its dock holds it now).
    """

    built = Signal(object)

    def __init__(self, window, lazy: bool):
        super().__init__(window)
        self._window = window
        self.lazy = bool(lazy)
        self.views: list = []          # built views, in build order
        self._pending: dict = {}       # dock -> factory, in build order
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(IDLE_BUILD_MS)
        self._idle.timeout.connect(self._build_next)

    @property
    def pending(self) -> int:
        """How many views are still to be built."""
        return len(self._pending)

    def add(self, specs, tab_with) -> list:
        """Docks for ``specs`` as tabs beside ``tab_with``; returns the docks (views not registered yet)."""
        items = []
        for title, name, make in specs:
            if not isinstance(make, QWidget) and self.lazy:
                holder = QLabel(f"Preparing the {title} view…")
                holder.setAlignment(Qt.AlignmentFlag.AlignCenter)
                holder.setObjectName("lazy_placeholder")
                items.append((title, name, holder, make))
            else:
                view = make if isinstance(make, QWidget) else make()
                items.append((title, name, view, None))
        docks = actions_mod.add_view_docks(self._window, [(t, n, w) for t, n, w, _ in items], tab_with)
        for dock, (_, _, widget, make) in zip(docks, items):
            if make is None:
                self.views.append(widget)
            else:
                self._pending[dock] = make
                dock.visibilityChanged.connect(self._on_visibility)
        return docks

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
        make = self._pending.pop(dock, None)
        if make is None:
            scroll = dock.widget()
            return scroll.widget() if hasattr(scroll, "widget") else scroll
        try:
            dock.visibilityChanged.disconnect(self._on_visibility)
        except (RuntimeError, TypeError):
            pass
        view = make()
        dock.widget().setWidget(view)       # the placeholder goes (the scroll area deletes it)
        actions_mod.refresh_when_shown(dock, view)
        self.views.append(view)
        session = self._window.session
        if hasattr(view, "add_snapshot"):
            session.add_view(view)          # hands it the run's data
            if session.latest_full is not None:
                view.add_snapshot(session.latest_full)
        if hasattr(view, "refresh") and not dock.visibleRegion().isEmpty():
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
