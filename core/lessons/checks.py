"""A task's check: one expression over the :class:`~core.lessons.facts.Facts`, compiled safely.

The grammar is small and checked when the lesson is loaded: comparisons (``< <= > >= == !=``,
chained too), ``and``, ``or``, ``not``, parentheses, ``+ - * /``, numbers, ``'strings'``,
``true``/``false`` and the facts' names. Anything else (a call, an attribute, a subscript, an
unknown name, a string compared with a number) is a :class:`~core.lessons.errors.LessonError`
naming the allowed facts. Nothing is ever passed to ``eval``: :func:`compile_check` returns a
predicate that walks the checked tree.

A comparison with a NaN (a fact not known yet) is false, ``!=`` included; a division by zero gives NaN.

>>> from core.lessons.facts import Facts
>>> check = compile_check("epoch >= 5 and val_accuracy > 0.9")
>>> check(Facts(epoch=5, val_accuracy=0.95)), check(Facts(epoch=5))
(True, False)
"""
from __future__ import annotations

import ast
import dataclasses
import math
import operator

from core.lessons.errors import LessonError
from core.lessons.facts import FACT_KINDS, FACT_NAMES, Facts

_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: None}
_CONSTANTS = {"true": True, "false": False, "True": True, "False": False}
ALLOWED = ("comparisons (< <= > >= == !=), and, or, not, parentheses, + - * /, numbers, 'strings', "
           "true, false and the facts")


@dataclasses.dataclass(frozen=True)
class Check:
    """A compiled check: ``check(facts) -> bool``.

    Attributes
    ----------
    source : str
        The expression as written.
    names : tuple of str
        The facts it reads.
    tree : ast.Expression
        The checked expression (only the grammar above).
    """

    source: str
    names: tuple
    tree: ast.AST = dataclasses.field(repr=False, compare=False)

    def __call__(self, facts: Facts) -> bool:
        return bool(_eval(self.tree, facts))


def _facts_list() -> str:
    return ", ".join(FACT_NAMES)


def _kind(node: ast.AST, text: str) -> str:
    """The kind of ``node`` ("num", "bool" or "str"); a ValueError for anything outside the grammar."""
    if isinstance(node, ast.Expression):
        return _kind(node.body, text)
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _kind(value, text)
        return "bool"
    if isinstance(node, ast.UnaryOp):
        inner = _kind(node.operand, text)
        if isinstance(node.op, ast.Not):
            return "bool"
        if isinstance(node.op, (ast.USub, ast.UAdd)) and inner == "num":
            return "num"
        raise ValueError(f"a sign needs a number, not {ast.get_source_segment(text, node.operand)!r}")
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise ValueError(f"the operator in {ast.get_source_segment(text, node)!r} is not allowed "
                             "(+ - * / are)")
        if _kind(node.left, text) != "num" or _kind(node.right, text) != "num":
            raise ValueError(f"arithmetic needs numbers: {ast.get_source_segment(text, node)!r}")
        return "num"
    if isinstance(node, ast.Compare):
        kinds = [_kind(node.left, text)] + [_kind(c, text) for c in node.comparators]
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ValueError(f"the comparison in {ast.get_source_segment(text, node)!r} is not allowed "
                                 "(< <= > >= == != are)")
        strings = ["str" in (a, b) and a != b for a, b in zip(kinds, kinds[1:])]
        if any(strings):
            raise ValueError(f"{ast.get_source_segment(text, node)!r} compares a text with something "
                             "that is not a text")
        if any(k == "str" for k in kinds) and any(type(op) not in (ast.Eq, ast.NotEq) for op in node.ops):
            raise ValueError(f"texts can only be compared with == or !=: {ast.get_source_segment(text, node)!r}")
        return "bool"
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return "bool"
        if node.id not in FACT_KINDS:
            raise ValueError(f"unknown name {node.id!r}; the facts are: {_facts_list()}")
        return FACT_KINDS[node.id]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "bool"
        if isinstance(node.value, (int, float)):
            return "num"
        if isinstance(node.value, str):
            return "str"
        raise ValueError(f"{node.value!r} is not allowed (numbers, 'strings', true and false are)")
    segment = ast.get_source_segment(text, node) or type(node).__name__
    raise ValueError(f"{segment!r} is not allowed; a check may use {ALLOWED}: {_facts_list()}")


def compile_check(text: str, source: str = "", step: int | None = None) -> Check:
    """Compile ``text`` into a :class:`Check`.

    Parameters
    ----------
    text : str
        The expression.
    source : str
        The lesson file (for the error).
    step : int, optional
        The step number (for the error).

    Returns
    -------
    Check

    Raises
    ------
    LessonError
        ``text`` is empty, is not an expression, uses anything outside the grammar or an unknown
        name (the message lists the facts), or is not a condition (a bare number or text).
    """
    if not isinstance(text, str) or not text.strip():
        raise LessonError(f"`check` must be an expression over the facts. Received: check={text!r}", source, step)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise LessonError(f"`check` is not a valid expression ({exc.msg}). Received: check={text!r}. "
                          f"A check may use {ALLOWED}: {_facts_list()}", source, step) from None
    try:
        kind = _kind(tree, text.strip())
    except ValueError as exc:
        raise LessonError(f"`check` {exc}. Received: check={text!r}", source, step) from None
    if kind != "bool":
        raise LessonError(f"`check` must be a condition (a comparison, or true/false facts joined by and/or), "
                          f"not a {'number' if kind == 'num' else 'text'}. Received: check={text!r}", source, step)
    names = tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in FACT_KINDS}))
    return Check(text.strip(), names, tree)


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _eval(node: ast.AST, facts: Facts):
    if isinstance(node, ast.Expression):
        return _eval(node.body, facts)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(bool(_eval(v, facts)) for v in node.values)
        return any(bool(_eval(v, facts)) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, facts)
        if isinstance(node.op, ast.Not):
            return not value
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, facts), _eval(node.right, facts)
        if isinstance(node.op, ast.Div):
            return a / b if b != 0 else math.nan
        return _ARITH[type(node.op)](a, b)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, facts)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, facts)
            if _nan(left) or _nan(right) or not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        return getattr(facts, node.id)
    return node.value   # a Constant (the grammar was checked at compile time)

