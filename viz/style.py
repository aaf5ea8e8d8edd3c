"""One palette for every view: class colours, train/validation markers, curve pens, colormaps.

Importing this module sets pyqtgraph's global options once (row-major images,
antialiasing, the light theme: dark text on white). Colours come from the Okabe-Ito
palette, which stays distinguishable for the common kinds of colour blindness:
class 0 is blue, class 1 is orange, and the decision heat map runs from a tint of
the one through near-white to a tint of the other.

Training points are filled circles, validation points hollow squares, so the two
stay apart in greyscale too. Training curves are blue, validation curves vermillion.

Light and dark: :func:`setup_theme` (called once by ``viz.app.main`` before any view is
built) picks the scheme from ``UNCRUMPLE_THEME`` / ``--theme`` or the system's
palette, and :func:`apply_theme` sets the module's values (``BACKGROUND``,
``FOREGROUND``, ``MUTED``, the label CSS, ...) and pyqtgraph's default background
and foreground. Views read ``style.X`` when they build, so the theme is chosen
once per process. Data colour maps (the diverging map, the weight maps) are the same
in both themes; text drawn on them uses :data:`INK` / :data:`PAPER`, not the theme.
Exports are always on white: :func:`light_color` and :func:`light_markup` translate
the current theme's colours into the light theme's (``viz.export.white_export.on_white``).
"""
from __future__ import annotations

import re
import weakref

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets
from shiboken6 import isValid

ENV_THEME = "UNCRUMPLE_THEME"
THEMES = ("light", "dark", "system")

# ---- colours ------------------------------------------------------------------------------------
#: the values that differ between the themes; apply_theme copies one of these into the module
LIGHT = {
    "BACKGROUND": "#ffffff",       # plot background
    "FOREGROUND": "#222222",       # text, axis labels, outlines
    "MUTED": "#666666",            # axis lines, secondary text
    "SUBTLE": "#444444",           # markers that should not shout (scrub line)
    "GRID_ALPHA": 0.18,
    "TIMELINE_COLOR": "#7B2D8E",   # the timeline's epoch marker (curves, distributions)
    "ERROR_COLOR": "#c62828",      # invalid input, error text
    #: Okabe-Ito colours, class 0 first; classes beyond the second cycle through the rest
    "CLASS_COLORS": ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"),
    #: syntax colours of the code dialog: comment, string, keyword, number
    "CODE_COLORS": ("#5f7f5f", "#a0522d", "#1f4e9e", "#7b2d8e"),
    "NOTICE_CSS": ("QLabel { background: #fff4d6; color: #4a3b00; border: 1px solid #e0c36a;"
                   " border-radius: 3px; padding: 2px 6px; }"),
    "MESSAGE_CSS": "QLabel { color: #444444; font-size: 12pt; padding: 24px; }",
    "READOUT_CSS": "QLabel { color: #222222; padding: 1px 4px; }",
}
DARK = {
    "BACKGROUND": "#1d1e21",
    "FOREGROUND": "#e4e4e4",
    "MUTED": "#a3a3a3",
    "SUBTLE": "#c4c4c4",
    "GRID_ALPHA": 0.22,
    "TIMELINE_COLOR": "#C58FD8",
    "ERROR_COLOR": "#ff7b72",
    "CLASS_COLORS": ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#f0f0f0"),
    "CODE_COLORS": ("#8fb98f", "#e0a070", "#79a8ff", "#d29be6"),
    "NOTICE_CSS": ("QLabel { background: #3d3217; color: #ffe6a6; border: 1px solid #8a7330;"
                   " border-radius: 3px; padding: 2px 6px; }"),
    "MESSAGE_CSS": "QLabel { color: #c8c8c8; font-size: 12pt; padding: 24px; }",
    "READOUT_CSS": "QLabel { color: #e4e4e4; padding: 1px 4px; }",
}

DARK_THEME = False             # the theme in force (apply_theme sets it)
BACKGROUND = LIGHT["BACKGROUND"]
FOREGROUND = LIGHT["FOREGROUND"]
MUTED = LIGHT["MUTED"]
SUBTLE = LIGHT["SUBTLE"]
GRID_ALPHA = LIGHT["GRID_ALPHA"]
TIMELINE_COLOR = LIGHT["TIMELINE_COLOR"]
ERROR_COLOR = LIGHT["ERROR_COLOR"]
CLASS_COLORS = LIGHT["CLASS_COLORS"]
CODE_COLORS = LIGHT["CODE_COLORS"]
NOTICE_CSS = LIGHT["NOTICE_CSS"]
MESSAGE_CSS = LIGHT["MESSAGE_CSS"]
READOUT_CSS = LIGHT["READOUT_CSS"]

