"""Lessons: guided steps through chapter 2, read from small TOML files (no Qt here).

:mod:`~core.lessons.lesson` holds the frozen contracts (:class:`Lesson`, :class:`Step`,
:class:`Setup`, :class:`Task`, :class:`Demo`), :mod:`~core.lessons.loading` reads and validates a
file, :mod:`~core.lessons.checks` compiles a task's check into a safe predicate over
:class:`~core.lessons.facts.Facts`, the figures of the live run, and :mod:`~core.lessons.text` turns
a step's text into the small rich text the panel shows.
"""
