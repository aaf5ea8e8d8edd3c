"""Remembered settings: window geometry, dock layout and the last configuration.

Stored with ``QSettings("Uncrumple", "Uncrumple")``; the environment variable
``UNCRUMPLE_SETTINGS`` (a file path) switches to an INI file there instead, which
the tests use so they never touch the user's settings. Anything unreadable —
garbage bytes, a geometry on a screen that is no longer attached, a foreign
config — falls back to defaults on a visible screen.
"""
from __future__ import annotations

import os
import tempfile

from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings
from PySide6.QtGui import QGuiApplication

from core.run.config import TrainingConfig

ORGANIZATION = APPLICATION = "Uncrumple"
ENV_VAR = "UNCRUMPLE_SETTINGS"
#: bump when the dock layout changes incompatibly (QMainWindow.restoreState's version)
LAYOUT_VERSION = 7  # 2: layer views; 3: surfaces; 4: timeline toolbar; 5: weights, network, distributions;
#                      6: digits; 7: workspaces (one saved state per workspace)
DEFAULT_SIZE = (1400, 900)

KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
#: the workspace shown at the last close; each workspace's layout under KEY_WORKSPACES/<name>
KEY_WORKSPACE = "window/workspace"
KEY_WORKSPACES = "workspaces"
KEY_CONFIG = "run/last_config"
KEY_SPEED = "run/speed2"   # 2: speeds listed slowest first, a watchable default
KEY_ASK_RESET = "ui/ask_before_reset"
#: lessons (viz.lessons): each lesson's progress under KEY_LESSONS/<id>/step and .../done, the lesson
#: open at the last close, and whether the first launch's welcome was shown
KEY_LESSONS = "lessons"
KEY_LESSON_OPEN = "lessons_ui/open"
KEY_LESSONS_WELCOMED = "lessons_ui/welcomed"


def make_settings() -> QSettings:
    """The app's settings store (an INI file at ``$UNCRUMPLE_SETTINGS`` if that is set)."""
    path = os.environ.get(ENV_VAR)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def _bytes(value) -> QByteArray | None:
    if isinstance(value, QByteArray):
        return value if not value.isEmpty() else None
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None


def default_geometry(screen=None) -> QRect:
    """A window rectangle centred on ``screen`` (default: the primary one) that fits on it."""
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None:
        return QRect(0, 0, *DEFAULT_SIZE)
    avail = screen.availableGeometry()
    w = min(DEFAULT_SIZE[0], avail.width())
    h = min(DEFAULT_SIZE[1], avail.height())
    rect = QRect(0, 0, w, h)
    rect.moveCenter(avail.center())
    return rect


def on_screen(rect: QRect) -> bool:
    """True when the rectangle's centre and top-left area lie on an attached screen."""
    if rect.isEmpty() or rect.width() < 200 or rect.height() < 150:
        return False
    screen = QGuiApplication.screenAt(rect.center())
    if screen is None:
        return False
    # the title bar must be reachable: the top edge a bit right of the left corner
    return QGuiApplication.screenAt(rect.topLeft() + QPoint(40, 10)) is not None


def restore_geometry(window, settings: QSettings) -> bool:
    """Restore the window's geometry; a visible default when none was saved or it is off screen.
    True if the saved one was used."""
    ok = False
    geometry = _bytes(settings.value(KEY_GEOMETRY))
    if geometry is not None:
        try:
            ok = bool(window.restoreGeometry(geometry)) and on_screen(window.geometry())
        except (TypeError, ValueError):
            ok = False
    if not ok:
        window.setGeometry(default_geometry())
    return ok


def save_geometry(window, settings: QSettings) -> None:
    """Store the window's geometry."""
    settings.setValue(KEY_GEOMETRY, window.saveGeometry())


def load_current_workspace(settings: QSettings) -> str | None:
    """The name of the workspace shown at the last close (None if none was saved)."""
    name = settings.value(KEY_WORKSPACE)
    return name if isinstance(name, str) and name else None


def load_workspace(settings: QSettings, name: str) -> tuple[bool, QByteArray] | None:
    """Workspace ``name``'s saved layout: (saved during an image run, ``QMainWindow.saveState``
    bytes), or None if there is none."""
    state = _bytes(settings.value(f"{KEY_WORKSPACES}/{name}/state"))
    if state is None or str(settings.value(f"{KEY_WORKSPACES}/{name}/version", "")) != str(LAYOUT_VERSION):
        return None
    return read_bool(settings, f"{KEY_WORKSPACES}/{name}/images", False), state


def save_workspaces(settings: QSettings, current: str, states: dict) -> None:
    """Store which workspace is shown and each workspace's layout (``states``: name -> (images, state))."""
    settings.setValue(KEY_WORKSPACE, current)
    settings.remove(KEY_STATE)    # the one-layout key of older versions
    for name, (images, state) in states.items():
        settings.setValue(f"{KEY_WORKSPACES}/{name}/state", state)
        settings.setValue(f"{KEY_WORKSPACES}/{name}/images", bool(images))
        settings.setValue(f"{KEY_WORKSPACES}/{name}/version", LAYOUT_VERSION)


def load_config(settings: QSettings) -> TrainingConfig | None:
    """The last configuration, or None if there is none or it is not a valid one."""
    text = settings.value(KEY_CONFIG)
    if not isinstance(text, str) or not text:
        return None
    try:
        return TrainingConfig.from_json(text)
    except (ValueError, TypeError):
        return None


def save_config(settings: QSettings, config: TrainingConfig) -> None:
    """Remember ``config`` (only a valid one) for the next launch."""
    if not config.errors():
        settings.setValue(KEY_CONFIG, config.to_json())


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """A boolean setting; INI files store "true"/"false" strings, garbage gives ``default``."""
    value = settings.value(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def load_lesson_progress(settings: QSettings, lesson_id: str) -> tuple[int, bool]:
    """Lesson ``lesson_id``'s progress: (the step it is at, counted from 0; whether it was finished).
    Nothing saved or garbage: (0, False)."""
    try:
        step = int(settings.value(f"{KEY_LESSONS}/{lesson_id}/step", 0))
    except (TypeError, ValueError):
        step = 0
    return max(step, 0), read_bool(settings, f"{KEY_LESSONS}/{lesson_id}/done", False)


def lesson_started(settings: QSettings, lesson_id: str) -> bool:
    """Whether lesson ``lesson_id`` was ever opened."""
    return settings.contains(f"{KEY_LESSONS}/{lesson_id}/step")


def save_lesson_progress(settings: QSettings, lesson_id: str, step: int, done: bool) -> None:
    """Remember lesson ``lesson_id`` at ``step`` (from 0), finished or not."""
    settings.setValue(f"{KEY_LESSONS}/{lesson_id}/step", int(step))
    settings.setValue(f"{KEY_LESSONS}/{lesson_id}/done", bool(done))


def read_config_file(path: str) -> TrainingConfig:
    """A configuration saved as JSON; ``ValueError`` with a readable message if it cannot be used."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return TrainingConfig.from_json(text)


def write_config_file(path: str, config: TrainingConfig) -> None:
    """Save ``config`` as JSON atomically (a temporary file renamed over ``path``)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".uncrumple-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(config.to_json())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
