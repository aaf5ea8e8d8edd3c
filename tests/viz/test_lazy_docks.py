"""The app shows its window before building the views behind the tabs, then builds them (viz.app.layout.lazy_docks)."""
from __future__ import annotations

import numpy as np

import viz.app.layout.lazy_docks as lazy_docks
from viz.views.weights.distributions import DistributionsView
from viz.views.weights.weights import WeightsView


def content(dock):
    w = dock.widget()
    return w.widget() if hasattr(w, "widget") else w     # most views sit in a scroll area


def dock_named(w, name):
    return next(d for d in w.docks if d.objectName() == name)


def until(qtbot, predicate, timeout=30_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def test_eager_window_builds_every_view_at_once(qtbot, make_window):
    w = make_window(engine="thread")
    assert w.lazy_docks.pending == 0
    assert not any(content(d).objectName() == "lazy_placeholder" for d in w.docks[3:])
    assert isinstance(content(dock_named(w, "dock_weights")), WeightsView)


def test_lazy_window_builds_the_tab_views_after_it_is_shown(qtbot, make_window):
    w = make_window(engine="thread", lazy_views=True)
    weights_dock = dock_named(w, "dock_weights")
    assert w.lazy_docks.pending >= 10                        # digits, surfaces, weights, distributions
    assert content(weights_dock).objectName() == "lazy_placeholder"
    assert "Weights" in content(weights_dock).text()          # what a fast eye would see: not a blank tab
    assert content(w.dock_curves) is w.curves                 # the first views are there from the start
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None and w.lazy_docks.pending == 0)
    view = content(weights_dock)
    assert isinstance(view, WeightsView)
    assert view in w.extra_views
    assert not any(content(d).objectName() == "lazy_placeholder" for d in w.docks[3:])
    # built late, it still follows the run: one more epoch reaches it through the session
    w.session.step_epoch()
    until(qtbot, lambda: w.session.latest.epoch == 1 and w.session.latest.weights)
    w.workspace_bar.actions_by_name["inside"].trigger()         # brings the weights on screen
    until(qtbot, lambda: view.layers and view.layers[0].kernel_image.image is not None)
    kernel = w.session.latest_full.weights[0]
    shown = view.layers[0].kernel_image.image
    np.testing.assert_array_equal(shown, np.clip(kernel, *view.levels).astype(shown.dtype))


def test_a_dock_brought_on_screen_is_built_at_once_with_the_current_run(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(lazy_docks, "IDLE_BUILD_MS", 600_000)   # no background building in this test
    w = make_window(engine="thread", lazy_views=True)
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None)
    pending = w.lazy_docks.pending
    dock = dock_named(w, "dock_distributions")
    w.workspace_bar.actions_by_name["inside"].trigger()         # its workspace brings it on screen
    until(qtbot, lambda: isinstance(content(dock), DistributionsView))
    assert w.lazy_docks.pending == pending - 2                  # the weights and the distributions
    assert content(dock) in w.session.redrawer.live()           # registered: it gets every snapshot
    assert not content(dock).visibleRegion().isEmpty()


def test_build_all_leaves_nothing_pending(qtbot, make_window):
    w = make_window(engine="thread", lazy_views=True)
    w.lazy_docks.build_all()
    assert w.lazy_docks.pending == 0
    assert len(w.extra_views) == len(w.docks) - 3            # every dock but controls, boundary, curves
