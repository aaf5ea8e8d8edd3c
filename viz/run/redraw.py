"""A session's views and their paced redraws (see :class:`viz.run.session.Session`).

* Something new arrives (:meth:`ViewRedrawer.request`): one single-shot timer is started,
  no earlier than the pacing allows after the last frame. A free-running timer beat
  against the ~30 Hz snapshots and drew only every other one.
* A frame refreshes the views on screen one step at a time: a view's ``refresh()``, or
  each of its ``refresh_parts()`` when it has them (the curves: loss, then accuracy). The
  steps are a 1 ms timer apart, not posted events: Qt handles all posted events (the
  paints a step caused included) before it looks at its timers, so input and other
  timers get their turn between two steps only that way. A view hidden behind a tab
  stays dirty and redraws when it comes to the front.
* A refresh and its paint are separate steps. Qt updates a plot's scene in a queued call
  that paints the plot there and then, in the refresh's turn; so a refresh step holds the
  paints of its view's plots (``NoViewportUpdate``) and a PAINT step a timer later gives
  them back and updates them. A refresh that returns False (nothing new) owes no paint.
  A view in parts names the widget of each part (``part_widgets()``) so that each part's
  paint follows it, and may name the rectangle a part changed (``part_rect(i)``: one row of
  the layers' panels) so that only it is painted; plots a step changed through another
  (linked axes) paint at the end. pyqtgraph fits auto ranges at the start of a paint, and
  what moves then asks for a second paint in a later turn: the refresh step does it
  (:func:`prepare`), so a plot paints once a frame.
* One clock: a view that is heavy to draw says how often it may be refreshed at most
  (:attr:`viz.views.common.view.View.min_interval`); a frame leaves it out until then and a timer
  asks for a frame when it is due. A view whose work finishes later emits ``redraw_wanted``. No
  view runs a redraw timer of its own.
* Pacing: a 0 ms timer started after the last refresh fires once the event loop is
  idle again (after the paints), which gives the frame's cost (the GUI thread's CPU
  time since the frame began, so the gaps between steps do not count); the next frame starts
  no sooner than ``DUTY`` × that cost after this one, so drawing never takes more than
  half of the GUI thread however heavy the views get.
"""
from __future__ import annotations

import math
import time
import weakref

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QGraphicsView
from shiboken6 import isValid

REDRAW_HZ = 60
#: drawing may use at most 1/DUTY of the GUI thread: the redraw interval is >= DUTY × the last frames' cost
DUTY = 2.0
MAX_REDRAW_MS = 500
#: milliseconds between two steps of a frame (a timer, so other timers and input get a turn)
STEP_MS = 1


def on_screen(view) -> bool:
    """Whether any of ``view`` can be seen. Qt keeps a dock tabbed behind another "visible"
    (``isVisible()`` is True), so the visible region tells."""
    return view.isVisible() and not view.visibleRegion().isEmpty()


#: a frame step that lets a view paint what its refresh step changed
PAINT = "paint"
NO_UPDATE = QGraphicsView.ViewportUpdateMode.NoViewportUpdate


def graphics_views(widget) -> list:
    """The graphics views (pyqtgraph plots) in ``widget``, itself included."""
    if widget is None:
        return []
    found = widget.findChildren(QGraphicsView)
    return [widget, *found] if isinstance(widget, QGraphicsView) else found


def prepare(views) -> None:
    """Let pyqtgraph's plots in ``views`` fit their ranges to new data now (its ``prepareForPaint``:
    auto range, axes, the view's matrix). pyqtgraph does it at the start of a paint, and the items
    it moves then ask for a second paint of the whole plot in a later turn, where it adds to
    whatever else paints there; done in the refresh step, the paint step paints once."""
    for gv in views:
        scene = gv.scene()
        if scene is not None and hasattr(scene, "prepareForPaint"):
            scene.prepareForPaint()


def paint_target(view, part):
    """The widget a refresh step of ``view`` (``part``: None or a part's index) paints in:
    ``view.part_widgets()[part]`` for a view in parts that names them, else the view."""
    widgets = view.part_widgets() if part is not None else ()
    return widgets[part] if part is not None and part < len(widgets) else view


