"""The one error a lesson file can raise: :class:`LessonError`."""
from __future__ import annotations


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file, the step, the bad key or
    value and what is allowed.

    Attributes
    ----------
    source : str
        The file (or ``"<text>"``).
    step : int or None
        The step number, counted from 1 (None: the lesson's own keys).
    """

    def __init__(self, message: str, source: str = "", step: int | None = None):
        where = source or "<text>"
        if step is not None:
            where += f", step {step}"
        super().__init__(f"{where}: {message}")
        self.source, self.step, self.reason = source, step, message
