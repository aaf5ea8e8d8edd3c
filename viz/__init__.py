"""Uncrumple's Qt app: PySide6 + pyqtgraph views that draw what ``core`` computes."""
from viz.run import blas as _blas

# first, before anything imports NumPy: the window's BLAS threads (see viz.run.blas)
_blas.setup_window()