class ViewRedrawer(QObject):
    """Views (:class:`viz.views.common.view.View`) held weakly, and their redraws paced to the GUI
    thread's budget.

    Signals
    -------
    drawn()
        A frame's views have all refreshed.
    """

    drawn = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._views: list[weakref.ref] = []
        self.dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._interval = 1000 / REDRAW_HZ   # ms from one frame's start to the next, at the least
        self._last_frame = -1e9             # perf_counter() seconds at the last frame's start
        self._frame_steps: list = []        # (weak ref to a view, None | part index | (PAINT, part)) to do
        self._held: dict = {}               # graphics view -> its update mode, while its paint waits
        self._in_frame = False
        self._stopped = False
        # a 0 ms timer runs when the event loop is idle again, i.e. after the paints a refresh caused
        self._probe = QTimer(self)
        self._probe.setSingleShot(True)
        self._probe.setInterval(0)
        self._probe.timeout.connect(self._frame_done)
        self._frame_start = 0.0
        self._drawn_at = weakref.WeakKeyDictionary()   # view -> perf_counter() of its last refresh that drew
        # a view left out of a frame by its min_interval: a frame when the first one is due
        self._due = QTimer(self)
        self._due.setSingleShot(True)
        self._due.timeout.connect(self.request)
        # the next step of a frame drawn in steps: one timer reused (a QTimer.singleShot per step kept
        # ~50 bytes a call in PySide6, 0.2 MB a minute flat out: bench/soak.py --tracemalloc)
        self._step = QTimer(self)
        self._step.setSingleShot(True)
        self._step.setInterval(STEP_MS)
        self._step.timeout.connect(self._next_step)
        self.frame_cost = 0.0   # smoothed CPU seconds of the GUI thread per redraw (refresh + paints)
        self.redraws = 0        # redraws so far (the benchmark divides by time)

    # ---- views ----------------------------------------------------------------------------------
    def add(self, view) -> None:
        """Hold ``view`` (weakly); its ``redraw_wanted`` asks for a frame."""
        self._views.append(weakref.ref(view))
        view.redraw_wanted.connect(self.request)

    def live(self) -> list:
        """The views still alive, in the order they were added."""
        out, keep = [], []
        for ref in self._views:
            v = ref()
            if v is not None and isValid(v):
                out.append(v)
                keep.append(ref)
        self._views = keep
        return out

    # ---- redraws --------------------------------------------------------------------------------
    def request(self) -> None:
        """Something new to draw: redraw as soon as the pacing allows (once, however much arrives)."""
        self.dirty = True
        if self._stopped or self._timer.isActive() or self._in_frame:
            return   # a frame in progress asks again when it is done
        wait_ms = self._interval - 1000 * (time.perf_counter() - self._last_frame)
        self._timer.start(max(0, math.ceil(wait_ms)))

    def redraw_now(self) -> None:
        """Refresh every view on screen at once (scripts, benchmarks); the timer spreads them out.

        A frame in progress is finished first: it holds only the views that were due when it
        started (a paced frame leaves out one that drew too recently), so a whole unpaced frame
        follows it."""
        while self._in_frame:
            self._next_step()
        self.dirty = True
        self._tick(paced=False)
        while self._in_frame:
            self._next_step()

    def finish_visible(self) -> None:
        """Redraw now, then let every view on screen finish the work it spreads over event-loop turns
        (its ``finish()``: evaluations, stages), so that a picture taken next is complete."""
        self.redraw_now()
        for v in self.live():
            if v.isVisible():
                v.finish()

    def stop(self) -> None:
        """No more redraws (the session shut down)."""
        self._stopped = True
        self._timer.stop()
        self._due.stop()
        self._probe.stop()
        self._step.stop()
        self._release(list(self._held), paint=True)

    @Slot()
    def _tick(self, paced: bool = True) -> None:
        """Start a frame: the views on screen (those a ``min_interval`` holds back only when ``paced``)."""
        if not self.dirty or self._in_frame:
            return
        self.dirty = False
        self._in_frame = True
        self._last_frame = time.perf_counter()
        self._frame_start = time.thread_time()
        self._frame_steps = []
        next_due = math.inf
        for v in self.live():
            if not on_screen(v):
                continue
            due = self._drawn_at.get(v, -math.inf) + v.min_interval
            if paced and due > self._last_frame:     # drew too recently: its turn comes when it is due
                next_due = min(next_due, due)
                continue
            n = len(v.refresh_parts())
            ref = weakref.ref(v)
            self._frame_steps += [(ref, i) for i in range(n)] if n else [(ref, None)]
        if next_due < math.inf and not self._stopped:
            self._due.start(max(1, math.ceil(1000 * (next_due - self._last_frame))))
        self._next_step()

    @Slot()
    def _next_step(self) -> None:
        if not self._in_frame:
            return
        while self._frame_steps:
            ref, part = self._frame_steps.pop(0)
            v = ref()
            if v is None or not isValid(v):
                continue
            if isinstance(part, tuple):        # (PAINT, the part whose refresh came before)
                rect = v.part_rect(part[1]) if part[1] is not None else None
                self._release(graphics_views(paint_target(v, part[1])), paint=True, rect=rect)
                break
            held = self._hold(v)
            drew = None
            try:
                if part is None:
                    drew = v.refresh()
                else:   # a new run may change a view's parts within a frame (fewer layers): those are gone
                    parts = v.refresh_parts()
                    drew = parts[part]() if part < len(parts) else False
            finally:
                if drew:
                    self._drawn_at[v] = time.perf_counter()
                if drew is False:              # nothing new: no paint owed (the scene has not been
                    self._release(held)        # updated yet: whatever it may have changed paints as usual)
                else:
                    prepare(gv for gv in graphics_views(v) if gv in self._held)
                    if any(gv in self._held for gv in graphics_views(paint_target(v, part))):
                        self._frame_steps.insert(0, (ref, (PAINT, part)))
            break
        if not self._frame_steps and self._held:
            self._release(list(self._held), paint=True)   # changed by another step (linked axes)
        if self._frame_steps:
            self._step.start()
            return
        self._in_frame = False
        self.redraws += 1
        self.drawn.emit()
        self._probe.start()

    # ---- paints in steps of their own --------------------------------------------------------
    # A refresh changes a plot's scene; Qt then updates the scene in a queued call that also paints
    # its views there and then. So a refresh step holds its view's plots (no viewport updates) and
    # a PAINT step, a timer later, gives them back and paints them: the two are separate turns.
    def _hold(self, view) -> list:
        """Hold the paints of ``view``'s plots; returns the ones held now (not held before)."""
        if not view.isVisible():
            return []
        held = []
        for gv in graphics_views(view):
            mode = gv.viewportUpdateMode()
            if gv not in self._held and mode != NO_UPDATE:
                self._held[gv] = mode
                gv.setViewportUpdateMode(NO_UPDATE)
                held.append(gv)
        return held

    def _release(self, views, paint: bool = False, rect=None) -> None:
        """Give ``views`` their update mode back (those held), and with ``paint`` update them: all of
        each, or only ``rect`` (viewport pixels) when given."""
        for gv in views:
            mode = self._held.pop(gv, None)
            if mode is not None and isValid(gv):
                gv.setViewportUpdateMode(mode)
                if paint and rect is not None:
                    gv.viewport().update(rect)
                elif paint:
                    gv.viewport().update()

    @Slot()
    def _frame_done(self) -> None:
        cost = time.thread_time() - self._frame_start   # GUI-thread CPU: not the waits between steps
        self.frame_cost = cost if self.redraws <= 1 else 0.7 * self.frame_cost + 0.3 * cost
        self._interval = min(MAX_REDRAW_MS, max(1000 / REDRAW_HZ, 1000 * DUTY * self.frame_cost))
        if self.dirty:    # something arrived during the frame
            self.request()
