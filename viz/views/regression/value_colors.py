"""The colour scale of a fitted value (a regression target or the network's output), shared by the
2-D map and the 3-D mesh so that a point's colour and the surface's colour mean the same number.

It is the app's diverging map at full strength (class 0's blue for low values, white at 0, class 1's
orange for high ones) on levels symmetric about 0, as the uncrumpling views colour a regression
run's points by target and the Network view draws its units: one value, one colour, in every view.
"""
from __future__ import annotations

import pyqtgraph as pg

from viz import style


def surface_colormap() -> pg.ColorMap:
    """Blue (low) → white (0) → orange (high): :func:`viz.style.diverging_colormap` at full strength."""
    return style.diverging_colormap(strength=1.0)
