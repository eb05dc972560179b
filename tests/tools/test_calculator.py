"""The calculator: exact answers for arithmetic, refusals (never evaluation) for anything else, bounded work."""

from __future__ import annotations

import asyncio
import operator
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.tools.base import ToolContext, ToolFailed
from agora.tools.calculator import Calculator, evaluate, format_number

CONTEXT = ToolContext(user_id=1, gpt_id="g-x", conversation_id=None, language="en", timezone="UTC")
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@given(st.integers(-10**12, 10**12), st.sampled_from(sorted(OPERATORS)), st.integers(-10**12, 10**12))
def test_arithmetic_is_exact(a, symbol, b):
    if symbol == "/" and b == 0:
        with pytest.raises(ToolFailed):
            evaluate(f"{a} / {b}")
        return
    assert evaluate(f"({a}) {symbol} ({b})") == OPERATORS[symbol](Fraction(a), Fraction(b))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**6, max_value=10**6))
def test_decimals_are_read_as_written_and_written_back_exactly(number):
    assert evaluate(str(number)) == Fraction(number)
    assert Fraction(format_number(Fraction(number))) == Fraction(number)


@pytest.mark.parametrize(("expression", "shown"), [
    ("0.1 + 0.2", "0.3"), ("17 * 23", "391"), ("1/3", "1/3 ≈ 0.333333333333333"), ("2^10", "1024"), ("-7 // 2", "-4"),
    ("7 % 3", "1"), ("3 × 4 ÷ 6", "2"), ("2**-2", "0.25"), ("1.5e3 * 2", "3000"), ("(((1)))", "1"),
])
def test_answers(expression, shown):
    assert format_number(evaluate(expression)) == shown


@pytest.mark.parametrize("expression", [
    "__import__('os').system('true')", "open('/etc/passwd')", "x + 1", "(1).__class__", "[1, 2]", "lambda: 1", "1 if 1 else 2",
    "1 < 2", "'a' * 3", "True + 1", "1; 2", "9**9**9", "10**10001", "2 ** 0.5", "1 / 0", "0 ** -1", "7 % 0", "1" * 501, "", "1 +",
])
def test_anything_else_is_refused_with_a_reason(expression):
    with pytest.raises(ToolFailed) as refused:
        evaluate(expression)
    assert str(refused.value)


def test_the_tool_answers_the_model_and_sums_it_up_for_the_person():
    result = asyncio.run(Calculator().run({"expression": "17  *  23"}, CONTEXT))
    assert (result.content, result.summary) == ("391", "17 * 23 = 391")
    with pytest.raises(ToolFailed):
        asyncio.run(Calculator().run({"expr": "1"}, CONTEXT))
