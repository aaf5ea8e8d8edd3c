"""The main window: docks, menus, transport toolbar and status bar wired to a :class:`Session`.

Wiring only: the controls produce a ``TrainingConfig``, the session runs it, the
views draw what the session hands them. Every panel is a dock the user can move,
close and bring back (View menu, "Reset layout").
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QMainWindow, QMessageBox

from core.run.config import LIVE_FIELDS, TrainingConfig, data_notice
from core.run.presets import get_preset

from viz.app import actions as actions_mod
from viz.app import settings as st
from viz.app.actions import STATUS_MS
from viz.app.crash_question import ask_after_crash
from viz.app.data_progress import DataProgress
from viz.app.layout.dock_layout import DockLayout
from viz.app.layout.docks import run_kind
from viz.app.export_actions import ExportActions
from viz.app.gc_guard import GuiThreadCollector
from viz.app.presentation import Presentation
from viz.app.run_files import RunFiles
from viz.app.status import StatusNumbers
from viz.app.layout.workspace_bar import WorkspaceBar
from viz.export.view_export import export_view_menu, install_context_export
from viz.lessons.install import install as install_lessons
from viz.panels.controls import ControlsPanel
from viz.run.session import Session, structural_change
from viz.run.timeline import TimelineController, state_name
from viz.run.timeline_bar import TimelineBar
from viz.views.training.boundary import BoundaryView
from viz.views.training.curves import CurvesView

#: milliseconds to wait after the last edit before a structural change is applied
EDIT_DEBOUNCE_MS = 400


class MainWindow(QMainWindow):
    """Uncrumple's window.

    Parameters
    ----------
    config : TrainingConfig, optional
        The first run; default: the last one remembered in the settings, else the spiral.
    engine : {"process", "thread"}
    settings : QSettings, optional
        Default: :func:`viz.app.settings.make_settings`.
    lazy_views : bool
        Build the views behind the tabs after the window is shown (the app does: it is on
        screen sooner); default: all now.

    Attributes
    ----------
    session : Session
    controls : ControlsPanel
    curves : CurvesView
    boundary : BoundaryView
    actions : viz.app.actions.Actions
    dock_layout : viz.app.layout.dock_layout.DockLayout
        The docks (from the registry, :mod:`viz.app.layout.docks`) and their layout, one workspace at a
        time (:mod:`viz.app.layout.workspaces`).
    workspace_bar : viz.app.layout.workspace_bar.WorkspaceBar
        Switches the workspace (Ctrl+1…5).
    status : viz.app.status.StatusNumbers
        The status bar's figures: those of the epoch the views show (live or from the timeline).
    presentation : viz.app.presentation.Presentation
        Presentation mode (F11): full screen, larger text, markers and lines.
    docks : tuple of QDockWidget
        Every dock, in the registry's order; ``dock_controls``, ``dock_boundary`` and
        ``dock_curves`` are the first three, ``digit_docks`` those shown for image runs.
    lazy_docks : viz.app.layout.lazy_docks.LazyDocks
        Builds the views behind the tabs.
    run_files : viz.app.run_files.RunFiles
        File menu: runs, models, configurations.
    exports : viz.app.export_actions.ExportActions
        File menu: pictures, history, code.
    preset_actions : dict
        The Presets menu's actions, by preset name.
    """

    def __init__(self, config: TrainingConfig | None = None, engine: str = "process", settings=None,
                 lazy_views: bool = False):
        super().__init__()
        # before any thread starts: cyclic garbage dies in the GUI thread only (viz.app.gc_guard)
        self.gc_guard = GuiThreadCollector(self)
        self.setObjectName("main_window")
        self.setWindowTitle("Uncrumple")
        self.settings = settings if settings is not None else st.make_settings()
        if config is None:
            config = st.load_config(self.settings) or TrainingConfig()
        self._pending_reset = False
        self._shown_errors: set[str] = set()

        self.session = Session(config, engine, parent=self)
        self.controls = ControlsPanel(config)
        self.curves = CurvesView()
        self.boundary = BoundaryView()
        errors = self.controls.errors()
        self._valid, self._invalid_reason = not errors, next(iter(errors.values()), "")

        self.dock_layout = layout = DockLayout(
            self, {"dock_controls": self.controls, "dock_boundary": self.boundary, "dock_curves": self.curves},
            lazy_views)
        self.docks, self.digit_docks, self.lazy_docks = layout.docks, layout.image_docks, layout.lazy
        self.dock_controls, self.dock_boundary, self.dock_curves = layout.docks[:3]
        self.actions = actions_mod.build(self, self.docks)
        self.preset_actions = self.actions.presets
        self.workspace_bar = WorkspaceBar(layout, self)
        self.insertToolBar(self.actions.toolbar, self.workspace_bar)
        self.workspace_bar.add_to_menu(self.actions.view_menu)
        self.actions.more.extend(self.workspace_bar.actions_by_name.values())   # in Help → Keyboard shortcuts
        layout.empty.preset_requested.connect(self.start_preset)
        layout.empty.reset_requested.connect(self.reset_layout)
        self.timeline = TimelineController(self.session, history_source=self.curves.history, parent=self)
        self.timeline_bar = TimelineBar(self.timeline, self)
        self.addToolBarBreak()
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.timeline_bar)
        self.run_files = RunFiles(self, self.timeline, self.settings)
        self.data_progress = DataProgress(self, self.session)
        self.exports = ExportActions(self, self.timeline)
        self._add_file_actions()
        self.context_export = install_context_export(self)
        self.status = StatusNumbers(self.statusBar(), self.actions.counters, parent=self)
        self.status.follow(self.session, self.timeline)
        self.status_labels = self.status.labels
        self.presentation = Presentation(self, paint_hold=layout.paint_hold)
        self.actions.view_menu.addSeparator()
        self.actions.view_menu.addAction(self.presentation.action)
        self.actions.more.append(self.presentation.action)
        layout.restore(self.settings)
        self._restore_speed()

        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DEBOUNCE_MS)
        self._edit_timer.timeout.connect(self._apply_edits)
        self._wire()
        for view in (self.curves, self.boundary):
            self.session.add_view(view)
        self.lazy_docks.register_built()
        self._on_state(self.session.state)
        self._update_transport()
        self.lessons = install_lessons(self)   # the Lessons panel, Help → Lessons, File → Open lesson… (issue 19)

    # ---- construction ---------------------------------------------------------------------------
    def _wire(self) -> None:
        a, s, c = self.actions, self.session, self.controls
        a.play.triggered.connect(self.toggle_play)
        a.step_batch.triggered.connect(s.step_batch)
        a.step_epoch.triggered.connect(s.step_epoch)
        a.reset.triggered.connect(self.reset_run)
        a.speed.currentIndexChanged.connect(self._on_speed)
        a.new.triggered.connect(self.new_run)
        a.open.triggered.connect(self.run_files.open_config)
        a.save.triggered.connect(self.run_files.save_config)
        a.export.triggered.connect(self.exports.export_window)
        a.quit.triggered.connect(self.close)
        a.reset_layout.triggered.connect(self.reset_layout)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.about.triggered.connect(self.show_about)
        for act in a.presets.values():
            act.triggered.connect(self._on_preset)
        s.state_changed.connect(self._on_state)
        s.snapshot_ready.connect(self._on_snapshot)
        s.error.connect(self.show_error)
        s.silent.connect(self._on_silent)
        c.validity_changed.connect(self._on_validity)
        c.config_changed.connect(self._on_config_edited)
        c.hyperparameter_changed.connect(self._on_live_edit)
        if hasattr(c, "regenerate_requested"):
            c.regenerate_requested.connect(self._on_regenerate)
        c.notice.connect(self._on_controls_notice)

    @Slot(str)
    def _on_controls_notice(self, text: str) -> None:
        """What the Controls tell the user (a CSV of real numbers switched the task) in the status bar.
        A bound method, not a lambda: a lambda capturing the window kept every closed window alive."""
        self.statusBar().showMessage(text, 4 * STATUS_MS)

    def _add_file_actions(self) -> None:
        a, rf = self.actions, self.run_files
        menu = a.file_menu
        for act in (rf.open_run, rf.save_run):
            menu.insertAction(a.file_runs, act)
        menu.insertMenu(a.file_runs, rf.recent_menu)
        menu.insertSeparator(a.file_runs)
        for act in (rf.save_model, rf.load_model):
            menu.insertAction(a.file_runs, act)
        ex = self.exports
        menu.insertMenu(a.file_exports, export_view_menu(self))
        for act in (ex.export_all, ex.export_csv):
            menu.insertAction(a.file_exports, act)
        menu.insertSeparator(a.file_exports)
        menu.insertAction(a.file_exports, ex.show_code)
        tb = self.timeline_bar
        a.run_menu.addSeparator()
        for act in (tb.prev_action, tb.next_action, tb.live_action):
            a.run_menu.addAction(act)
            self.addAction(act)   # the shortcut works wherever the focus is in the window
        a.more.extend([rf.open_run, rf.save_run, rf.save_model, rf.load_model, ex.export_all, ex.show_code,
                       tb.prev_action, tb.next_action, tb.live_action])
        view_toggle = tb.toggleViewAction()
        view_toggle.setText("Timeline toolbar")
        a.view_menu.insertAction(a.view_menu.actions()[1], view_toggle)

    # ---- transport ------------------------------------------------------------------------------
    @Slot()
    def toggle_play(self) -> None:
        """Pause when training, otherwise play (if the controls are valid). With the trainer gone
        (it crashed or was killed) ask whether to continue the kept run in a new trainer or start over."""
        if self.session.state == "training":
            self.session.pause()
        elif not self._valid:
            return
        elif self.timeline.opening:
            self.timeline.play_after_opening()         # a new trainer is on its way to the kept run
        elif self.session.alive or self.session.closed:
            self.session.play()
        elif (kept := self.timeline.kept_state()) is None:
            self.reset_run(play=True)                  # nothing was kept: a new trainer, training
        elif not any(box.isVisible() for box in self.findChildren(QMessageBox, "crash_question")):
            ask_after_crash(self, state_name(kept), on_continue=self.timeline.continue_kept,
                            on_start_over=lambda: self.reset_run(play=True))

    @Slot()
    def reset_run(self, play: bool = False) -> None:
        """Reset to the same initial weights, applying the controls' configuration (after a crash: a
        new trainer with what the Controls show; nothing is written). ``play``: train at once."""
        cfg = self.controls.config()
        if cfg.errors():
            self.statusBar().showMessage("Fix the marked fields before resetting.", STATUS_MS)
            return
        self._pending_reset = False
        self._edit_timer.stop()
        self.session.reset(None if cfg == self.session.config else cfg)
        if play:
            self.session.play()

    @Slot()
    def new_run(self) -> None:
        """Start over with the default configuration."""
        self.start_config(TrainingConfig())

    def start_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the controls and start a run of it (an edit waiting to apply is dropped)."""
        self.adopt_config(config)
        self.session.reset(config)

    def adopt_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the controls without starting anything (the session already runs it)."""
        self.controls.set_config(config)
        self._pending_reset = False
        self._edit_timer.stop()

    @Slot()
    def _on_preset(self) -> None:
        act = self.sender()
        if act is not None:
            self.start_preset(act.data())

    def start_preset(self, name: str) -> None:
        """Show preset ``name`` in the controls and start it (a notice says when data falls back)."""
        preset = get_preset(name)
        self.start_config(preset.config)
        notice = data_notice(preset.config)
        self.statusBar().showMessage(notice or f"{preset.title}: {preset.description}", 4 * STATUS_MS)
        if notice:
            actions_mod.info_box(self, preset.title, notice)

    @Slot(int)
    def _on_speed(self, index: int) -> None:
        sps = self.actions.speed.itemData(index)
        self.session.set_speed(sps)
        self.settings.setValue(st.KEY_SPEED, index)

    def _restore_speed(self) -> None:
        index = actions_mod.speed_index(self.settings.value(st.KEY_SPEED))
        self.actions.speed.setCurrentIndex(index)
        self.session.set_speed(self.actions.speed.itemData(index))

    def _update_transport(self) -> None:
        a, state = self.actions, self.session.state
        training = state == "training"
        a.play.setText("&Pause" if training else "&Play")
        a.play.setIcon(a.pause_icon if training else a.play_icon)
        if training:
            enabled, tip = True, "Pause after the current batch (Space)."
        elif not self._valid:
            enabled, tip = False, f"Cannot train: {self._invalid_reason}"
        elif state == "stopped" and not self.session.alive:
            kept = self.timeline.kept_state()
            enabled, tip = True, ("The trainer has stopped. Play (Space) goes on from " + state_name(kept) +
                                  " in a new trainer, or starts over: it asks first." if kept is not None else
                                  "The trainer has stopped. Play (Space) starts a new one.")
        elif state in ("stopped", "finished"):
            enabled, tip = False, f"Training has {state} ({self.session.message}). Press Reset (R) to start again."
        else:
            enabled, tip = True, actions_mod.TRANSPORT[0][3] + " (Space)"
        a.play.setEnabled(enabled)
        a.play.setToolTip(tip)
        for act in (a.step_batch, a.step_epoch):
            act.setEnabled(state not in ("stopped", "finished"))
        a.reset.setEnabled(self._valid)
        a.reset.setToolTip(actions_mod.TRANSPORT[3][3] + " (R)" if self._valid
                           else f"Cannot reset: {self._invalid_reason}")

    # ---- edits in the controls ------------------------------------------------------------------
    @Slot(bool, str)
    def _on_validity(self, ok: bool, reason: str) -> None:
        self._valid, self._invalid_reason = bool(ok), reason
        self._update_transport()

    @Slot(object)
    def _on_config_edited(self, cfg) -> None:
        self._edit_timer.start()

    @Slot(str, object)
    def _on_live_edit(self, name: str, value) -> None:
        self.session.set_hyperparameter(name, value)

    @Slot()
    def _on_regenerate(self) -> None:
        self._edit_timer.stop()
        cfg = self.controls.config()
        if not cfg.errors():
            self._pending_reset = False
            self.session.reset(cfg)

    @Slot()
    def _apply_edits(self) -> None:
        """Apply a structural edit now if nothing was trained yet, else ask (once) to reset."""
        cfg = self.controls.config()
        if cfg.errors() or cfg == self.session.config:
            return
        if not structural_change(self.session.config, cfg):
            # live fields travel through hyperparameter_changed; the rest (epochs) wait for Reset
            if any(getattr(cfg, f) != getattr(self.session.config, f) for f in LIVE_FIELDS
                   if f not in getattr(self.controls, "live_fields", LIVE_FIELDS)):
                self._pending_reset = True
            return
        snap = self.session.latest
        trained = snap is not None and snap.step > 0
        if not trained:
            self.session.reset(cfg)
            return
        if self._pending_reset:
            return
        if self.ask_reset():
            self._pending_reset = False
            self.session.reset(cfg)
        else:
            self._pending_reset = True
            self.statusBar().showMessage("The change applies on the next Reset (R).", STATUS_MS)

    def ask_reset(self) -> bool:
        """Ask whether a change of data or architecture may reset the trained run."""
        return actions_mod.ask_reset(self, self.settings)

    # ---- from the session -----------------------------------------------------------------------
    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if snap.run is not None:
            self.dock_layout.show_kind(run_kind(snap.run))

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self._update_transport()
        latest = self.session.latest
        if state == "stopped" and self.session.alive and latest is not None and latest.state == "stopped":
            self._tell_stopped(self.session.message)

    @Slot(float)
    def _on_silent(self, seconds: float) -> None:
        """The trainer has not answered for ``seconds`` while training (0.0: it answers again)."""
        if seconds > 0:
            self.statusBar().showMessage(
                f"The trainer has not answered for {seconds:.0f} s: the system may have paused it, or the "
                "computer is very busy. Training goes on when it answers; Reset (R) starts a new trainer.")
        else:
            self.statusBar().showMessage("The trainer answers again.", STATUS_MS)

    def _tell_stopped(self, message: str) -> None:
        """Training stopped by itself (the loss or the weights stopped being numbers): a note a
        person sees, not only the status bar's word, saying what is kept and what to try."""
        actions_mod.info_box(
            self, "Training stopped",
            f"{message}.\n\nThe last weights that were still numbers are kept, and the timeline holds every "
            "epoch before. A learning rate that is too large for this network usually does this: lower it "
            "in Controls and press Reset (R), or drag the timeline back and continue from an earlier epoch.")

    @Slot(str)
    def show_error(self, text: str) -> None:
        """Report an error without blocking: status bar, plus one non-modal box per distinct text."""
        first = text.strip().splitlines()[-1] if text.strip() else "Unknown error"
        self.statusBar().showMessage(f"Error: {first}", 2 * STATUS_MS)
        if text in self._shown_errors:
            return
        self._shown_errors.add(text)
        actions_mod.warning_box(self, "Uncrumple: training error", first, text)

    # ---- help ---------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.dock_layout.shown()

    @Slot()
    def reset_layout(self) -> None:
        """The workspace shown as designed again, and the toolbars."""
        self.dock_layout.reset()
        for bar in (self.actions.toolbar, self.workspace_bar, self.timeline_bar):
            bar.show()

    @property
    def extra_views(self) -> list:
        """The views built so far besides the curves and the boundary."""
        return self.lazy_docks.views

    @Slot()
    def show_shortcuts(self) -> None:
        """Help > Keyboard shortcuts (non-modal)."""
        actions_mod.show_shortcuts(self, self.actions)

    @Slot()
    def show_about(self) -> None:
        """Help > About."""
        actions_mod.show_about(self)

    # ---- closing --------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Remember the layout and configuration, then stop and join the trainer."""
        try:
            self.dock_layout.save(self.settings)
            st.save_config(self.settings, self.controls.config())
            self.settings.sync()
        finally:
            self._edit_timer.stop()
            self.session.shutdown()
        event.accept()

