"""``python -m core train --preset mnist``: the book's lines, test_acc, the notice, --data-dir, --download."""
import hashlib
import io
import re

import numpy as np
import pytest

import core
from core import datasets
from core.run.cli import CLI_DEFAULTS, DownloadBar, build_parser, config_from_args, main
from core.datasets import mnist as mnist_module
from mnist_support import write_npz

FAST = ["--epochs", "1", "--samples", "512"]


def parse(*argv):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_without_preset_the_defaults_are_unchanged():
    assert parse() == CLI_DEFAULTS
    assert (CLI_DEFAULTS.dataset, CLI_DEFAULTS.n_samples, CLI_DEFAULTS.noise, CLI_DEFAULTS.learning_rate,
            CLI_DEFAULTS.batch_size, CLI_DEFAULTS.epochs) == ("spiral", 400, 0.1, 0.01, 32, 100)
    assert parse("--layers", "4,3", "--activation", "relu").hidden == ((4, "relu"), (3, "relu"))


def test_options_override_the_preset():
    book = core.run.presets.get_preset("mnist").config
    assert parse("--preset", "mnist") == book
    c = parse("--preset", "mnist", "--lr", "0.01", "--activation", "tanh", "--samples", "0",
              "--data-dir", "/d")
    assert c == book.replace(learning_rate=0.01, hidden=((512, "tanh"),), n_samples=0, data_path="/d")
    assert parse("--preset", "fashion_mnist", "--layers", "64,32").hidden == ((64, "relu"), (32, "relu"))


def test_preset_mnist_prints_the_books_lines_and_test_acc(home, tmp_path, capsys):
    model_path = tmp_path / "m.npz"
    assert main(["train", "--preset", "mnist", *FAST, "--save", str(model_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Note: The full MNIST (60,000 + 10,000 digits) was not found")
    assert "Chapter 2: MNIST" in out
    assert "Training images: ndim=2, shape=(512, 784), dtype=float32" in out
    assert "test images: ndim=2, shape=(1000, 784), dtype=float32" in out
    assert "4 updates per epoch, 4 in all" in out and "407,050" in out
    assert "Epoch 1/1" in out
    assert re.search(r"^4/4 ━{20} \d+s \d+ms/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$", out, re.M)
    assert "val_loss" not in out  # the book fits without validation and evaluates afterwards
    acc = float(re.search(r"^test_acc: (\d\.\d{4})$", out, re.M).group(1))
    loss = float(re.search(r"^test_loss: (\d+\.\d{4})$", out, re.M).group(1))
    # the printed figures are the saved model's on the sample's 1,000 test digits
    _, (x_te, y_te) = datasets.load_mnist_sample()
    model = core.load_model(model_path)
    want_loss, want_acc = model.evaluate(datasets.preprocess_images(x_te), datasets.to_categorical(y_te))
    assert acc == pytest.approx(want_acc, abs=5e-5) and loss == pytest.approx(want_loss, abs=5e-5)
    assert acc > 0.5  # 4 updates already lift it far above chance (0.1)


def test_data_dir_with_mnist_npz_has_no_notice(home, tmp_path, capsys):
    write_npz(tmp_path / "mnist.npz", n_train=12, n_test=5)
    rc = main(["train", "--preset", "mnist", "--data-dir", str(tmp_path), "--epochs", "2",
               "--batch-size", "4", "--verbose", "2"])
    out = capsys.readouterr().out
    assert rc == 0 and "Note:" not in out
    assert "shape=(12, 784)" in out and "shape=(5, 784)" in out
    assert "3 updates per epoch, 6 in all" in out and "Epoch 2/2" in out and "test_acc: " in out


def test_fashion_mnist_preset_from_a_folder(home, tmp_path, capsys):
    write_npz(tmp_path / "fashion.npz", n_train=10, n_test=4, seed=2)
    rc = main(["train", "--preset", "fashion_mnist", "--data-dir", str(tmp_path / "fashion.npz"),
               "--epochs", "1", "--batch-size", "5", "--verbose", "0"])
    out = capsys.readouterr().out
    assert rc == 0 and re.search(r"^test_acc: \d\.\d{4}$", out, re.M) and "Note:" not in out


def test_download_opt_in_shows_progress_then_trains_on_it(home, server, monkeypatch, capsys):
    buf = io.BytesIO()
    np.savez(buf, **dict(zip(("x_train", "y_train", "x_test", "y_test"),
                             [a for pair in write_npz(home / "tmp.npz", 8, 3) for a in pair])))
    body = buf.getvalue()
    server.routes["/mnist.npz"] = (body, "ok")
    monkeypatch.setattr(mnist_module, "MNIST_URL", server.url("/mnist.npz"))
    monkeypatch.setattr(mnist_module, "MNIST_SHA256", hashlib.sha256(body).hexdigest())
    rc = main(["train", "--preset", "mnist", "--download", "--epochs", "1", "--batch-size", "4"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(r"^mnist\.npz 0\.0/0\.0 MB ━{20} 100%$", out, re.M)
    assert (datasets.cache_dir() / "mnist.npz").read_bytes() == body
    assert "Note:" not in out and "shape=(8, 784)" in out and "test_acc: " in out


def test_download_offline_is_a_clear_error(home, closed_port_url, monkeypatch, capsys):
    monkeypatch.setattr(mnist_module, "MNIST_URL", closed_port_url)
    assert main(["train", "--preset", "mnist", "--download", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No network: MNIST could not be downloaded.")


@pytest.mark.parametrize("argv,message", [
    (["--samples", "-5"], "Argument `n_samples` must be an integer in the range [1, 200000]. "
                          "Received: n_samples=-5"),
    (["--data-dir", "/no/such/folder"], "Argument `--data-dir` must be an existing file or folder."),
    (["--samples", "100"], "Argument `batch_size` must be <= the number of training samples (100)."),
    (["--loss", "binary_crossentropy"], "Loss 'binary_crossentropy' is for two classes; the data has 10."),
])
def test_bad_options_are_keras_style_errors(home, argv, message, capsys):
    assert main(["train", "--preset", "mnist", *argv]) == 2
    assert message in capsys.readouterr().err


def test_unknown_preset_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--preset", "chapter2"])
    assert exc.value.code == 2 and "invalid choice: 'chapter2'" in capsys.readouterr().err


def test_download_bar_on_a_pipe_prints_the_final_line_once():
    stream = io.StringIO()
    bar = DownloadBar("mnist.npz", stream=stream)
    for done in range(0, 11_490_434 + 1, 1 << 20):
        bar(done, 11_490_434)
    bar(11_490_434, 11_490_434)
    assert stream.getvalue() == "mnist.npz 11.5/11.5 MB ━━━━━━━━━━━━━━━━━━━━ 100%\n"
    unknown = io.StringIO()
    DownloadBar("f", stream=unknown)(5, None)
    assert unknown.getvalue() == ""


def test_download_is_skipped_when_mnist_is_already_there(home, closed_port_url, monkeypatch, capsys):
    write_npz(datasets.cache_dir() / "mnist.npz", n_train=8, n_test=3)
    monkeypatch.setattr(mnist_module, "MNIST_URL", closed_port_url)  # any request would fail
    assert main(["train", "--preset", "mnist", "--download", "--epochs", "1", "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    assert "MB" not in out and "Note:" not in out and "shape=(8, 784)" in out
