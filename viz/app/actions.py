"""The main window's actions, menus and transport toolbar (wiring only; no logic here).

:func:`build` creates every ``QAction`` once, puts them in the menus File / Run / Presets /
View / Help and in the transport toolbar, and returns them in an :class:`Actions`
namespace. The main window connects them to the session and its own slots. The message
boxes the window shows (shortcuts, about, errors, notes, "reset the run?") are here too.
"""
from __future__ import annotations

import html
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QMessageBox, QSizePolicy, QStyle, QToolBar, QWidget

from core.run.presets import PRESETS
from viz.app import settings as st

#: milliseconds a message stays in the status bar
STATUS_MS = 8000

#: speed combo entries: (label, steps per second or None for flat out)
SPEEDS = (("Flat out", None), ("100 steps/s", 100.0), ("20 steps/s", 20.0),
          ("5 steps/s", 5.0), ("1 step/s", 1.0))

#: (action attribute, text, shortcuts, tooltip); the shortcut dialog lists these
TRANSPORT = (
    ("play", "&Play", ("Space",), "Train flat out (or at the chosen speed) until paused."),
    ("step_batch", "Step &batch", ("Shift+Right", "B"), "Train exactly one mini-batch, then pause."),
    ("step_epoch", "Step &epoch", ("Right",), "Train to the end of the current epoch, then pause."),
    ("reset", "&Reset", ("R",), "Back to step 0 with the same initial weights "
                               "(and the data and architecture shown in Controls)."),
)


class Actions(SimpleNamespace):
    """The window's actions, by name (``actions.play``, ``actions.save``, ...); ``presets`` maps a
    preset's name to its action, ``more`` lists the actions with shortcuts made elsewhere."""


def make_action(window, text, shortcuts=(), tip="", icon=None, slot=None) -> QAction:
    """A window action with its shortcuts, a tooltip naming them, and ``slot`` connected (an
    ``@Slot()`` method is called without the checked flag)."""
    act = QAction(text, window)
    if icon is not None:
        act.setIcon(window.style().standardIcon(icon))
    if shortcuts:
        act.setShortcuts([QKeySequence(s) for s in shortcuts])
    if tip:
        shown = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        act.setToolTip(f"{tip} ({shown})" if shown else tip)
        act.setStatusTip(tip)
    if slot is not None:
        act.triggered.connect(slot)
    return act


def build(window, docks) -> Actions:
    """Create the menus and the toolbar of ``window``; ``docks`` are its QDockWidgets."""
    sp = QStyle.StandardPixmap
    a = Actions()
    icons = {"play": sp.SP_MediaPlay, "step_batch": sp.SP_MediaSeekForward,
             "step_epoch": sp.SP_MediaSkipForward, "reset": sp.SP_BrowserReload}
    for name, text, keys, tip in TRANSPORT:
        setattr(a, name, make_action(window, text, keys, tip, icons[name]))
    a.play_icon = window.style().standardIcon(sp.SP_MediaPlay)
    a.pause_icon = window.style().standardIcon(sp.SP_MediaPause)

    a.new = make_action(window, "&New run", ("Ctrl+N",), "Start a new run with the default configuration.")
    a.open = make_action(window, "Open &configuration…", ("Ctrl+Shift+O",),
                     "Load a training configuration (JSON) into the controls and reset.")
    a.save = make_action(window, "Save confi&guration…", ("Ctrl+Shift+S",),
                     "Save the current training configuration as JSON.")
    a.export = make_action(window, "&Export window as PNG…", ("Ctrl+E",), "Save a picture of the whole window.")
    a.quit = make_action(window, "&Quit", ("Ctrl+Q",), "Stop training and close Uncrumple.")
    a.quit.setMenuRole(QAction.MenuRole.QuitRole)
    a.reset_layout = make_action(window, "Reset &layout", (), "Show every panel again in its original place.")
    a.shortcuts = make_action(window, "&Keyboard shortcuts", ("F1",), "List the keyboard shortcuts.")
    a.about = make_action(window, "&About Uncrumple", (), "What this program is.")
    a.about.setMenuRole(QAction.MenuRole.AboutRole)
    a.more = []      # actions made elsewhere (runs, exports, the timeline) listed with the shortcuts

    bar = window.menuBar()
    a.file_menu = file_menu = bar.addMenu("&File")
    file_menu.addAction(a.new)
    a.file_runs = file_menu.addSeparator()      # the main window puts the run files here
    for act in (a.open, a.save):
        file_menu.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(a.export)
    a.file_exports = file_menu.addSeparator()   # and the exports here
    file_menu.addAction(a.quit)

    a.run_menu = run_menu = bar.addMenu("&Run")
    for name, *_ in TRANSPORT:
        run_menu.addAction(getattr(a, name))

    # each preset starts a ready-made run (the book's MNIST, the paper ball, ...)
    presets_menu = bar.addMenu("&Presets")
    presets_menu.setToolTipsVisible(True)
    a.presets = {}
    for i, (name, preset) in enumerate(PRESETS.items(), start=1):
        act = presets_menu.addAction(f"&{i} {preset.title}")
        act.setObjectName(f"preset_{name}")
        act.setToolTip(preset.description)
        act.setStatusTip(preset.description)
        act.setData(name)
        a.presets[name] = act

    a.view_menu = view_menu = bar.addMenu("&View")
    for dock in docks:
        toggle = dock.toggleViewAction()
        toggle.setStatusTip(f"Show or hide the {dock.windowTitle()} panel.")
        view_menu.addAction(toggle)
    view_menu.addSeparator()
    view_menu.addAction(a.reset_layout)

    a.help_menu = help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.shortcuts)
    help_menu.addAction(a.about)

    a.toolbar = tb = QToolBar("Transport", window)
    tb.setObjectName("transport_toolbar")
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    tb.setMovable(True)
    for name, *_ in TRANSPORT:
        tb.addAction(getattr(a, name))
    tb.addSeparator()
    speed_label = QLabel(" Speed ")
    a.speed = QComboBox()
    a.speed.setObjectName("speed")
    for label, sps in SPEEDS:
        a.speed.addItem(label, sps)
    tip = "How fast to train: flat out, or a fixed number of optimizer steps per second for slow motion."
    a.speed.setToolTip(tip)
    speed_label.setToolTip(tip)
    tb.addWidget(speed_label)
    tb.addWidget(a.speed)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    tb.addWidget(spacer)
    a.counters = QLabel()
    a.counters.setObjectName("counters")
    a.counters.setToolTip("Completed epochs, batch within the current epoch, and optimizer steps so far.")
    a.counters.setStyleSheet("QLabel { font-family: monospace; padding-right: 8px; }")
    # a fixed size (both ways: Qt skips the relayout only then): numbers that change 30 times a
    # second must not relayout the toolbar, the main window and its docks every frame
    a.counters.setFixedSize(a.counters.fontMetrics().horizontalAdvance(
        "Epoch 00000  ·  batch 0000/0000  ·  step 00000000") + 16, a.counters.sizeHint().height())
    tb.addWidget(a.counters)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    toggle = tb.toggleViewAction()
    toggle.setText("Transport toolbar")
    view_menu.insertAction(view_menu.actions()[0], toggle)
    return a


