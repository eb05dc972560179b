"""Fixtures of the enterprise walk-through: the OpenID provider, the model stand-in, sign-ups and plans."""

from tests.billing.conftest import no_trial, put_on_plan, signed_up  # noqa: F401 (fixtures and helpers)
from tests.chat.conftest import ChatClient, standin_server, upstream  # noqa: F401
from tests.sso.conftest import idp  # noqa: F401
