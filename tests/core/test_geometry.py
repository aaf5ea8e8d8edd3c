"""core.analysis.uncrumple.geometry and .projection: the uncrumpling view's maths (issue 4), without Qt:
stages, grids, interpolation and projections (separability, the neuron inspector, the layer lab, contours:
test_geometry_analysis.py)."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import core
from core.analysis.uncrumple import geometry as g
from core.analysis.uncrumple.projection import ProjectionCache, fit_projection, neuron_projection, project_stages
from core.analysis.boundary import decision_grid, grid_extent, input_plane
from geometry_support import make_model, train_xor


@pytest.fixture(scope="module")
def xor_trained():
    return train_xor()


# ---- stages -------------------------------------------------------------------------------------------
def test_stages_equal_model_trace():
    x, _ = core.datasets.spiral(300, 0.1, 0)
    model = make_model(dropout=True)  # Dropout has no stage; layer indices count Dense layers
    traces = model.trace(x)
    stg = g.stages(model, x)
    assert len(stg) == 1 + 3 * len(traces) == 10
    assert [s.kind for s in stg] == ["input"] + ["dot", "bias", "activation"] * 3
    assert [s.layer for s in stg] == [-1, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [s.name for s in stg[:4]] == ["Input", "Layer 1 · dot(x, W)", "Layer 1 · + b", "Layer 1 · tanh"]
    assert stg[-1].name == "Layer 3 · sigmoid" and stg[-1].activation == "sigmoid"   # core.analysis.names
    np.testing.assert_array_equal(stg[0].values, x)
    for i, t in enumerate(traces):
        for j, arr in enumerate((t.dot, t.biased, t.output)):
            s = stg[1 + 3 * i + j]
            assert s.values.dtype == np.float32 and s.values.shape == arr.shape == (300, s.width)
            np.testing.assert_array_equal(s.values, arr)
    stg[0].values[:] = 0  # the input stage is a copy, not the caller's array
    assert np.any(x != 0)


# ---- the grid -------------------------------------------------------------------------------------------
def test_input_grid_2d_covers_data_in_image_order():
    x, _ = core.datasets.moons(200, 0.1, 0)
    grid = g.input_grid(x)
    points, lines = grid  # unpacks as a pair
    assert points.shape == (41 * 41, 2) and points.dtype == np.float32
    assert lines.shape == (22, 41)
    x0, x1, y0, y1 = grid_extent(x, 0.15)
    assert np.allclose(points.min(0), [x0, y0]) and np.allclose(points.max(0), [x1, y1])
    img = points.reshape(41, 41, 2)  # row i = i-th x2 value, as decision_grid
    assert np.all(np.diff(img[:, :, 0], axis=1) > 0) and np.all(np.diff(img[:, :, 1], axis=0) > 0)
    rows = grid.polylines(points)[:11]  # horizontal lines: constant x2, the full x1 range
    assert rows.shape == (11, 41, 2) and np.all(np.ptp(rows[:, :, 1], axis=1) == 0)
    assert np.allclose(rows[0, [0, -1], 0], [x0, x1])
    conn = grid.connect()
    assert conn.shape == (22 * 41,) and conn.sum() == 22 * 40


def test_grid_output_reshapes_to_the_decision_grid():
    x, _ = core.datasets.moons(200, 0.1, 0)
    model = make_model()
    grid = g.input_grid(x, resolution=33)
    out = g.stages(model, grid.points)[-1].values[:, 0].reshape(33, 33)
    np.testing.assert_allclose(out, decision_grid(model, input_plane(x), grid_extent(x), 33), atol=1e-6)


def test_input_grid_3d_lattice_and_plane():
    x, _ = core.datasets.paper_ball(300, 0.1, 0)
    grid = g.input_grid(x)
    assert grid.lines.shape == (75, 41) and grid.points.shape == (3075, 3)
    lines = grid.polylines(grid.points)
    moving = (np.ptp(lines, axis=1) > 0).sum(axis=1)
    assert np.all(moving == 1)  # every line is parallel to one axis
    assert np.all(grid.points.min(0) <= x.min(0)) and np.all(grid.points.max(0) >= x.max(0))
    plane = input_plane(x)
    pg = g.input_grid(x, resolution=21, plane=plane)
    assert pg.points.shape == (441, 3)
    np.testing.assert_allclose(plane.lift(plane.project(pg.points)), pg.points, atol=1e-5)
    model = make_model(d=3)
    assert g.stages(model, grid.points)[3].values.shape == (3075, 8)


# ---- interpolation --------------------------------------------------------------------------------------
def test_interpolate_ends_exact_and_pads_the_narrower_stage(xor_trained):
    model, x, _ = xor_trained
    stg = g.stages(model, x)
    a, b = stg[0], stg[1]  # 2 -> 8 units
    v0, v1 = g.interpolate(a, b, 0.0), g.interpolate(a, b, 1.0)
    assert v0.shape == v1.shape == (400, 8) and v0.dtype == np.float32
    np.testing.assert_array_equal(v0[:, :2], a.values)
    assert not v0[:, 2:].any()
    np.testing.assert_array_equal(v1, b.values)
    mid = g.interpolate(a.values, b.values, 0.5)
    np.testing.assert_allclose(mid, 0.5 * (np.pad(a.values, ((0, 0), (0, 6))) + b.values), atol=1e-6)
    np.testing.assert_array_equal(g.interpolate(a, b, -3), v0)  # t is clipped
    # continuous: a step dt moves no point more than dt * max|b - a|
    span = np.abs(v1 - v0).max()
    for t in np.linspace(0, 0.999, 40):
        assert np.abs(g.interpolate(a, b, t + 1e-3) - g.interpolate(a, b, t)).max() <= 1e-3 * span + 1e-5


@settings(max_examples=40, deadline=None)
@given(t=st.floats(0, 1), wa=st.integers(1, 5), wb=st.integers(1, 5))
def test_interpolate_is_a_convex_combination(t, wa, wb):
    rng = np.random.default_rng(wa * 7 + wb)
    a = rng.normal(size=(5, wa)).astype(np.float32)
    b = rng.normal(size=(5, wb)).astype(np.float32)
    w = max(wa, wb)
    pa, pb = np.pad(a, ((0, 0), (0, w - wa))), np.pad(b, ((0, 0), (0, w - wb)))
    np.testing.assert_allclose(g.interpolate(a, b, t), (1 - t) * pa + t * pb, atol=1e-5)


def test_path_position_and_slider_path(xor_trained):
    model, x, _ = xor_trained
    stg = g.stages(model, x)
    n = len(stg)
    assert g.path_position(stg, 0) == (0, 0.0)
    assert g.path_position(stg, 2.25) == (2, 0.25)
    assert g.path_position(n, n - 1) == (n - 2, 1.0)
    assert g.path_position(n, 99) == (n - 2, 1.0) and g.path_position(1, 0.7) == (0, 0.0)
    for k, s in enumerate(stg):  # every integer slider position is exactly its stage
        np.testing.assert_array_equal(g.path_values(stg, k)[:, :s.width], s.values)
    cache = ProjectionCache(max_dims=3)
    coords = project_stages(stg, cache.projections(stg))
    for k in range(n):
        frame = g.path_frame(coords, k, dims=3)
        assert frame.shape == (400, 3)
        np.testing.assert_array_equal(frame[:, :coords[k].shape[1]], coords[k])
    for k in range(1, n - 1):  # continuous across stage boundaries, projections differ or not
        before, after = g.path_frame(coords, k - 1e-4, dims=3), g.path_frame(coords, k + 1e-4, dims=3)
        assert np.abs(before - after).max() < 1e-2


# ---- projections ----------------------------------------------------------------------------------------
def test_pca_basis_is_identical_for_unchanged_data_and_sign_fixed(xor_trained):
    model, x, _ = xor_trained
    v = g.stages(model, x)[3].values  # 8 tanh units
    p1, p2 = fit_projection(v), fit_projection(v.copy())
    assert p1.kind == "pca" and p1.components.shape == (2, 8) and p1.components.dtype == np.float32
    np.testing.assert_array_equal(p1.components, p2.components)
    np.testing.assert_array_equal(p1.mean, p2.mean)
    np.testing.assert_allclose(p1.components @ p1.components.T, np.eye(2), atol=1e-6)
    big = p1.components[np.arange(2), np.abs(p1.components).argmax(1)]
    assert np.all(big > 0)  # the sign convention
    np.testing.assert_array_equal(fit_projection(-v).components, p1.components)  # no flip
    assert re.fullmatch(r"PCA of 8 units \(PC1 \d+%, PC2 \d+%\)", p1.title), p1.title
    assert p1.explained[0] >= p1.explained[1] > 0
    xy = p1.project(v)
    assert xy.shape == (400, 2) and xy.dtype == np.float32
    assert np.all(np.diff(xy.var(axis=0)) <= 0)
    p3 = fit_projection(v, 3)
    assert p3.dims == 3 and p3.title.endswith("PC3 " + f"{p3.explained[2]:.0%})")


def test_identity_and_unit_projections():
    v = np.arange(12, dtype=np.float32).reshape(6, 2)
    p = fit_projection(v, 2)
    assert p.kind == "identity" and p.title == "2 units" and p.labels == ("unit 0", "unit 1")
    np.testing.assert_array_equal(p.project(v), v)  # not centred: translations stay visible
    one = fit_projection(v[:, :1], 2)
    assert one.title == "1 unit" and one.project(v[:, :1]).shape == (6, 2)
    assert fit_projection(v, 3, noun="feature").labels == ("x1", "x2", "")
    u = neuron_projection([3, 5])
    assert u.title == "units 3 and 5" and u.labels == ("unit 3", "unit 5")
    w = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    np.testing.assert_array_equal(u.project(w), w[:, [3, 5]])
    assert neuron_projection([0, 3, 5], width=8).title == "units 0, 3 and 5"
    assert neuron_projection([4]).title == "unit 4"
    with pytest.raises(ValueError, match="distinct"):
        neuron_projection([1, 1])
    with pytest.raises(ValueError, match="do not exist"):
        neuron_projection([2, 9], width=8)
    with pytest.raises(ValueError, match="width 2"):
        p.project(w)


def test_projection_cache_stays_fixed_across_epochs_and_refits_on_request():
    x, y = core.datasets.spiral(300, 0.1, 0)
    model = make_model()
    cache = ProjectionCache(max_dims=3, wide_dims=2)
    first = cache.projections(g.stages(model, x))
    assert [p.kind for p in first] == ["identity"] + ["pca"] * 6 + ["identity"] * 3
    assert first[0].title == "2 features" and first[-1].dims == 2
    assert first[1] is first[2] is first[3] and first[3] is not first[4]  # one per layer
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, seed=0)
    later = g.stages(model, x)
    again = cache.projections(later)
    assert all(a is b for a, b in zip(first, again))  # training does not move the basis
    cache.refit(4)
    refit = cache.projections(later)
    assert refit[4] is not first[4] and refit[1] is first[1]
    assert np.all(np.sum(refit[4].components * first[4].components, axis=1) > 0)  # signs kept
    cache.refit()
    same = cache.projections(later)
    np.testing.assert_array_equal(same[4].components, refit[4].components)  # unchanged data
    # the +b panel is the dot panel translated by b, in the same frame
    dot, biased = project_stages(later[1:3], same[1:3])
    shift = biased - dot
    np.testing.assert_allclose(shift, shift[:1].repeat(len(shift), 0), atol=1e-5)
    # chosen units, then back to PCA; a new architecture refits by width
    cache.use_units(5, [3, 5])
    chosen = cache.projections(later)
    assert chosen[4] is chosen[6] and chosen[4].title == "units 3 and 5"
    cache.use_pca(5)
    back = cache.projections(later)
    assert back[4].kind == "pca"
    wider = cache.projections(g.stages(make_model(hidden=(16, 8)), x))
    assert wider[1].width == 16 and wider[1] is not back[1] and wider[4] is back[4]
    flat = ProjectionCache(max_dims=2, share_layer=False).projections(later)
    assert flat[1] is not flat[2] and all(p.dims == 2 for p in flat)
