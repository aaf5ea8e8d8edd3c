"""Issue 20: the regression data sets, the regression config and real-valued CSV labels."""
import numpy as np
import pytest

from core import datasets
from core.datasets import REGRESSION_DIMENSIONS, REGRESSION_GENERATORS, csv_task, read_csv
from core.datasets.regression import TARGETS, make_regression
from core.run.config import (REGRESSION_LOSSES, TASKS, TrainingConfig, build_trainer, dataset_names,
                             is_regression, load_data)


# --------------------------------------------------------------------------- data sets
@pytest.mark.parametrize("name", list(REGRESSION_GENERATORS))
def test_each_set_has_the_documented_shapes_range_and_dtype(name):
    x, y = REGRESSION_GENERATORS[name](n=300, noise=0.1, seed=3)
    assert x.shape == (300, REGRESSION_DIMENSIONS[name]) and y.shape == (300,)
    assert x.dtype == np.float32 and y.dtype == np.float32 and x.flags.c_contiguous
    assert -1.5 <= x.min() and x.max() <= 1.5
    assert np.abs(y).max() < 2.0
    assert y.std() > 0.2        # a target that varies, not a constant


@pytest.mark.parametrize("name", list(REGRESSION_GENERATORS))
def test_same_seed_same_data_and_noise_is_added_to_the_clean_target(name):
    x, y = make_regression(name, n=100, noise=0.2, seed=7)
    x2, y2 = make_regression(name, n=100, noise=0.2, seed=7)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    assert not np.array_equal(x, make_regression(name, n=100, noise=0.2, seed=8)[0])
    xc, yc = make_regression(name, n=100, noise=0.0, seed=7)
    assert np.array_equal(x, xc)                                         # one stream: x first, then noise
    np.testing.assert_allclose(yc, TARGETS[name](x.astype(np.float64)), atol=1e-6)
    assert 0.1 < np.std(y - yc) < 0.3


def test_the_targets_are_the_documented_functions():
    x = np.array([[-1.0, 0.5], [0.0, 0.0], [0.5, -1.0]])
    np.testing.assert_allclose(TARGETS["sine"](x), np.sin(3 * x[:, 0]))
    np.testing.assert_allclose(TARGETS["step"](x), [-1, 1, 1])
    np.testing.assert_allclose(TARGETS["abs"](x), [0.25, -0.75, -0.25])
    np.testing.assert_allclose(TARGETS["poly"](x), x[:, 0] ** 3 - 1.5 * x[:, 0])
    np.testing.assert_allclose(TARGETS["plane"](x), 0.6 * x[:, 0] + 0.4 * x[:, 1])
    np.testing.assert_allclose(TARGETS["saddle"](x), (x[:, 0] ** 2 - x[:, 1] ** 2) / 1.5)
    assert TARGETS["bumps"](np.array([[0.7, 0.7]]))[0] > 0.9 > -0.9 > TARGETS["bumps"](np.array([[0.7, -0.7]]))[0]


