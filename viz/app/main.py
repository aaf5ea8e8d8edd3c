"""Entry point: ``uncrumple`` / ``python -m viz``, command-line options and the QApplication.

Scripted use (figures, tests, benchmarks)::

    uncrumple --dataset moons --epochs 30 --screenshot moons.png --quit

``create_window(config, engine)`` gives the main window (its ``.session`` drives
training) for code that already has a QApplication.
"""
from __future__ import annotations

import argparse
import gc
import signal
import sys

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication

from core.run.config import TrainingConfig
from core.datasets import GENERATORS
from core.run.presets import PRESETS

from viz.run.worker import WORKERS

#: milliseconds between the last training snapshot and the screenshot (the views redraw at 60 Hz)
SCREENSHOT_DELAY_MS = 250


def build_parser() -> argparse.ArgumentParser:
    """The ``uncrumple`` command line."""
    p = argparse.ArgumentParser(
        prog="uncrumple",
        description="Watch a small NumPy neural network learn a two-class data set, live.")
    p.add_argument("--dataset", choices=sorted(GENERATORS), help="data set to start with")
    p.add_argument("--preset", choices=list(PRESETS), metavar="NAME",
                   help="start from a preset of the Presets menu: " + ", ".join(PRESETS)
                        + " (--dataset and --seed then change it)")
    p.add_argument("--config", metavar="FILE.json", help="training configuration to start with "
                   "(as saved by File > Save configuration)")
    p.add_argument("--epochs", type=int, metavar="N", default=0, help="train N epochs at start")
    p.add_argument("--screenshot", metavar="FILE.png", help="save the whole window once the --epochs are done")
    p.add_argument("--quit", action="store_true", help="exit after the --epochs (and the screenshot)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed for the data and the initial weights")
    p.add_argument("--engine", choices=sorted(WORKERS), default="process",
                   help="where the trainer runs: a child process (default) or a thread of the GUI process "
                        "(for debugging; the window stutters)")
    p.add_argument("--theme", choices=("light", "dark", "system"), default=None,
                   help="colour scheme of the window and plots (default: the UNCRUMPLE_THEME environment "
                        "variable, else the system's); exported pictures are always on white")
    return p


def config_from_args(args) -> TrainingConfig | None:
    """The starting configuration, or None to use the one remembered from the last session.

    Raises
    ------
    ValueError
        If ``--config`` cannot be read or the result is invalid.
    """
    scripted = any(v not in (None, 0, False) for v in (args.dataset, args.seed, args.epochs, args.screenshot))
    if args.config and args.preset:
        raise ValueError("--config and --preset both give the starting configuration: use one of them")
    if args.preset:
        cfg = PRESETS[args.preset].config
    elif args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                cfg = TrainingConfig.from_json(fh.read())
        except OSError as exc:
            raise ValueError(f"Cannot read {args.config}: {exc.strerror}") from None
    elif scripted:
        cfg = TrainingConfig()
    else:
        return None
    changes = {}
    if args.dataset:
        changes["dataset"] = args.dataset
        changes["csv_path"] = None
    if args.seed is not None:
        changes["seed"] = args.seed
    return cfg.replace(**changes).validate() if changes else cfg


def ensure_app(argv=None) -> QApplication:
    """The running QApplication, created if there is none."""
    app = QApplication.instance()
    if app is None:
        # the 3D views' GL contexts share resources (pyqtgraph compiles each shader once); only
        # settable before the QApplication exists
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication(list(argv) if argv else [sys.argv[0] if sys.argv and sys.argv[0] else "uncrumple"])
        from viz import theme
        theme.setup_theme(app)   # UNCRUMPLE_THEME or the system's scheme, before any view is built
    app.setApplicationName("Uncrumple")
    app.setOrganizationName("Uncrumple")
    app.setApplicationDisplayName("Uncrumple")
    return app


def freeze_long_lived() -> None:
    """Put every object alive now (the window's ~150,000) out of the garbage collector's reach.

    They live as long as the window. A full collection mid-training then walks only what
    training made since (the timeline, the curves): ~5 ms instead of ~100-150 ms, which was
    a visible stutter every ~10 s. Objects still die normally when their references go.
    """
    gc.collect()
    gc.freeze()


def keep_house(window) -> None:
    """What the app does once its window is shown (scripts that stand for the app do it too): the
    objects alive now out of the collector's reach (:func:`freeze_long_lived`). (Every window
    already has cyclic garbage collected in the GUI thread only: ``window.gc_guard``.)"""
    freeze_long_lived()


