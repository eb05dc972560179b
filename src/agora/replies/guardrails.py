"""Guardrails on messages: the person's new message is screened before the model is called, the finished reply after it ends.

The operator's policy (AGORA_MODERATION_MESSAGES, per category: off, flag or block) decides; docs/moderation.md says
what each outcome does and what moderators may read. This module is the reply engine's side only: the moderation
domain, above it, installs the guard (`install`) that screens texts through the moderation provider, applies the
policy and writes the exchanges moderators review. With no guard installed, or the policy off, nothing is screened
and a reply's way is what it was without guardrails.

- A blocked message raises MessageBlocked in `prepare` (before anything is stored, counted or asked of the model);
  its output answers with the notice and hands `record` to the usage writer, so the moderators' copy is written in a
  transaction of its own (the turn's was rolled back).
- A flagged message goes on; its verdict rides with the reply (Prepared.screened) and is recorded when the reply ends.
- A finished reply is screened off the event loop once it ended (a stream cannot be unsent: the person has seen it);
  blocked, it is replaced by the notice in what is stored and what the output sends last.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any, Protocol

import anyio

from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.metering.writer import AlongWrite
from agora.replies.outcome import Outcome
from agora.replies.request import ReplyRequest

EXCERPT_CHARS = 4000  # of a message or a reply, kept for the moderators
FILTERED = "content_filter"  # a withheld reply's finish reason, as OpenAI names it


@dataclass(frozen=True)
class Verdict:
    """What the policy made of one text: `flag` (it goes on, moderators see it) or `block`, and the categories that decided."""

    action: str  # flag or block
    categories: dict[str, float]  # category -> the provider's score
    provider: str

    def named(self) -> str:
        return ", ".join(self.categories)


@dataclass(frozen=True)
class Exchange:
    """One screened exchange as moderators review it: the message and the reply (either may be absent), their verdicts."""

    key: str  # unique: the reply's usage key, or a blocked message's own (a retried write records it once)
    user_id: int
    source: str  # web, api or preview
    gpt_id: str | None
    conversation_id: str | None
    message_id: int | None  # the stored reply's (web)
    message: str
    message_verdict: Verdict | None
    reply: str | None  # None: there was no reply (the message was blocked)
    reply_verdict: Verdict | None


class Guard(Protocol):
    def active(self, settings: Settings, *, replies: bool = False) -> bool:
        """Whether messages (or, with `replies`, replies) are screened under `settings`."""
        ...

    def screen(self, settings: Settings, text: str, *, reply: bool) -> Verdict | None:
        """The policy's verdict on `text` (None: it passes); raises agora.errors.Unavailable when a message cannot be checked
        and the policy blocks some category."""
        ...

    def write(self, session: Any, exchanges: list[Exchange]) -> None:
        """Record exchanges for the moderators (idempotent by key), in the usage writer's transaction."""
        ...


_installed: list[Guard] = []  # the moderation domain's guard, once installed


def install(guard: Guard) -> None:
    _installed[:] = [guard]


def _guard() -> Guard | None:
    return _installed[0] if _installed else None


def active(settings: Settings) -> bool:
    """Whether a new message is screened: its preparation may then wait on the moderation provider."""
    guard = _guard()
    return guard is not None and guard.active(settings)


class MessageBlocked(InvalidInput):
    """The person's message breaks the operator's policy: refused before anything is stored or sent to the model."""

    code = "content_policy_violation"

    def __init__(self, verdict: Verdict, exchange: Exchange, write: AlongWrite) -> None:
        super().__init__(blocked_notice(verdict), field="content")
        self.verdict = verdict
        self.record: tuple[AlongWrite, Any] = (write, exchange)  # for the usage writer: written once the turn is rolled back


def blocked_notice(verdict: Verdict) -> str:
    return _("Your message was not sent: it was flagged as %(categories)s, which this service does not allow. "
             "A copy was kept for the moderators.", categories=verdict.named())


