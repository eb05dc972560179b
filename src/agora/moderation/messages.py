"""Message guardrails, the moderation side: the operator's policy per category, screening through the store checks'
moderation provider, and the flagged exchanges moderators review (the reply engine's side is agora.replies.guardrails).

Policy: AGORA_MODERATION_MESSAGES is the action for every category (off, flag, block), AGORA_MODERATION_MESSAGES_CATEGORIES
the exceptions (`sexual/minors=block,harassment=flag`). A text flagged in several categories gets the strongest action
among them. A provider that cannot answer: a message is refused (503) when the policy blocks any category, since the
operator chose that nothing of it may pass, and goes on otherwise (a flag only informs); a reply always goes on, since
the person has already read it as it streamed. Both are logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.config import Settings
from agora.db import insert_for, utcnow
from agora.errors import NotFound, Unavailable
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.moderation.categories import CATEGORIES
from agora.moderation.models import MessageFlag
from agora.moderation.providers import ProviderUnavailable, provider_for
from agora.moderation.review import require_moderator
from agora.replies import guardrails
from agora.replies.guardrails import Exchange, Verdict

log = logging.getLogger(__name__)
ACTIONS = ("off", "flag", "block")
UNAVAILABLE_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Policy:
    default: str
    overrides: tuple[tuple[str, str], ...]

    def action(self, category: str) -> str:
        """A category's action; one the provider names outside OpenAI's list (an `unspecified` flag) gets the default."""
        return dict(self.overrides).get(category, self.default)

    @property
    def active(self) -> bool:
        return self.default != "off" or any(action != "off" for _category, action in self.overrides)

    @property
    def blocks(self) -> bool:
        return self.default == "block" or any(action == "block" for _category, action in self.overrides)


@cache
def _parsed(default: str, categories: str) -> Policy:
    overrides = []
    for item in filter(None, categories.split(",")):
        category, _equals, action = item.partition("=")
        if category not in CATEGORIES:
            raise ValueError(f"AGORA_MODERATION_MESSAGES_CATEGORIES: unknown category {category!r}; use OpenAI's moderation categories:"
                             f" {', '.join(CATEGORIES)}")
        overrides.append((category, action))
    return Policy(default, tuple(overrides))


def policy(settings: Settings) -> Policy:
    """The operator's policy; raises ValueError naming the setting for an unknown category (create_app checks it at start-up)."""
    return _parsed(settings.moderation_messages, settings.moderation_messages_categories)


class ModerationGuard:
    """The guard the reply engine calls (agora.replies.guardrails.Guard)."""

    def active(self, settings: Settings, *, replies: bool = False) -> bool:
        return policy(settings).active and (not replies or settings.moderation_messages_replies)

    def screen(self, settings: Settings, text: str, *, reply: bool) -> Verdict | None:
        rules = policy(settings)
        provider = provider_for(settings)
        try:
            [screening] = provider.screen([text])
        except ProviderUnavailable as error:
            log.warning("moderation provider %s unavailable for a %s: %s", provider.name, "reply" if reply else "message", error)
            if rules.blocks and not reply:
                raise Unavailable(_("Messages cannot be checked right now, so none can be sent. Try again in a minute."),
                                  retry_after=UNAVAILABLE_RETRY_SECONDS, code="moderation_unavailable") from None
            return None
        acted = {category: score for category, score in screening.categories.items() if rules.action(category) != "off"}
        if not acted:
            return None
        action = "block" if any(rules.action(category) == "block" for category in acted) else "flag"
        if action == "block":  # the notice names the categories that block
            acted = {category: score for category, score in acted.items() if rules.action(category) == "block"}
        return Verdict(action, acted, provider.name)

    def write(self, session: Session, exchanges: list[Exchange]) -> None:
        record(session, exchanges)


def record(session: Session, exchanges: list[Exchange]) -> None:
    """Write exchanges for the moderators, each with its audit entry; one already written (a retried batch) is skipped."""
    for exchange in exchanges:
        message, reply = exchange.message_verdict, exchange.reply_verdict
        verdicts = [verdict for verdict in (message, reply) if verdict is not None]
        actions = [verdict.action for verdict in verdicts]
        values: dict[str, Any] = {
            "key": exchange.key, "user_id": exchange.user_id, "source": exchange.source, "gpt_id": exchange.gpt_id,
            "conversation_id": exchange.conversation_id, "message_id": exchange.message_id,
            "action": "block" if "block" in actions else "flag",
            "message_action": message.action if message else "", "message_categories": message.categories if message else {},
            "reply_action": reply.action if reply else "", "reply_categories": reply.categories if reply else {},
            "provider": verdicts[0].provider if verdicts else "", "message": exchange.message, "reply": exchange.reply,
            "created_at": utcnow(),
        }
        inserted = session.execute(insert_for(session)(MessageFlag).values(**values).on_conflict_do_nothing(index_elements=["key"])
                                   .returning(MessageFlag.id)).scalar()
        if inserted is None:
            continue
        for side, verdict in (("message", message), ("reply", reply)):
            if verdict is not None:
                # No text in the audit log: it outlives the flag, whose texts a review erases.
                audit.record(session, f"moderation.{side}_{'blocked' if verdict.action == 'block' else 'flagged'}", actor_label="system",
                             target_type="message_flag", target_id=inserted,
                             details={"categories": sorted(verdict.categories), "source": exchange.source, "gpt": exchange.gpt_id,
                                      "conversation": exchange.conversation_id, "user": exchange.user_id})


@dataclass(frozen=True)
class FlaggedExchange:
    flag: MessageFlag
    person: str  # who wrote the message (their email)
    gpt_name: str


def open_flags(session: Session, *, limit: int = 200) -> list[FlaggedExchange]:
    """Exchanges waiting for a moderator to look at them, oldest first."""
    rows = session.execute(select(MessageFlag, User.email, Gpt.name).join(User, User.id == MessageFlag.user_id)
                           .outerjoin(Gpt, Gpt.id == MessageFlag.gpt_id).where(MessageFlag.reviewed_at.is_(None))
                           .order_by(MessageFlag.id).limit(limit))
    return [FlaggedExchange(flag, email, name or "") for flag, email, name in rows]


def mark_reviewed(session: Session, moderator: User, flag_id: int) -> None:
    """A moderator read the exchange: its texts are erased (only the verdicts stay), and the step is in the audit log."""
    require_moderator(session, moderator)
    flag = session.get(MessageFlag, flag_id)
    if flag is None or flag.reviewed_at is not None:
        raise NotFound(_("There is no flagged message %(id)s waiting.", id=flag_id))
    session.execute(update(MessageFlag).where(MessageFlag.id == flag_id).values(reviewed_at=utcnow(), reviewed_by=moderator.id, message="",
                                                                                reply=None))
    audit.record(session, "moderation.message_reviewed", actor=moderator, target_type="message_flag", target_id=flag_id,
                 details={"action": flag.action, "user": flag.user_id})


guardrails.install(ModerationGuard())
