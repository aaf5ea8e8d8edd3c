"""Light and dark themes: the window and plots follow the scheme, exports stay on white.

``viz.style`` is module-global: every test that switches to the dark theme goes through the
``dark`` fixture, which puts the light theme, the application's style and its palette back.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from viz import style, theme
from viz.export.white_export import on_white, save_png_white
from viz.views import CurvesView


@pytest.fixture
def dark(qapp, monkeypatch):
    """The dark theme as ``UNCRUMPLE_THEME=dark`` gives it; the light theme again afterwards."""
    style_name, palette = qapp.style().name(), QtGui.QPalette(qapp.palette())
    monkeypatch.setenv(theme.ENV_THEME, "dark")
    assert theme.setup_theme(qapp) is True
    yield
    style.apply_theme(False)
    qapp.setStyle(style_name)
    qapp.setPalette(palette)


@pytest.fixture
def light(qapp):
    """The light theme (the default), asserted rather than set: nothing may have leaked."""
    assert not style.is_dark()
    yield


def shown_curves(qtbot) -> CurvesView:
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(640, 420)
    view.show()
    qtbot.waitExposed(view)
    QtWidgets.QApplication.processEvents()
    return view


def lightness(image: QtGui.QImage) -> np.ndarray:
    """(h, w) lightness 0..255 of an image (mean of R, G and B)."""
    img = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return a[:, :img.width(), :3].mean(axis=2)


def left_axis_rect(view: CurvesView) -> QtCore.QRect:
    """The first left axis's own area (ticks and tick text, not its grid lines) in ``view`` pixels."""
    axis = next(i for i in view.graphics.scene().items()
                if isinstance(i, pg.AxisItem) and i.orientation == "left" and i.isVisible())
    scene_rect = axis.mapRectToScene(axis.rect())
    poly = view.graphics.mapFromScene(scene_rect)
    rect = poly.boundingRect()
    return QtCore.QRect(view.graphics.mapTo(view, rect.topLeft()), rect.size()).adjusted(2, 2, -2, -2)


def axis_and_corners(image: QtGui.QImage, rect: QtCore.QRect):
    """Lightness of the axis area and of the four corner pixels of ``image`` (logical pixels)."""
    ratio = image.devicePixelRatio()
    lum = lightness(image)
    r = [round(v * ratio) for v in (rect.top(), rect.bottom(), rect.left(), rect.right())]
    axis = lum[r[0]:r[1], r[2]:r[3]]
    corners = lum[[0, 0, -1, -1], [0, -1, 0, -1]]
    return axis, corners


# ---- choosing the theme ---------------------------------------------------------------------------
def test_theme_choice_order(monkeypatch):
    monkeypatch.delenv(theme.ENV_THEME, raising=False)
    assert theme.theme_choice() == "system"
    monkeypatch.setenv(theme.ENV_THEME, "Dark")
    assert theme.theme_choice() == "dark"
    assert theme.theme_choice("system") == "dark"       # the variable beats the default
    assert theme.theme_choice("light") == "light"       # an explicit --theme beats the variable
    monkeypatch.setenv(theme.ENV_THEME, "purple")
    assert theme.theme_choice() == "system"
    with pytest.raises(ValueError, match="Argument `choice` must be one of"):
        theme.theme_choice("sepia")


def test_dark_theme_sets_module_values_pyqtgraph_and_a_dark_palette(qapp, dark):
    assert style.is_dark()
    assert style.palette().background == style.DARK.background and style.palette().foreground == style.DARK.foreground
    assert style.palette().label_style["color"] == style.DARK.foreground
    assert pg.mkColor(pg.getConfigOption("background")).name() == style.DARK.background
    assert pg.mkColor(pg.getConfigOption("foreground")).name() == style.DARK.foreground
    assert theme.palette_is_dark(qapp.palette())                  # offscreen has no dark palette: Fusion's
    window = qapp.palette().color(QtGui.QPalette.ColorRole.Window)
    text = qapp.palette().color(QtGui.QPalette.ColorRole.WindowText)
    assert text.lightness() - window.lightness() > 120             # readable widgets
    assert style.palette().readout_css == style.DARK.readout_css


def test_light_theme_is_unchanged(qtbot, light):
    assert style.palette().background == "#ffffff" and style.palette().foreground == "#222222" and style.palette().muted == "#666666"
    assert pg.mkColor(pg.getConfigOption("background")).name() == "#ffffff"
    assert style.light_markup(style.palette().readout_css) == style.palette().readout_css
    assert style.light_color("#222222").name() == "#222222"
    view = shown_curves(qtbot)
    assert view.graphics.backgroundBrush().color().name() == "#ffffff"
    axis, corners = axis_and_corners(view.grab().toImage(), left_axis_rect(view))
    assert axis.min() < 80                 # dark tick text on white
    assert np.median(axis) > 240


