"""ProcessWorker / ThreadWorker against the real trainer (no mocks): signals, pause, steps, errors, death."""
from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.run.config import TrainingConfig
from viz.run.worker import ProcessWorker, ThreadWorker

ENGINES = [ProcessWorker, ThreadWorker]


class Recorder(QObject):
    """Lives in the GUI thread: records a worker's signals (queued) and re-emits snapshots."""

    got = Signal(object)

    def __init__(self, worker):
        super().__init__()
        self.snaps, self.errors, self.deaths = [], [], []
        self.finished = False
        worker.snapshot.connect(self.on_snapshot)
        worker.finished.connect(self.on_finished)
        worker.errored.connect(self.on_error)
        worker.died.connect(self.on_died)

    @Slot(object)
    def on_snapshot(self, snap):
        self.snaps.append(snap)
        self.got.emit(snap)

    @Slot(str)
    def on_error(self, text):
        self.errors.append(text)

    @Slot(str)
    def on_died(self, text):
        self.deaths.append(text)

    @Slot()
    def on_finished(self):
        self.finished = True

    @property
    def last(self):
        return self.snaps[-1]


@pytest.fixture
def start_worker(qtbot, fast_config):
    """Start a worker in a QThread; stops and joins it at teardown."""
    made = []

    def start(cls=ProcessWorker, config=fast_config, wait_first=True):
        worker = cls(config)
        thread = QThread()
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        rec = Recorder(worker)
        made.append((worker, thread, rec))
        thread.start()
        if wait_first:
            until(qtbot, lambda: rec.snaps or rec.errors)
        return worker, rec

    yield start
    for worker, thread, _ in made:
        worker.stop()
        assert thread.wait(15_000), "worker thread did not finish"
        assert not worker.running


def until(qtbot, predicate, timeout=20_000):
    """qtbot.waitUntil for a truthy predicate."""
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def wait_state(qtbot, rec, state, timeout=20_000):
    until(qtbot, lambda: rec.snaps and rec.last.state == state, timeout)


@pytest.mark.parametrize("cls", ENGINES)
def test_first_snapshot_carries_the_data(start_worker, cls):
    worker, rec = start_worker(cls)
    first = rec.snaps[0]
    assert first.state == "ready" and first.step == 0
    assert first.run is not None and first.run.x_train_2d is not None and first.boundary is not None
    assert first.weights, "the first snapshot is a full one"


@pytest.mark.parametrize("cls", ENGINES)
def test_play_emits_snapshots_and_pause_stops_them(qtbot, start_worker, cls):
    worker, rec = start_worker(cls)
    worker.send(("play",))
    until(qtbot, lambda: rec.last.state == "training" and rec.last.step > 50)
    worker.send(("pause",))
    wait_state(qtbot, rec, "paused")
    paused = rec.last
    with qtbot.assertNotEmitted(rec.got, wait=300):
        pass
    assert rec.last is paused
    # every batch loss arrived exactly once, none dropped between snapshots
    steps = [int(s) for snap in rec.snaps for s in snap.batch_steps]
    assert steps == list(range(1, paused.step + 1))


@pytest.mark.parametrize("cls", ENGINES)
def test_step_batch_and_step_epoch_are_exact(qtbot, start_worker, cls):
    worker, rec = start_worker(cls)
    bpe = rec.last.batches_per_epoch
    n = len(rec.snaps)
    worker.send(("step_batch",))
    until(qtbot, lambda: len(rec.snaps) > n)
    assert (rec.last.step, rec.last.batch, rec.last.epoch, rec.last.state) == (1, 1, 0, "paused")
    n = len(rec.snaps)
    worker.send(("step_epoch",))
    until(qtbot, lambda: len(rec.snaps) > n)
    assert (rec.last.step, rec.last.batch, rec.last.epoch) == (bpe, 0, 1)   # finished epoch 1
    n = len(rec.snaps)
    worker.send(("step_epoch",))
    until(qtbot, lambda: len(rec.snaps) > n)
    assert (rec.last.step, rec.last.epoch) == (2 * bpe, 2)
    with qtbot.assertNotEmitted(rec.got, wait=200):
        pass


