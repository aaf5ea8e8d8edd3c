"""A step's text as rich text: paragraphs, `code` and **bold**, nothing else (HTML is escaped).

>>> to_html("A **dense** layer computes `relu(dot(x, W) + b)`.")
'<p>A <b>dense</b> layer computes <code>relu(dot(x, W) + b)</code>.</p>'
"""
from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    parts = _CODE.split(text)      # even: prose, odd: code
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part, quote=False)}</code>")
        else:
            out.append(_BOLD.sub(r"<b>\1</b>", html.escape(part, quote=False)))
    return "".join(out)


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (split at blank lines, lines inside one joined by a space)."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [" ".join(line.strip() for line in block.splitlines() if line.strip()) for block in blocks if block.strip()]


def inline_html(text: str) -> str:
    """``text`` (a task's ask, hint or done line) as one run of HTML: `code` monospaced, **bold** bold.

    >>> inline_html("Set `batch_size` to **32**.")
    'Set <code>batch_size</code> to <b>32</b>.'
    """
    return _inline(" ".join(text.split()))


def to_html(text: str) -> str:
    """``text`` as HTML: one ``<p>`` per paragraph, `code` monospaced, **bold** bold."""
    return "".join(f"<p>{_inline(p)}</p>" for p in paragraphs(text))
