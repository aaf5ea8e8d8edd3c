"""File → Open run / Save run / Open recent / Save model / Load model / Open and save configuration,
for the main window.

Every method takes an optional path (tests and scripts pass one; users get a file
dialog). Errors go to a non-modal warning: a bad file never touches the run shown.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from core.engine.model import load_model
from core.run.runfile import RUN_SUFFIX

from viz.app import settings as st
from viz.app.actions import STATUS_MS, make_action

KEY_RECENT = "files/recent_runs"
MAX_RECENT = 8
RUN_FILTER = f"Uncrumple run (*{RUN_SUFFIX} *.npz);;All files (*)"
MODEL_FILTER = "Uncrumple model (*.npz);;All files (*)"
CONFIG_FILTER = "Training configuration (*.json)"


class RunFiles(QObject):
    """The file actions of ``window`` (a :class:`viz.app.main_window.MainWindow`): runs, models and
    configurations (the window's ``actions.open`` and ``actions.save`` call :meth:`open_config`
    and :meth:`save_config`)."""

    def __init__(self, window, timeline, settings):
        super().__init__(window)
        self.window, self.timeline, self.settings = window, timeline, settings

        def act(text, keys, tip, slot):
            return make_action(window, text, (keys,) if keys else (), tip, slot=slot)

        self.open_run = act("&Open run…", "Ctrl+O", "Open a saved run: its configuration, curves, every kept "
                            "epoch and its training state, ready to continue.", self.open)
        self.save_run = act("&Save run…", "Ctrl+S", "Save the whole run (configuration, history, every kept "
                            "epoch, optimizer state) to continue it later exactly.", self.save)
        self.save_model = act("Save &model…", "Ctrl+Shift+M", "Save the network alone (architecture and the "
                              "weights shown), loadable with core.load_model.", self.save_model_file)
        self.load_model = act("&Load model…", "Ctrl+Shift+L", "Put a saved model's weights into this run "
                              "(same architecture; the optimizer starts afresh).", self.load_model_file)
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        timeline.saved.connect(self._on_saved)
        timeline.failed.connect(window.show_error)
        timeline.note.connect(self._on_note)

    # ---- runs -----------------------------------------------------------------------------------
    @Slot()
    def save(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save run", "uncrumple-run" + RUN_SUFFIX, RUN_FILTER)
        if not path:
            return False
        if not path.endswith(".npz"):
            path += RUN_SUFFIX
        self.timeline.save(path)
        return True

    def _on_note(self, text: str) -> None:
        """Where training continued from (Continue from here, a run going on after a crash)."""
        self.window.statusBar().showMessage(text, 2 * STATUS_MS)

    def _on_saved(self, path: str) -> None:
        self._remember(path)
        self.window.statusBar().showMessage(f"Saved the run to {path}", STATUS_MS)

    @Slot()
    def open(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open run", "", RUN_FILTER)
        if not path:
            return False
        run = self.timeline.open(path)
        if run is None:
            return False
        self.window.adopt_config(run.config)
        self._remember(path)
        self.window.statusBar().showMessage(
            f"Opened {os.path.basename(path)}: epoch {run.current.epoch}, step {run.current.step}", STATUS_MS)
        return True

    # ---- recent files ---------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = self.settings.value(KEY_RECENT, [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)][:MAX_RECENT]

    def _remember(self, path: str) -> None:
        path = os.path.abspath(path)
        paths = [path] + [p for p in self.recent() if p != path]
        self.settings.setValue(KEY_RECENT, paths[:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.recent()
        for p in paths:
            a = self.recent_menu.addAction(os.path.basename(p))
            a.setToolTip(p)
            a.setEnabled(os.path.exists(p))
            a.setData(p)
            a.triggered.connect(self._open_recent)
        if not paths:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(self._clear_recent)

    @Slot()
    def _open_recent(self) -> None:
        act = self.sender()
        if act is not None:
            self.open(act.data())

    @Slot()
    def _clear_recent(self) -> None:
        self.settings.setValue(KEY_RECENT, [])

    # ---- models ---------------------------------------------------------------------------------
    @Slot()
    def save_model_file(self, path: str | None = None) -> bool:
        model, weights = self.timeline.local_model(), self.timeline.shown_weights()
        if model is None or weights is None:
            self.window.show_error("There is no network to save yet: wait for the run to start.")
            return False
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save model", "uncrumple-model.npz", MODEL_FILTER)
        if not path:
            return False
        model.set_weights(weights)
        try:
            model.save(path)
        except (OSError, ValueError) as exc:
            self.window.show_error(f"Could not save the model to {path}: {exc}")
            return False
        self.window.statusBar().showMessage(f"Saved the model to {path}", STATUS_MS)
        return True

    @Slot()
    def load_model_file(self, path: str | None = None) -> bool:
        current = self.timeline.checkpoint
        if current is None:
            self.window.show_error("The run has not started yet: load the model once it shows its data.")
            return False
        if why := self.window.session.refusal(current):     # a new run is starting: its network may differ
            self.window.statusBar().showMessage(why, STATUS_MS)
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Load model", "", MODEL_FILTER)
        if not path:
            return False
        try:
            model = load_model(path)
        except ValueError as exc:
            self.window.show_error(str(exc))
            return False
        shapes = [tuple(w.shape) for w in model.get_weights()]
        if shapes != [tuple(s) for s in current.shapes]:
            self.window.show_error(
                f"{os.path.basename(path)} holds a network with weight shapes {shapes}; this run's are "
                f"{[tuple(s) for s in current.shapes]}. Set the same architecture in Controls first.")
            return False
        flat = np.concatenate([w.ravel() for w in model.get_weights()]).astype(np.float32)
        ckpt = dataclasses.replace(current, weights=flat, optimizer={"iterations": 0, "slots": []})
        self.window.session.restore(ckpt, self.timeline.epoch_logs)   # it fits: both checked above
        self.window.statusBar().showMessage(f"Loaded the weights of {path}", STATUS_MS)
        return True

    # ---- configurations -------------------------------------------------------------------------
    @Slot()
    def open_config(self, path: str | None = None) -> bool:
        """Load a configuration JSON into the controls and start it (a bad file changes nothing)."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open configuration", "",
                                                  f"{CONFIG_FILTER};;All files (*)")
        if not path:
            return False
        try:
            cfg = st.read_config_file(path)
        except ValueError as exc:
            QMessageBox.warning(self.window, "Open configuration", f"Could not open {os.path.basename(path)}:\n{exc}")
            return False
        self.window.start_config(cfg)
        self.window.statusBar().showMessage(f"Opened {path}", STATUS_MS)
        return True

    @Slot()
    def save_config(self, path: str | None = None) -> bool:
        """Save the controls' configuration as JSON (written atomically)."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Save configuration", "uncrumple-config.json",
                                                  CONFIG_FILTER)
        if not path:
            return False
        try:
            st.write_config_file(path, self.window.controls.config())
        except OSError as exc:
            QMessageBox.warning(self.window, "Save configuration", f"Could not save {path}:\n{exc}")
            return False
        self.window.statusBar().showMessage(f"Saved the configuration to {path}", STATUS_MS)
        return True
