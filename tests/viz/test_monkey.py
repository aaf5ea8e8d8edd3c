"""The monkey test: ~300 seeded random user actions on the main window, checked after each one.

See ``bench/monkey_driver.py`` for the actions and the oracle (no exception, no Qt warning, the
event loop responsive, the state label consistent with the session).
"""
from __future__ import annotations

import os
import sys
import time

import pytest

# the monkey is a developer tool in bench/, not part of the installed app
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from monkey_driver import IMAGE_ITEMS, SLOW_PRESETS, Monkey

N_ACTIONS = 300


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_monkey_300_actions_leave_the_app_healthy(make_window, fast_config, qtbot, tmp_path, seed):
    # the app's own engine: a trainer thread in the GUI process holds the GIL and stalls the window by design
    # (a tiny network flat out, e.g. the two-weight preset, took 1.1 s to let a 0-ms timer run)
    window = make_window(fast_config, engine="process")
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.session.state == "ready", timeout=10_000)
    start = time.perf_counter()
    # IMAGE_ITEMS: the image data sets take seconds to load and train on two shared cores (the bench picks them)
    # at most 5,000 samples: the test stays within its time (bench/monkey.py runs uncapped)
    monkey = Monkey(window, seed, tmpdir=str(tmp_path), skip=SLOW_PRESETS, skip_items=IMAGE_ITEMS,
                    sample_cap=5000)
    with qtbot.captureExceptions() as exceptions:   # a backstop: the monkey's own hook sees them first
        with monkey:
            monkey.run(N_ACTIONS)
    assert not exceptions, monkey.report([str(e) for e in exceptions])
    took = time.perf_counter() - start
    assert monkey.done == N_ACTIONS
    window.close()
    print(f"monkey: {N_ACTIONS} actions in {took:.1f} s, worst 0-ms timer latency "
          f"{monkey.worst_latency * 1000:.0f} ms, slowest action {monkey.worst_action}")


# ---- the driver itself -------------------------------------------------------------------------------
@pytest.mark.qt_log_ignore("a monkey warning")   # emitted on purpose; the monkey must see it
def test_the_oracle_names_the_seed_the_problem_and_the_last_actions(make_window, fast_config, qtbot, tmp_path):
    from PySide6.QtCore import QTimer, qWarning

    from monkey_driver import MonkeyFailure
    window = make_window(fast_config, engine="thread")
    qtbot.waitUntil(lambda: window.session.state == "ready", timeout=10_000)
    with Monkey(window, 42, tmpdir=str(tmp_path)) as monkey:
        monkey.log.append("   0 a previous action")
        QTimer.singleShot(0, lambda: 1 / 0)                  # an exception escaping a slot
        with pytest.raises(MonkeyFailure, match=r"(?s)seed 42.*ZeroDivisionError.*a previous action"):
            monkey.check()
        qWarning("a monkey warning")
        with pytest.raises(MonkeyFailure, match="QtWarningMsg: a monkey warning"):
            monkey.check()
        window.status_labels["state"].setText("training")     # the session is "ready"
        with pytest.raises(MonkeyFailure, match="state label 'training' but the session is 'ready'"):
            monkey.check()
        window.status.on_state(window.session.state)
        monkey.check()                                        # healthy again


def test_dialogs_are_answered_inside_the_temp_folder_and_restored(make_window, fast_config, tmp_path):
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    original = QFileDialog.getSaveFileName
    window = make_window(fast_config, engine="thread")
    with Monkey(window, 3, tmpdir=str(tmp_path)):
        answers = [QFileDialog.getSaveFileName(window, "Save", "name.json", "*.json")[0] for _ in range(40)]
        assert QMessageBox.warning(window, "t", "x") == QMessageBox.StandardButton.Ok
    assert QFileDialog.getSaveFileName is original
    chosen = [a for a in answers if a]
    assert "" in answers and chosen                           # some cancelled, some chosen
    assert all(a.startswith(str(tmp_path)) and a.endswith("name.json") for a in chosen)


def test_the_same_seed_draws_the_same_actions(make_window, fast_config):
    window = make_window(fast_config, engine="thread")
    monkeys = [Monkey(window, seed) for seed in (9, 9, 10)]
    draws = [[m.choose().__name__ for _ in range(50)] for m in monkeys]
    assert draws[0] == draws[1] != draws[2]
    assert len(set(draws[0])) > 8                             # many kinds of action
