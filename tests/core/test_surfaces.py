"""Tests for core.analysis.loss.surfaces: analytic surfaces, their gradients and the optimizer race (issue 5)."""
from __future__ import annotations

import numpy as np
import pytest

from core.engine import optimizers
from core.analysis.loss import surfaces as S

NAMES = list(S.SURFACES)


# ---- the surfaces -----------------------------------------------------------------------------
def test_the_table_has_the_issues_surfaces():
    assert set(NAMES) == {"bowl", "ravine", "rosenbrock", "saddle", "local_minimum"}
    for name, s in S.SURFACES.items():
        assert s.name == name and S.get(name) is s and S.get(s) is s
        x0, x1, y0, y1 = s.extent
        assert x0 < s.start[0] < x1 and y0 < s.start[1] < y1
        for m in s.minima:
            assert x0 < m[0] < x1 and y0 < m[1] < y1
        assert s.learning_rate > 0 and s.adaptive_rate > 0 and s.steps >= 1 and s.description


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_central_finite_differences(name):
    s = S.get(name)
    x0, x1, y0, y1 = s.extent
    rng = np.random.default_rng(1)
    w = np.column_stack([rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)])
    h = 1e-6
    numeric = np.empty_like(w)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        numeric[:, k] = (s.f(w + e) - s.f(w - e)) / (2 * h)
    analytic = s.grad(w)
    assert analytic.shape == (50, 2)
    scale = max(1.0, np.abs(analytic).max())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_surfaces_are_vectorised_over_any_leading_shape(name):
    s = S.get(name)
    rng = np.random.default_rng(2)
    w = rng.normal(size=(3, 4, 2))
    values, grads = s.f(w), s.grad(w)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    assert values[1, 2] == s.f(w[1, 2]) and np.array_equal(grads[1, 2], s.grad(w[1, 2]))
    assert np.ndim(s.f([0.5, -0.5])) == 0 and s.grad([0.5, -0.5]).shape == (2,)
    with pytest.raises(ValueError, match="shape"):
        s.f(np.zeros((4, 3)))


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_and_the_first_is_global(name):
    s = S.get(name)
    minima = np.array(s.minima)
    np.testing.assert_allclose(s.grad(minima), 0.0, atol=1e-12)
    assert s.f(minima[0]) <= s.f(minima).min() + 1e-12
    _, _, grid = S.surface_grid(name, 201)
    assert s.f(minima[0]) <= grid.min() + 1e-6            # nothing in view lies lower


def test_surface_grid_orientation_and_dtype():
    xs, ys, values = S.surface_grid("rosenbrock", 7, extent=(-1.0, 2.0, 0.0, 1.0))
    assert values.shape == (7, 7) and values.dtype == np.float32
    assert xs[0] == -1.0 and xs[-1] == 2.0 and ys[0] == 0.0 and ys[-1] == 1.0
    for i, j in [(0, 6), (6, 0), (2, 3)]:
        assert values[i, j] == pytest.approx(S.get("rosenbrock").f([xs[j], ys[i]]), rel=1e-6)
    xs, ys, values = S.surface_grid("bowl", 5)
    assert xs[0] == -2.0 and ys[-1] == 2.0


def test_local_minimum_is_a_local_minimum_beside_a_deeper_one():
    s = S.get("local_minimum")
    x = np.linspace(-2.5, 2.5, 2001)
    g = s.f(np.column_stack([x, np.zeros_like(x)]))
    interior = np.flatnonzero((g[1:-1] < g[:-2]) & (g[1:-1] < g[2:])) + 1
    assert np.allclose(x[interior], [-1.0, 1.5], atol=3e-3)      # exactly two minima on y = 0
    assert g[interior[1]] < g[interior[0]]                        # the right one is the global one


# ---- the race ---------------------------------------------------------------------------------
def test_on_the_bowl_every_optimizer_converges():
    s = S.get("bowl")
    racers = S.default_racers("bowl")
    assert list(racers) == ["SGD", "SGD + momentum", "Nesterov", "RMSprop", "Adagrad", "Adam"]
    paths = S.race("bowl", racers, steps=300)
    for name, run in paths.items():
        end = np.linalg.norm(run.path[-1])
        # RMSprop with a constant rate ends circling the bottom within about one step (its rate)
        tol = 2 * s.adaptive_rate if name == "RMSprop" else 1e-3
        assert end < tol, f"{name} ended {end:.4f} from the minimum"
        assert run.losses[-1] < 0.01 * run.losses[0]
        assert run.diverged_at is None


