"""Sending a builder the email of a decision (agora.mail); the store reviews page shows it whether or not the mail went."""

from __future__ import annotations

import logging

from agora import mail
from agora.config import Settings
from agora.moderation.review import Notice

log = logging.getLogger(__name__)


def send(settings: Settings, notice: Notice, *, page: str) -> bool:
    """Email the builder (after the decision committed); whether it went. `page`: the address of their store reviews page."""
    if not mail.configured(settings):
        return False
    try:
        mail.send(settings, to=notice.to, subject=notice.subject, text=f"{notice.text}\n\n{page}\n")
    except mail.MailNotSent as error:
        log.warning("moderation notice to %s not sent: %s", notice.to, error.reason)
        return False
    return True
