"""The ``uncrumple`` command line, parsed in process (no window): presets, conflicts, typos."""
from __future__ import annotations

import pytest

from core.run.presets import PRESETS
from viz.app.main import build_parser, config_from_args, main


def parse(*argv):
    return config_from_args(build_parser().parse_args(list(argv)))


def test_preset_starts_from_the_presets_configuration():
    cfg = parse("--preset", "mnist")
    assert cfg == PRESETS["mnist"].config
    assert cfg.dataset == "mnist" and cfg.batch_size == 128 and cfg.optimizer == "rmsprop"


def test_seed_and_dataset_change_the_preset():
    cfg = parse("--preset", "paper_ball", "--seed", "7", "--dataset", "spheres")
    base = PRESETS["paper_ball"].config
    assert (cfg.seed, cfg.dataset) == (7, "spheres")
    assert cfg.hidden == base.hidden and cfg.learning_rate == base.learning_rate


def test_preset_and_config_together_are_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match="--config and --preset"):
        parse("--preset", "mnist", "--config", str(path))


def test_unknown_preset_lists_the_names(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--preset", "cifar"])
    err = capsys.readouterr().err
    assert "cifar" in err and "mnist" in err


def test_misspelt_long_option_is_an_error_not_ignored(capsys):
    # Qt's own options have one dash and are passed on; a long option we do not know stops here,
    # before any window, instead of being handed to Qt and silently dropped
    assert main(["--presets", "mnist"]) == 2
    assert "unrecognized arguments: --presets" in capsys.readouterr().err
