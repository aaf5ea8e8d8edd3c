"""Issue 19, done when: every bundled lesson runs end to end, headless. Each step's setup applies (the
window shows its workspace, its view in front, its preset's configuration, its timeline epoch), and each
task's check is false right after the setup and true once a scripted user (the task's demo, the panel's
Show me) has done what the step asks.

The harness changes two things, and only in these tests: runs of the image sets train on 1,000 digits
(the stepper's ``config_filter``: the offline sample's 4,000 would cost ~4× the time), and before a demo
the speed is set to flat out (after the step's own speed was checked), so the file stays well under 90 s.
"""
from __future__ import annotations

import math

import pytest

from core.lessons.loading import bundled_lessons
from core.lessons.text import inline_html
from core.run.config import IMAGE_DATASETS
from core.run.presets import PRESETS
from lessons_support import TEST_LESSONS, answer, lessons_window, quiet, settle
from viz.lessons.install import allowed_names

LESSONS = bundled_lessons(**allowed_names())
#: the small lessons of tests/lessons_data: the timeline scrubbed by a demo, a Controls field typed
OWN = bundled_lessons(folder=TEST_LESSONS, **allowed_names())
SHRUNK_IMAGES = 1000


def shrink(config):
    """Image runs on 1,000 training digits (the tests' only change to a lesson's run)."""
    if config.dataset in IMAGE_DATASETS and not config.csv_path:
        return config.replace(n_samples=SHRUNK_IMAGES)
    return config


def test_the_lessons_are_bundled_in_order():
    assert len(LESSONS) >= 9
    assert len({lesson.id for lesson in LESSONS}) == len(LESSONS)


def check_setup_shown(w, setup, expected_config) -> None:
    """The window shows what ``setup`` says, and the lesson's own text beside it."""
    assert w.lessons.dock.isVisible() and not w.lessons.dock.visibleRegion().isEmpty(), "the lesson is hidden"
    if setup.workspace is not None:
        assert w.dock_layout.workspace == setup.workspace
        assert w.workspace_bar.actions_by_name[setup.workspace].isChecked()
    if setup.view is not None:
        dock = w.dock_layout.dock(setup.view)
        assert dock.isVisible() and not dock.visibleRegion().isEmpty(), f"{setup.view} is not in front"
    if expected_config is not None:
        assert w.session.config == expected_config
        assert w.controls.config() == expected_config
    if setup.speed is not None:
        shown = w.actions.speed.currentData()
        assert (shown is None) if math.isinf(setup.speed) else shown == setup.speed
    if setup.epoch is not None:
        assert w.timeline.position == setup.epoch
    if setup.play is False:
        assert w.session.state != "training"


@pytest.mark.parametrize("lesson", LESSONS + OWN, ids=lambda lesson: lesson.id)
def test_every_step_sets_up_and_every_task_passes_when_done(qtbot, make_window, lesson):
    w = lessons_window(qtbot, make_window)
    guide = w.lessons.guide
    if lesson in OWN:
        guide.add(lesson)
    guide.stepper.config_filter = shrink
    w.lessons.show()
    for index, step in enumerate(lesson.steps):
        if index == 0:
            guide.open(lesson.id)
        else:
            guide.next()
        if step.setup.starts_run and guide.box is not None:
            answer(qtbot, w, "discard")
        settle(qtbot, w)
        assert guide.index == index and guide.applied
        expected = None
        if step.setup.starts_run:
            base = PRESETS[step.setup.preset].config if step.setup.preset else None
            if base is not None:
                expected = shrink(base.replace(**step.setup.config_changes()))
            qtbot.waitUntil(lambda: w.session.run is not None and w.session.state == "ready", timeout=30_000)
        check_setup_shown(w, step.setup, expected)
        if step.task is None:
            continue
        where = f"{lesson.id} step {index + 1} ({step.title!r})"
        assert not step.task.passed(guide.facts.facts()), f"{where}: the check passes before the task is done"
        assert not guide.passed
        w.actions.speed.setCurrentIndex(w.actions.speed.count() - 1)     # flat out (see the module's note)
        guide.show_me()
        if step.task.demo.starts_run and guide.box is not None:
            answer(qtbot, w, "discard")
        settle(qtbot, w, timeout=90_000)
        try:
            qtbot.waitUntil(lambda: guide.passed, timeout=30_000)
        except Exception:
            pytest.fail(f"{where}: the demo did not pass the check {step.task.check.source!r}; "
                        f"facts: {guide.facts.facts()}")
        assert step.task.passed(guide.facts.facts()), where
        assert inline_html(step.task.done) in guide.panel.status.text()
    quiet(qtbot, w)
