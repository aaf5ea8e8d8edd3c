"""core.geometry: the uncrumpling view's maths (issue 4), without Qt."""
import math
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import core
from core import geometry as g
from core.boundary import decision_grid, grid_extent, input_plane
from core.separability import linear_separability


def make_model(hidden=(8, 8), act="tanh", d=2, seed=0, dropout=False):
    layers = [core.Dense(hidden[0], act, input_shape=(d,))]
    if dropout:
        layers.append(core.Dropout(0.2))
    layers += [core.Dense(u, act) for u in hidden[1:]]
    layers.append(core.Dense(1, "sigmoid"))
    model = core.Sequential(layers, seed=seed)
    model.compile(core.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def xor_trained():
    x, y = core.datasets.xor(400, 0.05, 0)
    model = make_model()
    model.fit(x, y, epochs=40, batch_size=16, verbose=0, seed=0)
    return model, x, y


# ---- stages -------------------------------------------------------------------------------------------
def test_stages_equal_model_trace():
    x, _ = core.datasets.spiral(300, 0.1, 0)
    model = make_model(dropout=True)  # Dropout has no stage; layer indices count Dense layers
    traces = model.trace(x)
    stg = g.stages(model, x)
    assert len(stg) == 1 + 3 * len(traces) == 10
    assert [s.kind for s in stg] == ["input"] + ["dot", "bias", "activation"] * 3
    assert [s.layer for s in stg] == [-1, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [s.name for s in stg[:4]] == ["input", "dense: dot(x, W)", "dense: + b", "dense: tanh"]
    assert stg[-1].name == "dense_2: sigmoid" and stg[-1].activation == "sigmoid"
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
    cache = g.ProjectionCache(max_dims=3)
    coords = g.project_stages(stg, cache.projections(stg))
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
    p1, p2 = g.fit_projection(v), g.fit_projection(v.copy())
    assert p1.kind == "pca" and p1.components.shape == (2, 8) and p1.components.dtype == np.float32
    np.testing.assert_array_equal(p1.components, p2.components)
    np.testing.assert_array_equal(p1.mean, p2.mean)
    np.testing.assert_allclose(p1.components @ p1.components.T, np.eye(2), atol=1e-6)
    big = p1.components[np.arange(2), np.abs(p1.components).argmax(1)]
    assert np.all(big > 0)  # the sign convention
    np.testing.assert_array_equal(g.fit_projection(-v).components, p1.components)  # no flip
    assert re.fullmatch(r"PCA of 8 units \(PC1 \d+%, PC2 \d+%\)", p1.title), p1.title
    assert p1.explained[0] >= p1.explained[1] > 0
    xy = p1.project(v)
    assert xy.shape == (400, 2) and xy.dtype == np.float32
    assert np.all(np.diff(xy.var(axis=0)) <= 0)
    p3 = g.fit_projection(v, 3)
    assert p3.dims == 3 and p3.title.endswith("PC3 " + f"{p3.explained[2]:.0%})")


def test_identity_and_unit_projections():
    v = np.arange(12, dtype=np.float32).reshape(6, 2)
    p = g.fit_projection(v, 2)
    assert p.kind == "identity" and p.title == "2 units" and p.labels == ("unit 0", "unit 1")
    np.testing.assert_array_equal(p.project(v), v)  # not centred: translations stay visible
    one = g.fit_projection(v[:, :1], 2)
    assert one.title == "1 unit" and one.project(v[:, :1]).shape == (6, 2)
    assert g.fit_projection(v, 3, noun="feature").labels == ("x1", "x2", "")
    u = g.neuron_projection([3, 5])
    assert u.title == "units 3 and 5" and u.labels == ("unit 3", "unit 5")
    w = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    np.testing.assert_array_equal(u.project(w), w[:, [3, 5]])
    assert g.neuron_projection([0, 3, 5], width=8).title == "units 0, 3 and 5"
    assert g.neuron_projection([4]).title == "unit 4"
    with pytest.raises(ValueError, match="distinct"):
        g.neuron_projection([1, 1])
    with pytest.raises(ValueError, match="do not exist"):
        g.neuron_projection([2, 9], width=8)
    with pytest.raises(ValueError, match="width 2"):
        p.project(w)


def test_projection_cache_stays_fixed_across_epochs_and_refits_on_request():
    x, y = core.datasets.spiral(300, 0.1, 0)
    model = make_model()
    cache = g.ProjectionCache(max_dims=3, wide_dims=2)
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
    dot, biased = g.project_stages(later[1:3], same[1:3])
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
    flat = g.ProjectionCache(max_dims=2, share_layer=False).projections(later)
    assert flat[1] is not flat[2] and all(p.dims == 2 for p in flat)


# ---- separability ---------------------------------------------------------------------------------------
def test_separability_of_separable_gaussians_is_one_at_the_input():
    x, y = core.datasets.gaussians(400, 0.02, 0)
    # ground truth: the diagonal x1 + x2 = c separates this sample
    assert (x[y == 0].sum(1).max() < x[y == 1].sum(1).min())
    s = g.separability(make_model(), x, y)
    assert s.shape == (10,) and s.dtype == np.float32
    assert s[0] == 1.0


def test_separability_of_xor_at_the_input_is_chance_to_three_quarters():
    x, y = core.datasets.xor(400, 0.05, 0)
    s = g.separability(make_model(), x, y)
    assert 0.5 <= s[0] <= 0.75
    assert s[2] == s[1]  # + b is a translation of dot(x, W)
    np.testing.assert_array_equal(s, g.separability(make_model(), x, y))  # deterministic


def test_trained_xor_network_uncrumples_the_last_hidden_layer(xor_trained):
    model, x, y = xor_trained
    acc = model.evaluate(x, y)[1]
    assert acc > 0.95
    s = g.separability(model, x, y)
    names = [st.name for st in g.stages(model, x)]
    last_hidden = names.index("dense_1: tanh")
    assert s[last_hidden] >= 0.95
    assert s[-1] >= acc - 1e-6  # a threshold on the output is a separator too
    assert s[last_hidden] > s[0] + 0.2


def test_linear_separability_edge_cases():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(60, 3)).astype(np.float32)
    assert linear_separability(v, np.zeros(60)) == 1.0  # one class
    y = np.r_[np.zeros(40), np.ones(20)]
    assert linear_separability(np.ones((60, 2)), y) == pytest.approx(40 / 60)  # no usable feature
    assert linear_separability(v, np.eye(2)[(v[:, 0] > 0).astype(int)]) == 1.0  # one-hot labels
    centres = np.array([[0, 4], [4, 0], [-4, -4]], np.float32)
    lab = np.repeat([0, 1, 2], 30)
    blobs = centres[lab] + rng.normal(0, 0.5, size=(90, 2)).astype(np.float32)
    assert linear_separability(blobs, lab) == 1.0  # three classes, one-vs-rest
    assert linear_separability(v, v[:, 0] > 0.3, max_samples=40) == 1.0


# ---- neuron inspector -----------------------------------------------------------------------------------
def test_neuron_map_equals_the_trace_at_grid_points(xor_trained):
    model, x, _ = xor_trained
    extent = grid_extent(x)
    res = 17
    m = g.neuron_map(model, 1, 3, extent, resolution=res)
    assert m.shape == (res, res) and m.dtype == np.float32
    a = np.linspace(extent[0], extent[1], res, dtype=np.float32)
    b = np.linspace(extent[2], extent[3], res, dtype=np.float32)
    stg = g.stages(model, x)
    k = [i for i, s in enumerate(stg) if s.layer == 1 and s.kind == "activation"][0]
    for i, j in [(0, 0), (3, 11), (16, 5), (16, 16)]:
        point = np.array([[a[j], b[i]]], np.float32)
        assert m[i, j] == pytest.approx(float(g.stages(model, point)[k].values[0, 3]), abs=1e-6)
    pts = g.input_grid(x, resolution=res).points  # the same points, in the same order
    np.testing.assert_array_equal(m, g.stages(model, pts)[k].values[:, 3].reshape(res, res))
    pre = g.neuron_map(model, 1, 3, extent, resolution=res, kind="bias")
    np.testing.assert_allclose(np.tanh(pre), m, atol=1e-6)


def test_neuron_map_on_the_plane_of_3d_data():
    x, _ = core.datasets.swiss_roll(200, 0.1, 0)
    model = make_model(d=3)
    plane = input_plane(x)
    extent = grid_extent(plane.project(x))
    m = g.neuron_map(model, 0, 2, extent, resolution=9, plane=plane)
    point = plane.lift(np.array([[extent[0], extent[3]]], np.float32))  # row 8, column 0
    assert m[8, 0] == pytest.approx(float(g.stages(model, point)[3].values[0, 2]), abs=1e-6)
    with pytest.raises(ValueError, match="plane="):
        g.neuron_map(model, 0, 2, extent)
    with pytest.raises(ValueError, match="unit"):
        g.neuron_map(model, 0, 8, extent, plane=plane)


def test_worked_sum_matches_the_trace(xor_trained):
    model, x, _ = xor_trained
    ws = g.worked_sum(model, 1, 4, x[7])
    stg = g.stages(model, x[7:8])
    np.testing.assert_array_equal(ws.inputs, stg[3].values[0])  # what layer 1 receives
    np.testing.assert_array_equal(ws.weights, model.layers[1].kernel[:, 4])
    assert ws.bias == float(model.layers[1].bias[4]) and ws.activation == "tanh"
    assert ws.dot == float(stg[4].values[0, 4]) and ws.biased == float(stg[5].values[0, 4])
    assert ws.output == float(stg[6].values[0, 4])
    assert ws.dot == pytest.approx(float(ws.inputs.astype(np.float64) @ ws.weights), abs=1e-5)
    text = str(ws)
    assert text.startswith("W = (") and text.endswith(f"→ tanh → {ws.output:.3g}")
    first = g.worked_sum(model, 0, 0, x[7])
    np.testing.assert_array_equal(first.inputs, x[7])


def test_format_worked_sum_matches_the_issue():
    assert -1 * 1 + 0.2 * 0.4 + 1 * 2 == pytest.approx(1.08)
    assert 1 / (1 + math.exp(-1.08)) == pytest.approx(0.7465, abs=1e-4)
    assert (g.format_worked_sum((-1, 0.2, 1), 0, (1, 0.4, 2), "sigmoid")
            == "W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 → sigmoid → 0.746")
    assert (g.format_worked_sum((-1, 0.2, 1), 0.5, (1, 0.4, 2), "relu")
            == "W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 + 0.5 = 1.58 → relu → 1.58")
    assert (g.format_worked_sum((1, 1), -2, (0.5, 0.25), "relu")
            == "W = (1, 1), x = (0.5, 0.25) → 0.75 - 2 = -1.25 → relu → 0")
    long = g.format_worked_sum(np.ones(20), 0, np.ones(20), max_terms=4)
    assert long == "W = (1, 1, 1, …, 1), x = (1, 1, 1, …, 1) → 20 → linear → 20"
    with pytest.raises(ValueError, match="softmax"):
        g.format_worked_sum((1, 2), 0, (1, 2), "softmax")
    with pytest.raises(ValueError, match="same length"):
        g.format_worked_sum((1, 2), 0, (1, 2, 3))


# ---- layer lab ------------------------------------------------------------------------------------------
def test_rotation_preset_rotates_by_theta():
    theta = 0.7
    W, b, act = g.lab_presets(theta)["rotation"]
    np.testing.assert_allclose(W, [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]],
                               atol=1e-7)
    pts = np.array([[1, 0], [0, 1], [2, 3]], np.float32)
    stg = g.layer_lab(W, b, act, pts)
    assert [s.name for s in stg] == ["input", "lab: dot(W, x)", "lab: + b", "lab: linear"]
    out = stg[-1].values
    np.testing.assert_allclose(out[0], [math.cos(theta), math.sin(theta)], atol=1e-6)
    np.testing.assert_allclose(out[1], [-math.sin(theta), math.cos(theta)], atol=1e-6)
    angle = math.atan2(out[2, 1], out[2, 0]) - math.atan2(3, 2)
    assert angle == pytest.approx(theta, abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(pts, axis=1), rtol=1e-6)


