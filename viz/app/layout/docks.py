"""The dock registry: every dock of the main window in one table, and the views it builds, wired.

:data:`DOCKS` lists each dock once, in the order the window creates them (the order of the
View menu): its ``objectName`` (saved layouts find docks by
it), its full title (the View menu's tooltip, exports), the short title its tab shows, the view
class it holds (imported only when the view is built) and which runs it suits. Where the docks sit
is the workspaces' business (:mod:`viz.app.layout.workspaces`).

:class:`ViewMaker` builds those views for one window, with the wiring some of them need: a
click on a Layers panel moves the stage player there, a click on a Network unit picks the Neuron
view's unit, the digits views share one
:class:`~viz.views.digits.digits_run.DigitsRun`, and the loss surface's worker thread is joined
when the window closes.
"""
from __future__ import annotations

import dataclasses
import importlib

from PySide6.QtCore import QEvent, QObject

#: which runs a dock suits: every run; classification runs with 2-D or 3-D inputs; image runs (784
#: inputs); regression runs with one input (a curve to fit); other regression runs (a surface to fit).
#: The window shows the docks that suit the run's kind (:func:`run_kind`) and hides the others: the
#: image docks in place of the planar ones during an image run, the fit of a curve or a surface in
#: place of the decision boundary during a regression run.
ALL, PLANAR, IMAGES, CURVE, SURFACE = "all", "planar", "images", "curve", "surface"
#: the kinds of run (every ``suits`` value but ALL)
KINDS = (PLANAR, IMAGES, CURVE, SURFACE)


def run_kind(run) -> str:
    """The kind of ``run`` (a :class:`core.run.messages.RunData`, or None before any run): IMAGES,
    CURVE (regression on one input), SURFACE (regression on more) or PLANAR (the other runs)."""
    if run is None:
        return PLANAR
    if run.is_images:
        return IMAGES
    if run.is_regression:
        return CURVE if run.input_dim == 1 else SURFACE
    return PLANAR


@dataclasses.dataclass(frozen=True)
class DockSpec:
    """One dock of the main window.

    Parameters
    ----------
    name : str
        The dock's ``objectName``: a saved layout (``QMainWindow.restoreState``) finds it by this.
    title : str
        The full title (tooltips, exports).
    module, cls : str
        The view: class ``cls`` of module ``module``, imported when the view is first built.
    suits : {ALL, PLANAR, IMAGES, CURVE, SURFACE}
        Which runs it suits (ALL, or the one kind of run of :func:`run_kind` it is shown for).
    tab : str
        What its tab (and the View menu) shows; default: the full title.
    """

    name: str
    title: str
    module: str
    cls: str
    suits: str = ALL
    tab: str = ""

    def __post_init__(self):
        if self.suits not in (ALL, *KINDS):
            raise ValueError(f"Argument `suits` must be one of {', '.join(map(repr, (ALL, *KINDS)))}. "
                             f"Received: suits={self.suits!r}")
        if not self.tab:
            object.__setattr__(self, "tab", self.title)

    def suits_kind(self, kind: str) -> bool:
        """Whether the dock is shown for a run of ``kind`` (see :func:`run_kind`)."""
        return self.suits in (ALL, kind)

    def view_class(self) -> type:
        """The view's class (its module imported now, if it was not yet)."""
        return getattr(importlib.import_module(self.module), self.cls)


_UNCRUMPLE, _DIGITS, _LOSS, _WEIGHTS, _REGRESSION = ("viz.views.uncrumple.", "viz.views.digits.",
                                                     "viz.views.loss.", "viz.views.weights.",
                                                     "viz.views.regression.")

