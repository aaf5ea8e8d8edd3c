"""Headless training with Keras-style output: ``python -m core train ...``.

Example::

    python -m core train --dataset spiral --layers 8,8 --activation tanh \\
        --optimizer adam --lr 0.01 --epochs 100 --batch-size 32 --seed 0 \\
        --history out.csv
"""
from __future__ import annotations

import argparse
import csv
import sys

from . import activations, datasets, optimizers
from .config import OUTPUT_ACTIVATION, TrainingConfig, build_trainer


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
    t.add_argument("--dataset", default="spiral", choices=sorted(datasets.GENERATORS),
                   help="a two-class generator (default: spiral)")
    t.add_argument("--csv", help="your own data: columns x1..xd, label (overrides --dataset)")
    t.add_argument("--samples", type=int, default=400, help="number of points (default: 400)")
    t.add_argument("--noise", type=float, default=0.1, help="noise of the generator (default: 0.1)")
    t.add_argument("--validation-split", type=float, default=0.2, help="fraction held out (default: 0.2)")
    t.add_argument("--layers", type=_layers, default=[8, 8], help="hidden units, e.g. 8,8 (default: 8,8)")
    t.add_argument("--activation", default="tanh", choices=sorted(activations.ACTIVATIONS),
                   help="activation of the hidden layers (default: tanh)")
    t.add_argument("--loss", default="binary_crossentropy", choices=sorted(OUTPUT_ACTIVATION))
    t.add_argument("--optimizer", default="adam", choices=sorted(optimizers.OPTIMIZERS))
    t.add_argument("--lr", type=float, default=0.01, help="learning rate (default: 0.01)")
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--epochs", type=int, default=100)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--l2", type=float, default=0.0)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    t.add_argument("--history", help="write the per-epoch history to this CSV file")
    t.add_argument("--save", help="save the trained model to this .npz file")
    return parser


def config_from_args(args) -> TrainingConfig:
    return TrainingConfig(
        dataset=args.dataset, csv_path=args.csv, n_samples=args.samples, noise=args.noise,
        validation_split=args.validation_split,
        hidden=tuple((u, args.activation) for u in args.layers), loss=args.loss,
        optimizer=args.optimizer, learning_rate=args.lr, momentum=args.momentum,
        batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, dropout=args.dropout,
        seed=args.seed)


def write_history(path, history) -> None:
    keys = list(history.history)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch"] + keys)
        for i, e in enumerate(history.epoch):
            w.writerow([e] + [f"{history.history[k][i]:.6g}" for k in keys])


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args).validate()
        trainer, _ = build_trainer(config)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.verbose:
        trainer.model.summary()
    try:
        trainer.fit(verbose=args.verbose)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
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
