"""Opening a run file is a transaction (issue 17, item 3): a file that passes the format checks but
could not run — its CSV moved, a garbage random-generator state, a position past the epoch, a
missing batch curve — is refused with a plain message, and the run on screen stays exactly as it was."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.engine.saving import atomic_write_npz
from core.run.config import TrainingConfig

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16, batch_size=16)


def until(qtbot, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def rewrite(path, edit):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files if k != "__meta__"}
        meta = json.loads(f["__meta__"].tobytes().decode())
    edit(meta, arrays)
    atomic_write_npz(path, arrays, meta)


def state_of(w):
    latest = w.session.latest
    return (latest.epoch, latest.step, w.session.state, w.session.worker, w.session.config,
            w.timeline.epochs(), len(w.timeline.epoch_logs), w.curves.n_points,
            w.curves.history()["batch_losses"].tobytes())


@pytest.mark.parametrize("edit, message", [
    (lambda m, a, tmp: m["config"].__setitem__("csv_path", str(tmp / "moved.csv")),
     "moved.csv is not there (moved or deleted?)"),
    (lambda m, a, tmp: m["current"].__setitem__("rng", {"order": "garbage", "model": 7}),
     "random-generator state"),
    (lambda m, a, tmp: m["current"].__setitem__("position", 10**9), "position 1000000000"),
    (lambda m, a, tmp: a.pop("curve_batch_x"), "`batch_x` is missing"),
])
def test_a_run_file_that_could_not_run_leaves_the_current_run_as_it_was(qtbot, make_window, tmp_path,
                                                                         edit, message):
    w = make_window(CONFIG, engine="thread")
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    for _ in range(2):
        e = w.session.latest.epoch
        w.actions.step_epoch.trigger()
        until(qtbot, lambda: w.session.latest.epoch == e + 1 and w.session.state == "paused")
    until(qtbot, lambda: w.timeline.epochs() == [0, 1, 2])
    path = tmp_path / "run.uncrumple.npz"
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        w.timeline.save(str(path))
    rewrite(path, lambda m, a: edit(m, a, tmp_path))
    before = state_of(w)
    assert before[7] > 0

    with qtbot.waitSignal(w.timeline.failed, timeout=5000) as sig:
        assert not w.run_files.open(str(path))
    assert message in sig.args[0] and "run.uncrumple.npz" in sig.args[0]
    qtbot.wait(300)                                   # nothing arrives later either
    assert state_of(w) == before
    assert w.timeline._opening is None
    # and the run goes on
    w.actions.step_epoch.trigger()
    until(qtbot, lambda: w.session.latest.epoch == 3 and w.session.state == "paused")
    assert w.timeline.epochs() == [0, 1, 2, 3]


@pytest.mark.parametrize("start_other", ["preset", "reset"])
def test_a_preset_started_before_an_opened_run_answers_drops_the_open(qtbot, make_window, tmp_path, start_other):
    """The monkey's "checkpoint weights have shapes…" box: Open run, then a preset of another network
    before the opened run's trainer answered; the opened checkpoint was restored into the preset's network."""
    w = make_window(CONFIG, engine="thread")
    until(qtbot, lambda: w.session.latest is not None and w.session.state == "ready")
    w.actions.step_epoch.trigger()
    until(qtbot, lambda: w.session.latest.epoch == 1 and w.session.state == "paused")
    path = tmp_path / "run.uncrumple.npz"
    with qtbot.waitSignal(w.timeline.saved, timeout=10_000):
        w.timeline.save(str(path))
    errors = []
    w.session.error.connect(errors.append)
    w.timeline.failed.connect(errors.append)
    assert w.run_files.open(str(path))
    if start_other == "preset":                          # before the opened run's first snapshot
        w.start_preset("regression-sine")
    else:                                                # Reset with Controls that show another network
        from core.run.presets import get_preset
        w.session.reset(get_preset("regression-sine").config)
    until(qtbot, lambda: w.session.latest is not None and w.session.latest.run is not None
          and w.session.latest.run.config.task == "regression" and w.session.state == "ready")
    qtbot.wait(300)                                       # nothing arrives later either
    assert errors == [] and not w.timeline.opening
    assert w.session.latest.epoch == 0 and w.timeline.epochs() == [0]
