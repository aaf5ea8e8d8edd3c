"""core.analysis.digits: confusion matrix, mistakes, MNIST-style drawings, tiles, PCA maps, tensor shapes."""
import numpy as np
import pytest

from core import Dense, Sequential
from core.datasets import load_mnist_sample, preprocess_images
from core.analysis.digits.digits import (DigitMaps, accuracy_and_loss, center_of_mass, confusion_matrix,
                                        generalization_gap, image_levels, image_side, misclassified,
                                        model_from_weights, pca_2d, predict_probs, preprocess_drawing,
                                        representations, resample_matrix, symmetric_levels, tile_mosaic)
from core.analysis.digits.shape_flow import broadcast_explanation, dot_shape_rule, flow_line, shape_flow


def mnist_net(seed=0):
    return Sequential([Dense(512, "relu", input_shape=(784,)), Dense(10, "softmax")], seed=seed)


def stroke(h, w, pts, radius):
    """A thick polyline of ink 1 on a blank (h, w) canvas."""
    yy, xx = np.mgrid[:h, :w]
    img = np.zeros((h, w), np.float32)
    for (y0, x0), (y1, x1) in zip(pts[:-1], pts[1:]):
        for t in np.linspace(0, 1, 100):
            y, x = y0 + (y1 - y0) * t, x0 + (x1 - x0) * t
            img[(yy - y) ** 2 + (xx - x) ** 2 <= radius ** 2] = 1
    return img


# ---- confusion and mistakes ----------------------------------------------------------------------
def test_confusion_matrix_against_hand_counts():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 1], [1, 0, 3]]
    assert cm.sum(axis=1).tolist() == [2, 3, 4]       # rows: each true class's count
    assert np.trace(cm) == 6                          # correct predictions


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ValueError, match="Labels must be in"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix([0, 1], [0], 3)


def test_misclassified_most_confident_first_and_scores():
    probs = np.array([[0.9, 0.1, 0.0],    # right
                      [0.6, 0.4, 0.0],    # wrong (0 at 0.6)
                      [0.0, 0.05, 0.95],  # wrong (2 at 0.95)
                      [0.2, 0.7, 0.1]], np.float32)  # right
    y = np.array([0, 1, 1, 1])
    assert misclassified(y, probs).tolist() == [2, 1]
    acc, loss = accuracy_and_loss(y, probs)
    assert acc == 0.5
    assert loss == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.05, 0.7])), rel=1e-6)


def test_generalization_gap_calls_out_overfitting():
    assert generalization_gap(0.99, 0.90, 0.02, 0.4)["overfitting"]
    assert "Overfitting" in generalization_gap(0.99, 0.90, 0.02, 0.4)["text"]
    ok = generalization_gap(0.91, 0.90, 0.3, 0.31)
    assert not ok["overfitting"] and ok["acc_gap"] == pytest.approx(0.01)


# ---- drawings ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,pts,radius", [
    ((280, 280), [(40, 100), (60, 200), (250, 110)], 11),       # a 7, canvas-sized
    ((400, 120), [(10, 60), (390, 60)], 8),                      # a tall 1: aspect kept
    ((15, 40), [(2, 2), (12, 37)], 1.5),                         # tiny and wide: enlarged
])
def test_preprocess_drawing_like_mnist(shape, pts, radius):
    """MNIST convention: ink in a 20x20 box, centre of mass at pixel (14, 14) (0-based row, column
    indices) to within half a pixel; the offline sample's digits average (13.99, 14.00)."""
    out = preprocess_drawing(stroke(*shape, pts, radius))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max() == pytest.approx(1.0) and out.min() >= 0
    cy, cx = center_of_mass(out)
    assert abs(cy - 14.0) <= 0.5 and abs(cx - 14.0) <= 0.5
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(h, w) == 20                           # the longer side fills the box
    if shape == (400, 120):                          # aspect ratio kept (ink box ~ 396 x 16)
        assert w < 5


def test_preprocess_drawing_blank_and_bad_input():
    assert not preprocess_drawing(np.zeros((50, 50))).any()
    with pytest.raises(ValueError, match="img"):
        preprocess_drawing(np.zeros(10))


def test_mnist_digits_are_already_mnist_style():
    """A real MNIST digit re-preprocessed stays near itself (same box, same centre)."""
    (x, _), _ = load_mnist_sample()
    img = x[0].astype(np.float32) / 255
    out = preprocess_drawing(img)
    a, b = center_of_mass(img), center_of_mass(out)
    assert abs(a[0] - b[0]) <= 1.0 and abs(a[1] - b[1]) <= 1.0


def test_resample_matrix_keeps_mass_and_moves_by_offset():
    r = resample_matrix(40, 20)                       # shrink 2x: area averaging
    assert np.allclose(r.sum(axis=1), 1.0)            # each output is a mean of its inputs
    s = resample_matrix(10, 28, offset=3.0, scale=1.0)
    v = np.zeros(10); v[4] = 1
    assert (s @ v).argmax() == 7


