"""The distributions view (issue 6) fed with real per-epoch stats from the core trainer."""
from __future__ import annotations

import dataclasses
import gc
import weakref

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from core import Dense
from core.analysis.weights.stats import epoch_stats
from core.run.config import TrainingConfig, build_model
from core.run.messages import RunData
from core.run.serve import _Run
from viz.app.layout.docks import ViewMaker, spec
from viz.views.weights import gradient_check
from viz.views.weights.distributions import DistributionsView, layer_choice, stride

RELU = TrainingConfig(n_samples=200, hidden=((8, "relu"), (6, "tanh")), grid_resolution=16)


@pytest.fixture
def view(qtbot):
    v = DistributionsView()
    qtbot.addWidget(v)
    v.resize(1100, 700)
    return v


def run_epochs(view, config=RELU, epochs=6):
    """Train ``epochs`` epochs, one snapshot each carrying the epoch's stats; returns (run, stats list)."""
    run = _Run(config)
    snap = run.snapshot(with_run=True)
    view.clear()                        # what the session does with a new run
    view.set_run(snap.run)
    view.add_snapshot(snap)
    raw = []
    for _ in range(epochs):
        raw.append(train_epoch(view, run))
    return run, raw


def train_epoch(view, run, mutate=None):
    run.trainer.train_epoch()
    stats = epoch_stats(run.trainer.model, run.trainer.x[:512])
    if mutate:
        mutate(stats)
    snap = run.snapshot()
    view.add_snapshot(dataclasses.replace(snap, epochs=tuple(dict(e, stats=stats) for e in snap.epochs)))
    return stats


def test_bands_and_curves_draw_the_quantiles_norms_and_dead_units(view):
    run, raw = run_epochs(view)
    assert view.refresh()
    assert len(view.rows) == 3 and not view.notice.isVisible()
    for i, (wplot, gplot, wb, gb) in enumerate(view.rows):
        expect_w = np.array([s["layers"][i]["weight_quantiles"] for s in raw], np.float32)
        expect_g = np.array([s["layers"][i]["grad_quantiles"] for s in raw], np.float32)
        np.testing.assert_allclose(wb.data(), expect_w, rtol=1e-6)
        np.testing.assert_allclose(gb.data(), expect_g, rtol=1e-6)
        assert wb.curves[0].getData()[0].tolist() == [1, 2, 3, 4, 5, 6]
        assert len(wb.fills) == 4                           # 0-100, 7-93, 16-84, 31-69 %
        y = view.norm_curves[i].yData                        # the data (getData is log10 in log mode)
        np.testing.assert_allclose(y, [s["layers"][i]["grad_norm"] for s in raw], rtol=1e-6)
    assert list(view.dead_curves) == [0]                    # only the relu layer
    assert view.dead_curves[0].getData()[1].tolist() == [s["layers"][0]["dead"] for s in raw]
    names = [label.text for _, label in view.norm_legend.items]
    assert names == ["Layer 1", "Layer 2", "Layer 3 (output)"]          # core.analysis.names, as everywhere
    assert [view.layer.itemText(i) for i in range(3)] == ["Layer 1 · 8 relu", "Layer 2 · 6 tanh",
                                                          "Layer 3 (output) · 1 sigmoid"]
    # one layer's bands at a time, the one the Layer box names
    assert [(wb.visible, gb.visible) for _, _, wb, gb in view.rows] == [(True, True), (False, False), (False, False)]
    view.layer.setCurrentIndex(2)
    assert [(wb.visible, gb.visible) for _, _, wb, gb in view.rows] == [(False, False), (False, False), (True, True)]
    # a second refresh without news draws nothing
    assert not view.refresh()


@pytest.mark.parametrize("width", [560, 1100])
def test_the_norms_show_the_epochs_of_the_bands_in_a_narrow_and_a_wide_dock(view, qtbot, width):
    # in a narrow dock the norms sit below the bands, twice as wide as a band plot: linked by
    # screen position (pyqtgraph's setXLink) they showed about twice the epochs the run had
    view.resize(width, 900)
    view.show()
    qtbot.waitExposed(view)
    run_epochs(view, epochs=8)
    assert view.refresh() and view.rows             # on screen, the first refresh builds the plots and draws the epochs
    assert not view.refresh()                       # nothing new since
    QtWidgets.QApplication.processEvents()          # the layouts settle: the plots get their sizes
    band = view.rows[0][0]
    view.norm_plot.enableAutoRange(x=True)          # as the norms' own data would range them
    lo, hi = view.norm_plot.viewRange()[0]
    assert (lo, hi) == pytest.approx(band.viewRange()[0], abs=1e-3)
    assert 0 <= hi - 8 < 1 and -1 < lo <= 1          # epochs 1..8 and a little padding
    band.setXRange(3, 6, padding=0)                 # a zoom in the bands moves the norms, and back
    assert view.norm_plot.viewRange()[0] == pytest.approx([3, 6])
    view.norm_plot.setXRange(2, 5, padding=0)
    assert band.viewRange()[0] == pytest.approx([2, 5])


