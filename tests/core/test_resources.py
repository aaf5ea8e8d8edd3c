"""core.run.resources: the memory estimate against hand counts, and refusal of runs that cannot fit."""
from __future__ import annotations

import pytest

from core.run import resources
from core.run.config import TrainingConfig
from core.run.resources import (FLOAT, LABEL, available_bytes, check_fits, config_errors, data_shape, estimate_bytes,
                            estimate_parts, format_bytes)


def test_parts_match_a_hand_count_for_the_default_network():
    cfg = TrainingConfig()                         # 2 -> 16 tanh -> 16 tanh -> 1 sigmoid, Adam, batch 32
    params = (2 * 16 + 16) + (16 * 16 + 16) + (16 * 1 + 1)
    assert params == 337
    parts = estimate_parts(cfg, n_train=320, input_dim=2, n_classes=2, n_val=80)
    assert parts["weights"] == 4 * params * FLOAT
    assert parts["optimizer"] == 3 * params * FLOAT              # Adam: m, v and a scratch buffer
    units, grid = 16 + 16 + 1, 64 ** 2
    assert parts["activations"] == (4 * 32 + 3 * grid) * units * FLOAT + grid * 2 * FLOAT
    assert parts["data"] == 400 * (2 * FLOAT + LABEL)
    assert estimate_bytes(cfg, 320, 2, 2, 80) == sum(parts.values())


@pytest.mark.parametrize("optimizer, momentum, slots", [("sgd", 0.0, 0), ("sgd", 0.9, 1), ("rmsprop", 0.0, 1),
                                                        ("rmsprop", 0.5, 2), ("adagrad", 0.0, 1), ("adam", 0.0, 2)])
def test_optimizer_slots(optimizer, momentum, slots):
    cfg = TrainingConfig(optimizer=optimizer, momentum=momentum, hidden=())
    params = 2 + 1
    assert estimate_parts(cfg, 10, 2, 2)["optimizer"] == (slots + 1) * params * FLOAT


def test_no_bias_and_softmax_outputs():
    cfg = TrainingConfig(hidden=((3, "relu"),), use_bias=False, loss="sparse_categorical_crossentropy")
    assert estimate_parts(cfg, 10, 4, 10)["weights"] == 4 * (4 * 3 + 3 * 10) * FLOAT


def test_a_too_big_network_is_refused_with_the_sizes():
    cfg = TrainingConfig(hidden=((4096, "relu"),) * 16, dataset="mnist", n_samples=0, batch_size=128)
    need = estimate_bytes(cfg, 60_000, 784, 10, 10_000)
    assert need > 4e9
    with pytest.raises(ValueError, match=r"^This network needs about \d+\.\d GB \(weights .*\); this computer "
                                         r"has 2\.0 GB available\. "):
        check_fits(cfg, 60_000, 784, 10, 10_000, available=2 * 10**9)
    assert check_fits(cfg, 60_000, 784, 10, 10_000, available=10 * need) == need


def test_config_errors_mark_hidden_only_when_it_does_not_fit(monkeypatch):
    big = TrainingConfig(hidden=((4096, "relu"),) * 4, n_samples=1000)
    assert big.errors() == {}                      # this machine has the ~0.9 GB it needs
    monkeypatch.setattr(resources, "available_bytes", lambda: 100 * 10**6)
    errors = big.errors()
    assert list(errors) == ["hidden"]
    assert errors["hidden"].startswith("This network needs about ") and "100.0 MB available" in errors["hidden"]
    with pytest.raises(ValueError, match="This network needs about"):
        big.validate()
    assert TrainingConfig().errors() == {}         # the default still fits in 100 MB
    # an invalid config reports its own error, not a memory estimate
    assert list(TrainingConfig(learning_rate=-1.0, hidden=big.hidden).errors()) == ["learning_rate"]


def test_unknown_memory_refuses_nothing(monkeypatch):
    monkeypatch.setattr(resources, "available_bytes", lambda: None)
    config_errors(TrainingConfig(hidden=((4096, "relu"),) * 16))


def test_available_bytes_reads_this_machine():
    n = available_bytes()
    assert n is None or n > 10**7


def test_data_shape_without_loading():
    assert data_shape(TrainingConfig(n_samples=400, validation_split=0.2)) == (320, 80, 2, 2)
    assert data_shape(TrainingConfig(dataset="paper_ball", n_samples=100, validation_split=0.5)) == (50, 50, 3, 2)
    assert data_shape(TrainingConfig(dataset="mnist", n_samples=0, loss="sparse_categorical_crossentropy")) \
        == (60_000, 10_000, 784, 10)
    assert data_shape(TrainingConfig(dataset="mnist_sample", n_samples=100, batch_size=10)) == (100, 1000, 784, 10)
    assert data_shape(TrainingConfig(csv_path="x.csv")) is None


def test_format_and_bad_arguments():
    assert [format_bytes(n) for n in (38.2e9, 5e8, 1500, 12)] == ["38.2 GB", "500.0 MB", "1.5 kB", "12 bytes"]
    with pytest.raises(ValueError, match="Argument `input_dim` must be an integer"):
        estimate_bytes(TrainingConfig(), 10, 0, 2)
