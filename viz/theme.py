"""The application's light or dark scheme: which one (``--theme``, ``UNCRUMPLE_THEME``, the system),
and the Fusion palettes used when the choice differs from the platform's (e.g. dark under Xvfb).

:func:`setup_theme` runs once at start-up, before any view is built (``viz.app.main`` calls it),
and switches :func:`viz.style.palette` with :func:`viz.style.apply_theme`. This module uses
:mod:`viz.style`, never the reverse.
"""
from __future__ import annotations

import os

import pyqtgraph as pg
from PySide6 import QtGui

from viz import style

ENV_THEME = "UNCRUMPLE_THEME"           # the environment variable that picks the theme
THEMES = ("light", "dark", "system")    # the choices of --theme and of the variable

#: the platform's own palette, kept the first time a theme is set up
_system_palette: QtGui.QPalette | None = None


def palette_is_dark(palette: QtGui.QPalette) -> bool:
    """Whether ``palette``'s window is darker than its text (a dark scheme)."""
    role = QtGui.QPalette.ColorRole
    return palette.color(role.Window).lightness() < palette.color(role.WindowText).lightness()


def system_is_dark(app) -> bool:
    """Whether the platform asks for a dark scheme: ``styleHints().colorScheme()`` where Qt knows
    it (Qt >= 6.5), else the lightness of the platform palette's window colour."""
    scheme = app.styleHints().colorScheme() if hasattr(app.styleHints(), "colorScheme") else None
    if scheme == pg.QtCore.Qt.ColorScheme.Dark:
        return True
    if scheme == pg.QtCore.Qt.ColorScheme.Light:
        return False
    return palette_is_dark(_system_palette if _system_palette is not None else app.palette())


def dark_palette() -> QtGui.QPalette:
    """A dark Fusion palette, for a platform without a dark palette of its own (Xvfb)."""
    role, group = QtGui.QPalette.ColorRole, QtGui.QPalette.ColorGroup
    p = QtGui.QPalette()
    for r, c in ((role.Window, "#2f3033"), (role.WindowText, "#e4e4e4"), (role.Base, "#232427"),
                 (role.AlternateBase, "#2b2c2f"), (role.ToolTipBase, "#3a3b3e"), (role.ToolTipText, "#f0f0f0"),
                 (role.PlaceholderText, "#8c8c8c"), (role.Text, "#e4e4e4"), (role.Button, "#3a3b3e"),
                 (role.ButtonText, "#e4e4e4"), (role.BrightText, "#ff7b72"), (role.Light, "#505154"),
                 (role.Midlight, "#434447"), (role.Mid, "#28292b"), (role.Dark, "#1f2022"),
                 (role.Shadow, "#111111"), (role.Highlight, "#3d7fd6"), (role.HighlightedText, "#ffffff"),
                 (role.Link, "#79a8ff"), (role.LinkVisited, "#c58fd8")):
        p.setColor(r, QtGui.QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QtGui.QColor("#7c7c7c"))
    p.setColor(group.Disabled, role.Button, QtGui.QColor("#333437"))
    p.setColor(group.Disabled, role.Base, QtGui.QColor("#2a2b2e"))
    return p


def light_palette() -> QtGui.QPalette:
    """Fusion's light palette (what an export on white uses for widgets)."""
    from PySide6 import QtWidgets
    fusion = QtWidgets.QStyleFactory.create("Fusion")
    return fusion.standardPalette() if fusion is not None else QtGui.QPalette()


def theme_choice(choice: str | None = None) -> str:
    """``"light"``, ``"dark"`` or ``"system"``: ``choice`` (``--theme``) when light or dark, else
    the ``UNCRUMPLE_THEME`` environment variable when light or dark, else ``"system"``.

    Raises
    ------
    ValueError
        If ``choice`` is not one of ``THEMES`` (or None).
    """
    if choice is not None and choice not in THEMES:
        raise ValueError(f"Argument `choice` must be one of {THEMES}. Received: choice={choice!r}")
    if choice in ("light", "dark"):
        return choice
    env = os.environ.get(ENV_THEME, "").strip().lower()
    return env if env in ("light", "dark") else "system"


def setup_theme(app, choice: str | None = None) -> bool:
    """Pick the scheme once at start-up, before any view is built; returns whether it is dark.

    ``choice`` (``"light"``, ``"dark"``, ``"system"`` or None, see :func:`theme_choice`). When the
    choice differs from the platform's scheme (forced dark under Xvfb), the application gets the
    Fusion style and a dark (or light) palette so that widgets and plots agree.
    """
    global _system_palette
    if _system_palette is None:
        _system_palette = QtGui.QPalette(app.palette())
    system_dark = system_is_dark(app)
    wanted = theme_choice(choice)
    dark = system_dark if wanted == "system" else wanted == "dark"
    if dark != system_dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette() if dark else light_palette())
    elif not palette_is_dark(app.palette()) == dark:
        app.setPalette(_system_palette)       # back to the platform's palette after a forced theme
    style.apply_theme(dark)
    return dark