@pytest.mark.parametrize("lr", [0.03, 0.05, 0.08])
def test_momentum_escapes_the_local_minimum_where_sgd_stops(lr):
    s = S.get("local_minimum")
    paths = S.race(s, {"SGD": optimizers.SGD(lr), "momentum": optimizers.SGD(lr, momentum=0.9)}, steps=400)
    sgd, momentum = paths["SGD"].path[-1], paths["momentum"].path[-1]
    np.testing.assert_allclose(sgd, [-1.0, 0.0], atol=0.02)           # stuck in the local minimum
    np.testing.assert_allclose(momentum, [1.5, 0.0], atol=0.02)       # over the hump, in the global one
    assert paths["momentum"].losses[-1] < paths["SGD"].losses[-1] - 0.5
    assert np.all(paths["SGD"].path[:, 0] < 0)                        # plain SGD never crosses the hump


def test_the_default_local_minimum_race_tells_the_story():
    paths = S.race("local_minimum", S.default_racers("local_minimum"))
    assert paths["SGD"].path[-1] == pytest.approx((-1.0, 0.0), abs=0.02)
    assert paths["SGD + momentum"].path[-1] == pytest.approx((1.5, 0.0), abs=0.02)
    assert paths["Nesterov"].path[-1] == pytest.approx((1.5, 0.0), abs=0.02)


def test_race_runs_the_real_optimizers_in_lockstep():
    s = S.get("ravine")
    template = optimizers.Adam(0.1)
    paths = S.race(s, {"adam": template, "sgd": optimizers.SGD(0.3, momentum=0.5)}, start=(-3.0, 1.0), steps=25)
    assert template.iterations == 0 and template.get_state()["slots"] == []     # the template untouched
    for name, opt in [("adam", optimizers.Adam(0.1)), ("sgd", optimizers.SGD(0.3, momentum=0.5))]:
        w = np.array([-3.0, 1.0])
        expected = [w.copy()]
        for _ in range(25):
            opt.apply([w], [s.grad(w)])
            expected.append(w.copy())
        run = paths[name]
        assert run.path.shape == (26, 2) and run.losses.shape == (26,)
        np.testing.assert_array_equal(run.path, np.array(expected))
        np.testing.assert_array_equal(run.losses, s.f(run.path))
    again = S.race(s, {"adam": template, "sgd": optimizers.SGD(0.3, momentum=0.5)}, start=(-3.0, 1.0), steps=25)
    np.testing.assert_array_equal(again["adam"].path, paths["adam"].path)       # reruns start afresh


def test_race_accepts_names_and_configs_and_uses_the_surface_defaults():
    paths = S.race("saddle", {"a": "adam", "b": {"name": "sgd", "learning_rate": 0.05}})
    s = S.get("saddle")
    assert paths["a"].path.shape == (s.steps + 1, 2)
    assert tuple(paths["b"].path[0]) == s.start
    assert paths["b"].path[-1] == pytest.approx((0.0, 1.0), abs=0.05)         # escaped the saddle


def test_a_diverging_racer_stops_with_nan_and_no_warning():
    paths = S.race("bowl", {"wild": optimizers.SGD(1.5), "calm": optimizers.SGD(0.1)}, steps=100)
    wild = paths["wild"]
    assert wild.diverged_at is not None and 1 < wild.diverged_at < 100
    assert np.isfinite(wild.path[:wild.diverged_at]).all()
    assert np.isnan(wild.path[wild.diverged_at:]).all() and np.isnan(wild.losses[wild.diverged_at:]).all()
    assert paths["calm"].diverged_at is None and np.isfinite(paths["calm"].path).all()
    # Rosenbrock with a far too large rate overflows to inf/NaN: still no exception
    rb = S.race("rosenbrock", {"sgd": optimizers.SGD(0.5)}, steps=50)["sgd"]
    assert rb.diverged_at is not None


def test_race_rejects_bad_arguments():
    with pytest.raises(ValueError, match="surface"):
        S.race("volcano", {"sgd": optimizers.SGD()})
    with pytest.raises(ValueError, match="start"):
        S.race("bowl", {"sgd": optimizers.SGD()}, start=(0.0, np.nan))
    with pytest.raises(ValueError, match="start"):
        S.race("bowl", {"sgd": optimizers.SGD()}, start=(0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="steps"):
        S.race("bowl", {"sgd": optimizers.SGD()}, steps=0)
    with pytest.raises(ValueError, match="optimizers"):
        S.race("bowl", {})
    with pytest.raises(ValueError, match="resolution"):
        S.surface_grid("bowl", 1)
