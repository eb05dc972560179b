"""Account tests catch the email Agora sends in a real SMTP server."""

from tests.mailbox import smtp  # noqa: F401 (a fixture)
