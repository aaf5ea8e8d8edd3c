"""The default run left running (issue 16, "watchable by default"): does it stay good?

Trains the app's default run (``TrainingConfig()``: the two-class spiral) headless for N epochs
(3,000 by default) on each seed and prints, per seed:

* ``min val acc >500``: the lowest validation accuracy of any epoch after epoch 500 (the
  target: never below 0.95, no collapse when a teacher lets it run);
* ``final val acc``: the validation accuracy after the last epoch (target >= 0.97);
* ``epoch 90 %``: the first epoch whose validation accuracy reaches 0.90 (how soon the
  boundary has formed; with the batches per epoch it gives the steps the app's speed needs);
* ``max loss >500``: the highest training loss of an epoch after 500 (a spike shows up here);
* ``seconds``: wall time of the run.

Prints figures and the two targets' verdict; asserts nothing. ``--set`` overrides config
fields to compare candidates (``--set optimizer=sgd learning_rate=0.1 momentum=0.9``).

Run: ``python bench/default_run.py`` (all five seeds, ~1-2 minutes a seed), or
``python bench/default_run.py --epochs 600 --seeds 0 1``.
"""
from __future__ import annotations

import argparse
import json
import time

import _util  # noqa: F401  - puts the repository root on sys.path

from core.run.config import TrainingConfig, build_trainer
from core.run.presets import updates_per_epoch

AFTER = 500          # "never below 95 % after epoch 500"
MIN_AFTER, MIN_FINAL = 0.95, 0.97


def run(config: TrainingConfig, epochs: int) -> dict:
    """Train ``config`` for ``epochs`` epochs; the figures this script prints for one seed."""
    t0 = time.perf_counter()
    trainer, _ = build_trainer(config.replace(epochs=epochs))
    while trainer.train_epoch():
        pass
    seconds = time.perf_counter() - t0
    h = trainer.history.history
    val, loss = h["val_accuracy"], h["loss"]
    late = val[AFTER:] or [float("nan")]
    reached = next((i + 1 for i, v in enumerate(val) if v >= 0.9), None)
    return {"epochs": len(val), "min_after": min(late), "final": val[-1], "epoch_90": reached,
            "max_loss_after": max(loss[AFTER:] or [float("nan")]), "seconds": seconds,
            "message": trainer.message if trainer.state == "stopped" else ""}


def parse_value(text: str):
    """``"0.01"`` -> 0.01, ``"true"`` -> True, ``"sgd"`` -> ``"sgd"`` (JSON, else the string)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                    help="override TrainingConfig fields (compare candidates for the default)")
    args = ap.parse_args(argv)
    changes = dict((k, parse_value(v)) for k, v in (s.split("=", 1) for s in args.set))
    base = TrainingConfig().replace(**changes)
    n_train = round(base.n_samples * (1 - base.validation_split))
    print(f"{base.dataset}, {base.n_samples} samples, noise {base.noise}, hidden {base.hidden}, "
          f"{base.optimizer} lr {base.learning_rate}, momentum {base.momentum}, batch {base.batch_size} "
          f"({updates_per_epoch(base, n_train)} steps an epoch), {args.epochs} epochs")
    print(f"{'seed':>4}  {'min val acc >' + str(AFTER):>16}  {'final val acc':>13}  {'epoch 90 %':>10}  "
          f"{'max loss >' + str(AFTER):>13}  {'seconds':>7}")
    worst_min, worst_final = 1.0, 1.0
    for seed in args.seeds:
        r = run(base.replace(seed=seed), args.epochs)
        worst_min, worst_final = min(worst_min, r["min_after"]), min(worst_final, r["final"])
        reached = "never" if r["epoch_90"] is None else str(r["epoch_90"])
        print(f"{seed:>4}  {r['min_after']:>16.4f}  {r['final']:>13.4f}  {reached:>10}  "
              f"{r['max_loss_after']:>13.4f}  {r['seconds']:>7.1f}  {r['message']}", flush=True)
    ok = worst_min >= MIN_AFTER and worst_final >= MIN_FINAL
    print(f"worst: min after epoch {AFTER} {worst_min:.4f} (target >= {MIN_AFTER}), final {worst_final:.4f} "
          f"(target >= {MIN_FINAL}): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