# the same in both themes
TRAIN_COLOR = "#0072B2"        # training curves (loss, accuracy)
VAL_COLOR = "#D55E00"          # validation curves
NAN_COLOR = "#a8a8a8"          # heat map cells whose value is NaN
CONTOUR_COLOR = "#1a1a1a"      # the P = 0.5 decision boundary (drawn on the light diverging map)
CURSOR_COLOR = "#888888"       # the hover line
INK = "#222222"                # text on light data colours (confusion cells, flagged table rows)
PAPER = "#ffffff"              # text on dark data colours

# ---- markers ------------------------------------------------------------------------------------
TRAIN_SYMBOL = "o"             # filled
VAL_SYMBOL = "s"               # hollow
POINT_SIZE = 7
EPOCH_SYMBOL_SIZE = 7

# ---- fonts --------------------------------------------------------------------------------------
LABEL_STYLE = {"color": FOREGROUND, "font-size": "10pt"}
TITLE_SIZE = "11pt"
TICK_FONT_PT = 9


def class_color(index: int) -> QtGui.QColor:
    """The colour of class ``index`` (cycling past the palette's end)."""
    return QtGui.QColor(CLASS_COLORS[int(index) % len(CLASS_COLORS)])


def tint(color, amount: float) -> QtGui.QColor:
    """``color`` mixed with white: ``amount`` 0 keeps it, 1 gives white."""
    c = QtGui.QColor(color)
    a = min(max(float(amount), 0.0), 1.0)
    return QtGui.QColor(round(c.red() + (255 - c.red()) * a),
                        round(c.green() + (255 - c.green()) * a),
                        round(c.blue() + (255 - c.blue()) * a))


def with_alpha(color, alpha: int) -> QtGui.QColor:
    """A copy of ``color`` with alpha ``alpha`` (0..255)."""
    c = QtGui.QColor(color)
    c.setAlpha(int(alpha))
    return c


# ---- pens ---------------------------------------------------------------------------------------
def raw_pen(color=TRAIN_COLOR) -> QtGui.QPen:
    """Faint, thin: every batch's value."""
    return pg.mkPen(with_alpha(color, 70), width=1)


def smooth_pen(color=TRAIN_COLOR) -> QtGui.QPen:
    """Bold: the smoothed batch curve."""
    return pg.mkPen(color, width=2)


def epoch_pen(color) -> QtGui.QPen:
    """Per-epoch line (drawn with symbols on top)."""
    return pg.mkPen(color, width=1)


def val_epoch_pen() -> QtGui.QPen:
    """Per-epoch validation line: dashed, so it differs from training without colour."""
    return pg.mkPen(VAL_COLOR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)


def contour_pen() -> QtGui.QPen:
    """The P = 0.5 decision boundary."""
    return pg.mkPen(CONTOUR_COLOR, width=2)


def contour_legend_pen() -> QtGui.QPen:
    """The legend's sample of the boundary: its own pen, grey in the dark theme (where the
    near-black line, drawn on the light colour map, would vanish on the legend's background)."""
    return pg.mkPen(MUTED, width=2) if DARK_THEME else contour_pen()


def cursor_pen() -> QtGui.QPen:
    """The vertical hover line."""
    return pg.mkPen(CURSOR_COLOR, width=1, style=pg.QtCore.Qt.PenStyle.DotLine)


def epoch_symbol_kwargs(color, validation: bool) -> dict:
    """``PlotDataItem`` symbol options: train filled circles, validation hollow squares."""
    if validation:
        return dict(symbol=VAL_SYMBOL, symbolSize=EPOCH_SYMBOL_SIZE, symbolPen=pg.mkPen(color, width=1.5),
                    symbolBrush=pg.mkBrush(BACKGROUND))
    return dict(symbol=TRAIN_SYMBOL, symbolSize=EPOCH_SYMBOL_SIZE, symbolPen=pg.mkPen(color, width=1),
                symbolBrush=pg.mkBrush(color))


