"""Fixtures the inventory tests share: sign-ups and plans (billing), the model stand-in (chat), SCIM and its identity provider."""

from tests.billing.conftest import no_trial, put_on_plan, signed_up  # noqa: F401 (fixtures and helpers)
from tests.chat.conftest import ChatClient, standin_server, upstream  # noqa: F401
from tests.scim.conftest import provisioned  # noqa: F401
from tests.sso.conftest import idp  # noqa: F401
