"""Issue 17, items 7 and 9: CSV labels checked against the loss; big CSVs capped, sampled, cancellable."""
import multiprocessing as mp
import threading

import numpy as np
import pytest

from core import datasets
from core.datasets import CsvCancelled, read_csv
from core.datasets import tabular
from core.run import config as config_mod
from core.run.config import TrainingConfig, build_trainer, data_notice, load_data_with_notice
from core.run.serve import serve


def _write(tmp_path, labels, header="x1,x2,label", name="d.csv"):
    path = tmp_path / name
    rows = "".join(f"{i * 0.5},{(i * 7) % 11},{lab}\n" for i, lab in enumerate(labels))
    path.write_text((header + "\n" if header else "") + rows)
    return str(path)


# --------------------------------------------------------------------------- item 7: labels per loss
@pytest.mark.parametrize("labels,loss,pattern", [
    ([-1, 1], "binary_crossentropy", r"needs labels 0 or 1; found -1 and 1 .*: map -1 to 0\."),
    ([1, 2], "binary_crossentropy", r"needs labels 0 or 1; found 1 and 2 .*: map 1 to 0 and 2 to 1\."),
    ([-1, 1], "mse", r"needs labels 0 or 1; found -1 and 1"),
    ([0, 1, 2], "binary_crossentropy", r"is for two classes.*found 3 labels \(0, 1 and 2\).*"
                                        r"use 'sparse_categorical_crossentropy' with labels 0 to 2"),
    ([1, 2], "sparse_categorical_crossentropy", r"numbered 0 to 1; found 1 and 2 .*2 classes, not 3; "
                                                r"map 1 to 0 and 2 to 1"),
    ([1, 2, 3], "categorical_crossentropy", r"numbered 0 to 2; .*subtract 1 from every label"),
    ([0, 1, 3], "sparse_categorical_crossentropy", r"found 3 labels \(0, 1 and 3\).*no sample of class 2"),
    ([-1, 0, 1], "sparse_categorical_crossentropy", r"negative labels"),
])
def test_labels_that_do_not_suit_the_loss_are_refused_with_the_fix(tmp_path, labels, loss, pattern):
    path = _write(tmp_path, labels * 10)
    config = TrainingConfig(csv_path=path, loss=loss, batch_size=4)
    with pytest.raises(ValueError, match=pattern) as info:
        load_data_with_notice(config)
    assert f"column 3 ('label') of CSV file {path!r}" in str(info.value)
    with pytest.raises(ValueError, match=pattern):
        build_trainer(config)


@pytest.mark.parametrize("labels,loss", [([0, 1], "binary_crossentropy"), ([0, 1], "mse"),
                                          ([0, 1, 2], "sparse_categorical_crossentropy"),
                                          ([2, 0, 1], "categorical_crossentropy")])
def test_labels_that_suit_the_loss_train(tmp_path, labels, loss):
    trainer, _ = build_trainer(TrainingConfig(csv_path=_write(tmp_path, labels * 10), loss=loss, batch_size=4))
    trainer.train_epoch()
    loss = trainer.history.history["loss"][-1]
    assert np.isfinite(loss) and loss >= 0


def test_minus_one_labels_reach_the_gui_as_an_error_not_a_negative_loss(tmp_path):
    """The trainer process sends the message as it does a single-class data set's (the status bar shows it)."""
    conn, child_conn = mp.Pipe()
    config = TrainingConfig(csv_path=_write(tmp_path, [-1, 1] * 20), batch_size=4)
    thread = threading.Thread(target=serve, args=(child_conn, config), daemon=True)
    thread.start()
    try:
        assert conn.poll(20)
        kind, text = conn.recv()
        assert kind == "error" and "map -1 to 0" in text
    finally:
        conn.send(("stop",))
        thread.join(10)
        conn.close()
    assert not thread.is_alive()


def test_an_integer_last_feature_is_not_taken_as_classes_silently(tmp_path):
    path = tmp_path / "age.csv"      # no label column: the last column is a feature (an age)
    path.write_text("".join(f"{i * 0.1},{18 + i % 5}\n" for i in range(40)))
    with pytest.raises(ValueError, match=r"numbered 0 to 4; found 18, 19, 20, 21 and 22 in column 2 .*"
                                         r"otherwise the last column.*5 classes, not 23"):
        load_data_with_notice(TrainingConfig(csv_path=str(path), loss="sparse_categorical_crossentropy"))


