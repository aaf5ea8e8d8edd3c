"""The optimizer race, the loss-surface view and the 1D slice, fed with real core results."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6 import QtWidgets

from core.analysis.loss import landscape, surfaces
from core.run.config import TrainingConfig
from core.run.serve import _Run
from viz.app.layout.docks import DOCKS, ViewMaker, spec
from viz.views.common.heatmap import display_levels
from viz.views.common.view import View
from viz.views.loss.landscape import LandscapeView
from viz.views.loss.race import RACERS, RaceView
from viz.views.loss.slice1d import SliceView
from viz.views.loss.weight_record import MAX_RECORDS, WeightRecord

CONFIG = TrainingConfig(n_samples=200, grid_resolution=16)


@pytest.fixture(scope="module")
def snapshots():
    """A real run's first snapshot (with data) and those of 6 epochs: light ones, and heavy ones every 4 batches."""
    run = _Run(CONFIG)
    snaps = [run.snapshot(with_run=True)]
    for _ in range(6):
        start, k = run.trainer.epoch, 0
        while run.trainer.epoch == start:
            run.trainer.train_batch()
            k += 1
            snaps.append(run.snapshot(weights=k % 4 == 0))
        snaps.append(run.snapshot())
    return snaps


def feed(view, snaps):
    """``snaps`` to ``view`` as the session gives them (a run's first snapshot starts the view over),
    then one refresh."""
    for s in snaps:
        if s.run is not None:
            view.clear()
            view.set_run(s.run)
        view.add_snapshot(s)
    return view.refresh()


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def curve_xy(item):
    x, y = item.getData()
    return np.column_stack([np.zeros(0) if x is None else x, np.zeros(0) if y is None else y])


@pytest.fixture
def race(qtbot):
    view = RaceView()
    qtbot.addWidget(view)
    return view


