"""One palette for every view: class colours, train/validation markers, curve pens, colormaps.

Importing this module sets pyqtgraph's global options once (row-major images,
antialiasing, the light theme: dark text on white). Colours come from the Okabe-Ito
palette, which stays distinguishable for the common kinds of colour blindness:
class 0 is blue, class 1 is orange, and the decision heat map runs from a tint of
the one through near-white to a tint of the other.

Training points are filled circles, validation points hollow squares, so the two
stay apart in greyscale too. Training curves are blue, validation curves vermillion.

Light and dark: the values that differ between the themes are the fields of a frozen
:class:`Palette`, with one instance per theme (:data:`LIGHT`, :data:`DARK`); :func:`palette`
returns the one in force. :func:`apply_theme` switches it and sets pyqtgraph's default
background and foreground; :func:`viz.theme.setup_theme` (called once by ``viz.app.main``
before any view is built) picks the scheme and calls it. Views read ``style.palette()`` when
they build, so the theme is chosen once per process. Values the same in both themes
(``TRAIN_COLOR``, ``VAL_COLOR``, symbols, sizes) are plain constants. Data colour maps (the
diverging map, the weight maps) are the same in both themes; text drawn on them uses
:data:`INK` / :data:`PAPER`, not the theme. Exports are always on white: :func:`light_color`
and :func:`light_markup` translate the current theme's colours into the light theme's
(``viz.export.white_export.on_white``).
"""
from __future__ import annotations

import dataclasses
import re
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets
from shiboken6 import isValid

# ---- fonts --------------------------------------------------------------------------------------
LABEL_FONT_SIZE = "10pt"       # axis titles
TITLE_SIZE = "11pt"
TICK_FONT_PT = 9

# ---- scale (presentation mode) ------------------------------------------------------------------
#: how much larger presentation mode draws fonts, markers and lines
PRESENTATION_SCALE = 1.5
_scale = 1.0


def scale() -> float:
    """How much larger than normal fonts, markers and lines are drawn now (1.0; more in presentation
    mode, :mod:`viz.app.presentation`). Views read it, through :func:`scaled`, :func:`point_size`
    and the pens and styles here, when they draw, so a change shows at their next redraw."""
    return _scale


#: the QGraphicsItem data key that marks an item presentation mode must not thicken
_KEEP_THIN = 0x7E11


def keep_thin(item) -> None:
    """Mark a curve of thousands of translucent segments (the inspector's links) to keep its 1 px pen
    in presentation mode: at 1.5 px Qt takes seconds to paint it."""
    QtWidgets.QGraphicsItem.setData(item, _KEEP_THIN, True)      # pyqtgraph's own setData takes the plot data


def kept_thin(item) -> bool:
    """Whether :func:`keep_thin` marked ``item``."""
    return bool(QtWidgets.QGraphicsItem.data(item, _KEEP_THIN))


def set_scale(factor: float) -> None:
    """Draw fonts, markers and lines ``factor`` times their normal size from now on."""
    global _scale
    if not factor > 0:
        raise ValueError(f"Argument `factor` must be positive. Received: factor={factor!r}")
    _scale = float(factor)


def scaled(value: float) -> float:
    """``value`` (a size in points or pixels) at the current :func:`scale`."""
    return value * _scale


def pt(size: float | str) -> str:
    """A font size such as ``"10pt"`` (or 10) at the current :func:`scale`: ``"15pt"`` in presentation mode."""
    value = float(str(size).removesuffix("pt"))
    return f"{value * _scale:g}pt"


def point_size() -> float:
    """The size of a data point (:data:`POINT_SIZE` at the current :func:`scale`)."""
    return POINT_SIZE * _scale


def fix_label_width(label: QtWidgets.QLabel, widest: str, extra: int = 12) -> None:
    """Give ``label`` the fixed size of ``widest`` text (numbers that change 30 times a second must
    not relayout the window), again whenever its font changes (presentation mode's larger font)."""
    def fit():
        label.setFixedSize(label.fontMetrics().horizontalAdvance(widest) + extra,
                           max(label.sizeHint().height(), label.fontMetrics().height()))
    fit()
    if getattr(label, "_refit_filter", None) is None:
        label._refit_filter = _OnFontChange(fit, label)
        label.installEventFilter(label._refit_filter)


