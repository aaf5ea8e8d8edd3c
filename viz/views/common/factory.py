"""Factories for views that import their module only when they build (see :mod:`viz.app.lazy_docks`)."""
from __future__ import annotations

import importlib


def later(module: str, name: str, *args):
    """A factory for ``module.name(*args)`` that imports ``module`` only when called.

    The app builds the views behind its tabs after the window is shown; their modules
    (and what they import) need not load before that either.
    """
    def make():
        return getattr(importlib.import_module(module), name)(*args)
    make.__qualname__ = f"later({module}.{name})"
    return make
