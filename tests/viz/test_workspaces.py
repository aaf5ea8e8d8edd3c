"""Issue 16: workspaces — a few full-window layouts, switched by one click or Ctrl+1…5, each remembering
what the user changed, and (the fit tests) every view of every workspace readable at 1280×800."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.run.config import TrainingConfig
from viz.app.layout import docks as registry
from viz.app.layout import workspaces as ws
from app_support import ready, until
from fit import misfits

FAST = TrainingConfig(n_samples=200, grid_resolution=16)


def shown_names(w) -> list[str]:
    return [d.objectName() for d in w.docks if d.isVisible()]


def expected(space, images=False) -> list[str]:
    """The workspace's docks that suit a 2-D (or an image) run, in the registry's order."""
    names = set(space.dock_names())
    kind = registry.IMAGES if images else registry.PLANAR
    return [s.name for s in registry.DOCKS if s.name in names and s.suits_kind(kind)]


def test_every_dock_has_a_workspace_and_names_are_checked():
    placed = {n for space in ws.WORKSPACES for n in space.dock_names()}
    assert placed == {s.name for s in registry.DOCKS}
    assert [w.name for w in ws.WORKSPACES] == ["learn", "uncrumple", "descend", "inside", "digits"]
    assert ws.home_of("dock_layers").name == "uncrumple"
    with pytest.raises(ValueError, match="'learn', 'uncrumple'"):
        ws.workspace("nope")
    with pytest.raises(KeyError):
        ws.Workspace("x", "X", "", (ws.Column(100, (ws.Pane(("no_such_dock",)),)),))


def test_a_fresh_window_shows_learn_and_each_button_shows_its_workspace(qtbot, make_window):
    w = make_window(FAST, engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    assert w.dock_layout.workspace == "learn" and w.workspace_bar.actions_by_name["learn"].isChecked()
    assert shown_names(w) == expected(ws.workspace("learn"))
    for space in ws.WORKSPACES[1:4]:
        w.workspace_bar.actions_by_name[space.name].trigger()
        assert w.dock_layout.workspace == space.name
        assert shown_names(w) == expected(space)
        assert w.workspace_bar.actions_by_name[space.name].isChecked()
        assert not w.dock_layout.empty.isVisible()


def test_ctrl_number_switches_workspace(qtbot, make_window):
    w = make_window(FAST, engine="thread")
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    ready(qtbot, w)
    w.dock_curves.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert w.dock_layout.workspace == "descend"
    assert "lossSurfaceDock" in shown_names(w) and "dock_boundary" not in shown_names(w)
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.dock_layout.workspace == "learn"
    assert "dock_boundary" in shown_names(w)


def test_changes_inside_a_workspace_are_kept_and_reset_layout_restores_it(qtbot, make_window):
    w = make_window(FAST, engine="thread")
    w.show()
    qtbot.waitExposed(w)
    bar = w.workspace_bar.actions_by_name
    w.dock_layout.dock("dock_network").close()              # the user closes a panel in Learn
    assert "dock_network" not in shown_names(w)
    bar["uncrumple"].trigger()
    assert "dock_network" not in shown_names(w)
    bar["learn"].trigger()
    assert "dock_network" not in shown_names(w)             # still closed when the user comes back
    w.actions.reset_layout.trigger()
    assert shown_names(w) == expected(ws.workspace("learn"))


def test_the_workspace_and_its_layout_are_remembered_across_launches(qtbot, make_window):
    w = make_window(FAST, engine="thread")
    w.show()
    qtbot.waitExposed(w)
    w.workspace_bar.actions_by_name["inside"].trigger()
    w.dock_layout.dock("dock_distributions").close()
    w.close()
    w2 = make_window(FAST, engine="thread")
    w2.show()
    qtbot.waitExposed(w2)
    assert w2.dock_layout.workspace == "inside" and w2.workspace_bar.actions_by_name["inside"].isChecked()
    assert shown_names(w2) == ["dock_weights"]


def test_the_digits_workspace_in_a_2d_run_says_why_it_is_empty_and_offers_mnist(qtbot, make_window):
    w = make_window(FAST, engine="thread")
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.run is not None)
    w.workspace_bar.actions_by_name["digits"].trigger()
    assert shown_names(w) == []
    until(qtbot, lambda: w.dock_layout.empty.isVisible())
    assert "MNIST" in w.dock_layout.empty.message.text()
    assert "MNIST" in w.dock_layout.empty.button.text()
    w.workspace_bar.actions_by_name["learn"].trigger()
    until(qtbot, lambda: not w.dock_layout.empty.isVisible())


def trained_window(qtbot, make_window, config, epochs):
    w = make_window(config, engine="thread", lazy_views=False)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.state == "ready")
    for k in range(epochs):
        w.session.step_epoch()
        until(qtbot, lambda: w.session.state in ("paused", "ready") and w.session.latest.epoch >= k + 1,
              timeout=60_000)
    return w


def workspace_misfits(qtbot, w, space) -> list[str]:
    w.workspace_bar.actions_by_name[space.name].trigger()
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(50)
    w.session.redrawer.request()
    qtbot.wait(200)
    bad = []
    for dock in w.docks:
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            bad += [f"{space.name}/{dock.objectName()}: {m}" for m in misfits(dock.widget())]
    return bad


@pytest.mark.parametrize("space", ws.WORKSPACES[:4], ids=lambda s: s.name)
def test_every_view_of_a_workspace_fits_1280x800_in_a_spiral_run(qtbot, make_window, space):
    w = trained_window(qtbot, make_window, FAST, epochs=3)
    assert workspace_misfits(qtbot, w, space) == []


@pytest.mark.parametrize("space", ws.WORKSPACES, ids=lambda s: s.name)
def test_every_view_of_a_workspace_fits_1280x800_in_an_mnist_run(qtbot, make_window, space):
    from core.run.presets import get_preset
    mnist = get_preset("mnist").config.replace(dataset="mnist_sample", n_samples=1000)
    w = trained_window(qtbot, make_window, mnist, epochs=1)
    for box in QApplication.topLevelWidgets():          # the "offline sample" notice
        if box.isWindow() and box is not w and box.isVisible():
            box.close()
    assert workspace_misfits(qtbot, w, space) == []
    if space.name == "digits":                          # the digits views all, in two tab groups
        assert {"dock_digits", "dock_confusion"} <= set(shown_names(w))