def point_pen_brush(index: int, validation: bool) -> tuple:
    """``(pen, brush)`` of a data point of class ``index``: filled (train) or hollow (validation)."""
    c = class_color(index)
    if validation:
        return pg.mkPen(c, width=1.8), pg.mkBrush(with_alpha(BACKGROUND, 200))
    return pg.mkPen(QtGui.QColor(FOREGROUND), width=0.6), pg.mkBrush(c)


# ---- colormaps ----------------------------------------------------------------------------------
def diverging_colormap(strength: float = 0.55) -> pg.ColorMap:
    """Class 0's colour → near-white → class 1's colour, for P(class 1) in 0..1.

    The ends are tints (``strength`` is how much of the pure colour is kept) so the
    data points, drawn in the pure colours, stay visible on top.
    """
    keep = 1.0 - float(strength)
    colors = [tint(CLASS_COLORS[0], keep), QtGui.QColor("#f7f7f7"), tint(CLASS_COLORS[1], keep)]
    return pg.ColorMap([0.0, 0.5, 1.0], colors, name="uncrumple-diverging")


def class_colormap(n_classes: int) -> pg.ColorMap:
    """Steps of tinted class colours for a predicted-class index in ``0..n_classes-1``."""
    n = max(int(n_classes), 2)
    pos = [i / (n - 1) for i in range(n)]
    return pg.ColorMap(pos, [tint(class_color(i), 0.55) for i in range(n)], name="uncrumple-classes")


# ---- plot styling -------------------------------------------------------------------------------
def apply_plot_style(plot_item: pg.PlotItem) -> None:
    """Light grid, dark axis text and readable fonts on a ``PlotItem``."""
    plot_item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    font = QtGui.QFont()
    font.setPointSize(TICK_FONT_PT)
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(font)
        # major and minor ticks only: the third level's dense grid lines cost ~10 ms a frame and add clutter
        axis.setStyle(maxTickLevel=1)
    plot_item.getViewBox().setBackgroundColor(None)


def cache_axes(plot_item: pg.PlotItem) -> None:
    """Keep ``plot_item``'s axes (their tick labels and the grid they draw across the plot) as pixmaps.

    A live plot's curves change every frame and their area overlaps the axes' grid, so
    without a cache every frame replays each axis's text (~1 ms an axis); with it, an axis
    is drawn again only when its range changes (the curves move their ranges in steps).
    """
    for name in ("left", "bottom", "right", "top"):
        plot_item.getAxis(name).setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


LEGEND_FONT_PT = 9


def make_legend(entries, columns: int) -> pg.LegendItem:
    """A legend of ``(item, name)`` entries laid out in ``columns`` columns."""
    legend = pg.LegendItem(colCount=max(1, int(columns)), labelTextColor=FOREGROUND,
                           labelTextSize=f"{LEGEND_FONT_PT}pt", horSpacing=12, verSpacing=-6)
    for item, name in entries:
        legend.addItem(item, name)
    # never let the legend hold the plots wider than the view (see refit_legend)
    legend.setMinimumWidth(1)
    return legend


