#!/usr/bin/env python
"""The book's MNIST recipe, ours against PyTorch on the same data (issue 7, "Accuracy and speed").

Run from the repository root::

    python bench/mnist.py                    # Fashion-MNIST, the offline sample, full MNIST if found
    python bench/mnist.py --sets sample      # only the 5,000-digit sample (seconds)
    python bench/mnist.py --seeds 3          # more seeds: accuracies are means, times medians
    python bench/mnist.py --threads 1        # ours and torch both on one thread
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/mnist.py   # numpy's own OpenBLAS kernel

Some machines export OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (older OpenBLAS builds misbehave on them): they
pin numpy's OpenBLAS to an older kernel (Haswell, not SkylakeX) while torch's MKL picks AVX-512 on its
own. Unset them in the benchmark command only, never in tests or CI; the header shows the kernel used.

The recipe (``core.run.presets.get_preset("mnist")``): 784 -> 512 relu -> 10 softmax, RMSprop
lr 0.001 rho 0.9, categorical crossentropy, 5 epochs of batch 128 on every training image,
then the test accuracy. Both engines start from the *same* weights (our glorot-uniform kernels
and zero biases, copied into torch), see the same preprocessing (x / 255 as float32) and run
interleaved in one process, epoch by epoch (the first engine alternates), and by default on the
same batches in the same order (``--own-batches``: torch shuffles on its own).

RMSprop: torch's own divides by ``sqrt(v) + eps``, Keras's (and ours) by ``sqrt(v + eps)``, with
eps = 1e-7 for both. They are not the same for weights whose gradients stay small: for |g| ~ 1e-4
the first step is 0.31 lr with Keras's rule and 3.1 lr with torch's. So by default torch runs
Keras's update written with torch's fused ``_foreach`` ops (``--torch-rmsprop``: torch's own).
Torch uses as many threads as numpy's BLAS (or ``--threads`` for both). Epoch 1 is a warm-up
for both engines: the times are medians of epochs 2 to 5.

Printed per data set: per-epoch seconds of both (and how many cores other processes used
meanwhile, from /proc/stat), per-epoch test accuracy, the final test accuracies (target: within
0.5 points of torch), the epoch-time ratio ours/torch (median of the epochs; target <= 0.8) and
on the full MNIST our accuracy against the book's 97.8 %. Times are never asserted.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time

import numpy as np

import _util  # noqa: F401  (puts the repository root on sys.path)
from _util import Quiet, Timer, median, optional, threadpoolctl

from core import datasets
from core.run.config import build_trainer, targets_for
from core.run.presets import describe_updates, get_preset

TARGET_POINTS, TARGET_RATIO, TARGET_BOOK = 0.5, 0.8, 0.978
_EPOCHS = 5  # set from --epochs: epochs per seed, to drop each seed's warm-up epoch
LOADED = 0.15  # other processes using more cores than this: the epoch time is flagged "*"
QUIET = Quiet(LOADED, window=0.25)  # QUIET.max_wait is set from --wait-quiet


# ---- data ---------------------------------------------------------------------------------------
def load_sets(names):
    """name -> (title, ((x_train, y_train), (x_test, y_test)) uint8), skipping sets not found."""
    loaders = {
        "fashion": ("Fashion-MNIST", lambda: datasets.load_fashion_mnist()),
        "sample": ("MNIST offline sample", lambda: datasets.load_mnist_sample()),
        "mnist": ("MNIST (full)", lambda: datasets.load_mnist(download=False)),
    }
    out = {}
    for name in names:
        title, load = loaders[name]
        try:
            out[name] = (title, load())
        except (OSError, ValueError) as exc:
            print(f"{title}: not found, skipped ({str(exc).splitlines()[0]})")
    return out


# ---- the two engines ----------------------------------------------------------------------------
class Ours:
    name = "ours"

    def __init__(self, config, x, y, x_te, y_te):
        empty = (x_te[:0], y_te[:0])  # as the book: no validation during fit
        self.trainer, _ = build_trainer(config, ((x, y), empty))
        self.x_te, self.y_te = x_te, targets_for(config, y_te, 10)

    def initial_weights(self):
        return self.trainer.model.get_weights()

    def next_order(self):
        """The sample order of the coming epoch (the Trainer draws it at the end of the previous one)."""
        return self.trainer._order.copy()

    def epoch(self, order=None):
        self.trainer.train_epoch()

    def test_accuracy(self):
        return self.trainer.model.evaluate(self.x_te, self.y_te)[1]


def keras_rmsprop(torch):
    """A torch optimizer with Keras's (and our) RMSprop: ``w -= lr * g / sqrt(v + eps)``.

    Torch's own ``RMSprop`` divides by ``sqrt(v) + eps``. With eps = 1e-7 the two differ for any
    weight whose gradients stay small: for |g| ~ 1e-4 the first step is 0.31 lr here (eps inside
    the root acts like 3.2e-4 outside) and 3.1 lr in torch. Fused ``_foreach`` ops, as torch's own.
    """

    class KerasRMSprop(torch.optim.Optimizer):
        def __init__(self, params, lr=0.001, rho=0.9, eps=1e-7):
            super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                ps = [p for p in group["params"] if p.grad is not None]
                gs = [p.grad for p in ps]
                vs = [self.state[p].setdefault("v", torch.zeros_like(p)) for p in ps]
                torch._foreach_mul_(vs, group["rho"])
                torch._foreach_addcmul_(vs, gs, gs, value=1 - group["rho"])
                denom = torch._foreach_add(vs, group["eps"])
                torch._foreach_sqrt_(denom)
                torch._foreach_addcdiv_(ps, gs, denom, value=-group["lr"])

    return KerasRMSprop


class Torch:
    """The same network in PyTorch, float32, started from ``weights`` (our kernels, transposed)."""

    name = "torch"

    def __init__(self, torch, config, weights, x, y, x_te, y_te, seed, builtin=False):
        self.torch = torch
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
        self.x_te, self.y_te = torch.from_numpy(x_te), torch.from_numpy(y_te.astype(np.int64))
        self.net = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
        with torch.no_grad():
            for layer, (kernel, bias) in zip((self.net[0], self.net[2]), zip(weights[::2], weights[1::2])):
                layer.weight.copy_(torch.from_numpy(kernel.T.copy()))
                layer.bias.copy_(torch.from_numpy(bias))
        if builtin:
            self.opt = torch.optim.RMSprop(self.net.parameters(), lr=config.learning_rate, alpha=config.rho,
                                           eps=1e-7, momentum=config.momentum)
        else:
            self.opt = keras_rmsprop(torch)(self.net.parameters(), lr=config.learning_rate, rho=config.rho)
        self.batch = config.batch_size
        self.gen = torch.Generator().manual_seed(seed)

    def epoch(self, order=None):
        torch, F = self.torch, self.torch.nn.functional
        perm = torch.randperm(len(self.x), generator=self.gen) if order is None else torch.from_numpy(order)
        for start in range(0, len(self.x), self.batch):
            idx = perm[start:start + self.batch]
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.net(self.x[idx]), self.y[idx])
            loss.backward()
            self.opt.step()

    def test_accuracy(self):
        with self.torch.no_grad():
            return float((self.net(self.x_te).argmax(1) == self.y_te).float().mean())


# ---- one data set -------------------------------------------------------------------------------
def run_set(title, data, torch, seeds, epochs, same_batches=True, builtin=False):
    config = get_preset("mnist").config.replace(epochs=epochs)
    (x_tr, y_tr), (x_te, y_te) = data
    x, x_t = datasets.preprocess_images(x_tr), datasets.preprocess_images(x_te)
    y, y_t = y_tr.astype(np.int32), y_te.astype(np.int32)
    print(f"\n--- {title}: {len(x):,} train / {len(x_t):,} test, {describe_updates(config, len(x))} ---")
    times = {"ours": [], "torch": []}
    final = {"ours": [], "torch": []}
    for seed in seeds:
        cfg = config.replace(seed=seed)
        ours = Ours(cfg, x, y, x_t, y_t)
        runners = [ours]
        if torch is not None:
            torch.manual_seed(seed)
            runners.append(Torch(torch, cfg, ours.initial_weights(), x, y, x_t, y_t, seed, builtin))
        print(f"seed {seed}: {'epoch':>5} " + " ".join(f"{r.name + ' s':>9} {'acc':>7}" for r in runners)
              + "   other procs' cores")
        for e in range(epochs):
            row, loads = {}, []
            order = ours.next_order() if same_batches else None
            for r in (runners if e % 2 == 0 else runners[::-1]):  # alternate who goes first
                gc.collect()
                QUIET.wait()
                with Timer() as t:
                    r.epoch(order)
                times[r.name].append((t.seconds, t.foreign))
                row[r.name] = f"{t.seconds:8.2f}{'*' if t.foreign > LOADED else ' '} {100 * r.test_accuracy():6.2f}%"
                loads.append(f"{r.name} {t.foreign:.2f}")
            print(f"        {e + 1:>5} " + " ".join(row[r.name] for r in runners) + "   " + ", ".join(loads))
        for r in runners:
            final[r.name].append(r.test_accuracy())
    res = {"title": title, "ours_acc": float(np.mean(final["ours"])), "ours_s": _epoch_time(times["ours"])}
    line = f"  test accuracy after {epochs} epochs: ours {100 * res['ours_acc']:.2f} %"
    if torch is not None:
        res["torch_acc"], res["torch_s"] = float(np.mean(final["torch"])), _epoch_time(times["torch"])
        diff = 100 * (res["ours_acc"] - res["torch_acc"]) + 0.0  # no "-0.00"
        res["points"] = diff
        line += (f", torch {100 * res['torch_acc']:.2f} % -> {diff:+.2f} points "
                 f"(target within {TARGET_POINTS}: {'MET' if abs(diff) <= TARGET_POINTS else 'NOT MET'})")
    if len(seeds) > 1:
        line += f"  [means of {len(seeds)} seeds: ours " + ", ".join(f"{100 * a:.2f}" for a in final["ours"])
        if torch is not None:
            line += "; torch " + ", ".join(f"{100 * a:.2f}" for a in final["torch"])
        line += "]"
    print(line)
    if torch is not None:
        ratio = res["ours_s"] / res["torch_s"]
        res["ratio"] = ratio
        print(f"  epoch time (median of epochs 2+, unloaded ones if >= 2): ours {res['ours_s']:.3f} s, "
              f"torch {res['torch_s']:.3f} s -> ours/torch {ratio:.2f} "
              f"(target <= {TARGET_RATIO}: {'MET' if ratio <= TARGET_RATIO else 'NOT MET'})")
    return res


def _epoch_time(samples):
    """Median epoch time without the first (warm-up) epoch of each seed; unloaded epochs only when
    at least two are."""
    samples = [t for i, t in enumerate(samples) if i % _EPOCHS != 0] or samples
    clean = [s for s, f in samples if f <= LOADED]
    return median(clean if len(clean) >= 2 else [s for s, _ in samples])


# ---- main ---------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="fashion,sample,mnist",
                    help="comma-separated: fashion, sample, mnist (default: all; missing ones are skipped)")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per data set (default 1)")
    ap.add_argument("--sample-seeds", type=int, default=3,
                    help="seeds for the offline sample, whose 1,000 test digits make one seed noisy (default 3)")
    ap.add_argument("--epochs", type=int, default=5, help="epochs (default 5, the book's)")
    ap.add_argument("--own-batches", action="store_true",
                    help="torch draws its own shuffling (default: it trains on our batches, in our order)")
    ap.add_argument("--torch-rmsprop", action="store_true",
                    help="torch's own RMSprop (eps outside the root) instead of Keras's update in torch")
    ap.add_argument("--wait-quiet", type=float, default=3.0, metavar="S",
                    help="before each timed epoch wait up to S seconds for other processes to go quiet "
                         "(default 3; 0: never)")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads for ours and torch (default: numpy's BLAS setting)")
    args = ap.parse_args(argv)
    global _EPOCHS
    _EPOCHS = args.epochs
    QUIET.max_wait = args.wait_quiet
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    bad = set(names) - {"fashion", "sample", "mnist"}
    if bad:
        ap.error(f"unknown --sets {sorted(bad)}")

    print("=" * 78)
    print("Uncrumple MNIST benchmark: the book's chapter 2 recipe, ours vs PyTorch")
    print("=" * 78)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    limiter = None
    threads = args.threads
    if threadpoolctl is not None:
        blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if threads is None:
            threads = max((i.get("num_threads", 1) for i in blas), default=1)
        else:
            limiter = threadpoolctl.threadpool_limits(threads, user_api="blas")
        for i in blas:
            print(f"  {i.get('internal_api')} {i.get('version')} kernel={i.get('architecture', '-')} "
                  f"threads={i.get('num_threads')} -> {threads}")
    pinned = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if pinned:
        print(f"  note: {', '.join(pinned)} pins numpy's OpenBLAS kernel (torch's MKL ignores it); "
              "numpy's own kernel: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/mnist.py")
    threads = threads or 1
    torch, why = optional("torch")
    if torch is not None:
        torch.set_num_threads(threads)
        torch.set_flush_denormal(True)      # ours flushes its optimizer state (core/engine/optimizers.py)
        rms = ("torch.optim.RMSprop(lr=0.001, alpha=0.9, eps=1e-7): w -= lr g / (sqrt(v) + eps), unlike Keras"
               if args.torch_rmsprop else "Keras's RMSprop in torch _foreach ops: w -= lr g / sqrt(v + 1e-7)")
        print(f"torch {torch.__version__}: set_num_threads({threads}), set_flush_denormal(True), "
              f"same initial weights as ours; {rms}")
        print("batches: " + ("torch draws its own shuffling" if args.own_batches else
                             "torch trains on our batches in our order (so accuracies differ only by rounding)"))
    else:
        print(f"torch not installed: ours only ({why})")
    t0 = time.perf_counter()
    results = []
    for name, (title, data) in load_sets(names).items():
        seeds = range(args.sample_seeds if name == "sample" else args.seeds)
        res = run_set(title, data, torch, list(seeds), args.epochs, same_batches=not args.own_batches,
                      builtin=args.torch_rmsprop)
        res["name"] = name
        results.append(res)

    print("\n--- summary ---")
    for r in results:
        line = f"  {r['title']:<22} ours {100 * r['ours_acc']:6.2f} %"
        if "torch_acc" in r:
            line += (f"  torch {100 * r['torch_acc']:6.2f} %  ({r['points']:+.2f} points)"
                     f"  epoch ours/torch {r['ratio']:.2f}  ({r['ours_s']:.2f} s / {r['torch_s']:.2f} s)")
        if r["name"] == "mnist":
            line += f"  book: 97.8 % -> {'MET' if r['ours_acc'] >= TARGET_BOOK else 'NOT MET'}"
        print(line)
    if "mnist" in names and not any(r["name"] == "mnist" for r in results):
        print("  MNIST (full): not on this computer (python -m core train --preset mnist --download)")
    print(f"  total {time.perf_counter() - t0:.0f} s ({QUIET.waited:.0f} s of it waiting for other processes "
          f"to go quiet; '*' marks epochs timed while they used > {LOADED} cores)")
    if limiter is not None:
        limiter.unregister()
    return 0


if __name__ == "__main__":
    sys.exit(main())
