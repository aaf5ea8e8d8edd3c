"""viz.app.layout.docks: the one table of the main window's docks, and the window built from it."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from viz.app.layout import docks

#: the objectNames a saved layout (QMainWindow.restoreState, settings.LAYOUT_VERSION 7) finds the docks by
SAVED_NAMES = ("dock_controls", "dock_boundary", "dock_curves", "dock_layers", "dock_stage_player",
               "dock_separability", "dock_inspector", "dock_layer_lab", "dock_digits", "dock_digit_tiles",
               "dock_confusion", "dock_digit_errors", "dock_digit_map", "dock_draw", "dock_tensor_lab",
               "lossSurfaceDock", "optimizerRaceDock", "slice1dDock", "dock_weights", "dock_network",
               "dock_distributions", "dock_lessons", "dock_fit_curve", "dock_fit_surface")


def test_the_table_keeps_the_saved_layouts_names_and_order():
    assert tuple(s.name for s in docks.DOCKS) == SAVED_NAMES
    assert len({s.title for s in docks.DOCKS}) == len(docks.DOCKS)
    assert docks.WITH_WINDOW == ("dock_controls", "dock_boundary", "dock_curves")
    assert docks.spec("dock_distributions").tab == "Distributions" and docks.spec("dock_network").tab == "Network"


def test_which_runs_each_dock_suits():
    planar = {s.name for s in docks.DOCKS if s.suits == docks.PLANAR}
    assert planar == {"dock_boundary", "dock_stage_player", "dock_inspector", "dock_layer_lab"}
    images = [s.name for s in docks.DOCKS if s.suits == docks.IMAGES]
    assert images == list(SAVED_NAMES[8:15])


def test_every_view_class_is_a_widget():
    for s in docks.DOCKS:
        assert issubclass(s.view_class(), QWidget), s.name


def test_a_spec_names_a_known_kind_of_run():
    with pytest.raises(ValueError, match="suits"):
        docks.DockSpec("d", "D", "m", "C", "some")


def test_the_window_shows_the_table(qtbot, make_window):
    w = make_window(engine="thread")
    assert [d.objectName() for d in w.docks] == list(SAVED_NAMES)
    assert [d.windowTitle() for d in w.docks] == [s.tab for s in docks.DOCKS]          # tabs: short
    assert [d.property("fullTitle") for d in w.docks] == [s.title for s in docks.DOCKS]  # exports: in full
    toggles = [a for a in w.actions.view_menu.actions() if a in {d.toggleViewAction() for d in w.docks}]
    assert [a.text() for a in toggles] == [s.tab for s in docks.DOCKS]                   # the View menu


def test_a_window_builds_each_view_once_with_its_wiring(qtbot, make_window):
    w = make_window(engine="thread")
    views = {d.objectName(): w.lazy_docks.ensure(d) for d in w.docks[3:]}
    runs = {id(views[s.name].digits) for s in docks.DOCKS if s.suits == docks.IMAGES}
    assert len(runs) == 1                                        # the digits views share one run
    for s in docks.DOCKS[3:]:
        assert type(views[s.name]) is s.view_class()
    player = views["dock_stage_player"]
    qtbot.waitUntil(lambda: w.session.latest is not None and player.refresh() is not None
                    and player.last_position() >= 2, timeout=30_000)
    views["dock_layers"].stage_clicked.emit(2)                   # a click on a Layers panel moves the player
    assert player.position() == 2.0
