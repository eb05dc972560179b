"""Outgoing email through the operator's SMTP server (AGORA_SMTP_URL); without one, Agora sends none.

`smtp://user:password@host:587` speaks SMTP and upgrades with STARTTLS when the server
offers it; `smtps://...:465` uses TLS from the start. Sending blocks (call it from a
worker thread) and is bounded by a timeout: a mail server that does not answer costs the
caller at most that long, and the caller says the mail did not go rather than fail.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from agora.config import Settings

TIMEOUT_SECONDS = 10


class MailNotSent(Exception):
    """The message did not go; `reason` is short enough to show to the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_url)


def send(settings: Settings, *, to: str, subject: str, text: str) -> None:
    """Send a plain-text message, or raise MailNotSent."""
    if not settings.smtp_url:
        raise MailNotSent("no mail server is configured (AGORA_SMTP_URL)")
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise MailNotSent("AGORA_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.mail_from, to, subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2].strip("> ") or None)
    message.set_content(text)
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(url.hostname, url.port or 25, timeout=TIMEOUT_SECONDS)
        with client:
            if url.scheme == "smtp":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailNotSent(f"the mail server {url.hostname} refused or did not answer ({error.__class__.__name__}: {error})"[:300]) from error