@pytest.fixture
def surface(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    yield view
    view.shutdown()


# ---- the race --------------------------------------------------------------------------------------
def test_race_draws_one_path_per_chosen_optimizer(race):
    race.set_surface("bowl")
    race.checks["RMSprop"].setChecked(False)
    race.checks["Adagrad"].setChecked(False)
    race.run_to_end()
    chosen = [n for n in RACERS if n not in ("RMSprop", "Adagrad")]
    assert list(race.results) == chosen
    steps = race.steps_spin.value()
    for name in RACERS:
        xy = curve_xy(race.paths[name])
        losses = curve_xy(race.loss_curves[name])
        if name in chosen:
            assert len(xy) == steps + 1 and len(losses) == steps + 1
            np.testing.assert_allclose(xy[0], surfaces.SURFACES["bowl"].start)
            assert np.linalg.norm(xy[-1]) < 0.05          # every optimizer reaches the bottom of the bowl
        else:
            assert len(xy) == 0 and len(losses) == 0
    assert len(race.legend.items) == len(chosen)


def test_on_local_minimum_momentum_escapes_and_sgd_does_not(race):
    race.set_surface("local_minimum")
    race.run_to_end()
    sgd_end = curve_xy(race.paths["SGD"])[-1]
    momentum_end = curve_xy(race.paths["SGD + momentum"])[-1]
    glob, local = surfaces.SURFACES["local_minimum"].minima
    assert np.linalg.norm(momentum_end - glob) < 0.1
    assert np.linalg.norm(sgd_end - local) < 0.1 and np.linalg.norm(sgd_end - glob) > 1.0


def test_race_animates_in_lockstep_and_steps(race, qtbot):
    race.set_surface("ravine")
    race.steps_spin.setValue(12)
    race.step_button.click()
    assert race.shown == 1
    assert all(len(curve_xy(p)) == 2 for n, p in race.paths.items())
    race.run_button.click()                       # resumes from step 1
    assert race.running and race.run_button.text() == "Pause"
    qtbot.waitUntil(lambda: not race.running, timeout=5000)
    assert race.shown == 12 and race.run_button.text() == "Run"
    assert {len(curve_xy(p)) for p in race.paths.values()} == {13}
    race.reset_button.click()
    assert race.results is None and all(len(curve_xy(p)) == 0 for p in race.paths.values())


def test_moving_the_start_and_the_learning_rate_restart_the_race(race):
    race.set_surface("bowl")
    race.set_start(1.0, -1.5)
    race.rates["SGD"].setValue(0.2)
    race.run_to_end()
    np.testing.assert_allclose(curve_xy(race.paths["SGD"])[0], (1.0, -1.5))
    want = surfaces.race("bowl", {"SGD": surfaces.default_racers("bowl")["SGD"].__class__(0.2)},
                         start=(1.0, -1.5), steps=race.steps_spin.value())["SGD"].path
    np.testing.assert_allclose(curve_xy(race.paths["SGD"]), want)


def test_dragging_the_start_point_moves_the_race(race):
    race.set_surface("saddle")
    race.start_target.setPos(0.5, -0.5)
    race.start_target.sigPositionChangeFinished.emit(race.start_target)
    assert race.start_point() == (0.5, -0.5)
    race.run_to_end()
    np.testing.assert_allclose(curve_xy(race.paths["Adam"])[0], (0.5, -0.5))


def test_race_log_scale_keeps_finite_levels(race):
    race.set_surface("rosenbrock")
    assert race.log_check.isChecked()
    lo, hi = race.heat.levels
    assert np.isfinite([lo, hi]).all() and lo < hi


def test_race_csv_has_the_right_columns(race, tmp_path):
    race.set_surface("saddle")
    race.checks["Adam"].setChecked(False)
    race.run_to_end()
    path = tmp_path / "race.csv"
    race.export_csv(str(path))
    rows = read_csv(path)
    assert rows[0] == ["optimizer", "learning_rate", "step", "x", "y", "loss"]
    assert len(rows) - 1 == 5 * (race.steps_spin.value() + 1)
    assert {r[0] for r in rows[1:]} == set(RACERS) - {"Adam"}
    assert race.export_png(str(tmp_path / "race.png")) and (tmp_path / "race.png").stat().st_size > 1000
    assert race.export_svg(str(tmp_path / "race.svg"))
    assert (tmp_path / "race.svg").read_text().lstrip().startswith("<?xml")


# ---- the loss surface ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["random", "pca", "weights"])
def test_surface_renders_a_grid_and_the_path(surface, qtbot, snapshots, kind):
    assert feed(surface, snapshots) is True
    n = sum(1 for s in snapshots if s.weights)
    assert surface.n_recorded == n
    surface.plane_combo.setCurrentIndex(surface.plane_combo.findData(kind))
    surface.res_spin.setValue(21)
    if kind == "weights":
        surface.i_spin.setValue(3)
        surface.j_spin.setValue(20)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        assert surface.compute()
    assert not surface.busy
    assert surface.heat.image.image.shape == (21, 21)
    assert np.isfinite(surface.heat.levels).all()
    path = curve_xy(surface.path)
    assert len(path) == n and np.isfinite(path).all()
    assert len(curve_xy(surface.heat.contours)) > 0
    cur = surface.current.data
    assert len(cur) == 1
    # the current point is the plane's centre: (0, 0), or the two weights' values
    want = (0.0, 0.0) if kind != "weights" else tuple(surface.plane.centre[[3, 20]])
    np.testing.assert_allclose((cur["x"][0], cur["y"][0]), want, atol=1e-6)
    assert len(surface.epoch_marks.data) >= 5
    hist, _ = surface._rec.history()                      # the cached projection is the projection
    np.testing.assert_allclose(surface.projected_path()[0], surface.plane.project_path(hist))
    assert "loss" in surface.show_readout(*want)
    assert surface.plot.getAxis("bottom").labelText == surface.plane.labels[0]


@pytest.mark.parametrize("kind", ["pca", "random", "weights"])
def test_every_plane_is_made_and_projected_off_the_gui_thread(surface, qtbot, snapshots, monkeypatch, kind):
    """Issue 17 (the monkey): an MNIST run's planes held the GUI thread for seconds -- a PCA plane's SVD
    of up to 2,000 recorded sets of 407,050 weights, then (seeds 1 and 2) the random and two-weight
    planes (their directions, every weight's name) and the projection of the whole record. The job
    makes every plane and projects the record; the GUI thread projects at most the newest set."""
    import threading
    from core.analysis.loss import planes
    made, projected = [], []
    real_init, real_project = planes.Plane.__init__, planes.Plane.project_path

    def init(self, *args, **kwargs):
        made.append(threading.current_thread())
        real_init(self, *args, **kwargs)

    def project(self, history):
        if threading.current_thread() is threading.main_thread():
            projected.append(len(np.atleast_2d(np.asarray(history))))
        return real_project(self, history)

    monkeypatch.setattr(planes.Plane, "__init__", init)
    monkeypatch.setattr(planes.Plane, "project_path", project)
    feed(surface, snapshots)
    surface.auto_check.setChecked(False)
    surface.plane_combo.setCurrentIndex(surface.plane_combo.findData(kind))
    surface.res_spin.setValue(11)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        assert surface.compute()
    assert made and threading.main_thread() not in made
    assert sum(projected) <= 1                         # the newest set, when it was not recorded
    assert surface.plane.kind == kind and surface.heat.image.image.shape == (11, 11)
    hist, _ = surface._rec.history()                   # the path drawn is the record's projection
    np.testing.assert_allclose(curve_xy(surface.path), real_project(surface.plane, hist) + surface._offset)


def test_surface_grid_equals_core(surface, qtbot, snapshots, tmp_path):
    feed(surface, snapshots)
    surface.res_spin.setValue(11)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        assert surface.compute()
    g = surface.grid
    want = landscape.evaluate_grid(surface._model, surface._x, surface._y, surface.plane, resolution=11,
                                   span=g.extent)
    np.testing.assert_allclose(g.losses, want.losses, rtol=1e-6)
    out = tmp_path / "grid.csv"
    surface.export_csv(str(out))
    rows = read_csv(out)
    assert rows[0] == ["a", "b", "loss", "accuracy"] and len(rows) == 1 + 11 * 11
    assert surface.export_png(str(tmp_path / "s.png"))


def test_nan_and_inf_regions_do_not_break_the_image(surface, snapshots):
    feed(surface, snapshots)
    plane = surface.make_plane()
    a = np.linspace(-1, 1, 15)
    losses = np.outer(np.linspace(1, 2, 15), np.ones(15)).astype(np.float32)
    losses[:4, :4] = np.nan
    losses[-3:, -3:] = np.inf
    losses[5, 5] = 1e30                                   # an exploding value is clipped, not the scale
    grid = landscape.Grid(a, a, losses, np.zeros_like(losses), (-1.0, 1.0, -1.0, 1.0))
    for log in (False, True):
        surface.log_check.setChecked(log)
        surface.show_grid(grid, plane)
        lo, hi = surface.heat.levels
        assert np.isfinite([lo, hi]).all() and lo < hi and hi < (30 if log else 1e3)
        img = surface.heat.image.image
        assert np.isnan(img[:4, :4]).all() and np.isfinite(img[4:, 4:]).all()
        assert surface.heat.backdrop.isVisible()
    img, (lo, hi), _ = display_levels(np.full((3, 3), np.nan))
    assert np.isfinite([lo, hi]).all()


def test_cancel_stops_the_computation_and_leaves_no_thread(surface, qtbot, snapshots, no_thread_leaks):
    feed(surface, snapshots)
    surface.res_spin.setValue(301)
    with qtbot.waitSignal(surface.cancelled, timeout=10000):
        surface.compute()
        surface.cancel_button.click()
    assert not surface.busy and surface.grid is None
    assert surface.compute_button.isEnabled() and not surface.cancel_button.isEnabled()
    threads = [r() for r in no_thread_leaks if r() is not None]
    assert threads and not any(t.isRunning() for t in threads)
    surface.res_spin.setValue(11)
    surface.compute()                                     # clear() joins a running computation...
    surface.clear()
    assert not surface.busy
    QtWidgets.QApplication.processEvents()                # ...and drops a result queued meanwhile
    assert surface.grid is None and surface.heat.img is None


def test_the_path_leaving_the_grid_offers_a_recompute(surface, qtbot, snapshots):
    surface.auto_check.setChecked(False)                  # (with Auto the view recomputes by itself)
    feed(surface, snapshots[:len(snapshots) // 3])
    surface.plane_combo.setCurrentIndex(surface.plane_combo.findData("weights"))
    surface.span_spin.setValue(0.01)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        assert surface.compute()
    feed(surface, snapshots[len(snapshots) // 3:])
    assert surface.notice.isVisibleTo(surface)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        surface.notice.linkActivated.emit("#")
    assert not surface.notice.isVisibleTo(surface)


def test_recorder_is_bounded_and_even():
    rec = WeightRecord()
    rec.clear(3)
    for k in range(10 * MAX_RECORDS):
        rec.add(np.full(3, k, np.float32), k // 100)
    hist, epochs = rec.history()
    assert len(hist) <= MAX_RECORDS + 1
    steps = np.diff(hist[:-1, 0])
    assert steps.min() == steps.max()                     # evenly spaced
    assert hist[-1, 0] == 10 * MAX_RECORDS - 1            # the current point is always last


# ---- the 1D slice and the docks --------------------------------------------------------------------
def test_slice_shows_the_current_point_and_the_next_step(qtbot, snapshots, tmp_path):
    view = SliceView()
    qtbot.addWidget(view)
    assert feed(view, snapshots) is True
    view.wait()                                         # computed in a worker thread: wait for it
    s = view.slice
    assert len(curve_xy(view.curve)) == len(s.t) and np.isfinite(s.losses).all()
    np.testing.assert_allclose(view.point.data["x"], [0.0])
    assert s.step > 0 and len(view.step_mark.data) == 1   # the step goes forward along its own direction
    view.direction_combo.setCurrentIndex(view.direction_combo.findData("weight"))
    view.wait()
    assert view.slice.label == view.weight_name.text()
    out = tmp_path / "slice.csv"
    view.export_csv(str(out))
    assert read_csv(out)[0] == ["t", "loss", "accuracy"]


def test_the_dock_registry_builds_the_loss_views(qtbot):
    make = ViewMaker()
    docks = [(s.title, s.name, make(s)) for s in DOCKS if s.module.startswith("viz.views.loss.")]
    assert [d[0] for d in docks] == ["Loss surface", "Optimizer race", "1D slice"]
    assert len({d[1] for d in docks}) == 3
    for _, _, w in docks:
        qtbot.addWidget(w)
        assert isinstance(w, View)                          # the lifecycle: clear, set_run, add_snapshot, refresh


def test_closing_the_window_joins_the_surface_thread(qtbot, snapshots):
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    surface = ViewMaker(window)(spec("lossSurfaceDock"))
    window.setCentralWidget(surface)
    feed(surface, snapshots)
    surface.res_spin.setValue(301)
    assert surface.compute() and surface.busy
    window.close()
    assert not surface.busy


def test_diverged_weights_do_not_break_the_views(qtbot, snapshots):
    import dataclasses
    bad = dataclasses.replace(snapshots[-1], weights=tuple(np.full_like(w, np.nan) for w in snapshots[-1].weights))
    view, surface = SliceView(), LandscapeView()
    for v in (view, surface):
        qtbot.addWidget(v)
        feed(v, snapshots)
    with qtbot.waitSignal(surface.computed, timeout=10000):
        assert surface.compute()
    for v in (view, surface):
        v.add_snapshot(bad)
    assert surface.refresh() is True
    assert np.isnan(curve_xy(surface.path)[-1]).all() and len(surface.current.data) == 1
    assert view.compute() is True                           # refresh() may wait: it is rate-limited
    view.wait()
    assert len(view.point.data) == 0
    for kind in ("pca", "random"):                          # centred on the last finite weights
        surface.plane_combo.setCurrentIndex(surface.plane_combo.findData(kind))
        with qtbot.waitSignal(surface.computed, timeout=10000):
            assert surface.compute()
        assert np.isfinite(surface.plane.centre).all()