class _OnFontChange(pg.QtCore.QObject):
    """Calls ``fit()`` after its widget's font changed."""

    def __init__(self, fit, parent):
        super().__init__(parent)
        self._fit = fit

    def eventFilter(self, obj, event):  # noqa: N802 - Qt override
        if event.type() == pg.QtCore.QEvent.Type.FontChange:
            fit = self.__dict__.get("_fit")   # gone while a closing window tears its widgets down
            if fit is not None:
                fit()
        return False


# ---- colours ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Palette:
    """The values that differ between the light and the dark theme.

    Attributes
    ----------
    dark : bool
        Whether this is the dark theme.
    background : str
        Plot background.
    foreground : str
        Text, axis labels, outlines.
    muted : str
        Axis lines, secondary text.
    subtle : str
        Markers that should not shout (the scrub line).
    grid_alpha : float
        Opacity of the plots' grid lines.
    timeline_color : str
        The timeline's epoch marker (curves, distributions).
    error_color : str
        Invalid input, error text.
    class_colors : tuple of str
        Okabe-Ito colours, class 0 first; classes beyond the second cycle through the rest.
    code_colors : tuple of str
        Syntax colours of the code dialog: comment, string, keyword, number.
    notice_css, message_css, readout_css : str
        Style sheets of a notice strip, a centred message and a one-line readout.
    """

    dark: bool
    background: str
    foreground: str
    muted: str
    subtle: str
    grid_alpha: float
    timeline_color: str
    error_color: str
    class_colors: tuple[str, ...]
    code_colors: tuple[str, str, str, str]
    notice_css: str
    message_css: str
    readout_css: str

    @property
    def label_style(self) -> dict:
        """Keyword arguments of an axis title (``setLabel(text, **label_style)``): colour and size."""
        return {"color": self.foreground, "font-size": LABEL_FONT_SIZE}


LIGHT = Palette(
    dark=False,
    background="#ffffff",
    foreground="#222222",
    muted="#666666",
    subtle="#444444",
    grid_alpha=0.18,
    timeline_color="#7B2D8E",
    error_color="#c62828",
    class_colors=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"),
    code_colors=("#5f7f5f", "#a0522d", "#1f4e9e", "#7b2d8e"),
    notice_css=("QLabel { background: #fff4d6; color: #4a3b00; border: 1px solid #e0c36a;"
                " border-radius: 3px; padding: 2px 6px; }"),
    message_css="QLabel { color: #444444; font-size: 12pt; padding: 24px; }",
    readout_css="QLabel { color: #222222; padding: 1px 4px; }",
)
DARK = Palette(
    dark=True,
    background="#1d1e21",
    foreground="#e4e4e4",
    muted="#a3a3a3",
    subtle="#c4c4c4",
    grid_alpha=0.22,
    timeline_color="#C58FD8",
    error_color="#ff7b72",
    class_colors=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#f0f0f0"),
    code_colors=("#8fb98f", "#e0a070", "#79a8ff", "#d29be6"),
    notice_css=("QLabel { background: #3d3217; color: #ffe6a6; border: 1px solid #8a7330;"
                " border-radius: 3px; padding: 2px 6px; }"),
    message_css="QLabel { color: #c8c8c8; font-size: 12pt; padding: 24px; }",
    readout_css="QLabel { color: #e4e4e4; padding: 1px 4px; }",
)

_current = LIGHT               # the palette in force (apply_theme switches it)


def palette() -> Palette:
    """The palette of the theme in force (:data:`LIGHT` or :data:`DARK`)."""
    return _current


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


def class_color(index: int) -> QtGui.QColor:
    """The colour of class ``index`` (cycling past the palette's end)."""
    class_colors = _current.class_colors
    return QtGui.QColor(class_colors[int(index) % len(class_colors)])


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
# (widths at the current scale(): thicker in presentation mode)
def raw_pen(color=TRAIN_COLOR) -> QtGui.QPen:
    """Faint, thin: every batch's value."""
    return pg.mkPen(with_alpha(color, 70), width=scaled(1))


