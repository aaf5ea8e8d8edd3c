"""Uncrumple's Qt app: PySide6 + pyqtgraph views that draw what ``core`` computes."""
import os as _os

# The trainer's child process keeps one core busy. The GUI's own NumPy work (decision grids of old
# epochs, PCA maps, the digits' predictions) gets the other cores' worth of BLAS threads: OpenBLAS
# with more threads than free cores spins against the trainer (measured on 2 cores: a 1,500 x 784
# QR went from ~1 ms to ~110 ms). Read when NumPy loads, so only effective before it is imported
# (as when the app starts); a user's own setting wins.
_threads = str(max(1, (_os.cpu_count() or 2) - 1))
for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_k, _threads)
