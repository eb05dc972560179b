"""The tools Agora ships, each turned on by a capability in the GPT's content (the builder's checkbox)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from agora.tools.base import Tool, ToolOwner
from agora.tools.calculator import Calculator

CALCULATOR = Calculator()
TOOLS: tuple[Tool, ...] = (CALCULATOR,)


def tools_of(session: Session | None, owner: ToolOwner) -> Iterable[Tool]:
    if owner.content.capabilities.calculator:
        yield CALCULATOR
