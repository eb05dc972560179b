"""The calculator: exact arithmetic for a model that would otherwise guess (small models get 17 x 23 wrong).

The expression is parsed by Python's `ast` and walked here, operator by allowed operator;
nothing is ever evaluated by Python itself. Numbers are exact fractions, so 0.1 + 0.2 is
0.3 and 1/3 stays a third (shown as 1/3 ≈ 0.333...). Results and exponents are bounded, so
no expression can keep a worker busy: 9**9**9 is refused, not computed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from agora.i18n import gettext as _
from agora.tools.base import ToolContext, ToolFailed, ToolResult

MAX_EXPRESSION = 500  # characters
MAX_DIGITS = 1000  # of a result's numerator or denominator
MAX_EXPONENT = 10_000
MAX_PLACES = 30  # decimals written out exactly; a longer one is shown as a fraction and its approximation
APPROXIMATE_DIGITS = 15  # significant digits of the decimal shown beside a fraction
# What people type for the same operators.
SPELLINGS = str.maketrans({"×": "*", "÷": "/", "−": "-", "^": "**"})
OPERATORS: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: lambda a, b: Fraction(a // b), ast.Mod: operator.mod,
}


class Calculator:
    name = "calculator"
    description = ("Evaluates an arithmetic expression exactly: numbers (decimals too), + - * / // % ** (or ^) and parentheses. "
                   "Use it for every calculation rather than working it out yourself, and give the user its result.")
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "The expression, e.g. (17 * 23) / 4 or 2**10"}},
        "required": ["expression"],
    }
    consequential = False
    timeout_seconds = 2.0
    max_result_chars = 2200

    def title(self) -> str:
        return _("Calculator")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        expression = arguments.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise ToolFailed(_("Give the expression to calculate as text."))
        result = format_number(evaluate(expression))
        shown = " ".join(expression.split())
        return ToolResult(content=result, summary=f"{shown} = {result}")


def evaluate(expression: str) -> Fraction:
    """The exact value of `expression`; ToolFailed, saying why, for anything else."""
    if len(expression) > MAX_EXPRESSION:
        raise ToolFailed(_("The expression is longer than %(max)s characters.", max=MAX_EXPRESSION))
    text = expression.translate(SPELLINGS).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ToolFailed(_("“%(expression)s” is not an arithmetic expression.", expression=expression)) from None
    return _value(tree.body, text)


def _value(node: ast.AST, text: str) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        # The digits as written: a float would already have rounded 0.1.
        return Fraction(ast.get_source_segment(text, node) or str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _value(node.operand, text)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _checked(_power(_value(node.left, text), _value(node.right, text)))
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _value(node.left, text), _value(node.right, text)
        if right == 0 and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            raise ToolFailed(_("Division by zero."))
        return _checked(OPERATORS[type(node.op)](left, right))
    raise ToolFailed(_("Only numbers, + - * / // % ** and parentheses are allowed."))


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1:
        raise ToolFailed(_("Exponents must be whole numbers: roots have no exact answer."))
    size = math.log10(max(abs(base.numerator), base.denominator)) if base else 0.0  # digits of the result, about, per unit of exponent
    if abs(exponent) > MAX_EXPONENT:
        raise ToolFailed(_("Exponents can be at most %(max)s.", max=MAX_EXPONENT))
    if size * abs(exponent) > MAX_DIGITS:
        raise ToolFailed(_("The result would have more than %(max)s digits.", max=MAX_DIGITS))
    if base == 0 and exponent < 0:
        raise ToolFailed(_("Division by zero."))
    return base ** int(exponent)


def _digits(value: Fraction) -> int:
    return max(len(str(abs(value.numerator))), len(str(value.denominator)))


def _checked(value: Fraction) -> Fraction:
    if _digits(value) > MAX_DIGITS:
        raise ToolFailed(_("The result would have more than %(max)s digits.", max=MAX_DIGITS))
    return value


def format_number(value: Fraction) -> str:
    """An integer or a finite decimal exactly; any other fraction as p/q and a decimal approximation."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    places = max(twos, fives)
    if denominator == 1 and places <= MAX_PLACES:  # a finite decimal: scale to an integer, then place the point
        digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
        return ("-" if value < 0 else "") + digits[:-places] + "." + digits[-places:]
    return f"{value.numerator}/{value.denominator} ≈ {_approximately(value)}"


def _approximately(value: Fraction) -> str:
    with localcontext() as context:  # Decimal, not float: a thousand-digit result overflows a float
        context.prec = APPROXIMATE_DIGITS
        return format(Decimal(value.numerator) / Decimal(value.denominator), "g")
