"""The history CSV names a regression run's metric: ``mae`` columns, not ``accuracy`` ones."""
import csv

from viz.export.export_all import export_history_csv


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_a_regression_history_csv_has_mae_columns(tmp_path):
    logs = [{"loss": 0.5, "mae": 0.4, "val_loss": 0.6, "val_mae": 0.45},
            {"loss": 0.2, "mae": 0.3, "val_loss": 0.25, "val_mae": 0.35}]
    paths = export_history_csv(tmp_path / "h.csv", logs, [1, 2], [0.5, 0.2], [0.4, 0.3], metric="mae")
    epochs, batches = _rows(paths[0]), _rows(paths[1])
    assert "mae" in epochs[0] and "val_mae" in epochs[0] and "accuracy" not in ",".join(epochs[0])
    assert epochs[2][epochs[0].index("val_mae")] == "0.35"
    assert "mae" in batches[0] and batches[2][batches[0].index("mae")] == "0.3"


def test_a_classification_history_csv_keeps_accuracy(tmp_path):
    logs = [{"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.75}]
    (path,) = export_history_csv(tmp_path / "h.csv", logs)
    header, row = _rows(path)
    assert row[header.index("val_accuracy")] == "0.75" and "mae" not in header
