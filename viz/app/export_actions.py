"""File → Export window as PNG…, Export all views…, Export history as CSV… and Show code…, for the
main window (the pictures and files themselves are made by :mod:`viz.export`)."""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QFileDialog, QProgressDialog

from viz.app.actions import STATUS_MS, make_action
from viz.app.code_dialog import show_code
from viz.export.export_all import export_all_views, export_history_csv, view_docks


class ExportActions(QObject):
    """The export and show-code actions of ``window`` (a :class:`viz.app.main_window.MainWindow`;
    its ``actions.export`` calls :meth:`export_window`)."""

    def __init__(self, window, timeline):
        super().__init__(window)
        self.window, self.timeline = window, timeline
        self.dialog = None

        def act(text, keys, tip, slot):
            return make_action(window, text, (keys,) if keys else (), tip, slot=slot)

        self.export_all = act("Export &all views…", "Ctrl+Shift+E", "Save every view as PNG and SVG "
                              "(white background) into a folder.", self.export_views)
        self.export_csv = act("Export &history as CSV…", "", "Save the per-epoch metrics (and every batch's "
                              "loss and accuracy) as CSV files.", self.export_history)
        self.show_code = act("Show &code…", "Ctrl+K", "The current configuration as equivalent Keras and "
                             "PyTorch scripts, ready to copy.", self.code)

    @Slot()
    def export_window(self, path: str | None = None) -> bool:
        """Save a picture of the whole window."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export window as PNG", "uncrumple.png",
                                                  "PNG image (*.png)")
        if not path:
            return False
        ok = self.window.grab().save(path, "PNG")
        self.window.statusBar().showMessage(f"Saved {path}" if ok else f"Could not save {path}", STATUS_MS)
        return ok

    @Slot()
    def export_views(self, folder: str | None = None) -> list[str]:
        if not folder:
            folder = QFileDialog.getExistingDirectory(self.window, "Export all views to a folder")
        if not folder:
            return []
        dialog = QProgressDialog("Exporting the views…", "Cancel", 0, 1, self.window)
        dialog.setWindowTitle("Export all views")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)

        def progress(done, total, title):
            dialog.setMaximum(total)
            dialog.setValue(done)
            dialog.setLabelText(f"Exporting {title}… ({done + 1} of {total})")
            return not dialog.wasCanceled()

        self.window.lazy_docks.build_all()   # views not built yet (the app builds them after showing the window)
        layout = self.window.dock_layout
        docks = [d for d in view_docks(self.window) if layout.suits_run(d)]   # every workspace's
        try:
            with layout.visiting() as show_home:   # each view drawn in its workspace, then back
                paths = export_all_views(self.window, folder, progress=progress, docks=docks, before=show_home)
        except (OSError, ValueError) as exc:
            self.window.show_error(f"Could not export the views to {folder}: {exc}")
            return []
        finally:
            cancelled = dialog.wasCanceled()
            dialog.close()
            dialog.deleteLater()
        what = "Cancelled: saved" if cancelled else "Saved"
        notes = getattr(paths, "notes", ())      # e.g. "Layers: PNG (10,500 points are too many for SVG)"
        text = f"{what} {len(paths)} files in {folder}" + ("; " + "; ".join(notes) if notes else "")
        self.window.statusBar().showMessage(text, STATUS_MS)
        return paths

    @Slot()
    def export_history(self, path: str | None = None) -> list[str]:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self.window, "Export history as CSV", "uncrumple-history.csv",
                                                  "CSV file (*.csv)")
        if not path:
            return []
        h = self.window.curves.history()
        try:
            paths = export_history_csv(path, self.timeline.epoch_logs, h["batch_steps"], h["batch_losses"],
                                       h["batch_accuracies"], metric=self.window.curves.metric)
        except (OSError, ValueError) as exc:
            self.window.show_error(f"Could not write {path}: {exc}")
            return []
        self.window.statusBar().showMessage(f"Saved {', '.join(os.path.basename(p) for p in paths)}", STATUS_MS)
        return paths

    @Slot()
    def code(self):
        run = self.window.session.run
        if run is None:
            self.window.show_error("The run has not started yet: the code needs its data's shape.")
            return None
        self.dialog = show_code(self.window, self.window.session.config, run.input_dim, run.n_classes)
        return self.dialog