#: every dock, in creation order (the View menu's order). :data:`WITH_WINDOW` are built with the
#: window (the controls hold its configuration; the session draws the boundary and the curves from
#: the first snapshot); the others are built by a :class:`ViewMaker`, at once or when first needed
#: (viz.app.layout.lazy_docks).
DOCKS = (
    DockSpec("dock_controls", "Controls", "viz.panels.controls", "ControlsPanel"),
    DockSpec("dock_boundary", "Decision boundary", "viz.views.training.boundary", "BoundaryView",
             PLANAR, tab="Boundary"),
    DockSpec("dock_curves", "Curves", "viz.views.training.curves", "CurvesView"),
    DockSpec("dock_layers", "Layers", _UNCRUMPLE + "layers", "LayersView"),
    DockSpec("dock_stage_player", "Stage player", _UNCRUMPLE + "stage_player", "StagePlayer",
             PLANAR, tab="Stages"),
    DockSpec("dock_separability", "Separability", _UNCRUMPLE + "separability", "SeparabilityView"),
    DockSpec("dock_inspector", "Neuron inspector", _UNCRUMPLE + "inspector", "InspectorView",
             PLANAR, tab="Neuron"),
    DockSpec("dock_layer_lab", "Layer lab", _UNCRUMPLE + "lab", "LabView", PLANAR, tab="Lab"),
    DockSpec("dock_digits", "Digits", _DIGITS + "digits", "SamplesView", IMAGES),
    DockSpec("dock_digit_tiles", "Tiles", _DIGITS + "digit_tiles", "TilesView", IMAGES),
    DockSpec("dock_confusion", "Confusion", _DIGITS + "digits_errors", "ConfusionView", IMAGES),
    DockSpec("dock_digit_errors", "Errors", _DIGITS + "digits_errors", "ErrorsView", IMAGES),
    DockSpec("dock_digit_map", "Digit map", _DIGITS + "digits_map", "DigitMapView", IMAGES),
    DockSpec("dock_draw", "Draw", _DIGITS + "digit_canvas", "DrawView", IMAGES),
    DockSpec("dock_tensor_lab", "Tensor lab", _DIGITS + "tensor_lab", "TensorLab", IMAGES),
    DockSpec("lossSurfaceDock", "Loss surface", _LOSS + "landscape", "LandscapeView", tab="Surface"),
    DockSpec("optimizerRaceDock", "Optimizer race", _LOSS + "race", "RaceView", tab="Race"),
    DockSpec("slice1dDock", "1D slice", _LOSS + "slice1d", "SliceView", tab="Slice"),
    DockSpec("dock_weights", "Weights", _WEIGHTS + "weights", "WeightsView"),
    DockSpec("dock_network", "Network", _WEIGHTS + "network", "NetworkView"),
    DockSpec("dock_distributions", "Distributions", _WEIGHTS + "distributions", "DistributionsView"),
    DockSpec("dock_lessons", "Lessons", "viz.lessons.panel", "LessonsPanel"),
    DockSpec("dock_fit_curve", "Fitted curve", _REGRESSION + "curve_fit", "CurveFitView", CURVE),
    DockSpec("dock_fit_surface", "Fitted surface", _REGRESSION + "surface_fit", "SurfaceFitView", SURFACE),
)

_BY_NAME = {spec.name: spec for spec in DOCKS}


def spec(name: str) -> DockSpec:
    """The dock called ``name`` (its ``objectName``); ``KeyError`` for an unknown one."""
    return _BY_NAME[name]


#: the docks whose widgets the window builds itself
WITH_WINDOW = ("dock_controls", "dock_boundary", "dock_curves")


class _CloseWatcher(QObject):
    """Joins the loss surface's worker thread when its window closes (an event filter on the window)."""

    def __init__(self, view):
        super().__init__(view)
        self._view = view

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Close:
            self._view.shutdown()
        return False


class ViewMaker:
    """Builds the views of :data:`DOCKS` for one window and wires them together.

    Parameters
    ----------
    window : QMainWindow, optional
        Parents the digits views' shared run; its closing joins the loss surface's thread.
        None for views without a window (tests).

    Examples
    --------
    >>> make = ViewMaker(window)
    >>> layers = make(spec("dock_layers"))
    >>> player = make(spec("dock_stage_player"))   # a Layers click now moves the player
    """

    def __init__(self, window: QObject | None = None):
        self._window = window
        self._digits_run = None
        self._built: dict[str, object] = {}

    def __call__(self, dock: DockSpec):
        """A new view for ``dock``, wired to those built before it."""
        cls = dock.view_class()
        view = cls(self.digits_run()) if dock.suits == IMAGES else cls()
        self._built[dock.name] = view
        if dock.name in ("dock_layers", "dock_stage_player"):
            self._link_layers_to_player()
        elif dock.name in ("dock_network", "dock_inspector"):
            self._link_network_to_neuron()
        elif dock.name == "lossSurfaceDock" and self._window is not None:
            self._window.installEventFilter(_CloseWatcher(view))
        return view

    def digits_run(self):
        """The :class:`~viz.views.digits.digits_run.DigitsRun` every digits view shares."""
        if self._digits_run is None:
            from viz.views.digits.digits_run import DigitsRun
            self._digits_run = DigitsRun(self._window)
        return self._digits_run

    def _link_layers_to_player(self) -> None:
        """Once both are built (whichever first): a click on a Layers panel moves the stage player there."""
        layers, player = self._built.get("dock_layers"), self._built.get("dock_stage_player")
        if layers is not None and player is not None:
            layers.stage_clicked.connect(lambda i: player.set_position(float(i)))

    def _link_network_to_neuron(self) -> None:
        """Once both are built: a click on a unit of the Network view shows it in the Neuron view."""
        network, neuron = self._built.get("dock_network"), self._built.get("dock_inspector")
        if network is not None and neuron is not None:
            network.unit_clicked.connect(neuron.select_unit)
