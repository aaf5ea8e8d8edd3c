"""The digits views and the tensor lab, fed with snapshots of a network trained on the offline sample."""
import numpy as np
import pytest
from PySide6 import QtCore

from core import Dense, Sequential
from core.analysis.digits.digits import confusion_matrix, misclassified, predict_probs, tile_mosaic
from core.datasets import load_mnist_sample, preprocess_images, to_categorical
from core.run.config import TrainingConfig
from core.run.messages import RunData, RunSnapshot
from core.run.serve import _Run
from fit import MIN_PLOT, SLOTS, in_slot, misfits
from viz.app.layout.docks import DOCKS, IMAGES, ViewMaker
from viz.run.redraw import ViewRedrawer
from viz.views.common.view import View
from viz.views.digits.digit_canvas import DrawView
from viz.views.digits.digit_tiles import TilesView
from viz.views.digits.digits import SamplesView
from viz.views.digits.digits_errors import ConfusionView, ErrorsView
from viz.views.digits.digits_map import DigitMapView
from viz.views.digits.digits_run import NOTICE, DigitsRun
from viz.views.digits.tensor_lab import TensorLab

CONFIG = TrainingConfig(dataset="mnist_sample", hidden=((512, "relu"),), loss="categorical_crossentropy",
                        optimizer="rmsprop", batch_size=32)


@pytest.fixture(scope="module")
def trained():
    """600 training and 200 test digits of the offline sample; the book's network before and after 1 epoch."""
    (xtr, ytr), (xte, yte) = load_mnist_sample()
    x, xt = preprocess_images(xtr[:600]), preprocess_images(xte[:200])
    y, yt = ytr[:600].astype(np.int64), yte[:200].astype(np.int64)
    m = Sequential([Dense(512, "relu", input_shape=(784,)), Dense(10, "softmax")], seed=0)
    m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    w0 = tuple(m.get_weights())
    h = m.fit(x, to_categorical(y), epochs=1, batch_size=32, verbose=0, validation_data=(xt, to_categorical(yt)))
    log = {k: v[-1] for k, v in h.history.items()}
    log["epoch"] = 1
    run = RunData(config=CONFIG, x_train=x, y_train=y, x_val=xt, y_val=yt, n_train=len(x), n_val=len(xt),
                  n_classes=10)
    return dict(model=m, w0=w0, w1=tuple(m.get_weights()), log=log, run=run, x=x, xt=xt, yt=yt)


def snapshot(weights, epoch=1, epochs=(), run=None, scrubbed=False):
    return RunSnapshot(epoch=epoch, step=19 * epoch, batch=0, batches_per_epoch=19, state="paused", epochs=epochs,
                       weights=weights, hyperparameters={"batch_size": 32}, run=run, scrubbed=scrubbed)


def evaluate(view, qtbot):
    """As the redraw clock does it: a refresh starts evaluating the newest weights (nothing new to
    draw yet); once that is done the view asks for a frame, whose refresh draws the predictions."""
    with qtbot.waitSignal(view.redraw_wanted, timeout=10000):
        assert not view.refresh()
    assert view.refresh()


def feed(view, trained, qtbot, weights=None, wait_eval=True):
    """Start a run (first snapshot with the run and initial weights), then an epoch-1 snapshot."""
    qtbot.addWidget(view)
    view.resize(700, 560)
    view.show()
    first = snapshot(trained["w0"], epoch=0, run=trained["run"])
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)
    view.add_snapshot(snapshot(weights or trained["w1"], epochs=(trained["log"],)))
    if wait_eval:
        evaluate(view, qtbot)
    else:
        view.refresh()
    return view


@pytest.mark.parametrize("cls", [SamplesView, TilesView, ConfusionView, ErrorsView, DigitMapView, DrawView,
                                 TensorLab])
def test_two_d_run_shows_the_notice(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    run = _Run(TrainingConfig(n_samples=40, grid_resolution=8))     # a real 2-D run (the spiral)
    first = run.snapshot(with_run=True)
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)
    view.refresh()
    assert view.message.text() == NOTICE


