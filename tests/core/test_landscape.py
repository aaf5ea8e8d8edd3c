"""Tests for core.analysis.loss.landscape and .planes: planes through weight space and the vectorised
loss grid (issue 5)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from core import Dense, Dropout, Sequential, datasets
from core.analysis.loss import batched, slices
from core.analysis.loss import landscape as L
from core.analysis.loss import planes as P
from core.engine.regularizers import L2

from landscape_support import spiral_model

RTOL = 1e-4


# ---- fixtures ----------------------------------------------------------------------------------
def model_zoo():
    """(id, model, x, y): every loss, the softmax axis, L2, Dropout and a frozen bias."""
    x, y = datasets.make("moons", n=120, noise=0.2, seed=3)
    out = []
    m = Sequential([Dense(6, "relu", input_shape=(2,)), Dense(2, "softmax")], seed=1)
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out.append(("relu-softmax-scce", m, x, y))
    m = Sequential([Dense(5, "leaky_relu", input_shape=(2,)), Dense(2, "softmax")], seed=2)
    m.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
    out.append(("softmax-cce", m, x, np.eye(2, dtype=np.float32)[y]))
    m = Sequential([Dense(4, "sigmoid", input_shape=(2,)), Dense(1, "linear")], seed=3)
    m.compile("sgd", "mse")
    out.append(("linear-mse", m, x, y.astype(np.float32)))
    m = Sequential([Dense(6, "tanh", input_shape=(2,), kernel_regularizer=L2(0.01)), Dropout(0.3),
                    Dense(1, "sigmoid", kernel_regularizer=L2(0.02))], seed=4)
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    out.append(("l2-dropout-bce", m, x, y))
    m = Sequential([Dense(3, "tanh", input_shape=(2,)), Dense(1, "sigmoid")], seed=5)
    m.compile("sgd", "binary_crossentropy")
    out.append(("soft-labels-bce", m, x, np.clip(y * 0.8 + 0.1, 0, 1).astype(np.float32)))
    m = slices.two_weight_model(seed=6)
    xt, yt = slices.two_weight_data(n=100, seed=6)
    out.append(("two-weights", m, xt, yt))
    return out


ZOO = model_zoo()


def check_grid_against_evaluate(model, x, y, plane, grid, points):
    saved = model.get_weights()
    try:
        for i, j in points:
            model.set_weights(plane.weights_at(grid.a[j], grid.b[i]))
            logs = model.evaluate(x, y, return_dict=True)
            np.testing.assert_allclose(grid.losses[i, j], logs["loss"], rtol=RTOL, err_msg=f"point {(i, j)}")
            # Keras's accuracy rule, whether or not the model was compiled with the metric
            p = model.predict(x)
            hits = np.mean(model.loss.correct(model.loss.targets(y, model.output_dim), p))
            assert grid.accuracy[i, j] == pytest.approx(hits, abs=1e-6)
    finally:
        model.set_weights(saved)


# ---- the grid equals evaluate ------------------------------------------------------------------
def test_grid_values_equal_evaluate_on_the_spiral_network():
    model, x, y = spiral_model()
    plane = P.random_plane(model, seed=0)
    # a lopsided extent and an odd resolution catch a transposed grid
    grid = L.evaluate_grid(model, x, y, plane, resolution=13, span=(-1.0, 0.5, -0.3, 0.8))
    a, b, losses = grid
    assert losses.shape == (13, 13) and grid.accuracy.shape == (13, 13)
    assert a[0] == -1.0 and a[-1] == 0.5 and b[0] == -0.3 and b[-1] == 0.8
    rng = np.random.default_rng(0)
    points = [(0, 0), (12, 12), (0, 12), (12, 0), (6, 6)] + [tuple(p) for p in rng.integers(0, 13, (10, 2))]
    check_grid_against_evaluate(model, x, y, plane, grid, points)


@pytest.mark.parametrize("name,model,x,y", ZOO, ids=[z[0] for z in ZOO])
def test_grid_values_equal_evaluate_for_every_loss_and_layer(name, model, x, y):
    plane = P.random_plane(model, seed=1)
    grid = L.evaluate_grid(model, x, y, plane, resolution=5, span=1.5)
    check_grid_against_evaluate(model, x, y, plane, grid, [(i, j) for i in range(5) for j in range(5)])


@pytest.mark.parametrize("kind", ["weights", "pca"])
def test_grid_values_equal_evaluate_on_the_other_planes(kind):
    model, x, y = spiral_model(epochs=0)
    history = [model.get_weights()]
    for _ in range(4):
        model.fit(x, y, epochs=1, verbose=0, seed=0)
        history.append(model.get_weights())
    plane = P.weight_plane(model, 3, 30) if kind == "weights" else P.pca_plane(history)
    grid = L.evaluate_grid(model, x, y, plane, resolution=7, span=0.8)
    check_grid_against_evaluate(model, x, y, plane, grid, [(0, 6), (3, 3), (6, 1), (2, 5)])


def test_grid_leaves_the_model_untouched():
    model, x, y = spiral_model()
    before = model.get_weights()
    state = model.optimizer.get_state()
    L.evaluate_grid(model, x, y, P.random_plane(model), resolution=4)
    for w0, w1 in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    assert model.optimizer.get_state()["iterations"] == state["iterations"]


def test_chunking_threads_and_first_layer_paths_agree(monkeypatch):
    model, x, y = spiral_model()
    plane = P.random_plane(model, seed=2)
    ref = L.evaluate_grid(model, x, y, plane, resolution=9)
    one_point = L.evaluate_grid(model, x, y, plane, resolution=9, chunk_elements=1)
    threads = L.evaluate_grid(model, x, y, plane, resolution=9, workers=2, chunk_elements=5000)
    monkeypatch.setattr(batched, "ROW_TABLE_BYTES", 0)       # the first layer by matmul instead of the table
    no_table = L.evaluate_grid(model, x, y, plane, resolution=9)
    monkeypatch.setattr(batched, "PRECOMPUTE_BYTES", 0)      # every chunk's weights computed in its turn
    per_chunk = L.evaluate_grid(model, x, y, plane, resolution=9, chunk_elements=5000)
    for other in (one_point, threads, no_table, per_chunk):
        np.testing.assert_allclose(other.losses, ref.losses, rtol=1e-5)
        np.testing.assert_array_equal(other.accuracy, ref.accuracy)
    # same chunks on one thread: equal up to float32 rounding (buffer alignment can change the
    # order of SIMD sums)
    np.testing.assert_allclose(threads.losses, L.evaluate_grid(model, x, y, plane, resolution=9,
                                                               chunk_elements=5000).losses, rtol=1e-6)


def test_evaluate_points_matches_the_grid():
    model, x, y = spiral_model()
    plane = P.random_plane(model)
    grid = L.evaluate_grid(model, x, y, plane, resolution=5)
    pts = np.array([[grid.a[j], grid.b[i]] for i, j in [(0, 0), (1, 4), (4, 2)]])
    losses, acc = L.evaluate_points(model, x, y, plane, pts)
    np.testing.assert_allclose(losses, [grid.losses[0, 0], grid.losses[1, 4], grid.losses[4, 2]], rtol=1e-5)
    assert acc.shape == (3,)


def test_grid_pickles_with_its_extras():
    model, x, y = spiral_model(epochs=0)
    grid = L.evaluate_grid(model, x, y, P.random_plane(model), resolution=3)
    back = pickle.loads(pickle.dumps(grid))
    a, b, losses = back
    np.testing.assert_array_equal(losses, grid.losses)
    np.testing.assert_array_equal(back.accuracy, grid.accuracy)
    assert back.extent == grid.extent


# ---- progress, cancel, exploding regions ------------------------------------------------------
def test_progress_reports_fractions_up_to_one():
    model, x, y = spiral_model(epochs=0)
    seen = []
    L.evaluate_grid(model, x, y, P.random_plane(model), resolution=11, progress=seen.append, chunk_elements=3000)
    assert len(seen) > 1 and seen[-1] == 1.0
    assert all(0 < f <= 1 for f in seen) and seen == sorted(seen)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_the_evaluation(workers):
    model, x, y = spiral_model(epochs=0)
    plane = P.random_plane(model)
    calls, seen = [], []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(batched.Cancelled):
        L.evaluate_grid(model, x, y, plane, resolution=21, progress=seen.append, cancel=cancel,
                        chunk_elements=2000, workers=workers)
    assert len(calls) == 3 and len(seen) == 2 and seen[-1] < 0.5      # stopped after two waves
    with pytest.raises(batched.Cancelled):                                   # cancelled before any work
        L.evaluate_grid(model, x, y, plane, resolution=21, cancel=lambda: True)


@pytest.mark.parametrize("span", [1e3, 1e6, 1e30, 1e300])
@pytest.mark.parametrize("name,model,x,y", ZOO[:4], ids=[z[0] for z in ZOO[:4]])
def test_huge_spans_give_numbers_or_nan_without_raising(name, model, x, y, span):
    plane = P.random_plane(model)
    grid = L.evaluate_grid(model, x, y, plane, resolution=5, span=span)   # warnings are errors here
    assert grid.losses.shape == (5, 5)
    assert not np.isneginf(grid.losses).any()
    assert np.all(np.isnan(grid.accuracy) | ((grid.accuracy >= 0) & (grid.accuracy <= 1)))
    # crossentropies are clipped: finite or NaN; an overflowing L2 penalty or MSE is +inf, as in evaluate
    if model.loss.name != "mse" and not any(getattr(l, "kernel_regularizer", None) for l in model.layers):
        assert np.all(np.isfinite(grid.losses) | np.isnan(grid.losses))
    saved = model.get_weights()
    model.set_weights(plane.weights_at(grid.a[0], grid.b[-1]))
    ref = model.evaluate(x, y, return_dict=True)["loss"]
    model.set_weights(saved)
    loss = grid.losses[-1, 0]
    assert (np.isnan(loss) and np.isnan(ref)) or loss == pytest.approx(ref, rel=RTOL)


# ---- planes -------------------------------------------------------------------------------------
def test_random_plane_is_filter_normalised():
    model, _, _ = spiral_model()
    plane = P.random_plane(model, seed=7)
    weights = model.get_weights()
    for d in (plane.d1, plane.d2):
        parts = P.unflatten(d, [w.shape for w in weights], dtype=np.float64)
        for w, part in zip(weights, parts):
            if w.ndim == 2:         # kernel (in, out): each unit's column has that unit's norm
                np.testing.assert_allclose(np.linalg.norm(part, axis=0),
                                           np.linalg.norm(w.astype(np.float64), axis=0), rtol=1e-12)
            else:                   # biases are not moved
                assert not part.any()
    np.testing.assert_array_equal(plane.centre, P.flatten(weights))
    assert plane.kind == "random" and not np.allclose(plane.d1, plane.d2)
    again = P.random_plane(model, seed=7)
    np.testing.assert_array_equal(again.d1, plane.d1)
    assert not np.allclose(P.random_plane(model, seed=8).d1, plane.d1)


def test_filter_normalisation_keeps_dead_units_still():
    model, _, _ = spiral_model(epochs=0)
    model.layers[1].kernel[:, 3] = 0.0            # a unit with zero weights
    parts = P.unflatten(P.random_plane(model).d1, [w.shape for w in model.get_weights()], dtype=np.float64)
    assert not parts[2][:, 3].any() and parts[2][:, 2].any()


@pytest.mark.parametrize("kind", ["random", "weights", "pca"])
def test_the_centre_projects_to_the_origin(kind):
    model, x, y = spiral_model(epochs=0)
    history = [model.get_weights()]
    for _ in range(3):
        model.fit(x, y, epochs=1, verbose=0)
        history.append(model.get_weights())
    plane = {"random": lambda: P.random_plane(model), "weights": lambda: P.weight_plane(model, 0, 5),
             "pca": lambda: P.pca_plane(history)}[kind]()
    assert plane.project(model.get_weights()) == (0.0, 0.0)
    assert plane.project(P.flatten(model.get_weights())) == (0.0, 0.0)
    # a point of the plane projects to its own coordinates, also for non-orthogonal d1, d2
    a, b = plane.project(plane.weights_at(0.3, -0.7))
    assert a == pytest.approx(0.3, abs=1e-5) and b == pytest.approx(-0.7, abs=1e-5)


def test_projection_is_least_squares_for_skewed_directions():
    centre = np.zeros(3)
    plane = P.Plane(centre, [1.0, 0.0, 0.0], [1.0, 1.0, 0.0])         # 45 degrees apart
    assert plane.project([2.0, 3.0, 5.0]) == pytest.approx((-1.0, 3.0))  # the off-plane part ignored
    path = plane.project_path(np.array([[1.0, 1.0, 0.0], [np.nan, 0, 0], [0.0, 0.0, 9.0]]))
    assert path.shape == (3, 2)
    np.testing.assert_allclose(path[0], [0.0, 1.0], atol=1e-12)
    assert np.isnan(path[1]).all()
    np.testing.assert_allclose(path[2], [0.0, 0.0], atol=1e-12)
    parallel = P.Plane(centre, [1.0, 0, 0], [2.0, 0, 0])            # degenerate: pinv, no error
    a, b = parallel.project([5.0, 0, 0])
    assert a + 2 * b == pytest.approx(5.0)


def test_project_path_takes_weight_lists_and_matches_project():
    model, x, y = spiral_model(epochs=0)
    plane = P.random_plane(model)
    history = [model.get_weights()]
    for _ in range(3):
        model.fit(x, y, epochs=1, verbose=0)
        history.append(model.get_weights())
    path = plane.project_path(history)
    assert path.shape == (4, 2)
    for k, w in enumerate(history):
        np.testing.assert_allclose(path[k], plane.project(w))
    np.testing.assert_allclose(plane.project_path(np.stack([P.flatten(w) for w in history])), path)


def test_pca_directions_are_orthonormal_and_explain_the_path():
    model, x, y = spiral_model(epochs=0)
    history = [model.get_weights()]
    for _ in range(8):
        model.fit(x, y, epochs=1, verbose=0)
        history.append(model.get_weights())
    for mean_centre in (False, True):
        plane = P.pca_plane(history, mean_centre=mean_centre)
        gram = plane.basis @ plane.basis.T
        np.testing.assert_allclose(gram, np.eye(2), atol=1e-12)
        e1, e2 = plane.explained
        assert 1.0 >= e1 >= e2 >= 0 and e1 + e2 <= 1 + 1e-12
        assert plane.labels[0].startswith("PC1 (") and plane.labels[0].endswith("%)")
        np.testing.assert_array_equal(plane.centre, P.flatten(history[-1]))
        path = plane.project_path(history)
        assert path[-1] == pytest.approx((0.0, 0.0), abs=1e-12)
        assert path[0, 0] <= 0 and path[0, 1] <= 0                  # sign convention: starts lower left
    # uncentred: the plane through the centre holds at least as much of the path as any other
    plane = P.pca_plane(history)
    m = np.stack([P.flatten(w) for w in history]) - plane.centre
    kept = np.sum((m @ plane.basis.T) ** 2) / np.sum(m ** 2)
    assert kept == pytest.approx(sum(plane.explained))
    other = P.pca_plane(history, centre=0)
    np.testing.assert_array_equal(other.centre, P.flatten(history[0]))


def test_pca_of_a_straight_path_and_of_a_still_one():
    centre = np.array([1.0, 2.0, 3.0, 4.0])
    line = [centre + t * np.array([1.0, -1.0, 0.0, 0.0]) for t in (-2.0, -1.0, 0.0)]
    plane = P.pca_plane(line)
    np.testing.assert_allclose(plane.basis @ plane.basis.T, np.eye(2), atol=1e-12)
    assert plane.explained[0] == pytest.approx(1.0) and plane.explained[1] == 0.0
    with pytest.raises(ValueError, match="distinct"):
        P.pca_plane([centre, centre])
    with pytest.raises(ValueError, match="empty"):
        P.pca_plane([])


def test_weight_plane_is_an_exact_slice_with_readable_names():
    model, x, y = spiral_model()
    names = P.parameter_names(model)
    assert len(names) == model.count_params() == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert names[0] == "dense W[0,0]" and names[16] == "dense b[0]"
    assert names[24 + 3 * 8 + 0] == "dense_1 W[3,0]" and names[-1] == "dense_2 b[0]"
    i, j = 24 + 3 * 8, 24 + 64 + 2
    plane = P.weight_plane(model, i, j)
    assert plane.labels == ("dense_1 W[3,0]", "dense_1 b[2]") and plane.indices == (i, j)
    grid = L.evaluate_grid(model, x, y, plane, resolution=5, span=2.0)
    saved = model.get_weights()
    w = model.get_weights()
    w[2][3, 0] += grid.a[4]
    w[3][2] += grid.b[1]
    model.set_weights(w)
    assert grid.losses[1, 4] == pytest.approx(model.evaluate(x, y)[0], rel=RTOL)
    model.set_weights(saved)
    moved = plane.weights_at(0.5, -0.25)
    diff = P.flatten(moved) - P.flatten(saved)
    assert np.count_nonzero(diff) == 2
    with pytest.raises(ValueError, match="different"):
        P.weight_plane(model, 4, 4)
    with pytest.raises(ValueError, match="`j`"):
        P.weight_plane(model, 0, model.count_params())


# ---- helpers and errors -----------------------------------------------------------------------
def test_flatten_and_unflatten_round_trip():
    model, _, _ = spiral_model(epochs=0)
    weights = model.get_weights()
    back = P.unflatten(P.flatten(weights), [w.shape for w in weights])
    for w, v in zip(weights, back):
        assert v.dtype == np.float32
        np.testing.assert_array_equal(w, v)
    with pytest.raises(ValueError, match="does not fill"):
        P.unflatten(np.zeros(5), [(2, 2)])


def test_extent_for_and_covers():
    path = np.array([[-2.0, 1.0], [-1.0, 0.5], [np.nan, np.nan], [0.0, 0.0]])
    ext = L.extent_for(path, margin=0.5)
    assert ext == pytest.approx((-3.0, 1.0, -1.0, 2.0))
    assert L.covers(ext, path) and not L.covers(ext, [[5.0, 0.0]])
    assert L.extent_for(np.zeros((1, 2)))[1] > 0            # a still path still gets a grid
    a, b = L.grid_axes(ext, 5)
    assert a[0] == -3.0 and b[-1] == 2.0


def test_bad_arguments_raise_value_errors():
    model, x, y = spiral_model(epochs=0)
    plane = P.random_plane(model)
    with pytest.raises(ValueError, match="resolution"):
        L.evaluate_grid(model, x, y, plane, resolution=1)
    with pytest.raises(ValueError, match="span"):
        L.evaluate_grid(model, x, y, plane, span=(1.0, -1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="span"):
        L.evaluate_grid(model, x, y, plane, span=float("nan"))
    with pytest.raises(ValueError, match="Plane"):
        L.evaluate_grid(model, x, y, "random")
    other, _, _ = spiral_model(epochs=0)
    other_plane = P.Plane(np.zeros(10), np.ones(10), np.arange(10.0))
    with pytest.raises(ValueError, match="parameters"):
        L.evaluate_grid(other, x, y, other_plane)
    with pytest.raises(ValueError, match="features"):
        L.evaluate_grid(model, np.zeros((4, 3)), y[:4], plane)
    with pytest.raises(ValueError, match="same number"):
        L.evaluate_grid(model, x, y[:-1], plane)
    bare = Sequential([Dense(2, input_shape=(2,))])
    with pytest.raises(ValueError, match="compiled"):
        L.evaluate_grid(bare, x, y, P.random_plane(bare))
    with pytest.raises(ValueError, match="built"):
        P.random_plane(Sequential([Dense(2)]))
    with pytest.raises(ValueError, match="both zero"):
        P.Plane(np.zeros(3), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="workers"):
        L.evaluate_grid(model, x, y, plane, workers=0)


def test_parameter_name_is_the_lists_entry_without_building_it():
    from core import Dense, Sequential
    from core.analysis.loss.planes import parameter_name, parameter_names
    m = Sequential([Dense(3, "tanh", input_shape=(2,)), Dense(1, "sigmoid")], seed=0)
    m.build(2)
    names = parameter_names(m)
    assert [parameter_name(m, i) for i in range(len(names))] == names
    with pytest.raises(ValueError, match="index"):
        parameter_name(m, len(names))
