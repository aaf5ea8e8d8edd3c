"""Export all views: a view with thousands of scatter points is written as PNG (SVG would take minutes),
and Cancel stops between views and between a view's formats."""
from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from viz.export import export_all
from viz.export.export_all import MAX_SVG_POINTS, export_all_views, scatter_points, svg_refusal
from viz.export.view_export import export_dock
from viz.views.common.view import View


def scatter_view(n: int) -> pg.GraphicsLayoutWidget:
    view = pg.GraphicsLayoutWidget()
    plot = view.addPlot()
    for half in (n // 2, n - n // 2):     # two scatters: the count is over every scatter of the view
        item = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(30, 90, 200, 190))
        item.setData(pos=np.random.default_rng(half).random((half, 2)))
        plot.addItem(item)
    return view


@pytest.fixture
def window(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    for title, n in (("Sparse", 50), ("Digit map", 3 * MAX_SVG_POINTS), ("Other", 10)):
        dock = QDockWidget(title, w)
        dock.setObjectName(f"dock_{title}")
        dock.setWidget(scatter_view(n))
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    w.resize(700, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def names(paths):
    return [os.path.basename(p) for p in paths]


def test_points_are_counted_over_the_shown_scatters(qtbot):
    view = scatter_view(301)
    qtbot.addWidget(view)
    assert scatter_points(view) == 301 and svg_refusal(view) == ""
    item = next(i for i in view.scene().items() if isinstance(i, pg.ScatterPlotItem))
    item.setVisible(False)
    assert scatter_points(view) == 301 - len(item.data)
    dense = scatter_view(MAX_SVG_POINTS + 1)
    qtbot.addWidget(dense)
    assert svg_refusal(dense) == f"{MAX_SVG_POINTS + 1:,} points are too many for SVG"


def test_a_dense_view_is_written_as_png_and_the_summary_says_so(window, tmp_path, monkeypatch):
    svgs = []
    real = export_all.SAVERS["svg"]
    monkeypatch.setitem(export_all.SAVERS, "svg", lambda w, p: svgs.append(p) or real(w, p))
    paths = export_all_views(window, str(tmp_path))
    assert names(paths) == ["sparse.png", "sparse.svg", "digit-map.png", "other.png", "other.svg"]
    assert names(svgs) == ["sparse.svg", "other.svg"]          # the dense view never went through SVG
    assert paths.notes == [f"Digit map: PNG ({3 * MAX_SVG_POINTS:,} points are too many for SVG)"]
    assert not paths.cancelled
    svg_only = export_all_views(window, str(tmp_path / "svg"), formats=("svg",))
    assert names(svg_only) == ["sparse.svg", "digit-map.png", "other.svg"]
    assert all(os.path.getsize(p) > 0 for p in svg_only)


def test_cancel_stops_between_views_and_between_formats(window, tmp_path):
    seen = []

    def cancel_at(k):
        def progress(done, total, title):
            seen.append((done, title))
            return len(seen) <= k
        return progress

    dense_label = f"Digit map (PNG: {3 * MAX_SVG_POINTS:,} points are too many for SVG)"
    paths = export_all_views(window, str(tmp_path / "a"), progress=cancel_at(1))   # before Sparse's SVG
    assert names(paths) == ["sparse.png"] and paths.cancelled
    assert seen == [(0, "Sparse"), (0, "Sparse")]
    seen.clear()
    paths = export_all_views(window, str(tmp_path / "b"), progress=cancel_at(2))   # before the dense view
    assert names(paths) == ["sparse.png", "sparse.svg"] and paths.cancelled
    assert seen[-1] == (1, "Digit map")
    seen.clear()
    paths = export_all_views(window, str(tmp_path / "c"), progress=cancel_at(3))   # after its PNG
    assert names(paths) == ["sparse.png", "sparse.svg", "digit-map.png"] and paths.cancelled
    assert seen[-1] == (1, dense_label)
    assert not os.path.exists(tmp_path / "c" / "other.png")
    seen.clear()
    paths = export_all_views(window, str(tmp_path / "d"), progress=cancel_at(99))
    assert len(paths) == 5 and not paths.cancelled and [d for d, _ in seen] == [0, 0, 1, 1, 2, 2]


def test_one_dense_view_asked_as_svg_is_saved_as_png(window, tmp_path):
    dense = window.findChild(QDockWidget, "dock_Digit map")
    written = export_dock(dense, str(tmp_path / "map.svg"))
    assert written == str(tmp_path / "map.png") and os.path.exists(written)
    assert not os.path.exists(tmp_path / "map.svg")
    sparse = window.findChild(QDockWidget, "dock_Sparse")
    assert export_dock(sparse, str(tmp_path / "s.svg")) == str(tmp_path / "s.svg")


def test_export_all_in_the_app_builds_pending_views_and_says_which_went_png(qtbot, make_window, tmp_path):
    w = make_window(engine="thread", lazy_views=True)       # as the app: tab views not built yet
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None, timeout=30_000)
    w.lazy_docks._idle.stop()
    assert w.lazy_docks.pending > 0
    paths = w.exports.export_views(str(tmp_path))
    assert w.lazy_docks.pending == 0                          # built first: no "Preparing…" pictures
    names = sorted(os.listdir(tmp_path))
    assert len(paths) == len(names) and len(names) > 20
    message = w.statusBar().currentMessage()
    assert message.startswith(f"Saved {len(paths)} files in {tmp_path}")
    assert any(n.startswith("Layers: PNG") for n in paths.notes)   # the spiral traced: ~5,700 points
    for note in paths.notes:                                  # a dense view's PNG-only is said, not hidden
        assert note in message


class Stepwise(View):
    """A view that draws over several event-loop turns (like the separability view)."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def draw(self):
        self.log.append("refresh")
        return True

    def finish(self):
        super().finish()
        self.log.append("finish")


def test_a_view_is_brought_fully_up_to_date_before_its_picture(qtbot, window, tmp_path):
    log = []
    dock = window.findChild(QDockWidget, "dock_Other")
    dock.setWidget(Stepwise(log))
    assert export_dock(dock, str(tmp_path / "other.png"))
    assert log[-2:] == ["refresh", "finish"]        # the turns still due were done before the grab


def test_exporting_a_tab_the_app_has_not_built_yet_builds_it_first(qtbot, make_window, tmp_path, monkeypatch):
    import viz.app.layout.lazy_docks as lazy_docks
    monkeypatch.setattr(lazy_docks, "IDLE_BUILD_MS", 600_000)     # nothing built in the background
    w = make_window(engine="thread", lazy_views=True)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None, timeout=30_000)
    dock = next(d for d in w.docks if d.objectName() == "dock_weights")
    assert dock.widget().widget().objectName() == "lazy_placeholder"
    path = export_dock(dock, str(tmp_path / "weights.png"))
    assert path and os.path.getsize(path) > 0
    assert type(dock.widget().widget()).__name__ == "WeightsView"
