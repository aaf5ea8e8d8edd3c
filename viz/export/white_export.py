"""One widget as a picture on white, whatever the screen shows (the dark theme included): plots get a
white background and the light theme's dark text and pens while the picture is taken, then
everything is put back.

Two kinds of picture:

* a *figure* (:func:`save_figure_png`, :func:`save_figure_svg`; what Export view writes): the
  view's plots and their legends only, arranged as on screen, without its buttons, boxes and hint
  text; PNG at twice the screen size (or any scale), or SVG (vector lines and text);
* a screenshot of the whole widget (:func:`save_png_white`).
"""
from __future__ import annotations

import contextlib

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from viz import style, theme

WHITE = QtGui.QColor("#ffffff")
#: a figure's PNG is this many times the size on screen (sharp when projected or printed)
FIGURE_SCALE = 2.0
#: a widget with this Qt property set to True is part of its view's figure (a legend drawn as a label)
FIGURE_PROPERTY = "figure"
_RENDER = QtWidgets.QWidget.RenderFlag.DrawChildren   # no DrawWindowBackground: the page stays white


# ---- one widget on white ------------------------------------------------------------------------
def _swap(undo: list, getter, setter, new) -> None:
    """Set ``new`` through ``setter`` and remember how to put the old value back."""
    old = getter()
    setter(new)
    undo.append(lambda: setter(old))


def _pen_to_light(pen) -> QtGui.QPen | None:
    """A copy of ``pen`` in light-theme colours, or None when it has none to change."""
    if pen is None:
        return None
    pen = QtGui.QPen(pen)
    color = pen.color()
    light = style.light_color(color)
    if light == color:
        return None
    pen.setColor(light)
    return pen


def _lighten_scene(view: pg.GraphicsView, undo: list) -> None:
    """Axes, titles, labels, legends, text and the theme-coloured lines of ``view`` in the light
    theme's colours (dark text on white); ``undo`` gets the steps that restore them."""
    if not style.is_dark():
        return
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            for attr in ("_pen", "_textPen", "_tickPen"):
                pen = _pen_to_light(getattr(item, attr, None))
                if pen is not None:
                    _swap(undo, lambda i=item, a=attr: getattr(i, a), lambda v, i=item, a=attr: setattr(i, a, v), pen)
            if "color" in item.labelStyle:
                labels = dict(item.labelStyle, color=style.light_color(item.labelStyle["color"]).name())
                _swap(undo, lambda i=item: dict(i.labelStyle), lambda v, i=item: setattr(i, "labelStyle", v), labels)
            item.picture = None               # redrawn with the new pens
            undo.append(lambda i=item: setattr(i, "picture", None))
        elif isinstance(item, QtWidgets.QGraphicsTextItem):     # axis labels, LabelItem, TextItem, legends
            _swap(undo, item.defaultTextColor, item.setDefaultTextColor, style.light_color(item.defaultTextColor()))
            html = item.toHtml()
            light = style.light_markup(html)
            if light != html:
                _swap(undo, lambda i=item, h=html: h, item.setHtml, light)
        elif isinstance(item, pg.InfiniteLine):
            pen = _pen_to_light(item.pen)
            if pen is not None:
                _swap(undo, lambda i=item: i.pen, item.setPen, pen)
        elif isinstance(item, pg.PlotCurveItem):
            pen = _pen_to_light(item.opts.get("pen"))
            if pen is not None:
                _swap(undo, lambda i=item: i.opts["pen"], item.setPen, pen)
        elif isinstance(item, pg.ScatterPlotItem):          # the default pen and brush of its points
            pen = _pen_to_light(item.opts.get("pen"))
            if pen is not None:
                _swap(undo, lambda i=item: i.opts["pen"], item.setPen, pen)
            brush = item.opts.get("brush")
            if brush is not None and style.light_color(brush.color()) != brush.color():
                _swap(undo, lambda i=item: i.opts["brush"], item.setBrush, pg.mkBrush(style.light_color(brush.color())))
        if isinstance(item, pg.TextItem):
            _swap(undo, lambda i=item: i.color, item.setColor, style.light_color(item.color))
    for item in view.scene().items():
        item.update()


