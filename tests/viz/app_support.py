"""Waiting helpers shared by the main-window tests (test_app.py, test_app_lifetime.py)."""


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def ready(qtbot, window):
    until(qtbot, lambda: window.session.latest is not None and window.session.state == "ready")
