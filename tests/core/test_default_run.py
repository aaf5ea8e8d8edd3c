"""The default run stays good when left running (issue 16, "watchable by default").

The 3,000-epoch check over many seeds is ``bench/default_run.py``; here two seeds train 600
epochs (~2 s each) with the real engine. The old default (8-8 tanh, Adam lr 0.03, batches of
10) fails this: seed 0 fell to 71 % validation accuracy after epoch 300, seed 2 to 78 %.
"""
import pytest

from core.run.config import TrainingConfig, build_trainer
from core.run.presets import get_preset

FORMED_BY = 300      # epochs: the boundary has formed (>= 95 % validation accuracy) by then


@pytest.mark.parametrize("seed", [0, 2])
def test_the_default_run_learns_the_spiral_and_does_not_unlearn_it(seed):
    trainer, _ = build_trainer(TrainingConfig(seed=seed, epochs=600))
    trainer.fit(verbose=0)
    val = trainer.history.history["val_accuracy"]
    loss = trainer.history.history["loss"]
    assert trainer.state == "finished" and len(val) == 600
    first = next(i + 1 for i, a in enumerate(val) if a >= 0.95)
    assert first <= FORMED_BY
    assert min(val[FORMED_BY:]) >= 0.95, "no collapse once learned"
    assert val[-1] >= 0.97
    assert max(loss[FORMED_BY:]) < 0.05, "no loss spike once learned"


def test_the_default_preset_is_the_default_run_and_says_why_it_stays_good():
    preset = get_preset("spiral")
    assert preset.config == TrainingConfig()
    c = preset.config
    assert (c.dataset, c.hidden, c.optimizer, c.learning_rate, c.batch_size) == (
        "spiral", ((16, "tanh"), (16, "tanh")), "adam", 0.01, 32)
    assert "16-16 tanh" in preset.description and "learning rate 0.01" in preset.description
    assert "batches of 32" in preset.description and "unlearning" in preset.description