def _lighten_widgets(widget: QtWidgets.QWidget, undo: list) -> None:
    """Labels' style sheets and rich text, and GL backgrounds, in the light theme's colours."""
    if not style.is_dark():
        return
    for w in [widget, *widget.findChildren(QtWidgets.QWidget)]:
        sheet = w.styleSheet()
        if sheet:
            light = style.light_markup(sheet)
            if light != sheet:
                _swap(undo, lambda s=sheet: s, w.setStyleSheet, light)
        if isinstance(w, QtWidgets.QLabel) and w.textFormat() != QtCore.Qt.TextFormat.PlainText:
            text = w.text()
            light = style.light_markup(text)
            if light != text:
                _swap(undo, lambda t=text: t, w.setText, light)
        opts = getattr(w, "opts", None)
        if isinstance(opts, dict) and "bgcolor" in opts and hasattr(w, "setBackgroundColor"):   # GLViewWidget
            _swap(undo, lambda o=opts: o["bgcolor"], lambda v, w=w: (w.opts.__setitem__("bgcolor", v), w.update()),
                  WHITE.getRgbF())


@contextlib.contextmanager
def on_white(widget: QtWidgets.QWidget):
    """Within the block, ``widget`` looks as in the light theme, whatever the screen shows: its page
    (its palette's Window colour, which a scroll area's view fills itself with) and every pyqtgraph
    view inside it are white; in the dark theme its widgets get the light palette, and axes, titles,
    labels, legends and text items the light theme's dark foreground. Restored afterwards."""
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    saved = [(v, getattr(v, "_background", None), v.backgroundBrush()) for v in views]
    own_palette, palette = widget.testAttribute(QtCore.Qt.WidgetAttribute.WA_SetPalette), widget.palette()
    undo: list = []
    try:
        white = QtGui.QPalette(theme.light_palette() if style.is_dark() else palette)
        white.setColor(QtGui.QPalette.ColorRole.Window, WHITE)
        widget.setPalette(white)
        for v in views:
            v.setBackground("w")
            _lighten_scene(v, undo)
        _lighten_widgets(widget, undo)
        yield
    finally:
        for step in reversed(undo):
            step()
        for v, background, brush in saved:
            if background is not None:
                v.setBackground(background)
            v.setBackgroundBrush(brush)
        widget.setPalette(palette if own_palette else QtGui.QPalette())   # an empty palette: inherit again
        if not own_palette:
            widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_SetPalette, False)


def save_png_white(widget: QtWidgets.QWidget, path: str) -> bool:
    """``widget`` as a PNG on white, at the screen's pixel ratio; returns whether it was written."""
    ratio = widget.devicePixelRatioF() or 1.0
    size = widget.size() * ratio
    if size.isEmpty():
        return False
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(WHITE)
    painter = QtGui.QPainter(image)
    try:
        with on_white(widget):
            # QWidget's render: a pyqtgraph GraphicsView overrides render() with QGraphicsView's
            QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(), QtGui.QRegion(), _RENDER)
    finally:
        painter.end()
    return bool(image.save(str(path), "PNG"))


# ---- figures: the plots and legends of a view, nothing else ---------------------------------------
def _is_part(w: QtWidgets.QWidget) -> bool:
    from PySide6.QtOpenGLWidgets import QOpenGLWidget
    return isinstance(w, QtWidgets.QGraphicsView | QOpenGLWidget) or bool(w.property(FIGURE_PROPERTY))


