"""Items of the reliability checklist (/work/shared/RELIABILITY.md) not shown by other test files.

docs/reliability.md maps every item to the tests that show it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QImage

from core.run import resources

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=ROOT)


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


# ---- 2. no QThread outlives its test -----------------------------------------------------------------
def test_the_thread_guard_records_every_started_thread(no_thread_leaks):
    thread = QThread()
    thread.start()
    assert [ref() for ref in no_thread_leaks] == [thread]     # the autouse guard saw it start
    thread.quit()
    assert thread.wait(5000)


# ---- 5. pause takes effect within one batch (thread engine; the process engine: test_session) ----------
def test_pause_within_one_batch_with_the_thread_engine(qtbot, make_session):
    s = make_session(engine="thread")
    until(qtbot, lambda: s.latest is not None)
    s.set_speed(20.0)                       # slow enough to count batches one by one
    s.play()
    until(qtbot, lambda: s.latest.step >= 3)
    s.pause()
    step_at_pause = s.latest.step
    until(qtbot, lambda: s.state == "paused")
    assert s.latest.step <= step_at_pause + 1
    with qtbot.assertNotEmitted(s.snapshot_ready, wait=300):
        pass


# ---- 9. signal flooding: no backlog after Stop --------------------------------------------------------
def test_no_redraw_backlog_after_a_flat_out_run(qtbot, make_session):
    s = make_session()
    until(qtbot, lambda: s.latest is not None)
    s.play()
    until(qtbot, lambda: s.latest.step > 2000)
    s.pause()
    late = []
    s.snapshot_ready.connect(lambda snap: late.append("snapshot"))
    s.refreshed.connect(lambda snap: late.append("refresh"))
    until(qtbot, lambda: s.state == "paused")
    qtbot.wait(500)                          # the event loop runs: the last frame and queued signals arrive
    assert late.count("refresh") <= 2 and late.count("snapshot") <= 2, late   # no queue of hundreds
    with qtbot.assertNotEmitted(s.refreshed, wait=300), qtbot.assertNotEmitted(s.snapshot_ready, wait=300):
        pass


# ---- 10. a Qt warning fails a test ----------------------------------------------------------------------
def test_a_qt_warning_fails_the_test(tmp_path):
    test = tmp_path / "test_warns.py"
    test.write_text(textwrap.dedent("""
        from PySide6.QtCore import qWarning

        def test_warns(qtbot):
            qWarning("uncrumple-checklist-warning")
    """))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                        os.path.join(ROOT, "pyproject.toml"), "--rootdir", str(tmp_path), str(test)],
                       capture_output=True, text=True, timeout=120, env=ENV, cwd=str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "uncrumple-checklist-warning" in r.stdout and "1 failed" in r.stdout


# ---- 11. the training core runs without Qt ---------------------------------------------------------------
def test_the_core_trains_without_importing_qt():
    code = textwrap.dedent("""
        import sys
        import core, core.run.config, core.engine.training, core.run.serve, core.analysis.loss.landscape, core.analysis.uncrumple.geometry, core.run.resources
        from core.run.config import TrainingConfig, build_trainer
        trainer, _ = build_trainer(TrainingConfig(n_samples=100))
        trainer.train_epoch()
        qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph"))
        print(trainer.epoch, qt)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "[]"]


# ---- 15. a network too large for memory is refused up front ----------------------------------------------
def test_a_network_too_big_for_memory_marks_the_layers_and_disables_play(qtbot, make_window, fast_config,
                                                                         monkeypatch):
    monkeypatch.setattr(resources, "available_bytes", lambda: 8 * 10**6)   # a computer with 8 MB free
    w = make_window(fast_config)
    until(qtbot, lambda: w.session.state == "ready")
    assert w.actions.play.isEnabled()
    w.controls.set_config(fast_config.replace(hidden=((1024, "relu"),) * 3))
    until(qtbot, lambda: not w.actions.play.isEnabled())
    assert "This network needs about" in w.actions.play.toolTip()
    assert "8.0 MB available" in w.actions.play.toolTip()
    assert "This network needs about" in w.controls.errors()["hidden"]
    w.controls.set_config(fast_config)
    until(qtbot, lambda: w.actions.play.isEnabled())


