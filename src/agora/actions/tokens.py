"""People's OAuth tokens for actions: kept encrypted per person and action, refreshed as they expire, removed on request.

A token is refused by nobody but the provider: when its refresh fails (the person revoked
Agora, the refresh token expired) the stored tokens are removed and the next call asks the
person to sign in again, as an API answering 401 to the access token does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora.actions import oauth
from agora.actions.models import ActionToken, GptAction
from agora.config import Settings
from agora.db import Database, begin_writing, rows_changed, utcnow
from agora.providers import encryption

TOKEN_PURPOSE = b"agora action oauth tokens v1"
EARLY_SECONDS = 60  # refreshed this long before the provider's expiry: a call must not leave with a token about to lapse


class SignInNeeded(Exception):
    """The person has no token for the action that works: they must sign in (again)."""


class ClientUnreadable(Exception):
    """The action's client secret was saved under another AGORA_SECRET_KEY: an editor must enter it again."""


def save(session: Session, settings: Settings, *, action_id: str, user_id: int, answer: dict[str, Any],
         previous_refresh: str | None = None) -> None:
    """Store a token response (the provider may not send a new refresh token on a refresh: the previous one stays)."""
    begin_writing(session)  # reads, then writes: on SQLite, the writer from BEGIN (agora.db.begin_writing)
    key = settings.resolved_secret_key()
    refresh = answer.get("refresh_token") if isinstance(answer.get("refresh_token"), str) else previous_refresh
    try:  # seconds, as a number or its text; absent or unreadable: the provider did not say
        expires_in: int | None = int(answer["expires_in"])
    except (KeyError, TypeError, ValueError):
        expires_in = None
    row = session.get(ActionToken, (action_id, user_id), with_for_update=True)
    if row is None:
        row = ActionToken(action_id=action_id, user_id=user_id)
        session.add(row)
    row.access_encrypted = encryption.encrypt(answer["access_token"], key, TOKEN_PURPOSE)
    row.refresh_encrypted = encryption.encrypt(refresh, key, TOKEN_PURPOSE) if refresh else None
    row.expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in is not None else None
    row.scope = str(answer.get("scope") or "")[:1000]
    row.updated_at = utcnow()
    session.flush()


def forget(session: Session, *, action_id: str, user_id: int) -> bool:
    """Remove the person's tokens for the action (disconnect); whether there were any."""
    return rows_changed(session.execute(delete(ActionToken).where(ActionToken.action_id == action_id, ActionToken.user_id == user_id))) > 0


def forget_everyone(session: Session, *, action_id: str) -> None:
    """Remove every person's tokens for the action (its provider or client changed: they sign in again)."""
    session.execute(delete(ActionToken).where(ActionToken.action_id == action_id))


@dataclass(frozen=True)
class Connection:
    """An action the person signed in to, as their list of connections shows it."""

    action_id: str
    gpt_id: str
    title: str
    host: str
    connected_at: datetime


def connections(session: Session, user_id: int) -> list[Connection]:
    rows = session.execute(select(ActionToken, GptAction).join(GptAction, GptAction.id == ActionToken.action_id)
                           .where(ActionToken.user_id == user_id).order_by(ActionToken.created_at)).all()
    return [Connection(action.id, action.gpt_id, action.title, oauth.host_of(action), token.created_at) for token, action in rows]


@dataclass(frozen=True)
class _Stored:
    access: str | None  # None: expired or unreadable
    refresh: str | None


def _load(database: Database, settings: Settings, action_id: str, user_id: int) -> _Stored | None:
    with database.session() as session:
        row = session.get(ActionToken, (action_id, user_id))
        if row is None:
            return None
        key = settings.resolved_secret_key()
        try:
            access = encryption.decrypt(row.access_encrypted, key, TOKEN_PURPOSE)
            refresh = encryption.decrypt(row.refresh_encrypted, key, TOKEN_PURPOSE) if row.refresh_encrypted else None
        except encryption.KeyUnreadable:  # saved under another secret key: as good as none
            return None
        fresh = row.expires_at is None or row.expires_at > utcnow() + timedelta(seconds=EARLY_SECONDS)
        return _Stored(access if fresh else None, refresh)


async def bearer(database: Database, settings: Settings, action: GptAction, user_id: int) -> str:
    """The access token to call the action's API with for this person, refreshed first when it expires.

    SignInNeeded when there is none that works (never signed in, disconnected, the refresh refused);
    ClientUnreadable, httpx.HTTPError or outbound.Refused when a refresh could not be asked for."""
    stored = await anyio.to_thread.run_sync(_load, database, settings, action.id, user_id)
    if stored is None:
        raise SignInNeeded
    if stored.access is not None:
        return stored.access
    if stored.refresh is None:
        await anyio.to_thread.run_sync(_forget, database, action.id, user_id)
        raise SignInNeeded
    client = oauth.client(action, settings)
    if client is None:
        raise ClientUnreadable
    try:
        answer = await oauth.token_request(client, settings, {"grant_type": "refresh_token", "refresh_token": stored.refresh})
    except oauth.TokenRefused:
        await anyio.to_thread.run_sync(_forget, database, action.id, user_id)
        raise SignInNeeded from None
    await anyio.to_thread.run_sync(_save, database, settings, action.id, user_id, answer, stored.refresh)
    return answer["access_token"]


def _forget(database: Database, action_id: str, user_id: int) -> None:
    with database.session() as session:
        forget(session, action_id=action_id, user_id=user_id)


def _save(database: Database, settings: Settings, action_id: str, user_id: int, answer: dict[str, Any], previous: str) -> None:
    with database.session() as session:
        save(session, settings, action_id=action_id, user_id=user_id, answer=answer, previous_refresh=previous)


async def revoked(database: Database, action_id: str, user_id: int) -> None:
    """The API refused the access token (401): forget it, so the next call asks the person to sign in again."""
    await anyio.to_thread.run_sync(_forget, database, action_id, user_id)