def test_confusion_matrix_and_gap_match_the_network(qtbot, trained):
    view = feed(ConfusionView(), trained, qtbot)
    probs = trained["model"].predict(trained["xt"])
    expected = confusion_matrix(trained["yt"], probs.argmax(axis=1), 10)
    assert np.array_equal(view.matrix, expected)
    i, j = np.unravel_index(np.argmax(expected), expected.shape)
    assert view.counts[i][j].textItem.toPlainText() == str(expected[i, j])
    acc = np.trace(expected) / expected.sum()
    assert f"on the test images {acc:.1%}" in view.gap.text()
    assert "overfitting" in view.gap.text().lower()
    # it says which training accuracy it is: not the status bar's mean over the epoch's batches
    train_acc = view.digits.scores()["train_acc"]
    assert f"accuracy on {len(view.digits.train_idx):,} training images {train_acc:.1%}" in view.gap.text()
    assert "current weights" in view.gap.text() and "status bar" in view.gap.text()
    assert "status bar" in view.gap.toolTip()
    assert list(view.history) == [1]
    assert view.acc_test.yData[0] == pytest.approx(trained["log"]["val_accuracy"])


def test_scrubbed_snapshot_shows_old_weights_without_history(qtbot, trained):
    view = feed(ConfusionView(), trained, qtbot)
    old = snapshot(trained["w0"], epoch=0, scrubbed=True)
    view.add_snapshot(old)
    evaluate(view, qtbot)
    p0 = predict_probs(Sequential([Dense(512, "relu", input_shape=(784,)), Dense(10, "softmax")], seed=0),
                       trained["xt"])
    assert np.array_equal(view.matrix, confusion_matrix(trained["yt"], p0.argmax(axis=1), 10))
    assert list(view.history) == [1] and view.digits.epoch == 0


def test_a_branch_drops_the_accuracies_of_the_later_epochs(qtbot, trained):
    view = feed(ConfusionView(), trained, qtbot)
    view.add_snapshot(snapshot(trained["w1"], epoch=2, epochs=(dict(trained["log"], epoch=2),)))
    view.refresh()
    assert list(view.acc_train.xData) == [1, 2]
    with qtbot.waitSignal(view.redraw_wanted, timeout=1000):
        view.truncate(1, 19)                    # as the timeline calls it: (epoch, step)
    view.refresh()
    assert list(view.history) == [1] and list(view.acc_train.xData) == [1]


def test_the_redraw_clock_paces_the_evaluations(qtbot, trained):
    """Evaluations start in the clock's frames and no more often than the view's ``min_interval``;
    one done, the view asks for a frame, which draws it (the view runs no timer of its own)."""
    view = ConfusionView()
    qtbot.addWidget(view)
    view.resize(700, 560)
    view.show()
    qtbot.waitExposed(view)
    clock = ViewRedrawer()
    clock.add(view)
    run = trained["run"]
    view.clear()
    view.set_run(run)
    view.add_snapshot(snapshot(trained["w0"], epoch=0, run=run))
    clock.request()
    p0 = predict_probs(Sequential([Dense(512, "relu", input_shape=(784,)), Dense(10, "softmax")], seed=0),
                       trained["xt"])
    qtbot.waitUntil(lambda: view.matrix is not None, timeout=10000)
    assert np.array_equal(view.matrix, confusion_matrix(trained["yt"], p0.argmax(axis=1), 10))
    view.min_interval = 3600.0                   # it drew just now: the clock leaves it out of frames
    view.add_snapshot(snapshot(trained["w1"], epochs=(trained["log"],)))
    with qtbot.waitSignal(clock.drawn, timeout=5000):
        clock.request()
    assert view.digits.needs_evaluation          # no evaluation started for the new weights
    view.min_interval = 0.0
    clock.request()
    p1 = trained["model"].predict(trained["xt"])
    expected = confusion_matrix(trained["yt"], p1.argmax(axis=1), 10)
    qtbot.waitUntil(lambda: np.array_equal(view.matrix, expected), timeout=10000)
    clock.stop()


def test_errors_view_lists_mistakes_with_probabilities(qtbot, trained):
    view = feed(ErrorsView(), trained, qtbot)
    probs = trained["model"].predict(trained["xt"])
    order = misclassified(trained["yt"], probs)
    assert np.array_equal(view.order, order)
    plot, img, _, bars = view.cells[0]
    true, guess = trained["yt"][order[0]], probs[order[0]].argmax()
    assert f"true {true} → {guess}" in plot.titleLabel.text
    assert np.allclose(bars.opts["height"], probs[order[0]], atol=1e-6)
    assert f"{len(order)} of 200" in view.summary.text()