# ---- 16. empty data, fewer samples than a batch: a message, not a crash ---------------------------------
@pytest.mark.parametrize("rows, batch, words", [(0, 10, "empty"), (3, 10, "batch_size")])
def test_an_empty_or_tiny_csv_says_why(qtbot, make_session, fast_config, tmp_path, rows, batch, words):
    path = tmp_path / "data.csv"
    path.write_text("x1,x2,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(rows)))
    s = make_session(fast_config.replace(csv_path=str(path), batch_size=batch, validation_split=0.0))
    until(qtbot, lambda: s.state == "stopped")
    assert words in s.message.lower() or words in s.message


# ---- 19. HiDPI: the window and exports at twice the pixels ------------------------------------------------
HIDPI = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from core.run.config import TrainingConfig
from viz.app.main import create_window
from viz.export.white_export import save_png_white
from PySide6.QtGui import QImage
w = create_window(TrainingConfig(n_samples=200, grid_resolution=16), engine="thread")
w.resize(640, 400)
w.show()
w.session.step_epoch()
deadline = __import__("time").perf_counter() + 30
while (w.session.latest is None or w.session.latest.epoch < 1) and __import__("time").perf_counter() < deadline:
    app.processEvents()
for _ in range(20):
    app.processEvents()
shot = w.grab()
ok = save_png_white(w.boundary, sys.argv[1])
img = QImage(sys.argv[1])
print(json.dumps({"dpr": w.devicePixelRatioF(), "window": [w.width(), w.height()],
                  "shot": [shot.width(), shot.height()], "view": [w.boundary.width(), w.boundary.height()],
                  "export": [img.width(), img.height()], "ok": ok}))
w.close()
"""


def screen_env(tmp_path, scale: int) -> dict:
    """Environment for a child on an offscreen screen of 1280x800 logical pixels at ``scale``."""
    config = tmp_path / f"screen{scale}.json"
    config.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": 1280 * scale,
                                               "height": 800 * scale, "logicalDpi": 96, "logicalBaseDpi": 96,
                                               "dpr": 1}]}))
    return dict(ENV, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR=str(scale),
                UNCRUMPLE_SETTINGS=str(tmp_path / f"settings{scale}.ini"))


@pytest.mark.slow
def test_hidpi_screenshot_and_export_are_twice_the_size(tmp_path):
    out = {}
    for scale in (1, 2):   # a 1280x800 screen at 1x, a 2560x1600 one at 2x: the same logical size
        png = tmp_path / f"shot{scale}.png"
        r = subprocess.run([sys.executable, "-m", "viz", "--dataset", "moons", "--epochs", "1", "--seed", "1",
                            "--screenshot", str(png), "--quit"], capture_output=True, text=True, timeout=120,
                           env=screen_env(tmp_path, scale), cwd=ROOT)
        assert r.returncode == 0, r.stderr
        out[scale] = QImage(str(png))
    one, two = out[1], out[2]
    assert abs(two.width() / one.width() - 2) < 0.05 and abs(two.height() / one.height() - 2) < 0.05
    for img in (one, two):               # not blank: many distinct colours across the picture
        colours = {img.pixel(x, y) for x in range(0, img.width(), 17) for y in range(0, img.height(), 13)}
        assert len(colours) > 20

    png = tmp_path / "view.png"
    r = subprocess.run([sys.executable, "-c", HIDPI, str(png)], capture_output=True, text=True, timeout=120,
                       env=screen_env(tmp_path, 2), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout.strip().splitlines()[-1])
    assert info["dpr"] == 2.0 and info["ok"]
    assert info["shot"] == [2 * v for v in info["window"]]
    assert info["export"] == [2 * v for v in info["view"]]


# ---- 23. a run file is consistent: its checkpoints fit its configuration --------------------------------
def test_a_run_saved_right_after_an_architecture_reset_opens_and_scrubs(qtbot, make_window, fast_config, tmp_path):
    small = fast_config.replace(hidden=((8, "tanh"),))
    w = make_window(small, engine="thread")
    until(qtbot, lambda: w.session.state == "ready")
    for epoch in (1, 2, 3):
        w.session.step_epoch()
        until(qtbot, lambda: w.session.latest.epoch == epoch and w.session.state == "paused")
    w.controls.set_config(small.replace(hidden=((8, "tanh"), (8, "tanh"))))
    w.reset_run()
    path = tmp_path / "run.ucrun.npz"
    w.run_files.save(str(path))                 # before the restarted trainer's first snapshot
    until(qtbot, path.exists)
    from core.run.runfile import load_run
    run = load_run(str(path))
    assert all(len(c.shapes) == 2 * len(run.config.hidden) + 2 for c in run.checkpoints), \
        (run.config.hidden, run.checkpoints[0].shapes)
    with qtbot.captureExceptions() as exceptions:
        if w.run_files.open(str(path)):
            until(qtbot, lambda: len(w.timeline.epochs()) > 2)
            w.timeline_bar.slider.setValue(0)
            w.timeline_bar.slider.setValue(2)
    assert not exceptions
