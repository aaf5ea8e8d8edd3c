"""Soak test for the Qt binding: thousands of repaints of a pyqtgraph plot with axes.

PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to ``None`` (and to
``True``/``False``) on every axis paint and dies after ~600 repaints with
``Fatal Python error: none_dealloc: deallocating None``; pyproject excludes that
release. This runs the paint loop in a subprocess so a future binding release
that does it again fails here instead of in a user's session.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPAINTS = 3000

SCRIPT = f"""
import json
import sys
import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
w = pg.PlotWidget()
w.resize(480, 320)
w.setLabel("left", "loss")
w.setLabel("bottom", "epoch")
w.showGrid(x=True, y=True)
curve = w.plot(pen="b")
w.show()
app.processEvents()
before = [sys.getrefcount(x) for x in (None, True, False)]
x = np.arange(200, dtype=np.float32)
for i in range({REPAINTS}):
    if i % 10 == 0:   # new data now and then: new ranges, new tick labels
        curve.setData(x, np.sin(x / 10 + i / 50).astype(np.float32) * (1 + i % 7))
    w.repaint()
    app.processEvents()
after = [sys.getrefcount(x) for x in (None, True, False)]
print("REFCOUNTS", json.dumps({{"before": before, "after": after}}), flush=True)
"""


@pytest.mark.slow
def test_thousands_of_axis_repaints_do_not_crash_the_binding():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"the paint loop crashed (exit {r.returncode}):\n{r.stderr[-3000:]}"
    assert "none_dealloc" not in r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("REFCOUNTS"))
    if sys.version_info < (3, 12):   # from 3.12 these objects are immortal: counts are meaningless
        counts = json.loads(line.split(" ", 1)[1])
        for name, b, a in zip(("None", "True", "False"), counts["before"], counts["after"]):
            assert a > b - REPAINTS // 3, f"{name} lost {b - a} references over {REPAINTS} repaints"
