"""Show code's CSV reader picks the app's rows: the label column, the sample cap and the label check
(issue 17: the script trains on the same rows as the app)."""
import numpy as np
import pytest

from core.datasets.tabular import read_csv
from core.run.codegen_data import data_imports, data_lines
from core.run.config import TrainingConfig, csv_rows, load_data


def script_namespace(config):
    """The data part of the generated script for ``config``, run: its functions and constants."""
    source = "\n".join(data_imports(config) + [f"SEED = {config.seed}"] + data_lines(config, "keras"))
    ns = {"__name__": "generated"}
    exec(compile(source, "<script>", "exec"), ns)
    return ns


def write_csv(path, header, rows, label_at=-1, labels=(0, 1), seed=0):
    """``rows`` rows of two features and a label from ``labels``, the label in column ``label_at``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2)).round(4)
    y = rng.choice(labels, size=rows)
    lines = [header] if header else []
    for (a, b), c in zip(x, y):
        cells = [f"{a}", f"{b}"]
        cells.insert(label_at if label_at >= 0 else len(cells) + 1 + label_at, str(c))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def assert_same(got, want):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("n_samples, seed", [(300, 3), (25, 0), (4999, 11), (None, 5)])
def test_the_script_samples_the_rows_the_app_uses(tmp_path, n_samples, seed):
    path = write_csv(tmp_path / "data.csv", "label,x1,x2", 5000, label_at=0)
    config = TrainingConfig(csv_path=path, n_samples=n_samples, seed=seed)
    ns = script_namespace(config)
    assert ns["MAX_ROWS"] == csv_rows(config)
    csv = read_csv(path, max_rows=csv_rows(config), seed=seed)
    got = ns["load_csv"](path)     # by default, the app's rows
    assert_same(got, (csv.x, csv.y))
    assert len(got[1]) == min(n_samples or 5000, 5000)
    if n_samples == 300:    # a sample, not the first rows
        assert not np.array_equal(got[0], read_csv(path).x[:300])
    assert_same([a for pair in ns["load_data"]() for a in pair], [a for pair in load_data(config) for a in pair])


@pytest.mark.parametrize("header, label_at", [
    ("x1,target,x2", 1), ("class,x1,x2", 0), ("a,b,c", 2), ("x,y,c", 2), ("y,a,b", 0), ("", 2)])
def test_the_label_column_is_chosen_as_the_app_chooses_it(tmp_path, header, label_at):
    path = write_csv(tmp_path / "d.csv", header, 50, label_at=label_at)
    config = TrainingConfig(csv_path=path, n_samples=20, seed=1)
    ns = script_namespace(config)
    csv = read_csv(path, max_rows=20, seed=1)
    assert csv.label_column == label_at + 1
    assert_same(ns["load_csv"](path, 20, 1), (csv.x, csv.y))


def test_two_label_columns_are_refused_by_the_script_too(tmp_path):
    path = write_csv(tmp_path / "d.csv", "label,x1,label", 10, label_at=0)
    ns = script_namespace(TrainingConfig(csv_path=path))
    with pytest.raises(ValueError, match=r"Columns \[1, 3\] are all named 'label'"):
        ns["load_csv"](path)


@pytest.mark.parametrize("loss, labels, message", [
    ("binary_crossentropy", (-1, 1), r"needs labels 0 or 1; found \[-1, 1\]"),
    ("mse", (1, 2), r"needs labels 0 or 1; found \[1, 2\]"),
    ("sparse_categorical_crossentropy", (1, 2, 3), r"numbered 0 to 2; found \[1, 2, 3\]"),
])
def test_labels_the_loss_cannot_take_are_refused_as_in_the_app(tmp_path, loss, labels, message):
    path = write_csv(tmp_path / "d.csv", "x1,x2,label", 60, labels=labels)
    config = TrainingConfig(csv_path=path, loss=loss)
    with pytest.raises(ValueError):
        load_data(config)
    with pytest.raises(ValueError, match=message):
        script_namespace(config)["load_data"]()


def test_good_labels_pass_the_scripts_check(tmp_path):
    path = write_csv(tmp_path / "d.csv", "x1,x2,label", 60, labels=(0, 1, 2))
    config = TrainingConfig(csv_path=path, loss="sparse_categorical_crossentropy")
    assert_same([a for pair in script_namespace(config)["load_data"]() for a in pair],
                [a for pair in load_data(config) for a in pair])