# ---- tiles and levels --------------------------------------------------------------------------------
def test_tile_mosaic_places_each_unit_as_an_image():
    k = np.arange(784 * 5, dtype=np.float32).reshape(784, 5)
    mosaic, shown = tile_mosaic(k, start=1, count=4, columns=2)
    assert shown == 4 and mosaic.shape == (2 * 29 - 1, 2 * 29 - 1)
    assert np.array_equal(mosaic[:28, :28], k[:, 1].reshape(28, 28))
    assert np.array_equal(mosaic[29:, 29:], k[:, 4].reshape(28, 28))
    assert np.isnan(mosaic[28, :]).all()              # the gap between tiles
    assert tile_mosaic(k, start=4, count=4, columns=2)[1] == 1


@pytest.mark.parametrize("a", [np.full((3, 3), np.nan), np.zeros((1, 1)), np.array([[np.inf, -np.inf]]),
                               np.full((4, 4), 7.0)])
def test_levels_always_finite(a):
    for lo, hi in (symmetric_levels(a), image_levels(a)):
        assert np.isfinite(lo) and np.isfinite(hi) and lo < hi


# ---- the network, PCA maps, shapes -------------------------------------------------------------------
def test_model_from_weights_predicts_like_the_original():
    m = mnist_net()
    x = np.random.default_rng(0).random((7, 784), dtype=np.float32)
    copy = model_from_weights(m.get_weights(), ["relu", "softmax"])
    assert np.allclose(predict_probs(copy, x, batch_size=3), m.predict(x), atol=1e-6)
    assert np.allclose(predict_probs(copy, x).sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="kernel and a bias"):
        model_from_weights(m.get_weights()[:3], ["relu", "softmax"])


def test_digit_maps_keep_their_basis_across_weights():
    (x, _), _ = load_mnist_sample()
    x = preprocess_images(x[:200])
    m = mnist_net()
    maps = DigitMaps()
    first = maps.project(m, x)
    assert [n for n, _, _ in first] == ["input", "layer 1 (relu)", "layer 2 (softmax)"]
    assert all(c.shape == (200, 2) for _, c, _ in first)
    m2 = model_from_weights([w * 1.5 for w in m.get_weights()], ["relu", "softmax"])
    second = maps.project(m2, x)
    assert second[1][2] is first[1][2]                # same projection object: the axes stay put
    assert np.allclose(second[0][1], first[0][1])     # the input does not depend on the weights
    maps.refit()
    assert maps.project(m2, x)[1][2] is not first[1][2]


def _exact_pca(h, dims=2):
    """The covariance's top eigenvectors by a full float64 eigendecomposition, signed as fit_projection."""
    from core.analysis.uncrumple.projection import Projection
    x = np.asarray(h, np.float64)
    xc = x - x.mean(axis=0)
    evals, evecs = np.linalg.eigh(xc.T @ xc / (len(x) - 1))
    order = np.argsort(-evals)[:dims]
    comps = evecs[:, order].T
    comps *= np.sign(comps[np.arange(dims), np.abs(comps).argmax(axis=1)])[:, None]
    explained = evals[order] / evals.clip(0).sum()
    return Projection("pca", x.shape[1], dims, x.mean(axis=0).astype(np.float32), comps.astype(np.float32),
                      explained.astype(np.float32), "", ("", ""))


def test_fast_pca_matches_the_exact_one():
    """Wide layers (784 pixels, 512 units) get randomized PCA: the exact components, signs and shares."""
    (x, _), _ = load_mnist_sample()
    for name, h in representations(mnist_net(), preprocess_images(x[:300])):
        exact, fast = _exact_pca(h), pca_2d(h)
        assert np.allclose(np.sum(exact.components * fast.components, axis=1), 1.0, atol=1e-4), name
        assert np.allclose(exact.explained, fast.explained, rtol=1e-3), name
        assert np.allclose(exact.project(h), fast.project(h), atol=1e-2 * np.abs(exact.project(h)).max())


def test_shape_flow_of_the_book_network():
    steps = shape_flow(mnist_net(), batch_size=128)
    assert flow_line(steps) == ("(128, 784) · (784, 512) + (512,) → relu → (128, 512) · (512, 10) + (10,) "
                                "→ softmax → (128, 10)")
    assert [s.kind for s in steps] == ["input"] + ["dot", "bias", "activation"] * 2
    assert steps[1].formula == "(128, 784) · (784, 512) → (128, 512)"
    assert "repeated 128 times" in steps[2].note


def test_shape_flow_of_any_network():
    m = Sequential([Dense(8, "tanh", input_shape=(2,)), Dense(3, "relu"), Dense(1, "sigmoid")], seed=0)
    steps = shape_flow(m, 32)
    assert flow_line(steps) == ("(32, 2) · (2, 8) + (8,) → tanh → (32, 8) · (8, 3) + (3,) → relu → (32, 3)"
                                " · (3, 1) + (1,) → sigmoid → (32, 1)")
    assert steps[-1].shape == (32, 1)


def test_shape_rules_in_words():
    assert broadcast_explanation((32, 10), (10,)).startswith("(32, 10) + (10,) → (32, 10)")
    assert "axis 0 repeated 32 times" in broadcast_explanation((32, 10), (10,))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        broadcast_explanation((32, 10), (3,))
    assert dot_shape_rule((5, 3), (3, 2)) == "(5, 3) · (3, 2) → (5, 2)"
    with pytest.raises(ValueError, match="must equal"):
        dot_shape_rule((5, 3), (4, 2))
    assert image_side(784) == 28
    with pytest.raises(ValueError, match="width"):
        image_side(2)