def test_tiles_show_first_layer_units_and_pages(qtbot, trained):
    view = feed(TilesView(), trained, qtbot, wait_eval=False)
    kernel = trained["w1"][0]
    assert view.change.isChecked()                    # by default: the change since step 0
    assert np.allclose(view.mosaic, tile_mosaic(kernel - trained["w0"][0], 0, 64, 8)[0], equal_nan=True)
    assert view.page.maximum() == 8
    view.change.setChecked(False)
    view.page.setValue(8)
    assert np.array_equal(view.mosaic, tile_mosaic(kernel, 448, 64, 8)[0], equal_nan=True)
    assert "units 449–512 of 512" in view.info.text()
    lo, hi = view.image.levels
    assert np.isfinite(lo) and lo == -hi


def test_samples_view_labels_and_tensor_shapes(qtbot, trained):
    view = feed(SamplesView(), trained, qtbot)
    assert view.labels[0].textItem.toPlainText() == str(trained["yt"][0])
    guess = trained["model"].predict(trained["xt"][:1]).argmax()
    assert view.guesses[0].textItem.toPlainText() == str(guess)
    text = view.tensors.text()
    assert "ndim=3, shape=(600, 28, 28), dtype=uint8" in text
    assert "ndim=2, shape=(600, 784), dtype=float32" in text


def test_finish_draws_the_newest_weights_at_once(qtbot, trained):
    # a picture (--screenshot, Export) is taken right after finish(): the guesses must be those of
    # the weights on screen, not of the snapshot evaluated a few turns before
    view = feed(SamplesView(), trained, qtbot, weights=trained["w0"])
    n = len(view.guesses)
    before = [g.textItem.toPlainText() for g in view.guesses]
    view.add_snapshot(snapshot(trained["w1"], epoch=2))
    view.finish()                      # no event loop turn in between
    after = [g.textItem.toPlainText() for g in view.guesses]
    expected = [str(k) for k in trained["model"].predict(trained["xt"][:n]).argmax(axis=1)]
    assert after == expected and before != expected


def test_digit_map_projects_and_hovers(qtbot, trained):
    view = feed(DigitMapView(), trained, qtbot, wait_eval=False)
    assert view.coords.shape == (200, 2) and np.isfinite(view.coords).all()
    assert view.layer.count() == 3 and view.layer.currentText() == "layer 1 (relu)"
    view.hover_at(5)
    assert np.allclose(view.hover_image.image, trained["xt"][5].reshape(28, 28))
    assert f"label {trained['yt'][5]}" in view.hover_text.text()
    basis = view.maps.projections[1]
    view.add_snapshot(snapshot(trained["w0"], epoch=0, scrubbed=True))
    view.refresh()
    assert view.maps.projections[1] is basis          # the axes stay put across weights


def test_draw_canvas_updates_probabilities(qtbot, trained):
    view = feed(DrawView(), trained, qtbot, wait_eval=False)
    canvas = view.canvas
    assert view.probs is None
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(canvas, left, pos=QtCore.QPoint(100, 50))
    for p in [(140, 60), (180, 60), (160, 140), (130, 240)]:
        qtbot.mouseMove(canvas, QtCore.QPoint(*p))
    qtbot.mouseRelease(canvas, left, pos=QtCore.QPoint(130, 240))
    qtbot.waitUntil(lambda: view.probs is not None, timeout=3000)
    first = view.probs.copy()
    assert first.sum() == pytest.approx(1.0, abs=1e-5) and first.shape == (10,)
    img = view.input_image.image
    assert img.shape == (28, 28) and img.max() == pytest.approx(1.0)
    qtbot.mousePress(canvas, left, pos=QtCore.QPoint(60, 200))
    for p in [(120, 200), (220, 200), (240, 120)]:
        qtbot.mouseMove(canvas, QtCore.QPoint(*p))
    qtbot.mouseRelease(canvas, left, pos=QtCore.QPoint(240, 120))
    qtbot.waitUntil(lambda: not np.allclose(view.probs, first), timeout=3000)
    assert view.probs.sum() == pytest.approx(1.0, abs=1e-5)
    view.clear_button.click()
    view.update_prediction()
    assert view.probs is None and not view.input_image.image.any()


def test_tensor_lab_shapes_and_values(qtbot, trained):
    view = feed(TensorLab(), trained, qtbot, wait_eval=False)
    assert view.flow.text() == ("(32, 784) · (784, 512) + (512,) → relu → (32, 512) · (512, 10) + (10,) "
                                "→ softmax → (32, 10)")
    assert view.show_tensor("x·W1 + b1")
    expected = trained["x"][:32] @ trained["w1"][0] + trained["w1"][1]
    assert np.allclose(view.image.image, expected, atol=1e-4)
    assert "shape=(32, 512)" in view.detail.text() and "repeated 32 times" in view.detail.text()
    assert view.show_tensor("b1") and view.image.image.shape == (1, 512)
    assert view.show_tensor("x[0].reshape(28, 28)") and view.image.image.shape == (28, 28)
    assert view.show_tensor("W1.T") and view.image.image.shape == (512, 784)
    lo, hi = view.image.levels
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi
    assert "(32, 10) + (10,)" in view.rules.text()


