"""In-process events: a lower layer says what happened, the layers above that care subscribe to it.

This is how a call turns around instead of going upward (docs/architecture.md): metering does
not import the store to move trending, it publishes `UsageRecorded` and the store listens; an
API key's revocation is published as `ApiKeyRevoked` and /v1's caches forget the key.

Delivery is synchronous, in the publisher's thread, in subscription order. A listener that
raises is logged and the others still run, and the publisher carries on: a cache that failed to
forget something must not undo the write that made it stale. An event class whose `in_transaction`
is true is the documented exception: its listeners write in the publisher's database transaction
(the session is in the event), so their error is raised to the publisher, which rolls back the
whole thing rather than commit half of it.

Listeners held by long-lived objects (caches on `app.state`) subscribe weakly: an app that is
dropped (every test makes several) stops listening instead of being kept alive by the hook.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, TypeVar

log = logging.getLogger(__name__)


class Event:
    """Base of every event: a frozen dataclass named after what happened, in the past tense."""

    name: ClassVar[str]
    in_transaction: ClassVar[bool] = False


@dataclass(frozen=True)
class GptChanged(Event):
    """A GPT's public face may differ: published, unpublished, a new version, deleted, its listing synced."""

    name: ClassVar[str] = "gpt.changed"
    gpt_id: str


@dataclass(frozen=True)
class CatalogueChanged(Event):
    """The store's shape changed (categories, featured picks): every cached store page may be stale."""

    name: ClassVar[str] = "catalogue.changed"


@dataclass(frozen=True)
class SsoProviderChanged(Event):
    """A single sign-on provider's settings were saved: what was read from its issuer may be stale."""

    name: ClassVar[str] = "sso_provider.changed"
    slug: str


@dataclass(frozen=True)
class GptActivity:
    """One GPT's new activity on one day, as a batch of usage records added it (rollup rows)."""

    gpt_id: str
    day: date
    users: int
    conversations: int
    messages: int


@dataclass(frozen=True)
class UsageRecorded(Event):
    """A batch of usage records was written, in `session`'s open transaction (listeners write in it too)."""

    name: ClassVar[str] = "usage.recorded"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session: kept as Any so the core imports no ORM
    activity: tuple[GptActivity, ...]


@dataclass(frozen=True)
class MemberLeaving(Event):
    """Someone is leaving a team (removed, left, or removed by its identity provider), in `session`'s
    open transaction, their membership not yet deleted: listeners (the GPT inventory) act in it too."""

    name: ClassVar[str] = "member.leaving"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    workspace_id: int
    user_id: int


@dataclass(frozen=True)
class VersionPublished(Event):
    """A GPT's draft (or, for a rollback, an older version's content) was published as `version_id`, in `session`'s
    open transaction: what is kept per version (knowledge files) is frozen in it too."""

    name: ClassVar[str] = "gpt.version_published"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    gpt_id: str
    version_id: int
    source_version_id: int | None  # the version rolled back to; None when the draft was published


@dataclass(frozen=True)
class DraftSaved(Event):
    """A GPT's draft content was saved by its editor (an edit, or a rollback copying an old version into it), in `session`'s
    open transaction: what follows the draft's content (knowledge cuts the draft's files as it says) changes in it too."""

    name: ClassVar[str] = "gpt.draft_saved"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    gpt_id: str
    before: dict = field(hash=False)  # the draft's content as it was
    settings: Any = field(hash=False)  # agora.config.Settings: the store's defaults the content falls back on


@dataclass(frozen=True)
class GptForked(Event):
    """`gpt_id` was made as a fork of `source_id`, from its draft (`version_id` None: an editor forked it) or from its
    published version `version_id`, in `session`'s open transaction: what a GPT holds besides its content (knowledge files)
    is carried over in it too."""

    name: ClassVar[str] = "gpt.forked"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    gpt_id: str
    source_id: str
    version_id: int | None


