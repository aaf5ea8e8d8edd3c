"""Headless training with Keras-style output: ``python -m core train ...``.

Example::

    python -m core train --dataset spiral --layers 8,8 --activation tanh \\
        --optimizer adam --lr 0.01 --epochs 100 --batch-size 32 --seed 0 \\
        --history out.csv

    python -m core train --preset mnist                  # the book's chapter 2, test_acc at the end
    python -m core train --preset mnist --download       # fetch the full MNIST first (progress bar)
    python -m core train --preset fashion_mnist --epochs 1 --samples 6000
    python -m core train --task regression --dataset sine --loss mse --epochs 200   # loss and mae
    python -m core train --preset regression-bumps --epochs 100

With ``--preset`` the preset's configuration is the starting point and only the options
given on the command line change it. ``--task regression`` fits real numbers (a regression data
set, or a CSV file whose label column holds them; its default data set is ``sine`` and its
default loss ``mse``); a regression data set given with ``--dataset`` implies it. For the image sets (mnist, fashion_mnist,
mnist_sample) the network is evaluated on the test set after training, as in the book.

Nothing trained is lost: ``--save`` and ``--history`` are checked before training (the folder
exists and can be written to, the path is not a folder); the first Ctrl+C stops training and
writes the model and the history so far (exit code 130); a second Ctrl+C stops after the file
being written (each is written atomically, so none is left half-written), a third at once, both
with 130 and no traceback; a write that fails is reported and the other output is still written
(exit code 1).
"""
from __future__ import annotations

import argparse
import csv
import os
import signal
import sys
import tempfile
import threading

from core.engine import activations, optimizers
from core.engine.saving import atomic_write
from core import datasets
from core.run.config import (IMAGE_CLASSES, OUTPUT_ACTIVATION, REGRESSION_LOSSES, TASKS, TrainingConfig,
                             build_trainer, data_notice, dataset_names, is_image_dataset, load_data_with_notice,
                             losses_for, targets_for)
from core.run.presets import PRESETS, describe_updates, get_preset

#: The command line's own defaults (without ``--preset``); they differ from TrainingConfig's.
CLI_DEFAULTS = TrainingConfig(noise=0.1, learning_rate=0.01, batch_size=32, epochs=100)
#: ``--task regression`` without ``--dataset`` / ``--loss``: this data set and this loss
REGRESSION_DEFAULTS = ("sine", "mse")


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
    t.add_argument("--task", choices=TASKS,
                   help=f"classification (class labels) or regression (a real number to fit) "
                        f"(default: {d.task}, or regression for a regression data set)")
    t.add_argument("--dataset", choices=sorted(dataset_names()),
                   help=f"a two-class generator, an image set, or a regression set "
                        f"({', '.join(dataset_names('regression'))}) (default: {d.dataset}; "
                        f"with --task regression: {REGRESSION_DEFAULTS[0]})")
    t.add_argument("--csv", help="your own data: columns x1..xd, label (overrides --dataset)")
    t.add_argument("--data-dir", metavar="PATH",
                   help="where to look first for mnist.npz or the four IDX files (.gz or raw)")
    t.add_argument("--download", action="store_true",
                   help="download the full MNIST (11 MB, SHA-256 checked) when it is not found")
    t.add_argument("--samples", type=int,
                   help=f"number of points (default: {d.n_samples}); for image sets the training "
                        "images used, for --csv the rows, picked at random (0 or not given: all)")
    t.add_argument("--noise", type=float, help=f"noise of the generator (default: {d.noise})")
    t.add_argument("--validation-split", type=float,
                   help=f"fraction held out (default: {d.validation_split}; image sets use their test set)")
    t.add_argument("--layers", type=_layers, help="hidden units, e.g. 8,8 (default: 8,8)")
    t.add_argument("--activation", choices=sorted(activations.ACTIVATIONS),
                   help="activation of the hidden layers (default: tanh)")
    t.add_argument("--loss", choices=sorted([*OUTPUT_ACTIVATION, *REGRESSION_LOSSES]),
                   help=f"(default: {d.loss}; with --task regression: {REGRESSION_DEFAULTS[1]})")
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
    if args.csv is not None and args.samples is None:
        changes["n_samples"] = None          # a CSV file: every row (up to the cap of every data set)
    task = args.task or ("regression" if args.dataset in dataset_names("regression") else None)
    if task is not None and task != base.task:
        changes["task"] = task
        if args.dataset is None and args.csv is None and base.dataset not in dataset_names(task):
            changes["dataset"] = REGRESSION_DEFAULTS[0] if task == "regression" else CLI_DEFAULTS.dataset
        if args.loss is None and base.loss not in losses_for(task):
            changes["loss"] = REGRESSION_DEFAULTS[1] if task == "regression" else CLI_DEFAULTS.loss
    if args.layers is not None or args.activation is not None:
        units = args.layers if args.layers is not None else [u for u, _ in base.hidden]
        acts = [a for _, a in base.hidden] or ["tanh"]
        changes["hidden"] = tuple((u, args.activation or acts[min(i, len(acts) - 1)])
                                  for i, u in enumerate(units))
    return base.replace(**changes)


