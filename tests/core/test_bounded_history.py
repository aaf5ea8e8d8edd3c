"""Issue 17, item 5: a trainer that trains until told to stop (the app's) keeps a bounded history;
one with a set number of epochs keeps every epoch, as Keras's ``fit`` does."""
from __future__ import annotations

import numpy as np

import core
from core.engine import training
from core.engine.training import Trainer


def _tiny_trainer(epochs=None):
    model = core.Sequential([core.Dense(1, "sigmoid", input_shape=(2,))], seed=0)
    model.compile(core.engine.optimizers.SGD(0.1), "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    return Trainer(model, x, y, batch_size=8, epochs=epochs)          # one batch an epoch


def test_an_endless_trainer_keeps_the_newest_epochs_only(monkeypatch):
    monkeypatch.setattr(training, "ENDLESS_HISTORY", 50)
    t = _tiny_trainer()
    for _ in range(1_000):
        t.train_batch()
    h = t.history
    assert 50 <= len(h.epoch) < 100                      # not 1,000
    assert h.epoch[-1] == 999 and h.epoch == list(range(h.epoch[0], 1_000))
    assert all(len(v) == len(h.epoch) for v in h.history.values())


def test_a_trainer_with_set_epochs_keeps_them_all(monkeypatch):
    monkeypatch.setattr(training, "ENDLESS_HISTORY", 50)
    t = _tiny_trainer(epochs=300)
    history = t.fit(verbose=0)
    assert history.epoch == list(range(300)) and len(history.history["loss"]) == 300
