"""Issue 19: the Lessons panel as a learner uses it — Back / Next, progress remembered across launches,
Restart, Show me, the question before a step replaces a run that has trained (Cancel leaves the run as it
was), a bad lesson file's message, the dock kept in every workspace while a lesson is open, and the first
launch's way in."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from viz.app import settings as st
from viz.app.layout import workspaces as ws
from lessons_support import add_test_lessons, answer, lessons_window, quiet, settle


def open_test_lesson(qtbot, w, lesson_id="test-spiral"):
    add_test_lessons(w)
    w.lessons.show()
    w.lessons.guide.open(lesson_id)
    settle(qtbot, w)
    return w.lessons.guide


def test_back_and_next_walk_the_steps_and_show_their_text(qtbot, make_window):
    w = lessons_window(qtbot, make_window)
    guide = open_test_lesson(qtbot, w)
    panel = guide.panel
    assert panel.stack.currentWidget() is panel.step_page
    assert panel.lesson_title.text() == "Test: the spiral"
    assert panel.step_label.text() == "Step 1 of 2: Train"
    assert "<b>Play</b>" in panel.step_text.text() and "<code>3</code>" in panel.step_text.text()
    assert not panel.back_button.isEnabled() and panel.next_button.text() == "Next"
    assert w.dock_layout.workspace == "learn"
    panel.next_button.click()
    settle(qtbot, w)
    assert panel.step_label.text() == "Step 2 of 2: Look back"
    assert w.dock_layout.workspace == "uncrumple"                         # its setup applied
    assert panel.back_button.isEnabled() and panel.next_button.text() == "Finish"
    panel.back_button.click()
    settle(qtbot, w)
    assert panel.step_label.text() == "Step 1 of 2: Train" and w.dock_layout.workspace == "learn"


def test_progress_is_remembered_in_a_new_window_and_restart_starts_over(qtbot, make_window, temp_settings):
    w = lessons_window(qtbot, make_window)
    guide = open_test_lesson(qtbot, w)
    guide.panel.next_button.click()
    settle(qtbot, w)
    w.close()
    assert st.load_lesson_progress(temp_settings, "test-spiral") == (1, False)

    w2 = lessons_window(qtbot, make_window)
    add_test_lessons(w2)
    panel = w2.lessons.panel
    assert panel.progress_texts()["test-spiral"] == "Step 2 of 2"
    assert panel.progress_texts()["test-descend"] == "Not started"
    w2.lessons.guide.open("test-spiral")
    settle(qtbot, w2)
    assert panel.step_label.text() == "Step 2 of 2: Look back"
    panel.restart_button.click()
    settle(qtbot, w2)
    assert panel.step_label.text() == "Step 1 of 2: Train"
    assert st.load_lesson_progress(w2.settings, "test-spiral") == (0, False)
    panel.next_button.click()
    settle(qtbot, w2)
    panel.next_button.click()                                             # Finish
    assert panel.stack.currentWidget() is panel.list_page
    assert panel.progress_texts()["test-spiral"] == "Done ✓"


def test_show_me_does_the_task_and_the_status_line_says_so(qtbot, make_window):
    w = lessons_window(qtbot, make_window)
    guide = open_test_lesson(qtbot, w)
    panel = guide.panel
    assert panel.task_box.isVisible() and panel.ask.text() == "Train three epochs."
    assert "Not done yet" in panel.status.text() and "epoch 0" in panel.status.text()
    assert not guide.passed
    panel.not_yet_button.click()
    assert panel.hint.isVisible() and "Press Play" in panel.hint.text()
    panel.show_me_button.click()
    qtbot.waitUntil(lambda: guide.passed, timeout=60_000)
    assert "Three epochs trained." in panel.status.text()
    assert w.session.latest.epoch == 3 and w.session.state != "training"     # exactly to epoch 3, paused
    assert panel.show_me_button.isEnabled()


def test_a_step_that_would_replace_a_trained_run_asks_and_cancel_keeps_it(qtbot, make_window):
    w = lessons_window(qtbot, make_window)
    w.session.step_epoch()
    qtbot.waitUntil(lambda: w.session.latest.epoch == 1 and w.session.state == "paused", timeout=30_000)
    before = (w.session.config, w.session.latest.step, w.timeline.epochs(), w.dock_layout.workspace)
    add_test_lessons(w)
    w.lessons.show()
    guide = w.lessons.guide
    guide.open("test-descend")              # its setup starts a new run and shows the Descend workspace
    answer(qtbot, w, "cancel")
    for _ in range(5):
        QApplication.processEvents()
    after = (w.session.config, w.session.latest.step, w.timeline.epochs(), w.dock_layout.workspace)
    assert after == before                                               # the run and the window as they were
    assert not guide.applied and guide.panel.setup_button.isVisible()    # the step is not set up
    guide.panel.setup_button.click()                                     # ... until asked again
    answer(qtbot, w, "discard")
    settle(qtbot, w)
    assert guide.applied and not guide.panel.setup_button.isVisible()
    assert w.dock_layout.workspace == "descend" and w.session.config.optimizer == "sgd"
    assert w.session.latest.step == 0
    quiet(qtbot, w)


def test_a_bad_lesson_file_is_refused_with_its_problem_named(qtbot, make_window, tmp_path):
    w = lessons_window(qtbot, make_window)
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nid = "x"\ntitle = "X"\nsummary = "S"\n\n[[steps]]\ntitle = "A"\ntext = "B"\n'
                   '[steps.setup]\nworkspace = "kitchen"\n', encoding="utf-8")
    ids = [lesson.id for lesson in w.lessons.guide.lessons]
    assert w.lessons.open_file(str(bad)) is False
    boxes = [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()
             and b.objectName() == "error_box"]
    assert len(boxes) == 1
    text = boxes[0].text()
    assert "bad.toml" in text and "step 1" in text and "'kitchen'" in text and "'descend'" in text
    assert [lesson.id for lesson in w.lessons.guide.lessons] == ids and w.lessons.guide.lesson is None
    boxes[0].close()


def test_an_open_lesson_keeps_the_lessons_dock_in_every_workspace(qtbot, make_window):
    w = lessons_window(qtbot, make_window)
    open_test_lesson(qtbot, w)
    dock = w.lessons.dock
    for space in ws.WORKSPACES:
        w.workspace_bar.actions_by_name[space.name].trigger()
        QApplication.processEvents()
        assert dock.isVisible() and not dock.visibleRegion().isEmpty(), space.name
        assert dock.width() >= 280, (space.name, dock.width())
    w.lessons.panel.list_button.click()                 # back to the list: no lesson open
    assert w.dock_layout.pinned is None
    w.workspace_bar.actions_by_name["inside"].trigger()
    QApplication.processEvents()
    assert not dock.isVisible()
    quiet(qtbot, w)


def test_the_first_launch_shows_the_way_in_once(qtbot, make_window):
    w = lessons_window(qtbot, make_window)
    button = w.lessons.welcome_button
    assert button.isVisible() and "lessons" in button.text()
    button.click()
    assert not button.isVisible()
    assert w.lessons.dock.isVisible() and not w.lessons.dock.visibleRegion().isEmpty()
    w.close()
    w2 = lessons_window(qtbot, make_window)
    assert not w2.lessons.welcome_button.isVisible()


def test_a_step_that_starts_a_new_run_is_not_passed_by_the_run_it_replaces(qtbot, make_window):
    """A step's check used to run on the old run's facts while its new run was starting: after a
    trained lesson, the next step's "epoch >= 3" showed ✓ at once on a run still at epoch 0."""
    w = lessons_window(qtbot, make_window)
    guide = open_test_lesson(qtbot, w)
    guide.panel.show_me_button.click()
    qtbot.waitUntil(lambda: guide.passed, timeout=60_000)
    settle(qtbot, w)
    assert w.session.latest.epoch >= 3
    guide.panel.restart_button.click()               # step 1 again: its setup starts a new spiral run
    answer(qtbot, w, "discard")
    settle(qtbot, w)
    qtbot.waitUntil(lambda: w.session.latest is not None and w.session.latest.step == 0, timeout=30_000)
    for _ in range(5):
        QApplication.processEvents()
    assert not guide.passed and "Not done yet" in guide.panel.status.text()
    quiet(qtbot, w)
