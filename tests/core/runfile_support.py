"""A short recorded run as a :class:`SavedRun`, for the run-file tests."""
import numpy as np

from core.run.config import TrainingConfig, build_trainer
from core.run.runfile import SavedRun


def trained_run(config: TrainingConfig, epochs: int = 3, extra_batches: int = 4, extra: dict | None = None,
                data=None, curves: bool = True):
    """Train ``config`` for ``epochs`` epochs and ``extra_batches`` more updates, recording checkpoints.

    ``data`` (as :func:`core.run.config.load_data` returns it) replaces the config's own data;
    ``curves=False`` saves no batch curves (as runs of the first file version).

    Returns
    -------
    trainer : Trainer
        The trainer, at the run's position.
    run : SavedRun
        The run as the app saves it: its checkpoints, epoch logs and one batch-curve point per update.
    """
    t, _ = build_trainer(config, data)
    t.record = True
    t.reset(restore_weights=False)
    checkpoints, logs = list(t.snapshot().checkpoints), []
    for _ in range(epochs):
        t.train_epoch()
        snap = t.snapshot()
        checkpoints += snap.checkpoints
        logs += snap.epochs
    for _ in range(extra_batches):
        t.train_batch()
    if not curves:
        return t, SavedRun(config, t.checkpoint(), tuple(checkpoints), tuple(logs))
    n = t.step
    curves = {"batch_steps": np.arange(1, n + 1, dtype=np.int64), "batch_x": np.linspace(0, epochs, n),
              "batch_losses": np.ones(n, np.float32), "batch_accuracies": np.zeros(n, np.float32)}
    return t, SavedRun(config, t.checkpoint(), tuple(checkpoints), tuple(logs), curves, extra or {})
