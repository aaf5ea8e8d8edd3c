"""The workspaces: a few full-window layouts of the docks, each telling one part of the story.

A learner does not need twenty views at once. Each workspace shows a handful, large enough to read at
1280×800 (and usable at 1024×768 on a projector):

========== =================================================================================
Learn      the controls, the network with a picture per unit (the lessons behind a tab), the
           decision boundary, the curves
Uncrumple  what each layer does to the data: the layers stage by stage, the stage player,
           separability, one neuron, the layer lab
Descend    gradient descent: the loss surface with the path, a 1-D slice, the optimizer race
Inside     the numbers: every weight matrix, the distributions and a gradient check
Digits     an image run (MNIST): samples, drawing, tensors, tiles, confusion, errors, the map
========== =================================================================================

A workspace is columns of panes, left to right; a pane is docks tabbed together, the first in front.
Sizes are pixels at 1280×800 and scale with the window. Docks that do not suit the run (the boundary
in an image or a regression run, the digits views in a 2-D one) are hidden in their pane, so the Learn
workspace shows the digit samples where a 2-D run shows its boundary, and a regression run's fitted
curve (1-D data) or fitted surface (2-D) there.
"""
from __future__ import annotations

import dataclasses

from viz.app.layout import docks as registry


@dataclasses.dataclass(frozen=True)
class Pane:
    """Docks tabbed together (``objectName`` s, the first in front) and the pane's height in pixels
    at 1280×800."""

    docks: tuple
    height: int = 0


@dataclasses.dataclass(frozen=True)
class Column:
    """Panes stacked top to bottom, and the column's width in pixels at 1280×800."""

    width: int
    panes: tuple


@dataclasses.dataclass(frozen=True)
class Workspace:
    """One full-window layout.

    Parameters
    ----------
    name : str
        Saved settings and tests find it by this.
    title : str
        The switcher's button and the View menu.
    tip : str
        What it shows (the button's tooltip).
    columns : tuple of Column
    """

    name: str
    title: str
    tip: str
    columns: tuple

    def __post_init__(self):
        for name in self.dock_names():
            registry.spec(name)   # KeyError for a dock the registry does not have

    def dock_names(self) -> tuple:
        """Every dock of the workspace, column by column, pane by pane."""
        return tuple(n for c in self.columns for p in c.panes for n in p.docks)


def _pane(*docks, height: int = 0) -> Pane:
    return Pane(tuple(docks), height)


WORKSPACES = (
    Workspace("learn", "Learn", "The controls, the network with what each unit computes over the plane, "
              "the decision boundary and the curves: watch a network learn.",
              (Column(280, (_pane("dock_controls"),)),
               Column(440, (_pane("dock_network", "dock_lessons"),)),
               Column(560, (_pane("dock_boundary", "dock_fit_curve", "dock_fit_surface", "dock_digits", height=400),
                            _pane("dock_curves", height=270))))),
    Workspace("uncrumple", "Uncrumple", "What each layer does to the data: dot(x, W) turns and stretches it, "
              "+ b shifts it, the activation folds it.",
              (Column(760, (_pane("dock_layers"),)),
               Column(520, (_pane("dock_stage_player", height=340),
                            _pane("dock_separability", "dock_inspector", "dock_layer_lab", height=330))))),
    Workspace("descend", "Descend", "Gradient descent: the loss surface with the path the optimizer took, "
              "the loss along one line, and optimizers racing.",
              (Column(700, (_pane("lossSurfaceDock"),)),
               Column(580, (_pane("slice1dDock", height=350), _pane("optimizerRaceDock", height=320))))),
    Workspace("inside", "Inside", "The numbers inside: every weight matrix, how the weights and gradients "
              "are spread, and a check of the gradients.",
              (Column(640, (_pane("dock_weights"),)),
               Column(640, (_pane("dock_distributions"),)))),
    Workspace("digits", "Digits", "An image run (MNIST): samples, your own drawing, the tensors, "
              "what the network gets wrong and why.",
              (Column(640, (_pane("dock_digits", "dock_draw", "dock_tensor_lab", "dock_digit_tiles"),)),
               Column(640, (_pane("dock_confusion", "dock_digit_errors", "dock_digit_map"),)))),
)

_BY_NAME = {w.name: w for w in WORKSPACES}
#: the workspace of a first launch
DEFAULT = "learn"


def workspace(name: str) -> Workspace:
    """The workspace called ``name``; a ValueError naming the choices for an unknown one."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown workspace {name!r}. Choose one of: "
                         + ", ".join(repr(w.name) for w in WORKSPACES)) from None


def home_of(dock_name: str) -> Workspace:
    """The first workspace that shows ``dock_name`` (where View → the dock takes the user)."""
    return next(w for w in WORKSPACES if dock_name in w.dock_names())