def figure_parts(widget: QtWidgets.QWidget) -> list[tuple[QtWidgets.QWidget, QtCore.QRect]]:
    """The parts of ``widget`` its figure shows, with their rectangles in ``widget``'s coordinates.

    The parts are its shown plots and drawings (every ``QGraphicsView``: a pyqtgraph plot with its
    axes, title and legend; an OpenGL view) and the widgets marked with the Qt property
    :data:`FIGURE_PROPERTY`; not the buttons, boxes, sliders and hint text around them, nor what
    sits on a hidden tab. ``widget`` itself when it is one; an empty list when it holds none.
    """
    if _is_part(widget):
        return [(widget, QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))]
    parts: list = []
    for child in widget.findChildren(QtWidgets.QWidget):
        if not _is_part(child) or not child.isVisibleTo(widget) or child.size().isEmpty():
            continue
        if any(p.isAncestorOf(child) for p, _ in parts):
            continue
        parts = [(p, r) for p, r in parts if not child.isAncestorOf(p)]
        parts.append((child, QtCore.QRect(child.mapTo(widget, QtCore.QPoint(0, 0)), child.size())))
    return parts


def figure_rect(widget: QtWidgets.QWidget) -> QtCore.QRect:
    """The rectangle of ``widget`` its figure covers (all its parts; the whole widget when none)."""
    parts = figure_parts(widget)
    if not parts:
        return QtCore.QRect(QtCore.QPoint(0, 0), widget.size())
    rect = QtCore.QRect(parts[0][1])
    for _, r in parts[1:]:
        rect = rect.united(r)
    return rect


def _paint_figure(widget: QtWidgets.QWidget, painter: QtGui.QPainter, rect: QtCore.QRect) -> None:
    """Paint ``widget``'s figure parts (or all of it) with ``rect``'s corner at the painter's origin."""
    parts = figure_parts(widget) or [(widget, QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))]
    from PySide6.QtOpenGLWidgets import QOpenGLWidget
    for part, r in parts:
        at = r.topLeft() - rect.topLeft()
        if isinstance(part, QOpenGLWidget):
            painter.drawImage(QtCore.QRect(at, r.size()), part.grabFramebuffer())
        else:
            # QWidget's render: a pyqtgraph GraphicsView overrides render() with QGraphicsView's
            QtWidgets.QWidget.render(part, painter, at, QtGui.QRegion(), _RENDER)


def save_figure_png(widget: QtWidgets.QWidget, path: str, scale: float = FIGURE_SCALE) -> bool:
    """``widget``'s figure (its plots and legends, see :func:`figure_parts`) as a PNG on white,
    ``scale`` times its size on screen (lines and text drawn at that resolution, not enlarged);
    returns whether it was written."""
    rect = figure_rect(widget)
    if rect.isEmpty() or scale <= 0:
        return False
    image = QtGui.QImage((rect.size().toSizeF() * scale).toSize(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(WHITE)
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        with on_white(widget):
            _paint_figure(widget, painter, rect)
    finally:
        painter.end()
    image.setDotsPerMeterX(round(image.dotsPerMeterX() * scale))   # prints at the size on screen
    image.setDotsPerMeterY(round(image.dotsPerMeterY() * scale))
    return bool(image.save(str(path), "PNG"))


def save_figure_svg(widget: QtWidgets.QWidget, path: str) -> bool:
    """``widget``'s figure (its plots and legends, see :func:`figure_parts`) as SVG on white
    (vector lines and text; heat maps stay bitmaps)."""
    from PySide6.QtSvg import QSvgGenerator
    rect = figure_rect(widget)
    if rect.isEmpty():
        return False
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(rect.size())
    gen.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), rect.size()))
    gen.setResolution(widget.logicalDpiX())     # else text and plot items scale apart
    gen.setTitle(widget.windowTitle() or "Uncrumple view")
    painter = QtGui.QPainter(gen)
    try:
        painter.fillRect(QtCore.QRect(QtCore.QPoint(0, 0), rect.size()), WHITE)
        with on_white(widget):
            _paint_figure(widget, painter, rect)
    finally:
        ok = painter.end()
    return bool(ok)


#: what Export view and Export all write, by format: figures
SAVERS = {"png": save_figure_png, "svg": save_figure_svg}
