"""core.analysis.uncrumple.separability, .inspector and .lab: separability, the neuron inspector's maps and sums,
the layer lab, contours and timings (stages, grids, interpolation and projections: test_geometry.py)."""
import math
import time

import numpy as np
import pytest

import core
from core.analysis.boundary import grid_extent, input_plane
from core.analysis.uncrumple import geometry as g
from core.analysis.uncrumple.inspector import format_worked_sum, neuron_map, worked_sum
from core.analysis.uncrumple.lab import lab_presets, layer_lab
from core.analysis.uncrumple.projection import ProjectionCache, project_stages
from core.analysis.uncrumple.separability import linear_separability, separability
from geometry_support import make_model, train_xor


@pytest.fixture(scope="module")
def xor_trained():
    return train_xor()


# ---- separability ---------------------------------------------------------------------------------------
def test_separability_of_separable_gaussians_is_one_at_the_input():
    x, y = core.datasets.gaussians(400, 0.02, 0)
    # ground truth: the diagonal x1 + x2 = c separates this sample
    assert (x[y == 0].sum(1).max() < x[y == 1].sum(1).min())
    s = separability(make_model(), x, y)
    assert s.shape == (10,) and s.dtype == np.float32
    assert s[0] == 1.0


def test_separability_of_xor_at_the_input_is_chance_to_three_quarters():
    x, y = core.datasets.xor(400, 0.05, 0)
    s = separability(make_model(), x, y)
    assert 0.5 <= s[0] <= 0.75
    assert s[2] == s[1]  # + b is a translation of dot(x, W)
    np.testing.assert_array_equal(s, separability(make_model(), x, y))  # deterministic


def test_trained_xor_network_uncrumples_the_last_hidden_layer(xor_trained):
    model, x, y = xor_trained
    acc = model.evaluate(x, y)[1]
    assert acc > 0.95
    s = separability(model, x, y)
    names = [st.name for st in g.stages(model, x)]
    last_hidden = names.index("Layer 2 · tanh")
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
    m = neuron_map(model, 1, 3, extent, resolution=res)
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
    pre = neuron_map(model, 1, 3, extent, resolution=res, kind="bias")
    np.testing.assert_allclose(np.tanh(pre), m, atol=1e-6)


def test_neuron_map_on_the_plane_of_3d_data():
    x, _ = core.datasets.swiss_roll(200, 0.1, 0)
    model = make_model(d=3)
    plane = input_plane(x)
    extent = grid_extent(plane.project(x))
    m = neuron_map(model, 0, 2, extent, resolution=9, plane=plane)
    point = plane.lift(np.array([[extent[0], extent[3]]], np.float32))  # row 8, column 0
    assert m[8, 0] == pytest.approx(float(g.stages(model, point)[3].values[0, 2]), abs=1e-6)
    with pytest.raises(ValueError, match="plane="):
        neuron_map(model, 0, 2, extent)
    with pytest.raises(ValueError, match="unit"):
        neuron_map(model, 0, 8, extent, plane=plane)


def test_worked_sum_matches_the_trace(xor_trained):
    model, x, _ = xor_trained
    ws = worked_sum(model, 1, 4, x[7])
    stg = g.stages(model, x[7:8])
    np.testing.assert_array_equal(ws.inputs, stg[3].values[0])  # what layer 1 receives
    np.testing.assert_array_equal(ws.weights, model.layers[1].kernel[:, 4])
    assert ws.bias == float(model.layers[1].bias[4]) and ws.activation == "tanh"
    assert ws.dot == float(stg[4].values[0, 4]) and ws.biased == float(stg[5].values[0, 4])
    assert ws.output == float(stg[6].values[0, 4])
    assert ws.dot == pytest.approx(float(ws.inputs.astype(np.float64) @ ws.weights), abs=1e-5)
    text = str(ws)
    assert text.startswith("W = (") and text.endswith(f"→ tanh → {ws.output:.3g}")
    first = worked_sum(model, 0, 0, x[7])
    np.testing.assert_array_equal(first.inputs, x[7])