@dataclass(frozen=True)
class StoreSubmitted(Event):
    """A GPT's live version is up for the store (published while shared with everyone, or made public), in `session`'s
    open transaction, before its listing is synced: the review (agora.moderation) decides in it whether it is listed."""

    name: ClassVar[str] = "gpt.store_submitted"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    gpt_id: str
    version: int


@dataclass(frozen=True)
class UserRenamed(Event):
    """A person's display name changed (their organisation's provisioning renamed them), in `session`'s open
    transaction: where it is shown (their store listings' builder name and search text) is rewritten in it too."""

    name: ClassVar[str] = "user.renamed"
    in_transaction: ClassVar[bool] = True
    session: Any  # sqlalchemy.orm.Session
    user_id: int


@dataclass(frozen=True)
class ApiKeyRevoked(Event):
    """An API key was revoked and the revocation committed."""

    name: ClassVar[str] = "api_key.revoked"
    public_id: str


E = TypeVar("E", bound=Event)
Listener = Callable[[Any], None]

_lock = threading.Lock()
# Event class -> listeners: plain callables, or weak references that give the callable back (or None once gone).
_listeners: dict[type[Event], list[tuple[Listener | None, Callable[[], Listener | None] | None]]] = {}


def subscribe(event_type: type[E], listener: Callable[[E], None], *, weak: bool = False) -> None:
    """Call `listener(event)` for every `event_type` published in this process.

    weak=True holds a bound method (or function) weakly: it stops being called when its object is gone.
    Subscribing the same listener twice calls it once.
    """
    with _lock:
        entries = _listeners.setdefault(event_type, [])
        if any(_resolve(entry) == listener for entry in entries):
            return
        if weak:
            ref = weakref.WeakMethod(listener) if hasattr(listener, "__self__") else weakref.ref(listener)
            entries.append((None, ref))
        else:
            entries.append((listener, None))


def unsubscribe(event_type: type[E], listener: Callable[[E], None]) -> None:
    """Stop calling `listener` for `event_type` (no error if it was not subscribed)."""
    with _lock:
        entries = _listeners.get(event_type, [])
        entries[:] = [entry for entry in entries if _resolve(entry) not in (listener, None)]


def publish(event: Event) -> None:
    """Tell every listener of this event's class, in subscription order (see the module docstring for errors)."""
    with _lock:
        entries = list(_listeners.get(type(event), ()))
    gone = False
    for entry in entries:
        listener = _resolve(entry)
        if listener is None:
            gone = True
            continue
        try:
            listener(event)
        except Exception:  # one listener's failure must not silence the others nor fail the publisher (re-raised in a transaction)
            if event.in_transaction:
                raise
            log.exception("listener %r of %s failed", listener, event.name)
    if gone:
        with _lock:
            live = _listeners.get(type(event), [])
            live[:] = [entry for entry in live if _resolve(entry) is not None]


_PENDING = "agora.events.pending"  # session.info key: events to publish once the session's transaction commits


def publish_after_commit(session: Any, event: Event) -> None:
    """Publish `event` once `session` (a SQLAlchemy Session) commits its transaction, and not if it
    rolls back. A cache cleared before the commit could be filled again, by a reader in between,
    with what the commit is about to change. The same event twice in one transaction goes out once."""
    from sqlalchemy import event as orm_events  # the core's events need no ORM until a session asks

    if not session.info.get(_PENDING + ".hooked"):
        orm_events.listen(session, "after_commit", _publish_pending)
        orm_events.listen(session, "after_rollback", _drop_pending)
        session.info[_PENDING + ".hooked"] = True
    session.info.setdefault(_PENDING, {})[event] = None


def _publish_pending(session: Any) -> None:
    for event in session.info.pop(_PENDING, {}):
        publish(event)


def _drop_pending(session: Any) -> None:
    session.info.pop(_PENDING, None)


def _resolve(entry: tuple[Listener | None, Callable[[], Listener | None] | None]) -> Listener | None:
    strong, ref = entry
    return strong if ref is None else ref()
