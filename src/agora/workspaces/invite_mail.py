"""The email carrying a team invitation's link, in the inviter's language.

Sent after the invitation is stored: a mail server that refuses or does not answer leaves
the invitation valid, and the inviter is told to pass the link on themselves.
"""

from __future__ import annotations

from agora import mail
from agora.config import Settings
from agora.i18n import gettext as _


def send(settings: Settings, *, to: str, team: str, inviter: str, url: str) -> str | None:
    """Email the invitation; returns None when it went, else why it did not."""
    if not mail.configured(settings):
        return _("No mail server is configured, so no email was sent.")
    subject = _("%(inviter)s invites you to %(team)s on Agora", inviter=inviter, team=team)
    text = _(
        "%(inviter)s invites you to join the team workspace %(team)s on Agora.\n\n"
        "Accept with this link (it works once, with the account of this email address):\n%(url)s\n\n"
        "If you do not know %(inviter)s, ignore this email.",
        inviter=inviter, team=team, url=url,
    )
    try:
        mail.send(settings, to=to, subject=subject, text=text)
    except mail.MailNotSent as refused:
        return _("The email could not be sent: %(reason)s.", reason=refused.reason)
    return None
