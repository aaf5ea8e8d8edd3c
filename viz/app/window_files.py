"""The main window's File menu entries for configurations and pictures, and its Presets menu.

:class:`FilesAndPresets` is a mixin of :class:`viz.app.main_window.MainWindow` (it uses the window's
``controls``, ``session``, ``settings``, ``actions`` and ``_edit_timer``).
"""
from __future__ import annotations

import os

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.run.config import TrainingConfig, data_notice
from core.run.presets import PRESETS, get_preset

from viz.app import actions as actions_mod
from viz.app import settings as st

STATUS_MS = 8000


class FilesAndPresets:
    """Presets and configuration files for the main window (a mixin; see the module docstring)."""

    def _add_presets(self) -> None:
        """A Presets menu: each entry starts a ready-made run (the book's MNIST, the paper ball, ...)."""
        menu = self.menuBar().addMenu("&Presets")
        self.menuBar().insertMenu(self.actions.view_menu.menuAction(), menu)
        menu.setToolTipsVisible(True)
        self.preset_actions = {}
        for i, (name, preset) in enumerate(PRESETS.items(), start=1):
            act = menu.addAction(f"&{i} {preset.title}")
            act.setObjectName(f"preset_{name}")
            act.setToolTip(preset.description)
            act.setStatusTip(preset.description)
            act.setData(name)
            act.triggered.connect(self._on_preset)
            self.preset_actions[name] = act

    @Slot()
    def _on_preset(self) -> None:
        act = self.sender()
        if act is not None:
            self.start_preset(act.data())

    def start_preset(self, name: str) -> None:
        """Show preset ``name`` in the controls and start it (a notice says when data falls back)."""
        preset = get_preset(name)
        self.controls.set_config(preset.config)
        self._pending_reset = False
        self._edit_timer.stop()
        self.session.reset(preset.config)
        notice = data_notice(preset.config)
        self.statusBar().showMessage(notice or f"{preset.title}: {preset.description}", 4 * STATUS_MS)
        if notice:
            actions_mod.info_box(self, preset.title, notice)

    def adopt_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the controls without starting anything (the session already runs it)."""
        self.controls.set_config(config)
        self._pending_reset = False
        self._edit_timer.stop()

    # ---- configuration files and pictures ------------------------------------------------------
    @Slot()
    def open_config(self, path: str | None = None) -> bool:
        """Load a configuration JSON into the controls and start it (a bad file changes nothing)."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open configuration", "",
                                                  "Training configuration (*.json);;All files (*)")
        if not path:
            return False
        try:
            cfg = st.read_config_file(path)
        except ValueError as exc:
            QMessageBox.warning(self, "Open configuration", f"Could not open {os.path.basename(path)}:\n{exc}")
            return False
        self.controls.set_config(cfg)
        self._pending_reset = False
        self._edit_timer.stop()
        self.session.reset(cfg)
        self.statusBar().showMessage(f"Opened {path}", STATUS_MS)
        return True

    @Slot()
    def save_config(self, path: str | None = None) -> bool:
        """Save the controls' configuration as JSON (written atomically)."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save configuration", "uncrumple-config.json",
                                                  "Training configuration (*.json)")
        if not path:
            return False
        try:
            st.write_config_file(path, self.controls.config())
        except OSError as exc:
            QMessageBox.warning(self, "Save configuration", f"Could not save {path}:\n{exc}")
            return False
        self.statusBar().showMessage(f"Saved the configuration to {path}", STATUS_MS)
        return True

    @Slot()
    def export_png(self, path: str | None = None) -> bool:
        """Save a picture of the whole window."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export window as PNG", "uncrumple.png", "PNG image (*.png)")
        if not path:
            return False
        ok = self.grab().save(path, "PNG")
        self.statusBar().showMessage(f"Saved {path}" if ok else f"Could not save {path}", STATUS_MS)
        return ok
