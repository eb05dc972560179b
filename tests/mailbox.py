"""A real SMTP server (aiosmtpd) on a loopback port that keeps what it is sent, for tests of Agora's email."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Inbox:
    """aiosmtpd handler: keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def besides_confirmations(self) -> list:
        """The messages other than the address confirmations every password sign-up is sent (agora.accounts.verification),
        which reach the inbox after the sign-up's answer, whenever the test reads it."""
        return [(to, message) for to, message in self.messages if message["Subject"] != "Confirm your email address for Agora"]


@pytest.fixture
def smtp(server) -> Iterator[Inbox]:
    """The test server sends its email here while the test runs."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    before = server.app.state.settings
    server.app.state.mail_limiter = None  # each test starts with no reset links sent (accounts.recovery_pages limits them)
    server.app.state.settings = before.model_copy(update={
        "smtp_url": f"smtp://127.0.0.1:{controller.port}", "mail_from": "Agora <team@agora.test>", "trial_days": 0,
    })
    yield inbox
    server.app.state.settings = before
    controller.stop()