@pytest.mark.parametrize("kwargs,pattern", [
    ({"n": 1}, r"Argument `n` must be an integer >= 2\. Received: n=1"),
    ({"n": 2.5}, r"Argument `n` must be an integer"),
    ({"noise": -0.1}, r"Argument `noise` must be >= 0\. Received: noise=-0\.1"),
    ({"seed": -1}, r"Argument `seed` must be an integer >= 0 or None\. Received: seed=-1"),
])
def test_bad_arguments_are_refused_keras_style(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        REGRESSION_GENERATORS["sine"](**kwargs)


def test_an_unknown_name_is_refused_naming_the_sets():
    with pytest.raises(ValueError, match=r"one of 'sine', 'step', .*'saddle'\. Received: name='spiral'"):
        make_regression("spiral")
    assert datasets.make("spiral", n=10)[1].dtype == np.int32        # classification names still work


# --------------------------------------------------------------------------- config
def test_a_regression_config_trains_one_linear_unit_on_float_targets_logging_mae():
    config = TrainingConfig(task="regression", dataset="sine", loss="mse", n_samples=200, epochs=2)
    assert is_regression(config) and not is_regression(TrainingConfig())
    trainer, ((x_tr, y_tr), (x_val, y_val)) = build_trainer(config)
    assert y_tr.dtype == np.float32 and y_tr.shape == (160,) and y_val.shape == (40,)
    last = trainer.model.layers[-1]
    assert (last.units, last.activation.name, last.fused) == (1, "linear", True)
    history = trainer.fit(verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    p = trainer.model.predict(x_val)[:, 0]
    assert history.history["val_mae"][-1] == pytest.approx(np.mean(np.abs(p - y_val)), rel=1e-5)
    assert history.history["val_loss"][-1] == pytest.approx(np.mean((p - y_val) ** 2), rel=1e-5)


def test_the_split_of_real_targets_holds_out_the_validation_share():
    (x_tr, _), (x_val, _) = load_data(TrainingConfig(task="regression", dataset="bumps", n_samples=101,
                                                     validation_split=0.3, loss="huber"))
    assert (len(x_tr), len(x_val)) == (71, 30)


def test_dataset_names_per_task():
    assert TASKS == ("classification", "regression") and REGRESSION_LOSSES == ("mse", "mae", "huber")
    assert dataset_names("regression") == list(REGRESSION_GENERATORS)
    assert "spiral" in dataset_names("classification") and "sine" not in dataset_names("classification")
    assert set(dataset_names()) == set(dataset_names("classification")) | set(dataset_names("regression"))


@pytest.mark.parametrize("changes,field,pattern", [
    ({"task": "regression", "dataset": "spiral", "loss": "mse"}, "dataset",
     r"Data set 'spiral' is a classification data set; the task 'regression' needs one of 'sine', "
     r".*'saddle' \(or a CSV file\)"),
    ({"task": "regression", "dataset": "sine", "loss": "binary_crossentropy"}, "loss",
     r"Loss 'binary_crossentropy' is a classification loss; the task 'regression' needs one of "
     r"'mse', 'mae', 'huber'"),
    ({"dataset": "sine"}, "dataset", r"Data set 'sine' is a regression data set; the task 'classification'"),
    ({"loss": "huber"}, "loss", r"Loss 'huber' is a regression loss; the task 'classification' needs one of "
                                r"'binary_crossentropy'"),
    ({"task": "regresion"}, "task", r"Argument `task` must be one of 'classification', 'regression'\. "
                                    r"Received: task='regresion'"),
    ({"task": "regression", "dataset": "mnist", "loss": "mse"}, "dataset", r"'mnist' is a classification"),
])
def test_a_task_that_does_not_match_is_refused_naming_both(changes, field, pattern):
    errors = TrainingConfig(**changes).errors()
    assert field in errors
    assert pytest.raises(ValueError, TrainingConfig(**changes).validate).match(pattern)


def test_an_old_config_without_task_loads_as_classification():
    d = TrainingConfig().to_dict()
    del d["task"]
    assert TrainingConfig.from_dict(d).task == "classification"
    config = TrainingConfig(task="regression", dataset="saddle", loss="mae")
    assert TrainingConfig.from_json(config.to_json()) == config


# --------------------------------------------------------------------------- CSV
def _csv(tmp_path, values, name="r.csv"):
    path = tmp_path / name
    path.write_text("x1,x2,target\n" + "".join(f"{i * 0.1:g},{(i * 7) % 5},{v}\n" for i, v in enumerate(values)))
    return str(path)


def test_a_real_valued_label_column_is_regression_and_trains(tmp_path):
    path = _csv(tmp_path, [round(0.37 * i - 3.1, 3) for i in range(40)])
    assert csv_task(path) == "regression"
    data = read_csv(path, regression=True)
    assert data.real_valued and data.y.dtype == np.float32 and data.y[1] == pytest.approx(-2.73)
    config = TrainingConfig(csv_path=path, task="regression", loss="mse", batch_size=8, epochs=1)
    trainer, ((_, y_tr), _) = build_trainer(config)
    assert y_tr.dtype == np.float32 and len(y_tr) == 32
    assert "val_mae" in trainer.fit(verbose=0).history


def test_a_whole_number_label_column_is_classification(tmp_path):
    path = _csv(tmp_path, [i % 2 for i in range(40)])
    assert csv_task(path) == "classification"
    assert not read_csv(path).real_valued


def test_a_real_valued_label_column_with_classification_says_to_choose_regression(tmp_path):
    path = _csv(tmp_path, [0.5 * i for i in range(40)])
    with pytest.raises(ValueError, match=r"'0\.5' is not an integer label.*choose the task Regression"):
        load_data(TrainingConfig(csv_path=path))
