"""core.analysis.uncrumple.separability fits its one-vs-rest logistic regressions side by side (issue 17).

One fit at a time, an MNIST stage's ten fits were thousands of small NumPy calls, too small to let
go of the GIL: run in the Separability view's background job on a loaded machine, they kept the
window's thread waiting (the monkey's stalls at minute 8). The fits now run together, a few NumPy
operations per Newton step for all classes, with the same results: checked here against the one-at-a-time
implementation they replaced, on the stages of real networks.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis.uncrumple import separability as sep
from core.analysis.uncrumple.geometry import stages
from core.datasets import load_mnist_sample, make
from core.engine.layers import Dense
from core.engine.model import Sequential


def one_at_a_time(z, y01, l2, max_iter):
    """The implementation the batched fits replaced (git 02d672c), verbatim: one fit, (n,) scores."""
    n, k = z.shape
    a = np.empty((n, k + 1))
    a[:, :k] = z
    a[:, k] = 1.0
    reg = np.full(k + 1, l2)
    reg[k] = 1e-10

    def objective(w):
        s = a @ w
        return float(np.mean(np.logaddexp(0.0, s) - y01 * s) + 0.5 * np.dot(reg * w, w))

    w = np.zeros(k + 1)
    f = objective(w)
    for _ in range(max_iter):
        s = a @ w
        p = 0.5 * (1.0 + np.tanh(0.5 * s))
        g = a.T @ (p - y01) / n + reg * w
        if np.max(np.abs(g)) < 1e-10:
            break
        h = (a.T * (p * (1.0 - p))) @ a / n
        h[np.diag_indices_from(h)] += reg
        d = np.linalg.solve(h, g)
        if not np.all(np.isfinite(d)):
            raise np.linalg.LinAlgError("non-finite Newton step")
        slope = float(g @ d)
        step, f_new, w_new = 1.0, np.inf, w
        while step > 1e-12:
            w_new = w - step * d
            f_new = objective(w_new)
            if f_new <= f - 1e-4 * step * slope:
                break
            step *= 0.5
        if not f_new < f:
            break
        done = f - f_new < 1e-13 * max(1.0, abs(f))
        w, f = w_new, f_new
        if done:
            break
    return a @ w


def trained_stages(x, y, layers, loss, epochs, seed=0):
    model = Sequential([Dense(u, activation=act) for u, act in layers])
    model.compile("adam", loss)
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, seed=seed)
    return stages(model, x)


@pytest.fixture(scope="module")
def cases():
    """(name, stages, labels): a two-class spiral network, a two-class 3-D ball and ten MNIST digits."""
    out = []
    x, y = make("spiral", n=400, seed=0)
    out.append(("spiral", trained_stages(x, y, [(16, "tanh"), (16, "tanh"), (1, "sigmoid")],
                                         "binary_crossentropy", 30), y))
    x, y = make("paper_ball", n=400, seed=1)
    out.append(("paper_ball", trained_stages(x, y, [(8, "relu"), (1, "sigmoid")], "binary_crossentropy", 5), y))
    (xm, ym), _ = load_mnist_sample()
    xm = xm[:600].reshape(600, -1).astype(np.float32) / np.float32(255)
    ym = ym[:600]
    out.append(("mnist", trained_stages(xm, ym, [(64, "relu"), (10, "softmax")],
                                        "sparse_categorical_crossentropy", 2), ym))
    return out


def features(st, labels):
    """A stage as the fits see it: at most 32 principal components, standardised; labels 0..k-1."""
    idx, k = sep._labels(labels, len(st.values))
    return sep._standardise(sep._reduce(st.values.astype(np.float64), 32)), idx, k


def test_the_side_by_side_fits_equal_the_one_at_a_time_fits_on_real_stages(cases):
    checked = 0
    for name, stage_list, labels in cases:
        for st in stage_list:
            z, idx, k = features(st, labels)
            if z.shape[1] == 0 or k < 2:
                continue
            targets = (idx[None, :] == np.arange(k)[:, None]).astype(float) if k > 2 else idx[None].astype(float)
            try:
                want = np.column_stack([one_at_a_time(z, t, 1e-3, 50) for t in targets])
            except np.linalg.LinAlgError:
                with pytest.raises(np.linalg.LinAlgError):
                    sep._logistic_scores(z, targets, 1e-3, 50)
                continue
            got = sep._logistic_scores(z, targets, 1e-3, 50)
            assert got.shape == want.shape == (len(z), len(targets)), (name, st.name)
            # the same fits: equal to float32 rounding of the scores, and the same classifications
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(want).max()),
                                       err_msg=f"{name} {st.name}")
            if k > 2:
                assert np.array_equal(got.argmax(axis=1), want.argmax(axis=1)), (name, st.name)
            else:
                assert sep._best_threshold_hits(got[:, 0], idx) == sep._best_threshold_hits(want[:, 0], idx)
            checked += 1
    assert checked >= 8                                    # every case gave stages to compare
    public_results_are_unchanged(cases)


def test_ten_classes_take_one_newton_solve_per_step_not_one_per_class(cases, monkeypatch):
    """The ten one-vs-rest fits of an MNIST stage solve their Newton systems together: at most one
    ``np.linalg.solve`` per Newton step (``max_iter``), where one fit at a time took ten per step."""
    name, stage_list, labels = cases[-1]
    st = stage_list[-1]                                    # the softmax outputs: ten classes
    calls, real = [], np.linalg.solve
    monkeypatch.setattr(np.linalg, "solve", lambda *a, **kw: calls.append(np.shape(a[0])) or real(*a, **kw))
    acc = sep.linear_separability(st.values, labels, max_iter=50, max_features=32)
    assert acc > 0.5                                       # a trained network's outputs separate the digits
    newton = [s for s in calls if len(s) == 3]             # the (classes, k + 1, k + 1) systems
    assert newton and len(calls) <= 50 and all(s[0] <= 10 for s in newton)


def public_results_are_unchanged(cases):
    """The public result on every stage: the accuracy one-at-a-time fits gave (a count over samples)."""
    for name, stage_list, labels in cases:
        got = sep.stages_separability(stage_list, labels, max_features=32)
        want = []
        for st in stage_list:
            z, idx, k = features(st, labels)
            if z.shape[1] == 0:
                want.append(np.bincount(idx).max() / len(idx))
                continue
            if k > 2:
                try:
                    scores = np.column_stack([one_at_a_time(z, (idx == c).astype(float), 1e-3, 50) for c in range(k)])
                except np.linalg.LinAlgError:
                    scores = np.column_stack([sep._lda_scores(z, (idx == c).astype(float)) for c in range(k)])
                want.append(np.mean(scores.argmax(axis=1) == idx))
                continue
            best = 0
            try:
                best = sep._best_threshold_hits(one_at_a_time(z, idx.astype(float), 1e-3, 50), idx)
            except np.linalg.LinAlgError:
                pass
            want.append(max(best, sep._best_threshold_hits(sep._lda_scores(z, idx.astype(float)), idx)) / len(idx))
        np.testing.assert_array_equal(got, np.asarray(want, np.float32), err_msg=name)
