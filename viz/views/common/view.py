"""The one base class of every view, and the lifecycle it goes through.

A view is told about a run in this order (by :class:`viz.run.session.Session`, its redraw clock
:class:`viz.run.redraw.ViewRedrawer` and the timeline):

============================  ====================================================================
``clear()``                   A new run starts (or a reset): forget everything of the old one.
``set_run(run)``              The new run's :class:`core.run.messages.RunData`, kept as
                              ``self.run``; :meth:`build` makes what depends on it (plots per
                              layer, a network copy from ``run.model()``). A ``deferred`` view in
                              a shown window builds on its first refresh on screen instead, so a
                              run's start does not build views that cannot be seen.
``add_snapshot(snap)``        Every :class:`core.run.messages.RunSnapshot`, in order. Cheap: keep
                              what is needed (newest weights, losses); never draw here.
``refresh()``                 From the redraw clock, only while the view is on screen and at most
                              every ``min_interval`` seconds: build if due, then :meth:`draw`
                              (a deferred build draws in the same refresh).
                              Returns False when nothing was drawn (no paint owed).
``finish()``                  Complete now any work spread over event-loop turns (a picture of
                              the view is taken next).
============================  ====================================================================

And three for the timeline: ``show_history(snap, curves)`` (a reopened run's past),
``truncate(epoch, step)`` (a branch drops what came after ``epoch``) and ``show_epoch(epoch)``
(the epoch shown, or None for the live run). A view that has work finishing
later (a background job, a round of panels spread over turns) emits :attr:`View.redraw_wanted`;
it never runs a timer of its own to redraw.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from viz.views.common.visibility import in_shown_window, unseen


class View(QtWidgets.QWidget):
    """A widget that draws a run (see the module's table for the lifecycle).

    Subclasses override :meth:`build`, :meth:`add_snapshot`, :meth:`draw` and, where they hold
    state of their own, :meth:`clear` and :meth:`finish` (calling the base's).

    Attributes
    ----------
    run : RunData or None
        The run being shown (None before the first run, after :meth:`clear`).
    deferred : bool
        Class attribute: build on the first refresh on screen rather than in :meth:`set_run`
        (views whose build is heavy: a network copy, PCA planes, many plots).
    min_interval : float
        Seconds between two refreshes that drew, at the least: a class attribute, which a view
        may override on the instance as it learns its own cost (the clock reads it each frame).

    Signals
    -------
    redraw_wanted()
        Something the view computed later is ready: the clock refreshes it on its next frame.
    """

    deferred = False
    min_interval = 0.0

    redraw_wanted = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.run = None
        self._unbuilt = False

    # ---- lifecycle --------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the run (subclasses empty their plots, then call this)."""
        self.run = None
        self._unbuilt = False

    def set_run(self, run) -> None:
        """Show ``run`` (a :class:`core.run.messages.RunData`): build now, or on the first refresh."""
        self.run = run
        if self.deferred and in_shown_window(self):
            self._unbuilt = True
        else:
            self._build_now()

    def add_snapshot(self, snap) -> None:
        """Keep what ``snap`` brings that this view draws (no drawing here)."""

    def refresh(self) -> bool:
        """Build if due, then draw what changed; whether anything was drawn."""
        if self._unbuilt:
            if unseen(self):
                return False
            self._build_now()
            self.draw()                 # what came with the run (or since) is drawn in the same turn
            return True
        return bool(self.draw())

    def finish(self) -> None:
        """Complete the work spread over later turns now (subclasses extend it)."""
        if self._unbuilt:
            self._build_now()

    def refresh_parts(self) -> tuple:
        """For a view drawn in steps (the curves: loss, then accuracy), one callable per step, each
        returning whether it drew; the clock runs them a turn apart. ``()``: one :meth:`refresh`."""
        return ()

    def part_widgets(self) -> tuple:
        """The widget each of :meth:`refresh_parts` paints in (its paint follows its step)."""
        return ()

    def part_rect(self, part: int):
        """The rectangle (a ``QRect`` in the viewport pixels of ``part_widgets()[part]``, a plot) that
        step ``part`` changed, painted alone after it; None: the whole widget. A view in parts that
        shares one plot among them (the layers' rows) names each part's rectangle, so that each step
        paints only its part; nothing outside it may change in that step."""
        return None

    def show_history(self, snap, curves: dict) -> None:
        """A reopened run's past: ``snap`` (a snapshot without weights whose ``epochs`` are all the
        run's epoch logs) and ``curves``, its batch curves as saved (``batch_steps``, ``batch_x``,
        ``batch_losses``, ``batch_accuracies``). Views that plot batches override this; the others
        take the epochs like any snapshot's."""
        self.add_snapshot(snap)

    def show_epoch(self, epoch: int | None) -> None:
        """The timeline shows ``epoch`` (views that mark it, e.g. the curves), or None: the live run."""

    def truncate(self, epoch: int, step: int | None = None) -> None:
        """Drop what came after ``epoch`` (the timeline branched there, at training step ``step``)."""

    # ---- what subclasses write --------------------------------------------------------------------
    def build(self, run) -> None:
        """Make what depends on ``run`` (plots per layer, a copy of the network)."""

    def draw(self) -> bool:
        """Draw what changed since the last draw; False when there was nothing to draw."""
        return False

    @property
    def built(self) -> bool:
        """Whether the current run's build has happened."""
        return self.run is not None and not self._unbuilt

    def _build_now(self) -> None:
        self._unbuilt = False
        if self.run is not None:
            self.build(self.run)
