"""docs/lessons.md stays true to the loader: its example lesson loads, and it documents every fact,
every key of the format and every demo action the loader takes (issue 19)."""
from __future__ import annotations

import re
from pathlib import Path

from core.lessons.facts import FACT_NAMES
from core.lessons.lesson import DEMO_KEYS
from core.lessons.loading import LESSON_KEYS, SETUP_KEYS, STEP_KEYS, TASK_KEYS, parse_lesson

DOC = Path(__file__).resolve().parents[2] / "docs" / "lessons.md"


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_example_lesson_loads():
    example = re.search(r"<!-- example-lesson -->\s*```toml\n(.*?)```", doc_text(), re.S)
    assert example is not None, "docs/lessons.md has no example lesson after <!-- example-lesson -->"
    lesson = parse_lesson(example.group(1), "docs/lessons.md")
    assert lesson.steps and any(step.task is not None for step in lesson.steps)


def test_every_fact_is_in_the_facts_table():
    table = doc_text().split("### The facts", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\|\s*`([a-z_]+)`(?:,\s*`([a-z_]+)`)?", table, re.M))
    names = {name for pair in documented for name in pair if name}
    assert names == set(FACT_NAMES)


def test_every_key_of_the_format_is_documented():
    text = doc_text()
    for key in (*LESSON_KEYS, *STEP_KEYS, *SETUP_KEYS, *TASK_KEYS, *DEMO_KEYS):
        forms = (f"`{key}`", f"`[[{key}]]`", f"`[steps.{key}]`", f"`[steps.task.{key}]`")
        assert any(form in text for form in forms), f"docs/lessons.md does not document the key {key!r}"