def legend_columns(names, width: float) -> int:
    """How many legend columns of ``names`` fit in ``width`` pixels (at least one)."""
    font = QtGui.QFont()
    font.setPointSizeF(LEGEND_FONT_PT)
    fm = QtGui.QFontMetricsF(font)
    col = max(fm.horizontalAdvance(n) for n in names) + 20 + 12 + 16   # sample, spacing, margins
    return max(1, min(len(names), int(width // col)))


def refit_legend(graphics: pg.GraphicsLayoutWidget, legend: pg.LegendItem, entries, row: int) -> pg.LegendItem:
    """The legend in layout row ``row`` with as many columns as the view's width holds.

    A new legend replaces the old when the column count changes (pyqtgraph's
    ``setColumnCount`` keeps the stretched label sizes, which then hold the plots
    wider than the view). Returns the legend now shown.
    """
    names = [n for _, n in entries]
    cols = legend_columns(names, graphics.width() - 16)
    if cols != legend.columnCount:
        graphics.removeItem(legend)
        legend = make_legend(entries, cols)
        graphics.addItem(legend, row=row, col=0)
    graphics.ci.layout.setRowMaximumHeight(row, 22 * -(-len(names) // cols) + 8)
    return legend


def label(plot_item: pg.PlotItem, axis: str, text: str) -> None:
    """Set an axis title in the shared label style (no SI scaling such as "(x0.001)":
    losses and probabilities read better as plain numbers)."""
    plot_item.setLabel(axis, text, **LABEL_STYLE)
    plot_item.getAxis(axis).enableAutoSIPrefix(False)


def title(plot_item: pg.PlotItem, text: str) -> None:
    """Set a plot title in the shared style, elided with "…" when the plot is narrower than it."""
    plot_item.setTitle(text, color=FOREGROUND, size=TITLE_SIZE)
    elide(plot_item.titleLabel)


def elide(label: pg.LabelItem) -> None:
    """Let ``label`` (a title) be narrower than its text: the text is cut with "…" to the width the
    layout gives it, whole in the tooltip (else a long title holds the plots wider than the view)."""
    if not getattr(label, "_elides", False):
        label._elides = True
        ref, update_min = weakref.ref(label), label.updateMin

        def small_min():            # LabelItem.resizeEvent calls updateMin: the text's width
            update_min()
            label.setMinimumWidth(1)
        label.updateMin = small_min
        label.geometryChanged.connect(lambda: _elide_now(ref()))
        label.setMinimumWidth(1)
    _elide_now(label)


def _elide_now(label) -> None:
    if label is None or not isValid(label) or not isValid(label.item):   # a label being deleted
        return
    text = getattr(label, "text", "")
    if not text or "<" in text or getattr(label, "_eliding", False):
        return
    font = QtGui.QFont(label.item.font())
    size = str(label.opts.get("size", ""))
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    width = max(label.width() - 6, 12)
    shown = QtGui.QFontMetricsF(font).elidedText(text, pg.QtCore.Qt.TextElideMode.ElideRight, width)
    label._eliding = True
    try:
        pg.LabelItem.setText(label, shown)
        label.text = text
        label.setToolTip(text if shown != text else "")
    finally:
        label._eliding = False



# ---- light and dark -----------------------------------------------------------------------------
_COLOR_KEYS = ("BACKGROUND", "FOREGROUND", "MUTED", "SUBTLE", "TIMELINE_COLOR", "ERROR_COLOR")
_CSS_KEYS = ("NOTICE_CSS", "MESSAGE_CSS", "READOUT_CSS")
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def apply_theme(dark: bool) -> None:
    """Make the module's colours (and pyqtgraph's default background and foreground) the dark
    or the light theme's. Call before building views: they read ``style.X`` when they build."""
    global DARK_THEME
    values = DARK if dark else LIGHT
    globals().update(values)
    DARK_THEME = bool(dark)
    LABEL_STYLE["color"] = values["FOREGROUND"]
    pg.setConfigOptions(background=values["BACKGROUND"], foreground=values["FOREGROUND"])


def is_dark() -> bool:
    """Whether the dark theme is in force."""
    return DARK_THEME


def _light_map() -> dict:
    """``#rrggbb`` (lower case) of the current theme's colours -> the light theme's colour."""
    if not DARK_THEME:
        return {}
    table = {QtGui.QColor(DARK[k]).name(): LIGHT[k] for k in _COLOR_KEYS}
    table[QtGui.QColor(DARK["CLASS_COLORS"][-1]).name()] = LIGHT["CLASS_COLORS"][-1]
    return table


def light_color(color) -> QtGui.QColor:
    """``color`` as the light theme shows it: a dark-theme colour (foreground, muted, ...) becomes
    its light-theme twin with the same alpha; any other colour is returned unchanged."""
    c = QtGui.QColor(color)
    twin = _light_map().get(c.name())
    if twin is None:
        return c
    out = QtGui.QColor(twin)
    out.setAlpha(c.alpha())
    return out


def light_markup(text: str) -> str:
    """HTML or a style sheet with the current theme's ``#rrggbb`` colours (and label CSS)
    replaced by the light theme's: what an export on white shows."""
    if not DARK_THEME or not text:
        return text
    for k in _CSS_KEYS:
        if text == DARK[k]:
            return LIGHT[k]
    table = _light_map()
    return _HEX.sub(lambda m: table.get(m.group(0).lower(), m.group(0)), text)


pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
apply_theme(False)

# the application's palette and light/dark choice live in viz.theme (imported here, as before)
from viz.theme import (dark_palette, light_palette, palette_is_dark, setup_theme,  # noqa: E402,F401
                       system_is_dark, theme_choice)