def withheld_notice(verdict: Verdict) -> str:
    return _("This reply was withheld: it was flagged as %(categories)s, which this service does not allow. "
             "A copy was kept for the moderators.", categories=verdict.named())


@dataclass(frozen=True)
class Flagged:
    """A new message the policy flagged (not blocked): it goes on, and is recorded with its reply when the reply ends."""

    message: str
    verdict: Verdict


def text_of(message: dict[str, Any]) -> str:
    """A message's text: its content, or its text parts joined (OpenAI's content parts)."""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text")
    return content if isinstance(content, str) else ""


def check_message(request: ReplyRequest, settings: Settings) -> Flagged | None:
    """Screen the request's new message (the last, when `request.screen` and it is the person's: not a tool's result sent
    back through /v1): a flag is returned, a block raised."""
    guard = _guard()
    if guard is None or not request.screen or not request.messages or request.messages[-1].get("role") != "user" or not guard.active(settings):
        return None
    text = text_of(request.messages[-1])
    verdict = guard.screen(settings, text, reply=False) if text.strip() else None
    if verdict is None:
        return None
    if verdict.action == "block":
        exchange = Exchange(f"blocked:{uuid.uuid4().hex}", request.user.id, request.source, request.gpt_id, request.conversation_id, None,
                            _excerpt(text), verdict, None, None)
        raise MessageBlocked(verdict, exchange, guard.write)
    return Flagged(_excerpt(text), verdict)


async def screen_reply(settings: Settings | None, text: str) -> Verdict | None:
    """Screen a finished reply, in a worker thread (the provider may be a server away)."""
    guard = _guard()
    if guard is None or settings is None or not text.strip() or not guard.active(settings, replies=True):
        return None
    return await anyio.to_thread.run_sync(lambda: guard.screen(settings, text, reply=True))


def applied(outcome: Outcome, verdict: Verdict | None) -> Outcome:
    """The outcome as kept and sent last: a blocked reply's text replaced by the notice, with OpenAI's finish reason."""
    if verdict is None or verdict.action != "block":
        return outcome
    notice = withheld_notice(verdict)
    # Nothing of it is carried on either: no citations, no calls handed back, no consequential call waiting for the person.
    return replace(outcome, text=notice, refusal=notice, finish_reason=FILTERED, citations=(), tool_calls=[], waiting=None)


def with_record(along: tuple[AlongWrite, Any] | None, *, key: str, prepared: Any, reply: str, flagged: Flagged | None,
                reply_verdict: Verdict | None, message_id: int | None) -> tuple[AlongWrite, Any] | None:
    """The usage writer's `along` for a reply (`prepared`: agora.replies.prepare.Prepared; `reply`: its text as the model wrote
    it): the caller's, plus the exchange for the moderators when the message or the reply was flagged."""
    guard = _guard()
    if guard is None or (flagged is None and reply_verdict is None):
        return along
    metering = prepared.metering
    message = flagged.message if flagged is not None else _excerpt(
        next((text_of(item) for item in reversed(prepared.request.messages) if item.get("role") == "user"), ""))
    exchange = Exchange(key, metering.user_id, metering.source, metering.gpt_id, metering.conversation_id, message_id, message,
                        flagged.verdict if flagged is not None else None, _excerpt(reply), reply_verdict)
    return record_and_keep, ((guard.write, exchange), along)


def record_and_keep(session: Any, values: list[tuple[tuple[AlongWrite, Exchange], tuple[AlongWrite, Any] | None]]) -> None:
    """Record the exchanges, then write what the callers keep alongside (grouped by their write, as the usage writer does)."""
    records: dict[AlongWrite, list[Any]] = {}
    kept: dict[AlongWrite, list[Any]] = {}
    for (write, exchange), along in values:
        records.setdefault(write, []).append(exchange)
        if along is not None:
            kept.setdefault(along[0], []).append(along[1])
    for group in (records, kept):
        for write, items in group.items():
            write(session, items)


def _excerpt(text: str) -> str:
    text = text.replace("\x00", "")  # PostgreSQL refuses NUL characters in text
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
