"""The lesson format: files load into frozen lessons; every broken file is refused with a message
naming the file, the step, the bad value and what is allowed; checks are safe and NaN-aware."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from core.lessons.checks import compile_check
from core.lessons.errors import LessonError
from core.lessons.facts import FACT_NAMES, Facts, run_facts
from core.lessons.lesson import FLAT_OUT
from core.lessons.loading import bundled_lessons, load_lesson, parse_lesson
from core.lessons.text import to_html
from core.run.config import TrainingConfig

DATA = Path(__file__).resolve().parents[1] / "lessons_data"

GOOD = '''
format = 1
id = "tiny"
title = "Tiny"
summary = "A tiny lesson."

[[steps]]
title = "One"
text = "Read **this**."

[steps.setup]
preset = "spiral"
config = { epochs = 5 }
workspace = "learn"
view = "dock_curves"
speed = "flat out"

[steps.task]
ask = "Train."
check = "epoch >= 5"
done = "Done."
hint = "Press Play."

[steps.task.demo]
train_until_epoch = 5
epoch = 2
'''


def lesson_text(**edits) -> str:
    """GOOD with lines replaced: ``old=new`` pairs given as a dict."""
    text = GOOD
    for old, new in edits.get("replace", {}).items():
        assert old in text
        text = text.replace(old, new)
    return text


def refuse(text: str, *words, **kw) -> str:
    with pytest.raises(LessonError) as info:
        parse_lesson(text, "bad.toml", **kw)
    message = str(info.value)
    assert message.startswith("bad.toml"), message
    for word in words:
        assert word in message, message
    return message


def test_a_good_lesson_loads_into_frozen_objects():
    lesson = parse_lesson(GOOD, "good.toml", workspaces=("learn",), views=("dock_curves",))
    assert (lesson.id, lesson.title, len(lesson.steps)) == ("tiny", "Tiny", 1)
    step = lesson.steps[0]
    assert step.setup.preset == "spiral" and step.setup.config_changes() == {"epochs": 5}
    assert step.setup.speed == FLAT_OUT and step.setup.workspace == "learn"
    assert step.task.demo.actions == (("train_until_epoch", 5), ("epoch", 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.title = "x"


def test_the_test_lessons_in_tests_lessons_data_load():
    lessons = bundled_lessons(folder=DATA)
    assert [lesson.id for lesson in lessons] == ["test-spiral", "test-descend"]


@pytest.mark.parametrize("old, new, words", [
    ('format = 1', 'format = 2', ["format", "2"]),
    ('id = "tiny"', 'id = "Tiny Lesson"', ["id", "'Tiny Lesson'", "lower-case"]),
    ('title = "Tiny"\n', 'title = "Tiny"\ncolour = "red"\n', ["'colour'", "Allowed keys", "summary"]),
    ('preset = "spiral"', 'preset = "spirals"', ["step 1", "'spirals'", "'mnist'", "'two_weight'"]),
    ('config = { epochs = 5 }', 'config = { epoch = 5 }', ["step 1", "'epoch'", "learning_rate"]),
    ('config = { epochs = 5 }', 'config = { learning_rate = -1.0 }', ["step 1", "learning_rate", "-1.0"]),
    ('config = { epochs = 5 }', 'config = { hidden = [[16, "swish"]] }', ["step 1", "swish", "relu"]),
    ('workspace = "learn"', 'workspace = "lean"', ["step 1", "'lean'", "'learn'", "'digits'"]),
    ('view = "dock_curves"', 'view = "curves"', ["step 1", "'curves'", "'dock_curves'"]),
    ('speed = "flat out"', 'speed = 30', ["step 1", "speed=30", "50", "flat out"]),
    ('check = "epoch >= 5"', 'check = "epochs >= 5"', ["step 1", "'epochs'", "val_accuracy", "drawn"]),
    ('check = "epoch >= 5"', 'check = "__import__(\'os\')"', ["step 1", "not allowed", "timeline_epoch"]),
    ('check = "epoch >= 5"', 'check = "facts.epoch > 1"', ["step 1", "not allowed"]),
    ('check = "epoch >= 5"', 'check = "epoch >="', ["step 1", "not a valid expression"]),
    ('check = "epoch >= 5"', 'check = "epoch + 1"', ["step 1", "condition", "number"]),
    ('check = "epoch >= 5"', 'check = "dataset > 3"', ["step 1", "text"]),
    ('hint = "Press Play."\n', '', ["step 1", "'hint'"]),
    ('train_until_epoch = 5', 'train_until = 5', ["step 1", "'train_until'", "train_until_epoch"]),
    ('epoch = 2\n', 'epoch = -2\n', ["step 1", "demo.epoch", "-2"]),
])
def test_every_broken_lesson_names_the_bad_value_and_what_is_allowed(old, new, words):
    refuse(lesson_text(replace={old: new}), *words, workspaces=("learn", "digits"),
           views=("dock_curves", "dock_draw"))


def test_not_toml_and_no_steps_are_refused():
    refuse("format = = 1", "not a valid TOML")
    refuse('format = 1\nid = "a"\ntitle = "A"\nsummary = "S"\nsteps = []\n', "steps")


def test_an_unreadable_file_and_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(LessonError, match="cannot be read"):
        load_lesson(tmp_path / "missing.toml")
    (tmp_path / "01-a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "02-b.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(LessonError, match="'tiny' is used by 01-a.toml"):
        bundled_lessons(folder=tmp_path)


def test_a_check_is_a_truth_table_over_the_facts():
    check = compile_check("epoch >= 5 and (val_accuracy > 0.9 or not playing) and dataset == 'spiral'")
    assert check.names == ("dataset", "epoch", "playing", "val_accuracy")
    table = [
        (dict(epoch=5, val_accuracy=0.95, playing=True, dataset="spiral"), True),
        (dict(epoch=4, val_accuracy=0.95, playing=True, dataset="spiral"), False),
        (dict(epoch=5, val_accuracy=0.5, playing=True, dataset="spiral"), False),
        (dict(epoch=5, val_accuracy=0.5, playing=False, dataset="spiral"), True),
        (dict(epoch=5, val_accuracy=0.95, playing=True, dataset="moons"), False),
    ]
    for facts, expected in table:
        assert check(Facts(**facts)) is expected, facts
    assert compile_check("loss < first_loss / 2")(Facts(loss=0.2, first_loss=0.7))
    assert compile_check("0.1 < learning_rate <= 1")(Facts(learning_rate=0.5))
    assert not compile_check("0.1 < learning_rate <= 1")(Facts(learning_rate=2.0))
    assert compile_check("diverged == true")(Facts(diverged=True))
    assert compile_check("-step < 0")(Facts(step=3))


def test_nan_facts_make_every_comparison_false():
    unknown = Facts()      # nothing trained: every metric NaN
    for text in ("val_accuracy > 0.9", "val_accuracy <= 0.9", "loss != 1", "loss == loss",
                 "loss < first_loss * 2", "step / 0 >= 0"):
        assert compile_check(text)(unknown) is False, text
    assert compile_check("not (val_accuracy > 0.9)")(unknown) is True


def test_run_facts_from_a_config_and_epoch_logs():
    logs = [{"epoch": 1, "loss": 0.7, "accuracy": 0.5, "val_loss": 0.7, "val_accuracy": 0.55},
            {"epoch": 2, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.85},
            {"epoch": 3, "loss": 0.35, "accuracy": 0.88, "val_loss": 0.5, "val_accuracy": 0.8}]
    f = run_facts(TrainingConfig(), logs, epoch=3, step=30, workspace="learn", preset="spiral")
    assert (f.epoch, f.step, f.loss, f.first_loss, f.best_val_accuracy) == (3, 30, 0.35, 0.7, 0.85)
    assert (f.dataset, f.optimizer, f.activation, f.units, f.hidden_layers) == ("spiral", "adam", "tanh", 16, 2)
    assert (f.timeline_epoch, f.epochs_planned, f.diverged) == (3, 0, False)
    assert run_facts(TrainingConfig(), logs + [{"epoch": 4, "loss": 8.0}]).diverged
    assert run_facts(TrainingConfig(), logs + [{"epoch": 4, "loss": math.nan}]).diverged
    assert run_facts(None, (), stopped_on_nan=True).diverged
    empty = run_facts(None)
    assert math.isnan(empty.loss) and empty.dataset == "" and set(FACT_NAMES) >= {"drawn", "workspace"}


def test_step_text_is_escaped_rich_text():
    assert to_html("A **b** `x < y`\n\nnew <script>") == \
        "<p>A <b>b</b> <code>x &lt; y</code></p><p>new &lt;script&gt;</p>"


def test_a_tasks_lines_keep_their_code_and_bold_and_escape_html():
    from core.lessons.text import inline_html
    assert inline_html("Set `batch_size` to **32**,\n  then <b>look</b>.") == \
        "Set <code>batch_size</code> to <b>32</b>, then &lt;b&gt;look&lt;/b&gt;."
