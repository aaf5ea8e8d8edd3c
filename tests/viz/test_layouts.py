"""Issue 8: the Layers, Optimizer race, 1D slice and Separability views fit the docks of the default
1280×800 window (left tab group ~430×650, right ~520×650) without scrolling sideways, and their
titles and labels neither overlap nor run past their cells. Each view sits in a QScrollArea as
``viz.app.layout.lazy_docks.LazyDocks.add`` puts it, fed with a real run of the default network."""
from __future__ import annotations

import itertools

import pytest
from PySide6 import QtGui, QtWidgets

from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.views.uncrumple.layers import LayersView
from viz.views.uncrumple.separability import SeparabilityView
from viz.views.uncrumple.stage_names import short_tick, thin_ticks
from viz.views.loss.slice_job import short_step_label

LEFT, RIGHT, HEIGHT = 430, 520, 650
#: the default 2-8-8-1 spiral network, fewer samples
CONFIG = TrainingConfig(n_samples=200, grid_resolution=16)


def docked(qtbot, view, width, height=HEIGHT):
    """``view`` in a scroll area of the dock's size, shown and laid out."""
    area = QtWidgets.QScrollArea()
    area.setWidget(view)
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    qtbot.addWidget(area)
    area.resize(width, height)
    area.show()
    qtbot.waitExposed(area)
    QtWidgets.QApplication.processEvents()
    return area


def assert_no_sideways_scroll(area, view, width):
    QtWidgets.QApplication.processEvents()
    assert view.minimumSizeHint().width() <= width
    assert view.width() <= area.viewport().width()
    assert not area.horizontalScrollBar().isVisible()


def shown_width(label) -> float:
    """The width of the text a pyqtgraph LabelItem draws."""
    return label.item.boundingRect().width()


def assert_apart(rects):
    for (a, ra), (b, rb) in itertools.combinations(rects, 2):
        assert not ra.intersects(rb), f"{a!r} overlaps {b!r}"


def trained(epochs=3, config=CONFIG):
    run = _Run(config)
    first = run.snapshot(with_run=True)
    snaps = [first]
    for _ in range(epochs):
        run.trainer.train_epoch()
        snaps.append(run.snapshot())
    return run, snaps


# ---- Layers -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [LEFT, 860])
def test_layers_fit_the_dock_with_one_line_titles_that_do_not_overlap(qtbot, width):
    view = LayersView()
    area = docked(qtbot, view, width)
    _, snaps = trained()
    view.set_run(snaps[0].run)
    view.add_snapshot(snaps[-1])
    view.refresh()
    view.finish()
    qtbot.waitUntil(lambda: view.graphics.minimumWidth() > 0, timeout=2000)
    assert_no_sideways_scroll(area, view, width)
    assert len(view.panels) == 10 and len(view.row_labels) == 4    # input + 3 layers, one label each
    labels = [p.plot.titleLabel for p in view.panels]
    shown = [lab.item.toPlainText() for lab in labels]
    # the stage alone names each panel (the layer is in its row label); nothing says "dense_1:" any more
    assert [s.split(" ·")[0].rstrip("…") for s in shown[1:4]] == ["dot(x, W)", "+ b", "tanh"]
    assert not any("dense" in s for s in shown)
    # the whole title (with the projection) stays in .text and the tooltip
    assert "PCA of 16 units" in labels[3].text and labels[3].toolTip() == labels[3].text
    for lab in labels:                        # every title's text fits its panel: nothing drawn over a neighbour
        assert shown_width(lab) <= lab.boundingRect().width() + 1
    rects = [(s, lab.sceneBoundingRect()) for s, lab in zip(shown, labels)]
    rects += [(lab.text, lab.sceneBoundingRect()) for lab in view.row_labels]
    assert_apart(rects)
    # the PCA shares are said once per row, in the row label
    assert "PC1" in view.row_labels[1].text and "Layer 1" in view.row_labels[1].text
    for lab in view.row_labels:
        assert shown_width(lab) <= lab.boundingRect().width() + 1
    # readable: three panels a row of at least ~110 px each
    assert min(p.plot.width() for p in view.panels[1:]) >= (100 if width == LEFT else 200)


def test_short_step_labels():
    assert short_step_label("next step (gradient descent)") == "next step (gradient descent)"
    assert short_step_label("next step (SGD with momentum 0.5, with its velocity)") == \
        "next step (SGD with momentum 0.5)"
    assert short_step_label("next step (RMSprop, with its running mean of squared gradients)") == \
        "next step (RMSprop)"


# ---- Separability -------------------------------------------------------------------------------------
def test_separability_ticks_are_short_and_apart_and_the_empty_history_says_why(qtbot):
    view = SeparabilityView()
    area = docked(qtbot, view, LEFT)
    run, snaps = trained(1)
    view.set_run(snaps[0].run)
    view.refresh()                                  # the session's redraw clock would call it
    qtbot.waitUntil(lambda: view.values is not None and view._shown_ticks is not None, timeout=3000)
    assert_no_sideways_scroll(area, view, LEFT)
    assert [t for _, t in view._ticks] == ["in", "W₁", "+b₁", "σ₁", "W₂", "+b₂", "σ₂", "W₃", "+b₃", "σ₃"]
    axis = view.bar_plot.getAxis("bottom")
    metrics = QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font())
    vb = view.bar_plot.getViewBox()
    spans = []
    for x, text in view._shown_ticks:
        if text:
            centre = vb.mapViewToScene(vb.mapToView(vb.mapFromView(pg_point(x, 0.5)))).x()
            half = metrics.horizontalAdvance(text) / 2
            spans.append((centre - half, centre + half))
    assert len(spans) == 10                                           # all fit at 430 px
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))       # no two labels touch
    title = view.bar_plot.titleLabel
    assert "…" not in title.item.toPlainText() and shown_width(title) <= title.boundingRect().width() + 1
    # one epoch computed: the over-epochs plot says why it has no curve yet
    assert view.empty.isVisible() and "hidden" in view.empty.textItem.toPlainText()
    view.add_snapshot(train_epoch(run))
    assert view.refresh()                           # the session's timer would call it
    qtbot.waitUntil(lambda: len(view.history) == 2, timeout=3000)   # computed on the next turn
    qtbot.waitUntil(lambda: not view.empty.isVisible(), timeout=3000)


def train_epoch(run):
    run.trainer.train_epoch()
    return run.snapshot()


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def test_thin_ticks_keeps_the_representations_when_crowded():
    kinds = ["input"] + ["dot", "bias", "activation"] * 5
    ticks = [(i, f"t{i}") for i in range(len(kinds))]
    assert thin_ticks(ticks, kinds, [10.0] * len(ticks), 40.0) == ticks        # room for all
    thinned = thin_ticks(ticks, kinds, [30.0] * len(ticks), 12.0)             # 16 bars in ~190 px
    kept = [i for i, (_, t) in enumerate(thinned) if t]
    assert kept and all(kinds[i] in ("input", "activation") for i in kept)
    assert all((b - a) * 12.0 >= 36.0 for a, b in zip(kept, kept[1:]))
    assert short_tick(type("S", (), {"kind": "bias", "layer": 11})()) == "+b₁₂"
