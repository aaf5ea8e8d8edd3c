"""Headless training with Keras-style output: ``python -m core train ...``.

Example::

    python -m core train --dataset spiral --layers 8,8 --activation tanh \\
        --optimizer adam --lr 0.01 --epochs 100 --batch-size 32 --seed 0 \\
        --history out.csv

    python -m core train --preset mnist                  # the book's chapter 2, test_acc at the end
    python -m core train --preset mnist --download       # fetch the full MNIST first (progress bar)
    python -m core train --preset fashion_mnist --epochs 1 --samples 6000

With ``--preset`` the preset's configuration is the starting point and only the options
given on the command line change it. For the image sets (mnist, fashion_mnist,
mnist_sample) the network is evaluated on the test set after training, as in the book.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

from core.engine import activations, optimizers
from core import datasets
from core.run.config import (IMAGE_CLASSES, OUTPUT_ACTIVATION, TrainingConfig, build_trainer, data_notice,
                     dataset_names, is_image_dataset, load_data_with_notice, targets_for)
from core.run.presets import PRESETS, describe_updates, get_preset

#: The command line's own defaults (without ``--preset``); they differ from TrainingConfig's.
CLI_DEFAULTS = TrainingConfig(noise=0.1, learning_rate=0.01, batch_size=32, epochs=100)


def _layers(text: str) -> list[int]:
    try:
        units = [int(u) for u in text.split(",") if u.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers must be comma-separated integers, e.g. 8,8. Received: {text!r}")
    return units


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Uncrumple's NumPy engine, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a network and print Keras-style progress")
    d = CLI_DEFAULTS
    t.add_argument("--preset", choices=list(PRESETS),
                   help="start from a named preset (mnist: the book's chapter 2); other options override it")
    t.add_argument("--dataset", choices=sorted(dataset_names()),
                   help=f"a two-class generator or an image set (default: {d.dataset})")
    t.add_argument("--csv", help="your own data: columns x1..xd, label (overrides --dataset)")
    t.add_argument("--data-dir", metavar="PATH",
                   help="where to look first for mnist.npz or the four IDX files (.gz or raw)")
    t.add_argument("--download", action="store_true",
                   help="download the full MNIST (11 MB, SHA-256 checked) when it is not found")
    t.add_argument("--samples", type=int,
                   help=f"number of points (default: {d.n_samples}); for image sets the training "
                        "images used (0: all)")
    t.add_argument("--noise", type=float, help=f"noise of the generator (default: {d.noise})")
    t.add_argument("--validation-split", type=float,
                   help=f"fraction held out (default: {d.validation_split}; image sets use their test set)")
    t.add_argument("--layers", type=_layers, help="hidden units, e.g. 8,8 (default: 8,8)")
    t.add_argument("--activation", choices=sorted(activations.ACTIVATIONS),
                   help="activation of the hidden layers (default: tanh)")
    t.add_argument("--loss", choices=sorted(OUTPUT_ACTIVATION), help=f"(default: {d.loss})")
    t.add_argument("--optimizer", choices=sorted(optimizers.OPTIMIZERS), help=f"(default: {d.optimizer})")
    t.add_argument("--lr", type=float, help=f"learning rate (default: {d.learning_rate})")
    t.add_argument("--momentum", type=float, help=f"(default: {d.momentum})")
    t.add_argument("--epochs", type=int, help=f"(default: {d.epochs})")
    t.add_argument("--batch-size", type=int, help=f"(default: {d.batch_size})")
    t.add_argument("--l2", type=float, help=f"(default: {d.l2})")
    t.add_argument("--dropout", type=float, help=f"(default: {d.dropout})")
    t.add_argument("--seed", type=int, help=f"(default: {d.seed})")
    t.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    t.add_argument("--history", help="write the per-epoch history to this CSV file")
    t.add_argument("--save", help="save the trained model to this .npz file")
    return parser


#: command-line option -> TrainingConfig field, for the options that map one to one
_FIELDS = {"dataset": "dataset", "csv": "csv_path", "data_dir": "data_path", "samples": "n_samples",
           "noise": "noise", "validation_split": "validation_split", "loss": "loss",
           "optimizer": "optimizer", "lr": "learning_rate", "momentum": "momentum", "epochs": "epochs",
           "batch_size": "batch_size", "l2": "l2", "dropout": "dropout", "seed": "seed"}


def config_from_args(args) -> TrainingConfig:
    """The preset's config (or :data:`CLI_DEFAULTS`) with every option given on the command line."""
    base = get_preset(args.preset).config if args.preset else CLI_DEFAULTS
    changes = {field: getattr(args, opt) for opt, field in _FIELDS.items() if getattr(args, opt) is not None}
    if args.layers is not None or args.activation is not None:
        units = args.layers if args.layers is not None else [u for u, _ in base.hidden]
        acts = [a for _, a in base.hidden] or ["tanh"]
        changes["hidden"] = tuple((u, args.activation or acts[min(i, len(acts) - 1)])
                                  for i, u in enumerate(units))
    return base.replace(**changes)


