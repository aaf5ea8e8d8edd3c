"""The stage animation as an animated GIF (Pillow): frames, size, palette, progress and cancel."""
from __future__ import annotations

import builtins

import numpy as np
import pytest
from PIL import Image, ImageChops
from PySide6 import QtWidgets
from PySide6.QtCore import QTimer

from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.views.common import pictures as export
from viz.views.common.pictures import GIF_MISSING
from viz.views.uncrumple.stage_player import StagePlayer


@pytest.fixture
def player(qtbot):
    """A shown 600 x 400 stage player on a trained 2-8-8-1 spiral network (10 stages)."""
    run = _Run(TrainingConfig(n_samples=300, grid_resolution=16))
    view = StagePlayer()
    qtbot.addWidget(view)
    first = run.snapshot(with_run=True)
    view.set_run(first.run)
    view.add_snapshot(first)
    for _ in range(60):
        run.trainer.train_batch()
    view.add_snapshot(run.snapshot())
    view.show()
    view.graphics.setFixedSize(600, 400)
    qtbot.waitExposed(view)
    view._retrace()
    assert view.last_position() == 9.0
    view.set_position(2.5)
    return view


def frames_of(path):
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append((im.convert("RGB"), im.info.get("duration")))
        return out, im.info.get("loop")


def test_gif_has_every_frame_at_the_widgets_size_and_moves(player, tmp_path):
    path = tmp_path / "stages.gif"
    player.export_gif(str(path), fps=20, frames_per_stage=6)
    frames, loop = frames_of(path)
    assert len(frames) == 9 * 6 + 1 == len(player.frame_positions(6))
    assert all(f.size == (600, 400) for f, _ in frames)
    assert loop == 0 and {d for _, d in frames} == {50}                     # 20 frames a second, forever
    first, last = frames[0][0], frames[-1][0]
    assert ImageChops.difference(first, last).getbbox() is not None        # input and output differ
    # the first frame is the input stage as drawn, up to the palette (<= 128 colours, no dithering)
    player.set_position(0.0)
    drawn = export.grab_rgb(player.graphics).astype(int)
    assert np.mean(np.abs(np.asarray(first, int) - drawn)) < 4
    assert player.position() == 0.0
    # 60 frames of 600 x 400 stay well under 4 MB
    assert path.stat().st_size < 4e6 * len(frames) / 60


def test_the_shown_position_comes_back_after_an_export(player, tmp_path):
    player.export_gif(str(tmp_path / "a.gif"), frames_per_stage=2)
    assert player.position() == 2.5 and player.slider.value() == 250


def test_button_records_with_progress_and_the_window_keeps_turning(player, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "button.gif"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), "GIF (*.gif)"))
    turns = []
    beat = QTimer()
    beat.timeout.connect(lambda: turns.append(1))
    beat.start(0)
    player.gif_button.click()
    dialog = player.gif_dialog
    assert isinstance(dialog, QtWidgets.QProgressDialog) and not player.gif_button.isEnabled()
    assert player.recording and player.refresh() is False       # the weights are held while recording
    qtbot.waitUntil(lambda: player.caption.text() == f"Saved {path}", timeout=20_000)
    beat.stop()
    assert len(turns) > 3, "the event loop ran between frames"
    assert player.gif_button.isEnabled() and player.position() == 2.5 and not player.recording
    frames, _ = frames_of(path)
    assert len(frames) == 9 * 12 + 1


def test_cancel_writes_nothing_and_puts_the_position_back(player, qtbot, tmp_path):
    path = tmp_path / "cancelled.gif"
    dialog = player.record_gif(str(path), frames_per_stage=12)
    dialog.cancel()
    qtbot.waitUntil(lambda: "cancelled" in player.caption.text(), timeout=10_000)
    assert not path.exists()
    assert player.position() == 2.5 and player.gif_button.isEnabled()


def test_without_pillow_a_clear_message_and_png_frames(player, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(RuntimeError, match="pip install Pillow"):
        player.export_gif(str(tmp_path / "a.gif"))
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda parent, title, text: shown.append(text))
    assert player.record_gif(str(tmp_path / "b.gif"), frames_per_stage=1) is None
    assert shown and shown[0].startswith(GIF_MISSING) and "Saved the 10 frames as PNG" in shown[0]
    assert len(list((tmp_path / "b").glob("frame_*.png"))) == 10
    assert not (tmp_path / "a.gif").exists() and not (tmp_path / "b.gif").exists()


def test_nothing_to_record_before_a_run(qtbot, tmp_path):
    view = StagePlayer()
    qtbot.addWidget(view)
    with pytest.raises(ValueError, match="Nothing to record"):
        view.export_gif(str(tmp_path / "a.gif"))
    assert view.render_frames() == []