def test_a_new_network_links_the_norms_to_its_plots_and_lets_the_old_ones_go(view):
    run_epochs(view, epochs=2)
    view.refresh()
    old = weakref.ref(view.rows[0][2])
    run_epochs(view, TrainingConfig(n_samples=120, hidden=((4, "tanh"),)), epochs=3)
    view.refresh()
    gc.collect()
    assert old() is None                            # nothing left holding the old network's bands
    assert view.layer.count() == 2 and len(view.weight_plot.listDataItems()) == 2    # a median per layer
    view.rows[0][0].setXRange(1.5, 2.5, padding=0)
    assert view.norm_plot.viewRange()[0] == pytest.approx([1.5, 2.5])


def test_items_are_made_once_per_architecture(view):
    run, _ = run_epochs(view, epochs=2)
    view.refresh()
    first = view.rows[0][2].curves[4]
    train_epoch(view, run)
    view.refresh()
    assert view.rows[0][2].curves[4] is first and len(first.getData()[0]) == 3


def test_no_relu_layer_hides_the_dead_units_plot(view):
    run_epochs(view, TrainingConfig(n_samples=120, hidden=((4, "tanh"),)), epochs=2)
    view.refresh()
    assert view.dead_curves == {} and view.dead_plot.scene() is None
    run_epochs(view, epochs=1)
    view.refresh()
    assert view.dead_plot.scene() is not None


def test_nan_and_inf_in_stats_do_not_crash(view):
    run, _ = run_epochs(view, epochs=2)

    def poison(stats):
        stats["layers"][0]["weight_quantiles"] = [float("nan")] * 9
        stats["layers"][1]["grad_quantiles"][3] = float("inf")
        stats["layers"][0]["grad_norm"] = float("inf")
        stats["layers"][1]["grad_norm"] = 0.0                  # log axis: cannot be drawn
        stats["layers"][0]["dead"] = None

    train_epoch(view, run, poison)
    train_epoch(view, run)
    view.refresh()
    assert view.rows[0][2].curves[0].getData()[0].tolist() == [1, 2, 4]     # epoch 3 left out
    assert view.rows[1][3].curves[0].getData()[0].tolist() == [1, 2, 4]
    assert view.norm_curves[0].getData()[0].tolist() == [1, 2, 4]
    assert view.norm_curves[1].getData()[0].tolist() == [1, 2, 4]
    assert view.dead_curves[0].getData()[0].tolist() == [1, 2, 4]
    for p in (view.rows[0][0], view.norm_plot):
        (x0, x1), (y0, y1) = p.viewRange()
        assert all(np.isfinite([x0, x1, y0, y1]))


def test_scrub_shows_a_marker_and_appends_nothing(view):
    run, _ = run_epochs(view, epochs=4)
    view.refresh()
    old = dataclasses.replace(run.snapshot(), epoch=2, epochs=(), scrubbed=True)
    view.add_snapshot(old)
    view.refresh()
    assert len(view.history) == 4
    assert len(view.markers) == 2 + 2              # the bands' two plots, the norms, the dead units
    assert all(m.isVisible() and m.value() == 2 for m in view.markers)
    train_epoch(view, run)
    view.refresh()
    assert not any(m.isVisible() for m in view.markers)


def test_truncate_drops_later_epochs(view):
    run, _ = run_epochs(view, epochs=5)
    view.refresh()
    wanted = []
    view.redraw_wanted.connect(lambda: wanted.append(True))
    view.truncate(2)
    assert wanted                                   # the clock then refreshes it
    assert view.refresh()
    assert view.rows[0][2].curves[4].getData()[0].tolist() == [1, 2]
    assert view.norm_curves[2].getData()[0].tolist() == [1, 2]


