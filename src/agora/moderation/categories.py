"""The moderation categories (OpenAI's), which of them are severe, the reasons of reports and the moderators' reason templates."""

from __future__ import annotations

from agora.i18n import gettext as _

# OpenAI's moderation categories (https://platform.openai.com/docs/guides/moderation), as every provider reports them.
CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
    "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
)

# A delisting for one of these takes effect at once, without the notice period.
SEVERE = frozenset({"sexual/minors", "hate/threatening", "harassment/threatening", "illicit/violent", "self-harm/instructions", "violence/graphic"})

# What a user may report: the categories, plus what is not about content.
REPORT_REASONS = (*CATEGORIES, "impersonation", "spam", "broken")
TARGETS = ("gpt", "review", "share")

REASON_CODES = ("policy", "impersonation", "clone", "spam", "broken", "other")


def reason_templates() -> dict[str, str]:
    """Reasons moderators pick from when they reject or delist, in the request's language (the builder reads the
    text, with the moderator's note)."""
    return {
        "policy": _("It breaks the content policy (see the flagged categories)."),
        "impersonation": _("Its name or description claims to be a brand or builder it does not belong to."),
        "clone": _("It copies another builder's GPT; the original keeps its place in the store."),
        "spam": _("It is spam or misleading."),
        "broken": _("It does not work as described."),
        "other": _("Another reason, explained in the note."),
    }


def reason_text(code: str, note: str = "") -> str:
    templates = reason_templates()
    template = templates.get(code, templates["other"])
    return f"{template} {note}".strip() if note else template


def label(reason: str) -> str:
    """A report reason or category, for people."""
    extra = {"impersonation": _("impersonation"), "spam": _("spam"), "broken": _("broken")}
    return extra.get(reason, reason)
