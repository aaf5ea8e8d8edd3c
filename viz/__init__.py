"""Uncrumple's Qt app: PySide6 + pyqtgraph views that draw what ``core`` computes."""
import os as _os
import sys as _sys

# The trainer's child process keeps one core busy. The GUI's own NumPy work (decision grids of old
# epochs, PCA maps, the digits' predictions) gets the other cores' worth of BLAS threads: OpenBLAS
# with more threads than free cores spins against the trainer (measured on 2 cores: a 1,500 x 784
# QR went from ~1 ms to ~110 ms). Read when NumPy loads, so only effective before it is imported
# (as when the app starts); a user's own setting wins.
_threads = str(max(1, (_os.cpu_count() or 2) - 1))
for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_k, _threads)


def _blas_threads():
    """The BLAS threads this process's NumPy has, as far as the environment tells (OpenBLAS reads
    ``OPENBLAS_NUM_THREADS`` first, set above unless the user did): None when NumPy was loaded
    before this package (OpenBLAS then took one thread per CPU unless told otherwise)."""
    if "numpy" in _sys.modules:
        return None
    try:
        return max(1, int(_os.environ["OPENBLAS_NUM_THREADS"]))
    except (KeyError, ValueError):
        return None


#: BLAS threads of the window's NumPy (None: unknown); viz.run.cpus pins the window only when they fit
WINDOW_BLAS_THREADS = _blas_threads()
