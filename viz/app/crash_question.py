"""The question Play asks after the trainer died: continue the kept run, start over, or cancel.

>>> box = ask_after_crash(window, "epoch 7", on_continue=lambda: ..., on_start_over=lambda: ...)
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox


def ask_after_crash(window, where: str, on_continue, on_start_over) -> QMessageBox:
    """Show the question (window-modal, it returns at once) and call the answer's function.

    Parameters
    ----------
    window : QWidget
        The main window the box belongs to.
    where : str
        The newest kept state in plain words, e.g. ``"epoch 7"`` or ``"epoch 7, batch 3"``.
    on_continue, on_start_over : callable
        Called with no argument on "Continue from …" or "Start over"; Cancel calls nothing.

    Returns
    -------
    QMessageBox
        The box (object name ``"crash_question"``); it deletes itself when answered.
    """
    box = QMessageBox(QMessageBox.Icon.Question, "The trainer has stopped",
                      f"The trainer stopped unexpectedly, but the run is kept up to {where}.\n\n"
                      f"Continue from {where} in a new trainer, or start over from step 0 with what "
                      "the Controls show?", parent=window)
    box.setObjectName("crash_question")
    go_on = box.addButton(f"Continue from {where}", QMessageBox.ButtonRole.AcceptRole)
    go_on.setObjectName("continue_kept")
    again = box.addButton("Start over", QMessageBox.ButtonRole.DestructiveRole)
    again.setObjectName("start_over")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go_on)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        if button is go_on:
            on_continue()
        elif button is again:
            on_start_over()

    box.buttonClicked.connect(answered)
    box.show()
    return box
