"""The chat pages' sidebar: the person's conversations grouped by date, and the GPTs the switcher offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.chat import service
from agora.chat.models import Conversation
from agora.db import utcnow
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.i18n import gettext as _

SIDEBAR_CONVERSATIONS = 60
SWITCHER_GPTS = 8
# The browser tells its time zone in this cookie (agora.js), so "Today" is the person's today.
TIMEZONE_COOKIE = "tz"


@dataclass(frozen=True)
class Group:
    label: str
    conversations: list[Conversation]


@dataclass(frozen=True)
class SwitcherGpt:
    id: str
    name: str
    avatar: str


@dataclass(frozen=True)
class Sidebar:
    groups: list[Group]
    gpts: list[SwitcherGpt]  # the GPTs the person chatted with lately, for the GPT switcher


def timezone_named(name: str | None) -> tzinfo:
    """The browser's zone if it is a real one; UTC otherwise (a cookie is input like any other)."""
    if name and len(name) <= 64 and not name.startswith(("/", ".")) and ".." not in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def group_by_date(conversations: list[Conversation], *, now: datetime, zone: tzinfo, language: str) -> list[Group]:
    """Today, Yesterday, Previous 7 days, Previous 30 days, then one group per month, newest first.

    `conversations` come newest first (service.recent), so each group keeps that order.
    """
    today = now.astimezone(zone).date()
    groups: list[Group] = []
    for conversation in conversations:
        day = conversation.updated_at.astimezone(zone).date()
        age = (today - day).days
        if age <= 0:
            label = _("Today")
        elif age == 1:
            label = _("Yesterday")
        elif age <= 7:
            label = _("Previous 7 days")
        elif age <= 30:
            label = _("Previous 30 days")
        else:
            month = format_date(day, "LLLL y", locale=language)
            label = month[:1].upper() + month[1:]
        if groups and groups[-1].label == label:
            groups[-1].conversations.append(conversation)
        else:
            groups.append(Group(label, [conversation]))
    return groups


def recent_gpts(session: Session, user: User, language: str, *, limit: int = SWITCHER_GPTS) -> list[SwitcherGpt]:
    """The GPTs of the person's latest conversations (one entry each), as their public face names them."""
    latest = func.max(Conversation.updated_at)
    rows = session.execute(
        select(Conversation.gpt_id).join(Gpt, Gpt.id == Conversation.gpt_id)
        .where(Conversation.user_id == user.id, Gpt.deleted_at.is_(None))
        .group_by(Conversation.gpt_id).order_by(latest.desc()).limit(limit)
    ).scalars().all()
    found = []
    for gpt_id in rows:
        gpt = session.get(Gpt, gpt_id)
        assert gpt is not None  # joined above
        content = gpts.published_content(session, gpt)
        name = str(content.text("name", language)) if content else gpt.name
        avatar = content.avatar if content and len(content.avatar) <= 8 else ""  # emoji only, as the chat head shows it
        found.append(SwitcherGpt(gpt.id, name, avatar))
    return found


def sidebar(session: Session, user: User, *, language: str, zone_name: str | None, query: str = "") -> Sidebar:
    conversations = service.recent(session, user, query=query, limit=SIDEBAR_CONVERSATIONS)
    zone = timezone_named(zone_name)
    return Sidebar(group_by_date(conversations, now=utcnow(), zone=zone, language=language), recent_gpts(session, user, language))
