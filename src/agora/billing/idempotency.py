"""Plan changes asked with an idempotency key: made once, and every retry answered as the first request was.

The key is claimed (`INSERT ... ON CONFLICT DO NOTHING`) in the transaction that makes the
change, after the workspace is held (billing.serial). A retry of a finished request finds the
claim and replays its answer. On PostgreSQL a retry racing the first request from another
workspace waits at the insert for the first to end; if it failed, nothing was claimed and the
retry makes the change itself. The same key for a different request is refused (422).
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora.billing.models import BillingRequest
from agora.db import insert_for
from agora.errors import InvalidInput
from agora.i18n import gettext as _

MAX_KEY_LENGTH = 100
FIELD = "Idempotency-Key"


def client_key(raw: str | None) -> str | None:
    """The client's key, or None without one; refused unless it is 1-100 visible ASCII characters."""
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in raw):
        raise InvalidInput(_("An Idempotency-Key is 1 to %(max)s visible ASCII characters (a UUID fits).", max=MAX_KEY_LENGTH), field=FIELD)
    return raw


def _stored(user_id: int, key: str) -> str:
    return f"{user_id}:{key}"


def claim(session: Session, *, user_id: int, key: str, asked: dict) -> dict | None:
    """None: the key is this request's, go ahead. Otherwise the answer the request that claimed it first got."""
    fingerprint = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()
    stored = _stored(user_id, key)
    claimed = session.execute(
        insert_for(session)(BillingRequest).values(key=stored, fingerprint=fingerprint).on_conflict_do_nothing().returning(BillingRequest.key)
    ).first()
    if claimed is not None:
        return None
    first = session.execute(select(BillingRequest.fingerprint, BillingRequest.result).where(BillingRequest.key == stored)).one()
    if first.fingerprint != fingerprint:
        raise InvalidInput(_("This Idempotency-Key was already used for a different request; send a new key for a new request."),
                           field=FIELD, code="idempotency_key_reused")
    return first.result


def answer(session: Session, *, user_id: int, key: str, result: dict) -> None:
    """What a retry of the claimed request will be answered, written in the change's transaction."""
    session.execute(update(BillingRequest).where(BillingRequest.key == _stored(user_id, key)).values(result=result))
