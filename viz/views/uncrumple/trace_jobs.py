"""``TraceJobs``: a stage view's traces of the newest weights, one at a time, here or in a worker.

Layers, the stage player and the 3D stages each trace their :class:`~viz.views.uncrumple.tracer.Tracer`
(the data and the input grid through every stage). A light network is traced on the GUI thread
(:meth:`TraceJobs.trace_now`); a heavy one (MNIST's, a wide layer: up to seconds) in a worker
thread (:meth:`TraceJobs.start_trace`), whose result comes with ``finished`` for the view to accept
(:meth:`Tracer.accept`). One trace at a time touches the network: tracing here first waits for the
worker's. ``drawn_version`` is the version of the weights of the trace shown or under way: the view
is due to trace again while the tracer holds newer ones (:attr:`TraceJobs.due`).
"""
from __future__ import annotations

from functools import partial

from viz.views.common.jobs import JobRunner
from viz.views.uncrumple.tracer import compute


class TraceJobs(JobRunner):
    """The traces of ``view``'s ``tracer``; the worker threads are named ``name``.

    Attributes
    ----------
    tracer : Tracer
    drawn_version : int
        The weights' version of the trace shown or under way (0: none).
    """

    def __init__(self, view, tracer, name: str):
        super().__init__(view)
        self.tracer = tracer
        self.drawn_version = 0
        self._name = name       # the view is the parent: a reference to it here would be a cycle that the
                                # garbage collector breaks later, from any thread (a crash in a paint)

    @property
    def due(self) -> bool:
        """Whether the tracer holds weights newer than those traced."""
        return self.tracer.ready and self.tracer.version != self.drawn_version

    def start_trace(self) -> None:
        """Trace the newest weights in a worker thread (``finished`` brings the result), unless a trace
        is under way: its result comes first, and the view then asks for the next."""
        if self.busy or not self.tracer.ready:
            return
        work = self.tracer.take()
        self.drawn_version = work.version
        self.watch(self.parent())
        self.start(partial(compute, work), name=self._name)

    def trace_now(self):
        """Trace the newest weights here, after the worker's trace under way (whose result is dropped);
        returns the :class:`~viz.views.uncrumple.tracer.Traced`, or None (the tracer's ``message`` says why)."""
        if self.busy:
            self.wait()
        self.drawn_version = self.tracer.version
        return self.tracer.trace()

    def forget(self) -> None:
        """A new run: drop the trace under way, and nothing counts as traced."""
        self.cancel()
        self.drawn_version = 0
