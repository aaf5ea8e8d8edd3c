"""Show code: the current run as a Keras 3 or a PyTorch script, to read, copy or save.

The scripts come from :mod:`core.run.codegen`; this dialog only shows them. It is
non-modal, so the user can keep the window in view while reading:

>>> dialog = show_code(window, window.session.config, input_dim=2, n_classes=2)   # doctest: +SKIP
"""
from __future__ import annotations

import keyword
import re

from PySide6 import QtCore, QtGui, QtWidgets

from core.run.codegen import keras_code, pytorch_code
from viz import style

#: tab title -> (writer, default file name)
SCRIPTS = {"Keras": (keras_code, "uncrumple_keras.py"), "PyTorch": (pytorch_code, "uncrumple_pytorch.py")}

_COMMENT, _STRING, _KEYWORD, _NUMBER = range(4)   # indices into style.palette().code_colors (light or dark theme)


class PythonHighlighter(QtGui.QSyntaxHighlighter):
    """Light Python colouring: keywords, numbers, strings (docstrings too) and comments."""

    _RULES = (
        (re.compile(r"\b(?:" + "|".join(keyword.kwlist) + r")\b"), _KEYWORD, True),
        (re.compile(r"\b\d+(?:\.\d*)?(?:e-?\d+)?\b"), _NUMBER, False),
        (re.compile(r"(?<![\"'])\"[^\"\n]*\"|'[^'\n]*'"), _STRING, False),
        (re.compile(r"#[^\n]*"), _COMMENT, False),
    )
    _DOC = re.compile('"""')

    def __init__(self, document):
        super().__init__(document)
        self._formats = {}
        for _, color, bold in self._RULES:
            fmt = QtGui.QTextCharFormat()
            fmt.setForeground(QtGui.QColor(style.palette().code_colors[color]))
            if bold:
                fmt.setFontWeight(QtGui.QFont.Weight.Bold)
            self._formats[color] = fmt

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, color, _ in self._RULES:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self._formats[color])
        # docstrings: block state 1 = inside triple quotes
        inside, start = self.previousBlockState() == 1, 0
        marks = [m.start() for m in self._DOC.finditer(text)]
        for pos in marks:
            if inside:
                self.setFormat(start, pos + 3 - start, self._formats[_STRING])
            else:
                start = pos
            inside = not inside
        if inside:
            self.setFormat(start, len(text) - start, self._formats[_STRING])
        self.setCurrentBlockState(1 if inside else 0)


class CodeDialog(QtWidgets.QDialog):
    """Two read-only tabs (Keras, PyTorch) with the run's script; Copy, Save as…, Close.

    Parameters
    ----------
    config : core.run.config.TrainingConfig
    input_dim : int
        Features of the data (2 or 3 for the built-in sets).
    n_classes : int
    parent : QWidget, optional
    """

    def __init__(self, config, input_dim: int, n_classes: int, parent=None):
        super().__init__(parent)
        self.setObjectName("code_dialog")
        self.setWindowTitle("Code for this run")
        self.resize(900, 680)
        self.intro = QtWidgets.QLabel(
            "This run written as a script: the same data, network, loss, optimizer and seed. "
            "It runs anywhere Keras (or PyTorch) and NumPy are installed: it makes the data set "
            "itself, the same numbers as here (MNIST-type images are downloaded by the framework).")
        self.intro.setWordWrap(True)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setToolTip("Choose the framework; Copy and Save as… use the script on the shown tab.")
        self.editors: dict[str, QtWidgets.QPlainTextEdit] = {}
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        for title in SCRIPTS:
            edit = QtWidgets.QPlainTextEdit()
            edit.setObjectName(f"code_{title.lower()}")
            edit.setReadOnly(True)
            edit.setFont(font)
            edit.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
            edit.setTabStopDistance(4 * QtGui.QFontMetricsF(font).horizontalAdvance(" "))
            edit.setToolTip(f"The {title} script (read-only); select text to copy a part of it.")
            edit._highlighter = PythonHighlighter(edit.document())   # kept alive with the editor
            self.editors[title] = edit
            self.tabs.addTab(edit, title)

        self.status = QtWidgets.QLabel("")
        self.status.setObjectName("code_status")
        self.status.setToolTip("What the last Copy or Save as… did.")
        self.copy_button = QtWidgets.QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole script of the shown tab to the clipboard.")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QtWidgets.QPushButton("Save as…")
        self.save_button.setToolTip("Save the script of the shown tab as a .py file.")
        self.save_button.clicked.connect(self.save_as)
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.setToolTip("Close this window (the run is not affected).")
        self.close_button.clicked.connect(self.close)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.status, 1)
        for b in (self.copy_button, self.save_button, self.close_button):
            row.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(row)
        self.tabs.currentChanged.connect(lambda _: self.status.setText(""))
        self.set_config(config, input_dim, n_classes)

    def set_config(self, config, input_dim: int, n_classes: int) -> None:
        """Write both scripts for ``config``; an invalid one shows why instead (Copy and Save off)."""
        ok = True
        for title, (write, _) in SCRIPTS.items():
            try:
                text = write(config, input_dim, n_classes)
            except ValueError as exc:
                text, ok = f"# No script for this configuration:\n# {exc}\n", False
            self.editors[title].setPlainText(text)
        self.copy_button.setEnabled(ok)
        self.save_button.setEnabled(ok)
        self.status.setText("")

    # ---- the shown script -----------------------------------------------------------------------
    def current_title(self) -> str:
        return self.tabs.tabText(self.tabs.currentIndex())

    def show_tab(self, title: str) -> None:
        """Bring the ``"Keras"`` or ``"PyTorch"`` tab to the front."""
        self.tabs.setCurrentWidget(self.editors[title])

    def code(self, title: str | None = None) -> str:
        """The script of tab ``title`` (default: the shown one)."""
        return self.editors[title or self.current_title()].toPlainText()

    @QtCore.Slot()
    def copy(self) -> None:
        """Put the shown script on the clipboard."""
        text = self.code()
        QtGui.QGuiApplication.clipboard().setText(text)
        self.status.setText(f"Copied {len(text.splitlines())} lines")

    def save(self, path: str) -> bool:
        """Write the shown script to ``path`` (UTF-8); returns whether it was written."""
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(self.code())
        except OSError as exc:
            self.status.setText(f"Could not save: {exc.strerror or exc}")
            return False
        self.status.setText(f"Saved {path}")
        return True

    @QtCore.Slot()
    def save_as(self) -> bool:
        """Ask for a .py file name and save the shown script there."""
        default = SCRIPTS[self.current_title()][1]
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save script", default, "Python script (*.py)")
        if not path:
            return False
        if not path.lower().endswith(".py"):
            path += ".py"
        return self.save(path)


def show_code(window, config, input_dim: int, n_classes: int) -> CodeDialog:
    """Open (or update and raise) the window's non-modal code dialog for ``config``.

    One dialog per window: asking again refreshes its scripts for the new config.
    """
    dialog = window.findChild(CodeDialog, "code_dialog") if window is not None else None
    if dialog is None:
        dialog = CodeDialog(config, input_dim, n_classes, parent=window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    else:
        dialog.set_config(config, input_dim, n_classes)
    dialog.setModal(False)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