def shortcut_rows(actions: Actions) -> list[tuple[str, str]]:
    """(keys, what) for every action that has a shortcut, for the Help dialog."""
    rows = []
    for act in (actions.play, actions.step_batch, actions.step_epoch, actions.reset, actions.new,
                *actions.more, actions.open, actions.save, actions.export, actions.quit,
                actions.shortcuts):
        keys = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in act.shortcuts())
        if keys:
            rows.append((keys, "Play / Pause" if act is actions.play else act.text().replace("&", "")))
    return rows


#: status bar fields: (key, tooltip, the widest text expected, so the label never changes width)
STATUS_FIELDS = (
    ("state", "What the trainer is doing; when it stops by itself, why.", "paused"),
    ("epoch", "Completed epochs.", "epoch 00000"),
    ("step", "Optimizer updates so far (of all the run will make, when its epochs are set).",
     "step 00000000/00,000,000"),
    ("loss", "Training loss of the last completed epoch (before the first one ends: of the last batch), "
             "and validation loss.", "loss 0.0000000 (val 0.0000000)"),
    ("accuracy", "Training accuracy of the last completed epoch, and validation accuracy.",
     "accuracy 100.0% (val 100.0%)"),
)


def build_status_bar(window) -> dict:
    """Permanent labels in the window's status bar, by key (see ``STATUS_FIELDS``)."""
    bar = window.statusBar()
    labels = {}
    for key, tip, widest in STATUS_FIELDS:
        label = QLabel()
        label.setObjectName(f"status_{key}")
        label.setToolTip(tip)
        label.setContentsMargins(6, 0, 6, 0)
        width = label.fontMetrics().horizontalAdvance(widest) + 12
        if key == "state":   # grows for a long "stopped: ..." reason
            label.setMinimumWidth(width)
        else:                # fixed size: changing numbers must not relayout the window 30 times a second
            label.setFixedSize(width, label.sizeHint().height())
        bar.addPermanentWidget(label)
        labels[key] = label
    labels["state"].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return labels


def show_shortcuts(window, actions: Actions) -> QMessageBox:
    """A non-modal box listing the keyboard shortcuts."""
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>"
                   for k, v in shortcut_rows(actions))
    box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table cellspacing='4'>{rows}</table>",
                      parent=window)
    box.setObjectName("shortcuts_box")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box


def show_about(window) -> None:
    """Help > About."""
    QMessageBox.about(window, "About Uncrumple",
                      "<b>Uncrumple</b><br>Watch a small NumPy neural network learn, live: the loss curves "
                      "and the decision boundary, batch by batch (after chapter 2 of <i>Deep Learning with "
                      "Python</i>).<br><br>Training runs in a separate process, so the window stays responsive.")


def ask_reset(window, settings) -> bool:
    """Ask whether a change of data or architecture may reset the trained run ("don't ask" is remembered)."""
    if not st.read_bool(settings, st.KEY_ASK_RESET, True):
        return True
    box = QMessageBox(QMessageBox.Icon.Question, "Reset the run?",
                      "Changing the data or the architecture starts training again from step 0.\n"
                      "Reset now? (Later: keep training this run; the change applies on Reset.)", parent=window)
    reset = box.addButton("Reset now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    dont_ask = QCheckBox("Don't ask again (always reset)")
    box.setCheckBox(dont_ask)
    box.exec()
    yes = box.clickedButton() is reset
    if yes and dont_ask.isChecked():
        settings.setValue(st.KEY_ASK_RESET, False)
    return yes


def info_box(window, title: str, text: str) -> QMessageBox:
    """A non-modal note that deletes itself when closed (e.g. "using the offline MNIST sample")."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=window)
    box.setModal(False)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("info_box")
    box.show()
    return box


def warning_box(window, title: str, text: str, details: str = "") -> QMessageBox:
    """A non-modal warning that deletes itself when closed (never blocks training or the controls)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=window)
    if details and details.strip() != text:
        box.setDetailedText(details)
    box.setModal(False)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("error_box")
    box.show()
    return box
