"""``PaintHold``: the plots wait to paint until the window's layout has settled.

Reset layout, a switch of workspace and presentation mode move and resize the docks over several
turns of the event loop (the new layout, the docks' designed sizes a turn later, the full screen,
the larger font). Every pyqtgraph plot painted at each step: Reset layout painted each plot three
times, entering presentation mode eleven times at five sizes, about a second of the GUI thread in
the monkey (``bench/monkey.py``). While held, the plots do not paint
(:meth:`QWidget.setUpdatesEnabled`); they paint again once neither a held plot nor the window was
resized for :data:`QUIET_MS`, and at the latest :data:`MAX_MS` after the hold began, so nothing
stays frozen. A grab (a screenshot, an export) still renders a held plot as it is.

Only the pyqtgraph views are held, never the window nor an OpenGL view: turning the whole window's
updates off and on with the 3D views live made the app crash as it quit (X11, session 10).
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer, Slot

#: milliseconds without a resize of a held plot or of the window before the plots paint again
QUIET_MS = 60
#: the longest a hold lasts (milliseconds), however the layout goes on changing
MAX_MS = 600

#: what keeps a hold on: a held plot or the window changing size (a layout request alone, as when a
#: status label's text changes while training, resizes nothing)
_RESIZES = (QEvent.Type.Resize, QEvent.Type.WindowStateChange)


class PaintHold(QObject):
    """Holds the paints of every pyqtgraph view in ``window`` while its layout changes.

    >>> hold = PaintHold(window)
    >>> hold.hold(); window.restoreState(state)    # the plots paint once, at their new sizes

    Attributes
    ----------
    held : bool
        True while the plots wait.
    """

    def __init__(self, window):
        super().__init__(window)
        self._window = window
        self._views: list = []
        self._quiet = QTimer(self, singleShot=True, interval=QUIET_MS)
        self._quiet.timeout.connect(self.release)
        self._limit = QTimer(self, singleShot=True, interval=MAX_MS)
        self._limit.timeout.connect(self.release)

    @property
    def held(self) -> bool:
        return bool(self._views)

    def hold(self) -> None:
        """Hold the plots' paints from now until the layout has settled (see the module's text)."""
        if not self._views:
            self._window.installEventFilter(self)
            self._limit.start()
        for view in self._window.findChildren(pg.GraphicsView):
            if view.updatesEnabled() and view not in self._views:
                view.setUpdatesEnabled(False)
                view.installEventFilter(self)
                self._views.append(view)
        self._quiet.start()

    @Slot()
    def release(self) -> None:
        """The plots paint again, each once at its size now (idempotent)."""
        self._quiet.stop()
        self._limit.stop()
        if not self._views:
            return
        views, self._views = self._views, []
        self._window.removeEventFilter(self)
        for view in views:
            try:
                view.removeEventFilter(self)
                view.setUpdatesEnabled(True)
            except RuntimeError:          # deleted meanwhile (a view rebuilt)
                pass

    def eventFilter(self, obj, event) -> bool:
        if event.type() in _RESIZES and self._views:
            self._quiet.start()           # still moving: wait for quiet again
        return False
