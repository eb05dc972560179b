"""The rules for operator-configured providers: validate, store (keys encrypted), choose the default.

Every change renews the catalog's stamp in the same transaction, which is how the other
workers learn to reload (agora.providers.catalog). Only administrators change anything.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.providers import encryption, registry
from agora.providers.models import ProviderCatalog, ProviderConfig

CATALOG_ROW = 1
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}")
MODEL = re.compile(r"[^\s,]{1,200}")
MAX_MODELS = 100
CONTEXT_RANGE = (256, 10_000_000)
TIMEOUT_RANGE = (1.0, 600.0)


@dataclass(frozen=True)
class ProviderForm:
    """What the admin typed, as text; `api_key` empty keeps the stored key unless `clear_key`."""

    name: str = ""
    kind: str = "openai"
    base_url: str = ""
    api_key: str = ""
    clear_key: bool = False
    models: str = ""
    context_tokens: str = "8192"
    timeout_seconds: str = "30"
    enabled: bool = True


def _admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("Only administrators configure model providers."))


def all_rows(session: Session) -> list[ProviderConfig]:
    return list(session.scalars(select(ProviderConfig).order_by(ProviderConfig.name)))


def enabled_rows(session: Session) -> list[ProviderConfig]:
    return [row for row in all_rows(session) if row.enabled]


def get(session: Session, provider_id: int) -> ProviderConfig:
    row = session.get(ProviderConfig, provider_id)
    if row is None:
        raise NotFound(_("There is no such provider."))
    return row


def stamp(session: Session) -> str:
    return session.scalar(select(ProviderCatalog.stamp).where(ProviderCatalog.id == CATALOG_ROW)) or ""


def chosen_default(session: Session) -> str | None:
    return session.scalar(select(ProviderCatalog.default_model).where(ProviderCatalog.id == CATALOG_ROW))


def api_key(row: ProviderConfig, secret_key: str) -> str | None:
    """The stored key in clear, None when there is none; raises encryption.KeyUnreadable."""
    return encryption.decrypt(row.api_key_encrypted, secret_key) if row.api_key_encrypted else None


def create(session: Session, admin: User, form: ProviderForm, *, secret_key: str) -> ProviderConfig:
    _admin(admin)
    row = ProviderConfig(api_key_encrypted=None)
    _apply(session, row, form, secret_key)
    session.add(row)
    session.flush()
    return row


def update(session: Session, admin: User, provider_id: int, form: ProviderForm, *, secret_key: str) -> ProviderConfig:
    _admin(admin)
    row = get(session, provider_id)
    _apply(session, row, form, secret_key)
    return row


def set_enabled(session: Session, admin: User, provider_id: int, *, enabled: bool) -> None:
    _admin(admin)
    get(session, provider_id).enabled = enabled
    _renew(session)


def delete(session: Session, admin: User, provider_id: int) -> None:
    _admin(admin)
    session.delete(get(session, provider_id))
    _renew(session)


def choose_default(session: Session, admin: User, model: str, *, offered: list[str]) -> None:
    """`model` answers when a GPT names none (or one no longer offered); empty: back to the settings' default."""
    _admin(admin)
    model = model.strip()
    if model and model not in offered:
        raise InvalidInput(_("No enabled provider offers the model %(model)s.", model=model), field="default_model")
    _renew(session, default_model=model or None)


def validated(session: Session, form: ProviderForm, *, provider_id: int | None = None) -> dict:
    """The form's values checked and typed (the key excepted); raises InvalidInput naming the field."""
    name = " ".join(form.name.split())
    if not NAME.fullmatch(name):
        raise InvalidInput(_("Names are 1 to 60 letters, digits, spaces, dots, dashes or underscores."), field="name")
    taken = select(ProviderConfig.id).where(func.lower(ProviderConfig.name) == name.lower(), ProviderConfig.id != (provider_id or 0))
    if session.scalar(taken) is not None:
        raise Conflict(_("Another provider is already named %(name)s.", name=name), field="name")
    installed = sorted(registry.available())
    if form.kind not in installed:
        raise InvalidInput(_("Choose one of the installed kinds: %(kinds)s.", kinds=", ".join(installed)), field="kind")
    base_url = form.base_url.strip().rstrip("/")
    if base_url or form.kind == "openai":
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(base_url) > 500:
            raise InvalidInput(_("Enter the server's address, such as https://api.openai.com/v1."), field="base_url")
    models = list(dict.fromkeys(m for m in re.split(r"[\s,]+", form.models) if m))
    if len(models) > MAX_MODELS or any(not MODEL.fullmatch(m) for m in models):
        raise InvalidInput(_("List up to %(count)s model names separated by commas.", count=MAX_MODELS), field="models")
    if not models and form.kind == "openai":
        raise InvalidInput(_("List the models to offer from this server, such as gpt-4o-mini."), field="models")
    return {
        "name": name, "kind": form.kind, "base_url": base_url, "models": models, "enabled": form.enabled,
        "context_tokens": int(_number(form.context_tokens, CONTEXT_RANGE, "context_tokens", whole=True)),
        "timeout_seconds": _number(form.timeout_seconds, TIMEOUT_RANGE, "timeout_seconds", whole=False),
    }


def checked_key(text: str) -> str:
    key = text.strip()
    if len(key) > 1000 or any(c.isspace() for c in key):
        raise InvalidInput(_("An API key is one word of at most 1000 characters."), field="api_key")
    return key


def _apply(session: Session, row: ProviderConfig, form: ProviderForm, secret_key: str) -> None:
    for field, value in validated(session, form, provider_id=row.id).items():
        setattr(row, field, value)
    key = checked_key(form.api_key)
    if key:
        row.api_key_encrypted = encryption.encrypt(key, secret_key)
    elif form.clear_key:
        row.api_key_encrypted = None
    _renew(session)


def _renew(session: Session, **changes) -> None:
    catalog = session.get(ProviderCatalog, CATALOG_ROW)
    if catalog is None:  # emptied tables (tests); the migration creates the row
        catalog = ProviderCatalog(id=CATALOG_ROW)
        session.add(catalog)
    catalog.stamp = secrets.token_hex(16)
    for field, value in changes.items():
        setattr(catalog, field, value)


def _number(text: str, bounds: tuple[float, float], field: str, *, whole: bool) -> float:
    low, high = bounds
    try:
        value = int(text.strip()) if whole else float(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise InvalidInput(_("Enter a number from %(low)s to %(high)s.", low=f"{low:g}", high=f"{high:g}"), field=field)
    return value