def smooth_pen(color=TRAIN_COLOR) -> QtGui.QPen:
    """Bold: the smoothed batch curve."""
    return pg.mkPen(color, width=scaled(2))


def epoch_pen(color) -> QtGui.QPen:
    """Per-epoch line (drawn with symbols on top)."""
    return pg.mkPen(color, width=scaled(1))


def val_epoch_pen() -> QtGui.QPen:
    """Per-epoch validation line: dashed, so it differs from training without colour."""
    return pg.mkPen(VAL_COLOR, width=scaled(1), style=pg.QtCore.Qt.PenStyle.DashLine)


def contour_pen() -> QtGui.QPen:
    """The P = 0.5 decision boundary."""
    return pg.mkPen(CONTOUR_COLOR, width=scaled(2))


def contour_legend_pen() -> QtGui.QPen:
    """The legend's sample of the boundary: its own pen, grey in the dark theme (where the
    near-black line, drawn on the light colour map, would vanish on the legend's background)."""
    return pg.mkPen(_current.muted, width=scaled(2)) if _current.dark else contour_pen()


def cursor_pen() -> QtGui.QPen:
    """The vertical hover line."""
    return pg.mkPen(CURSOR_COLOR, width=scaled(1), style=pg.QtCore.Qt.PenStyle.DotLine)


def epoch_symbol_kwargs(color, validation: bool) -> dict:
    """``PlotDataItem`` symbol options: train filled circles, validation hollow squares."""
    size = scaled(EPOCH_SYMBOL_SIZE)
    if validation:
        return dict(symbol=VAL_SYMBOL, symbolSize=size, symbolPen=pg.mkPen(color, width=scaled(1.5)),
                    symbolBrush=pg.mkBrush(_current.background))
    return dict(symbol=TRAIN_SYMBOL, symbolSize=size, symbolPen=pg.mkPen(color, width=scaled(1)),
                symbolBrush=pg.mkBrush(color))


def point_pen_brush(index: int, validation: bool) -> tuple:
    """``(pen, brush)`` of a data point of class ``index``: filled (train) or hollow (validation)."""
    c = class_color(index)
    if validation:
        return pg.mkPen(c, width=scaled(1.8)), pg.mkBrush(with_alpha(_current.background, 200))
    return pg.mkPen(QtGui.QColor(_current.foreground), width=scaled(0.6)), pg.mkBrush(c)


# ---- colormaps ----------------------------------------------------------------------------------
def diverging_colormap(strength: float = 0.55) -> pg.ColorMap:
    """Class 0's colour → near-white → class 1's colour, for P(class 1) in 0..1.

    The ends are tints (``strength`` is how much of the pure colour is kept) so the
    data points, drawn in the pure colours, stay visible on top.
    """
    keep = 1.0 - float(strength)
    class_colors = _current.class_colors
    colors = [tint(class_colors[0], keep), QtGui.QColor("#f7f7f7"), tint(class_colors[1], keep)]
    return pg.ColorMap([0.0, 0.5, 1.0], colors, name="uncrumple-diverging")


def class_colormap(n_classes: int) -> pg.ColorMap:
    """Steps of tinted class colours for a predicted-class index in ``0..n_classes-1``."""
    n = max(int(n_classes), 2)
    pos = [i / (n - 1) for i in range(n)]
    return pg.ColorMap(pos, [tint(class_color(i), 0.55) for i in range(n)], name="uncrumple-classes")


# ---- plot styling -------------------------------------------------------------------------------
#: colours a scatter's value-coloured points take at most, plus one (see :func:`level_brushes`)
BRUSH_LEVELS = 64