def test_other_presets_and_lab_stages():
    p = g.lab_presets()
    assert {"identity", "rotation", "scaling", "shear", "reflection", "relu fold"} <= set(p)
    pt = np.array([[1.0, -2.0], [-1.0, -1.0]], np.float32)
    run = {k: g.layer_lab(*v, pt)[-1].values for k, v in p.items()}
    np.testing.assert_allclose(run["scaling"], [[1.5, -1], [-1.5, -0.5]], atol=1e-6)
    np.testing.assert_allclose(run["shear"], [[1 - 1.6, -2], [-1.8, -1]], atol=1e-6)
    np.testing.assert_allclose(run["reflection"], [[1, 2], [-1, 1]], atol=1e-6)
    np.testing.assert_array_equal(run["relu fold"], [[1, 0], [0, 0]])
    lab = g.layer_lab(*p["translation"], pt)
    np.testing.assert_allclose(lab[2].values - lab[1].values, [[0.5, -0.3]] * 2, atol=1e-6)
    assert all(s.values.dtype == np.float32 for s in lab)
    with pytest.raises(ValueError, match="Shapes"):
        g.layer_lab(np.eye(2), np.zeros(3), "linear", pt)


# ---- speed (printed, never asserted) --------------------------------------------------------------------
def test_timing_print_trace_2000_points_and_a_41x41_grid():
    x, y = core.datasets.spiral(2000, 0.1, 0)
    model = make_model(hidden=(8, 8, 8))  # 4 Dense layers
    grid = g.input_grid(x, resolution=41)
    runs = []
    for _ in range(30):
        t0 = time.perf_counter()
        g.stages(model, x)
        g.stages(model, grid.points)
        runs.append(time.perf_counter() - t0)
    data = g.stages(model, x)
    t0 = time.perf_counter()
    proj = g.ProjectionCache().projections(data)
    g.project_stages(data, proj)
    g.project_stages(g.stages(model, grid.points), proj)
    t_proj = time.perf_counter() - t0
    t0 = time.perf_counter()
    g.separability(model, x, y)
    t_sep = time.perf_counter() - t0
    print(f"\ntrace 2,000 points + 41x41 grid through 4 layers: median {np.median(runs) * 1e3:.2f} ms "
          f"(target <= 20 ms); fit+project all stages {t_proj * 1e3:.1f} ms; "
          f"separability of {len(data)} stages {t_sep * 1e3:.1f} ms")


def test_contour_segments_trace_a_circle_and_skip_nan():
    from core.boundary import contour_segments
    n = 65
    ax = np.linspace(-1, 1, n)
    xx, yy = np.meshgrid(ax, ax)
    grid = np.sqrt(xx ** 2 + yy ** 2)  # the 0.5 contour is the circle of radius 0.5
    seg = contour_segments(grid, 0.5, extent=(-1, 1, -1, 1))
    assert seg.shape[1] == 2 and len(seg) % 2 == 0 and len(seg) > 50
    r = np.hypot(seg[:, 0], seg[:, 1])
    np.testing.assert_allclose(r, 0.5, atol=0.01)
    # every crossing cell contributes: the segments close into a loop of length ~ 2 pi r
    length = np.hypot(*(seg[1::2] - seg[0::2]).T).sum()
    assert abs(length - np.pi) < 0.05
    grid[:, : n // 2] = np.nan  # left half unknown: no segment there
    seg = contour_segments(grid, 0.5, extent=(-1, 1, -1, 1))
    assert len(seg) and seg[:, 0].min() >= -0.04
    assert contour_segments(np.full((4, 4), 0.7)).shape == (0, 2)
