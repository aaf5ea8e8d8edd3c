"""BoundaryView fed with real snapshots from the core trainer: image, points, levels, bad grids,
3D and many-feature data, contours and more than two classes."""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig
from core.run.messages import BoundaryGrid, RunSnapshot
from viz import style
from viz.views.training.boundary import BoundaryView
from views_support import show_run, start, train


@pytest.fixture
def boundary(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    return view


# ---- boundary ---------------------------------------------------------------------------------------
def test_boundary_image_points_and_levels(boundary):
    run, first = start(TrainingConfig(dataset="moons", grid_resolution=48))
    show_run(boundary, first)
    assert boundary.grid_shape == (48, 48)
    np.testing.assert_array_equal(boundary.image.getLevels(), [0.0, 1.0])
    data = first.run
    assert len(boundary.train_points.data) == len(data.x_train) > 0
    assert len(boundary.val_points.data) == len(data.x_val) > 0
    # the image covers the extent (half a pixel beyond it, where the edge samples' pixels end)
    x0, x1, y0, y1 = first.boundary.extent
    rect = boundary.image.mapRectToParent(boundary.image.boundingRect())
    dx = (x1 - x0) / 47
    assert rect.left() == pytest.approx(x0 - dx / 2, rel=1e-5)
    assert rect.right() == pytest.approx(x1 + dx / 2, rel=1e-5)
    # train filled in its class colour, validation hollow
    y = np.asarray(data.y_train)
    spot = boundary.train_points.points()[int(np.flatnonzero(y == 1)[0])]
    assert spot.brush().color().name() == style.class_color(1).name()
    vspot = boundary.val_points.points()[0]
    assert vspot.brush().color().name() == "#ffffff"
    assert boundary.plot.getAxis("bottom").labelText == "x1"
    assert boundary.contour_xy is not None
    assert not boundary.notice.isVisibleTo(boundary)
    # a later snapshot's grid replaces the first
    snap = train(run, 2)[-1]
    boundary.add_snapshot(snap)
    assert boundary.refresh() is True
    np.testing.assert_array_equal(boundary.image.image, snap.boundary.grid)
    assert boundary.plot.titleLabel.text == "Decision boundary"
    assert boundary.refresh() is False


@pytest.mark.parametrize("kind", ["nan_patch", "all_nan", "inf", "constant", "tiny"])
def test_bad_grids_do_not_raise_and_levels_stay_finite(boundary, kind):
    _, first = start()
    show_run(boundary, first)
    g = np.array(first.boundary.grid, dtype=np.float32)
    if kind == "nan_patch":
        g[5:20, 5:20] = np.nan
    elif kind == "all_nan":
        g[:] = np.nan
    elif kind == "inf":
        g[0] = np.inf
        g[1] = -np.inf
    elif kind == "constant":
        g[:] = 0.5
    else:
        g = np.full((1, 1), 0.3, np.float32)
    b = BoundaryGrid(grid=g, extent=first.boundary.extent, labels=first.boundary.labels)
    snap = RunSnapshot(epoch=1, step=32, batch=0, batches_per_epoch=32, state="paused", boundary=b)
    boundary.add_snapshot(snap)
    boundary.refresh()
    boundary.resize(800, 500)
    boundary.show()
    assert not boundary.grab().isNull()
    levels = np.asarray(boundary.image.getLevels(), dtype=float)
    assert np.isfinite(levels).all() and list(levels) == [0.0, 1.0]
    shown = boundary.image.image
    assert shown.shape == g.shape
    assert np.nanmin(shown, initial=0.0) >= 0.0 and np.nanmax(shown, initial=1.0) <= 1.0
    if kind in ("nan_patch", "all_nan"):
        assert boundary.contour_xy is None     # no 0.5 line through unknown cells
        assert boundary._nan_backdrop.isVisible()


def test_empty_validation_set(boundary):
    _, first = start(TrainingConfig(validation_split=0.0))
    show_run(boundary, first)
    assert len(boundary.val_points.data) == 0
    assert len(boundary.train_points.data) == 400
    assert boundary.grid_shape == (64, 64)


def test_three_d_data_shows_the_notice(boundary):
    _, first = start(TrainingConfig(dataset="paper_ball"))
    show_run(boundary, first)
    assert boundary.notice.isVisibleTo(boundary)
    assert "plane" in boundary.notice.text() and "principal components" in boundary.notice.toolTip()
    assert boundary.plot.getAxis("bottom").labelText.startswith("PC1")
    assert boundary.plot.getAxis("left").labelText.startswith("PC2")
    assert len(boundary.train_points.data) == len(first.run.x_train)
    boundary.clear()
    assert not boundary.notice.isVisibleTo(boundary)
    assert boundary.grid_shape is None


def test_more_than_three_features_shows_a_message(boundary, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5))
    y = (x[:, 0] + x[:, 3] > 0).astype(int)
    path = tmp_path / "five.csv"
    path.write_text("\n".join(",".join(f"{v:.5f}" for v in row) + f",{c}" for row, c in zip(x, y)) + "\n")
    run, first = start(TrainingConfig(csv_path=str(path)))
    assert first.boundary is None and first.run.plane is None
    show_run(boundary, first)
    assert boundary.message.isVisibleTo(boundary)
    assert "5-dimensional" in boundary.message.text()
    assert not boundary.graphics.isVisibleTo(boundary)
    assert not boundary.notice.isVisibleTo(boundary)
    for s in train(run, 1):                      # later snapshots have no grid: still fine
        boundary.add_snapshot(s)
        boundary.refresh()
    assert boundary.grid_shape is None
    # a 2D run afterwards brings the plot back
    _, first2 = start()
    show_run(boundary, first2)
    boundary.refresh()
    assert boundary.graphics.isVisibleTo(boundary) and not boundary.message.isVisibleTo(boundary)
    assert boundary.grid_shape == (64, 64)


