"""The main window's actions, menus and transport toolbar (wiring only; no logic here).

:func:`build` creates every ``QAction`` once, puts them in the menus File / View /
Help and in the transport toolbar, and returns them in an :class:`Actions`
namespace. The main window connects them to the session and its own slots.
"""
from __future__ import annotations

import html
from types import SimpleNamespace

from PySide6.QtCore import Qt

from viz.app import settings as st
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QLabel, QMessageBox, QScrollArea, QSizePolicy,
                               QStyle, QToolBar, QWidget)

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
    """The window's actions, by name (``actions.play``, ``actions.save``, ...)."""


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

    run_menu = bar.addMenu("&Run")
    for name, *_ in TRANSPORT:
        run_menu.addAction(getattr(a, name))

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
                *getattr(actions, "more", ()), actions.open, actions.save, actions.export, actions.quit,
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


def build_docks(window, controls, boundary, curves) -> tuple:
    """Controls on the left, the decision boundary and the curves side by side on the right.

    Every view is a dock (movable, closable, floatable); QMainWindow needs a central
    widget, so it gets a hidden empty one.
    """
    placeholder = QWidget()
    placeholder.setObjectName("central_placeholder")
    placeholder.setMaximumSize(0, 0)
    placeholder.hide()
    window.setCentralWidget(placeholder)
    window.setDockNestingEnabled(True)
    scroll = QScrollArea()
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(controls.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
    docks = []
    for title, name, widget in (("Controls", "dock_controls", scroll),
                                ("Decision boundary", "dock_boundary", boundary),
                                ("Curves", "dock_curves", curves)):
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        docks.append(dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks[0])
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks[1])
    window.splitDockWidget(docks[1], docks[2], Qt.Orientation.Horizontal)
    window.resizeDocks(docks, [330, 480, 580], Qt.Orientation.Horizontal)
    return tuple(docks)


def add_view_docks(window, specs, tab_with) -> list:
    """Docks for more views (``(title, objectName, widget)`` each), as tabs beside ``tab_with``.

    Only the tab in front is drawn: a view whose dock is hidden behind another tab is
    skipped by the session's redraws and refreshed when it comes to the front.
    """
    docks = []
    for title, name, widget in specs:
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        # scrollable, so one view's controls never force a wide window (1280x800 must fit)
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        dock.setWidget(scroll)
        refresh_when_shown(dock, widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        window.tabifyDockWidget(docks[-1] if docks else tab_with, dock)
        docks.append(dock)
    tab_with.raise_()
    return docks


def hide_stray_tab_bars(window) -> int:
    """Hide the dock tab bars Qt leaves behind after ``restoreState`` (they float over the views).

    A live tab bar sits right under the dock in front of its group; a stray one (stale tab
    texts, drawn mid-window) sits under no dock. Returns how many were hidden.
    """
    from PySide6.QtWidgets import QTabBar
    docks = [d for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    hidden = 0
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is not window or not bar.isVisible():
            continue
        g = bar.geometry()
        texts = {bar.tabText(i) for i in range(bar.count())}
        under_a_dock = any(abs(d.geometry().bottom() + 1 - g.top()) <= 3 and d.windowTitle() in texts
                           and d.geometry().left() <= g.left() + 3 and g.left() <= d.geometry().right()
                           for d in docks)
        if not under_a_dock:
            bar.hide()
            hidden += 1
        else:   # whole titles, scrolled with the arrows when they do not fit ("D…" tells nothing)
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
    return hidden


def refresh_when_shown(dock, view) -> None:
    """Redraw a dock's view when it comes to the front (it was skipped while hidden).

    In the main window the session's redrawer does it, one view per step: "Reset layout"
    shows a dozen docks at once, and refreshing them all inside that click froze the
    window for ~2 s on an MNIST run (the monkey). Elsewhere the view refreshes at once.
    """
    refresh = getattr(view, "refresh", None)
    if refresh is None:
        return

    def shown(visible: bool) -> None:
        if not visible:
            return
        session = getattr(dock.parent(), "session", None)
        if session is not None and not session.closed:
            session.redrawer.request()
        else:
            refresh()

    dock.visibilityChanged.connect(shown)


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