def create_window(config: TrainingConfig | None = None, engine: str = "process", settings=None,
                  lazy_views: bool = False):
    """A new main window (not shown yet) whose ``.session`` is already starting the trainer.

    Parameters
    ----------
    config : TrainingConfig, optional
        Default: the last configuration remembered in the settings, else the spiral.
    engine : {"process", "thread"}
    settings : QSettings, optional
    lazy_views : bool
        Build the views behind the tabs once the window is shown (the app: on screen sooner).
    """
    ensure_app()
    from core.engine.optimizers import allow_fused
    allow_fused(False)    # no numba in the window (the trainer process keeps it): same bits, no import stall
    from viz.app.main_window import MainWindow   # after the QApplication: views create Qt objects
    return MainWindow(config, engine=engine, settings=settings, lazy_views=lazy_views)


class EpochRunner(QObject):
    """Train ``epochs`` epochs one step_epoch at a time, then screenshot and/or quit.

    One command at a time keeps the trainer responsive to Stop (closing the window).
    """

    def __init__(self, window, epochs: int, screenshot: str | None = None, quit_after: bool = False):
        super().__init__(window)   # held by its parent; no Python reference back (no cycle)
        self.epochs = max(0, int(epochs))
        self.screenshot, self.quit_after = screenshot, quit_after
        self.done = False
        self.ok = True
        self._expect = 0
        window.session.snapshot_ready.connect(self._on_snapshot)
        window.session.error.connect(self._on_error)

    @property
    def window(self):
        """The main window this runner drives (its parent)."""
        return self.parent()

    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if self.done:
            return
        if snap.epoch >= self.epochs or snap.state in ("stopped", "finished"):
            self._finish()
        elif snap.state in ("ready", "paused") and snap.epoch >= self._expect:
            self._expect = snap.epoch + 1
            self.window.session.step_epoch()

    @Slot(str)
    def _on_error(self, text: str) -> None:
        if not self.done and self.window.session.latest is None:
            self.ok = False
            self._finish()   # the run could not start: still take the picture, then quit

    def _finish(self) -> None:
        self.done = True
        QTimer.singleShot(SCREENSHOT_DELAY_MS, self._after)

    @Slot()
    def _after(self) -> None:
        if self.screenshot:
            self.window.lazy_docks.build_all()
            self.window.session.finish_visible()   # the newest snapshot drawn, whatever the pacing
            if self.window.grab().save(self.screenshot, "PNG"):
                print(f"Saved {self.screenshot}", flush=True)
            else:
                print(f"Could not save {self.screenshot}", file=sys.stderr, flush=True)
                self.ok = False
        if self.quit_after:
            app = QApplication.instance()
            app.exit(0 if self.ok else 1)


def main(argv=None) -> int:
    """Run the app; returns the exit code (``uncrumple``, ``python -m viz``)."""
    parser = build_parser()
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    unknown = [a for a in qt_args if a.startswith("--")]   # Qt's own options have one dash (-style)
    if unknown:
        parser.print_usage(sys.stderr)
        print(f"uncrumple: error: unrecognized arguments: {' '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"uncrumple: {exc}", file=sys.stderr)
        return 2
    if args.epochs < 0:
        print("uncrumple: --epochs must be >= 0", file=sys.stderr)
        return 2
    from viz.run import cpus
    cpus.split_for_app()   # the window on one CPU, the trainer on the others (Linux; see viz.run.cpus)
    app = ensure_app([sys.argv[0] if sys.argv and sys.argv[0] else "uncrumple", *qt_args])
    if args.theme:
        from viz import theme
        theme.setup_theme(app, args.theme)   # before the window: views read the palette when built
    window = create_window(config, engine=args.engine, lazy_views=True)
    window.show()
    keep_house(window)
    if args.epochs or args.screenshot or args.quit:
        EpochRunner(window, args.epochs, args.screenshot, args.quit)   # held by the window, its parent
    # Ctrl+C in the terminal closes the window cleanly (Python only sees signals between Qt events)
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    tick = QTimer(window)
    tick.timeout.connect(lambda: None)
    tick.start(200)
    try:
        code = app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        tick.stop()
        window.session.shutdown()
        # delete the window now, while Python and the QApplication are alive: left to interpreter
        # finalization, pyqtgraph's Python overrides would run in a half-torn-down interpreter
        shiboken6.delete(window)
    return code
