"""Reading a big CSV file in the trainer: progress messages, Cancel, commands that wait (issue 17)."""

import numpy as np
import pytest

from core.datasets.tabular import CsvCancelled, read_csv
from core.run.config import TrainingConfig
from core.run.load_progress import REPORT_AFTER_S, REPORT_HZ, LoadProgress, LoadReporter
from serve_support import TIMEOUT, recv


def write_big_csv(path, rows: int) -> str:
    """A CSV file of ``rows`` rows (two features, labels 0/1), written in a blink."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    block = "".join(f"{a:.3f},{b:.3f},{c}\n" for (a, b), c in zip(x, y))
    with open(path, "w") as fh:
        fh.write("x1,x2,label\n")
        for _ in range(rows // 1000):
            fh.write(block)
    return str(path)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_the_reporter_waits_0_3_s_then_reports_at_most_5_times_a_second(tmp_path):
    path = write_big_csv(tmp_path / "data.csv", 3000)
    sent, commands, clock = [], [], Clock()
    rep = LoadReporter(path, sent.append, lambda: commands.pop(0) if commands else None, clock)
    clock.t = REPORT_AFTER_S / 2
    assert rep(65_536) is True and sent == [], "a quick read shows nothing"
    clock.t = REPORT_AFTER_S
    assert rep(131_072) is True
    assert sent == [LoadProgress(path=path, rows_read=131_072, rows_total=3000, seconds=REPORT_AFTER_S)]
    clock.t += 0.5 / REPORT_HZ
    rep(196_608)
    assert len(sent) == 1, "throttled"
    clock.t += 0.6 / REPORT_HZ
    rep(262_144)
    assert len(sent) == 2 and sent[-1].rows_read == 262_144
    assert sent[-1].text() == "Reading data.csv… 262,144 of about 3,000 rows"


def test_the_reporter_cancels_stops_and_keeps_other_commands(tmp_path):
    path = write_big_csv(tmp_path / "data.csv", 1000)
    commands = [("set", "learning_rate", 0.1), ("play",)]
    rep = LoadReporter(path, lambda p: None, lambda: commands.pop(0) if commands else None, Clock())
    assert rep(1) is True and rep.pending == [("set", "learning_rate", 0.1), ("play",)]
    commands.append(("cancel_load",))
    assert rep(2) is False and rep.cancelled and not rep.stop_requested
    rep = LoadReporter(path, lambda p: None, lambda: commands.pop(0) if commands else None, Clock())
    commands.append(("stop",))
    assert rep(1) is False and rep.stop_requested


def test_read_csv_stops_when_the_reporter_says_so(tmp_path):
    path = write_big_csv(tmp_path / "data.csv", 200_000)
    commands = [("cancel_load",)]
    rep = LoadReporter(path, lambda p: None, lambda: commands.pop(0) if commands else None)
    with pytest.raises(CsvCancelled, match="cancelled after 65,536 rows"):
        read_csv(path, max_rows=100, progress=rep)


def test_a_cancelled_read_in_the_trainer_keeps_the_run_there_was(child, tmp_path):
    path = write_big_csv(tmp_path / "data.csv", 5_000_000)
    first = TrainingConfig(n_samples=200, hidden=((4, "tanh"),), grid_resolution=8)
    conn, p = child(first)
    kind, snap = recv(conn)
    assert kind == "snapshot" and snap.run.config == first
    conn.send(("step_batch",))
    kind, snap = recv(conn)
    assert snap.step == 1
    # a new config in the same trainer: it reads the big file, reporting progress
    conn.send(("reset", first.replace(csv_path=path, n_samples=300)))
    kind, progress = recv(conn)
    assert kind == "loading" and progress.path == path and 0 < progress.rows_read < 5_000_000
    assert progress.rows_total == 5_000_000
    conn.send(("set", "learning_rate", 0.2))      # waits until reading is over
    conn.send(("cancel_load",))
    while kind == "loading":
        kind, payload = recv(conn)
    assert (kind, payload) == ("load_cancelled", "Loading data.csv was cancelled.")
    kind, snap = recv(conn)
    assert kind == "snapshot" and snap.run is None and snap.step == 1 and snap.state == "paused"
    assert snap.checkpoint is not None, "the run there was goes on, paused, with its full state"
    kind, snap = recv(conn)
    assert kind == "snapshot" and snap.hyperparameters["learning_rate"] == pytest.approx(0.2), \
        "a command sent while reading is obeyed after it"
    conn.send(("step_batch",))
    kind, snap = recv(conn)
    assert snap.step == 2
    conn.send(("stop",))
    p.join(TIMEOUT)
    assert p.exitcode == 0


def test_stop_while_reading_ends_the_trainer(child, tmp_path):
    path = write_big_csv(tmp_path / "data.csv", 5_000_000)
    conn, p = child(TrainingConfig(csv_path=path, n_samples=300))
    kind, _ = recv(conn)
    assert kind == "loading"
    conn.send(("stop",))
    p.join(TIMEOUT)
    assert p.exitcode == 0
