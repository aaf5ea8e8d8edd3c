"""Panels that edit a run: :class:`ControlsPanel` turns its widgets into a ``TrainingConfig``."""
from viz.panels.controls import LIVE_FIELDS, ControlsPanel, shape_text, structural_difference

__all__ = ["ControlsPanel", "LIVE_FIELDS", "structural_difference", "shape_text"]