def level_brushes(cmap: pg.ColorMap, fractions, levels: int = BRUSH_LEVELS, missing=None) -> list:
    """One QBrush per point for ``fractions`` in 0..1 on ``cmap``, each rounded to one of ``levels`` + 1
    evenly spaced colours and shared by the points of that colour; a non-finite fraction gets
    ``missing`` (the palette's muted grey by default).

    A ``ScatterPlotItem`` renders one marker image per distinct brush: 1,500 points in 1,500
    colours took ~1 s to set (a stall of the window when a regression run reached the views),
    in 65 colours 10 ms. A 64th of a colour ramp is finer than the eye tells apart on a dot.
    """
    t = np.asarray(fractions, np.float64).reshape(-1)
    finite = np.isfinite(t)
    index = np.where(finite, np.rint(np.clip(np.nan_to_num(t), 0.0, 1.0) * levels), levels + 1).astype(np.int64)
    used = np.unique(index)
    shades = cmap.map(np.minimum(used, levels) / levels, mode="qcolor")
    table = {int(i): pg.mkBrush(c) for i, c in zip(used, shades)}
    if levels + 1 in table:
        table[levels + 1] = pg.mkBrush(missing if missing is not None else palette().muted)
    return [table[i] for i in index.tolist()]


def apply_plot_style(plot_item: pg.PlotItem) -> None:
    """Light grid, dark axis text and readable fonts on a ``PlotItem``."""
    plot_item.showGrid(x=True, y=True, alpha=_current.grid_alpha)
    font = QtGui.QFont()
    font.setPointSizeF(scaled(TICK_FONT_PT))
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setPen(pg.mkPen(_current.muted))
        axis.setTextPen(pg.mkPen(_current.foreground))
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
    legend = pg.LegendItem(colCount=max(1, int(columns)), labelTextColor=_current.foreground,
                           labelTextSize=pt(LEGEND_FONT_PT), horSpacing=12, verSpacing=-6)
    for item, name in entries:
        legend.addItem(item, name)
    # never let the legend hold the plots wider than the view (see refit_legend)
    legend.setMinimumWidth(1)
    return legend


def legend_columns(names, width: float) -> int:
    """How many legend columns of ``names`` fit in ``width`` pixels (at least one)."""
    font = QtGui.QFont()
    font.setPointSizeF(scaled(LEGEND_FONT_PT))
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
    graphics.ci.layout.setRowMaximumHeight(row, scaled(22) * -(-len(names) // cols) + 8)
    return legend


def label(plot_item: pg.PlotItem, axis: str, text: str) -> None:
    """Set an axis title in the shared label style (no SI scaling such as "(x0.001)":
    losses and probabilities read better as plain numbers)."""
    style = dict(_current.label_style)
    if "font-size" in style:
        style["font-size"] = pt(style["font-size"])
    plot_item.setLabel(axis, text, **style)
    plot_item.getAxis(axis).enableAutoSIPrefix(False)


def title(plot_item: pg.PlotItem, text: str) -> None:
    """Set a plot title in the shared style, elided with "…" when the plot is narrower than it."""
    plot_item.setTitle(text, color=_current.foreground, size=pt(TITLE_SIZE))
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
#: the palette's fields that hold one colour, and those that hold a label style sheet
_COLOR_FIELDS = ("background", "foreground", "muted", "subtle", "timeline_color", "error_color")
_CSS_FIELDS = ("notice_css", "message_css", "readout_css")
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def apply_theme(dark: bool) -> None:
    """Make :func:`palette` (and pyqtgraph's default background and foreground) the dark or the
    light theme's. Call before building views: they read ``style.palette()`` when they build."""
    global _current
    _current = DARK if dark else LIGHT
    pg.setConfigOptions(background=_current.background, foreground=_current.foreground)


def is_dark() -> bool:
    """Whether the dark theme is in force."""
    return _current.dark


def _light_map() -> dict:
    """``#rrggbb`` (lower case) of the current theme's colours -> the light theme's colour."""
    if not _current.dark:
        return {}
    table = {QtGui.QColor(getattr(DARK, f)).name(): getattr(LIGHT, f) for f in _COLOR_FIELDS}
    table[QtGui.QColor(DARK.class_colors[-1]).name()] = LIGHT.class_colors[-1]
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
    if not _current.dark or not text:
        return text
    for f in _CSS_FIELDS:
        if text == getattr(DARK, f):
            return getattr(LIGHT, f)
    table = _light_map()
    return _HEX.sub(lambda m: table.get(m.group(0).lower(), m.group(0)), text)


pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
apply_theme(False)
