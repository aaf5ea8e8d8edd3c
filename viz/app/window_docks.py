"""The main window's docks: which views sit where, the digits tabs for image runs, the default layout.

:class:`DockLayout` is a mixin of :class:`viz.app.main_window.MainWindow` (it uses the
window's ``session``, ``controls``, ``boundary``, ``curves``, ``settings`` and ``actions``).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot

from viz.app import actions as actions_mod
from viz.app import settings as st
from viz.app.lazy_docks import LazyDocks
from viz.views.digits import digits as digits_view
from viz.views.weights import distributions as distributions_view
from viz.views.loss import landscape as landscape_view
from viz.views.uncrumple import layers as layers_view
from viz.views.weights import weights as weights_view

#: dock titles as tabs show them (the View menu uses the same words)
SHORT_TITLES = {"dock_boundary": "Boundary", "dock_stage_player": "Stages", "dock_inspector": "Neuron",
                "dock_layer_lab": "Lab", "dock_separability": "Separability", "dock_distributions": "Distrib.",
                "lossSurfaceDock": "Surface", "optimizerRaceDock": "Race", "slice1dDock": "Slice"}
#: views that need 2-D or 3-D inputs: put away while the digits tabs are shown
PLANAR_DOCKS = ("dock_boundary", "dock_stage_player", "dock_inspector", "dock_layer_lab")


class DockLayout:
    """Dock construction and layout for the main window (a mixin; see the module docstring)."""

    def _build_docks(self, lazy_views: bool) -> None:
        base = actions_mod.build_docks(self, self.controls, self.boundary, self.curves)
        self.dock_controls, self.dock_boundary, self.dock_curves = base
        # the other views: tabs beside the boundary (layers, then the digits shown for MNIST runs) and
        # beside the curves; built now, or (the app) after the window is shown (see viz.app.lazy_docks)
        self.lazy_docks = LazyDocks(self, lazy_views)
        layer_docks = self.lazy_docks.add(layers_view.dock_factories(self), tab_with=self.dock_boundary)
        self.digit_docks = tuple(self.lazy_docks.add(digits_view.dock_factories(self), tab_with=layer_docks[-1]))
        surface_specs = (landscape_view.dock_factories(self) + weights_view.dock_factories(self)
                         + distributions_view.dock_factories(self))
        self.docks = (base + tuple(layer_docks) + self.digit_docks
                      + tuple(self.lazy_docks.add(surface_specs, tab_with=self.dock_curves)))
        for dock in self.digit_docks:
            dock.hide()
        self.dock_boundary.raise_()
        # None until the first run's data arrive: a layout saved during an image run (digits tabs
        # shown, planar ones hidden) is restored as it was, and the first run sets what it needs
        self._digits_shown = None
        for dock, view in ((self.dock_boundary, self.boundary), (self.dock_curves, self.curves)):
            actions_mod.refresh_when_shown(dock, view)
        for dock in self.docks:   # tab labels short enough to read six side by side
            dock.setProperty("fullTitle", dock.windowTitle())   # exports and the View menu say it in full
            dock.setWindowTitle(SHORT_TITLES.get(dock.objectName(), dock.windowTitle()))

    # ---- image runs -----------------------------------------------------------------------------
    def _adapt_docks(self, extras) -> None:
        """An image run (784 inputs) brings the digits tabs forward in place of the views that need
        2-D or 3-D inputs; a 2-D run puts them back."""
        images = extras["data"]["x_train"].shape[1] == 784
        if images != self._digits_shown:
            planar = [d for d in self.docks if d.objectName() in PLANAR_DOCKS]
            for dock in self.digit_docks:
                dock.setVisible(images)
            for dock in planar:
                dock.setVisible(not images)
            (self.digit_docks[0] if images else self.dock_boundary).raise_()
            QTimer.singleShot(0, self, self._tidy_tabs)
        self._digits_shown = images

    # ---- layout ---------------------------------------------------------------------------------
    @Slot()
    def reset_layout(self) -> None:
        """Every dock visible again, in its original place."""
        self.restoreState(self._default_state, st.LAYOUT_VERSION)
        for dock in self.docks:
            dock.setFloating(False)
            digits = dock in self.digit_docks
            planar = dock.objectName() in PLANAR_DOCKS
            dock.setVisible(bool(self._digits_shown) if digits else not (planar and self._digits_shown))
        for first in (self.digit_docks[0] if self._digits_shown else self.dock_boundary, self.dock_curves):
            first.raise_()
        self.actions.toolbar.show()
        self._default_sizes()
        QTimer.singleShot(0, self, self._tidy_tabs)

    def _default_sizes(self) -> None:
        """Controls a quarter of the width, the boundary and the curves sharing the rest."""
        width = max(self.width(), 900)
        controls = min(380, width // 4)
        rest = width - controls
        self.resizeDocks([self.dock_controls, self.dock_boundary, self.dock_curves],
                         [controls, rest * 9 // 20, rest * 11 // 20], Qt.Orientation.Horizontal)

    @Slot()
    def _tidy_tabs(self) -> None:
        actions_mod.hide_stray_tab_bars(self)

    @property
    def extra_views(self) -> list:
        """The views built so far besides the curves and the boundary."""
        return self.lazy_docks.views

