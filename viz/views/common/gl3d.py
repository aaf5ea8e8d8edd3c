"""OpenGL for the 3D views: a safe, cached availability probe, shared GLViewWidget helpers, and
:class:`Switch3D`, the "3D" button a 2D view uses to show a 3D view in place of its plot.

:func:`opengl_available` answers once per process whether pyqtgraph's OpenGL
views can work: PyOpenGL imports, and a ``QOpenGLContext`` can be created and made
current on an offscreen surface (the ``offscreen`` QPA platform of the test-suite
has no GL; Xvfb with Mesa's llvmpipe has). The probe never raises: any failure
means "no OpenGL", with the reason in :func:`unavailable_reason`. Setting
``UNCRUMPLE_NO_OPENGL=1`` forces the 2D fallback (checked on every call).

Every 3D view shows :data:`FALLBACK_NOTICE` and a 2D projection when this is False.
``pyqtgraph.opengl`` is imported only by :func:`gl` after a successful probe, so
the app starts without PyOpenGL.
"""
from __future__ import annotations

import os

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from viz import style

# pyqtgraph's GL items cache their shader programs per class, not per context: every GL view
# (docked, floating or in a second window) must share one context group. Effective only when set
# before the QApplication exists, so viz.app.main should set it too (importing this module early does).
if QtCore.QCoreApplication.instance() is None:
    QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

FALLBACK_NOTICE = "3D needs OpenGL: showing a 2D projection"
ENV_DISABLE = "UNCRUMPLE_NO_OPENGL"
#: OpenGL version pyqtgraph's GL items need (their shaders are GLSL 1.20 / GL 2.1)
MIN_VERSION = (2, 0)

_probe: tuple[bool, str] | None = None   # (ok, reason) once probed


def _probe_now() -> tuple[bool, str]:
    try:
        import OpenGL.GL  # noqa: F401 - PyOpenGL, which pyqtgraph.opengl needs
    except Exception as exc:  # noqa: BLE001 - ImportError or a GL library that fails to load
        return False, f"PyOpenGL is not available ({type(exc).__name__}: {exc})"
    app = QtGui.QGuiApplication.instance()
    if app is None:
        return False, "no QApplication yet"
    if not app.testAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
        return False, "the application was created without Qt.AA_ShareOpenGLContexts"
    if app.platformName() in ("offscreen", "minimal", "vnc"):
        return False, f"the '{app.platformName()}' Qt platform has no OpenGL"
    try:
        ctx = QtGui.QOpenGLContext()
        if not ctx.create():
            return False, "no OpenGL context could be created"
        surface = QtGui.QOffscreenSurface()
        surface.setFormat(ctx.format())
        surface.create()
        try:
            if not surface.isValid() or not ctx.makeCurrent(surface):
                return False, "the OpenGL context cannot be made current"
            version = ctx.format().version()
            ctx.doneCurrent()
        finally:
            surface.destroy()
        if tuple(version) < MIN_VERSION:
            return False, f"OpenGL {version[0]}.{version[1]} is too old (2.0 or newer is needed)"
        import pyqtgraph.opengl  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - whatever GL does, the app goes on in 2D
        return False, f"OpenGL failed ({type(exc).__name__}: {exc})"
    return True, ""


def opengl_available() -> bool:
    """True if the 3D views can use OpenGL (probed once, then cached; needs a QApplication).

    ``UNCRUMPLE_NO_OPENGL=1`` (or any non-empty value but ``0``) gives False without probing.
    """
    global _probe
    if os.environ.get(ENV_DISABLE, "0") not in ("", "0"):
        return False
    if _probe is None:
        result = _probe_now()
        if QtGui.QGuiApplication.instance() is None:
            return result[0]          # not cached: a later call, with an application, probes again
        _probe = result
    return _probe[0]


def unavailable_reason() -> str:
    """Why :func:`opengl_available` is False (``""`` when it is True)."""
    if os.environ.get(ENV_DISABLE, "0") not in ("", "0"):
        return f"{ENV_DISABLE} is set"
    opengl_available()
    return _probe[1] if _probe is not None else "no QApplication yet"


