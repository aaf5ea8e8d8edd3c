"""The command line's output files: checked before training, written when interrupted, one failure
never costing the other output, and no traceback for a user error or a second Ctrl+C (issue 17)."""
import csv
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import core
from core.engine.model import Sequential
from core.engine.training import Trainer
from core.run.cli import main

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ["train", "--dataset", "xor", "--layers", "8", "--epochs", "3", "--batch-size", "16"]


def history_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder that exists but that this process cannot create files in."""
    if os.name == "posix" and os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield str(folder)
        folder.chmod(0o755)
        return
    # root may write anywhere on a normal disk; sysfs refuses new files even to root
    try:
        fd, name = tempfile.mkstemp(dir="/sys")
    except OSError:
        yield "/sys"
        return
    os.close(fd)
    os.unlink(name)
    pytest.skip("no folder this process cannot write to")


@pytest.mark.parametrize("option", ["--save", "--history"])
def test_an_output_in_a_missing_folder_is_refused_before_training(tmp_path, capsys, option):
    bad = tmp_path / "no-such-folder" / "out.npz"
    assert main(TRAIN + [option, str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "Epoch 1/3" not in out                       # refused before any training
    assert f"Argument `{option}`" in err and str(bad) in err and "does not exist" in err
    assert not bad.parent.exists()


@pytest.mark.parametrize("option", ["--save", "--history"])
def test_an_output_that_is_a_folder_is_refused_before_training(tmp_path, capsys, option):
    assert main(TRAIN + [option, str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "Epoch 1/3" not in out
    assert f"Argument `{option}`" in err and "names a folder" in err and repr(str(tmp_path)) in err
    assert os.listdir(tmp_path) == []


def test_an_output_ending_with_a_slash_is_refused_before_training(tmp_path, capsys):
    path = str(tmp_path / "new-folder") + os.sep
    assert main(TRAIN + ["--save", path]) == 2
    out, err = capsys.readouterr()
    assert "Epoch 1/3" not in out and "names a folder" in err and "model.npz" in err


def test_an_output_under_a_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert main(TRAIN + ["--history", str(blocker / "h.csv")]) == 2
    err = capsys.readouterr().err
    assert "Argument `--history`" in err and "is a file, not a folder" in err
    assert blocker.read_text() == "x"


def test_an_output_in_an_unwritable_folder_is_refused(unwritable_folder, capsys):
    path = os.path.join(unwritable_folder, "m.npz")
    assert main(TRAIN + ["--save", path]) == 2
    out, err = capsys.readouterr()
    assert "Epoch 1/3" not in out
    assert "Argument `--save`" in err and "cannot write" in err and repr(path) in err


def test_history_and_model_must_be_different_files(tmp_path, capsys):
    path = str(tmp_path / "out")
    assert main(TRAIN + ["--save", path, "--history", path]) == 2
    assert "must be different files" in capsys.readouterr().err


def folder_removed_after_training(tmp_path, monkeypatch):
    """A folder that vanishes once training ends, before the outputs are written."""
    folder = tmp_path / "gone"
    folder.mkdir()
    real_fit = Trainer.fit

    def fit_then_remove(self, *args, **kwargs):
        history = real_fit(self, *args, **kwargs)
        shutil.rmtree(folder)
        return history

    monkeypatch.setattr(Trainer, "fit", fit_then_remove)
    return folder


def test_a_failing_history_write_does_not_lose_the_model(tmp_path, capsys, monkeypatch):
    """The history's folder vanishes during training: the model is still saved, the error is plain."""
    folder = folder_removed_after_training(tmp_path, monkeypatch)
    model_path = tmp_path / "m.npz"
    rc = main(TRAIN + ["--history", str(folder / "h.csv"), "--save", str(model_path)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "Could not write the history" in err and str(folder / "h.csv") in err
    assert core.load_model(model_path).count_params() > 0


def test_a_failing_model_write_does_not_lose_the_history(tmp_path, capsys, monkeypatch):
    folder = folder_removed_after_training(tmp_path, monkeypatch)
    hist = tmp_path / "h.csv"
    rc = main(TRAIN + ["--save", str(folder / "m.npz"), "--history", str(hist)])
    assert rc == 1
    assert "Could not save the model" in capsys.readouterr().err
    assert len(history_rows(hist)) == 4


def _interrupt_after(epochs):
    """A ``Trainer.fit`` that trains ``epochs`` epochs, then behaves as if Ctrl+C was pressed."""
    def fit(self, verbose=1, stream=None):
        for _ in range(epochs):
            self.train_epoch()
        self.train_batch()                                # in the middle of the next epoch
        raise KeyboardInterrupt
    return fit


def test_first_ctrl_c_writes_the_model_and_history_so_far(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Trainer, "fit", _interrupt_after(2))
    hist, model_path = tmp_path / "h.csv", tmp_path / "m.npz"
    rc = main(TRAIN + ["--epochs", "50", "--history", str(hist), "--save", str(model_path)])
    assert rc == 130
    out, err = capsys.readouterr()
    assert "Interrupted" in err
    assert [r[0] for r in history_rows(hist)[1:]] == ["1", "2"]
    assert core.load_model(model_path).optimizer.iterations > 0
    assert "Model saved to" in out and "History written to" in out


def test_second_ctrl_c_while_writing_exits_quietly_with_130(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(Trainer, "fit", _interrupt_after(1))

    def second_ctrl_c(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(Sequential, "save", second_ctrl_c)
    hist, model_path = tmp_path / "h.csv", tmp_path / "m.npz"
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal (the tests may run under nohup)
    try:
        rc = main(TRAIN + ["--epochs", "50", "--save", str(model_path), "--history", str(hist)])
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)
    assert rc == 130                                     # no KeyboardInterrupt escapes main
    err = capsys.readouterr().err
    assert "Stopped" in err
    assert os.listdir(tmp_path) == []                    # nothing half-written


def test_ctrl_c_while_loading_the_data_exits_with_130(capsys, monkeypatch):
    def interrupted(config):
        raise KeyboardInterrupt

    monkeypatch.setattr("core.run.cli.load_data_with_notice", interrupted)
    assert main(TRAIN) == 130
    assert "Cancelled" in capsys.readouterr().err


def _read_until(proc, text, timeout=60):
    """Lines of ``proc``'s stdout up to the first containing ``text``."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if text in line:
                return lines
    raise AssertionError(f"{text!r} not printed; got {lines!r}")


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_a_real_ctrl_c_writes_the_outputs_without_a_traceback(tmp_path):
    hist, model_path = tmp_path / "h.csv", tmp_path / "m.npz"
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "core", "train", "--dataset", "xor", "--layers", "8",
         "--epochs", "100000", "--batch-size", "16", "--verbose", "2",
         "--history", str(hist), "--save", str(model_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # Ctrl+C as in a terminal, even when the tests run in the background (nohup, `&`: SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _read_until(proc, "Epoch 4/")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted" in err
    assert len(history_rows(hist)) >= 4                   # header + at least 3 finished epochs
    assert core.load_model(model_path).count_params() > 0


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="a real SIGINT")
def test_ctrl_c_while_the_model_is_saved_finishes_that_file_then_stops(tmp_path, capsys, monkeypatch):
    """A real SIGINT arriving in the middle of the model's write: the model file is completed (no
    temporary file stays behind), the history is skipped, the exit code is 130."""
    monkeypatch.setattr(Trainer, "fit", _interrupt_after(1))
    real_save = Sequential.save

    def save_with_ctrl_c(self, path):
        os.kill(os.getpid(), signal.SIGINT)              # delivered inside the write
        real_save(self, path)

    monkeypatch.setattr(Sequential, "save", save_with_ctrl_c)
    hist, model_path = tmp_path / "h.csv", tmp_path / "m.npz"
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # as in a terminal (the tests may run under nohup)
    try:
        rc = main(TRAIN + ["--epochs", "50", "--save", str(model_path), "--history", str(hist)])
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)
    assert rc == 130
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]
    assert core.load_model(model_path).count_params() > 0
    assert f"Not written: {hist}" in capsys.readouterr().err
    assert handler_after is signal.default_int_handler     # restored
