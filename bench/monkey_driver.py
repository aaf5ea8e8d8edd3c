"""A seeded "monkey" that drives the main window like a curious learner, with an oracle after each action.

``Monkey(window, seed)`` picks random user actions: any enabled menu or toolbar action
(never Quit), random values in every controls-panel widget (in and out of range, garbage
text), play / pause / step / reset, dock toggles and tabs, timeline scrubs, Live and
"Continue from here", opening and saving runs (good, corrupt and foreign files), presets.
Modal dialogs are answered automatically while the monkey is installed: file dialogs get a
path in a temp folder (or a cancel), message boxes a random button.

After every action, the oracle checks: no Python exception reached ``sys.excepthook``, no
Qt message of WARNING or worse, a 0-ms timer fires within ``max_latency_s`` (the event
loop is not stuck) and the state label agrees with ``window.session.state``. A failure
raises :class:`MonkeyFailure` whose text holds the seed and the last 20 actions.

The choice of action is deterministic for a seed; what an action finds to act on (which
actions are enabled, whether an epoch is kept yet) depends on how far training got.
The actions themselves live in :mod:`monkey_actions`.
"""
from __future__ import annotations

import faulthandler
import os
import random
import re
import sys
import tempfile
import time

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QInputDialog, QMenu, QMessageBox

from monkey_actions import MonkeyActions

#: what each session state shows in the status bar's state label (the label's text starts with it)
STATE_TEXT = {"starting": "starting", "ready": "ready", "training": "training", "paused": "paused",
              "finished": "finished", "stopped": "stopped"}
SLOW_PRESETS = ("preset_mnist", "preset_fashion_mnist")
#: the image data sets (784 inputs): slow to load and train on two shared cores (tests skip them)
IMAGE_ITEMS = ("mnist", "fashion_mnist", "mnist_sample")
#: a curve whose paint takes longer than this is described in the stall's report
SLOW_PAINT_S = 0.5


def _describe_curve(item) -> str:
    """Which view a pyqtgraph curve is in, how many points it has, their finite range and its pen."""
    import numpy as np
    widget, owner = item.getViewWidget(), "?"
    while widget is not None:
        if type(widget).__module__.startswith("viz.views"):
            owner = f"{type(widget).__module__}.{type(widget).__name__}"
            break
        widget = widget.parentWidget()
    x, y = item.getData()
    n = 0 if x is None else len(x)
    rng = ""
    if n:
        fx, fy = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(fx) & np.isfinite(fy)
        rng = (f", x {fx[ok].min():.3g}..{fx[ok].max():.3g}, y {fy[ok].min():.3g}..{fy[ok].max():.3g}, "
               f"{int((~ok).sum())} not finite" if ok.any() else ", none finite")
    pen = item.opts.get("pen")
    width = pen.widthF() if hasattr(pen, "widthF") else pen
    return (f"{owner}, {n} points{rng}, pen width {width}, fill {item.opts.get('fillLevel')}, "
            f"connect {item.opts.get('connect')!r}")


#: message boxes looked for (seen once, not reproduced): the monkey keeps their text and stack
WATCHED_TEXTS = ("weights have shapes",)
#: harmless messages of headless platform plugins (as pyproject's ``qt_log_ignore``)
HARMLESS = (r"QStandardPaths: XDG_RUNTIME_DIR not set.*", r"This plugin does not support .*")


class MonkeyFailure(AssertionError):
    """The oracle found a problem; the message holds the seed and the last actions."""


