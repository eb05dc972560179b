"""A GPT's actions: added from a document (pasted, uploaded or fetched), their operations enabled, auth and keys kept.

Only the GPT's editors see or change its actions (agora.gpts.usecases.editable). An action
belongs to the GPT, not to one of its versions: changing it changes what the live GPT
calls, as the hosted product does. Keys are encrypted under AGORA_SECRET_KEY and never
shown again: an editor sees that a key is set, and may replace it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.actions import calls, oauth, openapi, tokens
from agora.actions.models import GptAction
from agora.config import Settings
from agora.errors import InvalidInput, NotFound
from agora.gpts import plan_rules, usecases
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.providers import encryption
from agora.tools import builtin

PURPOSE = b"agora action api keys v1"
MAX_ACTIONS = 10  # per GPT
MAX_KEY = 2000
MAX_URL = 2000


class AuthIn(oauth.OAuthIn):
    """How calls authenticate. api_key: `key` (write-only: kept when omitted on an update), sent in the header
    `Authorization: Bearer <key>` (scheme bearer), `Authorization: Basic <key>` (basic) or in the header named
    `name` (custom), or in the query parameter `name` (`in`: query). oauth: each person signs in to the provider
    (agora.actions.oauth: `authorization_url`, `token_url`, `scope`, `client_id`, `client_secret`, `token_exchange`)
    and calls carry their access token."""

    type: Literal["none", "api_key", "oauth"] = "none"
    key: str | None = Field(None, max_length=MAX_KEY)
    in_: Literal["header", "query"] = Field("header", alias="in")
    name: str = Field("", max_length=100)
    scheme: Literal["bearer", "basic", "custom"] = "bearer"

    model_config = ConfigDict(populate_by_name=True)


@dataclass(frozen=True)
class Change:
    """What an editor sends: each field None to leave it as it is (on an update)."""

    schema: str | dict[str, Any] | None = None
    source_url: str | None = None  # where `schema` was fetched from (relative server URLs are read against it)
    auth: AuthIn | None = None
    enabled: list[str] | None = None
    privacy_url: str | None = None


def of_gpt(session: Session, gpt_id: str) -> list[GptAction]:
    """Every action of a GPT, oldest first: what its tools are made from."""
    return list(session.scalars(_OF_GPT, {"gpt_id": gpt_id}))


# Built once: every reply from a GPT that can call tools asks for its actions, mostly to learn it has none,
# and building a statement costs several times what running it does (see agora.gpts.access._usable_by_id).
_OF_GPT = select(GptAction).where(GptAction.gpt_id == bindparam("gpt_id")).order_by(GptAction.created_at, GptAction.id)


def listed(session: Session, actor: User | None, gpt_id: str) -> list[GptAction]:
    usecases.editable(session, actor, gpt_id)
    return of_gpt(session, gpt_id)


def find(session: Session, actor: User | None, gpt_id: str, action_id: str, *, for_update: bool = False) -> GptAction:
    usecases.editable(session, actor, gpt_id)
    query = select(GptAction).where(GptAction.id == action_id, GptAction.gpt_id == gpt_id)
    action = session.scalar(query.with_for_update() if for_update else query)
    if action is None:
        raise NotFound(_("This GPT has no action %(id)s.", id=action_id[:40]))
    return action


def create(session: Session, actor: User | None, settings: Settings, gpt_id: str, change: Change) -> GptAction:
    gpt = usecases.editable(session, actor, gpt_id)
    if change.schema is None:
        raise InvalidInput(_("Give the OpenAPI document (its text, or its URL)."), field="schema")
    existing = of_gpt(session, gpt.id)
    if len(existing) >= MAX_ACTIONS:
        raise InvalidInput(_("A GPT may have at most %(max)s actions.", max=MAX_ACTIONS), field="schema")
    action = GptAction(id="act_" + secrets.token_hex(8), gpt_id=gpt.id, auth={}, auth_type="none", enabled=[], operations=[])
    _apply(session, settings, action, change, others=existing, new=True, in_store=gpt.visibility == "public")
    session.add(action)
    session.flush()
    return action


def update(session: Session, actor: User | None, settings: Settings, gpt_id: str, action_id: str, change: Change) -> GptAction:
    gpt = usecases.editable(session, actor, gpt_id)
    action = find(session, actor, gpt_id, action_id, for_update=True)
    _apply(session, settings, action, change, others=[a for a in of_gpt(session, gpt_id) if a.id != action.id], new=False,
           in_store=gpt.visibility == "public")
    session.flush()
    return action


def delete(session: Session, actor: User | None, gpt_id: str, action_id: str) -> None:
    session.delete(find(session, actor, gpt_id, action_id, for_update=True))
    session.flush()


def _apply(session: Session, settings: Settings, action: GptAction, change: Change, *, others: list[GptAction], new: bool,
           in_store: bool) -> None:
    if change.schema is not None:
        document = openapi.read(change.schema, base_url=change.source_url or None)
        taken = {operation["operation_id"] for other in others for operation in other.operations} | {tool.name for tool in builtin.TOOLS}
        for operation in document.operations:
            if operation.operation_id in taken:
                raise InvalidInput(_("The operationId “%(id)s” is already a tool of this GPT (another action, or a built-in tool): "
                                     "the model could not tell them apart.", id=operation.operation_id), field="schema", code="invalid_openapi")
        previous = set(action.enabled)
        action.document, action.title = document.text, document.title[:200]
        action.source_url = (change.source_url or "")[:MAX_URL]
        action.operations = [operation.stored() for operation in document.operations]
        ids = [operation.operation_id for operation in document.operations]
        # A new document keeps enabled the operations that still exist; a new action starts with all of them.
        action.enabled = ids if new else [i for i in ids if i in previous]
    if change.enabled is not None:
        ids = [operation["operation_id"] for operation in action.operations]
        unknown = [name for name in change.enabled if name not in ids]
        if unknown:
            raise InvalidInput(_("The document has no operation “%(id)s”.", id=unknown[0][:80]), field="enabled")
        action.enabled = [i for i in ids if i in set(change.enabled)]
    if change.auth is not None:
        before = (action.auth_type, action.auth.get("authorization_url"), action.auth.get("token_url"))
        _set_auth(action, change.auth, settings)
        if before[0] == "oauth" and before != (action.auth_type, action.auth.get("authorization_url"), action.auth.get("token_url")):
            # Tokens another provider (or none) issued are no use to the calls now: people sign in again.
            tokens.forget_everyone(session, action_id=action.id)
    if change.privacy_url is not None:
        action.privacy_url = _privacy_url(change.privacy_url)
    if not action.privacy_url and in_store:
        raise InvalidInput(_("This GPT is listed in the store: give the API's privacy policy URL."), field="privacy_url")


def _set_auth(action: GptAction, auth: AuthIn, settings: Settings) -> None:
    if auth.type == "oauth":
        oauth.configure(action, auth, settings)
        return
    if auth.type == "none":
        action.auth_type, action.auth, action.secret_encrypted = "none", {}, None
        return
    name = auth.name.strip()
    if auth.in_ == "query" or auth.scheme == "custom":
        if not name or not all(c.isalnum() or c in "-_." for c in name):
            raise InvalidInput(_("Name the %(place)s the key goes in (letters, digits, “-”, “_” or “.”), e.g. X-Api-Key.",
                                 place=_("query parameter") if auth.in_ == "query" else _("header")), field="auth.name")
        if auth.in_ == "header" and name.lower() in ("host", "content-type", "content-length", "cookie", "transfer-encoding"):
            raise InvalidInput(_("The key cannot go in the header %(name)s.", name=name), field="auth.name")
    key = (auth.key or "").strip()
    if not key and not (action.auth_type == "api_key" and action.secret_encrypted):
        raise InvalidInput(_("Enter the API key."), field="auth.key")
    if any(c in key for c in "\r\n\x00"):
        raise InvalidInput(_("An API key is one line of text."), field="auth.key")
    action.auth_type = "api_key"
    action.auth = {"in": auth.in_, "name": name or "Authorization", "scheme": "custom" if auth.in_ == "query" else auth.scheme}
    if key:  # omitted on an update: the stored key stays
        action.secret_encrypted = encryption.encrypt(key, settings.resolved_secret_key(), PURPOSE)


def _privacy_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise InvalidInput(_("The privacy policy's address must be an http or https URL."), field="privacy_url")
    return url


def auth_of(action: GptAction, settings: Settings | None) -> calls.Auth:
    """The action's auth with its key in clear, for a call (never stored nor shown)."""
    if action.auth_type != "api_key" or not action.secret_encrypted:
        return calls.Auth()
    if settings is None:
        raise calls.CallRefused(_("The action's key cannot be read here."), code="key_unreadable")
    try:
        key = encryption.decrypt(action.secret_encrypted, settings.resolved_secret_key(), PURPOSE)
    except encryption.KeyUnreadable:
        raise calls.CallRefused(_("The action's API key was saved under another secret key: an editor must enter it again."),
                                code="key_unreadable") from None
    return calls.Auth("api_key", action.auth.get("in", "header"), action.auth.get("name", "Authorization"), action.auth.get("scheme", "bearer"), key)


def operation_of(action: GptAction, operation_id: str) -> openapi.Operation:
    for stored in action.operations:
        if stored["operation_id"] == operation_id:
            return openapi.Operation.from_stored(stored)
    raise InvalidInput(_("The action has no operation “%(id)s”.", id=operation_id[:80]), field="operation_id")


def check_listing(session: Session, gpt: Gpt) -> None:
    """A GPT with actions is listed in the store only once each action names its API's privacy policy (gpts.plan_rules)."""
    if any(not action.privacy_url for action in of_gpt(session, gpt.id)):
        raise InvalidInput(_("Give the privacy policy URL of each of the GPT's actions (in its Actions section) before listing it in the store."),
                           field="visibility", code="privacy_policy_missing")


plan_rules.add_listing_check(check_listing)
