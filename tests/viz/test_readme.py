"""The README's promises: its shortcut table is the Help menu's, its screenshots exist."""
from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_the_readme_shortcut_table_is_the_help_menus(make_window):
    from viz.app.actions import shortcut_rows
    w = make_window(engine="thread")
    table = readme().split("<!-- shortcuts -->", 1)[1].split("\n\n", 1)[0]
    rows = [tuple(c.strip() for c in line.strip("|").split("|"))
            for line in table.strip().splitlines()[2:]]
    assert rows == shortcut_rows(w.actions)


def test_every_image_in_the_readme_exists():
    images = re.findall(r'(?:src="|\]\()(docs/[^")]+\.png)', readme())
    assert len(images) >= 20
    missing = [p for p in images if not os.path.isfile(os.path.join(ROOT, p))]
    assert not missing