#: exit codes: a user error found before training, a write that failed after it, Ctrl+C (128 + SIGINT)
USAGE_ERROR, WRITE_FAILED, INTERRUPTED = 2, 1, 130
#: the command line's output files: option -> (attribute of the parsed arguments, an example name)
OUTPUTS = {"--save": ("save", "model.npz"), "--history": ("history", "history.csv")}


def write_history(path, history) -> None:
    """The per-epoch history as CSV, written atomically (a temporary file, then a rename)."""
    keys = list(history.history)

    def write(f):
        w = csv.writer(f)
        w.writerow(["epoch"] + keys)
        for i, e in enumerate(history.epoch):   # Keras's History counts from 0; the lines printed
            w.writerow([e + 1] + [f"{history.history[k][i]:.6g}" for k in keys])   # and the CSV from 1

    atomic_write(path, write, suffix=".csv.tmp", mode="w")


def check_output(option: str, path: str) -> None:
    """Raise ``ValueError`` unless a file can be written at ``path`` (the value of ``option``).

    The path must not be a folder, its folder must exist and a file must be creatable there
    (tried with a temporary file, removed at once).
    """
    def refuse(why):
        raise ValueError(f"Argument `{option}` must be a file that can be written. "
                         f"Received: {option}={path!r} ({why}).")
    if not path:
        refuse("an empty path")
    if os.path.isdir(path) or path.endswith(tuple(filter(None, (os.sep, os.altsep)))):
        refuse(f"it names a folder; add a file name, e.g. {os.path.join(path, OUTPUTS[option][1])!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        refuse(f"{folder!r} is a file, not a folder" if os.path.exists(folder)
               else f"the folder {folder!r} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".uncrumple-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        refuse(f"cannot write to the folder {folder!r}: {exc.strerror or exc}")


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
    given = {opt: getattr(args, attr) for opt, (attr, _) in OUTPUTS.items() if getattr(args, attr) is not None}
    for option, path in given.items():
        check_output(option, path)
    if len(given) == 2 and len({os.path.abspath(p) for p in given.values()}) == 1:
        raise ValueError(f"Arguments `--save` and `--history` must be different files. "
                         f"Received: both {args.save!r}")


class _CtrlCWhileWriting:
    """While the outputs are written: Ctrl+C stops after the file being written (so none is left
    half-made and no temporary file stays behind); pressed again, it stops at once."""

    def __init__(self):
        self.pressed = 0
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not None:
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def _on_sigint(self, signum, frame):
        self.pressed += 1
        if self.pressed > 1:
            raise KeyboardInterrupt

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _write_outputs(args, trainer) -> tuple[bool, bool]:
    """Save the model, then the history; a failing write is reported and the other still made.

    Returns ``(written, stopped)``: every output asked for was written; Ctrl+C stopped the writing.
    """
    jobs = []   # (path, write it, said when written, said when it fails)
    if args.save:
        jobs.append((args.save, trainer.model.save, "Model saved to", "Could not save the model to"))
    if args.history:
        jobs.append((args.history, lambda path: write_history(path, trainer.history), "History written to",
                     "Could not write the history to"))
    ok = True
    with _CtrlCWhileWriting() as ctrl_c:
        for i, (path, write, done, failed) in enumerate(jobs):
            try:
                write(path)
                print(f"{done} {path}")
            except (OSError, ValueError) as exc:
                print(f"error: {failed} {path}: {_reason(exc)}", file=sys.stderr)
                ok = False
            if ctrl_c.pressed:
                left = [p for p, *_ in jobs[i + 1:]]
                print("\nStopped." + (f" Not written: {', '.join(left)}." if left else ""), file=sys.stderr)
                return False, True
    return ok, False


def _reason(exc) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def main(argv=None) -> int:
    """Run the command line; returns the exit code (a second Ctrl+C included: 130, no traceback)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return INTERRUPTED


def _main(argv) -> int:
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
        return INTERRUPTED
    except (ValueError, OSError, datasets.DownloadCancelled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
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
    interrupted = False
    try:
        trainer.fit(verbose=args.verbose)
    except KeyboardInterrupt:
        interrupted = True
        outputs = [what for what, given in (("the model", args.save), ("the history", args.history)) if given]
        print(f"\nInterrupted at epoch {trainer.epoch + 1}, batch {trainer.batch}."
              + (f" Writing {' and '.join(outputs)} so far (Ctrl+C again to stop)." if outputs else ""),
              file=sys.stderr)
    if test is not None and trainer.epoch and not interrupted:
        try:
            x_te, y_te = test
            logs = trainer.model.evaluate(x_te, targets_for(config, y_te, IMAGE_CLASSES), return_dict=True)
            print(f"test_loss: {logs['loss']:.4f}")
            print(f"test_acc: {logs['accuracy']:.4f}")
        except KeyboardInterrupt:   # the first Ctrl+C after training: skip the test set, keep the outputs
            interrupted = True
            print("\nInterrupted: the test set was not evaluated.", file=sys.stderr)
    written, stopped = _write_outputs(args, trainer)
    if interrupted or stopped:
        return INTERRUPTED
    if not written:
        return WRITE_FAILED
    return 1 if trainer.state == "stopped" else 0