def fallback_text() -> str:
    """The fallback notice with its reason."""
    return f"{FALLBACK_NOTICE} ({unavailable_reason()})."


def gl():
    """The ``pyqtgraph.opengl`` module (call only when :func:`opengl_available`)."""
    import pyqtgraph.opengl as glmod
    return glmod


def on_top() -> dict:
    """glOptions for markers drawn over everything (no depth test), alpha-blended."""
    from OpenGL import GL
    return {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True,
            "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}


def rgba(color, alpha: float = 1.0) -> tuple:
    """A colour (name, QColor) as a float RGBA tuple for GL items."""
    c = QtGui.QColor(color)
    return (c.redF(), c.greenF(), c.blueF(), float(alpha))


def class_rgba(labels, n_classes: int, alpha: float = 1.0, tint: float = 0.0) -> np.ndarray:
    """(n, 4) float32 colours of integer class ``labels`` (out-of-range labels grey)."""
    table = np.array([rgba(style.tint(style.class_color(c), tint) if tint else style.class_color(c), alpha)
                      for c in range(n_classes)] + [rgba(style.palette().muted, alpha)], np.float32)
    labels = np.asarray(labels).astype(np.int64, copy=False)
    idx = np.where((labels >= 0) & (labels < n_classes), labels, n_classes)
    return table[idx]


def make_view(parent=None):
    """A GLViewWidget on the theme's plot background, with a size to be usable in a dock."""
    view = gl().GLViewWidget(parent)
    view.setBackgroundColor(style.palette().background)
    view.setMinimumSize(240, 200)
    view.setToolTip("Drag to rotate, right- or middle-drag (or Ctrl+drag) to pan, wheel to zoom.")
    return view


def box_edges(lo, hi) -> np.ndarray:
    """The 12 edges of the box ``lo``..``hi`` as (24, 3) float32 segment ends (mode ``lines``)."""
    lo, hi = np.asarray(lo, np.float32), np.asarray(hi, np.float32)
    corners = np.array([[(hi if (k >> a) & 1 else lo)[a] for a in range(3)] for k in range(8)], np.float32)
    pairs = [(k, k | (1 << a)) for k in range(8) for a in range(3) if not (k >> a) & 1]
    return corners[np.array(pairs).ravel()]


class Axes3D:
    """A light box around the data with three labelled axes along its edges from the low corner.

    ``set_box(lo, hi, labels)`` updates it with ``setData`` only; each axis is labelled
    at its far end with its name and range.
    """

    def __init__(self, view):
        glmod = gl()
        self.box = glmod.GLLinePlotItem(mode="lines", color=rgba(style.palette().muted, 0.3), width=1,
                                        glOptions="translucent")
        self.axes = glmod.GLLinePlotItem(mode="lines", color=rgba(style.palette().foreground, 0.85), width=2,
                                         glOptions="translucent")
        font = QtGui.QFont()
        font.setPointSize(9)
        self.texts = [glmod.GLTextItem(color=QtGui.QColor(style.palette().foreground), font=font) for _ in range(3)]
        for item in (self.box, self.axes, *self.texts):
            view.addItem(item)
        self.shown = None        # (lo, hi, labels) last set

    def set_box(self, lo, hi, labels=("x", "y", "z"), values=None) -> None:
        """Box ``lo``..``hi`` (3,), axis ``labels``; ``values`` = (lo, hi) to print (default the box)."""
        lo, hi = np.asarray(lo, np.float32), np.asarray(hi, np.float32)
        vlo, vhi = (lo, hi) if values is None else (np.asarray(values[0]), np.asarray(values[1]))
        self.shown = (lo, hi, tuple(labels))
        self.box.setData(pos=box_edges(lo, hi)[6:])       # the 3 edges at the low corner are the axes
        ends = []
        for a in range(3):
            end = lo.copy()
            end[a] = hi[a]
            ends += [lo, end]
        self.axes.setData(pos=np.array(ends, np.float32))
        for a in range(3):
            end = lo.astype(np.float64).copy()
            end[a] = hi[a] + 0.04 * (hi[a] - lo[a])
            name = labels[a] if a < len(labels) and labels[a] else "xyz"[a]
            self.texts[a].setData(pos=end, text=f"{name} [{float(vlo[a]):.3g}, {float(vhi[a]):.3g}]")


def grab(view) -> QtGui.QImage:
    """The GL view's picture (``QWidget.grab`` can be black for GL widgets)."""
    return view.grabFramebuffer()


def reset_button(callback) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton("Reset view")
    button.setToolTip("Turn the 3D view back to the default angle and zoom to fit the data.")
    button.clicked.connect(callback)
    return button


def camera_fit(view, lo, hi, elevation=None, azimuth=None, factor=2.2) -> None:
    """Point ``view``'s camera at the box ``lo``..``hi`` from a distance that shows all of it."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    centre = (lo + hi) / 2
    radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-6)
    view.setCameraPosition(pos=QtGui.QVector3D(*centre), distance=radius * factor,
                           elevation=elevation, azimuth=azimuth)


def robust_box(*arrays, pad=0.05):
    """``(lo, hi)`` (3,) around the finite rows of (n, 3) arrays (0.5-99.5 % range, never flat)."""
    rows = [a[np.isfinite(a).all(axis=1)] for a in arrays if len(a)]
    pts = np.concatenate(rows) if rows else np.zeros((0, 3))
    if len(pts) == 0:
        return -np.ones(3, np.float32), np.ones(3, np.float32)
    lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-3 * max(float(np.max(hi - lo)), 1e-3))
    return (lo - pad * span).astype(np.float32), (lo + span + pad * span).astype(np.float32)



class Switch3D(QtCore.QObject):
    """A checkable "3D" button that shows a 3D view in place of a 2D widget, made on first use.

    The host (a :class:`viz.views.common.view.View`) forwards its lifecycle calls (``clear``,
    ``set_run``, ``add_snapshot``, ``refresh``, ``finish``); the run and the newest weights are kept
    (cheap) and handed to the 3D view when it is made.

    Parameters
    ----------
    host : QWidget
        The view holding the button (parents this object).
    two_d : QWidget
        The 2D widget the 3D view replaces; the 3D view goes just after it in its parent's layout.
    factory : callable () -> QWidget
        Makes the 3D view.
    tooltip : str
        The button's tooltip (the fallback's reason is added without OpenGL).
    on_shown : callable (view) -> None, optional
        Runs each time the 3D view is shown.
    """

    def __init__(self, host: QtWidgets.QWidget, two_d: QtWidgets.QWidget, factory, tooltip: str, on_shown=None):
        super().__init__(host)
        self.two_d, self.factory, self.on_shown = two_d, factory, on_shown
        self.view = None
        self._run = self._snap = None
        self.button = QtWidgets.QPushButton("3D")
        self.button.setCheckable(True)
        self.button.setToolTip(tooltip if opengl_available() else f"{tooltip} {fallback_text()}")
        self.button.toggled.connect(self._toggled)

    @property
    def active(self) -> bool:
        """Whether the 3D view is shown in place of the 2D widget."""
        return self.view is not None and self.button.isChecked()

    def clear(self) -> None:
        self._run = self._snap = None
        if self.view is not None:
            self.view.clear()

    def set_run(self, run) -> None:
        self._run, self._snap = run, None
        if self.view is not None:
            self.view.set_run(run)

    def add_snapshot(self, snap) -> None:
        if snap.weights:
            self._snap = snap
        if self.view is not None:
            self.view.add_snapshot(snap)

    def refresh(self) -> bool:
        """The 3D view's refresh while it is shown (False otherwise)."""
        return self.view.refresh() if self.active else False

    def finish(self) -> None:
        """The 3D view's ``finish`` while it is shown."""
        if self.active:
            self.view.finish()

    def _toggled(self, on: bool) -> None:
        if on and self.view is None:
            self.view = self.factory()
            lay = self.two_d.parentWidget().layout()
            lay.insertWidget(lay.indexOf(self.two_d) + 1, self.view, 1)
            if self._run is not None:
                self.view.set_run(self._run)
            if self._snap is not None:
                self.view.add_snapshot(self._snap)
        self.two_d.setVisible(not on)
        if self.view is not None:
            self.view.setVisible(on)
            if on:
                self.view.refresh()
                if self.on_shown is not None:
                    self.on_shown(self.view)
