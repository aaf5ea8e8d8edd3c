"""When a view should put off its heavy work: it is in a shown window but cannot be seen.

At a run's start the session hands the run to every view in one event-loop turn; a view
that builds its plots, its network or a PCA there stalls the window (an MNIST run: 784
inputs). Views keep the run in ``set_data`` and build on their next ``refresh`` (the
session refreshes only views on screen), or at once when they are in no shown window
(scripts and tests that build a bare view).
"""
from __future__ import annotations

from PySide6 import QtWidgets



def behind_tab(widget: QtWidgets.QWidget) -> bool:
    """True if ``widget`` is shown but none of it can be seen: its dock is a tab behind another.

    Qt 6.11 keeps tabified docks behind the front tab "visible" (``isVisible()`` stays
    True), so a visibility test alone redraws every tab. Views return early from
    ``refresh`` then; the dock's ``visibilityChanged`` refreshes them when they come
    to the front. A widget never shown (``isVisible()`` False) is not behind a tab.
    """
    return widget.isVisible() and widget.visibleRegion().isEmpty()


def unseen(widget: QtWidgets.QWidget) -> bool:
    """True if ``widget``'s window is shown but none of ``widget`` can be seen.

    That is: its dock is closed or hidden (``isVisible()`` False), or it is a tab
    behind another (:func:`behind_tab`). A widget in no shown window
    is never unseen (it draws at once, as before).
    """
    return widget.window().isVisible() and (not widget.isVisible() or behind_tab(widget))


def in_shown_window(widget: QtWidgets.QWidget) -> bool:
    """Whether ``widget`` belongs to a shown window (then heavy work waits for its ``refresh``)."""
    return widget.window().isVisible()
