"""Panels that edit a run: :class:`ControlsPanel` turns its widgets into a ``TrainingConfig``."""
from viz.panels.controls import ControlsPanel, shape_text, structural_difference

__all__ = ["ControlsPanel", "structural_difference", "shape_text"]
