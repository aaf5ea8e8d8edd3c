"""The app's views: each a QWidget with ``clear()``, ``add_snapshot(snap)`` and ``refresh()``.

``add_snapshot`` only buffers; ``refresh`` (called by the session's redraw timer)
draws, and only when something changed.
"""
from viz.views.training.boundary import BoundaryView
from viz.views.training.curves import CurvesView

__all__ = ["BoundaryView", "CurvesView"]
