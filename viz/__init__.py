"""Uncrumple's Qt app: PySide6 + pyqtgraph views that draw what ``core`` computes."""