@pytest.mark.parametrize("cls", ENGINES)
def test_bad_value_arrives_as_errored_and_training_goes_on(qtbot, start_worker, cls):
    worker, rec = start_worker(cls)
    worker.send(("set", "learning_rate", -0.1))
    until(qtbot, lambda: rec.errors)
    assert "learning_rate" in rec.errors[0] and "-0.1" in rec.errors[0]
    n = len(rec.snaps)
    worker.send(("step_batch",))
    until(qtbot, lambda: len(rec.snaps) > n and rec.last.step == 1)
    assert not rec.deaths


def test_a_run_that_cannot_start_reports_an_error(qtbot, start_worker, tmp_path):
    bad = TrainingConfig(csv_path=str(tmp_path / "missing.csv"))
    worker, rec = start_worker(ProcessWorker, bad)
    assert rec.errors and not rec.snaps
    worker.send(("play",))
    until(qtbot, lambda: len(rec.errors) >= 2)
    assert "Reset" in rec.errors[1]
    # a good config via reset brings it back
    worker.send(("reset", TrainingConfig(n_samples=100)))
    until(qtbot, lambda: rec.snaps)
    assert rec.last.state == "ready"


def test_killed_trainer_is_reported_as_died(qtbot, start_worker):
    worker, rec = start_worker(ProcessWorker)
    os.kill(worker.pid, signal.SIGKILL)
    until(qtbot, lambda: rec.deaths)
    assert "exit code -9" in rec.deaths[0]
    until(qtbot, lambda: not worker.running)


def test_stop_joins_the_child_and_sends_nothing_more(qtbot, start_worker, procs):
    worker, rec = start_worker(ProcessWorker)
    pid = worker.pid
    worker.send(("play",))
    until(qtbot, lambda: rec.last.step > 20)
    worker.stop()
    until(qtbot, lambda: rec.finished)
    assert not procs.pid_alive(pid)
    assert not rec.deaths, "a requested stop is not a death"
    with qtbot.assertNotEmitted(rec.got, wait=200):
        pass
    worker.send(("play",))   # after stop: ignored, no exception


def test_commands_sent_before_the_pipe_exists_are_kept(qtbot, start_worker):
    worker, rec = start_worker(ProcessWorker, wait_first=False)
    worker.send(("step_batch",))
    worker.send(("step_batch",))
    until(qtbot, lambda: rec.snaps and rec.last.step == 2)


def test_sending_never_waits_for_the_trainer_to_read_and_keeps_the_order():
    """A big command (a run's checkpoint) blocks the pipe until the trainer reads it: the GUI
    thread's send() only queues; a sender thread writes, in order, and ends after ("stop",)."""
    import threading

    from core.run.config import TrainingConfig
    from viz.run.worker import ProcessWorker

    class SlowPipe:
        def __init__(self):
            self.sent, self.reading = [], threading.Event()

        def send(self, cmd):
            self.reading.wait(30)              # the trainer is busy: the write blocks
            self.sent.append(cmd)

    pipe = SlowPipe()
    w = ProcessWorker(TrainingConfig())
    sender = threading.Thread(target=w._send_loop, args=(pipe,), daemon=True)
    sender.start()
    big = ("restore", b"x" * 5_000_000, [])
    for cmd in (("play",), big, ("pause",)):
        w.send(cmd)                            # returns although nothing has been written yet
    assert pipe.sent == []
    w.stop()
    w.send(("play",))                          # after stop: dropped
    pipe.reading.set()
    sender.join(10)
    assert not sender.is_alive()
    assert [c[0] for c in pipe.sent] == ["play", "restore", "pause", "stop"]
