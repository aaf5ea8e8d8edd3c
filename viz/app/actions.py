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

#: speed combo entries, slowest first: (label, steps per second or None for flat out, tooltip).
#: A step is one mini-batch update. The default spiral (32 samples a batch, 10 steps an epoch)
#: has its boundary formed after ~1,000-1,800 steps (bench/default_run.py): ~20-35 s at
#: DEFAULT_SPEED, time to watch the boundary bend; flat out it takes a second or two.
SPEEDS = (
    ("1 step/s", 1.0, "Slow motion: one mini-batch update a second, to follow each step."),
    ("5 steps/s", 5.0, "Five mini-batch updates a second."),
    ("20 steps/s", 20.0, "Twenty mini-batch updates a second (two epochs a second on the spiral)."),
    ("50 steps/s", 50.0, "Fifty mini-batch updates a second (five epochs a second on the spiral): "
                         "the spiral's boundary bends over about half a minute."),
    ("200 steps/s", 200.0, "Two hundred mini-batch updates a second (twenty epochs a second on the spiral)."),
    ("Flat out", None, "As fast as this computer can train: thousands of updates a second, "
                       "too fast to watch the boundary form."),
)
#: the index in :data:`SPEEDS` of a fresh start's speed ("50 steps/s": a pace a person can follow)
DEFAULT_SPEED = 3

#: (action attribute, text, shortcuts, tooltip); the shortcut dialog lists these
TRANSPORT = (
    ("play", "&Play", ("Space",), "Train until paused, at the speed chosen in the toolbar "
                                  "(Flat out is its last choice)."),
    ("step_batch", "Step &batch", ("Shift+Right", "B"), "Train exactly one mini-batch, then pause."),
    ("step_epoch", "Step &epoch", ("Right",), "Train to the end of the current epoch, then pause."),
    ("reset", "&Reset", ("R",), "Back to step 0 with the same initial weights "
                               "(and the data and architecture shown in Controls)."),
)


def speed_index(saved) -> int:
    """The :data:`SPEEDS` index to start with, from the value the settings kept (an index, or its
    text in an INI file): a valid index as saved; nothing saved or anything else, :data:`DEFAULT_SPEED`."""
    try:
        index = int(saved)
    except (TypeError, ValueError):
        return DEFAULT_SPEED
    return index if 0 <= index < len(SPEEDS) and str(saved).strip() == str(index) else DEFAULT_SPEED


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
    a.reset_layout = make_action(window, "Reset &layout", (),
                                 "Put this workspace's panels back where they were designed to be.")
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

    # each preset starts a ready-made run (the book's MNIST, the paper ball, ...); the regression ones
    # in their own submenu, each menu numbered 1, 2, ... (a key each)
    presets_menu = bar.addMenu("&Presets")
    presets_menu.setToolTipsVisible(True)
    regression_menu = None
    a.presets = {}
    for name, preset in PRESETS.items():
        menu = presets_menu
        if preset.config.task == "regression":
            if regression_menu is None:
                presets_menu.addSeparator()
                regression_menu = presets_menu.addMenu("&Regression: fit a number")
                regression_menu.setToolTipsVisible(True)
            menu = regression_menu
        number = sum(1 for act in menu.actions() if act.data() in PRESETS) + 1
        act = menu.addAction(f"&{number} {preset.title}")
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
    for i, (label, sps, item_tip) in enumerate(SPEEDS):
        a.speed.addItem(label, sps)
        a.speed.setItemData(i, item_tip, Qt.ItemDataRole.ToolTipRole)
    a.speed.setCurrentIndex(DEFAULT_SPEED)
    tip = ("How fast Play trains, in mini-batch updates (steps) a second: slow enough to watch "
           "the boundary bend, or flat out (the last choice).")
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
    # viz.app.status.StatusNumbers gives it a fixed size (numbers changing 30 times a second must
    # not relayout the window) and fills it
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