def test_format_worked_sum_matches_the_issue():
    assert -1 * 1 + 0.2 * 0.4 + 1 * 2 == pytest.approx(1.08)
    assert 1 / (1 + math.exp(-1.08)) == pytest.approx(0.7465, abs=1e-4)
    assert (format_worked_sum((-1, 0.2, 1), 0, (1, 0.4, 2), "sigmoid")
            == "W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 → sigmoid → 0.746")
    assert (format_worked_sum((-1, 0.2, 1), 0.5, (1, 0.4, 2), "relu")
            == "W = (-1, 0.2, 1), x = (1, 0.4, 2) → 1.08 + 0.5 = 1.58 → relu → 1.58")
    assert (format_worked_sum((1, 1), -2, (0.5, 0.25), "relu")
            == "W = (1, 1), x = (0.5, 0.25) → 0.75 - 2 = -1.25 → relu → 0")
    long = format_worked_sum(np.ones(20), 0, np.ones(20), max_terms=4)
    assert long == "W = (1, 1, 1, …, 1), x = (1, 1, 1, …, 1) → 20 → linear → 20"
    with pytest.raises(ValueError, match="softmax"):
        format_worked_sum((1, 2), 0, (1, 2), "softmax")
    with pytest.raises(ValueError, match="same length"):
        format_worked_sum((1, 2), 0, (1, 2, 3))


# ---- layer lab ------------------------------------------------------------------------------------------
def test_rotation_preset_rotates_by_theta():
    theta = 0.7
    W, b, act = lab_presets(theta)["rotation"]
    np.testing.assert_allclose(W, [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]],
                               atol=1e-7)
    pts = np.array([[1, 0], [0, 1], [2, 3]], np.float32)
    stg = layer_lab(W, b, act, pts)
    assert [s.name for s in stg] == ["Input", "lab: dot(W, x)", "lab: + b", "lab: linear"]
    out = stg[-1].values
    np.testing.assert_allclose(out[0], [math.cos(theta), math.sin(theta)], atol=1e-6)
    np.testing.assert_allclose(out[1], [-math.sin(theta), math.cos(theta)], atol=1e-6)
    angle = math.atan2(out[2, 1], out[2, 0]) - math.atan2(3, 2)
    assert angle == pytest.approx(theta, abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(pts, axis=1), rtol=1e-6)


def test_other_presets_and_lab_stages():
    p = lab_presets()
    assert {"identity", "rotation", "scaling", "shear", "reflection", "relu fold"} <= set(p)
    pt = np.array([[1.0, -2.0], [-1.0, -1.0]], np.float32)
    run = {k: layer_lab(*v, pt)[-1].values for k, v in p.items()}
    np.testing.assert_allclose(run["scaling"], [[1.5, -1], [-1.5, -0.5]], atol=1e-6)
    np.testing.assert_allclose(run["shear"], [[1 - 1.6, -2], [-1.8, -1]], atol=1e-6)
    np.testing.assert_allclose(run["reflection"], [[1, 2], [-1, 1]], atol=1e-6)
    np.testing.assert_array_equal(run["relu fold"], [[1, 0], [0, 0]])
    lab = layer_lab(*p["translation"], pt)
    np.testing.assert_allclose(lab[2].values - lab[1].values, [[0.5, -0.3]] * 2, atol=1e-6)
    assert all(s.values.dtype == np.float32 for s in lab)
    with pytest.raises(ValueError, match="Shapes"):
        layer_lab(np.eye(2), np.zeros(3), "linear", pt)


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
    proj = ProjectionCache().projections(data)
    project_stages(data, proj)
    project_stages(g.stages(model, grid.points), proj)
    t_proj = time.perf_counter() - t0
    t0 = time.perf_counter()
    separability(model, x, y)
    t_sep = time.perf_counter() - t0
    print(f"\ntrace 2,000 points + 41x41 grid through 4 layers: median {np.median(runs) * 1e3:.2f} ms "
          f"(target <= 20 ms); fit+project all stages {t_proj * 1e3:.1f} ms; "
          f"separability of {len(data)} stages {t_sep * 1e3:.1f} ms")


def test_contour_segments_trace_a_circle_and_skip_nan():
    from core.analysis.boundary import contour_segments
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
