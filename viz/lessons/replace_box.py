"""The question a lesson asks before a step replaces a run that has trained: Save the run… / Discard / Cancel.

The box is window-modal but does not block the event loop (``open()``, not ``exec()``): training,
the redraws and the tests go on while it waits for an answer.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

#: the answers, as :func:`ask_replace` reports them
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_replace(window, what: str, answer) -> QMessageBox:
    """Ask whether the trained run may be replaced by ``what`` (e.g. "This step starts the MNIST run");
    ``answer(SAVE | DISCARD | CANCEL)`` is called once the user has chosen (closing the box is CANCEL).

    Returns the box (shown); its buttons are ``box.save_button``, ``box.discard_button``,
    ``box.cancel_button``.
    """
    box = QMessageBox(QMessageBox.Icon.Question, "Replace your run?",
                      f"{what} Your run on screen has trained; it will be replaced.\n\n"
                      "Save it first to open it again later (File → Open run).", parent=window)
    box.setObjectName("lesson_replace_box")
    box.save_button = box.addButton("Save the run…", QMessageBox.ButtonRole.AcceptRole)
    box.discard_button = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.cancel_button = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.save_button.setToolTip("Save the whole run to a file, then set up the step.")
    box.discard_button.setToolTip("Set up the step without saving: your run is gone.")
    box.cancel_button.setToolTip("Keep your run as it is; the step is not set up.")
    box.setDefaultButton(box.save_button)
    box.setEscapeButton(box.cancel_button)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    answered = []

    def done(*_args) -> None:
        if answered:
            return
        clicked = box.clickedButton()
        answered.append(SAVE if clicked is box.save_button else DISCARD if clicked is box.discard_button else CANCEL)
        answer(answered[0])

    box.finished.connect(done)
    box.open()
    return box
