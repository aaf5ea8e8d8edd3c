"""Lessons in the window: the Lessons panel, the steps' setups and demos, the live check.

:mod:`~viz.lessons.panel` draws (the list, a step, its task); :mod:`~viz.lessons.guide` keeps the
lesson open and its progress and evaluates the check; :mod:`~viz.lessons.stepper` applies a step's
setup and plays a demo on the window; :mod:`~viz.lessons.live_facts` reads the window's facts;
:mod:`~viz.lessons.install` puts it all in a window (menus, the first launch's way in).
"""
