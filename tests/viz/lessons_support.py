"""Helpers of the lessons tests (test_lessons_run.py, test_lessons_panel.py): a shown window with its
lessons, and answering the "Replace your run?" question as a user would."""
from __future__ import annotations

from pathlib import Path

from core.lessons.loading import bundled_lessons
from core.run.config import TrainingConfig

#: the small test lessons (tests/lessons_data)
TEST_LESSONS = Path(__file__).resolve().parents[1] / "lessons_data"
SMALL = TrainingConfig(n_samples=120, grid_resolution=16)


def lessons_window(qtbot, make_window, config=SMALL, engine="thread"):
    """A shown 1280×800 window, ready, with its lessons installed (once: the window may do it itself)."""
    from viz.lessons.install import install
    w = make_window(config, engine=engine)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.state == "ready", timeout=30_000)
    if getattr(w, "lessons", None) is None:
        w.lessons = install(w)
    return w


def add_test_lessons(w) -> list:
    """The lessons of tests/lessons_data added to the window's list; returns them."""
    from viz.lessons.install import allowed_names
    lessons = list(bundled_lessons(folder=TEST_LESSONS, **allowed_names()))
    for lesson in lessons:
        w.lessons.guide.add(lesson)
    w.lessons.guide.show_list()
    return lessons


def answer(qtbot, w, which: str) -> None:
    """Click ``which`` ("save", "discard" or "cancel") in the open "Replace your run?" box."""
    guide = w.lessons.guide
    qtbot.waitUntil(lambda: guide.box is not None and guide.box.isVisible(), timeout=5_000)
    box = guide.box
    {"save": box.save_button, "discard": box.discard_button, "cancel": box.cancel_button}[which].click()
    qtbot.waitUntil(lambda: guide.box is None, timeout=5_000)


def settle(qtbot, w, timeout=60_000) -> None:
    """Wait until the lesson's setup or demo has played to its end."""
    qtbot.waitUntil(lambda: not w.lessons.guide.stepper.busy, timeout=timeout)


def quiet(qtbot, w) -> None:
    """Training paused, the Learn workspace shown and the views' background jobs (the slice's) done,
    so that closing the window joins nothing half-started."""
    w.session.pause()
    qtbot.waitUntil(lambda: w.session.state != "training", timeout=30_000)
    w.dock_layout.show_workspace("learn")
    for view in w.extra_views:
        runner = getattr(view, "runner", None)
        if runner is not None and hasattr(runner, "busy"):
            qtbot.waitUntil(lambda r=runner: not r.busy, timeout=30_000)