def test_gradient_check_table_and_verdict(view, qtbot):
    run, _ = run_epochs(view, epochs=3)
    view.refresh()
    qtbot.mouseClick(view.check.button, QtCore.Qt.MouseButton.LeftButton)
    result = view.check.result
    assert result is not None and result["ok"]
    rows = result["rows"]
    table = view.check.table
    assert table.rowCount() == len(rows) == 6 + 2 + 6 + 2 + 6 + 1
    headers = [table.horizontalHeaderItem(c).text() for c in range(5)]
    assert headers == ["layer", "parameter", "backprop", "numerical", "relative error"]
    for r, row in enumerate(rows):
        cells = [table.item(r, c).text() for c in range(5)]
        assert cells[0] == f"{row['layer'] + 1} ({row['name']})"
        assert cells[1] == row["label"] and cells[1].startswith(("kernel[", "bias["))
        assert float(cells[2]) == pytest.approx(row["backprop"], rel=1e-5, abs=1e-12)
        assert float(cells[3]) == pytest.approx(row["numerical"], rel=1e-5, abs=1e-12)
        value, pm, error = table.item(r, 3).toolTip().split()[:3]
        assert float(value) == pytest.approx(row["numerical"], rel=1e-9, abs=1e-12)
        assert pm == "±" and float(error) == pytest.approx(row["fd_error"], rel=0.06)
        assert float(cells[4].split()[0]) == pytest.approx(row["rel_error"], rel=0.06, abs=1e-300)
    assert "backprop agrees" in view.check.verdict.text() and "epoch 3" in view.check.verdict.text()
    # the check used the snapshot's weights and left the trainer's model alone
    assert view.check.model is not run.trainer.model
    assert all(np.array_equal(a, b) for a, b in zip(view.check.model.get_weights(), run.trainer.model.params))


def test_a_wrong_backward_shows_in_the_table(view, monkeypatch):
    run_epochs(view, epochs=1)
    original = Dense.backward

    def wrong(self, delta, need_input_grad=True):
        out = original(self, delta, need_input_grad)
        self.dkernel *= 2.0
        return out

    monkeypatch.setattr(Dense, "backward", wrong)
    result = view.run_check()
    assert not result["ok"] and "DISAGREES" in view.check.verdict.text()
    kernel_rows = [r for r, row in enumerate(result["rows"]) if row["param"] == "kernel" and row["backprop"]]
    assert kernel_rows
    assert view.check.table.item(kernel_rows[0], 4).background().color().name() == "#f6c6c0"


def test_big_nets_sample_fewer_weights(view):
    rng = np.random.default_rng(0)
    config = TrainingConfig(hidden=((256, "relu"),), loss="sparse_categorical_crossentropy", batch_size=32)
    run = RunData(config=config, x_train=rng.normal(size=(80, 784)).astype(np.float32),
                  y_train=rng.integers(0, 10, 80), x_val=np.zeros((0, 784), np.float32),
                  y_val=np.zeros(0, np.int64), n_train=80, n_val=0, n_classes=10)
    view.clear()
    view.set_run(run)
    weights = tuple(build_model(config, 784, 10).get_weights())
    view.add_snapshot(dataclasses.replace(_Run(RELU).snapshot(weights=False), weights=weights))
    result = view.run_check()
    assert result["ok"] and result["n_samples"] == gradient_check.CHECK_BATCH_BIG
    assert len(result["rows"]) == 2 * gradient_check.CHECK_PER_LAYER_BIG


def test_check_without_a_run_or_with_nan_weights_says_why(view):
    assert view.run_check() is None and "No run" in view.check.verdict.text()
    run, _ = run_epochs(view, epochs=1)
    snap = run.snapshot()
    view.add_snapshot(dataclasses.replace(snap, weights=tuple(np.full_like(w, np.nan) for w in snap.weights)))
    assert view.run_check() is None and "not finite" in view.check.verdict.text()


def test_helpers_and_docks(view):
    assert layer_choice(0, 3, 8, "relu") == "Layer 1 · 8 relu"
    assert layer_choice(2, 3, 1, "sigmoid") == "Layer 3 (output) · 1 sigmoid"
    assert stride(10) == slice(None)
    idx = stride(10_000, 100)
    assert len(idx) == 100 and idx[0] == 0 and idx[-1] == 9999
    dock = spec("dock_distributions")                  # the main window's dock registry
    assert dock.title == "Distributions"
    built = ViewMaker()(dock)
    assert isinstance(built, DistributionsView)
    built.deleteLater()
    for w in (view.check.button, view.check.table, view.check.verdict, view.bands_graphics, view.side_graphics,
              view.layer):
        assert w.toolTip()


def test_a_build_for_another_network_after_every_epoch_was_dropped_draws_that_network(view):
    """The monkey: a history emptied of epochs (truncated) but still holding the last network's layers
    made the build of an MNIST run raise 'describes layers … Call clear()'."""
    run_epochs(view, epochs=2)
    view.refresh()
    view.history.truncate(-1)                       # every epoch dropped; the layers (8 relu, 6 tanh) kept
    other = _Run(TrainingConfig(n_samples=120, hidden=((4, "tanh"),)))
    view.set_run(other.snapshot(with_run=True).run)
    view.refresh()
    assert view.layer.count() == 2 and "4 tanh" in view.layer.itemText(0)
