"""The weights view and the network diagram (issue 6), fed with snapshots of real networks."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from core.analysis.weights.weightmaps import display_matrix, link_bins, log_ratio, unit_activations
from core.run.config import TrainingConfig, build_model, targets_for
from core.run.messages import BatchUpdate, RunData, RunSnapshot
from core.run.serve import _Run
from viz import style
from viz.app.layout.docks import ViewMaker, spec
from viz.run.redraw import ViewRedrawer
from viz.views.weights import network as network_mod
from viz.views.weights.network import NetworkView
from viz.views.weights.weights import LOG_LEVELS, MISSING, WeightsView, sign_colors

SPIRAL = TrainingConfig(n_samples=200, grid_resolution=16)         # 2 -> 8 -> 8 -> 1
MNIST = TrainingConfig(hidden=((512, "relu"),), loss="sparse_categorical_crossentropy", learning_rate=0.001)


def ro(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


def snapshot(weights, epoch=1, **parts):
    """A hand-made heavy snapshot with ``weights`` and the heavy ``parts`` (run, batch_update, scrubbed)."""
    return RunSnapshot(epoch=epoch, step=epoch, batch=0, batches_per_epoch=1, state="paused",
                       weights=tuple(ro(w) for w in weights), **parts)


def trained_step(model, x, y, epoch=1):
    """A heavy snapshot after one batch, with the batch's gradient and update (as the trainer sends)."""
    before = model.get_weights()
    grads = model.gradients(x, y)
    model.train_on_batch(x, y)
    after = model.get_weights()
    batch = BatchUpdate(grads=tuple(ro(g) for g in grads), update=tuple(ro(a - b) for a, b in zip(after, before)))
    return snapshot(after, epoch, batch_update=batch)


def spiral_run():
    run = _Run(SPIRAL)
    first = run.snapshot(with_run=True)
    x, y = run.data.x_train[:10], targets_for(SPIRAL, run.data.labels_train[:10], 2)
    return run, first, trained_step(run.trainer.model, x, y)