class Monkey(MonkeyActions):
    """Random user actions on a :class:`viz.app.main_window.MainWindow`, checked after each one.

    Parameters
    ----------
    window : MainWindow
    seed : int
    tmpdir : str, optional
        Where dialogs "save" and "open" files; default: a new temp folder.
    skip : iterable of str
        Object names of actions never triggered (e.g. :data:`SLOW_PRESETS` in tests).
    dwell_ms : (int, int)
        Range of milliseconds the event loop runs between actions (training goes on meanwhile).
    max_latency_s : float
        The oracle's limit for a 0-ms timer to fire after an action.
    trace_stalls : bool
        Dump the GUI thread's stack when one event takes longer than ``max_latency_s`` and put
        it in the failure report (uses :mod:`faulthandler`'s watchdog; for the bench).
    skip_items : iterable
        Combo box item data never chosen (tests skip the image data sets: slow).
    sample_cap : int, optional
        Largest value set in the Samples box (None: its maximum).
    unit_cap : int, optional
        Largest value set in a layer's units box (None: its maximum), to keep runs quick.
    """

    def __init__(self, window, seed: int, tmpdir: str | None = None, skip=(), dwell_ms=(0, 120),
                 max_latency_s: float = 1.0, unit_cap: int | None = None, skip_items=(), trace_stalls=False,
                 sample_cap: int | None = None):
        self.window, self.seed, self.unit_cap, self.sample_cap = window, seed, unit_cap, sample_cap
        # faulthandler's watchdog (it replaces pytest's faulthandler_timeout while armed: bench only)
        self._stall_file = tempfile.TemporaryFile() if trace_stalls else None
        self.trace_all_stalls = False   # True: report a dwell's stall too, not only the oracle's
        self.skip_items = set(skip_items)
        self.rng = random.Random(seed)
        self.tmpdir = tmpdir or tempfile.mkdtemp(prefix="uncrumple-monkey-")
        self.skip = set(skip)
        self.dwell_ms, self.max_latency_s = dwell_ms, max_latency_s
        self.log: list[str] = []
        self.done = 0
        self.worst_latency = 0.0        # seconds for a 0-ms timer to fire after an action
        self.worst_action = (0.0, "")   # the slowest action itself (it runs on the GUI thread)
        self.worst_gap = 0.0            # largest gap between 10-ms heartbeat ticks while dwelling
        self.worst_gap_after = ""       # the action before it
        self.worst_gap_context: list[str] = []      # the 20 actions up to the worst stall
        self.worst_action_context: list[str] = []   # and up to the slowest action
        self._errors: list[str] = []
        #: message boxes whose text holds one of :data:`WATCHED_TEXTS`: (action count, text, stack)
        self.watched_boxes: list[tuple[int, str, str]] = []
        self._stall_notes: list[str] = []     # per stall: how long the GUI thread ran, the machine's load
        self._saved: list[str] = []
        self._files = 0
        self._patches: list = []
        self._old_hook = None
        self._old_handler = None
        self._actions = (  # (weight, method)
            (14, self.trigger_action), (22, self.edit_control), (12, self.transport), (6, self.key_press),
            (5, self.toggle_dock), (6, self.raise_tab), (8, self.scrub), (3, self.continue_or_live),
            (4, self.save_run), (4, self.open_run), (3, self.preset), (5, self.click_button),
            (4, self.edit_any_widget), (3, self.close_popups), (1, self.reset_layout))

    # ---- install / uninstall --------------------------------------------------------------------
    def install(self) -> "Monkey":
        """Answer dialogs automatically and start watching exceptions and Qt messages."""
        rng = self.rng

        def save_name(parent=None, caption="", directory="", *args, **kw):
            if rng.random() < 0.15:
                return "", ""
            self._files += 1
            name = os.path.basename(directory or "") or "file.dat"
            return os.path.join(self.tmpdir, f"{self._files:04d}-{name}"), ""

        def open_name(*args, **kw):
            return (self._pick_open_path(), "")

        def directory(*args, **kw):
            if rng.random() < 0.2:
                return ""
            self._files += 1
            path = os.path.join(self.tmpdir, f"dir{self._files:04d}")
            os.makedirs(path, exist_ok=True)
            return path

        def box_exec(box):
            self._note_box(box.text())
            buttons = box.buttons()
            if buttons:
                rng.choice(buttons).click()
            box.deleteLater()
            return 0

        def static_box(*args, **kw):
            texts = [a for a in args if isinstance(a, str)] + [v for v in kw.values() if isinstance(v, str)]
            self._note_box(" | ".join(texts))
            return QMessageBox.StandardButton.Ok

        self._patch(QFileDialog, "getSaveFileName", staticmethod(save_name))
        self._patch(QFileDialog, "getOpenFileName", staticmethod(open_name))
        self._patch(QFileDialog, "getExistingDirectory", staticmethod(directory))
        for name in ("warning", "information", "critical", "question", "about"):
            self._patch(QMessageBox, name, staticmethod(static_box))
        self._patch(QMessageBox, "exec", box_exec)
        real_show = QMessageBox.show

        def box_show(box):              # the non-modal ones (the window's training errors)
            self._note_box(f"{box.text()} | {box.detailedText()}")
            return real_show(box)

        self._patch(QMessageBox, "show", box_show)
        self._watch_slow_paints()
        self._patch(QDialog, "exec", lambda dialog: (dialog.reject(), 0)[1])
        self._patch(QInputDialog, "getText", staticmethod(
            lambda *a, **k: (rng.choice(("0, 1", "", "x", "99, -3")), rng.random() < 0.7)))
        self._patch(QMenu, "exec", lambda menu, *a, **k: None)
        self._old_hook = sys.excepthook
        sys.excepthook = self._excepthook
        self._old_handler = qInstallMessageHandler(self._qt_message)
        return self

    def uninstall(self) -> None:
        """Put back what :meth:`install` replaced."""
        for owner, name, old in reversed(self._patches):
            setattr(owner, name, old)
        self._patches.clear()
        if self._old_hook is not None:
            sys.excepthook = self._old_hook
            self._old_hook = None
        qInstallMessageHandler(self._old_handler)
        self._old_handler = None

    def __enter__(self):
        return self.install()

    def __exit__(self, *exc):
        self.uninstall()

    def _patch(self, owner, name, value) -> None:
        self._patches.append((owner, name, owner.__dict__.get(name, getattr(owner, name))))
        setattr(owner, name, value)

    def _watch_slow_paints(self) -> None:
        """Time every pyqtgraph curve's paint: one over :data:`SLOW_PAINT_S` is noted with its view, its
        points, their range and its pen (the stall's stack only says "PlotCurveItem.paint")."""
        import pyqtgraph as pg
        real_paint = pg.PlotCurveItem.paint

        def paint(item, p, *args):
            start = time.perf_counter()
            try:
                return real_paint(item, p, *args)
            finally:
                took = time.perf_counter() - start
                if took > SLOW_PAINT_S:
                    self._stall_notes.append(f"a curve took {took:.2f} s to paint: {_describe_curve(item)}")

        self._patch(pg.PlotCurveItem, "paint", paint)

    def _note_box(self, text: str) -> None:
        """Keep a message box whose text is one of :data:`WATCHED_TEXTS`, with the stack that showed it."""
        if any(w in text for w in WATCHED_TEXTS):
            import traceback
            stack = "".join(traceback.format_stack(limit=25)[:-2])
            self.watched_boxes.append((self.done, text, stack + "last actions:\n" + "\n".join(self.log[-20:])))

    def _excepthook(self, kind, value, tb) -> None:
        import traceback
        self._errors.append("".join(traceback.format_exception(kind, value, tb)))

    def _qt_message(self, mode, context, message) -> None:
        if (mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
                and not any(re.match(p, message) for p in HARMLESS)):
            self._errors.append(f"Qt {mode.name}: {message}")
        if self._old_handler is not None:
            self._old_handler(mode, context, message)

    # ---- running --------------------------------------------------------------------------------
    def run(self, n: int) -> None:
        """Do ``n`` random actions, each followed by a dwell and the oracle."""
        for _ in range(n):
            self.step()

    def choose(self):
        """The next kind of action (a bound method), drawn from the seeded generator by weight."""
        weights = [w for w, _ in self._actions]
        return self.rng.choices([m for _, m in self._actions], weights)[0]

    def step(self) -> str:
        """One random action, then the event loop for a random dwell, then the oracle. Returns its log line."""
        method = self.choose()
        timer = QElapsedTimer()
        timer.start()
        try:
            what = method() or method.__name__
        except Exception as exc:   # an exception escaping a slot called directly is a bug too
            import traceback
            what = f"{method.__name__} raised"
            self._errors.append(traceback.format_exc())
            del exc
        self.log.append(f"{self.done:4d} {what}")
        took = timer.elapsed() / 1000
        if took > self.worst_action[0]:
            self.worst_action = (took, what)
            self.worst_action_context = self.log[-20:]
        self._dwell(self.rng.randint(*self.dwell_ms))
        self.check()
        self.done += 1
        return what

    def _dwell(self, ms: int) -> None:
        """Run the event loop for ``ms`` milliseconds, timing a 10-ms heartbeat."""
        app = QApplication.instance()
        last = [time.perf_counter()]

        def beat():
            now = time.perf_counter()
            if now - last[0] > self.worst_gap:
                self.worst_gap = now - last[0]
                self.worst_gap_after = self.log[-1] if self.log else ""
                self.worst_gap_context = self.log[-20:]
            last[0] = now

        beat_timer = QTimer()
        beat_timer.setInterval(10)
        beat_timer.timeout.connect(beat)
        beat_timer.start()
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            self._process(app, 20)
        beat_timer.stop()

    def _process(self, app, ms: int) -> None:
        """processEvents; with ``trace_stalls``, the stacks of a handler that blocks it past the limit."""
        if self._stall_file is None:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, ms)
            return
        faulthandler.dump_traceback_later(self.max_latency_s, file=self._stall_file)
        wall, cpu, proc = time.perf_counter(), time.thread_time(), time.process_time()
        try:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, ms)
        finally:
            faulthandler.cancel_dump_traceback_later()
        wall = time.perf_counter() - wall
        if wall > self.max_latency_s:   # running our code, or waiting for a CPU (or the GIL)?
            cpu, proc = time.thread_time() - cpu, time.process_time() - proc
            self._stall_notes.append(
                f"the GUI thread spent {wall:.2f} s in one processEvents: {cpu:.2f} s of it running "
                f"({100 * cpu / wall:.0f} %), all the window's threads {proc:.2f} s of CPU; "
                f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    def _stall_stacks(self) -> str:
        """What :meth:`_process` caught since the last call (the GUI thread's stack last), then forget it."""
        f = self._stall_file
        notes, self._stall_notes = self._stall_notes, []
        if f is None or not f.tell():
            return ""
        f.seek(0)
        text = f.read().decode(errors="replace")
        f.seek(0)
        f.truncate()
        return "\n".join(notes + ["stack of the stalled GUI thread:", text.split("Current thread")[-1][:4000]])

    def check(self) -> None:
        """The oracle: no exception, no Qt warning, a responsive event loop, a consistent state label."""
        app = QApplication.instance()
        fired = []
        start = time.perf_counter()
        QTimer.singleShot(0, lambda: fired.append(time.perf_counter()))
        while not fired and time.perf_counter() - start < self.max_latency_s:
            self._process(app, 50)
        latency = (fired[0] if fired else time.perf_counter()) - start
        self.worst_latency = max(self.worst_latency, latency)
        if latency > self.max_latency_s:   # (processEvents itself may have been stuck in a slow handler)
            self._errors.append(f"the event loop took {latency:.2f} s to run a 0-ms timer "
                                f"(limit {self.max_latency_s} s)")
        state = self.window.session.state
        text = self.window.status_labels["state"].text()
        if not text.startswith(STATE_TEXT.get(state, state)):
            self._errors.append(f"state label {text!r} but the session is {state!r}")
        stacks = self._stall_stacks()
        if stacks and latency > self.max_latency_s or stacks and self.trace_all_stalls:
            self._errors.append(stacks)
        if self._errors:
            errors, self._errors = self._errors, []
            raise MonkeyFailure(self.report(errors))

    def report(self, errors=()) -> str:
        """The seed, the problems and the last 20 actions."""
        lines = [f"Monkey seed {self.seed}, after {self.done + 1} actions:", *errors, "last actions:",
                 *self.log[-20:]]
        return "\n".join(lines)
