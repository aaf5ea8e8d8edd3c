"""Timeline memory under a long run: the default network trained 1,000 epochs, every epoch recorded.

Prints the bytes the kept checkpoints use against the 50 MB target with the default budget
(every epoch kept), then the same run into a small budget: the timeline must stay within it
while still spanning the whole run (first and newest epochs kept, evenly thinned between).

    python bench/timeline_memory.py [--epochs 1000] [--small-kb 256]
"""
from __future__ import annotations

import argparse
import time

import _util  # noqa: F401  (puts the repository root on sys.path)

from core.run.config import TrainingConfig, build_trainer
from core.run.timeline import DEFAULT_BUDGET, Timeline

TARGET = 50 * 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--small-kb", type=int, default=256, help="the small budget, in kB")
    args = p.parse_args()

    trainer, _ = build_trainer(TrainingConfig())
    trainer.record = True
    trainer.reset(restore_weights=False)
    full, small = Timeline(), Timeline(budget=args.small_kb * 1024)
    worst_small = 0
    start = time.perf_counter()
    for _ in range(args.epochs):
        trainer.train_epoch()
        for ckpt in trainer.snapshot().checkpoints:
            full.add(ckpt)
            small.add(ckpt)
            worst_small = max(worst_small, small.nbytes)
    took = time.perf_counter() - start
    print(f"trained {trainer.epoch} epochs ({trainer.step} steps) of the default network in {took:.1f} s")
    print(f"default budget {DEFAULT_BUDGET / 2**20:.0f} MB: {len(full)} epochs kept, {full.nbytes / 2**20:.2f} MB "
          f"= {full.nbytes / TARGET:.1%} of the 50 MB target -> {'OK' if full.nbytes <= TARGET else 'OVER'}")
    kept = small.epochs()
    print(f"small budget {args.small_kb} kB: {len(kept)} epochs kept (every {small.stride}), "
          f"{small.nbytes / 1024:.1f} kB now, at most {worst_small / 1024:.1f} kB after any add "
          f"-> {'OK' if worst_small <= small.budget else 'OVER'}; spans epochs {kept[0]}..{kept[-1]}")


if __name__ == "__main__":
    main()
