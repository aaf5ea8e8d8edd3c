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
LAYOUT_VERSION = 6  # 2: layer views; 3: surfaces; 4: timeline toolbar; 5: weights, network, distributions; 6: digits
DEFAULT_SIZE = (1400, 900)

KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_CONFIG = "run/last_config"
KEY_SPEED = "run/speed"
KEY_ASK_RESET = "ui/ask_before_reset"


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


def restore_window(window, settings: QSettings) -> bool:
    """Restore geometry and dock layout; fall back to a visible default. True if both were restored."""
    ok_geometry = False
    geometry = _bytes(settings.value(KEY_GEOMETRY))
    if geometry is not None:
        try:
            ok_geometry = bool(window.restoreGeometry(geometry)) and on_screen(window.geometry())
        except (TypeError, ValueError):
            ok_geometry = False
    if not ok_geometry:
        window.setGeometry(default_geometry())
    ok_state = False
    state = _bytes(settings.value(KEY_STATE))
    if state is not None:
        try:
            ok_state = bool(window.restoreState(state, LAYOUT_VERSION))
        except (TypeError, ValueError):
            ok_state = False
    return ok_geometry and ok_state


def save_window(window, settings: QSettings) -> None:
    """Store the window's geometry and dock layout."""
    settings.setValue(KEY_GEOMETRY, window.saveGeometry())
    settings.setValue(KEY_STATE, window.saveState(LAYOUT_VERSION))


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
