"""The "Reading data.csv…" dialog: progress and Cancel while the trainer reads a big CSV file.

The trainer process reads the file (:mod:`core.run.load_progress`); the session relays how far
it got (``Session.loading``). This dialog only shows it: it is modal to the window (the run
cannot change under it), and Cancel asks the trainer to stop reading. After a cancel the run
there was goes on as it was (the controls show it again) and the status bar says
"Loading data.csv was cancelled."; with no run before, Reset (R) tries again.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QProgressBar, QProgressDialog

from viz.app.actions import STATUS_MS

#: steps of the progress bar
STEPS = 1000


class DataProgress(QObject):
    """Shows a session's CSV reading in a window.

    Parameters
    ----------
    window : MainWindow
        Parent of the dialog; its status bar and controls are told about a cancel.
    session : viz.run.session.Session

    Attributes
    ----------
    dialog : QProgressDialog or None
        Shown while the trainer reads a big file.
    """

    def __init__(self, window, session):
        super().__init__(window)
        self.window, self.session = window, session
        self.dialog: QProgressDialog | None = None
        self._bar: QProgressBar | None = None
        self._cancelled = False
        session.loading.connect(self._on_loading)
        session.load_cancelled.connect(self._on_cancelled)

    def _make(self) -> QProgressDialog:
        dlg = QProgressDialog(self.window)
        dlg.setObjectName("data_progress")
        dlg.setWindowTitle("Reading the data")
        dlg.setCancelButtonText("Cancel")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)          # the trainer reports only reads that take 0.3 s or more
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.setMinimumWidth(dlg.fontMetrics().horizontalAdvance("Reading data.csv… 10,000,000 of about "
                                                                "10,000,000 rows") + 80)
        # the bar is set directly: QProgressDialog.setValue runs the event loop when the dialog is
        # modal, and a message handled inside it could close the dialog under it
        self._bar = QProgressBar(dlg)
        self._bar.setRange(0, STEPS)
        dlg.setBar(self._bar)
        dlg.canceled.connect(self._cancel)
        return dlg

    @Slot(object)
    def _on_loading(self, progress) -> None:
        if progress is None:
            self._close()
            return
        if self._cancelled:
            return
        if self.dialog is None:
            self.dialog = self._make()
        dlg = self.dialog
        dlg.setLabelText(progress.text())
        frac = progress.fraction
        if frac is None:
            self._bar.setRange(0, 0)       # a busy bar: the total is not known
        else:
            self._bar.setRange(0, STEPS)
            self._bar.setValue(int(frac * STEPS))
        dlg.setToolTip(f"{progress.rows_read:,} rows read in {progress.seconds:.1f} s. "
                       "Cancel stops reading; the run shown before stays as it was.")
        if not dlg.isVisible():
            dlg.show()

    @Slot()
    def _cancel(self) -> None:
        self._cancelled = True
        self.session.cancel_load()

    @Slot(str)
    def _on_cancelled(self, text: str) -> None:
        self._close()
        self.window.adopt_config(self.session.config)   # the controls show the run that goes on
        self.window.statusBar().showMessage(text, 2 * STATUS_MS)

    def _close(self) -> None:
        self._cancelled = False
        if self.dialog is not None:
            dlg, self.dialog = self.dialog, None
            dlg.canceled.disconnect(self._cancel)
            dlg.hide()
            dlg.deleteLater()