def test_large_grids_get_a_contour_inside_the_image(boundary):
    run, first = start(TrainingConfig(dataset="moons", grid_resolution=300))
    for _ in range(5):
        run.trainer.train_epoch()
    show_run(boundary, first)
    boundary.add_snapshot(run.snapshot())
    boundary.refresh()
    assert boundary.grid_shape == (300, 300)
    xy = boundary.contour_xy
    x0, x1, y0, y1 = first.boundary.extent
    assert xy[:, 0].min() >= x0 and xy[:, 0].max() <= x1 and xy[:, 1].min() >= y0 and xy[:, 1].max() <= y1
    # the moons' boundary crosses most of the plane
    assert xy[:, 0].max() - xy[:, 0].min() > 0.5 * (x1 - x0)


def test_more_than_two_classes_use_class_levels(boundary, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2))
    y = np.digitize(x[:, 0], [-0.4, 0.4])
    path = tmp_path / "three.csv"
    path.write_text("\n".join(f"{a:.5f},{b:.5f},{c}" for (a, b), c in zip(x, y)) + "\n")
    _, first = start(TrainingConfig(csv_path=str(path), loss="sparse_categorical_crossentropy"))
    show_run(boundary, first)
    np.testing.assert_array_equal(boundary.image.getLevels(), [0.0, 2.0])
    assert boundary.contour_xy is None
    spot = boundary.train_points.points()[int(np.flatnonzero(first.run.y_train == 2)[0])]
    assert spot.brush().color().name() == style.class_color(2).name()
    assert boundary.colorbar.getAxis("left").labelText == "predicted class"
    # a two-class run afterwards gets P(class 1) back
    _, first2 = start()
    show_run(boundary, first2)
    np.testing.assert_array_equal(boundary.image.getLevels(), [0.0, 1.0])
    assert boundary.colorbar.getAxis("left").labelText == "P(class 1)"
    assert boundary.contour_xy is not None
