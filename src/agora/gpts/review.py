"""Where a GPT stands with the store's review, as its editors see it: read through the reader agora.moderation hands down.

The builder's API shows it (`review` on GET /api/gpts/{id}) but the review lives above the builder, so the
moderation package gives its reader here when it is loaded (docs/architecture.md, "Turning a call around").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from agora.gpts.models import Gpt

Reader = Callable[[Session, Gpt], dict[str, Any]]
_reader: list[Reader] = []


def give_reader(reader: Reader) -> None:
    """agora.moderation's reader of a GPT's review (state, checks, reason); the last one given is used."""
    _reader[:] = [reader]


def of(session: Session, gpt: Gpt) -> dict[str, Any]:
    if not _reader:
        raise RuntimeError("agora.moderation is not loaded: import it (create_app and the agora command do) before reading reviews")
    return _reader[0](session, gpt)
