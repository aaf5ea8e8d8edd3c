"""One view as PNG/SVG (File → Export view, a right-click on a dock's title or tab), and the
two-weight preset's loss surface, with a real main window."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QTabBar

from viz.export.export_all import dock_content, slug, view_docks
from viz.export.view_export import export_dock, export_view_menu, full_title, install_context_export


def until(qtbot, predicate, timeout=30_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def _white(rgb: int) -> bool:
    return all(((rgb >> s) & 0xFF) >= 245 for s in (0, 8, 16))


def _front(window):
    return {d.objectName() for d in view_docks(window) if d.isVisible() and not d.visibleRegion().isEmpty()}


@pytest.fixture
def window(one_epoch_window):
    return one_epoch_window


def dock(window, name):
    return next(d for d in view_docks(window) if d.objectName() == name)


def check_png(path):
    img = QImage(str(path))
    assert img.width() >= 200 and img.height() >= 150, img.size()
    corners = [img.pixel(x, y) for x in (0, img.width() - 1) for y in (0, img.height() - 1)]
    assert all(map(_white, corners)), [hex(c) for c in corners]


def test_export_dock_saves_front_behind_and_closed_views_and_puts_the_window_back(window, tmp_path):
    front = _front(window)
    slice_dock = dock(window, "slice1dDock")
    slice_dock.close()
    behind = dock(window, "lossSurfaceDock")
    assert "lossSurfaceDock" not in front
    for d in (dock(window, "dock_curves"), behind, slice_dock):
        for ext in ("png", "svg"):
            path = tmp_path / f"{slug(full_title(d))}.{ext}"
            assert export_dock(d, str(path)), path
            if ext == "png":
                check_png(path)
            else:
                assert ET.parse(path).getroot().tag.endswith("svg")
    assert _front(window) == front
    assert not slice_dock.isVisible() and not slice_dock.toggleViewAction().isChecked()
    assert export_dock(behind, str(tmp_path / "no-suffix")) and (tmp_path / "no-suffix.png").exists()


def test_menu_lists_every_view_and_saves_the_chosen_one(window, tmp_path, monkeypatch):
    menu = export_view_menu(window)
    docks = view_docks(window)
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert len(texts) == len(docks)
    assert all(t.startswith(full_title(d)) for t, d in zip(texts, docks))
    surface = next(i for i, t in enumerate(texts) if t.startswith("Loss surface"))   # "(closed)" in another workspace
    assert all(a.toolTip() for a in menu.actions())
    asked = []

    def fake_dialog(parent, title, default, filters):
        asked.append((title, default, filters))
        return str(tmp_path / default.replace(".png", ".svg")), "SVG drawing (*.svg)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    menu.actions()[surface].trigger()
    assert asked[0][:2] == ("Export Loss surface", "loss-surface.png")
    assert ET.parse(tmp_path / "loss-surface.svg").getroot().tag.endswith("svg")


def test_right_click_on_a_title_or_tab_offers_the_export(window, tmp_path, monkeypatch):
    filt = install_context_export(window)
    curves = dock(window, "dock_curves")
    title = curves.mapTo(window, QPoint(curves.width() // 2, 4))          # the dock's title bar
    menu = filt.menu_at(title)
    assert [a.text() for a in menu.actions()[:2]] == ["Export this view as PNG (2×)…",
                                                            "Export this view as SVG…"]
    assert any(a.text() == full_title(curves) or a.isCheckable() for a in menu.actions()[3:])  # the usual menu
    inside = curves.widget().mapTo(window, QPoint(curves.widget().width() // 2, curves.widget().height() // 2))
    assert filt.menu_at(inside) is None                                    # the plots keep their own
    window.workspace_bar.actions_by_name["uncrumple"].trigger()            # a workspace with tabs
    QApplication.processEvents()
    sep = dock(window, "dock_separability")
    bars = [b for b in window.findChildren(QTabBar) if b.parentWidget() is window and b.isVisible() and b.count()]
    bar = next(b for b in bars if any(b.tabText(i) == sep.windowTitle() for i in range(b.count())))
    i = next(i for i in range(bar.count()) if bar.tabText(i) == sep.windowTitle())
    assert filt.dock_at(bar.mapTo(window, bar.tabRect(i).center())) is sep
    menu = filt.menu_at(bar.mapTo(window, bar.tabRect(i).center()))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda parent, title, default, filters: (str(tmp_path / default), filters.split(";;")[0]))
    menu.actions()[0].trigger()
    check_png(tmp_path / "separability.png")


def test_a_plain_window_without_view_docks_gives_an_empty_menu(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    assert export_view_menu(w).actions() == []
    assert install_context_export(w).menu_at(QPoint(5, 5)) is None


# ---- the two-weight preset: the loss surface is the whole network's ---------------------------------
def test_two_weight_preset_shows_the_true_loss_surface(qtbot, make_window):
    w = make_window(engine="thread")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None)
    w.preset_actions["two_weight"].trigger()
    until(qtbot, lambda: w.session.run is not None
          and w.session.run.config.hidden in ((), []) and w.session.latest.weights)
    surface = dock_content(dock(w, "lossSurfaceDock"))
    assert surface.plane_combo.currentData() == "weights"
    assert (surface.i_spin.value(), surface.j_spin.value()) == (0, 1)
    w.session.step_epoch()
    until(qtbot, lambda: w.session.latest.epoch == 1 and w.session.state != "training")
    with qtbot.waitSignal(surface.computed, timeout=20_000):
        assert surface.compute()
    assert surface.plane.kind == "weights"
    assert surface.plot.getAxis("bottom").labelText == "w1" and surface.plot.getAxis("left").labelText == "w2"
    assert "the whole network: this is the true loss surface" in surface.plot.titleLabel.text.lower()
    lo, hi = surface.plot.getAxis("bottom").range
    assert surface.plot.getAxis("bottom").autoSIPrefixScale == 1.0 and lo <= surface.plane.centre[0] <= hi
    # back to a bigger network: the plane the user had is offered again
    w.preset_actions["spiral"].trigger()
    until(qtbot, lambda: w.session.run.config.hidden not in ((), []))
    assert surface.plane_combo.currentData() == "pca"
