"""The 1D slice's next step: the trainer's own next update when its state is known, else gradient descent."""
from __future__ import annotations

import numpy as np
import pytest

from core.run.config import TrainingConfig
from views_support import start


def _slice_view(qtbot, config):
    from viz.views.loss.slice1d import SliceView
    view = SliceView()
    qtbot.addWidget(view)
    run, first = start(config)
    view.set_run(first.run)
    view.add_snapshot(first)
    for _ in range(5):
        run.trainer.train_batch()
    return view, run


@pytest.mark.parametrize("optimizer, label", [
    ("adam", "next step (Adam, with its momentum and step sizes)"),
    ("rmsprop", "next step (RMSprop, with its running mean of squared gradients and momentum 0.5)"),
    ("sgd", "next step (SGD with momentum 0.5, with its velocity)")])
def test_slice_arrow_is_the_trainers_next_update_when_paused(qtbot, optimizer, label):
    from core.analysis.loss.landscape import flatten
    view, run = _slice_view(qtbot, TrainingConfig(n_samples=200, grid_resolution=16, optimizer=optimizer,
                                                  momentum=0.5, batch_size=16))
    paused = run.snapshot(checkpoint=True)
    view.add_snapshot(paused)
    assert view.compute()
    view.wait()
    assert view.step_text == label and view.legend.items[-1][1].text == label
    assert "exactly the trainer's next update: batch 6 of epoch 1, 16 samples" in view.readout.text()
    step = view.next_step()
    before = flatten(paused.weights)
    run.trainer.train_batch()                       # the update the arrow announced, bit for bit
    np.testing.assert_array_equal(before + step, flatten(run.trainer.model.get_weights()))
    s = view.slice                                  # drawn along that step: it lands at t = |step|
    assert s.step == pytest.approx(np.linalg.norm(step))


def test_slice_arrow_is_gradient_descent_while_playing_and_on_a_partial_training_set(qtbot):
    view, run = _slice_view(qtbot, TrainingConfig(n_samples=200, grid_resolution=16, batch_size=10))
    view.add_snapshot(run.snapshot())            # no checkpoint: playing
    assert view.compute()
    view.wait()
    assert view.step_text == "next step (gradient descent)"
    assert "state is known only when training is paused" in view.readout.text()
    lr = run.trainer.hyperparameters()["learning_rate"]
    grads = flatten_grads(view)
    np.testing.assert_allclose(view.next_step(), -lr * grads, rtol=2e-3, atol=1e-7)
    view._train = None                              # as with MNIST: only part of the training set sent
    view.add_snapshot(run.snapshot(checkpoint=True))
    assert view.compute()
    view.wait()
    assert view.step_text.startswith("next step (Adam")
    assert "the trainer's next batch is not in the view" in view.readout.text()


def flatten_grads(view):
    from core.analysis.loss.landscape import flatten
    view._model.set_weights(view._weights)
    return flatten(view._model.gradients(view._x, view._y))
