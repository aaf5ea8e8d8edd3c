"""Tests for core.engine.optimizers' interface: Keras defaults, config round trips, state save/restore,
validation with Keras-style messages, ``get`` and the public names (the update rules: test_optimizers.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.engine import optimizers as opt_mod
from core.engine.optimizers import OPTIMIZERS, SGD, Adagrad, Adam, Optimizer, RMSprop, get
from optimizer_support import ALL, GRADS, W0, fresh_params


def test_defaults_match_keras():
    assert SGD().get_config() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0,
                                  "nesterov": False}
    assert RMSprop().get_config() == {"name": "rmsprop", "learning_rate": 0.001, "rho": 0.9,
                                      "momentum": 0.0, "epsilon": 1e-7}
    assert Adagrad().get_config() == {"name": "adagrad", "learning_rate": 0.001,
                                      "initial_accumulator_value": 0.1, "epsilon": 1e-7}
    assert Adam().get_config() == {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9,
                                   "beta_2": 0.999, "epsilon": 1e-7}


@pytest.mark.parametrize("make", ALL)
def test_config_round_trip_is_json_safe(make):
    opt = make()
    cfg = opt.get_config()
    cfg2 = json.loads(json.dumps(cfg))
    for clone in (type(opt).from_config(cfg2), Optimizer.from_config(cfg2), get(cfg2)):
        assert type(clone) is type(opt) and clone is not opt
        assert clone.get_config() == cfg


def test_from_config_rejects_bad_configs():
    with pytest.raises(ValueError, match="'sgd', 'rmsprop', 'adagrad', 'adam'.*'nadam'"):
        Optimizer.from_config({"name": "nadam"})
    with pytest.raises(ValueError, match="'adam'.*Received.*'sgd'"):
        Adam.from_config({"name": "sgd", "learning_rate": 0.1})
    with pytest.raises(ValueError, match="beta_3"):
        Adam.from_config({"name": "adam", "beta_3": 0.1})
    with pytest.raises(ValueError, match="learning_rate=-1"):
        get({"name": "adam", "learning_rate": -1})


@pytest.mark.parametrize("make", ALL)
def test_get_state_set_state_resumes_bit_identically(make):
    a, wa = make(), fresh_params()
    for g in GRADS[:3]:
        a.apply(wa, g)
    state = a.get_state()
    wb = [w.copy() for w in wa]
    b = make()                                                  # fresh, unbuilt
    b.set_state(state)
    assert b.iterations == 3
    for s in state["slots"]:                                    # state holds copies
        s += 1000.0
    for g in GRADS[3:]:
        a.apply(wa, g)
        b.apply(wb, g)
    assert a.iterations == b.iterations == 6
    for x, y in zip(wa, wb):
        assert np.array_equal(x, y)
    for x, y in zip(a.get_state()["slots"], b.get_state()["slots"]):
        assert np.array_equal(x, y)


def test_set_state_into_built_optimizer_and_bad_states():
    a, b = Adam(0.01), Adam(0.01)
    wa, wb = fresh_params(), fresh_params()
    a.apply(wa, GRADS[0])
    b.apply(wb, GRADS[1]), b.apply(wb, GRADS[2])
    b.set_state(a.get_state())
    assert b.iterations == 1
    assert all(np.array_equal(x, y) for x, y in zip(a.get_state()["slots"],
                                                         b.get_state()["slots"]))
    assert len(a.get_state()["slots"]) == 2 * len(W0)
    with pytest.raises(ValueError, match="iterations"):
        b.set_state({"iterations": -1, "slots": []})
    good = b.get_state()
    bad_states = [{"iterations": 1, "slots": [np.zeros(3, np.float32)]},
                  {"iterations": 1, "slots": [np.zeros(3, np.float32), np.zeros(4, np.float32)]},
                  {"iterations": 1, "slots": [np.zeros(3, np.float32), np.zeros(3, np.float64)]}]
    for bad in bad_states:
        with pytest.raises(ValueError, match="2 arrays of one shape and dtype per parameter"):
            b.set_state(bad)
    with pytest.raises(ValueError, match="`state`"):
        b.set_state([1, 2])
    after = b.get_state()                                       # failed restores changed nothing
    assert after["iterations"] == good["iterations"]
    assert all(np.array_equal(x, y) for x, y in zip(after["slots"], good["slots"]))
    b.set_state({"iterations": 0, "slots": []})
    assert b.get_state() == {"iterations": 0, "slots": []}


def test_reset_and_rebuild_on_shape_change():
    opt = Adam(0.01)
    opt.apply([np.ones(3, np.float32)], [np.ones(3, np.float32)])
    w = np.ones((2, 2), np.float32)
    opt.apply([w], [np.ones((2, 2), np.float32)])               # new shapes -> rebuild
    assert [s.shape for s in opt.get_state()["slots"]] == [(2, 2), (2, 2)]
    assert opt.iterations == 2
    opt.reset()
    assert opt.get_state() == {"iterations": 0, "slots": []}


def test_apply_rejects_mismatched_inputs():
    opt = SGD()
    with pytest.raises(ValueError, match="len\\(params\\)=1, len\\(grads\\)=2"):
        opt.apply([np.ones(2, np.float32)], [np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match=r"grads\[0\].shape=\(3,\)"):
        opt.apply([np.ones(2, np.float32)], [np.ones(3)])
    with pytest.raises(ValueError, match="floating-point"):
        opt.apply([np.ones(2, dtype=np.int64)], [np.ones(2)])
    with pytest.raises(ValueError, match="floating-point"):
        opt.apply([[1.0, 2.0]], [np.ones(2)])


BAD = [
    (SGD, "learning_rate", 0), (SGD, "learning_rate", -0.1), (SGD, "learning_rate", float("nan")),
    (SGD, "learning_rate", float("inf")), (SGD, "learning_rate", True), (SGD, "learning_rate", "1"),
    (SGD, "momentum", 1.5), (SGD, "momentum", -0.1), (SGD, "nesterov", 1), (SGD, "nesterov", "yes"),
    (RMSprop, "rho", 1.0), (RMSprop, "rho", -0.5), (RMSprop, "momentum", 1.5),
    (RMSprop, "epsilon", 0), (Adagrad, "initial_accumulator_value", -1.0),
    (Adagrad, "epsilon", -1e-7), (Adam, "beta_1", 1.0), (Adam, "beta_2", 1.0),
    (Adam, "beta_2", float("nan")), (Adam, "learning_rate", -0.1),
]


@pytest.mark.parametrize("cls,name,value", BAD)
def test_bad_hyperparameters_raise_keras_style(cls, name, value):
    pattern = f"Argument `{name}` must .*Received: {name}={value!r}"
    with pytest.raises(ValueError, match=pattern.replace("(", r"\(").replace(")", r"\)")):
        cls(**{name: value})
    opt = cls()
    before = getattr(opt, name)
    with pytest.raises(ValueError, match=f"`{name}`"):
        setattr(opt, name, value)
    with pytest.raises(ValueError, match=f"`{name}`"):
        opt.set_hyperparameter(name, value)
    assert getattr(opt, name) == before                         # unchanged after failure


def test_exact_learning_rate_message():
    with pytest.raises(ValueError) as info:
        SGD(learning_rate=-0.1)
    assert str(info.value) == "Argument `learning_rate` must be > 0. Received: learning_rate=-0.1"


def test_boundary_values_are_accepted():
    assert SGD(momentum=1.0).momentum == 1.0
    assert SGD(momentum=0).momentum == 0.0
    assert RMSprop(rho=0.0).rho == 0.0
    assert Adam(beta_1=0.0, beta_2=0.0).beta_2 == 0.0
    assert Adagrad(initial_accumulator_value=0).initial_accumulator_value == 0.0
    assert SGD(nesterov=np.True_).nesterov is True


def test_unknown_hyperparameter_lists_allowed():
    with pytest.raises(ValueError, match="'learning_rate', 'rho', 'momentum', 'epsilon'.*name='beta_1'"):
        RMSprop().set_hyperparameter("beta_1", 0.5)


def test_get_resolves_identifiers():
    for name, cls in [("sgd", SGD), ("SGD", SGD), ("RMSprop", RMSprop), ("adagrad", Adagrad),
                      ("Adam", Adam)]:
        opt = get(name)
        assert type(opt) is cls and opt.get_config() == cls().get_config()
    assert get("adam") is not get("adam")
    inst = SGD(0.3)
    assert get(inst) is inst
    assert set(OPTIMIZERS) == {"sgd", "rmsprop", "adagrad", "adam"}
    for bad in ("adamw", "", 42, None, SGD):
        with pytest.raises(ValueError, match="'sgd', 'rmsprop', 'adagrad', 'adam'.*Received"):
            get(bad)


def test_public_api():
    assert set(opt_mod.__all__) == {"Optimizer", "SGD", "RMSprop", "Adagrad", "Adam",
                                    "OPTIMIZERS", "get"}
    assert [OPTIMIZERS[n].name for n in OPTIMIZERS] == list(OPTIMIZERS)
    assert repr(SGD()) == "SGD(learning_rate=0.01, momentum=0.0, nesterov=False)"


def test_hyperparameters_are_read_off_the_constructors_with_keras_names_and_defaults():
    assert dict(SGD.HYPERPARAMETERS) == {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    assert dict(RMSprop.HYPERPARAMETERS) == {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0,
                                             "epsilon": 1e-7}
    assert dict(Adagrad.HYPERPARAMETERS) == {"learning_rate": 0.001, "initial_accumulator_value": 0.1,
                                             "epsilon": 1e-7}
    assert dict(Adam.HYPERPARAMETERS) == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                          "epsilon": 1e-7}
    for cls in OPTIMIZERS.values():     # the table is what get_config and the constructor use
        assert cls().get_config() == {"name": cls.name, **cls.HYPERPARAMETERS}
        with pytest.raises(TypeError):
            cls.HYPERPARAMETERS["learning_rate"] = 1.0          # read-only


def test_a_subclass_gets_its_own_table():
    class Slow(SGD):
        name = "slow"

        def __init__(self, learning_rate=0.5, momentum=0.25):
            super().__init__(learning_rate, momentum)

    assert dict(Slow.HYPERPARAMETERS) == {"learning_rate": 0.5, "momentum": 0.25}
    assert Slow().get_config() == {"name": "slow", "learning_rate": 0.5, "momentum": 0.25}
    assert "nesterov" in SGD.HYPERPARAMETERS


def test_check_hyperparameter_validates_without_an_instance():
    assert RMSprop.check_hyperparameter("rho", 0.5) == 0.5
    assert SGD.check_hyperparameter("nesterov", np.True_) is True
    with pytest.raises(ValueError, match=r"Argument `rho` must be in the range \[0, 1\)\. Received: rho=1\.0"):
        RMSprop.check_hyperparameter("rho", 1.0)
    with pytest.raises(ValueError, match="Argument `nesterov` must be True or False. Received: nesterov=1"):
        SGD.check_hyperparameter("nesterov", 1)
    with pytest.raises(ValueError, match="'learning_rate', 'beta_1', 'beta_2', 'epsilon' for Adam.*name='rho'"):
        Adam.check_hyperparameter("rho", 0.5)


def test_the_run_config_reads_its_optimizer_fields_off_the_classes():
    from core.run.config import LIVE_FIELDS, TrainingConfig, make_optimizer, optimizer_fields
    assert {name: optimizer_fields(name) for name in OPTIMIZERS} == {
        "sgd": ("learning_rate", "momentum", "nesterov"), "rmsprop": ("learning_rate", "momentum", "rho"),
        "adagrad": ("learning_rate",), "adam": ("learning_rate", "beta_1", "beta_2")}
    assert optimizer_fields() == ("learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2")
    assert LIVE_FIELDS == {"batch_size", "epochs", *optimizer_fields()}
    cfg = TrainingConfig(optimizer="rmsprop", learning_rate=0.5, rho=0.8, momentum=0.25, beta_1=0.3)
    assert make_optimizer(cfg).get_config() == {"name": "rmsprop", "learning_rate": 0.5, "rho": 0.8,
                                                "momentum": 0.25, "epsilon": 1e-7}     # not a field: default
    for name, cls in OPTIMIZERS.items():
        made = make_optimizer(TrainingConfig(optimizer=name, learning_rate=0.125, momentum=0.5))
        assert type(made) is cls and made.learning_rate == 0.125
        assert made.get_config().keys() == {"name", *cls.HYPERPARAMETERS}


@pytest.mark.parametrize("field, value, cls", [("rho", 1.0, RMSprop), ("beta_2", -0.1, Adam),
                                               ("momentum", 1.5, SGD), ("learning_rate", 0.0, Adam)])
def test_the_run_config_validates_optimizer_fields_by_the_classes_rules(field, value, cls):
    from core.run.config import TrainingConfig
    with pytest.raises(ValueError) as info:
        cls.check_hyperparameter(field, value)
    # checked whichever optimizer is chosen: every optimizer that has the field must accept it
    assert TrainingConfig(optimizer="adagrad", **{field: value}).errors() == {field: str(info.value)}


def test_the_run_config_keeps_nesterov_a_plain_bool():
    from core.run.config import TrainingConfig
    assert TrainingConfig(nesterov=True).errors() == {}
    for bad in (np.True_, 1, "yes"):      # a NumPy bool is an SGD argument, not JSON
        assert TrainingConfig(nesterov=bad).errors()["nesterov"].startswith("Argument `nesterov` must be True or False")
