"""The automated checks every submission to the store gets: policy, impersonation, clone. Each passes or flags,
with what it found; a flag sends the GPT to a person whatever the review mode."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.config import Settings
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.moderation import clones, impersonation
from agora.moderation.providers import ProviderUnavailable, provider_for
from agora.store.models import BuilderDomain

log = logging.getLogger(__name__)
KINDS = ("policy", "impersonation", "clone")


def run(session: Session, settings: Settings, gpt: Gpt, content: GptContent) -> list[dict[str, Any]]:
    return [policy(settings, content), impersonating(session, settings, gpt, content), clone(session, settings, gpt, content)]


def _check(kind: str, flagged: bool, detail: Any) -> dict[str, Any]:
    return {"kind": kind, "result": "flag" if flagged else "pass", "detail": detail}


def screened_texts(content: GptContent) -> dict[str, str]:
    """What the store shows or the model is told, by field (translations as 'fr.name')."""
    texts = {"name": content.name, "description": content.description, "instructions": content.instructions,
             "welcome_message": content.welcome_message}
    texts |= {f"starters.{n}": starter for n, starter in enumerate(content.starters)}
    for language, translated in content.localized.items():
        texts |= {f"{language}.{field}": getattr(translated, field) for field in ("name", "description", "instructions", "welcome_message")}
        texts |= {f"{language}.starters.{n}": starter for n, starter in enumerate(translated.starters)}
    return {field: text for field, text in texts.items() if text.strip()}


def policy(settings: Settings, content: GptContent) -> dict[str, Any]:
    texts = screened_texts(content)
    provider = provider_for(settings)
    try:
        screenings = provider.screen(list(texts.values()))
    except ProviderUnavailable as error:
        # No verdict is not a pass: a person looks instead.
        log.warning("moderation provider %s unavailable: %s", provider.name, error)
        return _check("policy", True, {"provider": provider.name, "error": str(error)})
    categories: dict[str, float] = {}
    fields: dict[str, list[str]] = {}
    for field, screening in zip(texts, screenings, strict=True):
        for category, score in screening.categories.items():
            categories[category] = max(categories.get(category, 0.0), score)
            fields.setdefault(field, []).append(category)
    return _check("policy", bool(categories), {"provider": provider.name, "categories": categories, "fields": fields})


def protected_names(session: Session, settings: Settings, owner_id: int) -> list[str]:
    """The operator's brands, then the display names of verified builders other than the owner."""
    brands = [name.strip() for name in settings.moderation_protected_names.split(",") if name.strip()]
    verified = session.scalars(
        select(User.display_name).where(User.id != owner_id, User.id.in_(select(BuilderDomain.user_id).where(BuilderDomain.verified_at.is_not(None))))
    )
    return brands + sorted(set(verified))


def impersonating(session: Session, settings: Settings, gpt: Gpt, content: GptContent) -> dict[str, Any]:
    texts = [content.name, content.description] + [t for tr in content.localized.values() for t in (tr.name, tr.description)]
    claimed = impersonation.claimed_names(texts, protected_names(session, settings, gpt.owner_id))
    # A builder who verified the brand's domain (openai.com for 'OpenAI') may use it.
    own = [d.split(".")[0] for d in session.scalars(select(BuilderDomain.domain).where(BuilderDomain.user_id == gpt.owner_id,
                                                                                       BuilderDomain.verified_at.is_not(None)))]
    claimed = [name for name in claimed if "".join(impersonation.skeleton_words(name)) not in {"".join(impersonation.skeleton_words(d)) for d in own}]
    return _check("impersonation", bool(claimed), {"names": claimed})


def clone(session: Session, settings: Settings, gpt: Gpt, content: GptContent) -> dict[str, Any]:
    matches = clones.originals(session, instructions=content.instructions, builder_id=gpt.owner_id, gpt_id=gpt.id,
                               threshold=settings.moderation_clone_threshold)
    if not matches:
        return _check("clone", False, {"threshold": settings.moderation_clone_threshold})
    best = matches[0]
    return _check("clone", True, {"original": {"id": best.gpt_id, "name": best.name}, "similarity": best.similarity,
                                  "forked_from_original": gpt.forked_from_id == best.gpt_id,
                                  "others": [{"id": m.gpt_id, "name": m.name, "similarity": m.similarity} for m in matches[1:5]]})
