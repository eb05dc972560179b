"""An administrator's browser for the provider admin pages, and the form they submit."""

from __future__ import annotations

from agora.accounts import service as accounts
from agora.providers import configs
from agora.providers.configs import ProviderForm
from tests.conftest import SECRET

ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "a long admin password"
API_KEY = "sk-test-abcdefghijklmnop-wxyz"


def make_admin(database, make_browser):
    with database.session() as session:
        accounts.create_user(session, email=ADMIN_EMAIL, display_name="Root", password=ADMIN_PASSWORD, role="admin")
    admin = make_browser()
    assert admin.login(email=ADMIN_EMAIL, password=ADMIN_PASSWORD).status_code == 303
    return admin


def provider_form(base_url: str, /, **changes) -> dict:
    form = {"name": "Stand-in", "kind": "openai", "base_url": base_url, "api_key": API_KEY, "models": "standin-db, second-db",
            "context_tokens": "4000", "timeout_seconds": "2", "enabled": "1", "action": "save"}
    return {**form, **changes}


def add_provider(admin, base_url: str, /, **changes):
    return admin.submit("/admin/providers", provider_form(base_url, **changes), form_page="/admin/providers/new")


def store_provider(database, base_url: str, *, name: str = "Stand-in", models: str = "standin-db", key: str = API_KEY, secret: str = SECRET):
    """Straight into the database, as the admin page does; returns the provider's id."""
    with database.session() as session:
        admin = accounts.user_by_email(session, "ops@example.com") or accounts.create_user(
            session, email="ops@example.com", display_name="Ops", password=None, role="admin")
        form = ProviderForm(name=name, kind="openai", base_url=base_url, api_key=key, models=models, timeout_seconds="2")
        return configs.create(session, admin, form, secret_key=secret).id