def test_a_measurement_in_the_label_column_is_refused_saying_how_the_column_is_chosen(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("".join(f"{i % 2},{i * 0.37}\n" for i in range(40)))
    with pytest.raises(ValueError, match=r"line 2: column 2 \(label\): '0.37' is not an integer label.*"
                                         r"named label, class, target or y.*otherwise the last column"):
        datasets.load_csv(path)


@pytest.mark.parametrize("header,label_column", [
    ("label,x1,x2", 1), ("x1,Class,x2", 2), ("a,b,target", 3), ("y,a,b", 1),
    ("x,y,c", 3),              # x and y are coordinates: the last column is the label
    ("x1,x2,x3", 3), ("\"x\", \"y\" ,label", 3), ("y,a,label", 3),
])
def test_the_label_column_is_the_named_one_else_the_last(tmp_path, header, label_column):
    path = tmp_path / "h.csv"
    rows = np.array([[i * 0.5, i % 2, (i * 3) % 2, i * 0.25] for i in range(12)])
    rows[:, label_column - 1] = np.arange(12) % 2     # the label column holds 0/1
    path.write_text(header + "\n" + "".join(",".join(f"{v:g}" for v in r[:3]) + "\n" for r in rows))
    data = read_csv(path)
    assert data.label_column == label_column
    np.testing.assert_array_equal(data.y, np.arange(12) % 2)
    np.testing.assert_array_equal(data.x, np.delete(rows[:, :3], label_column - 1, axis=1).astype(np.float32))


def test_two_columns_with_the_label_name_are_refused(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("label,x,label\n1,2,0\n3,4,1\n")
    with pytest.raises(ValueError, match=r"line 1: columns 1 and 3 are both named 'label'; rename one"):
        datasets.load_csv(path)


# --------------------------------------------------------------------------- item 9: cap, sample, progress
def test_a_csv_run_uses_at_most_n_samples_rows_and_says_so(tmp_path):
    path = _write(tmp_path, [0] * 500 + [1] * 500)          # sorted by class: the first rows are one class
    config = TrainingConfig(csv_path=path, n_samples=100, validation_split=0.2)
    ((x_tr, y_tr), (x_val, y_val)), notice = load_data_with_notice(config)
    assert len(x_tr) + len(x_val) == 100
    assert set(np.concatenate([y_tr, y_val]).tolist()) == {0, 1}
    assert f"uses 100 of the 1,000 rows of {path!r}" in notice and "0 means all" in notice
    assert "uses 100 of about 1,00" in data_notice(config)       # a quick estimate, before loading
    again, _ = load_data_with_notice(config)
    np.testing.assert_array_equal(again[0][0], x_tr)            # the same sample for the same seed
    ((x_tr2, _), (x_val2, _)), notice = load_data_with_notice(config.replace(n_samples=None))
    assert len(x_tr2) + len(x_val2) == 1000 and notice == "" and data_notice(config.replace(n_samples=0)) == ""


def test_all_rows_of_a_csv_are_still_capped_at_max_samples(tmp_path, monkeypatch):
    monkeypatch.setattr(config_mod, "MAX_SAMPLES", 50)
    config = TrainingConfig(csv_path=_write(tmp_path, [0, 1] * 100), n_samples=0, batch_size=4)
    assert config.errors() == {}
    ((x_tr, _), (x_val, _)), notice = load_data_with_notice(config)
    assert len(x_tr) + len(x_val) == 50 and "uses 50 of the 200 rows" in notice


def test_the_sample_is_uniform_and_in_file_order(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("".join(f"{i},{i % 2}\n" for i in range(100)))
    counts = np.zeros(100)
    for seed in range(1500):
        data = read_csv(path, max_rows=10, seed=seed)
        assert data.n_rows == 100 and len(data.y) == 10 and data.sampled
        rows = data.x[:, 0].astype(int)
        assert np.all(np.diff(rows) > 0)
        counts[rows] += 1
    assert counts.min() > 150 * 0.6 and counts.max() < 150 * 1.4      # each row in ~10 % of the samples
    assert 0.4 < counts[:50].sum() / counts.sum() < 0.6


def test_progress_reports_rows_read_and_false_cancels(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "PROGRESS_EVERY", 100)
    path = _write(tmp_path, [0, 1] * 500)
    seen = []
    data = read_csv(path, max_rows=50, progress=lambda n: seen.append(n) or True)
    assert seen == list(range(100, 1001, 100)) + [1000] and data.n_rows == 1000
    seen.clear()

    def stop_at_300(n):
        seen.append(n)
        return n < 300

    with pytest.raises(CsvCancelled, match=r"cancelled after 300 rows"):
        read_csv(path, progress=stop_at_300)
    assert seen == [100, 200, 300]
    with pytest.raises(CsvCancelled):
        load_data_with_notice(TrainingConfig(csv_path=path), progress=lambda n: False)


def test_bad_max_rows_is_refused(tmp_path):
    path = _write(tmp_path, [0, 1])
    with pytest.raises(ValueError, match=r"Argument `max_rows` must be an integer >= 1. Received: max_rows=0"):
        read_csv(path, max_rows=0)


def test_the_cli_reads_every_row_of_a_csv_unless_told_otherwise(tmp_path):
    """``--csv`` without ``--samples`` is not capped at the generators' 400 points."""
    from core.run.cli import build_parser, config_from_args
    path = str(tmp_path / "d.csv")
    every = config_from_args(build_parser().parse_args(["train", "--csv", path]))
    assert every.n_samples is None
    some = config_from_args(build_parser().parse_args(["train", "--csv", path, "--samples", "50"]))
    assert some.n_samples == 50
    assert config_from_args(build_parser().parse_args(["train"])).n_samples == 400
