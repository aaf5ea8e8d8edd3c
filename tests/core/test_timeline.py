"""Checkpoints, the timeline's memory budget, and going on bit-identically from any point."""
import numpy as np
import pytest

from core.run.config import TrainingConfig, build_trainer
from core.engine.checkpoint import Checkpoint
from core.run.timeline import Timeline
from core.engine.training import recorded_epoch

CONFIGS = [
    TrainingConfig(n_samples=120, batch_size=7),                                      # adam, tanh
    TrainingConfig(n_samples=120, batch_size=16, optimizer="rmsprop", momentum=0.5,
                   learning_rate=0.01, dropout=0.3, l2=0.001, hidden=((6, "relu"),)),
    TrainingConfig(n_samples=120, batch_size=9, optimizer="sgd", momentum=0.9, nesterov=True,
                   learning_rate=0.05),
    TrainingConfig(n_samples=120, batch_size=12, optimizer="adagrad", learning_rate=0.05),
]


def trainer_for(config):
    t, _ = build_trainer(config)
    t.record = True
    t.reset(restore_weights=False)
    return t


def bits(weights):
    return [np.asarray(w).view(np.uint32).copy() for w in weights]


def same_bits(a, b):
    return all(np.array_equal(x, y) for x, y in zip(bits(a), bits(b))) and len(a) == len(b)


def run_batches(t, n):
    for _ in range(n):
        t.train_batch()


@pytest.mark.parametrize("config", CONFIGS, ids=["adam", "rmsprop-dropout-l2", "nesterov", "adagrad"])
def test_restore_mid_epoch_continues_bit_identically(config):
    reference = trainer_for(config)
    run_batches(reference, 57)
    reference.set_hyperparameter("learning_rate", config.learning_rate / 2)   # a live edit is part of the state
    run_batches(reference, 32)
    mid = reference.checkpoint()
    assert mid.batch > 0 and mid.position > 0          # really in the middle of an epoch
    run_batches(reference, 100)

    other = trainer_for(config)
    run_batches(other, 5)                               # somewhere else entirely
    other.restore(mid, reference.history.history and [{"epoch": e, "loss": 1.0} for e in range(1, mid.epoch + 1)])
    assert other.hyperparameters()["learning_rate"] == pytest.approx(config.learning_rate / 2)
    run_batches(other, 100)
    assert (other.epoch, other.step, other.batch) == (reference.epoch, reference.step, reference.batch)
    assert same_bits(other.model.get_weights(), reference.model.get_weights())
    ref_slots, other_slots = reference.model.optimizer.get_state(), other.model.optimizer.get_state()
    assert ref_slots["iterations"] == other_slots["iterations"]
    assert same_bits(ref_slots["slots"], other_slots["slots"])
    # the epoch metrics after the restore point match too (the partial sums were restored)
    assert other.history.history["loss"][-3:] == reference.history.history["loss"][-3:]


def test_recording_trainer_hands_out_one_checkpoint_per_epoch_and_stats():
    t = trainer_for(CONFIGS[0])
    first = t.snapshot()
    assert [c.epoch for c in first.checkpoints] == [0]
    for _ in range(3):
        t.train_epoch()
    snap = t.snapshot()
    assert [c.epoch for c in snap.checkpoints] == [1, 2, 3]
    assert all("stats" in e for e in snap.epochs)
    assert snap.checkpoints[-1].logs["loss"] == pytest.approx(snap.epochs[-1]["loss"])
    assert not snap.checkpoints[0].weights.flags.writeable
    assert t.snapshot().checkpoints == ()               # consumed


def test_recorded_epochs_thin_by_doubling_after_the_first_255():
    picked = [e for e in range(1, 2049) if recorded_epoch(e)]
    assert picked[:255] == list(range(1, 256))
    assert [e for e in picked if 256 <= e < 520] == list(range(256, 512, 2)) + list(range(512, 520, 4))
    assert [e for e in picked if 1024 <= e <= 2048] == list(range(1024, 2048, 8)) + [2048]
    assert 255 + 128 * 3 <= len(picked) <= 255 + 128 * 3 + 1      # ~128 per doubling of the run


