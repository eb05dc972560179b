"""Fixtures the team store tests share with billing and chat: sign-ups, plans, the model stand-in."""

from tests.billing.conftest import no_trial, put_on_plan, signed_up  # noqa: F401 (fixtures and helpers)
from tests.chat.conftest import ChatClient, standin_server, upstream  # noqa: F401