def mnist_like(n=256):
    rng = np.random.default_rng(0)
    x = rng.random((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    model = build_model(MNIST, 784, 10)
    run = RunData(config=MNIST, x_train=ro(x), y_train=ro(y), x_val=ro(x[:8]), y_val=ro(y[:8]),
                  n_train=n, n_val=8, n_classes=10)
    return model, x, y, snapshot(model.get_weights(), epoch=0, run=run)


@pytest.fixture
def make(qtbot):
    def factory(cls, first=None, *snaps, size=(560, 600)):
        view = cls()
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        if first is not None:                  # what the session does with a new run
            view.clear()
            view.set_run(first.run)
            for s in (first, *snaps):
                view.add_snapshot(s)
            assert view.refresh()               # the network view builds here (deferred) ...
            view.finish()                       # ... and draws in a later turn: now
        return view
    return factory


def cell_scene_pos(plot, i, j):
    return plot.getViewBox().mapViewToScene(QtCore.QPointF(float(j), float(i)))


# ---- weights view -------------------------------------------------------------------------------
def test_spiral_kernels_and_biases_are_shown_as_they_are(make):
    _, first, snap = spiral_run()
    view = make(WeightsView, first, snap)
    assert len(view.layers) == 3
    for maps, (w, b) in zip(view.layers, zip(snap.weights[0::2], snap.weights[1::2])):
        # the values themselves; the few beyond the 99.5th-percentile levels saturate (same colour)
        np.testing.assert_array_equal(maps.kernel_image.image, np.clip(w, *view.levels))
        np.testing.assert_array_equal(maps.bias_image.image, np.clip(b, *view.levels).reshape(1, -1))
        assert np.mean(maps.kernel_image.image == w) > 0.9
        assert maps.kernel_image.image.dtype == np.float32
    assert "Layer 1 · kernel (2, 16) float32" in view.layers[0].title
    assert "Layer 3 (output) · kernel (16, 1) float32" in view.layers[2].title
    lo, hi = view.levels
    assert lo == -hi and hi > 0 and np.isfinite(hi)
    assert tuple(view.layers[1].kernel_image.levels) == view.levels
    assert view.colorbar.levels() == view.levels


def test_hover_names_the_index_and_the_value(make):
    _, first, snap = spiral_run()
    view = make(WeightsView, first, snap)
    w1, b1 = snap.weights[0], snap.weights[1]
    text = view.hover_text(cell_scene_pos(view.layers[0].kernel_plot, 1, 5))
    assert text == f"W[1, 5] = {float(w1[1, 5]):.3g} (Layer 1)"
    maps = view.layers[0]
    text = view.hover_text(maps.kernel_plot.getViewBox().mapViewToScene(maps.cell_pos("bias", None, 3)))
    assert text == f"b[3] = {float(b1[3]):.3g} (Layer 1)"
    w2 = snap.weights[2]
    assert view.hover_text(cell_scene_pos(view.layers[1].kernel_plot, 7, 0)).startswith(
        f"W[7, 0] = {float(w2[7, 0]):.3g} (Layer 2)")
    assert view.hover_text(QtCore.QPointF(-50, -50)) == ""


def test_modes_show_the_gradient_the_update_and_the_log_ratio(make):
    _, first, snap = spiral_run()
    view = make(WeightsView, first, snap)
    view.set_mode("update")
    assert view.refresh() is False              # the mode change already drew
    update, grads = snap.batch_update.update, snap.batch_update.grads
    np.testing.assert_array_equal(view.layers[0].kernel_image.image, np.clip(update[0], *view.levels))
    np.testing.assert_array_equal(view.layers[2].bias_image.image,
                                  np.clip(update[5], *view.levels).reshape(1, -1))
    assert "last update (2, 16)" in view.layers[0].title
    assert view.levels[1] == pytest.approx(np.percentile(np.abs(np.concatenate(
        [u.ravel() for u in update])), 99.5), rel=1e-6)
    assert view.hover_text(cell_scene_pos(view.layers[0].kernel_plot, 0, 2)).startswith(
        f"ΔW[0, 2] = {float(update[0][0, 2]):.3g}")
    view.set_mode("grads")
    np.testing.assert_array_equal(view.layers[1].kernel_image.image,
                                  np.clip(grads[2], *view.levels))
    view.set_mode("log_ratio")
    assert view.levels == LOG_LEVELS
    expected = np.clip(log_ratio(update[0], snap.weights[0]), *LOG_LEVELS)
    np.testing.assert_array_equal(view.layers[0].kernel_image.image, expected)


def test_no_gradient_before_the_first_batch_and_on_a_timeline_scrub(make):
    _, first, snap = spiral_run()
    view = make(WeightsView, first)
    view.set_mode("grads")
    assert view.notice.text() == MISSING and view.layers[0].kernel_image.image is None
    scrub = snapshot(snap.weights, epoch=7, scrubbed=True)
    view.add_snapshot(scrub)
    view.refresh()
    assert "Epoch 7" in view.notice.text()
    view.set_mode("weights")
    assert not view.notice.isVisibleTo(view)
    np.testing.assert_array_equal(view.layers[0].kernel_image.image, np.clip(scrub.weights[0], *view.levels))


@pytest.mark.parametrize("fill", [np.nan, 0.0, 0.3, 3e38, np.inf])
def test_levels_are_symmetric_and_finite_for_degenerate_weights(make, fill):
    _, first, _ = spiral_run()
    bad = snapshot([np.full_like(w, fill) for w in first.weights])
    view = make(WeightsView, first, bad)
    lo, hi = view.levels
    assert np.isfinite([lo, hi]).all() and lo == -hi and hi > 0
    assert tuple(view.layers[0].kernel_image.levels) == (lo, hi)
    if fill == 0.3:
        assert hi == pytest.approx(0.3)


def test_levels_stay_put_until_the_weights_leave_them_by_a_lot(make):
    _, first, _ = spiral_run()
    view = make(WeightsView, first)
    level = view.levels[1]
    view.add_snapshot(snapshot([w * 1.2 for w in first.weights]))
    view.refresh()
    assert view.levels[1] == level                      # comparable colours
    view.add_snapshot(snapshot([w * 3.0 for w in first.weights]))
    view.refresh()
    assert view.levels[1] == pytest.approx(3 * level, rel=1e-5)


def test_mnist_kernel_is_downsampled_with_exact_hover_values(make, capsys):
    model, x, y, first = mnist_like()
    view = make(WeightsView, first)
    w1 = first.weights[0]
    maps = view.layers[0]
    np.testing.assert_array_equal(maps.kernel_image.image, np.clip(display_matrix(w1).values, *view.levels))
    assert maps.kernel_image.image.shape == (196, 256)
    assert "(784, 512) float32" in maps.title and "4 × 2 block" in maps.title
    text = view.hover_text(cell_scene_pos(maps.kernel_plot, 401, 300))
    assert text.startswith(f"W[401, 300] = {float(w1[401, 300]):.3g} (Layer 1); its cell shows")
    assert "[400:404, 300:302]" in text
    # refresh cost with a new snapshot each time (printed, not asserted)
    snaps = [trained_step(model, x[:64], y[:64]) for _ in range(3)]
    times = []
    for mode in ("weights", "update"):
        view.set_mode(mode)
        for s in snaps:
            view.add_snapshot(s)
            t0 = time.perf_counter()
            view.refresh()
            times.append(time.perf_counter() - t0)
    with capsys.disabled():
        print(f"\nWeightsView.refresh 784-512-10: median {1000 * np.median(times):.1f} ms, "
              f"max {1000 * max(times):.1f} ms")


# ---- network view ---------------------------------------------------------------------------------
TINY = TrainingConfig(n_samples=200, hidden=((3, "tanh"),))


def tiny_run():
    run = _Run(TINY)
    first = run.snapshot(with_run=True)
    w1 = np.array([[0.5, -1.0, 0.05], [2.0, -0.2, 0.0]], np.float32)
    w2 = np.array([[1.0], [-0.5], [0.1]], np.float32)
    mine = snapshot([w1, np.zeros(3, np.float32), w2, np.zeros(1, np.float32)])
    return run, first, mine


def drawn_links(view):
    """{(positive, class): set of ((x0, y0), (x1, y1))} as drawn."""
    out = {}
    for key, curve in view.curves.items():
        xs, ys = curve.getData()
        if xs is None or not len(xs):
            continue
        pts = np.column_stack([xs, ys]).reshape(-1, 2, 2)
        out[key] = {tuple(map(tuple, p)) for p in pts}
    return out


def _dist(a, b) -> float:
    """Distance between two QColors in RGB."""
    return float(np.hypot(np.hypot(a.red() - b.red(), a.green() - b.green()), a.blue() - b.blue()))


def test_tiny_net_links_have_the_expected_count_width_and_colour(make):
    _, first, mine = tiny_run()
    view = make(NetworkView, first, mine)
    links = drawn_links(view)
    assert sum(len(v) for v in links.values()) == 2 * 3 + 3 * 1
    d = view.diagram
    w = np.array([0.5, -1.0, 0.05, 2.0, -0.2, 0.0, 1.0, -0.5, 0.1], np.float32)
    np.testing.assert_array_equal(d.weights, w)
    bins = np.concatenate([link_bins(w[:6], 2.0, 6), link_bins(w[6:], 1.0, 6)])
    neg, pos = sign_colors()
    for k, (a, b) in enumerate(d.edges):
        key = (bool(w[k] >= 0), int(bins[k]))
        seg = (tuple(map(float, view.positions[a])), tuple(map(float, view.positions[b])))
        assert seg in links[key]
        pen = view.curves[key].opts["pen"]
        assert pen.widthF() == pytest.approx(network_mod.WIDTHS[bins[k]])
        # the sign's colour, faded toward the background as much as the link is faint, drawn opaque
        c, bg = pen.color(), QtGui.QColor(style.palette().background)
        own, other = (pos, neg) if w[k] >= 0 else (neg, pos)
        assert c.alpha() == 255
        assert _dist(c, own) < _dist(c, other) and _dist(c, own) < _dist(bg, own)
    # fainter classes are paler: the thinnest link is closer to the background than the thickest
    bg = QtGui.QColor(style.palette().background)
    assert _dist(view.curves[(True, 0)].opts["pen"].color(), bg) < _dist(view.curves[(True, 5)].opts["pen"].color(), bg)
    # the heaviest link of each layer is in the widest class: 2.0 (input 1 -> unit 0) and 1.0
    assert bins[3] == 5 and bins[6] == 5 and bins[5] == 0


def test_a_new_run_in_front_is_built_then_drawn_by_the_redraw_clock(qtbot):
    """A new run sends one snapshot and pauses: the view builds its network on the clock's first frame
    (not in the turn of the new run) and draws it in the same refresh; no other snapshot comes."""
    _, first, mine = tiny_run()
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(560, 600)
    view.show()
    qtbot.waitExposed(view)
    clock = ViewRedrawer(view)
    clock.add(view)
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(mine)
    assert view.model is None
    clock.request()
    qtbot.waitUntil(lambda: view.diagram is not None, timeout=3000)
    np.testing.assert_array_equal(view.diagram.weights, np.float32([0.5, -1.0, 0.05, 2.0, -0.2, 0.0, 1.0, -0.5, 0.1]))
    assert len(view.picture_grids) == 2 + 3 + 1 and view.atlas.image is not None   # drawn too
    clock.stop()


def test_node_colours_follow_the_picked_sample_without_pictures(make):
    """A run without an input plane (images, wide CSV data) draws nodes coloured by the sample's activations."""
    run, first, mine = tiny_run()
    flat = dataclasses.replace(first, run=dataclasses.replace(first.run, plane=None, x_train_2d=None, x_val_2d=None))
    view = make(NetworkView, flat, mine)
    assert view.picture_grids == [] and view.atlas.image is None
    view.sample.setValue(5)
    x5 = view.x[5]
    model = build_model(TINY, 2)
    model.set_weights(mine.weights)
    expected = unit_activations(model, x5)
    for got, want in zip(view.activations, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    brushes = [b.color() for b in view.nodes.data["brush"]]
    t = (expected[1][0] + 1) / 2                      # tanh levels (-1, 1), in COLOR_STEPS steps
    steps = network_mod.COLOR_STEPS - 1
    want = view._cmap.map(round(float(t) * steps) / steps, mode="qcolor")
    assert brushes[2].rgb() == want.rgb()             # node 2 = Layer 1 unit 1
    assert view.sample_info.text().startswith(f"class {int(view.y[5])} · P(class 1) = {float(expected[2][0]):.2f}")
    text = view.hover_text(*map(float, view.positions[2]))
    assert text.startswith(f"Layer 1 · unit 1 (tanh), sample 5 (class {int(view.y[5])}):\ntanh(0.5·x1 + 2·x2 + 0)")
    assert text.endswith(f"= {float(expected[1][0]):.3g}".replace("-", "\u2212"))
    assert "the picked sample's output" in view.legend.scale_label.text()


def test_a_scrub_snapshot_shows_its_weights(make):
    _, first, mine = tiny_run()
    view = make(NetworkView, first, mine)
    old = snapshot([w * -1 for w in mine.weights], epoch=3, scrubbed=True)
    view.add_snapshot(old)
    assert view.refresh()
    np.testing.assert_array_equal(view.diagram.weights[:3], np.float32([-0.5, 1.0, -0.05]))
    np.testing.assert_array_equal(view.model.get_weights()[0], old.weights[0])


def test_wide_layers_show_top_units_and_a_more_label(make):
    _, _, _, first = mnist_like(64)
    view = make(NetworkView, first)
    d = view.diagram
    assert [len(u) for u in d.units] == [16, 16, 10]
    assert sorted(t.toPlainText() for t in view.more_labels) == ["+496 more", "+768 more"]
    assert len(d.edges) == 16 * 16 + 16 * 10
    assert view.repick.isEnabled()
    # links are thinner for a 256-link tangle
    assert view.curves[(True, 5)].opts["pen"].widthF() < network_mod.WIDTHS[5]


def test_network_refresh_cost_for_784_512_10(make, capsys):
    model, x, y, first = mnist_like(128)
    view = make(NetworkView, first)
    times = []
    for _ in range(4):
        view.add_snapshot(trained_step(model, x[:64], y[:64]))
        t0 = time.perf_counter()
        assert view.refresh()
        times.append(time.perf_counter() - t0)
    np.testing.assert_array_equal(view.model.get_weights()[2], model.get_weights()[2])
    t0 = time.perf_counter()
    view.sample.setValue(7)                      # a new sample redraws the nodes only
    t_sample = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\nNetworkView.refresh 784-512-10: median {1000 * np.median(times):.1f} ms; "
              f"new sample {1000 * t_sample:.1f} ms")


def test_diverged_weights_keep_the_last_finite_ones(make):
    _, first, mine = tiny_run()
    view = make(NetworkView, first, mine)
    view.add_snapshot(dataclasses.replace(mine, weights=tuple(np.full_like(w, np.nan) for w in mine.weights)))
    view.refresh()
    assert "not finite" in view.notice.text()
    np.testing.assert_array_equal(view.model.get_weights()[0], mine.weights[0])


def test_the_dock_registry_builds_both_views(qtbot):
    make = ViewMaker()
    docks = [(s.title, s.name, make(s)) for s in map(spec, ("dock_weights", "dock_network"))]
    assert [(t, n) for t, n, _ in docks] == [("Weights", "dock_weights"), ("Network", "dock_network")]
    assert isinstance(docks[0][2], WeightsView) and isinstance(docks[1][2], NetworkView)
    for _, _, w in docks:
        qtbot.addWidget(w)
        assert w.toolTip() or all(c.toolTip() for c in (getattr(w, "mode", None) or w.sample,))