def test_a_long_run_records_the_picked_epochs_and_always_the_last(monkeypatch):
    import core.engine.training as training
    monkeypatch.setattr(training, "RECORD_EVERY_EPOCH_BELOW", 4)   # 4 epochs stand for 256
    t = trainer_for(CONFIGS[0])
    t.epochs = 11
    t.snapshot()
    while t.train_epoch():
        pass
    snap = t.snapshot()
    assert [c.epoch for c in snap.checkpoints] == [1, 2, 3, 4, 6, 8, 11]   # 11: the last, always
    assert [e["epoch"] for e in snap.epochs if "stats" in e] == [1, 2, 3, 4, 6, 8, 11]
    assert [e["epoch"] for e in snap.epochs] == list(range(1, 12))          # every epoch's metrics


def test_epoch_checkpoint_restores_the_epoch_weights():
    t = trainer_for(CONFIGS[0])
    t.train_epoch()
    t.train_epoch()
    ck = t.snapshot().checkpoints[-1]
    expect = t.model.get_weights()
    t.train_epoch()
    t.restore(ck)
    assert same_bits(t.model.get_weights(), expect) and t.epoch == 2 and t.batch == 0


def test_restore_refuses_another_architecture():
    t = trainer_for(CONFIGS[0])
    other = trainer_for(CONFIGS[1])
    with pytest.raises(ValueError, match="shapes"):
        t.restore(other.checkpoint())


def _fake(epoch, n=1000):
    return Checkpoint(epoch=epoch, step=epoch * 10, batch=0, position=0, partial=(0.0, 0, 0),
                      weights=np.full(n, epoch, np.float32), shapes=((n,),),
                      optimizer={"iterations": epoch * 10, "slots": [np.zeros(n, np.float32)]},
                      rng={"order": None, "model": None}, logs={"loss": 1.0 / (epoch + 1)})


def test_timeline_keeps_everything_within_budget():
    tl = Timeline(budget=100 * 2**20)
    for e in range(50):
        tl.add(_fake(e))
    assert tl.epochs() == list(range(50))
    assert tl.nbytes == sum(c.nbytes for c in tl)
    assert tl.at(17).epoch == 17


def test_timeline_thins_to_its_budget_and_spans_the_whole_run():
    one = _fake(0).nbytes
    tl = Timeline(budget=20 * one)
    for e in range(1001):
        tl.add(_fake(e))
        assert tl.nbytes <= tl.budget
    epochs = tl.epochs()
    assert epochs[0] == 0 and epochs[-1] == 1000 and len(epochs) <= 20
    steps = np.diff(epochs[:-1])
    assert len(set(steps)) == 1                          # an even stride, a power of two
    assert tl.stride == steps[0] and tl.stride & (tl.stride - 1) == 0
    assert tl.at(999).epoch == epochs[-2]                # nearest kept epoch from below
    tl.budget = 5 * one                                  # the user lowers the budget: thinned at once
    assert tl.nbytes <= 5 * one and tl.epochs()[0] == 0 and tl.epochs()[-1] == 1000


def test_timeline_truncate_and_branch():
    tl = Timeline()
    for e in range(10):
        tl.add(_fake(e))
    tl.truncate(4)
    assert tl.epochs() == [0, 1, 2, 3, 4]
    tl.add(_fake(5))
    tl.add(_fake(3))                                     # an earlier epoch: a new branch replaces the tail
    assert tl.epochs() == [0, 1, 2, 3]
    assert tl.logs()[-1]["epoch"] == 3


def test_timeline_errors():
    with pytest.raises(ValueError, match="budget"):
        Timeline(budget=0)
    with pytest.raises(ValueError, match="empty"):
        Timeline().at(3)
    with pytest.raises(ValueError, match="Checkpoint"):
        Timeline().add("epoch 3")


def test_default_network_1000_epochs_fit_in_50_mb():
    t = trainer_for(TrainingConfig())
    ck = t.snapshot().checkpoints[0]
    stats_bytes = 4096                                   # a generous bound for the per-epoch stats dict
    assert 1000 * (ck.nbytes + stats_bytes) < 50 * 2**20