def test_diverged_weights_do_not_crash(qtbot, trained):
    bad = tuple(np.full_like(w, np.nan) for w in trained["w1"])
    view = feed(TilesView(), trained, qtbot, weights=bad, wait_eval=False)
    assert "not finite" in view.message.text()


def test_the_dock_registry_digits_views_share_one_run(qtbot):
    make = ViewMaker()
    docks = [(s.title, s.name, make(s)) for s in DOCKS if s.suits == IMAGES]
    for _, _, w in docks:
        qtbot.addWidget(w)
    assert len({name for _, name, _ in docks}) == len(docks) == 7
    runs = {id(w.digits) for _, _, w in docks}
    assert len(runs) == 1 and isinstance(docks[0][2].digits, DigitsRun)
    assert all(isinstance(w, View) for _, _, w in docks)


@pytest.mark.parametrize("cls, slot", [(SamplesView, "digits"), (DrawView, "draw"), (TensorLab, "tensor_lab"),
                                       (TilesView, "tiles"), (ConfusionView, "confusion"), (ErrorsView, "errors"),
                                       (DigitMapView, "digit_map")])
def test_digits_views_fit_the_digits_workspace(qtbot, trained, cls, slot):
    view = in_slot(qtbot, cls(), slot)
    first = snapshot(trained["w0"], epoch=0, run=trained["run"])
    view.clear()
    view.set_run(first.run)
    view.add_snapshot(first)
    view.add_snapshot(snapshot(trained["w1"], epochs=(trained["log"],)))
    view.finish()
    assert view.size().toTuple() == SLOTS[slot]        # nothing holds the view larger than its slot
    assert misfits(view) == []
    if cls is DrawView:                                # the answer beside the canvas, not below the fold
        answer = view.answer.mapTo(view, view.answer.rect().bottomLeft())
        assert answer.y() <= view.height() and view.graphics.x() > view.canvas.x()
    if cls is ErrorsView:                              # each mistake's probabilities: a readable plot
        for _, _, bplot, _ in view.cells:
            r = bplot.sceneBoundingRect()
            assert r.width() >= MIN_PLOT[0] and r.height() >= MIN_PLOT[1]


def test_drawing_on_a_smaller_canvas_draws_the_same_digit(qtbot, trained):
    view = feed(DrawView(), trained, qtbot, wait_eval=False)
    view.resize(496, 472)                              # 1024×768: the canvas shown smaller
    qtbot.waitUntil(lambda: view.canvas.width() < view.canvas.side)
    k = view.canvas.width() / view.canvas.side
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(view.canvas, left, pos=QtCore.QPoint(int(140 * k), int(40 * k)))
    qtbot.mouseMove(view.canvas, QtCore.QPoint(int(140 * k), int(240 * k)))
    qtbot.mouseRelease(view.canvas, left, pos=QtCore.QPoint(int(140 * k), int(240 * k)))
    ink = view.canvas.ink()
    rows = np.flatnonzero(ink.max(axis=1) > 0.5)
    assert rows[0] < 50 and rows[-1] > 230             # a stroke from y≈40 to y≈240 of the 280-px drawing


def test_accuracy_history_stays_within_its_budget_on_a_long_run(qtbot, trained):
    """Issue 17, item 5: the accuracy curves kept every epoch's whole log (stats included) for ever.
    Now they keep two numbers an epoch and thin the older epochs past MAX_HISTORY."""
    from viz.views.digits.digits_errors import MAX_HISTORY
    view = feed(ConfusionView(), trained, qtbot)
    n = 3 * MAX_HISTORY
    for e in range(2, n + 1):
        view.add_snapshot(snapshot(trained["w1"], epoch=e, epochs=(dict(trained["log"], epoch=e, stats={"big": 1}),)))
    assert len(view.history) <= MAX_HISTORY
    assert n in view.history and n - 1 in view.history          # the newest stay, every one
    assert set(view.history[n]) <= {"accuracy", "val_accuracy"}
    view.refresh()
    assert view.acc_train.xData[-1] == n and len(view.acc_train.xData) == len(view.history)