# ---- a view in the dark -----------------------------------------------------------------------------
def test_dark_view_has_dark_plots_and_light_axis_text(qtbot, dark):
    view = shown_curves(qtbot)
    assert view.graphics.backgroundBrush().color().name() == style.DARK.background
    axis, _ = axis_and_corners(view.grab().toImage(), left_axis_rect(view))
    assert np.median(axis) < 60             # the plot's background is dark...
    assert axis.max() > 200                 # ...and its tick text light


def test_dark_export_is_on_white_with_dark_text_and_the_view_is_restored(qtbot, dark, tmp_path):
    view = shown_curves(qtbot)
    rect = left_axis_rect(view)
    path = tmp_path / "curves.png"
    assert save_png_white(view, str(path))
    image = QtGui.QImage(str(path))
    image.setDevicePixelRatio(view.devicePixelRatioF())
    axis, corners = axis_and_corners(image, rect)
    assert (corners == 255).all()
    assert np.median(axis) > 240            # white behind the axis...
    assert axis.min() < 80                  # ...and dark tick text on it
    # the screen is dark again
    axes = [i for i in view.graphics.scene().items() if isinstance(i, pg.AxisItem)]
    assert axes and all(a.textPen().color().name() == style.DARK.foreground for a in axes)
    assert view.readout.styleSheet() == style.DARK.readout_css
    assert view.graphics.backgroundBrush().color().name() == style.DARK.background
    axis, _ = axis_and_corners(view.grab().toImage(), rect)
    assert np.median(axis) < 60 and axis.max() > 200


def test_on_white_translates_labels_legends_and_text_items(qtbot, dark):
    w = pg.GraphicsLayoutWidget()
    qtbot.addWidget(w)
    plot = w.addPlot()
    style.apply_plot_style(plot)
    style.title(plot, "loss")
    style.label(plot, "bottom", "epoch")
    text = pg.TextItem("note", color=style.palette().foreground)
    plot.addItem(text)
    curve = plot.plot([0, 1], [0, 1], pen=pg.mkPen(style.palette().foreground))
    legend = style.make_legend([(curve, "train")], 1)
    w.addItem(legend, row=1, col=0)
    label = QtWidgets.QLabel(f"<span style='color:{style.palette().muted}'>muted</span>")
    light_fg, dark_fg = style.LIGHT.foreground, style.DARK.foreground
    with on_white(w):
        assert plot.titleLabel.item.toHtml().count(light_fg) >= 1
        assert dark_fg not in plot.titleLabel.item.toHtml()
        assert text.textItem.defaultTextColor().name() == light_fg
        assert curve.curve.opts["pen"].color().name() == light_fg
        assert plot.getAxis("bottom").textPen().color().name() == light_fg
        assert dark_fg not in legend.items[0][1].item.toHtml()
    assert dark_fg in plot.titleLabel.item.toHtml()
    assert text.textItem.defaultTextColor().name() == dark_fg
    assert curve.curve.opts["pen"].color().name() == dark_fg
    assert plot.getAxis("bottom").textPen().color().name() == dark_fg
    assert style.light_markup(label.text()) == f"<span style='color:{style.LIGHT.muted}'>muted</span>"


def test_light_color_keeps_alpha_and_other_colours(dark):
    c = style.light_color(style.with_alpha(style.palette().muted, 70))
    assert c.name() == style.LIGHT.muted and c.alpha() == 70
    assert style.light_color(style.TRAIN_COLOR).name() == QtGui.QColor(style.TRAIN_COLOR).name()
    assert style.light_markup(style.palette().notice_css) == style.LIGHT.notice_css


# ---- no clipped titles ----------------------------------------------------------------------------
def test_long_titles_are_elided_to_the_plot_width_and_whole_again_when_wide(qtbot, light):
    w = pg.GraphicsLayoutWidget()
    qtbot.addWidget(w)
    plot = w.addPlot()
    text = "Linear separability per stage (layer: W, +b, activation) over all the epochs so far"
    style.title(plot, text)
    w.resize(260, 200)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: plot.titleLabel.item.toPlainText().endswith("…"))
    assert plot.titleLabel.text == text                      # the whole title is kept...
    assert plot.titleLabel.toolTip() == text                 # ...and shown on hover
    assert plot.sceneBoundingRect().right() <= w.width() + 1  # the plot fits the view
    w.resize(1400, 200)
    qtbot.waitUntil(lambda: plot.titleLabel.item.toPlainText() == text)
    assert plot.titleLabel.toolTip() == ""