def write_history(path, history) -> None:
    keys = list(history.history)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch"] + keys)
        for i, e in enumerate(history.epoch):   # Keras's History counts from 0; the lines printed and
            w.writerow([e + 1] + [f"{history.history[k][i]:.6g}" for k in keys])   # the app's CSV from 1


class DownloadBar:
    """``progress(done, total)`` for the downloader: ``mnist.npz 5.2/11.5 MB ━━━━━━──── 45%``."""

    def __init__(self, name, stream=None, width=20):
        self.name, self.stream, self.width = name, stream or sys.stdout, width
        self._shown = -1

    def __call__(self, done, total):
        if total:
            pct = int(100 * done / total)
            if pct == self._shown:
                return
            self._shown = pct
            filled = self.width * done // total
            line = (f"{self.name} {done / 1e6:.1f}/{total / 1e6:.1f} MB "
                    f"{'━' * filled}{'─' * (self.width - filled)} {pct}%")
        else:
            line = f"{self.name} {done / 1e6:.1f} MB"
        tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        if tty:
            self.stream.write("\r" + line + ("\n" if total and done >= total else ""))
        elif total and done >= total:
            self.stream.write(line + "\n")
        self.stream.flush()


def _download_mnist(config) -> None:
    """Fetch the full MNIST into the cache when it is not found (``--download``)."""
    from core.datasets.mnist import MNIST_FILENAME
    datasets.load_mnist(config.data_path, download=True, progress=DownloadBar(MNIST_FILENAME))


def _check_args(args) -> None:
    if args.data_dir is not None and not os.path.exists(args.data_dir):
        raise ValueError(f"Argument `--data-dir` must be an existing file or folder. "
                         f"Received: --data-dir={args.data_dir!r}")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_args(args)
        config = config_from_args(args).validate()
        images = is_image_dataset(config)
        if args.download and images and config.dataset == "mnist" and data_notice(config):
            _download_mnist(config)  # only when not found: data_notice is "" when it is
        data, notice = load_data_with_notice(config)
        test = None
        if images:  # as in the book: fit on the training images, then evaluate on the test set
            (x_tr, y_tr), test = data
            data = ((x_tr, y_tr), (test[0][:0], test[1][:0]))
        trainer, _ = build_trainer(config, data)
    except KeyboardInterrupt:
        print("\nCancelled.", file=sys.stderr)
        return 1
    except (ValueError, OSError, datasets.DownloadCancelled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if notice:
        print(f"Note: {notice}")
    if args.verbose:
        if args.preset:
            p = get_preset(args.preset)
            print(f"{p.title}: {p.description}")
        if images:
            print(f"Training images: {datasets.describe_tensor(trainer.x)}; test images: "
                  f"{datasets.describe_tensor(test[0])}")
        print(describe_updates(config, len(trainer.x)))
        trainer.model.summary()
    try:
        trainer.fit(verbose=args.verbose)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
    if test is not None and trainer.epoch:
        x_te, y_te = test
        logs = trainer.model.evaluate(x_te, targets_for(config, y_te, IMAGE_CLASSES), return_dict=True)
        print(f"test_loss: {logs['loss']:.4f}")
        print(f"test_acc: {logs['accuracy']:.4f}")
    if args.history:
        write_history(args.history, trainer.history)
        print(f"History written to {args.history}")
    if args.save:
        save = getattr(trainer.model, "save", None)
        if save is None:
            print("error: saving models is not available yet", file=sys.stderr)
            return 2
        save(args.save)
        print(f"Model saved to {args.save}")
    return 1 if trainer.state == "stopped" else 0
